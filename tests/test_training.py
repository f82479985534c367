"""Training wrapper: validation split, best-weights restore, checkpoint, quick mode, seeding."""

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


class WeightsPerEpoch(keras.callbacks.Callback):
    """Records each epoch's weights and validation accuracy."""

    def __init__(self):
        super().__init__()
        self.weights, self.accuracies = [], []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())
        self.accuracies.append(logs["val_accuracy"])


def test_train_ends_with_the_best_epochs_weights(monkeypatch):
    monkeypatch.setattr(config, "quick", False)
    images, labels = tiny_problem()
    model = compiled_mlp()
    recorder = WeightsPerEpoch()
    result = training.train(model, images, labels, epochs=6, batch_size=16, validation_fraction=0.25,
                            callbacks=[recorder])
    best = int(np.argmax(recorder.accuracies))  # the first of equally good epochs, as Keras keeps it
    assert result.best_epoch == best + 1 and result.epochs == 6
    for kept, recorded in zip(model.get_weights(), recorder.weights[best]):
        np.testing.assert_array_equal(kept, recorded)


def test_train_returns_history_timing_and_writes_a_loadable_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "quick", False)
    images, labels = tiny_problem()
    path = tmp_path / "best.keras"
    result = training.train(compiled_mlp(), images, labels, epochs=3, batch_size=16,
                            validation_fraction=0.25, checkpoint=path)
    assert result.epochs == 3 and len(result.history["val_accuracy"]) == 3
    assert 1 <= result.best_epoch <= 3
    assert result.best_val_accuracy == max(result.history["val_accuracy"])
    assert result.seconds > 0 and result.images_per_second > 0
    restored = keras.saving.load_model(path)
    assert restored.count_params() == compiled_mlp().count_params()


def test_train_rejects_a_checkpoint_that_is_not_keras_format(tmp_path):
    images, labels = tiny_problem()
    with pytest.raises(ValueError, match=r"\.keras"):
        training.train(compiled_mlp(), images, labels, epochs=1, batch_size=16,
                       checkpoint=tmp_path / "best.h5")


def test_quick_mode_caps_epochs_and_steps(monkeypatch):
    monkeypatch.setattr(config, "quick", True)
    assert training.capped_epochs(10) == config.QUICK_EPOCHS
    assert training.steps_per_epoch(60_000, 32) == config.QUICK_TRAIN_IMAGES // 32
    images, labels = tiny_problem(count=400)
    result = training.train(compiled_mlp(), images, labels, epochs=5, batch_size=4)
    assert result.epochs == config.QUICK_EPOCHS


def test_full_mode_keeps_epochs_and_steps(monkeypatch):
    monkeypatch.setattr(config, "quick", False)
    assert training.capped_epochs(10) == 10
    assert training.steps_per_epoch(1000, 32) == 32  # 31 full batches and a partial one


def test_early_stopping_stops_before_the_last_epoch(monkeypatch):
    monkeypatch.setattr(config, "quick", False)
    images, labels = tiny_problem()
    model = compiled_mlp()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])  # learning rate 0: validation accuracy never improves
    result = training.train(model, images, labels, epochs=10, batch_size=16, patience=1)
    assert result.epochs == 2


def test_set_seed_makes_training_repeatable(monkeypatch):
    monkeypatch.setattr(config, "quick", False)
    images, labels = tiny_problem()
    weights = []
    for _ in range(2):
        training.set_seed(3)
        model = compiled_mlp()
        training.train(model, images, labels, epochs=1, batch_size=16)
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

def model_that_must_not_fit(compile_metrics=("accuracy",)):
    """A compiled MLP whose fit fails the test: each check has to fire before training starts."""
    model = models.mlp(hidden_units=(8,))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=None if compile_metrics is None else list(compile_metrics))

    def fit(*args, **kwargs):
        raise AssertionError("fit ran before the arguments were checked")

    model.fit = fit
    return model


def train_error(model=None, images=None, labels=None, **arguments):
    """The ValueError train raises for these arguments (defaults: a valid tiny problem)."""
    default_images, default_labels = tiny_problem()
    arguments = {"epochs": 2, "batch_size": 16, **arguments}
    with pytest.raises(ValueError) as caught:
        training.train(model or model_that_must_not_fit(), default_images if images is None else images,
                       default_labels if labels is None else labels, **arguments)
    return str(caught.value)


@pytest.mark.parametrize("name, value", [("epochs", 0), ("epochs", -1), ("epochs", 2.5), ("epochs", True),
                                         ("batch_size", 0), ("batch_size", 16.0), ("batch_size", None),
                                         ("patience", -1)])
def test_counts_below_one_or_not_whole_are_refused(name, value):
    message = train_error(**{name: value})
    assert message.startswith(f"{name} must be a whole number") and repr(value) in message


def test_labels_outside_the_models_classes_are_refused_with_their_index():
    images, labels = tiny_problem()
    labels = labels.astype(np.int64)
    labels[7] = 10  # mlp predicts 10 classes: 0..9
    message = train_error(labels=labels)
    assert message == "labels[7] is 10, outside 0..9: the model predicts 10 classes"
    labels[7] = -1
    assert "labels[7] is -1" in train_error(labels=labels)


def test_fractional_labels_are_refused_not_truncated():
    images, labels = tiny_problem()
    labels = labels.astype(np.float32)
    labels[3] = 2.5
    message = train_error(labels=labels)
    assert message.startswith("labels[3] is 2.5") and "truncate" in message
    labels[3] = np.nan
    assert train_error(labels=labels).startswith("labels[3] is nan")


def test_whole_float_labels_and_one_hot_labels_are_accepted(monkeypatch):
    monkeypatch.setattr(config, "quick", True)
    images, labels = tiny_problem(count=32)
    model = compiled_mlp()
    assert training.train(model, images, labels.astype(np.float32), epochs=1, batch_size=16).epochs == 1
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    assert training.train(model, images, training.one_hot(labels, 10), epochs=1, batch_size=16).epochs == 1


def test_one_hot_labels_with_the_wrong_number_of_classes_are_refused():
    images, labels = tiny_problem()
    message = train_error(labels=training.one_hot(labels, 3))
    assert "shape (64, 3)" in message and "predicts 10 classes" in message


def test_validation_labels_are_checked_too():
    images, labels = tiny_problem()
    bad = labels.astype(np.int64)
    bad[0] = 12
    message = train_error(validation_data=(images, bad))
    assert message.startswith("validation labels[0] is 12")
    assert "entries for" in train_error(validation_data=(images, labels[:10]))
    assert "pair" in train_error(validation_data=images)


@pytest.mark.parametrize("metrics", [None, ("mae",), (keras.metrics.SparseCategoricalAccuracy(),)])
def test_a_model_compiled_without_accuracy_is_refused_before_the_first_epoch(metrics):
    message = train_error(model=model_that_must_not_fit(metrics))
    assert "metrics=['accuracy']" in message and "val_accuracy" in message


def test_accuracy_under_its_own_name_is_enough():
    metric = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
    model = model_that_must_not_fit((metric,))
    with pytest.raises(AssertionError, match="fit ran"):  # every check passed: fit was reached
        training.train(model, *tiny_problem(), epochs=1, batch_size=16)


def test_an_uncompiled_model_is_refused():
    assert "not compiled" in train_error(model=models.mlp(hidden_units=(8,)))
