"""cnnlab.pooling against the NOTES.md example and keras MaxPooling2D / AveragePooling2D."""

import keras
import numpy as np
import pytest

from cnnlab import conv, pooling

TOLERANCE = 1e-5


def keras_pool(layer_class, images, pool_size, stride, padding):
    """Run a keras pooling layer on an (N, H, W, C) batch."""
    layer = layer_class(pool_size=pool_size, strides=stride, padding=padding)
    return keras.ops.convert_to_numpy(layer(images))


def test_notes_max_pool_example():
    image = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.uint8)
    result = pooling.max_pool2d(image, pool_size=2, stride=2)
    np.testing.assert_array_equal(result, [[6, 8], [3, 4]])
    assert result.dtype == np.uint8  # max pooling keeps the dtype


@pytest.mark.parametrize("size, padding, expected", [
    (26, "valid", 13), (13, "valid", 6), (11, "valid", 5), (13, "same", 7), (28, "same", 14)])
def test_pooled_sizes(size, padding, expected):
    image = np.zeros((size, size, 2), dtype=np.float32)
    assert pooling.max_pool2d(image, padding=padding).shape == (expected, expected, 2)
    assert pooling.avg_pool2d(image, padding=padding).shape == (expected, expected, 2)
    assert pooling.output_size(size, 2, padding, 2) == expected  # the formula shared with conv
    assert pooling.output_size is conv.output_size


@pytest.mark.parametrize("pool_size, stride", [(2, None), (3, None), (2, 1), (3, 2), ((2, 3), (1, 2))])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_matches_keras(pool_size, stride, padding):
    random = np.random.default_rng(0)
    images = random.normal(size=(2, 7, 9, 3)).astype(np.float32)
    for ours, theirs in [(pooling.max_pool2d, keras.layers.MaxPooling2D),
                         (pooling.avg_pool2d, keras.layers.AveragePooling2D)]:
        expected = keras_pool(theirs, images, pool_size, stride, padding)
        result = ours(images, pool_size, stride, padding)
        assert result.dtype == np.float32
        np.testing.assert_allclose(result, expected, atol=TOLERANCE)
        # (H, W, C) and (H, W) inputs give the matching slices of the batch result.
        np.testing.assert_allclose(ours(images[0], pool_size, stride, padding), expected[0], atol=TOLERANCE)
        np.testing.assert_allclose(ours(images[0, :, :, 1], pool_size, stride, padding), expected[0, :, :, 1],
                                   atol=TOLERANCE)


def test_same_padding_never_enters_the_result():
    # With "same" on 3x3 and pool 2, the last row and column of windows hang over the edge.
    np.testing.assert_array_equal(pooling.avg_pool2d(np.ones((3, 3)), 2, padding="same"), np.ones((2, 2)))
    np.testing.assert_array_equal(pooling.max_pool2d(-np.ones((3, 3)), 2, padding="same"), -np.ones((2, 2)))
    small = np.zeros((3, 3), dtype=np.uint8)
    assert pooling.max_pool2d(small, 2, padding="same").dtype == np.uint8


def test_avg_of_uint8_is_float32():
    image = np.array([[0, 255], [255, 255]], dtype=np.uint8)
    result = pooling.avg_pool2d(image)
    assert result.dtype == np.float32 and result[0, 0] == pytest.approx(255 * 3 / 4)


@pytest.mark.parametrize("call, message", [
    (lambda: pooling.max_pool2d(np.ones((3, 3)), 4), "larger than the padded input"),
    (lambda: pooling.max_pool2d(np.ones((4, 4)), 2, padding=1), "'valid' or 'same'"),
    (lambda: pooling.avg_pool2d(np.ones((4, 4)), 2, padding="full"), "'full'"),
    (lambda: pooling.max_pool2d(np.ones((4, 4)), 2, stride=0), "stride"),
    (lambda: pooling.avg_pool2d(np.ones((4, 4)), 0), "pool_size"),
    (lambda: pooling.max_pool2d(np.ones((1, 4, 4, 1, 1))), r"\(N, H, W, C\).*\(1, 4, 4, 1, 1\)"),
])
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_changed_fraction_counts_only_inked_positions():
    a = np.array([[0, 0, 0], [0, 5, 7], [0, 0, 0]])
    b = np.array([[0, 0, 0], [0, 5, 0], [0, 0, 9]])
    assert pooling.changed_fraction(a, b) == 2 / 3  # 3 inked positions, 2 differ; the 6 blank ones ignored
    assert pooling.changed_fraction(a, a) == 0.0
    assert pooling.changed_fraction(np.zeros((2, 2)), np.zeros((2, 2))) == 0.0
    with pytest.raises(ValueError, match="shapes differ"):
        pooling.changed_fraction(a, b[:2])


def test_a_one_pixel_pool_with_stride_2_is_plain_subsampling():
    image = np.random.default_rng(4).integers(0, 256, (7, 9), dtype=np.uint8)
    np.testing.assert_array_equal(pooling.max_pool2d(image, pool_size=1, stride=2), image[::2, ::2])


def test_downsample_repeats_pooling_or_plain_subsampling():
    image = np.random.default_rng(5).integers(0, 256, (12, 12, 2), dtype=np.uint8)
    np.testing.assert_array_equal(pooling.downsample(image, "max", 2),
                                  pooling.max_pool2d(pooling.max_pool2d(image, 2), 2))
    np.testing.assert_array_equal(pooling.downsample(image, "subsample", 2), image[::4, ::4])
    np.testing.assert_allclose(pooling.downsample(image, "average"), image.reshape(6, 2, 6, 2, 2).mean(axis=(1, 3)),
                               rtol=TOLERANCE)
    np.testing.assert_array_equal(pooling.downsample(image, "max", 0), image)
    with pytest.raises(ValueError, match="method"):
        pooling.downsample(image, "min")
    with pytest.raises(ValueError, match="times"):
        pooling.downsample(image, times=-1)
