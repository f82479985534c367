"""Time-to-accuracy benchmark: cnnlab's recipes against the classic tutorials, in one process.

    python -m benchmarks.run --data-dir DIR [--only mnist|cifar10|ablation ...] [--seeds 0 1] [--smoke]

For each data set it trains, one after the other:

1. the classics exactly as their sources do (plain ``model.fit``, float32): for
   CIFAR-10 seed 004's CNN and the TensorFlow CNN tutorial's model, for MNIST
   seed 003's CNN and keras.io's "Simple MNIST convnet". The first of each pair
   is the *reference*: its fixed-epoch training time is the budget unit. Each
   classic's chosen epoch is its best *validation* epoch; its ``best_accuracy``
   is the test accuracy there. Each is then trained again under the recipe's
   precision policy (``cnnlab.runtime.precision_policy``) for a second column.
2. cnnlab's recipe (``cnnlab.recipes``), as notebooks 04 and 05 train it, once
   per seed of ``--seeds``: the weights of its best validation epoch are kept
   and scored once on the test set, with and without its test-time views.
3. for each classic, the recipe *shortened* to the whole epochs that fit in half
   the time the classic needed to reach its best epoch (seed 0): training
   seconds until its plain test accuracy (no views, scored after every epoch)
   first reaches the classic's best accuracy.
4. the short preset (``recipes.get(name, "short")``), seed 0.

After every epoch a callback stops the training clock, scores the test set where
needed and restarts the clock, so seconds are training seconds only.
``ablation`` trains the CIFAR-10 recipe at its full budget with one technique
removed at a time. ``--save`` stores each section in
``cnnlab/assets/benchmark.json`` as soon as it finishes; notebook 05 prints it.
benchmarks/RESULTS.md ("How to read benchmark.json") describes every key.

The last line printed is one JSON object (a section is left out under --only)::

    {"cifar10": {"accuracies", "plain_accuracies", "accuracy", "train_seconds", "reference_seconds",
                 "budget_ratio", "reference_seconds_recipe_precision", "budget_ratio_recipe_precision",
                 "classics": {name: {"best_accuracy", "best_epoch", "seconds_to_best",
                                     "best_accuracy_recipe_precision", "best_epoch_recipe_precision",
                                     "seconds_to_best_recipe_precision", "cnnlab_seconds_to_it",
                                     "cnnlab_epochs", "cnnlab_accuracy", "ratio",
                                     "ratio_recipe_precision"}},
                 "ratio", "short": {"epochs", "accuracy", "train_seconds", "budget_ratio"},
                 "gflops", "peak_gflops", "precision", "peak_gflops_bfloat16"},
     "mnist": {the same keys},
     "ablation": {"epochs", "rows": [{"technique_removed", "test_accuracies", "test_accuracy",
                                      "train_seconds", "plain_test_accuracies"}, ...]}}

``--smoke`` trains on a small subset for one epoch everywhere to check the
plumbing: its numbers mean nothing.
"""

import argparse
import dataclasses
import importlib.metadata
import json
import math
import os
import pathlib
import platform
import sys
import time
from typing import Callable, NamedTuple

import numpy as np

from cnnlab import config, data, evaluation, models, prediction, recipes, runtime, training
from cnnlab.runtime import keras

SEED = 0  # the classics, the shortened recipes and the short preset train on this seed
SEEDS = (0, 1)  # default --seeds: the full recipe trains once per seed
TEST_BATCH_SIZE = 500
SECTIONS = ("mnist", "cifar10", "ablation")
RESULTS_PATH = recipes.BENCHMARK_RESULTS  # the latest measurements, which notebook 05 prints
MATMUL_SIZE = 2048
MATMUL_REPEATS = 10

# --smoke: enough data to run every code path in a few minutes on two cores.
SMOKE_TRAIN_IMAGES = 2_000
SMOKE_TEST_IMAGES = 500
SMOKE_BANNER = "SMOKE RUN: tiny subset, 1 epoch. These numbers are NOT meaningful; do not record them."


@dataclasses.dataclass(frozen=True)
class Classic:
    """A model from a classic tutorial, trained as its source trains it."""

    key: str  # its key in the JSON summary
    source: str
    builder: Callable  # () -> uncompiled Keras model
    optimizer: str  # Keras name: each source uses the optimizer's defaults
    one_hot: bool  # whether its loss takes one-hot labels
    batch_size: int
    epochs: int

    @property
    def loss(self):
        return "categorical_crossentropy" if self.one_hot else "sparse_categorical_crossentropy"


