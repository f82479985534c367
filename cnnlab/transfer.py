"""Transfer learning offline: a network pre-trained on 8 CIFAR-10 classes, reused for cat vs dog.

Model hubs are out of reach behind many firewalls, so cnnlab makes its own
pre-trained network: the CIFAR-10 recipe's network (``cnnlab.models.cifar10_model``)
trained by scripts/pretrain_transfer.py on the eight classes that are neither
cat nor dog, shipped in cnnlab/assets with its test accuracy. Notebook 07 and
``python -m benchmarks.transfer`` reuse it for the new task, cat vs dog, from a
few labelled photos.
"""

import json

import numpy as np

from cnnlab import _checks, augment, checkpoints, data, evaluation, models, prediction, runtime
from cnnlab import training
from cnnlab.runtime import keras

NEW_CLASSES = ("cat", "dog")  # the new task; the pre-trained network never saw them
PRETRAIN_CLASSES = tuple(name for name in data.CIFAR10_CLASSES if name not in NEW_CLASSES)
PRETRAINED_NAME = "cifar8_recipe"  # the model's name, and its file's in cnnlab/assets
PRETRAINED_FILE = data.ASSETS_DIR / f"{PRETRAINED_NAME}.keras"
PRETRAINED_RECORD = data.ASSETS_DIR / f"{PRETRAINED_NAME}.json"  # how it was trained, its accuracy
COMPARISON_RESULTS = data.ASSETS_DIR / "transfer.json"  # written by python -m benchmarks.transfer


def select_classes(images, labels, class_names):
    """The images of the named CIFAR-10 classes, labelled 0.. in the order of ``class_names``.

    Returns ``(images, labels)``: a copy of the chosen images (N, 32, 32, 3) and
    their new labels (N,) as int64.
    """
    _checks.same_length(images, labels)
    unknown = [name for name in class_names if name not in data.CIFAR10_CLASSES]
    if unknown or not class_names:
        raise ValueError(f"class names must be some of {data.CIFAR10_CLASSES}; got {class_names!r}")
    old = np.array([data.CIFAR10_CLASSES.index(name) for name in class_names])
    chosen = np.isin(labels, old)
    lookup = np.full(len(data.CIFAR10_CLASSES), -1)
    lookup[old] = np.arange(len(old))
    return images[chosen], lookup[labels[chosen]].astype(np.int64)


def labelled_subset(images, labels, count, seed=0):
    """``count`` images, as many of each class, drawn in an order fixed by ``seed``.

    The same ``seed`` draws nested sets: the 100 photos are among the 500, and
    those among the 2,000. Returns ``(images, labels)``, copies of the chosen rows.
    """
    _checks.same_length(images, labels)
    count = _checks.positive_int(count, "count", "labelled_subset")
    classes = np.unique(labels)
    per_class = count // len(classes)
    order = np.random.default_rng(seed).permutation(len(images))
    available = min(np.sum(labels == label) for label in classes)
    if count % len(classes) or per_class > available:
        raise ValueError(f"labelled_subset: count must be a multiple of {len(classes)} classes and "
                         f"at most {available} per class; got {count}")
    rows = np.sort(np.concatenate([order[labels[order] == label][:per_class] for label in classes]))
    return images[rows], labels[rows]


def pretrained_network():
    """A fresh, untrained copy of the pre-trained network's architecture (8 outputs), in float32."""
    return checkpoints.float32_network(models.cifar10_model, num_classes=len(PRETRAIN_CLASSES),
                                       name=PRETRAINED_NAME)


def load_pretrained():
    """The network shipped in cnnlab/assets, pre-trained on the 8 classes without cat and dog.

    Never trains and never downloads; a file of another architecture is an error.
    """
    if not PRETRAINED_FILE.is_file():
        raise FileNotFoundError(f"{PRETRAINED_FILE} is missing: run scripts/pretrain_transfer.py")
    return checkpoints.load_weights_into(pretrained_network(), PRETRAINED_FILE,
                                         "run scripts/pretrain_transfer.py to make it again")


def pretrained_record():
    """How the shipped network was pre-trained and its test accuracy on the 8 classes (a dict)."""
    return json.loads(PRETRAINED_RECORD.read_text(encoding="utf-8"))


def comparison_results():
    """The stored results of ``python -m benchmarks.transfer --save`` (see benchmarks/RESULTS.md)."""
    if not COMPARISON_RESULTS.is_file():
        raise FileNotFoundError(f"{COMPARISON_RESULTS} is missing: run python -m benchmarks.transfer --save")
    return json.loads(COMPARISON_RESULTS.read_text(encoding="utf-8"))


