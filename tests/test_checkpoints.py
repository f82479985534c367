"""Checkpoints: where the learner's go, the learner's preferred to the shipped one, architecture and dtype checked."""

import numpy as np
import pytest

from cnnlab import checkpoints, config, models
from cnnlab.runtime import keras


def test_quick_runs_save_checkpoints_beside_the_full_ones_never_over_them(monkeypatch):
    monkeypatch.setattr(config, "quick", False)
    assert checkpoints.learner_checkpoint("mnist") == "checkpoints/mnist_cnn.keras"
    assert checkpoints.learner_checkpoint("cifar10") == "checkpoints/cifar10_cnn.keras"
    monkeypatch.setattr(config, "quick", True)
    assert checkpoints.learner_checkpoint("mnist") == "checkpoints/mnist_cnn_quick.keras"


def test_shipped_checkpoints_live_in_the_package_assets():
    path = checkpoints.shipped_checkpoint("cifar10")
    assert path.name == "cifar10_recipe.keras" and path.parent.name == "assets"
    assert path.parent.parent.name == "cnnlab"


def test_load_trained_prefers_the_learners_checkpoint(tmp_path):
    keras.utils.set_random_seed(1)
    saved = models.mnist_model()
    path = tmp_path / "mnist_cnn.keras"
    saved.save(path)
    model, origin = checkpoints.load_trained("mnist", path)
    assert "your own model" in origin and "04_mnist_cnn" in origin
    for loaded, weights in zip(model.get_weights(), saved.get_weights()):
        np.testing.assert_array_equal(loaded, weights)


def test_load_trained_falls_back_to_the_shipped_model(tmp_path, monkeypatch):
    shipped = tmp_path / "shipped.keras"
    models.mnist_model().save(shipped)
    monkeypatch.setattr(checkpoints, "shipped_checkpoint", lambda name: shipped)
    model, origin = checkpoints.load_trained("mnist", tmp_path / "missing.keras")
    assert model.name == "mnist_recipe" and "shipped with cnnlab" in origin
    assert not (tmp_path / "missing.keras").exists()  # nothing trained, nothing written
    monkeypatch.setattr(checkpoints, "shipped_checkpoint", lambda name: tmp_path / "gone.keras")
    with pytest.raises(FileNotFoundError, match="run notebook 04_mnist_cnn first"):
        checkpoints.load_trained("mnist", tmp_path / "missing.keras")


def test_load_trained_refuses_another_architecture_and_an_unknown_name(tmp_path):
    path = tmp_path / "mnist_cnn.keras"
    models.lenet_cnn().save(path)
    with pytest.raises(ValueError, match="lenet_cnn.*re-run notebook 04_mnist_cnn"):
        checkpoints.load_trained("mnist", path)
    for call in (checkpoints.load_trained, checkpoints.learner_checkpoint, checkpoints.shipped_checkpoint):
        with pytest.raises(ValueError, match="no recipe for data set 'fashion-mnist'"):
            call("fashion-mnist")


def test_load_trained_gives_a_float32_model_whatever_it_was_trained_in(tmp_path):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        saved = models.mnist_model()
        path = tmp_path / "mnist_cnn.keras"
        saved.save(path)
        model, _ = checkpoints.load_trained("mnist", path)
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"  # left as it was
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert {layer.compute_dtype for layer in model.layers} == {"float32"}