CLASSICS = {
    "cifar10": (Classic("seed_cifar10_cnn", "seed 004", models.seed_cifar10_cnn, "rmsprop", True, 32, 10),
                Classic("tf_tutorial_cnn", "TensorFlow CNN tutorial", models.tf_tutorial_cnn, "adam",
                        False, 32, 10)),
    "mnist": (Classic("dlwp_cnn", "seed 003 (Deep Learning with Python)", models.dlwp_cnn, "rmsprop", True,
                      64, 5),
              Classic("keras_io_mnist_convnet", "keras.io Simple MNIST convnet", models.keras_io_mnist_convnet,
                      "adam", True, 128, 15)),
}
LOADERS = {"cifar10": data.load_cifar10, "mnist": data.load_mnist}

# What the ablation removes, one at a time, from the CIFAR-10 recipe; "test-time views" needs no
# training (the full recipe's models scored without them).
ABLATIONS = {
    "whitening": {"learned_first_layer": True},
    "augmentation": {"max_shift": 0, "flip": False},
    "label smoothing": {"label_smoothing": 0.0},
}
NO_VIEWS = "test-time views"


def progress(line):
    """Print one progress line at once (a full run takes hours; its output may be a file)."""
    print(line, flush=True)


# --- pure pieces ---------------------------------------------------------------------------

def seconds_to_target(history, target):
    """Training seconds at the first epoch whose test accuracy reaches ``target``; None if none does.

    ``history`` lists (cumulative training seconds, test accuracy) pairs, one per epoch.
    """
    if not 0 < target <= 1:
        raise ValueError(f"target accuracy must be in (0, 1], got {target}")
    previous = 0.0
    for epoch, (seconds, accuracy) in enumerate(history, start=1):
        if seconds < previous:
            raise ValueError(f"epoch {epoch}: cumulative seconds went down, {previous} -> {seconds}")
        if not 0 <= accuracy <= 1:
            raise ValueError(f"epoch {epoch}: accuracy {accuracy} is outside 0..1")
        if accuracy >= target:
            return seconds
        previous = seconds
    return None


def chosen_epoch(validation_accuracies):
    """The epoch (from 1) that validation chooses: the first one of the highest validation accuracy."""
    scores = list(validation_accuracies)
    if not scores:
        raise ValueError("no epochs to choose from: the validation accuracies are empty")
    for epoch, accuracy in enumerate(scores, start=1):
        if accuracy is None or not 0 <= accuracy <= 1:
            raise ValueError(f"epoch {epoch}: validation accuracy {accuracy} is not in 0..1")
    return scores.index(max(scores)) + 1


def ratio(numerator, denominator):
    """``numerator / denominator``, or None when either is None (a threshold never reached)."""
    if numerator is None or denominator is None:
        return None
    if denominator <= 0:
        raise ValueError(f"cannot divide by a non-positive time: {numerator} / {denominator}")
    return numerator / denominator


def epochs_within(seconds, epoch_seconds, most):
    """Whole epochs of ``epoch_seconds`` that fit in ``seconds`` (at least 1, at most ``most``)."""
    if epoch_seconds <= 0:
        raise ValueError(f"an epoch cannot take {epoch_seconds} s")
    return max(1, min(most, math.floor(seconds / epoch_seconds)))


def half_budget_epochs(classic_seconds_to_best, epoch_seconds, most):
    """Whole recipe epochs that fit in HALF a classic's seconds to its best (at least 1, at most ``most``)."""
    return epochs_within(classic_seconds_to_best / 2, epoch_seconds, most)


def _rounded(value, digits):
    return None if value is None else round(value, digits)


def _mean(values):
    values = list(values)
    if not values:
        raise ValueError("cannot average an empty list")
    return sum(values) / len(values)


def seeds_summary(runs):
    """The recipe's seed keys of a section from its per-seed ``RecipeRun``s, in seed order.

    ``accuracy`` is the lowest test accuracy (with views) over the seeds, ``train_seconds`` the mean.
    """
    if not runs:
        raise ValueError("no recipe runs to summarise: --seeds needs at least one seed")
    accuracies = [run.accuracy for run in runs]
    return {"accuracies": [_rounded(value, 4) for value in accuracies],
            "plain_accuracies": [_rounded(run.plain_accuracy, 4) for run in runs],
            "accuracy": _rounded(min(accuracies), 4),
            "train_seconds": _rounded(_mean(run.training_seconds for run in runs), 1)}


def ablation_row(technique_removed, accuracies, seconds, plain_accuracies=None):
    """One row of the ablation table: per-seed test accuracies, their mean, the mean training seconds."""
    if not accuracies or len(accuracies) != len(seconds):
        raise ValueError(f"ablation row {technique_removed!r}: needs one training time per accuracy, "
                         f"got {len(accuracies)} accuracies and {len(seconds)} times")
    row = {"technique_removed": technique_removed,
           "test_accuracies": [_rounded(value, 4) for value in accuracies],
           "test_accuracy": _rounded(_mean(accuracies), 4),
           "train_seconds": _rounded(_mean(seconds), 1)}
    if plain_accuracies is not None:
        row["plain_test_accuracies"] = [_rounded(value, 4) for value in plain_accuracies]
    return row


