"""cnnlab.params against the parameter counts in NOTES.md and against Keras layers."""

import keras
import pytest

from cnnlab.conv import output_size
from cnnlab.params import conv2d_macs, conv2d_params, dense_macs, dense_params


def conv_pool_size(size, stages, padding="valid"):
    """Spatial size after `stages` of (3x3 conv, 2x2 max pool), computed with the shared formula."""
    for _ in range(stages):
        size = output_size(output_size(size, 3, padding), 2, "valid", 2)
    return size


def test_mnist_cnn_64_64_128():
    flat = conv_pool_size(28, 2) ** 2 * 64  # 28 -> 26 -> 13 -> 11 -> 5
    assert flat == 1600
    counts = [conv2d_params(3, 1, 64), conv2d_params(3, 64, 64), dense_params(flat, 128), dense_params(128, 10)]
    assert counts == [640, 36_928, 204_928, 1_290]
    assert sum(counts) == 243_786


def test_conv_32_64_64_dense_64():
    flat = output_size(conv_pool_size(28, 2), 3) ** 2 * 64  # a third conv: 5 -> 3, so 3 * 3 * 64 = 576
    assert flat == 576
    counts = [conv2d_params(3, 1, 32), conv2d_params(3, 32, 64), conv2d_params(3, 64, 64),
              dense_params(flat, 64), dense_params(64, 10)]
    assert counts == [320, 18_496, 36_928, 36_928, 650]
    assert sum(counts) == 93_322


def test_lenet_like_6_16():
    flat = conv_pool_size(28, 2) ** 2 * 16  # 5 x 5 x 16 = 400, not the seed's 26 x 26 x 1 = 676
    assert flat == 400
    counts = [conv2d_params(3, 1, 6), conv2d_params(3, 6, 16), dense_params(flat, 128), dense_params(128, 10)]
    assert counts == [60, 880, 51_328, 1_290]


def test_same_padding_32_64():
    flat = conv_pool_size(28, 2, padding="same") ** 2 * 64  # 28 -> 14 -> 7
    assert flat == 3136
    counts = [conv2d_params(3, 1, 32), conv2d_params(3, 32, 64), dense_params(flat, 64), dense_params(64, 10)]
    assert counts == [320, 18_496, 200_768, 650]
    assert sum(counts) == 220_234


def test_cifar10_model():
    size = 32
    for _ in range(3):  # 2x2 "same" convs keep the size, each 2x2 pool halves it: 32 -> 4
        size = output_size(output_size(size, 2, "same"), 2, "valid", 2)
    flat = size * size * 64
    counts = [conv2d_params((2, 2), 3, 16), conv2d_params(2, 16, 32), conv2d_params(2, 32, 64),
              dense_params(flat, 500), dense_params(500, 10)]
    assert counts == [208, 2_080, 8_256, 512_500, 5_010]
    assert sum(counts) == 528_054


def test_mlp():
    counts = [dense_params(784, 512), dense_params(512, 512), dense_params(512, 10)]
    assert counts == [401_920, 262_656, 5_130]
    assert sum(counts) == 669_706


def test_use_bias_false():
    assert conv2d_params((3, 5), 2, 4, use_bias=False) == 3 * 5 * 2 * 4
    assert dense_params(10, 3, use_bias=False) == 30


@pytest.mark.parametrize("kernel_size, in_channels, filters, use_bias", [
    (3, 64, 64, True), ((2, 3), 3, 16, True), (5, 1, 6, False)])
def test_conv2d_params_match_keras(kernel_size, in_channels, filters, use_bias):
    layer = keras.layers.Conv2D(filters, kernel_size, use_bias=use_bias)
    layer.build((None, 13, 13, in_channels))
    assert conv2d_params(kernel_size, in_channels, filters, use_bias) == layer.count_params()


@pytest.mark.parametrize("inputs, units", [(1600, 128), (1024, 500)])
def test_dense_params_match_keras(inputs, units):
    layer = keras.layers.Dense(units)
    layer.build((None, inputs))
    assert dense_params(inputs, units) == layer.count_params()


@pytest.mark.parametrize("size, kernel_size, in_channels, filters, padding, stride", [
    (28, 3, 1, 64, "valid", 1), ((13, 9), (2, 3), 64, 8, "same", 2), (32, 5, 3, 16, "valid", 2)])
def test_conv2d_macs_count_one_product_per_weight_per_output_value(size, kernel_size, in_channels, filters,
                                                                   padding, stride):
    height, width = (size, size) if isinstance(size, int) else size
    layer = keras.layers.Conv2D(filters, kernel_size, strides=stride, padding=padding)
    _, rows, cols, channels = layer.compute_output_shape((None, height, width, in_channels))
    per_value = conv2d_params(kernel_size, in_channels, 1, use_bias=False)  # kh * kw * C products
    assert conv2d_macs(size, kernel_size, in_channels, filters, padding, stride) == rows * cols * channels * per_value


def test_conv_compute_grows_with_the_image_but_its_parameters_do_not():
    small, large = conv2d_macs(28, 3, 1, 64), conv2d_macs(280, 3, 1, 64)
    assert small == 26 * 26 * 9 * 64 and large == 278 * 278 * 9 * 64
    assert dense_macs(1000 * 1000, 1000) == 10 ** 9  # one multiply-add per weight
    assert conv2d_macs(1000, 3, 1, 1000) > dense_macs(1000 * 1000, 1000)  # fewer weights, more arithmetic


@pytest.mark.parametrize("call, message", [
    (lambda: conv2d_params(0, 1, 8), "kernel_size"),
    (lambda: conv2d_params((3, 3, 3), 1, 8), "kernel_size"),
    (lambda: conv2d_params(3, 1.5, 8), "in_channels"),
    (lambda: dense_params(-4, 10), "inputs"),
    (lambda: dense_params(4, True), "units"),
])
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
