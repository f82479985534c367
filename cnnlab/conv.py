"""Convolution maths in plain NumPy: output sizes, padding, correlation and a Conv2D forward pass.

Conventions, the same as Keras:

- Images are (H, W) with one channel, (H, W, C) with several, (N, H, W, C) for a batch.
- Conv2D kernels are (kh, kw, C, F): height, width, input channels, filters.
- What deep learning calls "convolution" is cross-correlation: the kernel slides
  over the image unflipped. ``corr2d`` does that; ``conv2d`` flips the kernel
  first, as the maths books define convolution.
- ``padding`` is "valid" (none), "same" (output length ceil(n / stride), padded
  like Keras/TensorFlow with any odd pixel at the bottom/right) or an int p of
  zeros added on every side. Sizes are plain ints, one axis at a time.
- Integer inputs give exact int64 results (so worked examples print as
  integers); anything with floats is computed and returned in float32.
"""

import dataclasses

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnlab import _checks

PADDING_MODES = ("valid", "same")

# The 5x5 worked example of the seed notes; its valid correlation is [[12, 12, 17], [10, 17, 19], [9, 6, 14]].
EXAMPLE_IMAGE = np.array([[3, 3, 2, 1, 0],
                          [0, 0, 1, 3, 1],
                          [3, 1, 2, 2, 3],
                          [2, 0, 0, 2, 2],
                          [2, 0, 0, 0, 1]])
EXAMPLE_KERNEL = np.array([[0, 1, 2],
                           [2, 2, 0],
                           [0, 1, 2]])


def _check_padding(padding):
    """Return padding if it is "valid", "same" or an int >= 0; raise ValueError otherwise."""
    if (isinstance(padding, str) and padding in PADDING_MODES) or (_checks.is_int(padding) and padding >= 0):
        return padding
    raise ValueError(f"padding must be 'valid', 'same' or an int >= 0, got {padding!r}")


def _result_dtype(*arrays):
    """int64 when every input is integer (exact, no uint8 overflow), float32 otherwise."""
    if all(array.dtype.kind in "biu" for array in arrays):
        return np.dtype(np.int64)
    return np.dtype(np.float32)


def pad_for_window(images, kernel_shape, padding, strides, axes, fill=0):
    """Pad the two spatial axes of ``images`` for a kernel or pooling window, as padding and strides ask.

    ``axes`` names the height and width axes; ``fill`` is the value padded in (0, or the lowest
    value for max pooling). Raises ValueError naming the shapes when the window does not fit.
    """
    widths = [(0, 0)] * images.ndim
    try:
        for axis, size, stride in zip(axes, kernel_shape, strides):
            widths[axis] = padding_amounts(images.shape[axis], size, padding, stride)
    except ValueError as error:  # say which arrays did not fit, not just which numbers
        raise ValueError(f"{error} (input shape {images.shape}, window {tuple(kernel_shape)}, "
                         f"padding {padding!r})") from None
    return np.pad(images, widths, constant_values=fill)