class EpochRecord(NamedTuple):
    """One epoch: cumulative training seconds, test accuracy (None when not scored), seconds the
    test evaluation took, validation accuracy (None without validation data)."""

    seconds: float
    accuracy: float
    evaluation_seconds: float
    val_accuracy: float = None


class TestAccuracyClock(keras.callbacks.Callback):
    """After every epoch: stop the training clock, score the test set, then restart the clock.

    ``records`` holds one EpochRecord per epoch, with ``logs["val_accuracy"]``
    when fit has validation data. ``evaluate=None`` scores no test set (the
    clock and validation only). Call ``start()`` where the training clock should
    start (before any set-up that counts as training); otherwise it starts when
    fit begins.
    """

    __test__ = False  # a Keras callback, not a pytest test class

    def __init__(self, evaluate, clock=time.perf_counter, log=None):
        super().__init__()
        self.evaluate = evaluate  # model -> test accuracy, or None
        self.clock = clock
        self.log = log
        self.records = []
        self.started = None
        self.paused_seconds = 0.0

    def start(self):
        """Start the training clock now."""
        self.started = self.clock()
        self.paused_seconds = 0.0
        self.records = []

    def on_train_begin(self, logs=None):
        if self.started is None:
            self.start()

    def on_epoch_end(self, epoch, logs=None):
        stopped = self.clock()
        accuracy = None if self.evaluate is None else float(self.evaluate(self.model))
        resumed = self.clock()
        validation = (logs or {}).get("val_accuracy")
        record = EpochRecord(stopped - self.started - self.paused_seconds, accuracy, resumed - stopped,
                             None if validation is None else float(validation))
        self.paused_seconds += resumed - stopped
        self.records.append(record)
        if self.log:
            test = "" if accuracy is None else (f", test accuracy {accuracy:.4f} "
                                                f"(evaluation {record.evaluation_seconds:.1f} s)")
            val = "" if validation is None else f", validation accuracy {record.val_accuracy:.4f}"
            self.log(f"epoch {epoch + 1}: {record.seconds:7.1f} s training{val}{test}")


class BestWeights(keras.callbacks.Callback):
    """Keep a copy of the weights of the best validation epoch (the first of the highest) and put them
    back when fit ends: the recipe's model selection, like ModelCheckpoint(save_best_only=True)
    without the files."""

    def __init__(self):
        super().__init__()
        self.best = None
        self.weights = None
        self.epoch = None

    def on_epoch_end(self, epoch, logs=None):
        accuracy = (logs or {}).get("val_accuracy")
        if accuracy is None:
            raise ValueError("BestWeights needs validation data: logs have no 'val_accuracy'")
        if self.best is None or accuracy > self.best:  # strictly better: the first epoch of a tie stays
            self.best, self.epoch, self.weights = float(accuracy), epoch + 1, self.model.get_weights()

    def on_train_end(self, logs=None):
        if self.weights is not None:
            self.model.set_weights(self.weights)


@dataclasses.dataclass
class ModelResult:
    """One trained model: its per-epoch records and final test accuracy."""

    name: str
    records: list  # EpochRecord per epoch
    final_accuracy: float
    images_per_epoch: int

    @property
    def training_seconds(self):
        """Training seconds over all epochs, test evaluations excluded."""
        return self.records[-1].seconds if self.records else 0.0

    @property
    def evaluation_seconds(self):
        return sum(record.evaluation_seconds for record in self.records)

    @property
    def best_accuracy(self):
        """The best test accuracy of any epoch (hindsight: for reports; selection uses validation)."""
        return max((record.accuracy for record in self.records if record.accuracy is not None), default=None)

    @property
    def best_epoch(self):
        """The epoch validation chooses (from 1)."""
        return chosen_epoch(record.val_accuracy for record in self.records)

    @property
    def chosen_accuracy(self):
        """Test accuracy at the epoch validation chooses."""
        return self.records[self.best_epoch - 1].accuracy

    @property
    def seconds_to_chosen(self):
        """Training seconds up to the end of the epoch validation chooses."""
        return self.records[self.best_epoch - 1].seconds

    @property
    def images_per_second(self):
        seconds = self.training_seconds
        return self.images_per_epoch * len(self.records) / seconds if seconds > 0 else None

    def seconds_to(self, target):
        """Training seconds until the test accuracy first reached ``target``, or None."""
        if target is None:
            return None
        return seconds_to_target([(record.seconds, record.accuracy) for record in self.records], target)


