"""The training recipes of notebooks 04 and 05: what to train, in one place.

A recipe is every setting needed to repeat a training run: the data held out
for validation, the batch size and number of epochs, the learning-rate
schedule, the optimizer, the label smoothing, the augmentation and the
test-time views. The network is ``cnnlab.models``' ``<name>_recipe``; how a
recipe is carried out (schedule, optimizer, batches) is ``cnnlab.training``.
Notebooks 04 and 05 write the same settings out in plain Keras and prove them
equal to the recipe (:func:`same_settings`), the benchmark trains the recipes,
and :func:`benchmark_results` reads what it measured.

The CIFAR-10 recipe follows airbench (Keller Jordan, 2024) and David Page's
"How to train your ResNet", adapted to Keras on a CPU: a frozen whitening
first layer, batch norm, ReLU (GELU costs twice the time on a CPU), label
smoothing, a warm-up then decaying learning rate, flips and 2-pixel shifts,
and test-time averaging over mirrored and shifted views.

Importing it loads no Keras.
"""

import dataclasses
import json

from cnnlab import _checks, data

VALIDATION_FRACTION = 0.1  # share of the training images held out to pick the best epoch
OPTIMIZERS = ("sgd", "adam")
BENCHMARK_RESULTS = data.ASSETS_DIR / "benchmark.json"  # written by python -m benchmarks.run --save


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How one model is trained: every setting, checked when the recipe is made."""

    name: str  # the data set: "mnist" or "cifar10"
    epochs: int
    batch_size: int
    peak_learning_rate: float
    warmup_fraction: float  # share of the steps spent warming up from start_factor * peak
    start_factor: float
    label_smoothing: float
    optimizer: str  # "sgd" (Nesterov momentum) or "adam"
    momentum: float = None  # SGD's; None for Adam
    weight_decay: float = None  # None: no weight decay
    max_shift: int = 2  # training shifts, pixels
    flip: bool = True  # training mirror images
    test_shift: int = 1  # test-time views (0: none)
    test_flip: bool = True
    validation_fraction: float = VALIDATION_FRACTION
    whitening_images: int = None  # training images the whitening layer is computed from (None: no such layer)

    def __post_init__(self):
        where = f"recipe {self.name!r}"
        for name in ("epochs", "batch_size"):
            _checks.positive_int(getattr(self, name), name, where)
        for name in ("max_shift", "test_shift"):
            _checks.non_negative_int(getattr(self, name), name, where)
        if self.whitening_images is not None:
            _checks.positive_int(self.whitening_images, "whitening_images", where)
        for name in ("warmup_fraction", "validation_fraction"):
            _checks.fraction(getattr(self, name), name, where)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"{where}: optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.optimizer == "sgd" and self.momentum is None:
            raise ValueError(f"{where}: optimizer 'sgd' needs a momentum, got None")

    @property
    def model_name(self):
        """The recipe's network in ``cnnlab.models.BUILDERS``."""
        return f"{self.name}_recipe"


# airbench93's settings converted to Keras: its learning rate 11.5 per 1,024 images on a summed
# loss with momentum 0.85 is 0.75 per step on Keras' mean loss at batch 512. (Batch 256 at 0.375,
# the same step per image, stayed below 88% in three runs, even with 13 epochs: benchmarks/RESULTS.md.)
CIFAR10 = Recipe("cifar10", epochs=12, batch_size=512, peak_learning_rate=0.75, warmup_fraction=0.23,
                 start_factor=0.2, label_smoothing=0.2, optimizer="sgd", momentum=0.85,
                 weight_decay=0.01, max_shift=2, flip=True, test_shift=1, test_flip=True,
                 whitening_images=5_000)
MNIST = Recipe("mnist", epochs=10, batch_size=128, peak_learning_rate=0.01, warmup_fraction=0.2,
               start_factor=0.1, label_smoothing=0.1, optimizer="adam", max_shift=2, flip=False,
               test_shift=1, test_flip=False)
# Short presets: the same recipes on a smaller budget (their schedules span their own epochs), for a
# learner on one CPU and for reaching the classic tutorials' accuracy in a fraction of their time.
CIFAR10_SHORT = dataclasses.replace(CIFAR10, epochs=3)
MNIST_SHORT = dataclasses.replace(MNIST, epochs=2)
RECIPES = {"cifar10": CIFAR10, "mnist": MNIST}
SHORT_RECIPES = {"cifar10": CIFAR10_SHORT, "mnist": MNIST_SHORT}
BUDGETS = ("full", "short")


def get(name, budget="full"):
    """The recipe for data set ``name`` ("mnist" or "cifar10") at ``budget`` ("full" or "short")."""
    if name not in RECIPES:
        raise ValueError(f"no recipe for data set {name!r}; choose one of {sorted(RECIPES)}")
    if budget not in BUDGETS:
        raise ValueError(f"no budget {budget!r} for recipe {name!r}; choose one of {BUDGETS}")
    return (RECIPES if budget == "full" else SHORT_RECIPES)[name]


def same_settings(settings, recipe):
    """Return True, or raise AssertionError naming every field where ``settings`` differ from ``recipe``.

    ``settings`` is a mapping of field names to values, or a Recipe; every field
    of the recipe must be there, and no other.
    """
    mine = dataclasses.asdict(settings) if isinstance(settings, Recipe) else dict(settings)
    theirs = dataclasses.asdict(recipe)
    differing = [f"{key}: {mine[key]!r} here, {theirs[key]!r} in the recipe"
                 for key in theirs if key in mine and mine[key] != theirs[key]]
    differing += [f"{key}: missing here" for key in theirs if key not in mine]
    differing += [f"{key}: not a recipe setting" for key in mine if key not in theirs]
    if differing:
        raise AssertionError(f"these settings differ from recipe {recipe.name!r}: " + "; ".join(differing))
    return True


def benchmark_results():
    """The latest stored results of ``python -m benchmarks.run --save`` (see benchmarks/RESULTS.md)."""
    if not BENCHMARK_RESULTS.is_file():
        raise FileNotFoundError(f"{BENCHMARK_RESULTS} is missing: run python -m benchmarks.run --data-dir DIR --save")
    return json.loads(BENCHMARK_RESULTS.read_text(encoding="utf-8"))
