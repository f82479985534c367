"""The recipes: models as documented, layer comparison that catches drift, FLOP counts, a tiny training run."""

import dataclasses

import numpy as np
import pytest

from cnnlab import config, recipes, training
from cnnlab.runtime import keras


def conv_flops(height, width, kernel, channels_in, filters):
    return 2 * height * width * kernel * kernel * channels_in * filters


def test_cifar10_model_costs_airbench93s_108_mflop():
    model = recipes.cifar10_model()
    expected = (conv_flops(31, 31, 2, 3, 24)  # whitening, valid 2x2: 32 -> 31
                + conv_flops(31, 31, 3, 24, 64) + conv_flops(15, 15, 3, 64, 64)
                + conv_flops(15, 15, 3, 64, 128) + conv_flops(7, 7, 3, 128, 128)
                + conv_flops(7, 7, 3, 128, 128) + conv_flops(3, 3, 3, 128, 128)
                + 2 * 128 * 10)
    assert recipes.forward_flops(model) == expected
    assert 105e6 < expected < 112e6
    assert model.output_shape == (None, 10)
    assert not model.get_layer("whiten").trainable


def test_whitening_layer_is_set_from_the_training_images():
    images = np.random.default_rng(0).integers(0, 256, size=(64, 32, 32, 3), dtype=np.uint8)
    model = recipes.prepare_model(recipes.cifar10_model(), images)
    kernel, bias = model.get_layer("whiten").get_weights()
    patches = images[:, :2, :2, :].reshape(64, -1).astype(np.float32) / 255
    whitened = patches @ kernel.reshape(12, 24) + bias
    assert abs(whitened[:, :12].mean()) < 0.5  # centred, not the raw 0..1 pixels
    learned = recipes.prepare_model(recipes.cifar10_model(learned_first_layer=True), images)
    assert learned.get_layer("whiten").trainable
    assert not np.allclose(learned.get_layer("whiten").get_weights()[0], kernel)


def test_same_layers_accepts_a_copy_and_names_the_first_difference():
    assert recipes.same_layers(recipes.mnist_model(), recipes.mnist_model())
    with pytest.raises(AssertionError, match=r"layer 1 \('block1_conv'\).*filters"):
        recipes.same_layers(recipes.mnist_model(width=16), recipes.mnist_model())
    with pytest.raises(AssertionError, match="layers"):
        recipes.same_layers(keras.Sequential([keras.Input((28, 28, 1))]), recipes.mnist_model())
    frozen = recipes.cifar10_model()
    with pytest.raises(AssertionError, match="trainable"):
        recipes.same_layers(recipes.cifar10_model(learned_first_layer=True), frozen)


def test_schedule_warms_up_then_decays_to_zero():
    recipe = recipes.CIFAR10
    schedule = recipes.learning_rate_schedule(recipe, total_steps=100)
    rates = [float(schedule(step)) for step in range(101)]
    assert rates[0] == pytest.approx(recipe.start_factor * recipe.peak_learning_rate)
    assert max(rates) == pytest.approx(recipe.peak_learning_rate, rel=1e-3)
    assert int(np.argmax(rates)) == int(100 * recipe.warmup_fraction)
    assert rates[100] == pytest.approx(0, abs=1e-6)


def test_label_smoothing_targets():
    loss = recipes.make_loss(recipes.CIFAR10)
    target = np.eye(10, dtype=np.float32)[[3]]
    smoothed = target * (1 - recipes.CIFAR10.label_smoothing) + recipes.CIFAR10.label_smoothing / 10
    prediction = np.full((1, 10), 0.1, np.float32)
    expected = -np.sum(smoothed * np.log(prediction))
    assert float(loss(target, prediction)) == pytest.approx(expected, rel=1e-5)


def test_optimizer_follows_the_recipe():
    sgd = recipes.make_optimizer(recipes.CIFAR10, 10)
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.nesterov and sgd.momentum == 0.85
    assert isinstance(recipes.make_optimizer(recipes.MNIST, 10), keras.optimizers.Adam)
    with pytest.raises(ValueError, match="optimizer must be"):
        recipes.make_optimizer(dataclasses.replace(recipes.MNIST, optimizer="lbfgs"), 10)


