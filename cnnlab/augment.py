"""Data augmentation on uint8 batches, outside the model graph, for every Keras backend.

Training sees each image moved by a few pixels and mirrored left-right, so the
network cannot memorise exact pixel positions. The work is done in NumPy on
uint8 batches as Keras asks for them (:func:`training_batches`), which costs
far less on a CPU than augmentation layers inside the graph.

The same moves at prediction time (test-time views) live with the rest of
predicting, in :mod:`cnnlab.prediction`.
"""

import math
import warnings

import numpy as np

from cnnlab import _checks, config
from cnnlab.runtime import keras


def translate(images, shifts, pad_mode="reflect"):
    """Move each image by whole pixels; the border that comes in is mirrored from the image.

    Parameters
    ----------
    images : numpy.ndarray
        uint8 batch, shape (N, H, W, C).
    shifts : numpy.ndarray
        Integer shifts (down, right) per image, shape (N, 2); each within -r..r for one r.
    pad_mode : str
        ``numpy.pad`` mode for the pixels moved in: "reflect" (mirror) or "constant" (zeros).

    Returns
    -------
    numpy.ndarray
        The moved images, shape (N, H, W, C), uint8.
    """
    _checks.uint8_images(images)
    shifts = np.asarray(shifts)
    if shifts.shape != (len(images), 2) or shifts.dtype.kind not in "iu":
        raise ValueError(f"shifts must be integers of shape ({len(images)}, 2); "
                         f"got {shifts.dtype} of shape {shifts.shape}")
    reach = int(np.abs(shifts).max()) if len(shifts) else 0
    if reach == 0:
        return images.copy()
    height, width = images.shape[1:3]
    padded = np.pad(images, ((0, 0), (reach, reach), (reach, reach), (0, 0)), mode=pad_mode)
    moved = np.empty_like(images)
    # One slice per distinct shift: (2r + 1)^2 NumPy copies per batch, not one per image.
    for down, right in np.unique(shifts, axis=0):
        chosen = np.flatnonzero((shifts[:, 0] == down) & (shifts[:, 1] == right))
        top, left = reach - down, reach - right
        moved[chosen] = padded[chosen, top:top + height, left:left + width]
    return moved


class AugmentedBatches(keras.utils.PyDataset):
    """Shuffled training batches, each image shifted and (optionally) mirrored anew every epoch.

    The NumPy version of :func:`training_batches`, for the JAX and PyTorch backends.

    Parameters
    ----------
    images : numpy.ndarray
        uint8 images, shape (N, H, W, C).
    labels : numpy.ndarray
        What ``fit`` should learn, shape (N,) or (N, num_classes); batched alongside.
    batch_size : int
        Images per batch; the last batch of an epoch may be smaller.
    max_shift : int
        Largest move in pixels along each axis (0: no shifts).
    flip : bool
        Whether to mirror a random half left-right (never for digits: a mirrored 2 is no 2).
    seed : int
        Seed of the shuffling, shifts and flips.
    """

    def __init__(self, images, labels, batch_size, max_shift=2, flip=True, seed=0, **kwargs):
        super().__init__(**kwargs)
        _check_settings(images, labels, batch_size, max_shift)
        self.images, self.labels = images, np.asarray(labels)
        self.batch_size, self.max_shift, self.flip = int(batch_size), int(max_shift), bool(flip)
        self.random = np.random.default_rng(seed)
        self._new_epoch()

    def _new_epoch(self):
        self.order = self.random.permutation(len(self.images))
        self.shifts = self.random.integers(-self.max_shift, self.max_shift + 1, size=(len(self.images), 2))
        self.mirrored = self.random.random(len(self.images)) < 0.5 if self.flip else np.zeros(len(self.images), bool)

    @property
    def num_batches(self):
        return batches_per_epoch(len(self.images), self.batch_size)

    def __len__(self):
        return self.num_batches

    def batch(self, index):
        """The indices of batch ``index`` of this epoch and its augmented images, (indices, images)."""
        chosen = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        return chosen, _augmented(self.images, chosen, self.shifts[chosen], self.mirrored[chosen])

    def __getitem__(self, index):
        chosen, images = self.batch(index)
        return images, self.labels[chosen]

    def on_epoch_end(self):
        self._new_epoch()