@dataclasses.dataclass
class RecipeRun(ModelResult):
    """A recipe trained with validation selection: ``final_accuracy`` is its best validation epoch's
    test accuracy with the test-time views, ``plain_accuracy`` without them."""

    plain_accuracy: float = None
    views_seconds: float = 0.0
    seed: int = SEED

    @property
    def accuracy(self):
        return self.final_accuracy


def classic_entry(float32_result, recipe_precision_result, shortened):
    """One classic's JSON entry: its validation-chosen epoch in float32 and under the recipe's
    precision, and the shortened recipe's seconds to its float32 best test accuracy."""
    best, seconds_to_best = float32_result.chosen_accuracy, float32_result.seconds_to_chosen
    other = recipe_precision_result
    ours = shortened.seconds_to(best)
    return {"best_accuracy": _rounded(best, 4), "best_epoch": float32_result.best_epoch,
            "seconds_to_best": _rounded(seconds_to_best, 1),
            "best_accuracy_recipe_precision": _rounded(other.chosen_accuracy, 4),
            "best_epoch_recipe_precision": other.best_epoch,
            "seconds_to_best_recipe_precision": _rounded(other.seconds_to_chosen, 1),
            "cnnlab_seconds_to_it": _rounded(ours, 1), "cnnlab_epochs": len(shortened.records),
            "cnnlab_accuracy": _rounded(shortened.final_accuracy, 4),
            "ratio": _rounded(ratio(ours, seconds_to_best), 3),
            "ratio_recipe_precision": _rounded(ratio(ours, other.seconds_to_chosen), 3)}


def section_summary(classics, recipe_runs, shortened, flops_per_image, peak_gflops,
                    classics_recipe_precision=None, short=None):
    """One data set's JSON section.

    ``classics`` maps each classic's key to its float32 ModelResult, the first
    being the reference; ``classics_recipe_precision`` the same under the
    recipe's precision (None: the same results, when that policy is float32);
    ``recipe_runs`` lists the full recipe's RecipeRun per seed; ``shortened``
    maps the classics' keys to the shortened recipe's ModelResult for half that
    classic's time; ``short`` is the short preset's RecipeRun (or None).
    """
    if not classics:
        raise ValueError("a section needs at least one classic (the first is the reference)")
    other = classics_recipe_precision or classics
    reference = next(iter(classics.values()))
    reference_other = other[next(iter(classics))]
    entries = {key: classic_entry(result, other[key], shortened[key]) for key, result in classics.items()}
    ratios = [entry["ratio"] for entry in entries.values()]
    summary = seeds_summary(recipe_runs)
    seconds = _mean(run.training_seconds for run in recipe_runs)
    images = _mean(run.images_per_epoch * len(run.records) for run in recipe_runs)
    gflops = 3 * flops_per_image * images / seconds / 1e9
    summary.update({
        "reference_seconds": _rounded(reference.training_seconds, 1),
        "budget_ratio": _rounded(ratio(seconds, reference.training_seconds), 3),
        "reference_seconds_recipe_precision": _rounded(reference_other.training_seconds, 1),
        "budget_ratio_recipe_precision": _rounded(ratio(seconds, reference_other.training_seconds), 3),
        "classics": entries,
        "ratio": None if None in ratios else max(ratios),
        "gflops": _rounded(gflops, 1), "peak_gflops": _rounded(peak_gflops, 1)})
    if short is not None:
        summary["short"] = {"epochs": len(short.records), "accuracy": _rounded(short.accuracy, 4),
                            "train_seconds": _rounded(short.training_seconds, 1),
                            "budget_ratio": _rounded(ratio(short.training_seconds,
                                                           reference.training_seconds), 3)}
    return summary


# --- training ------------------------------------------------------------------------------

def scorer(images, labels, recipe=None):
    """model -> test accuracy: plain predictions, or the recipe's averaged test-time views."""
    def score(model):
        if recipe is None:
            probabilities = model.predict(images, batch_size=TEST_BATCH_SIZE, verbose=0)
        else:
            probabilities = prediction.predict_recipe(recipe, model, images)
        return evaluation.accuracy(labels, probabilities)
    return score


