"""cnnlab.filters: kernel labels on synthetic edges, signed responses, agreement with cv2 and conv."""

import cv2
import numpy as np
import pytest

from cnnlab import conv, filters

TOLERANCE = 1e-3  # float32 sums of 0..255 pixels
DARK, BRIGHT = 20, 220


def vertical_step(dark_to_bright=True):
    """A 12x12 uint8 image whose left half and right half differ: one vertical edge."""
    image = np.full((12, 12), DARK, dtype=np.uint8)
    image[:, 6:] = BRIGHT
    return image if dark_to_bright else DARK + BRIGHT - image


def test_kernel_constants():
    assert set(filters.KERNELS) == set(filters.KERNEL_LABELS)
    for name, constant in filters.KERNELS.items():
        assert constant.dtype == np.float32 and constant.shape == (3, 3)
        assert not constant.flags.writeable, name
    np.testing.assert_array_equal(filters.SOBEL_X, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(filters.SOBEL_Y, filters.SOBEL_X.T)
    np.testing.assert_array_equal(filters.LAPLACIAN, [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    np.testing.assert_array_equal(filters.SHARPEN, [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    for blur in (filters.BOX_BLUR, filters.GAUSSIAN_BLUR):
        assert blur.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(filters.GAUSSIAN_BLUR * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_kernel_returns_a_writable_copy():
    sobel = filters.kernel("sobel_x")
    sobel[0, 0] = 99
    assert filters.SOBEL_X[0, 0] == -1


def test_sobel_x_finds_vertical_edges_and_sobel_y_horizontal_ones():
    image = vertical_step()
    along_x = filters.apply_kernel(image, filters.SOBEL_X)
    along_y = filters.apply_kernel(image, filters.SOBEL_Y)
    assert np.abs(along_x).max() == pytest.approx(4 * (BRIGHT - DARK))  # weights 1 + 2 + 1 times the step
    assert np.abs(along_y).max() == pytest.approx(0)
    # Turn the picture by 90 degrees: now the edge is horizontal and the roles swap.
    turned = np.ascontiguousarray(image.T)
    assert np.abs(filters.apply_kernel(turned, filters.SOBEL_Y)).max() == pytest.approx(4 * (BRIGHT - DARK))
    assert np.abs(filters.apply_kernel(turned, filters.SOBEL_X)).max() == pytest.approx(0)
    assert "vertical" in filters.describe("sobel_x") and "horizontal" in filters.describe("sobel_y")


def test_negative_responses_survive():
    rising = filters.apply_kernel(vertical_step(dark_to_bright=True), filters.SOBEL_X)
    falling = filters.apply_kernel(vertical_step(dark_to_bright=False), filters.SOBEL_X)
    assert rising.dtype == np.float32
    assert rising.max() > 0 and rising.min() == 0
    np.testing.assert_allclose(falling, -rising)  # a uint8 result would have clipped this to all zeros
    assert cv2.filter2D(vertical_step(False), -1, filters.SOBEL_X).max() == 0  # the seeds' mistake


@pytest.mark.parametrize("kernel_shape", [(3, 3), (2, 2), (3, 4), (5, 5)])
def test_valid_filtering_equals_corr2d(kernel_shape):
    random = np.random.default_rng(0)
    image = random.integers(0, 256, size=(9, 11), dtype=np.uint8)
    kernel = random.normal(size=kernel_shape).astype(np.float32)
    result = filters.apply_kernel(image, kernel, padding="valid")
    np.testing.assert_allclose(result, conv.corr2d(image, kernel), atol=TOLERANCE)
    # cv2.filter2D correlates; with a flipped kernel it gives the true convolution.
    flipped = filters.apply_kernel(image, kernel[::-1, ::-1].copy(), padding="valid")
    np.testing.assert_allclose(flipped, conv.conv2d(image, kernel), atol=TOLERANCE)


@pytest.mark.parametrize("name", sorted(filters.KERNELS))
def test_same_filtering_matches_cv2_and_zero_padded_corr2d(name):
    image = np.random.default_rng(1).integers(0, 256, size=(8, 10), dtype=np.uint8)
    np.testing.assert_allclose(filters.apply_kernel(image, filters.KERNELS[name]),
                               cv2.filter2D(image, cv2.CV_32F, filters.KERNELS[name]), atol=TOLERANCE)
    zero_border = filters.apply_kernel(image, filters.KERNELS[name], border=cv2.BORDER_CONSTANT)
    np.testing.assert_allclose(zero_border, conv.corr2d(image, filters.KERNELS[name], padding="same"),
                               atol=TOLERANCE)


def test_apply_kernel_filters_each_channel():
    image = np.random.default_rng(2).integers(0, 256, size=(6, 7, 3), dtype=np.uint8)
    result = filters.apply_kernel(image, filters.LAPLACIAN, padding="valid")
    assert result.shape == (4, 5, 3)
    for channel, plane in enumerate(filters.split_channels(image)):
        np.testing.assert_allclose(result[:, :, channel], filters.apply_kernel(plane, filters.LAPLACIAN, "valid"))
    assert filters.apply_kernel(image[:, :, :1], filters.LAPLACIAN).shape == (6, 7, 1)


def test_split_channels_are_views():
    image = np.zeros((4, 5, 3), dtype=np.uint8)
    red, green, blue = filters.split_channels(image)
    assert red.shape == (4, 5) and np.shares_memory(blue, image)
    green[0, 0] = 7
    assert image[0, 0, 1] == 7


def test_grayscale_uses_rgb_order_and_601_weights():
    image = np.random.default_rng(3).integers(0, 256, size=(5, 6, 3), dtype=np.uint8)
    gray = filters.to_grayscale(image)
    assert gray.dtype == np.uint8 and gray.shape == (5, 6)
    red, green, blue = (image[:, :, channel].astype(np.float32) for channel in range(3))
    expected = 0.299 * red + 0.587 * green + 0.114 * blue
    assert np.abs(gray - expected).max() <= 0.51  # rounded to the nearest integer
    pure_red = np.zeros((1, 1, 3), dtype=np.uint8)
    pure_red[..., 0] = 255
    assert filters.to_grayscale(pure_red)[0, 0] == 76  # round(0.299 * 255): red, not blue, is channel 0


def test_gaussian_kernel():
    size, sigma = 5, 1.2
    result = filters.gaussian_kernel(size, sigma)
    offsets = np.arange(size) - size // 2
    column = np.exp(-offsets ** 2 / (2 * sigma ** 2))
    expected = np.outer(column, column) / np.outer(column, column).sum()
    assert result.dtype == np.float32 and result.shape == (size, size)
    np.testing.assert_allclose(result, expected, atol=1e-6)


def test_edge_magnitude_and_display():
    magnitude = filters.edge_magnitude(np.array([3.0, -6.0]), np.array([-4, 8]))
    assert magnitude.dtype == np.float32
    np.testing.assert_allclose(magnitude, [5, 10])
    response = np.array([[-2.0, 0.0], [1.0, 2.0]], dtype=np.float32)
    assert filters.symmetric_limits(response) == (-2.0, 2.0)
    assert filters.symmetric_limits(np.zeros(3)) == (-1.0, 1.0)
    display = filters.to_display(response)
    assert display.dtype == np.uint8
    np.testing.assert_array_equal(display, [[0, 128], [191, 255]])  # 1.0 -> 127.5 + 63.75 = 191.25


@pytest.mark.parametrize("call, error, message", [
    (lambda: filters.kernel("scharr"), ValueError, "sobel_x"),
    (lambda: filters.apply_kernel(np.ones((4, 4), np.uint8), np.ones(3)), ValueError, r"kernel.*\(3,\)"),
    (lambda: filters.apply_kernel(np.ones((2, 4, 4, 1), np.uint8), filters.SOBEL_X),
     ValueError, r"\(2, 4, 4, 1\)"),
    (lambda: filters.apply_kernel(np.ones((0, 4), np.uint8), filters.SOBEL_X), ValueError, "non-empty"),
    (lambda: filters.apply_kernel(np.ones((4, 4)), filters.SOBEL_X), TypeError, "float64"),
    (lambda: filters.apply_kernel(np.ones((2, 4), np.uint8), filters.SOBEL_X, "valid"), ValueError, "fit"),
    (lambda: filters.apply_kernel(np.ones((4, 4), np.uint8), filters.SOBEL_X, "full"), ValueError, "'full'"),
    (lambda: filters.to_grayscale(np.ones((4, 4), np.uint8)), ValueError, r"\(H, W, 3\)"),
    (lambda: filters.gaussian_kernel(4, 1.0), ValueError, "odd"),
    (lambda: filters.gaussian_kernel(3, 0), ValueError, "sigma"),
    (lambda: filters.edge_magnitude(np.ones(3), np.ones(4)), ValueError, r"\(3,\).*\(4,\)"),
])
def test_bad_input_raises(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("name", ["sobel_x", "laplacian", "sharpen"])
def test_to_uint8_is_what_a_uint8_filter2d_returns(name):
    image = np.random.default_rng(3).integers(0, 256, (20, 24), dtype=np.uint8)
    response = filters.apply_kernel(image, filters.kernel(name))
    assert response.min() < 0 and response.max() > 255  # both ends get cut
    np.testing.assert_array_equal(filters.to_uint8(response), cv2.filter2D(image, -1, filters.kernel(name)))
