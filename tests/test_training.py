"""Training by a recipe: validation split, one-hot targets, schedule, loss, optimizer, a tiny run that learns."""

import dataclasses

import numpy as np
import pytest

from cnnlab import config, models, prediction, recipes, runtime, training
from cnnlab.runtime import keras


def test_split_validation_takes_the_tail_as_views():
    images, labels = np.arange(100).reshape(100, 1), np.arange(100)
    (fit_x, fit_y), (valid_x, valid_y) = training.split_validation(images, labels, 0.2)
    assert len(fit_x) == 80 and len(valid_x) == 20
    assert valid_y[0] == 80 and fit_y[-1] == 79
    assert np.shares_memory(fit_x, images) and np.shares_memory(valid_x, images)
    (fit_x, _), (valid_x, _) = training.split_validation(images, labels)  # the recipes' 10%
    assert (len(fit_x), len(valid_x)) == (90, 10)


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1, True])
def test_split_validation_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="fraction"):
        training.split_validation(np.zeros((10, 1)), np.zeros(10), fraction)


def test_split_validation_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="10 vs 9"):
        training.split_validation(np.zeros((10, 1)), np.zeros(9), 0.1)


def test_one_hot_matches_keras_in_float32():
    labels = np.array([3, 0, 9, 3], dtype=np.uint8)
    encoded = training.one_hot(labels, 10)
    assert encoded.dtype == np.float32 and encoded.shape == (4, 10)
    np.testing.assert_array_equal(encoded, keras.utils.to_categorical(labels, 10))


@pytest.mark.parametrize("labels, classes, message", [(np.array([1, 10]), 10, "label 10, outside 0..9"),
                                                      (np.array([[1, 2]]), 10, r"shape \(1, 2\)"),
                                                      (np.array([0.5, 1.0]), 10, "float64"),
                                                      (np.array([0, 1]), True, "num_classes")])
def test_one_hot_rejects_bad_labels(labels, classes, message):
    with pytest.raises(ValueError, match=message):
        training.one_hot(labels, classes)


def test_schedule_warms_up_linearly_then_decays_to_zero():
    # CIFAR-10 over 100 steps, by hand: 23 warm-up steps from 0.2 * 0.75 = 0.15 to 0.75, then a
    # cosine to 0 over 77 steps; step 10 is 0.15 + 0.6 * 10 / 23.
    schedule = training.learning_rate_schedule(recipes.CIFAR10, total_steps=100)
    rates = [float(schedule(step)) for step in range(101)]
    assert rates[0] == pytest.approx(0.15)
    assert rates[10] == pytest.approx(0.410870, rel=1e-4)
    assert int(np.argmax(rates)) == 23 and rates[23] == pytest.approx(0.75)
    assert rates[100] == pytest.approx(0, abs=1e-6)


def test_label_smoothing_loss():
    # Smoothing 0.2 over 10 classes: target 0.82 for the true class, 0.02 for the others. A prediction
    # of 0.5 for the true class and 0.5 / 9 for each other costs -(0.82 ln 0.5 + 0.18 ln(0.5 / 9)).
    loss = training.make_loss(recipes.CIFAR10)
    target = np.eye(10, dtype=np.float32)[[3]]
    prediction_ = np.full((1, 10), 0.5 / 9, np.float32)
    prediction_[0, 3] = 0.5
    assert float(loss(target, prediction_)) == pytest.approx(1.088648, rel=1e-5)


def test_optimizer_follows_the_recipe():
    sgd = training.make_optimizer(recipes.CIFAR10, 10)
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.nesterov and sgd.momentum == 0.85
    assert sgd.weight_decay == 0.01
    assert isinstance(training.make_optimizer(recipes.MNIST, 10), keras.optimizers.Adam)


def test_quick_mode_trains_a_short_epoch(monkeypatch):
    # 12,800 quick images in batches of 512 are 25 batches; 45,000 images are 87 full ones and a part.
    monkeypatch.setattr(config, "quick", True)
    assert training.steps_per_epoch(recipes.CIFAR10, 45_000) == 25
    monkeypatch.setattr(config, "quick", False)
    assert training.steps_per_epoch(recipes.CIFAR10, 45_000) == 88


def test_whitening_layer_is_set_from_the_first_training_images():
    images = np.random.default_rng(0).integers(0, 256, size=(64, 32, 32, 3), dtype=np.uint8)
    model = training.prepare_model(models.cifar10_model(), images, whitening_images=32)
    kernel, bias = model.get_layer("whiten").get_weights()
    patches = images[:32, :2, :2, :].reshape(32, -1).astype(np.float32) / 255
    assert abs((patches @ kernel.reshape(12, 24) + bias)[:, :12].mean()) < 0.5  # centred, not raw 0..1
    # Only the first 32 images count: the same layer comes from those 32 alone.
    again = training.prepare_model(models.cifar10_model(), images[:32], whitening_images=32)
    np.testing.assert_allclose(again.get_layer("whiten").get_weights()[0], kernel, rtol=1e-5)
    learned = training.prepare_model(models.cifar10_model(learned_first_layer=True), images, 32)
    assert not np.allclose(learned.get_layer("whiten").get_weights()[0], kernel)


def test_a_tiny_training_run_learns_and_predicts_probabilities(monkeypatch):
    monkeypatch.setattr(config, "quick", False)
    random = np.random.default_rng(0)
    labels = random.integers(0, 2, size=256)
    images = np.zeros((256, 28, 28, 1), np.uint8)
    images[labels == 1, 10:18, 10:18] = 255  # class 1: a bright square; class 0: black
    recipe = dataclasses.replace(recipes.MNIST, epochs=10, batch_size=32)  # 80 steps: batch-norm statistics settle
    runtime.set_seed(0)
    model = training.compiled_model(recipe, images)
    model.fit(training.train_batches(recipe, images, training.one_hot(labels, 10)), epochs=10, verbose=0)
    probabilities = prediction.predict_recipe(recipe, model, images[:64])
    assert probabilities.shape == (64, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    assert np.mean(probabilities.argmax(axis=1) == labels[:64]) > 0.9


def test_compiled_model_whitens_from_the_recipes_number_of_images():
    images = np.random.default_rng(1).integers(0, 256, size=(40, 32, 32, 3), dtype=np.uint8)
    recipe = dataclasses.replace(recipes.CIFAR10, whitening_images=8)
    model = training.compiled_model(recipe, images)
    expected = training.prepare_model(models.cifar10_model(), images[:8], whitening_images=8)
    np.testing.assert_allclose(model.get_layer("whiten").get_weights()[0],
                               expected.get_layer("whiten").get_weights()[0], rtol=1e-5)
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    with pytest.raises(ValueError, match="whitening_images must be an integer >= 1, got None"):
        training.compiled_model(dataclasses.replace(recipes.MNIST, name="cifar10"), images)