def train_classic(classic, train, validation, test, epochs, policy="float32", log=progress):
    """Train one classic as its source does (plain fit, default optimizer) with the test clock.

    ``policy``: the Keras precision policy it is built under (its sources: float32).
    """
    (x_fit, y_fit), (x_valid, y_valid), (x_test, y_test) = train, validation, test
    if classic.one_hot:
        y_fit, y_valid = training.one_hot(y_fit, models.NUM_CLASSES), training.one_hot(y_valid, models.NUM_CLASSES)
    runtime.set_seed(SEED)
    keras.mixed_precision.set_global_policy(policy)
    try:
        model = classic.builder()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    model.compile(optimizer=classic.optimizer, loss=classic.loss, metrics=["accuracy"])
    prefix = f"  {classic.key} ({classic.source}, {policy})"
    log(f"{prefix}: {len(x_fit):,} images, batch {classic.batch_size}, {epochs} epoch(s)")
    clock = TestAccuracyClock(scorer(x_test, y_test), log=lambda line: log(f"{prefix} {line}"))
    clock.start()
    model.fit(x_fit, y_fit, batch_size=classic.batch_size, epochs=epochs, validation_data=(x_valid, y_valid),
              callbacks=[clock], verbose=0)
    result = ModelResult(classic.key, clock.records, clock.records[-1].accuracy, len(x_fit))
    log(f"{prefix}: validation chooses epoch {result.best_epoch}: test accuracy {result.chosen_accuracy:.4f} "
        f"at {result.seconds_to_chosen:.1f} s")
    return result


def train_recipe(recipe, train, validation, test, label, seed=SEED, builder=None, test_every_epoch=False,
                 log=progress):
    """Train a recipe as notebooks 04/05 do, keeping the weights of its best validation epoch.

    Those weights are scored once at the end, with the recipe's test-time views
    (``final_accuracy``) and without (``plain_accuracy``). With
    ``test_every_epoch`` the clock also scores the test set after every epoch
    with plain predictions (no views: they cost six predictions), which
    :meth:`ModelResult.seconds_to` reads.
    """
    (x_fit, y_fit), (x_valid, y_valid), (x_test, y_test) = train, validation, test
    runtime.set_seed(seed)
    prefix = f"  cnnlab {label}, seed {seed}"
    log(f"{prefix}: {len(x_fit):,} images, batch {recipe.batch_size}, {recipe.epochs} epoch(s)")
    clock = TestAccuracyClock(scorer(x_test, y_test) if test_every_epoch else None,
                              log=lambda line: log(f"{prefix} {line}"))
    keeper = BestWeights()
    clock.start()  # the whitening layer is computed from the data: that counts as training
    keras.mixed_precision.set_global_policy(runtime.precision_policy())  # as notebooks 04/05 do
    try:
        model = training.compiled_model(recipe, x_fit, model=builder() if builder else None)
    finally:
        keras.mixed_precision.set_global_policy("float32")  # the classics compute as their sources do
    batches = training.train_batches(recipe, x_fit, training.one_hot(y_fit, models.NUM_CLASSES), seed=seed)
    # The keeper runs before the clock: copying the best weights is part of the recipe's training.
    model.fit(batches, epochs=recipe.epochs,
              validation_data=(x_valid, training.one_hot(y_valid, models.NUM_CLASSES)),
              callbacks=[keeper, clock], verbose=0)
    start = time.perf_counter()
    final = scorer(x_test, y_test, recipe)(model)
    views_seconds = time.perf_counter() - start
    result = RecipeRun(label, clock.records, final, len(x_fit), plain_accuracy=scorer(x_test, y_test)(model),
                       views_seconds=views_seconds, seed=seed)
    log(f"{prefix}: validation chooses epoch {keeper.epoch}; its test accuracy {final:.4f} with test-time "
        f"views ({views_seconds:.1f} s), {result.plain_accuracy:.4f} without")
    return result


def matmul_peak_gflops(size=MATMUL_SIZE, repeats=MATMUL_REPEATS, dtype="float32", clock=time.perf_counter):
    """The best matrix-multiply rate of this machine through the Keras backend, in GFLOP/s.

    A product of two n x n matrices takes n^3 multiply-adds (2 n^3 FLOPs); the
    fastest of ``repeats`` timed products, after one warm-up, sets the rate.
    """
    ops = keras.ops
    random = np.random.default_rng(SEED)
    a = ops.convert_to_tensor(random.random((size, size), dtype=np.float32), dtype=dtype)
    b = ops.convert_to_tensor(random.random((size, size), dtype=np.float32), dtype=dtype)
    ops.convert_to_numpy(ops.matmul(a, b))  # warm-up
    best = math.inf
    for _ in range(repeats):
        start = clock()
        ops.convert_to_numpy(ops.matmul(a, b))
        best = min(best, clock() - start)
    return 2 * size ** 3 / best / 1e9


def smoke_recipe(recipe, smoke):
    """The recipe, at one epoch under --smoke."""
    return dataclasses.replace(recipe, epochs=1) if smoke else recipe


def train_seeds(recipe, splits, seeds, label, log=progress, **kwargs):
    """The recipe trained once per seed, in seed order."""
    return [train_recipe(recipe, *splits, label, seed=seed, log=log, **kwargs) for seed in seeds]


