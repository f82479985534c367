"""Patch whitening: a first convolution computed from the data instead of learned.

Neighbouring pixels are strongly correlated (a pixel is usually close to the
pixel beside it), so raw patches are mostly "overall brightness" and a few
smooth gradients. Whitening rotates every k x k patch onto its principal
components and divides each by its spread, so all directions start on an
equal footing. The network's first convolution then only has to learn from
signals of one size, and it learns faster (Page, "How to train your ResNet";
airbench). NumPy only.
"""

import numpy as np

from cnnlab.augment import _check_images

WHITENING_EPSILON = 5e-4  # added to each variance: keeps near-silent directions from blowing up


def patches(images, kernel_size):
    """Every kernel_size x kernel_size patch of the images, flattened: shape (N * P, k * k * C), float32.

    ``images`` is a uint8 batch (N, H, W, C); pixels are scaled to 0..1.
    """
    _check_images(images)
    windows = np.lib.stride_tricks.sliding_window_view(images, (kernel_size, kernel_size), axis=(1, 2))
    # windows: (N, H-k+1, W-k+1, C, k, k) -> (kh, kw, C) order, as a Keras kernel stores them
    windows = windows.transpose(0, 1, 2, 4, 5, 3)
    return windows.reshape(-1, kernel_size * kernel_size * images.shape[3]).astype(np.float32) / 255


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
    flat = patches(images, kernel_size).astype(np.float64)  # float64 for the eigensolver only
    mean = flat.mean(axis=0)
    covariance = np.cov(flat - mean, rowvar=False)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    order = np.argsort(eigenvalues)[::-1]
    directions = eigenvectors[:, order] / np.sqrt(eigenvalues[order] + epsilon)
    kernel = np.concatenate([directions, -directions], axis=1)
    bias = -mean @ kernel
    channels = images.shape[3]
    return (kernel.reshape(kernel_size, kernel_size, channels, -1).astype(np.float32),
            bias.astype(np.float32))
