"""Trained models on disk: the learner's own checkpoints and the ones shipped with cnnlab.

Notebooks 04 ("mnist") and 05 ("cifar10") save their best model to
:func:`learner_checkpoint`; notebook 06 loads it with :func:`load_trained`, or,
when the learner has not trained it, the fully trained model shipped in
cnnlab/assets (:func:`shipped_checkpoint`, written by scripts/ship_checkpoints.py
with its test accuracy in :data:`SHIPPED_ACCURACIES`).
"""

import json
import pathlib

from cnnlab import config, data, models, recipes
from cnnlab.runtime import keras

FILE_NAMES = {"mnist": "mnist_cnn", "cifar10": "cifar10_cnn"}  # checkpoints/<file name>.keras
NOTEBOOKS = {"mnist": "04_mnist_cnn", "cifar10": "05_cifar10"}  # the notebook that trains each
SHIPPED_ACCURACIES = data.ASSETS_DIR / "shipped.json"  # test accuracy of each shipped model, written with it


def learner_checkpoint(name):
    """The .keras file notebook 04 ("mnist") or 05 ("cifar10") saves its model to.

    A path relative to the notebook's folder; quick runs use their own file
    (``..._quick.keras``), never the full run's.
    """
    recipes.get(name)  # a clear error for any other name
    return f"checkpoints/{FILE_NAMES[name]}{'_quick' if config.quick else ''}.keras"


def shipped_checkpoint(name):
    """The fully trained model of notebook 04 ("mnist") or 05 ("cifar10") that ships with cnnlab."""
    return data.ASSETS_DIR / f"{recipes.get(name).model_name}.keras"


def shipped_accuracies():
    """The test accuracy of each shipped model (with its recipe's test-time views), by data set name."""
    return json.loads(SHIPPED_ACCURACIES.read_text(encoding="utf-8"))


def float32_network(build, *args, **kwargs):
    """``build(*args, **kwargs)`` in float32, whatever the global policy.

    Looking inside a loaded model (feature maps, gradients) then gives float32
    arrays on every machine.
    """
    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        return build(*args, **kwargs)
    finally:
        keras.mixed_precision.set_global_policy(policy)


def recipe_network(name):
    """A fresh, untrained network of the recipe for data set ``name``, built in float32."""
    return float32_network(models.build, recipes.get(name).model_name)


def load_weights_into(model, path, advice):
    """Copy the weights saved in the .keras file ``path`` into ``model`` and return it.

    A file of another architecture is an error that ends with ``advice``.
    """
    trained = keras.models.load_model(path, compile=False)  # inference only: no optimizer needed
    if trained.name != model.name:
        raise ValueError(f"{path} holds a model named {trained.name!r}, not {model.name!r}: {advice}")
    models.same_layers(trained, model)
    model.set_weights(trained.get_weights())
    return model


def load_trained(name, checkpoint=None):
    """Load the learner's own trained model of notebook 04/05, or else the one shipped with cnnlab.

    Returns ``(model, origin)``, ``origin`` one sentence saying which file was loaded.
    Never trains and never downloads. A checkpoint of another architecture is an
    error that says how to fix it.
    """
    model = recipe_network(name)
    own = pathlib.Path(checkpoint or learner_checkpoint(name))
    path, origin = own, f"loaded your own model, saved by notebook {NOTEBOOKS[name]} in {own}"
    if not own.is_file():
        path = shipped_checkpoint(name)
        origin = (f"no model of yours at {own}, so loaded the fully trained one shipped with cnnlab "
                  f"(made by notebook {NOTEBOOKS[name]}'s code in full mode)")
    if not path.is_file():
        raise FileNotFoundError(f"neither {own} nor {path} exists: run notebook {NOTEBOOKS[name]} first")
    advice = f"re-run notebook {NOTEBOOKS[name]} to save it again, or delete the file"
    return load_weights_into(model, path, advice), origin
