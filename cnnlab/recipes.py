"""The training recipes of notebooks 04 and 05: one source of truth for models and training.

A recipe is everything needed to reproduce a training run: the model, the
optimizer and its learning-rate schedule, the loss, the augmentation, the
batch size and the number of epochs. Notebooks 04 and 05 write the same thing
out in plain Keras and prove it equal to the recipe (:func:`same_layers`), the
benchmark trains the recipes, and notebook 06 loads the models they saved.

The CIFAR-10 recipe follows airbench (Keller Jordan, 2024) and David Page's
"How to train your ResNet", adapted to Keras on a CPU: a frozen whitening
first layer, batch norm, ReLU (GELU costs twice the time on a CPU), label
smoothing, a warm-up then decaying learning rate, flips and 2-pixel shifts,
and test-time averaging over mirrored and shifted views.
"""

import dataclasses
import json
import pathlib

import numpy as np

from cnnlab import augment, config, whitening
from cnnlab.runtime import keras

layers = keras.layers

NUM_CLASSES = 10
MNIST_SHAPE = (28, 28, 1)
CIFAR10_SHAPE = (32, 32, 3)
WHITENING_IMAGES = 5_000  # training images the whitening layer is computed from
ASSETS = pathlib.Path(__file__).resolve().parent / "assets"
BENCHMARK_RESULTS = ASSETS / "benchmark.json"  # written by python -m benchmarks.run --save


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How one model is built, compiled and trained."""

    name: str
    epochs: int
    batch_size: int
    peak_learning_rate: float
    warmup_fraction: float  # share of the steps spent warming up from start_factor * peak
    start_factor: float
    label_smoothing: float
    optimizer: str  # "sgd" (Nesterov momentum) or "adam"
    momentum: float = 0.9
    weight_decay: float = None
    max_shift: int = 2  # training shifts, pixels
    flip: bool = True  # training mirror images
    test_shift: int = 1  # test-time views (0: none)
    test_flip: bool = True

    def steps_per_epoch(self, num_images):
        """Batches per epoch, as :func:`cnnlab.augment.training_batches` makes them."""
        return augment.batches_per_epoch(num_images, self.batch_size)

    def epochs_to_train(self):
        """The epochs to train: as the recipe says, 1 in quick mode."""
        return min(self.epochs, config.QUICK_EPOCHS) if config.quick else self.epochs


# --- precision ------------------------------------------------------------------------------

BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of CPUs with native bfloat16 maths


def cpu_has_bfloat16(cpuinfo="/proc/cpuinfo"):
    """True where the CPU multiplies bfloat16 natively (Linux only; False when it cannot tell)."""
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as lines:
            flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    except OSError:
        return False
    return any(flag in flags for flag in BFLOAT16_FLAGS)


def precision_policy():
    """ "mixed_bfloat16" where TensorFlow can use a native bfloat16 CPU, else "float32".

    Mixed precision computes in bfloat16 (half the bytes, twice the multiply rate
    on such CPUs) and keeps the weights in float32. Elsewhere bfloat16 is emulated
    and slower, so float32 stays the default.
    """
    native = keras.backend.backend() == "tensorflow" and cpu_has_bfloat16()
    return "mixed_bfloat16" if native else "float32"


# --- models ---------------------------------------------------------------------------------

def cifar10_model(widths=(64, 128, 128), batch_norm_momentum=0.6, learned_first_layer=False):
    """The CIFAR-10 recipe's network (airbench's 93% layout with ReLU): about 108 MFLOP per image.

    ``learned_first_layer=True`` trains the first 2x2 convolution like the others
    instead of setting it from the data (for measuring what whitening adds).
    """
    stack = [keras.Input(shape=CIFAR10_SHAPE, dtype="uint8", name="image"),
             layers.Rescaling(1 / 255, name="rescale"),
             # Set from the data by prepare_model and never trained.
             layers.Conv2D(2 * 2 * 2 * 3, 2, trainable=learned_first_layer, name="whiten"),
             layers.Activation("relu", name="whiten_relu")]
    for index, filters in enumerate(widths, start=1):
        stack += [layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"block{index}_conv1"),
                  # Pool before batch norm: the normalisation then costs a quarter as much.
                  layers.MaxPooling2D(2, name=f"block{index}_pool"),
                  layers.BatchNormalization(momentum=batch_norm_momentum, name=f"block{index}_bn1"),
                  layers.Activation("relu", name=f"block{index}_relu1")]
        stack += [layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"block{index}_conv2"),
                  layers.BatchNormalization(momentum=batch_norm_momentum, name=f"block{index}_bn2"),
                  layers.Activation("relu", name=f"block{index}_relu2")]
    stack += [layers.GlobalMaxPooling2D(name="global_pool"),
              layers.Dense(NUM_CLASSES, use_bias=False, name="logits"),
              # Small initial logits: the first large-learning-rate steps stay gentle.
              layers.Rescaling(1 / 9, name="logit_scale"),
              # Probabilities in float32 even under mixed precision: bfloat16 has 3 significant digits.
              layers.Activation("softmax", dtype="float32", name="output")]
    return keras.Sequential(stack, name="cifar10_recipe")


def mnist_model(width=32, batch_norm_momentum=0.9, input_shape=MNIST_SHAPE):
    """The MNIST recipe's network: three conv/pool/batch-norm/ReLU stages of widths w, 2w, 4w."""
    stack = [keras.Input(shape=input_shape, dtype="uint8", name="image"),
             layers.Rescaling(1 / 255, name="rescale")]
    for index, filters in enumerate((width, 2 * width, 4 * width), start=1):
        stack += [layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"block{index}_conv"),
                  # Pool before batch norm and ReLU, as in the CIFAR-10 network: they then cost a quarter.
                  layers.MaxPooling2D(2, name=f"block{index}_pool"),
                  layers.BatchNormalization(momentum=batch_norm_momentum, name=f"block{index}_bn"),
                  layers.Activation("relu", name=f"block{index}_relu")]
    stack += [layers.GlobalMaxPooling2D(name="global_pool"),
              layers.Dropout(0.2, name="dropout"),
              layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32", name="output")]
    return keras.Sequential(stack, name="mnist_recipe")


# --- the recipes ------------------------------------------------------------------------------

# airbench93's settings converted to Keras: its learning rate 11.5 per 1,024 images on a summed
# loss with momentum 0.85 is 0.75 per step on Keras' mean loss at batch 512. (Batch 256 at 0.375,
# the same step per image, stayed below 88% in three runs, even with 13 epochs: benchmarks/RESULTS.md.)
CIFAR10 = Recipe("cifar10", epochs=12, batch_size=512, peak_learning_rate=0.75, warmup_fraction=0.23,
                 start_factor=0.2, label_smoothing=0.2, optimizer="sgd", momentum=0.85,
                 weight_decay=0.01, max_shift=2, flip=True, test_shift=1, test_flip=True)
MNIST = Recipe("mnist", epochs=8, batch_size=128, peak_learning_rate=0.01, warmup_fraction=0.2,
               start_factor=0.1, label_smoothing=0.1, optimizer="adam", max_shift=2, flip=False,
               test_shift=1, test_flip=False)
BUILDERS = {"cifar10": cifar10_model, "mnist": mnist_model}
RECIPES = {"cifar10": CIFAR10, "mnist": MNIST}


def learning_rate_schedule(recipe, total_steps):
    """Linear warm-up from ``start_factor * peak`` to the peak, then cosine decay to zero."""
    warmup_steps = max(1, int(total_steps * recipe.warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=recipe.start_factor * recipe.peak_learning_rate,
        warmup_target=recipe.peak_learning_rate, warmup_steps=warmup_steps,
        decay_steps=max(1, total_steps - warmup_steps), alpha=0.0)


def make_optimizer(recipe, total_steps):
    """The recipe's optimizer on its schedule."""
    schedule = learning_rate_schedule(recipe, total_steps)
    if recipe.optimizer == "sgd":
        return keras.optimizers.SGD(schedule, momentum=recipe.momentum, nesterov=True,
                                    weight_decay=recipe.weight_decay)
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(schedule, weight_decay=recipe.weight_decay)
    raise ValueError(f"recipe {recipe.name!r}: optimizer must be 'sgd' or 'adam', got {recipe.optimizer!r}")


def make_loss(recipe):
    """Cross-entropy on one-hot targets smoothed by ``label_smoothing``."""
    return keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing)


def prepare_model(model, images):
    """Set a model's data-dependent layers (the whitening layer, if any) from training images."""
    names = [layer.name for layer in model.layers]
    if "whiten" in names and not model.get_layer("whiten").trainable:
        layer = model.get_layer("whiten")
        layer.set_weights(list(whitening.whitening_weights(images[:WHITENING_IMAGES], layer.kernel_size[0])))
    return model


def compiled_model(recipe, train_images, model=None):
    """Build (unless given), prepare and compile ``recipe``'s model for training on ``train_images``."""
    model = BUILDERS[recipe.name]() if model is None else model
    prepare_model(model, train_images)
    total_steps = recipe.steps_per_epoch(len(train_images)) * recipe.epochs_to_train()
    model.compile(optimizer=make_optimizer(recipe, total_steps), loss=make_loss(recipe),
                  metrics=["accuracy"])
    return model


def train_batches(recipe, images, one_hot_labels, seed=0):
    """The recipe's augmented training batches."""
    return augment.training_batches(images, one_hot_labels, recipe.batch_size, max_shift=recipe.max_shift,
                                    flip=recipe.flip, seed=seed)


def predict(recipe, model, images):
    """Class probabilities with the recipe's test-time views averaged, shape (N, num_classes)."""
    return augment.predict_views(model, images, max_shift=recipe.test_shift, flip=recipe.test_flip)


# --- proving a notebook's model equal to the recipe's ------------------------------------------

# Configuration keys that name or place a layer rather than define what it computes.
_IGNORED_KEYS = {"name", "trainable", "dtype"}


def layer_settings(model):
    """Each layer's class and configuration (without names), in order: what makes two models the same."""
    settings = []
    for layer in model.layers:
        config_ = {key: value for key, value in layer.get_config().items() if key not in _IGNORED_KEYS}
        settings.append((type(layer).__name__, layer.trainable, config_))
    return settings


def same_layers(model, reference):
    """Raise AssertionError naming the first layer where ``model`` differs from ``reference``."""
    mine, theirs = layer_settings(model), layer_settings(reference)
    if len(mine) != len(theirs):
        raise AssertionError(f"{model.name} has {len(mine)} layers, {reference.name} has {len(theirs)}")
    for index, (a, b) in enumerate(zip(mine, theirs)):
        if a != b:
            differing = sorted(key for key in set(a[2]) | set(b[2]) if a[2].get(key) != b[2].get(key))
            raise AssertionError(f"layer {index} ({model.layers[index].name!r}) differs from "
                                 f"{reference.layers[index].name!r}: {a[0]} vs {b[0]}, "
                                 f"settings {differing or 'trainable'}")
    return True


def forward_flops(model):
    """Multiply-adds x 2 of one image's forward pass through the Conv2D and Dense layers."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, (layers.Conv2D, layers.Dense)):
            kernel = np.prod(layer.kernel.shape)  # (kh, kw, C_in, F) or (inputs, units)
            outputs = np.prod(layer.output.shape[1:-1]) if isinstance(layer, layers.Conv2D) else 1
            total += 2 * int(kernel) * int(outputs)
    return total


def benchmark_results():
    """The latest stored results of ``python -m benchmarks.run --save`` (see benchmarks/RESULTS.md)."""
    if not BENCHMARK_RESULTS.is_file():
        raise FileNotFoundError(f"{BENCHMARK_RESULTS} is missing: run python -m benchmarks.run --data-dir DIR --save")
    return json.loads(BENCHMARK_RESULTS.read_text(encoding="utf-8"))


# --- trained models for later notebooks -------------------------------------------------------

CHECKPOINT_NAMES = {"mnist": "mnist_cnn", "cifar10": "cifar10_cnn"}  # for config.checkpoint_path
NOTEBOOKS = {"mnist": "04_mnist_cnn", "cifar10": "05_cifar10"}
SHIPPED_ACCURACIES = ASSETS / "shipped.json"  # test accuracy of each shipped model, written with it


def shipped_checkpoint(name):
    """The fully trained model of notebook 04 ("mnist") or 05 ("cifar10") that ships with cnnlab."""
    return ASSETS / f"{name}_recipe.keras"


def load_trained(name, checkpoint=None):
    """Load the learner's own trained model of notebook 04/05, or else the one shipped with cnnlab.

    Returns ``(model, origin)``, ``origin`` one sentence saying which file was loaded.
    Never trains and never downloads. A checkpoint of another architecture is an
    error that says how to fix it.
    """
    if name not in BUILDERS:
        raise ValueError(f"no recipe for data set {name!r}; choose one of {sorted(BUILDERS)}")
    expected = BUILDERS[name]().name
    own = pathlib.Path(checkpoint or config.checkpoint_path(CHECKPOINT_NAMES[name]))
    path, origin = own, f"loaded your own model, saved by notebook {NOTEBOOKS[name]} in {own}"
    if not own.is_file():
        path = shipped_checkpoint(name)
        origin = (f"no model of yours at {own}, so loaded the fully trained one shipped with cnnlab "
                  f"(made by notebook {NOTEBOOKS[name]}'s code in full mode)")
    if not path.is_file():
        raise FileNotFoundError(f"neither {own} nor {path} exists: run notebook {NOTEBOOKS[name]} first")
    trained = keras.models.load_model(path, compile=False)  # inference only: no optimizer needed
    if trained.name != expected:
        raise ValueError(f"{path} holds a model named {trained.name!r}, not {expected!r}: re-run notebook "
                         f"{NOTEBOOKS[name]} to save it again, or delete the file")
    # Rebuilt in float32 whatever policy it was trained under: looking inside it (feature maps,
    # gradients) then gives float32 arrays on every machine.
    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        model = BUILDERS[name]()
    finally:
        keras.mixed_precision.set_global_policy(policy)
    same_layers(trained, model)
    model.set_weights(trained.get_weights())
    return model, origin
