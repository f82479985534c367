"""cnnlab.conv against the worked examples in NOTES.md and against keras.layers.Conv2D."""

import inspect

import keras
import numpy as np
import pytest

from cnnlab import conv

# Worked examples from the seed notes (NOTES.md), valid padding, stride 1.
EXAMPLE_1 = ([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]],
             [[0, 1, 2], [2, 2, 0], [0, 1, 2]],
             [[12, 12, 17], [10, 17, 19], [9, 6, 14]])
EXAMPLE_2 = ([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]],
             [[1, 0, 1], [0, 1, 0], [1, 0, 1]],
             [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
TOLERANCE = 1e-4


def keras_conv2d(images, kernels, bias=None, stride=1, padding="valid"):
    """Run a keras Conv2D with the given weights on an (N, H, W, C) batch."""
    layer = keras.layers.Conv2D(kernels.shape[-1], kernels.shape[:2], strides=stride, padding=padding,
                                use_bias=bias is not None)
    layer.build(images.shape)
    layer.set_weights([kernels] if bias is None else [kernels, bias])
    return keras.ops.convert_to_numpy(layer(images))


@pytest.mark.parametrize("image, kernel, expected", [EXAMPLE_1, EXAMPLE_2])
def test_notes_worked_examples(image, kernel, expected):
    result = conv.corr2d(image, kernel)
    np.testing.assert_array_equal(result, expected)
    assert result.dtype.kind == "i"  # integer inputs print as integers
    # The vectorised layer gives the same numbers with one channel and one filter.
    layer_result = conv.conv2d_layer(np.array(image)[:, :, None], np.array(kernel)[:, :, None, None])
    np.testing.assert_array_equal(layer_result[:, :, 0], expected)


@pytest.mark.parametrize("input_size, kernel_size, padding, stride, expected", [
    (28, 3, "valid", 1, 26),   # the MNIST first conv layer
    (13, 3, "valid", 1, 11),
    (28, 3, "same", 1, 28),    # "same" keeps the size at stride 1
    (28, 2, "same", 1, 28),
    (28, 3, "same", 2, 14),
    (27, 3, "same", 2, 14),    # ceil(27 / 2)
    (28, 3, "valid", 2, 13),   # floor(25 / 2) + 1
    (28, 3, 1, 1, 28),         # one pixel of zeros each side
    (5, 3, 2, 2, 4),           # floor((5 + 4 - 3) / 2) + 1
])
def test_output_size(input_size, kernel_size, padding, stride, expected):
    assert conv.output_size(input_size, kernel_size, padding, stride) == expected


@pytest.mark.parametrize("size, stride", [(5, 1), (6, 1), (7, 2), (8, 2), (8, 3)])
@pytest.mark.parametrize("kernel_size", [1, 2, 3, 4])
def test_same_padding_gives_the_formula_size(size, stride, kernel_size):
    before, after = conv.padding_amounts(size, kernel_size, "same", stride)
    assert after - before in (0, 1)  # any odd pixel goes at the end, as in TensorFlow
    padded_output = conv.output_size(size + before + after, kernel_size, "valid", stride)
    assert padded_output == conv.output_size(size, kernel_size, "same", stride)


def test_pad_int_and_tuple():
    image = np.arange(1, 7, dtype=np.uint8).reshape(2, 3)
    padded = conv.pad(image, 1)
    assert padded.shape == (4, 5) and padded.dtype == np.uint8
    np.testing.assert_array_equal(padded[1:-1, 1:-1], image)
    assert padded.sum() == image.sum()  # the border is zeros
    padded = conv.pad(np.ones((2, 3, 4)), (1, 0, 2, 3))
    assert padded.shape == (3, 8, 4)
    np.testing.assert_array_equal(padded[1:, 2:5], 1)
    assert padded.sum() == 2 * 3 * 4


def test_sliding_windows_positions():
    image = np.arange(30).reshape(5, 6)
    windows = list(conv.sliding_windows(image, (2, 3), stride=2))
    assert [(row, col) for row, col, _ in windows] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    for row, col, window in windows:
        np.testing.assert_array_equal(window, image[2 * row:2 * row + 2, 2 * col:2 * col + 3])


def test_conv2d_flips_the_kernel():
    # Convolving an impulse reproduces the kernel; correlating it gives the kernel rotated by 180 degrees.
    impulse = np.zeros((5, 5), dtype=np.int64)
    impulse[2, 2] = 1
    kernel = np.arange(1, 10).reshape(3, 3)
    np.testing.assert_array_equal(conv.conv2d(impulse, kernel), kernel)
    np.testing.assert_array_equal(conv.corr2d(impulse, kernel), kernel[::-1, ::-1])


def test_result_dtypes():
    image = np.arange(16, dtype=np.uint8).reshape(4, 4) * 16
    ones = np.ones((2, 2), dtype=np.uint8)
    result = conv.corr2d(image, ones)
    assert result.dtype == np.int64
    assert result[-1, -1] == image[2:, 2:].astype(np.int64).sum() == 800  # no uint8 overflow
    assert conv.corr2d(image, ones.astype(np.float32)).dtype == np.float32
    assert conv.corr2d(image.astype(np.float64), ones.astype(np.float64)).dtype == np.float32
    assert conv.conv2d_layer(image[:, :, None], np.ones((2, 2, 1, 1), np.float32)).dtype == np.float32


@pytest.mark.parametrize("kernel_shape", [(3, 3), (2, 2), (4, 4), (2, 3)])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_corr2d_matches_keras(kernel_shape, stride, padding):
    random = np.random.default_rng(0)
    image = random.normal(size=(7, 8)).astype(np.float32)
    kernel = random.normal(size=kernel_shape).astype(np.float32)
    expected = keras_conv2d(image[None, :, :, None], kernel[:, :, None, None], stride=stride, padding=padding)
    result = conv.corr2d(image, kernel, stride=stride, padding=padding)
    np.testing.assert_allclose(result, expected[0, :, :, 0], atol=TOLERANCE)


@pytest.mark.parametrize("kernel_size", [(3, 3), (2, 2), (3, 2)])
@pytest.mark.parametrize("stride", [1, 2, (1, 2)])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv2d_layer_matches_keras(kernel_size, stride, padding):
    random = np.random.default_rng(1)
    images = random.normal(size=(2, 9, 8, 3)).astype(np.float32)
    kernels = random.normal(size=(*kernel_size, 3, 4)).astype(np.float32)
    bias = random.normal(size=4).astype(np.float32)
    expected = keras_conv2d(images, kernels, bias, stride, padding)
    result = conv.conv2d_layer(images, kernels, bias, stride, padding)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, expected, atol=TOLERANCE)
    # A single (H, W, C) image gives that image's slice of the batch result.
    np.testing.assert_allclose(conv.conv2d_layer(images[1], kernels, bias, stride, padding), expected[1],
                               atol=TOLERANCE)


