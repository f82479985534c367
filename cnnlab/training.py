"""Train a Keras model the careful way: seeded, with a validation split, keeping the best weights.

The test set never appears here. Model selection (which epoch's weights to
keep, when to stop) uses a validation split carved from the training data;
the notebooks evaluate on the test set once, at the end.
"""

import dataclasses
import math
import numbers
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
    # The one quick cap (cnnlab.config): a number of images, whatever the batch size.
    return math.ceil(config.train_images_per_epoch(num_images) / batch_size)


def capped_epochs(full_epochs):
    """The number of epochs to train: as asked in full mode, capped in quick mode."""
    return min(full_epochs, config.QUICK_EPOCHS) if config.quick else full_epochs


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


def _check_count(name, value, smallest):
    """Raise ValueError unless value is a whole number (not a bool) of at least ``smallest``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < smallest:
        raise ValueError(f"{name} must be a whole number of at least {smallest}, got {value!r}")


def _metric_names(metrics):
    """The names compiled metrics log, from ``model.get_compile_config()["metrics"]``.

    Entries are names ("accuracy"), serialised metric objects ({"config": {"name": ...}}) or
    functions ({"config": "name"}), in lists or per-output dicts.
    """
    if metrics is None:
        return set()
    if isinstance(metrics, str):
        return {metrics}
    if isinstance(metrics, dict) and "class_name" in metrics:
        config = metrics.get("config")
        name = config.get("name") if isinstance(config, dict) else config
        return {name} if isinstance(name, str) else set()
    values = metrics.values() if isinstance(metrics, dict) else metrics
    return set().union(*(_metric_names(value) for value in values))


def _check_compiled(model):
    """Raise ValueError unless the model is compiled with a metric that logs val_accuracy."""
    if not getattr(model, "compiled", True):
        raise ValueError("the model is not compiled: call model.compile(optimizer=..., loss=..., "
                         "metrics=['accuracy']) first")
    try:
        metrics = model.get_compile_config().get("metrics")
    except Exception:  # a model without Keras's compile config: EarlyStopping will name the metric
        return
    if MONITOR.removeprefix("val_") not in _metric_names(metrics):
        raise ValueError(f"the model was compiled with metrics={metrics!r}, which logs no 'accuracy': "
                         f"train keeps the epoch with the best {MONITOR}, so compile with "
                         "metrics=['accuracy']")


def _output_classes(model):
    """The number of classes the model predicts (its last output axis), or None if unknown."""
    try:
        return int(model.output_shape[-1])
    except Exception:  # a subclassed or unbuilt model has no output shape yet
        return None


def _check_labels(labels, images, num_classes, name):
    """Raise ValueError for labels Keras would reject after tracing, or truncate without a word."""
    labels = np.asarray(labels)
    if len(labels) != len(images):
        raise ValueError(f"{name} has {len(labels)} entries for {len(images)} images")
    one_hot = labels.ndim == 2 and (labels.shape[1] != 1 or num_classes == 1)
    if one_hot:  # probabilities per class, e.g. training.one_hot for label smoothing
        if num_classes is not None and labels.shape[1] != num_classes:
            raise ValueError(f"{name} has shape {labels.shape}, one column per class, but the model "
                             f"predicts {num_classes} classes")
        return
    if labels.ndim not in (1, 2) or labels.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be class indices of shape (N,), got {labels.dtype} of shape "
                         f"{labels.shape}")
    labels = labels.reshape(-1)
    if labels.dtype.kind == "f":
        fractional = np.flatnonzero(labels != np.round(labels))  # NaN is fractional too
        if fractional.size:
            index = int(fractional[0])
            raise ValueError(f"{name}[{index}] is {labels[index]}: labels are class indices, and Keras "
                             "would truncate a fractional one without a word")
    if num_classes is not None:
        outside = np.flatnonzero((labels < 0) | (labels >= num_classes))
        if outside.size:
            index = int(outside[0])
            raise ValueError(f"{name}[{index}] is {labels[index]:g}, outside 0..{num_classes - 1}: the "
                             f"model predicts {num_classes} classes")


def _check_arguments(model, images, labels, epochs, batch_size, validation_data, patience):
    """Check everything train can check before fit spends any time; raise ValueError naming the problem."""
    _check_count("epochs", epochs, 1)
    _check_count("batch_size", batch_size, 1)
    if patience is not None:
        _check_count("patience", patience, 0)
    _check_compiled(model)
    num_classes = _output_classes(model)
    _check_labels(labels, images, num_classes, "labels")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (images, labels)")
        _check_labels(validation_data[1], validation_data[0], num_classes, "validation labels")


def train(model, images, labels, *, epochs, batch_size, validation_fraction=DEFAULT_VALIDATION_FRACTION,
          validation_data=None, checkpoint=None, patience=None, callbacks=(), verbose=0):
    """Fit a compiled model on training data with a validation split; keep the best epoch's weights.

    ``epochs`` and the steps per epoch are capped in quick mode (``cnnlab.config``).
    Give ``checkpoint`` (a ``.keras`` path) to also save the best model to disk,
    and ``patience`` to stop after that many epochs without improvement.

    Raises
    ------
    ValueError
        Before any training, for what would otherwise fail or go wrong later: epochs or
        batch_size below 1, a model compiled without ``metrics=["accuracy"]``, labels outside
        the model's classes, fractional labels, or labels and images of different lengths.
    """
    _check_arguments(model, images, labels, epochs, batch_size, validation_data, patience)
    if validation_data is None:
        (images, labels), validation_data = split_validation(images, labels, validation_fraction)
    if checkpoint is not None and not str(checkpoint).endswith(".keras"):
        raise ValueError(f"checkpoint path must end in .keras, got {checkpoint!r}")
    # Keras's own EarlyStopping keeps the best epoch's weights and restores them at the end;
    # without a patience it never stops early.
    keep_best = keras.callbacks.EarlyStopping(monitor=MONITOR, mode="max", restore_best_weights=True,
                                              patience=capped_epochs(epochs) if patience is None else patience)
    all_callbacks = [keep_best, *callbacks]
    if checkpoint is not None:
        all_callbacks.append(keras.callbacks.ModelCheckpoint(
            str(checkpoint), monitor=MONITOR, mode="max", save_best_only=True))
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
        seconds=seconds, epochs=trained, best_epoch=keep_best.best_epoch + 1,
        best_val_accuracy=float(keep_best.best), images_per_second=seen / seconds,
        checkpoint=None if checkpoint is None else str(checkpoint))



def predict_labels(model, images, batch_size=512):
    """Predicted class index for each image, as an int64 array."""
    return np.argmax(model.predict(images, batch_size=batch_size, verbose=0), axis=-1)
