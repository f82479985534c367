"""Time-to-accuracy benchmark: cnnlab's recipes against the classic tutorials, in one process.

    python -m benchmarks.run --data-dir DIR [--only mnist|cifar10|ablation ...] [--smoke]

For each data set it trains, one after the other:

1. the classics exactly as their sources do (plain ``model.fit``): for CIFAR-10
   seed 004's CNN and the TensorFlow CNN tutorial's model, for MNIST seed 003's
   CNN and keras.io's "Simple MNIST convnet". The first of each pair is the
   *reference*: its fixed-epoch training time is the budget unit.
2. cnnlab's recipe (``cnnlab.recipes``), as notebooks 04 and 05 train it.
3. for each classic, the same recipe *shortened* to the whole epochs that fit in
   the time that classic needed to reach its best test accuracy: does cnnlab
   get there in that time?

After every epoch a callback stops the training clock, scores the test set and
restarts the clock, so seconds are training seconds only. cnnlab's recipe
scores with its test-time views (mirror and shifts); their cost is reported
apart. ``ablation`` trains the CIFAR-10 recipe for a short budget with one
technique removed at a time. ``--save`` stores the sections run in
``cnnlab/assets/benchmark.json``, which notebook 05 prints.

The last line printed is one JSON object (a section is left out under --only)::

    {"cifar10": {"accuracy", "train_seconds", "reference_seconds", "budget_ratio",
                 "classics": {name: {"best_accuracy", "seconds_to_best", "cnnlab_seconds_to_it",
                                     "cnnlab_epochs", "ratio"}},
                 "ratio", "gflops", "peak_gflops"},
     "mnist": {the same keys}, "ablation": {...}}

``--smoke`` trains on a small subset for one epoch to check the plumbing: its
numbers mean nothing.
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

SEED = 0
TEST_BATCH_SIZE = 500
SECTIONS = ("mnist", "cifar10", "ablation")
RESULTS_PATH = recipes.BENCHMARK_RESULTS  # the latest measurements, which notebook 05 prints
ABLATION_EPOCHS = 2
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

# What the ablation removes, one at a time, from the CIFAR-10 recipe (test-time views: scored both ways).
ABLATIONS = {
    "full recipe": {},
    "no whitening (first layer learned)": {"learned_first_layer": True},
    "no label smoothing": {"label_smoothing": 0.0},
    "no augmentation (no flips, no shifts)": {"max_shift": 0, "flip": False},
}


def progress(line):
    """Print one progress line at once (a full run takes most of an hour; its output may be a file)."""
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


class EpochRecord(NamedTuple):
    """One epoch: cumulative training seconds, test accuracy, seconds the test evaluation took."""

    seconds: float
    accuracy: float
    evaluation_seconds: float


class TestAccuracyClock(keras.callbacks.Callback):
    """After every epoch: stop the training clock, score the test set, then restart the clock.

    ``records`` holds one EpochRecord per epoch. Call ``start()`` where the
    training clock should start (before any set-up that counts as training);
    otherwise it starts when fit begins.
    """

    __test__ = False  # a Keras callback, not a pytest test class

    def __init__(self, evaluate, clock=time.perf_counter, log=None):
        super().__init__()
        self.evaluate = evaluate  # model -> test accuracy
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
        accuracy = float(self.evaluate(self.model))
        resumed = self.clock()
        record = EpochRecord(stopped - self.started - self.paused_seconds, accuracy, resumed - stopped)
        self.paused_seconds += resumed - stopped
        self.records.append(record)
        if self.log:
            self.log(f"epoch {epoch + 1}: {record.seconds:7.1f} s training, test accuracy "
                     f"{record.accuracy:.4f} (evaluation {record.evaluation_seconds:.1f} s)")


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
        return max((record.accuracy for record in self.records), default=None)

    @property
    def images_per_second(self):
        seconds = self.training_seconds
        return self.images_per_epoch * len(self.records) / seconds if seconds > 0 else None

    def seconds_to(self, target):
        """Training seconds until the test accuracy first reached ``target``, or None."""
        if target is None:
            return None
        return seconds_to_target([(record.seconds, record.accuracy) for record in self.records], target)


def _rounded(value, digits):
    return None if value is None else round(value, digits)


def section_summary(classics, recipe_result, short_results, flops_per_image, peak_gflops):
    """One data set's JSON section.

    ``classics`` maps each classic's key to its ModelResult, the first being the
    reference; ``short_results`` maps the same keys to the shortened recipe's
    ModelResult for that classic's budget.
    """
    if not classics:
        raise ValueError("a section needs at least one classic (the first is the reference)")
    reference = next(iter(classics.values()))
    entries = {}
    for key, classic in classics.items():
        best = classic.best_accuracy
        seconds_to_best = classic.seconds_to(best)
        short = short_results[key]
        ours = short.seconds_to(best)
        entries[key] = {"best_accuracy": _rounded(best, 4), "seconds_to_best": _rounded(seconds_to_best, 1),
                        "cnnlab_seconds_to_it": _rounded(ours, 1), "cnnlab_epochs": len(short.records),
                        "cnnlab_accuracy": _rounded(short.final_accuracy, 4),
                        "ratio": _rounded(ratio(ours, seconds_to_best), 3)}
    ratios = [entry["ratio"] for entry in entries.values()]
    seconds = recipe_result.training_seconds
    gflops = 3 * flops_per_image * recipe_result.images_per_epoch * len(recipe_result.records) / seconds / 1e9
    return {"accuracy": _rounded(recipe_result.final_accuracy, 4),
            "train_seconds": _rounded(seconds, 1),
            "reference_seconds": _rounded(reference.training_seconds, 1),
            "budget_ratio": _rounded(ratio(seconds, reference.training_seconds), 3),
            "classics": entries,
            "ratio": None if None in ratios else max(ratios),
            "gflops": _rounded(gflops, 1), "peak_gflops": _rounded(peak_gflops, 1)}


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


def train_classic(classic, train, validation, test, epochs, log=progress):
    """Train one classic as its source does (plain fit, default optimizer) with the test clock."""
    (x_fit, y_fit), (x_valid, y_valid), (x_test, y_test) = train, validation, test
    if classic.one_hot:
        y_fit, y_valid = training.one_hot(y_fit, models.NUM_CLASSES), training.one_hot(y_valid, models.NUM_CLASSES)
    runtime.set_seed(SEED)
    model = classic.builder()
    model.compile(optimizer=classic.optimizer, loss=classic.loss, metrics=["accuracy"])
    prefix = f"  {classic.key} ({classic.source})"
    log(f"{prefix}: {len(x_fit):,} images, batch {classic.batch_size}, {epochs} epoch(s)")
    clock = TestAccuracyClock(scorer(x_test, y_test), log=lambda line: log(f"{prefix} {line}"))
    clock.start()
    model.fit(x_fit, y_fit, batch_size=classic.batch_size, epochs=epochs, validation_data=(x_valid, y_valid),
              callbacks=[clock], verbose=0)
    return ModelResult(classic.key, clock.records, clock.records[-1].accuracy, len(x_fit))


def train_recipe(recipe, train, validation, test, label, builder=None, views_every_epoch=True, log=progress):
    """Train a recipe as notebooks 04/05 do, scoring the test set after every epoch.

    The score uses the recipe's test-time views after every epoch, or (with
    ``views_every_epoch=False``, for long runs: the views cost six predictions)
    plain predictions per epoch and the views once at the end.
    """
    (x_fit, y_fit), (x_valid, y_valid), (x_test, y_test) = train, validation, test
    runtime.set_seed(SEED)
    prefix = f"  cnnlab {label}"
    log(f"{prefix}: {len(x_fit):,} images, batch {recipe.batch_size}, {recipe.epochs} epoch(s)")
    clock = TestAccuracyClock(scorer(x_test, y_test, recipe if views_every_epoch else None),
                              log=lambda line: log(f"{prefix} {line}"))
    clock.start()  # the whitening layer is computed from the data: that counts as training
    keras.mixed_precision.set_global_policy(runtime.precision_policy())  # as notebooks 04/05 do
    try:
        model = training.compiled_model(recipe, x_fit, model=builder() if builder else None)
    finally:
        keras.mixed_precision.set_global_policy("float32")  # the classics compute as their sources do
    batches = training.train_batches(recipe, x_fit, training.one_hot(y_fit, models.NUM_CLASSES), seed=SEED)
    model.fit(batches, epochs=recipe.epochs,
              validation_data=(x_valid, training.one_hot(y_valid, models.NUM_CLASSES)),
              callbacks=[clock], verbose=0)
    start = time.perf_counter()
    final = clock.records[-1].accuracy if views_every_epoch else scorer(x_test, y_test, recipe)(model)
    result = ModelResult(label, clock.records, final, len(x_fit))
    result.views_seconds = time.perf_counter() - start
    result.plain_accuracy = scorer(x_test, y_test)(model)
    if not views_every_epoch:
        log(f"{prefix}: test accuracy with test-time views {final:.4f} ({result.views_seconds:.1f} s)")
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


def run_section(name, splits, smoke, peak_gflops, log=progress):
    """Classics, the recipe, then the recipe shortened to each classic's time to its best."""
    train, validation, test = splits
    recipe = recipes.get(name)
    classics = {}
    for classic in CLASSICS[name]:
        classics[classic.key] = train_classic(classic, train, validation, test,
                                              1 if smoke else classic.epochs, log)
    full = train_recipe(dataclasses.replace(recipe, epochs=1) if smoke else recipe, train, validation, test,
                        f"{name} recipe", views_every_epoch=False, log=log)
    epoch_seconds = full.training_seconds / len(full.records)
    short_results, by_epochs = {}, {len(full.records): full}
    for key, classic in classics.items():
        budget = classic.seconds_to(classic.best_accuracy)
        epochs = epochs_within(budget, epoch_seconds, recipe.epochs)
        if epochs not in by_epochs:
            by_epochs[epochs] = train_recipe(dataclasses.replace(recipe, epochs=epochs), train, validation,
                                             test, f"{name} recipe, {epochs} epoch(s) for {key}", log=log)
        short_results[key] = by_epochs[epochs]
    flops = models.forward_flops(models.build(recipe.model_name))
    return section_summary(classics, full, short_results, flops, peak_gflops), classics, full, by_epochs


