"""Small training helpers the notebooks share: seeding, the validation split, one-hot labels, quick mode.

The test set never appears here. Model selection (which epoch's weights to
keep) uses a validation split carved from the training data; the notebooks
train with plain ``model.fit`` and evaluate on the test set once, at the end.
"""

import numpy as np

from cnnlab import config, evaluation
from cnnlab.runtime import keras

DEFAULT_VALIDATION_FRACTION = 0.1


def set_seed(seed=0):
    """Seed Python, NumPy and the Keras backend in one call, for repeatable runs."""
    keras.utils.set_random_seed(seed)


def split_validation(images, labels, fraction=DEFAULT_VALIDATION_FRACTION):
    """Hold out the last ``fraction`` of the training data; returns views, not copies.

    The data sets arrive shuffled, so the tail is a fair sample of every class.
    """
    if len(images) != len(labels):
        raise ValueError(f"images and labels differ in length: {len(images)} vs {len(labels)}")
    if not 0 < fraction < 1:
        raise ValueError(f"validation fraction must be between 0 and 1, got {fraction}")
    count = int(round(len(images) * fraction))
    if count == 0 or count == len(images):
        raise ValueError(f"a validation fraction of {fraction} of {len(images)} images "
                         "leaves an empty training or validation set")
    cut = len(images) - count
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])


def one_hot(labels, num_classes):
    """One-hot rows (N, num_classes) in float32, for losses such as label smoothing that need them.

    Like ``keras.utils.to_categorical``, which returns float64: twice the memory, and Keras
    casts it to float32 anyway.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be integers of shape (N,); got {labels.dtype} of shape {labels.shape}")
    evaluation.check_label_range(labels, num_classes)
    return np.eye(num_classes, dtype=np.float32)[labels]


def capped_epochs(full_epochs):
    """The number of epochs to train: as asked in full mode, capped in quick mode."""
    return min(full_epochs, config.QUICK_EPOCHS) if config.quick else full_epochs


def predict_labels(model, images, batch_size=512):
    """Predicted class index for each image, as an int64 array."""
    return np.argmax(model.predict(images, batch_size=batch_size, verbose=0), axis=-1)