class Section(NamedTuple):
    """What one data set's run measured: its JSON summary and the results behind its table."""

    summary: dict
    classics: dict
    classics_recipe_precision: dict
    recipe_runs: list
    shortened: dict  # epochs -> ModelResult
    short: ModelResult


def run_section(name, splits, smoke, peak_gflops, seeds=SEEDS, log=progress):
    """Classics (float32, then the recipe's precision), the recipe per seed, shortened, short preset."""
    train, validation, test = splits
    recipe = smoke_recipe(recipes.get(name), smoke)
    policy = runtime.precision_policy()
    classics, classics_other = {}, {}
    for classic in CLASSICS[name]:
        epochs = 1 if smoke else classic.epochs
        classics[classic.key] = train_classic(classic, train, validation, test, epochs, log=log)
        if policy != "float32":  # float32 everywhere: the second column is the first
            classics_other[classic.key] = train_classic(classic, train, validation, test, epochs, policy, log)
    runs = train_seeds(recipe, splits, seeds, f"{name} recipe", log)
    epoch_seconds = _mean(run.training_seconds for run in runs) / recipe.epochs
    by_epochs, shortened = {}, {}
    for key, classic in classics.items():
        epochs = half_budget_epochs(classic.seconds_to_chosen, epoch_seconds, recipe.epochs)
        if epochs not in by_epochs:
            by_epochs[epochs] = train_recipe(dataclasses.replace(recipe, epochs=epochs), *splits,
                                             f"{name} recipe, {epochs} epoch(s) for {key}",
                                             test_every_epoch=True, log=log)
        shortened[key] = by_epochs[epochs]
    short = train_recipe(smoke_recipe(recipes.get(name, "short"), smoke), *splits, f"{name} short preset",
                         log=log)
    flops = models.forward_flops(models.build(recipe.model_name))
    summary = section_summary(classics, runs, shortened, flops, peak_gflops, classics_other or None, short)
    return Section(summary, classics, classics_other or classics, runs, by_epochs, short)


def run_ablation(splits, seeds, smoke=False, none_runs=None, log=progress):
    """The CIFAR-10 recipe at its full budget with one technique removed at a time.

    The "none" row is the full recipe on every seed (``none_runs`` when the
    cifar10 section already trained them); each removal trains on seed 0 only;
    "test-time views" scores the "none" models without their views.
    """
    recipe = smoke_recipe(recipes.CIFAR10, smoke)
    if none_runs is None:
        none_runs = train_seeds(recipe, splits, seeds, "ablation: none", log)
    seconds = [run.training_seconds for run in none_runs]
    rows = [ablation_row("none", [run.accuracy for run in none_runs], seconds,
                         [run.plain_accuracy for run in none_runs])]
    for label, change in ABLATIONS.items():
        settings = dict(change)
        learned = settings.pop("learned_first_layer", False)
        result = train_recipe(dataclasses.replace(recipe, **settings), *splits, f"ablation: no {label}",
                              builder=lambda: models.cifar10_model(learned_first_layer=learned), log=log)
        rows.append(ablation_row(label, [result.accuracy], [result.training_seconds], [result.plain_accuracy]))
    # Same models as "none", scored without views: no training, so none's seeds and times.
    rows.append(ablation_row(NO_VIEWS, [run.plain_accuracy for run in none_runs], seconds))
    return {"epochs": recipe.epochs, "rows": rows}


# --- machine, data, report -----------------------------------------------------------------

def machine_description():
    """What the numbers were measured on: CPU model, cores, Python, Keras backend and versions."""
    cpu = runtime.cpuinfo_field("model name") or platform.processor() or "unknown"
    backend = keras.backend.backend()
    try:
        backend_version = importlib.metadata.version(backend)
    except importlib.metadata.PackageNotFoundError:
        backend_version = "unknown"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    facts = {
        "cpu": cpu,
        "cores": f"{os.cpu_count()} (usable by this process: {usable})",
        "python": platform.python_version(),
        "keras": f"{keras.__version__}, backend {backend} {backend_version}",
    }
    if backend == "jax":
        import jax  # only on the JAX backend: name the device it computes on

        device = jax.devices()[0]
        facts["device"] = f"{device.platform}: {getattr(device, 'device_kind', device)}"
    return facts


def load_splits(name, smoke):
    """(fit, validation, test) uint8 splits of one data set; a small subset under --smoke."""
    (x_train, y_train), (x_test, y_test) = LOADERS[name]()
    if smoke:
        x_train, y_train = x_train[:SMOKE_TRAIN_IMAGES], y_train[:SMOKE_TRAIN_IMAGES]
        x_test, y_test = x_test[:SMOKE_TEST_IMAGES], y_test[:SMOKE_TEST_IMAGES]
    train, validation = training.split_validation(x_train, y_train)  # the recipes' fraction, for every model
    return train, validation, (x_test, y_test)


