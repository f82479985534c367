"""Count layer parameters by hand, the way model.summary() does, without importing Keras.

A Conv2D layer has one (kh, kw, in_channels) kernel per filter plus one bias per
filter; it does not depend on the image's height and width (parameter sharing).
A Dense layer has one weight per input per unit plus one bias per unit.

Compute is another matter: a Conv2D layer uses each of its weights once per
output position, so its multiply-adds grow with the image while its parameter
count does not.
"""

from cnnlab import _checks
from cnnlab.conv import output_size


def conv2d_params(kernel_size, in_channels, filters, use_bias=True):
    """Return the parameter count of Conv2D: kh * kw * in_channels * filters (+ filters biases)."""
    kernel_height, kernel_width = _checks.pair(kernel_size, "kernel_size")
    in_channels = _checks.positive_int(in_channels, "in_channels")
    filters = _checks.positive_int(filters, "filters")
    return kernel_height * kernel_width * in_channels * filters + (filters if use_bias else 0)


def dense_params(inputs, units, use_bias=True):
    """Return the parameter count of Dense: inputs * units (+ units biases)."""
    inputs = _checks.positive_int(inputs, "inputs")
    units = _checks.positive_int(units, "units")
    return inputs * units + (units if use_bias else 0)


def conv2d_macs(input_size, kernel_size, in_channels, filters, padding="valid", stride=1):
    """Return the multiply-adds of one Conv2D forward pass on one (H, W, in_channels) image.

    Every output value, out_h * out_w * filters of them, sums kh * kw * in_channels
    products; the bias additions are not counted. ``input_size`` is H or (H, W).
    """
    height, width = _checks.pair(input_size, "input_size")
    kernel_height, kernel_width = _checks.pair(kernel_size, "kernel_size")
    stride_y, stride_x = _checks.pair(stride, "stride")
    rows = output_size(height, kernel_height, padding, stride_y)
    cols = output_size(width, kernel_width, padding, stride_x)
    weights = conv2d_params(kernel_size, in_channels, filters, use_bias=False)  # kh * kw * C * F
    return rows * cols * weights


def dense_macs(inputs, units):
    """Return the multiply-adds of one Dense forward pass on one example: one per weight."""
    return dense_params(inputs, units, use_bias=False)
