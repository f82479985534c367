"""Training helpers: validation split, quick-mode epochs, seeding, one-hot labels, predicted labels."""

import numpy as np
import pytest

from cnnlab import config, models, training
from cnnlab.runtime import keras


def tiny_problem(count=64, seed=0):
    """Separable toy data: class = whether the left half is brighter than the right."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, 28, 28, 1), dtype=np.uint8)
    labels = (images[:, :, :14].mean(axis=(1, 2, 3)) > images[:, :, 14:].mean(axis=(1, 2, 3))).astype(np.uint8)
    return images, labels


def compiled_mlp():
    model = models.mlp(hidden_units=(8,))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_split_validation_takes_the_tail_as_views():
    images, labels = np.arange(100).reshape(100, 1), np.arange(100)
    (fit_x, fit_y), (valid_x, valid_y) = training.split_validation(images, labels, 0.2)
    assert len(fit_x) == 80 and len(valid_x) == 20
    assert valid_y[0] == 80 and fit_y[-1] == 79
    assert np.shares_memory(fit_x, images) and np.shares_memory(valid_x, images)


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1])
def test_split_validation_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="fraction"):
        training.split_validation(np.zeros((10, 1)), np.zeros(10), fraction)


def test_split_validation_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="10 vs 9"):
        training.split_validation(np.zeros((10, 1)), np.zeros(9), 0.1)


def test_quick_mode_caps_epochs(monkeypatch):
    monkeypatch.setattr(config, "quick", True)
    assert training.capped_epochs(10) == config.QUICK_EPOCHS
    monkeypatch.setattr(config, "quick", False)
    assert training.capped_epochs(10) == 10


def test_set_seed_makes_training_repeatable():
    images, labels = tiny_problem()
    weights = []
    for _ in range(2):
        training.set_seed(3)
        model = compiled_mlp()
        model.fit(images, labels, epochs=1, batch_size=16, verbose=0)
        weights.append(model.get_weights())
    for first, second in zip(*weights):
        np.testing.assert_array_equal(first, second)


def test_predict_labels_returns_class_indices():
    model = compiled_mlp()
    images, _ = tiny_problem(count=5)
    predicted = training.predict_labels(model, images)
    assert predicted.shape == (5,) and set(predicted) <= {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}


def test_one_hot_matches_keras_in_float32():
    labels = np.array([3, 0, 9, 3], dtype=np.uint8)
    encoded = training.one_hot(labels, 10)
    assert encoded.dtype == np.float32 and encoded.shape == (4, 10)
    np.testing.assert_array_equal(encoded, keras.utils.to_categorical(labels, 10))


@pytest.mark.parametrize("labels, message", [(np.array([1, 10]), "label 10, outside 0..9"),
                                             (np.array([[1, 2]]), r"shape \(1, 2\)"),
                                             (np.array([0.5, 1.0]), "float64")])
def test_one_hot_rejects_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        training.one_hot(labels, 10)


# --- arguments are checked before any time is spent ------------------------------------------------