def _format_seconds(seconds):
    return "-" if seconds is None else f"{seconds:.1f}"


def format_table(name, section):
    """The human-readable report of one section (a Section)."""
    summary = section.summary
    header = (f"{name:<8} {'model':<46} {'epochs':>6} {'chosen':>6} {'test acc':>8} {'train s':>8} "
              f"{'images/s':>9}")
    lines = [header, "-" * len(header)]
    for key, result in section.classics.items():
        other = section.classics_recipe_precision[key]
        for label, model in ((f"{key} (float32)", result), (f"{key} ({summary['precision']})", other)):
            if model is result or other is not result:
                lines.append(f"{'':<8} {label:<46} {len(model.records):>6} {model.best_epoch:>6} "
                             f"{model.chosen_accuracy:>8.4f} {model.training_seconds:>8.1f} "
                             f"{model.images_per_second or 0:>9,.0f}")
    for run in section.recipe_runs:
        lines.append(f"{'':<8} {f'cnnlab recipe, seed {run.seed} (views / plain)':<46} {len(run.records):>6} "
                     f"{run.best_epoch:>6} {run.accuracy:>8.4f} {run.training_seconds:>8.1f} "
                     f"{run.images_per_second or 0:>9,.0f}   plain {run.plain_accuracy:.4f}")
    for epochs, result in sorted(section.shortened.items()):
        lines.append(f"{'':<8} {'cnnlab recipe shortened (views)':<46} {epochs:>6} {result.best_epoch:>6} "
                     f"{result.final_accuracy:>8.4f} {result.training_seconds:>8.1f} "
                     f"{result.images_per_second or 0:>9,.0f}")
    short = section.short
    lines.append(f"{'':<8} {'cnnlab short preset (views)':<46} {len(short.records):>6} {short.best_epoch:>6} "
                 f"{short.final_accuracy:>8.4f} {short.training_seconds:>8.1f} "
                 f"{short.images_per_second or 0:>9,.0f}")
    for key, entry in summary["classics"].items():
        lines.append(f"{'':<8} vs {key}: its best (validation-chosen epoch {entry['best_epoch']}) "
                     f"{entry['best_accuracy']:.2%} at {_format_seconds(entry['seconds_to_best'])} s "
                     f"({_format_seconds(entry['seconds_to_best_recipe_precision'])} s in "
                     f"{summary['precision']}); cnnlab ({entry['cnnlab_epochs']} epochs) at "
                     f"{_format_seconds(entry['cnnlab_seconds_to_it'])} s -> ratio {entry['ratio']} "
                     f"({entry['ratio_recipe_precision']})")
    lines.append(f"{'':<8} recipe: seeds {summary['accuracies']} -> lowest {summary['accuracy']:.2%}, mean "
                 f"{summary['train_seconds']} s = {summary['budget_ratio']} x the reference's "
                 f"{summary['reference_seconds']} s ({summary['budget_ratio_recipe_precision']} x its "
                 f"{summary['reference_seconds_recipe_precision']} s in {summary['precision']}); "
                 f"{summary['gflops']} GFLOP/s of a {summary['peak_gflops']} GFLOP/s matmul peak")
    lines.append(f"{'':<8} short preset: {summary['short']}")
    return "\n".join(lines)


def format_ablation(ablation):
    """The human-readable ablation table."""
    lines = [f"ablation ({ablation['epochs']} epochs each; test accuracy with the views, plain in brackets)",
             f"{'technique removed':<18} {'per seed':<36} {'mean':>7} {'train s':>8}"]
    for row in ablation["rows"]:
        seeds = ", ".join(f"{value:.4f}" for value in row["test_accuracies"])
        if "plain_test_accuracies" in row:
            seeds += " (" + ", ".join(f"{value:.4f}" for value in row["plain_test_accuracies"]) + ")"
        lines.append(f"{row['technique_removed']:<18} {seeds:<36} {row['test_accuracy']:>7.4f} "
                     f"{row['train_seconds']:>8.1f}")
    return "\n".join(lines)


def use_data_dir(data_dir, names):
    """Point cnnlab.data at ``data_dir`` and make sure every needed data set is there (no downloads)."""
    path = pathlib.Path(data_dir).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"--data-dir {data_dir}: not a directory")
    os.environ[data.DATA_DIR_ENV] = str(path)
    for name in names:
        if data.find(name) is None:
            expected = ", ".join(str(path / name / file) for file in data.DATASETS[name].files)
            hint = (" (from a JPEG copy, build it with ../shared/data/prepare_cifar10.py DIR/cifar10 --binary)"
                    if name == "cifar10" else "")
            raise FileNotFoundError(f"--data-dir {path}: {name} files missing; expected {expected}{hint}")