def run_ablation(splits, epochs, log=progress):
    """The CIFAR-10 recipe at a short budget with one technique removed at a time."""
    train, validation, test = splits
    rows = []
    for label, change in ABLATIONS.items():
        settings = dict(change)
        learned = settings.pop("learned_first_layer", False)
        recipe = dataclasses.replace(recipes.CIFAR10, epochs=epochs, **settings)
        result = train_recipe(recipe, train, validation, test, f"ablation: {label}",
                              builder=lambda: models.cifar10_model(learned_first_layer=learned),
                              views_every_epoch=False, log=log)
        rows.append({"technique_removed": label, "test_accuracy": round(result.final_accuracy, 4),
                     "test_accuracy_without_test_views": round(result.plain_accuracy, 4),
                     "train_seconds": round(result.training_seconds, 1)})
    return {"epochs": epochs, "rows": rows}


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


def format_table(name, summary, classics, runs):
    """The human-readable report of one section."""
    header = f"{name:<8} {'model':<44} {'epochs':>6} {'best test':>9} {'train s':>8} {'images/s':>9}"
    lines = [header, "-" * len(header)]
    for key, result in classics.items():
        lines.append(f"{'':<8} {key:<44} {len(result.records):>6} {result.best_accuracy:>9.4f} "
                     f"{result.training_seconds:>8.1f} {result.images_per_second or 0:>9,.0f}")
    for epochs, result in sorted(runs.items()):
        lines.append(f"{'':<8} {'cnnlab recipe (test-time views)':<44} {epochs:>6} {result.final_accuracy:>9.4f} "
                     f"{result.training_seconds:>8.1f} {result.images_per_second or 0:>9,.0f}")
    for key, entry in summary["classics"].items():
        lines.append(f"{'':<8} vs {key}: its best {entry['best_accuracy']:.2%} at "
                     f"{_format_seconds(entry['seconds_to_best'])} s; cnnlab ({entry['cnnlab_epochs']} epochs) "
                     f"at {_format_seconds(entry['cnnlab_seconds_to_it'])} s -> ratio {entry['ratio']}")
    lines.append(f"{'':<8} recipe {summary['accuracy']:.2%} in {summary['train_seconds']} s = "
                 f"{summary['budget_ratio']} x the reference's {summary['reference_seconds']} s; "
                 f"{summary['gflops']} GFLOP/s of a {summary['peak_gflops']} GFLOP/s matmul peak")
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
    """The command line: --data-dir DIR, --only (repeatable), --smoke, --ablation-epochs."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True,
                        help="folder holding mnist/ and cifar10/ in cnnlab.data's layout")
    parser.add_argument("--only", action="append", choices=SECTIONS,
                        help=f"run only this part (repeatable; default: all of {', '.join(SECTIONS)})")
    parser.add_argument("--smoke", action="store_true",
                        help=f"{SMOKE_TRAIN_IMAGES:,} training / {SMOKE_TEST_IMAGES:,} test images, "
                             "1 epoch: checks the plumbing; numbers NOT meaningful")
    parser.add_argument("--save", action="store_true",
                        help=f"store the sections run in {RESULTS_PATH.name} (read by notebook 05)")
    parser.add_argument("--ablation-epochs", type=int, default=ABLATION_EPOCHS,
                        help=f"epochs of each ablation run (default {ABLATION_EPOCHS})")
    arguments = parser.parse_args(argv)
    if arguments.ablation_epochs < 1:
        parser.error(f"--ablation-epochs must be at least 1, got {arguments.ablation_epochs}")
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

    summary, tables = {}, []
    for name in sections:
        if name == "ablation":
            continue
        summary[name], classics, _, runs = run_section(name, load_splits(name, arguments.smoke),
                                                       arguments.smoke, peak)
        summary[name]["precision"] = policy
        summary[name]["peak_gflops_bfloat16"] = _rounded(bfloat16_peak, 1)
        if arguments.save and not arguments.smoke:  # section by section: a long run keeps what it measured
            save_results({name: summary[name]})
        tables.append(format_table(name, summary[name], classics, runs))
    if "ablation" in sections:
        summary["ablation"] = run_ablation(load_splits("cifar10", arguments.smoke),
                                           1 if arguments.smoke else arguments.ablation_epochs)
        if arguments.save and not arguments.smoke:
            save_results({"ablation": summary["ablation"]})
        tables.append("\n".join(f"ablation ({summary['ablation']['epochs']} epochs): {row}"
                                for row in summary["ablation"]["rows"]))

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
