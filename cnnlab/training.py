"""Train a Keras model the careful way: seeded, with a validation split, keeping the best weights.

The test set never appears here. Model selection (which epoch's weights to
keep, when to stop) uses a validation split carved from the training data;
the notebooks evaluate on the test set once, at the end.
"""

import dataclasses
import math
import time

import numpy as np

from cnnlab import config, evaluation
from cnnlab.runtime import keras

DEFAULT_VALIDATION_FRACTION = 0.1
MONITOR = "val_accuracy"


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


def steps_per_epoch(num_images, batch_size):
    """Batches in one pass over the data, the last one partial; capped in quick mode."""
    steps = math.ceil(num_images / batch_size)
    return min(steps, config.QUICK_STEPS_PER_EPOCH) if config.quick else steps


def capped_epochs(full_epochs):
    """The number of epochs to train: as asked in full mode, capped in quick mode."""
    return min(full_epochs, config.QUICK_EPOCHS) if config.quick else full_epochs


def one_cycle(peak_learning_rate, total_steps, warmup_fraction=0.2):
    """A one-cycle schedule: linear warm-up to the peak, then cosine decay to zero."""
    warmup_steps = max(1, int(total_steps * warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak_learning_rate / 10,
        decay_steps=max(1, total_steps - warmup_steps),
        warmup_target=peak_learning_rate,
        warmup_steps=warmup_steps,
        alpha=0.0,
    )


class KeepBestWeights(keras.callbacks.Callback):
    """Remember the weights of the best epoch by a validation metric and restore them at the end."""

    def __init__(self, monitor=MONITOR):
        super().__init__()
        self.monitor = monitor
        self.best = -math.inf
        self.best_epoch = None
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(f"metric {self.monitor!r} missing from the epoch logs "
                           f"{sorted(logs or {})}: compile with metrics=['accuracy']")
        if value > self.best:
            self.best, self.best_epoch = value, epoch + 1
            self.best_weights = self.model.get_weights()

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


@dataclasses.dataclass
class TrainingResult:
    """What ``train`` returns: the per-epoch history and how the run went."""

    history: dict
    seconds: float
    epochs: int
    best_epoch: int
    best_val_accuracy: float
    images_per_second: float
    checkpoint: str = None

    def __str__(self):
        return (f"trained {self.epochs} epoch(s) in {self.seconds:.1f} s "
                f"({self.images_per_second:,.0f} images/s); best validation accuracy "
                f"{self.best_val_accuracy:.4f} at epoch {self.best_epoch}")


def train(model, images, labels, *, epochs, batch_size, validation_fraction=DEFAULT_VALIDATION_FRACTION,
          validation_data=None, checkpoint=None, patience=None, callbacks=(), verbose=0):
    """Fit a compiled model on training data with a validation split; keep the best epoch's weights.

    ``epochs`` and the steps per epoch are capped in quick mode (``cnnlab.config``).
    Give ``checkpoint`` (a ``.keras`` path) to also save the best model to disk,
    and ``patience`` to stop after that many epochs without improvement.
    """
    if validation_data is None:
        (images, labels), validation_data = split_validation(images, labels, validation_fraction)
    if checkpoint is not None and not str(checkpoint).endswith(".keras"):
        raise ValueError(f"checkpoint path must end in .keras, got {checkpoint!r}")
    keep_best = KeepBestWeights()
    all_callbacks = [keep_best, *callbacks]
    if checkpoint is not None:
        all_callbacks.append(keras.callbacks.ModelCheckpoint(
            str(checkpoint), monitor=MONITOR, mode="max", save_best_only=True))
    if patience is not None:
        all_callbacks.append(keras.callbacks.EarlyStopping(monitor=MONITOR, mode="max",
                                                           patience=patience))
    steps = steps_per_epoch(len(images), batch_size)
    start = time.perf_counter()
    fit = model.fit(images, labels, batch_size=batch_size, epochs=capped_epochs(epochs),
                    steps_per_epoch=steps, validation_data=validation_data,
                    callbacks=all_callbacks, verbose=verbose)
    seconds = time.perf_counter() - start
    trained = len(fit.history["loss"])
    seen = min(steps * batch_size, len(images)) * trained
    return TrainingResult(
        history={key: [float(v) for v in values] for key, values in fit.history.items()},
        seconds=seconds, epochs=trained, best_epoch=keep_best.best_epoch,
        best_val_accuracy=float(keep_best.best), images_per_second=seen / seconds,
        checkpoint=None if checkpoint is None else str(checkpoint))



def predict_labels(model, images, batch_size=512):
    """Predicted class index for each image, as an int64 array."""
    return np.argmax(model.predict(images, batch_size=batch_size, verbose=0), axis=-1)