# --- the comparison: from scratch, frozen features with a new head, then fine-tuned ------------

FEATURES_LAYER = "global_pool"  # the pre-trained network up to here is reused; its head is not
TOP_BLOCK = "block3_"  # the layers fine-tuning trains again (the last of the three blocks)
# How each network of the comparison trains; notebook 07 writes the same out and checks it.
SETTINGS = {"batch_size": 64, "max_shift": 2, "flip": True, "image_passes": 10_000,
            "min_epochs": 5, "max_epochs": 40, "validations": 4, "scratch_learning_rate": 1e-3,
            "head_learning_rate": 1e-3, "fine_tune_learning_rate": 1e-4}
METHODS = ("from scratch", "frozen", "fine-tuned")


def epochs_for(count, settings=SETTINGS):
    """Epochs for ``count`` labelled photos: about ``image_passes`` photos seen, within the bounds."""
    epochs = round(settings["image_passes"] / _checks.positive_int(count, "count", "epochs_for"))
    return int(min(max(epochs, settings["min_epochs"]), settings["max_epochs"]))


def features(network):
    """The network up to its global pooling: the pre-trained features, (N, 128) per batch."""
    return keras.Model(network.inputs, network.get_layer(FEATURES_LAYER).output, name="features")


def with_new_head(base, num_classes=len(NEW_CLASSES)):
    """``base`` frozen, in inference mode (``training=False``), under a new softmax layer."""
    base.trainable = False
    inputs = keras.Input(shape=models.CIFAR10_SHAPE, dtype="uint8", name="image")
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(
        base(inputs, training=False))
    return keras.Model(inputs, outputs, name="transfer")


def unfreeze_top(base, prefix=TOP_BLOCK):
    """Make only the layers of ``base`` whose names start with ``prefix`` trainable."""
    base.trainable = True
    for layer in base.layers:
        layer.trainable = layer.name.startswith(prefix)


def scratch_network(images, num_classes=len(NEW_CLASSES)):
    """The same architecture, untrained, its whitening layer computed from ``images``."""
    model = models.cifar10_model(num_classes=num_classes, name="scratch")
    return training.prepare_model(model, images, len(images))


def fit(model, images, labels, validation, learning_rate, epochs, settings=SETTINGS, seed=0):
    """Compile ``model`` with Adam at ``learning_rate`` and train it on augmented batches.

    ``validation`` is ``(images, labels)``; labels are class indices. The validation
    photos are scored ``settings["validations"]`` times in all (on few photos, scoring
    them every epoch would cost more than the training). Returns the History.
    """
    num_classes = model.output_shape[-1]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    batches = augment.training_batches(images, training.one_hot(labels, num_classes),
                                       min(settings["batch_size"], len(images)),
                                       max_shift=settings["max_shift"], flip=settings["flip"],
                                       seed=seed)
    valid_images, valid_labels = validation
    return model.fit(batches, epochs=epochs, verbose=0,
                     validation_data=(valid_images, training.one_hot(valid_labels, num_classes)),
                     validation_freq=max(1, epochs // settings["validations"]))


def test_accuracy(model, images, labels):
    """Plain accuracy (one view per photo) on ``images``."""
    return evaluation.accuracy(labels, prediction.predict_labels(model, images))


def compare(load_network, train, validation, test, count, seed=0, settings=SETTINGS):
    """Test accuracy of the three methods on ``count`` labelled photos: a dict by METHODS.

    ``load_network()`` returns a fresh copy of the pre-trained network;
    ``train``, ``validation`` and ``test`` are ``(images, labels)`` of the new task.
    The frozen network's head trains first; fine-tuning then continues from it.
    """
    images, labels = labelled_subset(*train, count, seed=seed)
    epochs = epochs_for(count, settings)
    runtime.set_seed(seed)
    scratch = scratch_network(images)
    fit(scratch, images, labels, validation, settings["scratch_learning_rate"], epochs, settings, seed)
    runtime.set_seed(seed)
    base = features(load_network())
    model = with_new_head(base)
    fit(model, images, labels, validation, settings["head_learning_rate"], epochs, settings, seed)
    frozen = test_accuracy(model, *test)
    unfreeze_top(base)
    fit(model, images, labels, validation, settings["fine_tune_learning_rate"], epochs, settings, seed)
    return {"from scratch": test_accuracy(scratch, *test), "frozen": frozen,
            "fine-tuned": test_accuracy(model, *test)}