def output_size(input_size, kernel_size, padding="valid", stride=1):
    """Return the output length on one axis: floor((n + 2p - k) / s) + 1, or ceil(n / s) for "same"."""
    input_size = _checks.positive_int(input_size, "input_size")
    kernel_size = _checks.positive_int(kernel_size, "kernel_size")
    stride = _checks.positive_int(stride, "stride")
    padding = _check_padding(padding)
    if padding == "same":
        return -(-input_size // stride)  # ceil(n / s) in integers
    padded_size = input_size + 2 * (0 if padding == "valid" else padding)
    if kernel_size > padded_size:
        raise ValueError(f"kernel size {kernel_size} is larger than the padded input size {padded_size}")
    return (padded_size - kernel_size) // stride + 1


def padding_amounts(input_size, kernel_size, padding="valid", stride=1):
    """Return the zeros (before, after) added on one axis; "same" puts an odd one after, like TensorFlow."""
    size = output_size(input_size, kernel_size, padding, stride)  # also validates every argument
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = max((size - 1) * stride + kernel_size - input_size, 0)
        return total // 2, total - total // 2
    return padding, padding


def pad(image, padding):
    """Zero-pad height and width of an (H, W) or (H, W, C) array: an int, or (top, bottom, left, right)."""
    image = _checks.numeric_array(image, "image", {2: "(H, W)", 3: "(H, W, C)"}, "pad")
    amounts = (padding,) * 4 if _checks.is_int(padding) else padding
    if not (isinstance(amounts, (tuple, list)) and len(amounts) == 4
            and all(_checks.is_int(amount) and amount >= 0 for amount in amounts)):
        raise ValueError(f"pad: padding must be an int >= 0 or (top, bottom, left, right), got {padding!r}")
    top, bottom, left, right = amounts
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (image.ndim - 2)
    return np.pad(image, widths)


def sliding_windows(image, kernel_size, stride=1):
    """Return an iterator of (row, col, window), one per kernel position on an (H, W) or (H, W, C) image.

    ``row, col`` index the output; the window's top-left pixel is
    ``(row * stride, col * stride)`` and the window is a view, not a copy.
    """
    image = _checks.numeric_array(image, "image", {2: "(H, W)", 3: "(H, W, C)"}, "sliding_windows")
    kernel_height, kernel_width = _checks.pair(kernel_size, "kernel_size")
    stride_y, stride_x = _checks.pair(stride, "stride")
    rows = output_size(image.shape[0], kernel_height, "valid", stride_y)
    cols = output_size(image.shape[1], kernel_width, "valid", stride_x)
    return ((row, col, image[row * stride_y:row * stride_y + kernel_height,
                             col * stride_x:col * stride_x + kernel_width])
            for row in range(rows) for col in range(cols))


def corr2d(image, kernel, stride=1, padding="valid"):
    """Cross-correlate an (H, W) image with a (kh, kw) kernel: the explicit loop Conv2D runs per channel."""
    image = _checks.numeric_array(image, "image", {2: "(H, W)"}, "corr2d")
    kernel = _checks.numeric_array(kernel, "kernel", {2: "(kh, kw)"}, "corr2d")
    dtype = _result_dtype(image, kernel)
    kernel = kernel.astype(dtype, copy=False)
    strides = _checks.pair(stride, "stride")
    padded = pad_for_window(image.astype(dtype, copy=False), kernel.shape, padding, strides, axes=(0, 1))
    output_size(padded.shape[0], kernel.shape[0], "valid", strides[0])  # raises if the kernel does not fit
    output_size(padded.shape[1], kernel.shape[1], "valid", strides[1])
    return corr2d_loop(padded, kernel, strides)


def corr2d_loop(image, kernel, stride=(1, 1)):
    """The loop at the heart of corr2d: slide the kernel, multiply element-wise, add up.

    No checks and no padding: corr2d does those and then calls this.
    """
    step_y, step_x = stride
    kernel_height, kernel_width = kernel.shape
    rows = (image.shape[0] - kernel_height) // step_y + 1
    cols = (image.shape[1] - kernel_width) // step_x + 1
    output = np.zeros((rows, cols), np.result_type(image, kernel))
    for row in range(rows):
        for col in range(cols):
            top, left = row * step_y, col * step_x
            window = image[top:top + kernel_height, left:left + kernel_width]
            output[row, col] = np.sum(window * kernel)
    return output


def conv2d(image, kernel, stride=1, padding="valid"):
    """True 2-D convolution: corr2d with the kernel flipped top-to-bottom and left-to-right."""
    kernel = _checks.numeric_array(kernel, "kernel", {2: "(kh, kw)"}, "conv2d")
    return corr2d(image, kernel[::-1, ::-1], stride, padding)


def conv2d_layer(images, kernels, bias=None, stride=1, padding="valid"):
    """Forward pass of keras Conv2D: images (N, H, W, C) or (H, W, C), kernels (kh, kw, C, F).

    Returns (N, out_h, out_w, F), or (out_h, out_w, F) for a single image.
    """
    images = _checks.numeric_array(images, "images", {3: "(H, W, C)", 4: "(N, H, W, C)"}, "conv2d_layer")
    kernels = _checks.numeric_array(kernels, "kernels", {4: "(kh, kw, C, F)"}, "conv2d_layer")
    if images.shape[-1] != kernels.shape[2]:
        raise ValueError(f"conv2d_layer: images have {images.shape[-1]} channels (shape {images.shape}) "
                         f"but kernels expect {kernels.shape[2]} "
                         f"(shape {kernels.shape}, layout (kh, kw, C, F))")
    inputs = [images, kernels]
    if bias is not None:
        bias = _checks.numeric_array(bias, "bias", {1: "(F,)"}, "conv2d_layer")
        if bias.shape[0] != kernels.shape[3]:
            raise ValueError(f"conv2d_layer: bias shape {bias.shape} does not match "
                             f"{kernels.shape[3]} filters (kernels shape {kernels.shape})")
        inputs.append(bias)
    dtype = _result_dtype(*inputs)
    batch = images[np.newaxis] if images.ndim == 3 else images
    stride_y, stride_x = _checks.pair(stride, "stride")
    padded = pad_for_window(batch.astype(dtype, copy=False), kernels.shape[:2], padding,
                      (stride_y, stride_x), axes=(1, 2))
    # Every window at once as a (N, out_h, out_w, C, kh, kw) view: no pixel is copied.
    windows = sliding_window_view(padded, kernels.shape[:2], axis=(1, 2))[:, ::stride_y, ::stride_x]
    # Each output value sums window * kernel over kh, kw and C, once per filter f.
    output = np.einsum("nhwcij,ijcf->nhwf", windows, kernels.astype(dtype, copy=False))
    if bias is not None:
        output += bias.astype(dtype, copy=False)
    return output[0] if images.ndim == 3 else output


@dataclasses.dataclass(frozen=True)
class ReceptiveField:
    """Which input pixels can influence one output position of a layer (along one axis).

    Output position ``i`` sees input pixels ``offset + i * jump`` up to
    ``offset + i * jump + size - 1``; a negative start means part of the
    field lies in the zero padding outside the image.
    """

    size: int = 1
    jump: int = 1
    offset: int = 0

    def first_pixel(self, index):
        """The first input pixel seen by output position ``index``."""
        return self.offset + index * self.jump


def grow_receptive_field(field, kernel_size, stride=1, dilation=1, padding="valid"):
    """The receptive field after one more sliding-window layer (convolution or pooling)."""
    extent = dilation * (kernel_size - 1) + 1
    # "same" pads max(extent - stride, 0) in total, the smaller half first, as padding_amounts does
    # (exact when the input size is a multiple of the stride, as in cnnlab's models).
    before = max(extent - stride, 0) // 2 if padding == "same" else 0
    return ReceptiveField(size=field.size + (extent - 1) * field.jump, jump=field.jump * stride,
                          offset=field.offset - before * field.jump)
