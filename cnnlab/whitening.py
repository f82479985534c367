"""Patch whitening: a first convolution computed from the data instead of learned.

Neighbouring pixels are strongly correlated (a pixel is usually close to the
pixel beside it), so raw patches are mostly "overall brightness" and a few
smooth gradients. Whitening rotates every k x k patch onto its principal
components and divides each by its spread, so all directions start on an
equal footing. The network's first convolution then only has to learn from
signals of one size, and it learns faster (Page, "How to train your ResNet";
airbench). NumPy only: importing this module loads no Keras.
"""

import numpy as np

from cnnlab import _checks

WHITENING_EPSILON = 5e-4  # added to each variance: keeps near-silent directions from blowing up
CHUNK_IMAGES = 250  # images whose patches are held at once: 250 CIFAR photos are 11 MB of float32


def patches(images, kernel_size):
    """Every kernel_size x kernel_size patch of the images, flattened: shape (N * P, k * k * C), float32.

    ``images`` is a uint8 batch (N, H, W, C); pixels are scaled to 0..1.
    """
    _checks.uint8_images(images)
    kernel_size = _checks.positive_int(kernel_size, "kernel_size", "patches")
    windows = np.lib.stride_tricks.sliding_window_view(images, (kernel_size, kernel_size), axis=(1, 2))
    # windows: (N, H-k+1, W-k+1, C, k, k) -> (kh, kw, C) order, as a Keras kernel stores them
    windows = windows.transpose(0, 1, 2, 4, 5, 3)
    return windows.reshape(-1, kernel_size * kernel_size * images.shape[3]).astype(np.float32) / 255


def patch_statistics(images, kernel_size, chunk=CHUNK_IMAGES):
    """Mean (D,) and covariance (D, D) of the images' k x k patches, D = k * k * C, in float64.

    Accumulated ``chunk`` images at a time, so memory stays small whatever N is:
    all the patches of 5,000 CIFAR-10 photos would be 230 MB in float32.
    """
    _checks.uint8_images(images)
    chunk = _checks.positive_int(chunk, "chunk", "patch_statistics")
    if len(images) < 2:
        raise ValueError(f"images: need at least 2 images for a covariance, got {len(images)}")
    # Sums of products about a shift near the mean: keeps the float64 sums free of cancellation.
    shift = patches(images[:chunk], kernel_size).mean(axis=0, dtype=np.float64)
    count, sums, products = 0, np.zeros_like(shift), np.zeros((shift.size, shift.size))
    for start in range(0, len(images), chunk):
        centred = patches(images[start:start + chunk], kernel_size) - shift.astype(np.float32)
        count += len(centred)
        sums += centred.sum(axis=0, dtype=np.float64)
        products += centred.T.astype(np.float64) @ centred.astype(np.float64)  # (D, D), D = 12 for CIFAR
    offset = sums / count
    covariance = (products - count * np.outer(offset, offset)) / (count - 1)
    return shift + offset, covariance


def whitening_weights(images, kernel_size=2, epsilon=WHITENING_EPSILON):
    """Kernel and bias of a Conv2D(2 * k*k*C, k) that whitens the patches of ``images``.

    Parameters
    ----------
    images : numpy.ndarray
        uint8 images, shape (N, H, W, C); a few thousand are plenty.
    kernel_size : int
        Patch side k.
    epsilon : float
        Added to every variance before the division.

    Returns
    -------
    kernel : numpy.ndarray
        float32, shape (k, k, C, 2 * k*k*C): the principal directions, largest
        first, each divided by its standard deviation, then the same negated (so
        that a ReLU after it keeps both signs).
    bias : numpy.ndarray
        float32, shape (2 * k*k*C,): subtracts the mean patch.
    """
    mean, covariance = patch_statistics(images, kernel_size)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    order = np.argsort(eigenvalues)[::-1]
    directions = eigenvectors[:, order] / np.sqrt(eigenvalues[order] + epsilon)
    kernel = np.concatenate([directions, -directions], axis=1)
    bias = -mean @ kernel
    channels = images.shape[3]
    return (kernel.reshape(kernel_size, kernel_size, channels, -1).astype(np.float32),
            bias.astype(np.float32))
