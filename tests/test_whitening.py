"""Patch whitening: the patches match a loop, and the computed layer makes them uncorrelated."""

import numpy as np

from cnnlab import whitening
from cnnlab.runtime import keras


def correlated_images(count=200, side=8, seed=0):
    """Smooth random colour images: neighbouring pixels and channels strongly correlated."""
    random = np.random.default_rng(seed)
    coarse = random.integers(0, 256, size=(count, side // 2, side // 2, 1))
    tint = random.integers(0, 60, size=(count, 1, 1, 3))
    images = np.repeat(np.repeat(coarse, 2, axis=1), 2, axis=2) * 0.7 + tint
    return np.clip(images + random.integers(0, 20, size=images.shape), 0, 255).astype(np.uint8)


def test_patches_are_the_windows_in_keras_kernel_order():
    images = correlated_images(count=2, side=4)
    flat = whitening.patches(images, 2)
    assert flat.shape == (2 * 3 * 3, 2 * 2 * 3) and flat.dtype == np.float32
    # image 1, window at row 2, column 1, in (kh, kw, C) order
    np.testing.assert_allclose(flat[9 + 2 * 3 + 1], images[1, 2:4, 1:3, :].reshape(-1) / 255, rtol=1e-6)


def test_the_layer_whitens_the_patches_it_was_computed_from():
    images = correlated_images()
    kernel, bias = whitening.whitening_weights(images, kernel_size=2, epsilon=1e-9)
    assert kernel.shape == (2, 2, 3, 24) and bias.shape == (24,)
    layer = keras.layers.Conv2D(24, 2)
    layer.build((None, 8, 8, 3))
    layer.set_weights([kernel, bias])
    output = keras.ops.convert_to_numpy(layer(images.astype(np.float32) / 255)).reshape(-1, 24)
    first_half = output[:, :12]
    np.testing.assert_allclose(first_half.mean(axis=0), 0, atol=1e-3)
    np.testing.assert_allclose(np.cov(first_half, rowvar=False), np.eye(12), atol=2e-2)
    np.testing.assert_allclose(output[:, 12:], -first_half, atol=1e-5)  # the negated copy


def test_directions_come_largest_first():
    images = correlated_images()
    raw = whitening.patches(images, 2)
    kernel, _ = whitening.whitening_weights(images, kernel_size=2)
    directions = kernel.reshape(12, 24)[:, :12]
    spread = np.var(raw @ (directions / np.linalg.norm(directions, axis=0)), axis=0)
    assert np.all(np.diff(spread) <= 1e-6)


def test_statistics_in_chunks_equal_numpy_on_all_patches_at_once():
    images = correlated_images(count=37)  # not a multiple of the chunk: the last chunk is short
    mean, covariance = whitening.patch_statistics(images, 2, chunk=8)
    flat = whitening.patches(images, 2).astype(np.float64)
    np.testing.assert_allclose(mean, flat.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(covariance, np.cov(flat, rowvar=False), rtol=1e-5, atol=1e-9)


def test_statistics_need_two_images():
    try:
        whitening.patch_statistics(correlated_images(count=1), 2)
    except ValueError as error:
        assert "at least 2 images" in str(error)
    else:
        raise AssertionError("one image gave a covariance")