def test_conv2d_layer_is_corr2d_summed_over_channels():
    random = np.random.default_rng(2)
    image = random.integers(0, 256, size=(6, 7, 3), dtype=np.uint8)
    kernels = random.integers(-3, 4, size=(3, 3, 3, 2))
    result = conv.conv2d_layer(image, kernels, padding=1)
    for filter_index in range(2):
        expected = sum(conv.corr2d(image[:, :, channel], kernels[:, :, channel, filter_index], padding=1)
                       for channel in range(3))
        np.testing.assert_array_equal(result[:, :, filter_index], expected)


@pytest.mark.parametrize("call, message", [
    (lambda: conv.corr2d(np.ones((4, 4, 1)), np.ones((3, 3))), r"\(H, W\).*\(4, 4, 1\)"),
    (lambda: conv.corr2d(np.ones((4, 4)), np.ones(3)), r"kernel.*\(3,\)"),
    (lambda: conv.corr2d(np.ones((2, 4)), np.ones((3, 3))), "larger than the padded input"),
    (lambda: conv.corr2d(np.ones((4, 4)), np.ones((3, 3)), stride=0), "stride"),
    (lambda: conv.corr2d(np.ones((4, 4)), np.ones((3, 3)), padding="full"), "'full'"),
    (lambda: conv.corr2d(np.ones((0, 4)), np.ones((3, 3))), "empty"),
    (lambda: conv.conv2d_layer(np.ones((5, 5, 3)), np.ones((3, 3, 1, 8))),
     r"3 channels.*\(5, 5, 3\).*expect 1.*\(3, 3, 1, 8\)"),
    (lambda: conv.conv2d_layer(np.ones((5, 5)), np.ones((3, 3, 1, 8))), r"\(5, 5\)"),
    (lambda: conv.conv2d_layer(np.ones((5, 5, 1)), np.ones((3, 3, 1, 8)), bias=np.ones(4)), "bias"),
    (lambda: conv.output_size(28, 3, padding=-1), "padding"),
    (lambda: conv.pad(np.ones((3, 3)), (1, 2)), "top, bottom, left, right"),
    (lambda: conv.sliding_windows(np.ones((3, 3)), 4), "larger"),  # raised at the call, not on iteration
])
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_non_numeric_input_raises_type_error():
    with pytest.raises(TypeError, match="dtype"):
        conv.corr2d([["a", "b"], ["c", "d"]], np.ones((1, 1)))


def test_example_is_the_notes_worked_example():
    np.testing.assert_array_equal(conv.corr2d(conv.EXAMPLE_IMAGE, conv.EXAMPLE_KERNEL),
                                  [[12, 12, 17], [10, 17, 19], [9, 6, 14]])


def test_receptive_field_grows_by_kernel_minus_one_steps():
    field = conv.ReceptiveField()
    for kernel_size, stride in [(3, 1), (2, 2), (3, 1)]:  # conv, pool, conv: 3, then 4 at step 2, then 8
        field = conv.grow_receptive_field(field, kernel_size, stride)
    assert (field.size, field.jump, field.offset) == (8, 2, 0)
    same = conv.grow_receptive_field(conv.ReceptiveField(), 3, 1, padding="same")
    assert same.offset == -conv.padding_amounts(5, 3, "same")[0]  # the window starts in the padding
    assert conv.grow_receptive_field(conv.ReceptiveField(), 3, dilation=2).size == 5


def test_corr2d_loop_is_the_short_core_that_corr2d_runs(monkeypatch):
    np.testing.assert_array_equal(conv.corr2d_loop(conv.EXAMPLE_IMAGE, conv.EXAMPLE_KERNEL),
                                  [[12, 12, 17], [10, 17, 19], [9, 6, 14]])
    np.testing.assert_array_equal(conv.corr2d_loop(conv.EXAMPLE_IMAGE, conv.EXAMPLE_KERNEL, (2, 2)),
                                  [[12, 17], [9, 14]])
    calls = []
    original = conv.corr2d_loop
    monkeypatch.setattr(conv, "corr2d_loop", lambda *args: calls.append(args) or original(*args))
    conv.corr2d(conv.EXAMPLE_IMAGE, conv.EXAMPLE_KERNEL, padding="same")
    assert len(calls) == 1 and calls[0][0].shape == (7, 7)  # corr2d pads, then runs the loop
    # What notebook 02 prints: the two loops and the sum, not argument checks.
    source = inspect.getsource(original)
    assert source.count("for ") == 2 and "np.sum(window * kernel)" in source and "raise" not in source
    assert len(source.splitlines()) <= 16
