"""Count layer parameters by hand, the way model.summary() does, without importing Keras.

A Conv2D layer has one (kh, kw, in_channels) kernel per filter plus one bias per
filter; it does not depend on the image's height and width (parameter sharing).
A Dense layer has one weight per input per unit plus one bias per unit.
"""

from cnnlab.conv import _pair, _positive_int


def conv2d_params(kernel_size, in_channels, filters, use_bias=True):
    """Return the parameter count of Conv2D: kh * kw * in_channels * filters (+ filters biases)."""
    kernel_height, kernel_width = _pair(kernel_size, "kernel_size")
    in_channels = _positive_int(in_channels, "in_channels")
    filters = _positive_int(filters, "filters")
    return kernel_height * kernel_width * in_channels * filters + (filters if use_bias else 0)


def dense_params(inputs, units, use_bias=True):
    """Return the parameter count of Dense: inputs * units (+ units biases)."""
    inputs = _positive_int(inputs, "inputs")
    units = _positive_int(units, "units")
    return inputs * units + (units if use_bias else 0)