def test_quick_mode_trains_one_short_epoch(monkeypatch):
    monkeypatch.setattr(config, "quick", True)
    assert recipes.CIFAR10.epochs_to_train() == 1
    assert recipes.CIFAR10.steps_per_epoch(45_000) == -(-config.QUICK_TRAIN_IMAGES // recipes.CIFAR10.batch_size)
    monkeypatch.setattr(config, "quick", False)
    assert recipes.CIFAR10.steps_per_epoch(45_000) == -(-45_000 // recipes.CIFAR10.batch_size)


def test_a_tiny_training_run_learns_and_predicts_probabilities(monkeypatch):
    monkeypatch.setattr(config, "quick", False)
    random = np.random.default_rng(0)
    labels = random.integers(0, 2, size=256)
    images = np.zeros((256, 28, 28, 1), np.uint8)
    images[labels == 1, 10:18, 10:18] = 255  # class 1: a bright square; class 0: black
    recipe = dataclasses.replace(recipes.MNIST, epochs=10, batch_size=32)  # 80 steps: batch-norm statistics settle
    training.set_seed(0)
    model = recipes.compiled_model(recipe, images)
    model.fit(recipes.train_batches(recipe, images, training.one_hot(labels, 10)), epochs=10, verbose=0)
    probabilities = recipes.predict(recipe, model, images[:64])
    assert probabilities.shape == (64, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    assert np.mean(probabilities.argmax(axis=1) == labels[:64]) > 0.9


# --- loading trained models for notebook 06 ---------------------------------------------------

def test_load_trained_prefers_the_learners_checkpoint(tmp_path):
    keras.utils.set_random_seed(1)
    saved = recipes.mnist_model()
    path = tmp_path / "mnist_cnn.keras"
    saved.save(path)
    model, origin = recipes.load_trained("mnist", path)
    assert "your own model" in origin and "04_mnist_cnn" in origin
    for loaded, weights in zip(model.get_weights(), saved.get_weights()):
        np.testing.assert_array_equal(loaded, weights)


def test_load_trained_falls_back_to_the_shipped_model(tmp_path, monkeypatch):
    shipped = tmp_path / "shipped.keras"
    recipes.mnist_model().save(shipped)
    monkeypatch.setattr(recipes, "shipped_checkpoint", lambda name: shipped)
    model, origin = recipes.load_trained("mnist", tmp_path / "missing.keras")
    assert model.name == "mnist_recipe" and "shipped with cnnlab" in origin
    assert not (tmp_path / "missing.keras").exists()  # nothing trained, nothing written
    monkeypatch.setattr(recipes, "shipped_checkpoint", lambda name: tmp_path / "gone.keras")
    with pytest.raises(FileNotFoundError, match="run notebook 04_mnist_cnn first"):
        recipes.load_trained("mnist", tmp_path / "missing.keras")


def test_load_trained_refuses_another_architecture(tmp_path):
    from cnnlab import models

    path = tmp_path / "mnist_cnn.keras"
    models.lenet_cnn().save(path)
    with pytest.raises(ValueError, match="lenet_cnn.*re-run notebook 04_mnist_cnn"):
        recipes.load_trained("mnist", path)
    with pytest.raises(ValueError, match="no recipe"):
        recipes.load_trained("fashion-mnist")


def test_bfloat16_only_where_the_cpu_has_it(tmp_path, monkeypatch):
    with_bf16, without = tmp_path / "bf16", tmp_path / "plain"
    with_bf16.write_text("processor: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16 fma\n")
    without.write_text("processor: 0\nflags\t\t: fpu sse2 avx2 fma\n")
    assert recipes.cpu_has_bfloat16(with_bf16) and not recipes.cpu_has_bfloat16(without)
    assert not recipes.cpu_has_bfloat16(tmp_path / "no_such_file")  # not Linux: float32
    monkeypatch.setattr(recipes, "cpu_has_bfloat16", lambda: True)
    expected = "mixed_bfloat16" if keras.backend.backend() == "tensorflow" else "float32"
    assert recipes.precision_policy() == expected
    monkeypatch.setattr(recipes, "cpu_has_bfloat16", lambda: False)
    assert recipes.precision_policy() == "float32"


def test_models_output_float32_probabilities_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        for builder in recipes.BUILDERS.values():
            model = builder()
            assert model.layers[-1].compute_dtype == "float32"
            assert model.get_layer("block1_bn" if "block1_bn" in [l.name for l in model.layers]
                                   else "block1_bn1").compute_dtype == "bfloat16"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_load_trained_gives_a_float32_model_whatever_it_was_trained_in(tmp_path):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        saved = recipes.mnist_model()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    path = tmp_path / "mnist_cnn.keras"
    saved.save(path)
    model, _ = recipes.load_trained("mnist", path)
    assert {layer.compute_dtype for layer in model.layers} == {"float32"}