def _check_settings(images, labels, batch_size, max_shift):
    _checks.uint8_images(images)
    _checks.same_length(images, labels)
    _checks.positive_int(batch_size, "batch_size")
    largest = min(images.shape[1:3]) - 1
    if not _checks.is_int(max_shift) or not 0 <= max_shift <= largest:
        raise ValueError(f"max_shift must be an integer from 0 to {largest}, got {max_shift!r}")


def batches_per_epoch(num_images, batch_size):
    """Batches in one epoch: all the images, or a slice of them in quick mode (cnnlab.config)."""
    return math.ceil(config.train_images_per_epoch(num_images) / batch_size)


def _augmented(images, chosen, shifts, mirrored):
    """The images ``chosen`` moved by ``shifts`` and mirrored where ``mirrored``, as a new uint8 batch."""
    batch = translate(images[chosen], shifts)
    batch[mirrored] = batch[mirrored, :, ::-1]
    return batch


def _tensorflow_batches(images, labels, batch_size, max_shift, flip, seed):
    """:func:`training_batches` as a tf.data pipeline that draws the shuffles, shifts and flips.

    The pixels are copied in NumPy (``tf.numpy_function``), so the training
    images are never turned into a tensor: TensorFlow would copy them all.
    """
    import tensorflow as tf  # only on the TensorFlow backend

    generator = tf.random.Generator.from_seed(seed)  # created once: new draws every epoch

    def draw(indices):
        count = tf.shape(indices)[0]
        shifts = generator.uniform((count, 2), -max_shift, max_shift + 1, dtype=tf.int64)
        mirrored = generator.uniform((count,)) < 0.5 if flip else tf.zeros((count,), tf.bool)
        return indices, shifts, mirrored

    def copy_pixels(indices, shifts, mirrored):
        batch, batch_labels = tf.numpy_function(
            lambda chosen, *draws: (_augmented(images, chosen, *draws), labels[chosen]),
            [indices, shifts, mirrored], [tf.uint8, tf.as_dtype(labels.dtype)], stateful=False)
        batch.set_shape((None, *images.shape[1:]))
        batch_labels.set_shape((None, *labels.shape[1:]))
        return batch, batch_labels

    dataset = (tf.data.Dataset.range(len(images))
               .shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
               .batch(batch_size)
               .take(batches_per_epoch(len(images), batch_size))
               # Drawn one batch at a time, in order, so that a run repeats exactly (parallel calls would
               # take turns at the generator in thread order).
               .map(draw)
               .map(copy_pixels))
    # One batch made ahead while the model trains is enough (copying one takes about 12 ms). tf.data's
    # autotuning threads are not: on 2 cores they took 40% of every step of the CIFAR-10 recipe
    # (514 ms instead of 303 ms per batch of 512, benchmarks/RESULTS.md).
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(1).with_options(options)


# fit's default shuffle=True does not apply to a tf.data pipeline, which shuffles itself (above).
warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed, but will be ignored")


def training_batches(images, labels, batch_size, max_shift=2, flip=True, seed=0):
    """Shuffled training batches for ``fit``: each image moved by up to ``max_shift`` pixels, maybe mirrored.

    Every epoch draws new shifts (the border that comes in is mirrored from the
    image) and, with ``flip``, mirrors a random half of the images left-right.
    The images stay uint8 until the model. On the TensorFlow backend this is a
    ``tf.data`` pipeline (a Python generator there can deadlock at the end of an
    epoch: tensorflow/tensorflow#50637); elsewhere a :class:`AugmentedBatches`.

    Parameters
    ----------
    images : numpy.ndarray
        uint8 images, shape (N, H, W, C).
    labels : numpy.ndarray
        Targets, shape (N,) or (N, num_classes).
    batch_size, max_shift, flip, seed
        As for :class:`AugmentedBatches`.
    """
    _check_settings(images, labels, batch_size, max_shift)
    if keras.backend.backend() == "tensorflow":
        return _tensorflow_batches(images, np.asarray(labels), int(batch_size), int(max_shift), bool(flip), seed)
    return AugmentedBatches(images, labels, batch_size, max_shift=max_shift, flip=flip, seed=seed)
