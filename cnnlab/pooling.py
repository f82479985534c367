"""Max and average pooling in NumPy, matching keras MaxPooling2D and AveragePooling2D.

Images are (H, W), (H, W, C) or (N, H, W, C); each channel is pooled on its own.
The stride defaults to the pool size, so windows do not overlap. Output sizes
follow the convolution formula (``output_size``, re-exported from cnnlab.conv):
"valid" rounds down (26 -> 13, 13 -> 6, 11 -> 5), "same" gives ceil(n / stride).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnlab import _checks
from cnnlab.conv import output_size, pad_for_window  # noqa: F401  (output_size re-exported)

POOL_PADDING_MODES = ("valid", "same")  # Keras pooling has no integer padding
IMAGE_LAYOUTS = {2: "(H, W)", 3: "(H, W, C)", 4: "(N, H, W, C)"}


def _as_batch(image):
    """View (H, W), (H, W, C) or (N, H, W, C) as (N, H, W, C), so one code path pools them all."""
    if image.ndim == 2:
        return image[np.newaxis, :, :, np.newaxis]
    if image.ndim == 3:
        return image[np.newaxis]
    return image


def _restore_layout(output, ndim):
    """Undo _as_batch: (N, out_h, out_w, C) back to the input's number of dimensions."""
    if ndim == 2:
        return output[0, :, :, 0]
    if ndim == 3:
        return output[0]
    return output


def _pooling_windows(image, pool_size, stride, padding, fill, where):
    """Return the (N, out_h, out_w, C, ph, pw) windows of image, padded with fill where "same" needs it."""
    if not (isinstance(padding, str) and padding in POOL_PADDING_MODES):
        raise ValueError(f"{where}: padding must be 'valid' or 'same', got {padding!r}")
    pool = _checks.pair(pool_size, "pool_size")
    strides = pool if stride is None else _checks.pair(stride, "stride")
    padded = pad_for_window(_as_batch(image), pool, padding, strides, axes=(1, 2), fill=fill)
    return sliding_window_view(padded, pool, axis=(1, 2))[:, ::strides[0], ::strides[1]]


def max_pool2d(image, pool_size=2, stride=None, padding="valid"):
    """Keep the largest value of each pooling window; the dtype is kept (uint8 stays uint8)."""
    image = _checks.numeric_array(image, "image", IMAGE_LAYOUTS, "max_pool2d")
    # Padding takes the lowest possible value so it never wins the max (Keras does the same).
    if image.dtype.kind == "f":
        lowest = -np.inf
    elif image.dtype.kind == "b":
        lowest = False
    else:
        lowest = np.iinfo(image.dtype).min
    windows = _pooling_windows(image, pool_size, stride, padding, lowest, "max_pool2d")
    return _restore_layout(windows.max(axis=(-2, -1)), image.ndim)


def avg_pool2d(image, pool_size=2, stride=None, padding="valid"):
    """Average each pooling window in float32; with "same", padding is left out of the mean, as in Keras."""
    image = _checks.numeric_array(image, "image", IMAGE_LAYOUTS, "avg_pool2d")
    sums = _pooling_windows(image.astype(np.float32, copy=False), pool_size, stride, padding, 0,
                            "avg_pool2d").sum(axis=(-2, -1))
    # Pool a map of ones the same way to count the real (unpadded) pixels in each window.
    height_width = image.shape[1:3] if image.ndim == 4 else image.shape[:2]
    ones = np.ones(height_width, np.float32)
    counts = _pooling_windows(ones, pool_size, stride, padding, 0, "avg_pool2d").sum(axis=(-2, -1))
    return _restore_layout(sums / counts, image.ndim)


def changed_fraction(a, b):
    """Return the share of inked positions where two same-shape maps differ, from 0.0 to 1.0.

    A position counts when either map is non-zero there: the empty background of
    a digit would otherwise make every map look unchanged.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"changed_fraction: shapes differ, {a.shape} and {b.shape}")
    ink = (a != 0) | (b != 0)
    return float(((a != b) & ink).sum() / ink.sum()) if ink.any() else 0.0


DOWNSAMPLE_METHODS = ("max", "average", "subsample")


def downsample(image, method="max", times=1):
    """Halve an (H, W) or (H, W, C) image `times` times in a row, each time with 2x2 windows and stride 2.

    ``method`` is "max" (max pooling), "average" (average pooling) or
    "subsample", which keeps the top-left pixel of each 2x2 block and drops the
    other three (a 1x1 pool with stride 2): the control that shrinks a map as
    much as pooling does, without taking a maximum. ``times=0`` returns the image.
    """
    if method not in DOWNSAMPLE_METHODS:
        raise ValueError(f"downsample: method must be one of {DOWNSAMPLE_METHODS}, got {method!r}")
    for _ in range(_checks.non_negative_int(times, "times", "downsample")):
        if method == "max":
            image = max_pool2d(image, 2)
        elif method == "average":
            image = avg_pool2d(image, 2)
        else:
            image = max_pool2d(image, pool_size=1, stride=2)
    return np.asarray(image)
