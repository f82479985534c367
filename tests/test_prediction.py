"""Predicting: labels from a model of known weights, test-time views against a pixel reference, weighting."""

import numpy as np
import pytest

from cnnlab import prediction, recipes
from cnnlab.runtime import keras


def random_images(count=6, side=7, channels=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(count, side, side, channels), dtype=np.uint8)


class FakeModel:
    """Predicts from the mean brightness of the left half: lets the view weighting be checked exactly."""

    def __init__(self):
        self.batch_sizes = []

    def predict_on_batch(self, images):
        self.batch_sizes.append(len(images))
        return left_brightness(images)


def left_brightness(images):
    """(left-half mean / 255, 1 - that) per image: the fake model's output, by hand."""
    left = images[:, :, : images.shape[2] // 2].mean(axis=(1, 2, 3)) / 255
    return np.stack([left, 1 - left], axis=1)


def test_predict_labels_are_the_argmax_of_a_model_with_known_weights():
    # Identity weights: the predicted class is the index of the largest input value.
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, use_bias=False)])
    model.layers[0].set_weights([np.eye(3, dtype=np.float32)])
    inputs = np.array([[0.1, 0.9, 0.0], [5.0, 1.0, 2.0], [0.0, 0.2, 0.3], [1.0, 3.0, 2.0]], np.float32)
    predicted = prediction.predict_labels(model, inputs, batch_size=3)
    np.testing.assert_array_equal(predicted, [1, 0, 2, 1])


def test_test_time_views_are_mirrors_and_diagonal_shifts(translate_reference):
    images = random_images(count=2)
    views = prediction.test_time_views(images, max_shift=1, flip=True)
    assert len(views) == 6
    np.testing.assert_array_equal(views[0], images)
    np.testing.assert_array_equal(views[1], images[:, :, ::-1])
    np.testing.assert_array_equal(views[2][0], translate_reference(images[0], -1, -1))
    np.testing.assert_array_equal(views[3][0], translate_reference(images[0], -1, -1)[:, ::-1])
    np.testing.assert_array_equal(views[4][1], translate_reference(images[1], 1, 1))
    np.testing.assert_array_equal(views[5][1], translate_reference(images[1], 1, 1)[:, ::-1])
    assert len(prediction.test_time_views(images, max_shift=0, flip=False)) == 1
    assert len(prediction.test_time_views(images, max_shift=2, flip=False)) == 3


def test_predict_views_weighs_plain_and_moved_views_half_each(translate_reference):
    images = random_images(count=3)
    model = FakeModel()
    plain = [left_brightness(images), left_brightness(images[:, :, ::-1])]
    moved = [np.stack([translate_reference(image, step, step) for image in images]) for step in (-1, 1)]
    moved = [left_brightness(view) for batch in moved for view in (batch, batch[:, :, ::-1])]
    expected = 0.5 * np.mean(plain, axis=0) + 0.5 * np.mean(moved, axis=0)
    np.testing.assert_allclose(prediction.predict_views(model, images, batch_size=2), expected, rtol=1e-6)
    assert model.batch_sizes == [2] * 6 + [1] * 6  # six views of each batch, never the whole set at once
    np.testing.assert_allclose(prediction.predict_views(model, images, max_shift=0, flip=False), plain[0],
                               rtol=1e-6)


def test_predict_recipe_uses_the_recipes_views(translate_reference):
    images = random_images(count=4)
    # MNIST: no mirror (a mirrored 2 is no 2), shifts of 1 pixel: the plain view counts half.
    moved = [left_brightness(np.stack([translate_reference(image, step, step) for image in images]))
             for step in (-1, 1)]
    expected = 0.5 * left_brightness(images) + 0.25 * moved[0] + 0.25 * moved[1]
    np.testing.assert_allclose(prediction.predict_recipe(recipes.MNIST, FakeModel(), images), expected,
                               rtol=1e-6)


def test_predict_views_rejects_an_empty_set_and_bad_settings():
    with pytest.raises(ValueError, match="images is empty"):
        prediction.predict_views(FakeModel(), np.zeros((0, 4, 4, 3), np.uint8))
    for batch_size in (0, 2.5, True):
        with pytest.raises(ValueError, match=f"batch_size must be an integer >= 1, got {batch_size}"):
            prediction.predict_views(FakeModel(), random_images(count=3), batch_size=batch_size)
    with pytest.raises(ValueError, match="max_shift must be an integer >= 0, got -1"):
        prediction.test_time_views(random_images(count=1), max_shift=-1)
    with pytest.raises(ValueError, match="uint8"):
        prediction.predict_views(FakeModel(), random_images(count=1).astype(np.float32))
