"""Training a model by its recipe: the validation split, one-hot targets, schedule, optimizer, batches.

What to train is ``cnnlab.recipes``; this module carries a recipe out, the way
notebooks 04 and 05 write it in plain Keras and the benchmark runs it. The
test set never appears here: model selection (which epoch's weights to keep)
uses a validation split carved from the training data.
"""

import numpy as np

from cnnlab import _checks, augment, config, evaluation, models, recipes, whitening
from cnnlab.runtime import keras


def split_validation(images, labels, fraction=recipes.VALIDATION_FRACTION):
    """Hold out the last ``fraction`` of the training data; returns views, not copies.

    The data sets arrive shuffled, so the tail is a fair sample of every class.
    Returns ``(fit_images, fit_labels), (validation_images, validation_labels)``.
    """
    _checks.same_length(images, labels)
    fraction = _checks.fraction(fraction, "validation fraction", "split_validation")
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
    num_classes = _checks.positive_int(num_classes, "num_classes", "one_hot")
    evaluation.check_label_range(labels, num_classes)
    return np.eye(num_classes, dtype=np.float32)[labels]


def steps_per_epoch(recipe, num_images):
    """Batches per epoch of ``recipe`` on ``num_images`` images, as :func:`train_batches` makes them."""
    return augment.batches_per_epoch(num_images, recipe.batch_size)


def learning_rate_schedule(recipe, total_steps):
    """Linear warm-up from ``start_factor * peak`` to the peak, then cosine decay to zero."""
    total_steps = _checks.positive_int(total_steps, "total_steps", "learning_rate_schedule")
    warmup_steps = max(1, int(total_steps * recipe.warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=recipe.start_factor * recipe.peak_learning_rate,
        warmup_target=recipe.peak_learning_rate, warmup_steps=warmup_steps,
        decay_steps=max(1, total_steps - warmup_steps), alpha=0.0)


def make_optimizer(recipe, total_steps):
    """The recipe's optimizer on its schedule: Nesterov SGD or Adam."""
    schedule = learning_rate_schedule(recipe, total_steps)
    if recipe.optimizer == "sgd":
        return keras.optimizers.SGD(schedule, momentum=recipe.momentum, nesterov=True,
                                    weight_decay=recipe.weight_decay)
    return keras.optimizers.Adam(schedule, weight_decay=recipe.weight_decay)  # Recipe allows no other


def make_loss(recipe):
    """Cross-entropy on one-hot targets smoothed by ``label_smoothing``."""
    return keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing)


def prepare_model(model, images, whitening_images):
    """Set a model's data-dependent layers (the whitening layer, if any) from training images.

    The frozen layer named "whiten" is computed from the first ``whitening_images`` images.
    """
    names = [layer.name for layer in model.layers]
    if "whiten" in names and not model.get_layer("whiten").trainable:
        layer = model.get_layer("whiten")
        count = _checks.positive_int(whitening_images, "whitening_images", "prepare_model")
        layer.set_weights(list(whitening.whitening_weights(images[:count], layer.kernel_size[0])))
    return model


def compiled_model(recipe, train_images, model=None):
    """Build (unless given), prepare and compile ``recipe``'s model for training on ``train_images``."""
    model = models.build(recipe.model_name) if model is None else model
    prepare_model(model, train_images, recipe.whitening_images)
    total_steps = steps_per_epoch(recipe, len(train_images)) * config.epochs_to_train(recipe.epochs)
    model.compile(optimizer=make_optimizer(recipe, total_steps), loss=make_loss(recipe),
                  metrics=["accuracy"])
    return model


def train_batches(recipe, images, one_hot_labels, seed=0):
    """The recipe's augmented training batches (see :func:`cnnlab.augment.training_batches`)."""
    return augment.training_batches(images, one_hot_labels, recipe.batch_size, max_shift=recipe.max_shift,
                                    flip=recipe.flip, seed=seed)
