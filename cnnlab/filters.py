"""Classic image kernels and OpenCV filtering helpers for the edge-detection notebooks.

``cv2.filter2D`` computes correlation (the kernel is not flipped), like Keras
Conv2D and ``cnnlab.conv.corr2d``. ``apply_kernel`` always asks it for float32
output (``cv2.CV_32F``): filtering a uint8 image into uint8 clips every negative
response to 0 and loses half of the edges.

Images are RGB (the order of matplotlib and the Keras datasets), not the BGR
that ``cv2.imread`` returns.
"""

import cv2
import numpy as np

# Source dtypes cv2.filter2D can turn into float32 output.
FILTER_DTYPES = (np.uint8, np.uint16, np.int16, np.float32)
GRAYSCALE_DTYPES = (np.uint8, np.float32)
DISPLAY_MAX = 255


def _constant(rows, scale=1.0):
    """A read-only float32 kernel, so a module constant cannot be changed by accident."""
    kernel = np.asarray(rows, dtype=np.float32) * np.float32(scale)
    kernel.flags.writeable = False
    return kernel


# Sobel x measures the intensity change along x (left to right): it responds to VERTICAL edges.
SOBEL_X = _constant([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
# Sobel y measures the intensity change along y (top to bottom): it responds to HORIZONTAL edges.
SOBEL_Y = _constant([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
LAPLACIAN = _constant([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
SHARPEN = _constant([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
BOX_BLUR = _constant(np.ones((3, 3)), 1 / 9)
GAUSSIAN_BLUR = _constant([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16)
EMBOSS = _constant([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
OUTLINE = _constant([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])

KERNELS = {
    "sobel_x": SOBEL_X,
    "sobel_y": SOBEL_Y,
    "laplacian": LAPLACIAN,
    "sharpen": SHARPEN,
    "box_blur": BOX_BLUR,
    "gaussian_blur": GAUSSIAN_BLUR,
    "emboss": EMBOSS,
    "outline": OUTLINE,
}

KERNEL_LABELS = {
    "sobel_x": "vertical edges (left-right intensity change)",
    "sobel_y": "horizontal edges (top-bottom intensity change)",
    "laplacian": "edges in every direction (second derivative)",
    "sharpen": "sharpen (each pixel boosted against its neighbours)",
    "box_blur": "blur (plain mean of the 3x3 neighbourhood)",
    "gaussian_blur": "smooth blur (mean weighted towards the centre)",
    "emboss": "emboss (relief along the diagonal)",
    "outline": "outlines (edges in every direction)",
}


def _check_name(name):
    """Raise ValueError unless name is a key of KERNELS."""
    if name not in KERNELS:
        raise ValueError(f"unknown kernel {name!r}; known kernels: {', '.join(KERNELS)}")


def kernel(name):
    """Return a writable float32 copy of the named kernel, e.g. kernel("sobel_x")."""
    _check_name(name)
    return KERNELS[name].copy()


def describe(name):
    """Return the teaching label of a kernel, e.g. "sobel_x: vertical edges (left-right intensity change)"."""
    _check_name(name)
    return f"{name}: {KERNEL_LABELS[name]}"


def gaussian_kernel(size, sigma):
    """Return a (size, size) float32 Gaussian kernel that sums to 1, built with cv2.getGaussianKernel."""
    if not isinstance(size, (int, np.integer)) or size < 1 or size % 2 == 0:
        raise ValueError(f"gaussian_kernel: size must be an odd integer >= 1, got {size!r}")
    if not sigma > 0:
        raise ValueError(f"gaussian_kernel: sigma must be > 0, got {sigma!r}")
    column = cv2.getGaussianKernel(int(size), float(sigma), ktype=cv2.CV_32F)  # (size, 1), sums to 1
    return column @ column.T  # a 2-D Gaussian is the outer product of two 1-D ones


def to_grayscale(image):
    """Convert an RGB (H, W, 3) image to (H, W) with ITU-R 601 weights: 0.299 R + 0.587 G + 0.114 B.

    uint8 in gives uint8 out (rounded); float32 in gives float32 out.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.size == 0:
        raise ValueError(f"to_grayscale: image must be RGB (H, W, 3), got shape {image.shape}")
    if image.dtype not in GRAYSCALE_DTYPES:
        raise TypeError(f"to_grayscale: image dtype must be uint8 or float32, got {image.dtype}")
    return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)


def split_channels(image):
    """Return the channels of an (H, W, C) image as C views of shape (H, W): (r, g, b) for RGB."""
    image = np.asarray(image)
    if image.ndim != 3:
        raise ValueError(f"split_channels: image must be (H, W, C), got shape {image.shape}")
    return tuple(image[:, :, channel] for channel in range(image.shape[2]))


def apply_kernel(image, kernel, padding="same", border=cv2.BORDER_REFLECT_101):
    """Correlate an image with a 2-D kernel via cv2.filter2D, in float32 so negative responses survive.

    Parameters
    ----------
    image : array of shape (H, W) or (H, W, C), dtype uint8, uint16, int16 or float32
        Each channel is filtered on its own.
    kernel : array of shape (kh, kw)
    padding : "same" or "valid"
        "same" keeps (H, W), filling the border as ``border`` says (OpenCV's
        default mirrors it; ``cv2.BORDER_CONSTANT`` pads zeros, like
        ``conv.corr2d(..., padding="same")`` for odd kernels). "valid" keeps
        only the positions where the kernel fits inside the image:
        (H - kh + 1, W - kw + 1), equal to ``conv.corr2d(..., padding="valid")``.
    border : int
        An OpenCV border mode, used by "same" only.

    Returns
    -------
    float32 array of shape (H, W) or (H, W, C) for "same", smaller for "valid".
    """
    image = np.asarray(image)
    kernel = np.asarray(kernel)
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(f"apply_kernel: image must be a non-empty (H, W) or (H, W, C), "
                         f"got shape {image.shape}")
    if image.dtype not in FILTER_DTYPES:
        raise TypeError(f"apply_kernel: image dtype must be uint8, uint16, int16 or float32, "
                        f"got {image.dtype}")
    if kernel.ndim != 2 or kernel.size == 0:
        raise ValueError(f"apply_kernel: kernel must be a non-empty (kh, kw), got shape {kernel.shape}")
    if padding not in ("same", "valid"):
        raise ValueError(f"apply_kernel: padding must be 'same' or 'valid', got {padding!r}")
    kernel_height, kernel_width = kernel.shape
    if padding == "valid" and (kernel_height > image.shape[0] or kernel_width > image.shape[1]):
        raise ValueError(f"apply_kernel: kernel {kernel.shape} does not fit inside image {image.shape}")
    response = cv2.filter2D(np.ascontiguousarray(image), cv2.CV_32F, kernel.astype(np.float32),
                            borderType=border)
    response = response.reshape(image.shape)  # cv2 drops a channel axis of length 1
    if padding == "same":
        return response
    # cv2 anchors the kernel at (kh // 2, kw // 2): crop to where it lies wholly inside the image.
    top, left = kernel_height // 2, kernel_width // 2
    rows, cols = image.shape[0] - kernel_height + 1, image.shape[1] - kernel_width + 1
    return response[top:top + rows, left:left + cols]


def to_uint8(response):
    """Round a float response and clip it to 0..255, as storing it in a uint8 image does.

    Negative values become 0 and values above 255 become 255: what
    ``cv2.filter2D(image, -1, kernel)`` returns for a uint8 image.
    """
    return np.clip(np.rint(np.asarray(response, dtype=np.float32)), 0, DISPLAY_MAX).astype(np.uint8)


def edge_magnitude(gx, gy):
    """Return the float32 gradient magnitude sqrt(gx**2 + gy**2) of two same-shape responses."""
    gx = np.asarray(gx, dtype=np.float32)
    gy = np.asarray(gy, dtype=np.float32)
    if gx.shape != gy.shape:
        raise ValueError(f"edge_magnitude: gx shape {gx.shape} differs from gy shape {gy.shape}")
    return np.hypot(gx, gy)


def symmetric_limits(response):
    """Return (-m, m) with m = max |response|, for imshow's vmin/vmax with a diverging colormap.

    Zero then sits in the colormap's middle, so negative and positive edges get
    opposite colours. An all-zero response gives (-1.0, 1.0).
    """
    response = np.asarray(response)
    if response.size == 0:
        raise ValueError(f"symmetric_limits: response is empty (shape {response.shape})")
    largest = float(np.max(np.abs(response)))
    largest = largest if largest > 0 else 1.0
    return -largest, largest


def to_display(response):
    """Map a signed response to uint8 for viewing: -m -> 0, 0 -> 128, +m -> 255 (m = max |response|)."""
    low, high = symmetric_limits(response)
    scaled = (np.asarray(response, dtype=np.float32) - low) * np.float32(DISPLAY_MAX / (high - low))
    return np.clip(np.rint(scaled), 0, DISPLAY_MAX).astype(np.uint8)