def parse_arguments(argv=None):
    """The command line: --data-dir DIR, --only (repeatable), --seeds, --smoke, --save."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True,
                        help="folder holding mnist/ and cifar10/ in cnnlab.data's layout")
    parser.add_argument("--only", action="append", choices=SECTIONS,
                        help=f"run only this part (repeatable; default: all of {', '.join(SECTIONS)})")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS),
                        help="seeds the full recipe trains on, once each (default: "
                             f"{' '.join(map(str, SEEDS))}); the rest trains on seed {SEED}")
    parser.add_argument("--smoke", action="store_true",
                        help=f"{SMOKE_TRAIN_IMAGES:,} training / {SMOKE_TEST_IMAGES:,} test images, "
                             "1 epoch: checks the plumbing; numbers NOT meaningful")
    parser.add_argument("--save", action="store_true",
                        help=f"store each section in {RESULTS_PATH.name} as it finishes (read by notebook 05)")
    arguments = parser.parse_args(argv)
    negative = [seed for seed in arguments.seeds if seed < 0]
    if negative:
        parser.error(f"--seeds must be non-negative integers, got {negative}")
    if len(set(arguments.seeds)) != len(arguments.seeds):
        parser.error(f"--seeds repeats a seed: {arguments.seeds}")
    if config.quick and not arguments.smoke:
        parser.error(f"{config.QUICK_ENV} is set: quick mode caps cnnlab's training but not the "
                     "classics'; unset it for a real benchmark (or use --smoke)")
    return arguments


def main(argv=None):
    """Run the benchmark and print the machine, progress, tables and the JSON summary last."""
    arguments = parse_arguments(argv)
    sections = [name for name in SECTIONS if name in (arguments.only or SECTIONS)]
    needed = {"cifar10" if name == "ablation" else name for name in sections}
    use_data_dir(arguments.data_dir, sorted(needed))
    for key, value in machine_description().items():
        print(f"{key + ':':<8} {value}", flush=True)
    if arguments.smoke:
        print(f"\n*** {SMOKE_BANNER} ***\n", flush=True)
    peak = matmul_peak_gflops()
    progress(f"float32 matmul peak ({MATMUL_SIZE}x{MATMUL_SIZE}, best of {MATMUL_REPEATS}): {peak:.1f} GFLOP/s")
    policy = runtime.precision_policy()
    progress(f"cnnlab's recipes compute in {policy} here (cnnlab.runtime.precision_policy)")
    bfloat16_peak = matmul_peak_gflops(dtype="bfloat16") if policy == "mixed_bfloat16" else None
    if bfloat16_peak:
        progress(f"bfloat16 matmul peak: {bfloat16_peak:.1f} GFLOP/s")

    def finished(name, section, table):
        summary[name] = section
        if arguments.save and not arguments.smoke:  # section by section: a long run keeps what it measured
            save_results({name: section})
        tables.append(table)
        progress(table)

    summary, tables, splits, cifar10_runs = {}, [], {}, None
    for name in sections:
        data_set = "cifar10" if name == "ablation" else name
        if data_set not in splits:
            splits[data_set] = load_splits(data_set, arguments.smoke)
        if name == "ablation":
            # With the cifar10 section in this run, the "none" row reuses its per-seed recipe runs
            # (the same recipe on the same seeds): no retraining.
            ablation = run_ablation(splits["cifar10"], arguments.seeds,
                                    arguments.smoke, cifar10_runs)
            finished(name, ablation, format_ablation(ablation))
            continue
        section = run_section(name, splits[name], arguments.smoke, peak, arguments.seeds)
        section.summary["precision"] = policy
        section.summary["peak_gflops_bfloat16"] = _rounded(bfloat16_peak, 1)
        if name == "cifar10":
            cifar10_runs = section.recipe_runs
        finished(name, section.summary, format_table(name, section))

    print("\n" + "\n\n".join(tables), flush=True)
    if arguments.smoke:
        print(f"*** {SMOKE_BANNER} ***", flush=True)
    if arguments.save and not arguments.smoke:
        progress(f"saved in {RESULTS_PATH}")
    print(json.dumps(summary), flush=True)
    return 0


def save_results(summary, path=RESULTS_PATH):
    """Merge this run's sections into the stored results (atomically: never a half-written file)."""
    path = pathlib.Path(path)
    stored = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    stored.update(summary)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(stored, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)


if __name__ == "__main__":
    sys.exit(main())
