"""Time-to-accuracy benchmark: the seeds' plain-Keras models against cnnlab's notebook models.

    python -m benchmarks.run --data-dir DIR [--only mnist|cifar10|overhead ...] [--smoke]

For each data set it trains, one after the other in the same process, the seeds'
reference model exactly as the seeds do (plain ``model.fit``) and cnnlab's
notebook model through ``cnnlab.training.train``. After every epoch a callback
pauses the training clock, scores the test set and resumes, so the reported
seconds are training seconds only. It then times ``training.train`` against a
raw ``model.fit`` of the same model and data (the wrapper's overhead).

It prints the machine, one line per epoch, a table and, as its last line, one
JSON object (a section is left out when ``--only`` leaves its part out)::

    {"mnist": {"accuracy": a, "seconds_to_target": s, "target": 0.992,
               "reference_accuracy": ra, "reference_seconds_to_target": rs, "ratio": s/rs},
     "cifar10": {... the same keys, "target": 0.6, plus "seconds_to_80", "seconds_to_90"},
     "wrapper_overhead": o}

Seconds are null where a model never reached the threshold, and a ratio is
null where either of its times is. ``--smoke`` trains on a small subset for
one epoch to check the plumbing: its numbers mean nothing.
"""

import argparse
import dataclasses
import importlib.metadata
import json
import os
import pathlib
import platform
import sys
import time
from typing import Callable, NamedTuple

from cnnlab import config, data, evaluation, models, training
from cnnlab.runtime import keras

SEED = 0
NUM_CLASSES = 10
VALIDATION_FRACTION = 0.1  # both sides hold out the last 10% of the training set, as the notebooks do
TEST_BATCH_SIZE = 512
SECTIONS = ("mnist", "cifar10", "overhead")

# --- the recipes: keep the cnnlab ones in step with notebooks 04 and 05 ----------------------

MNIST_PEAK_LEARNING_RATE = 0.01  # 04_mnist_cnn: peak_learning_rate
CIFAR10_PEAK_LEARNING_RATE = 0.2  # 05_cifar10: peak_learning_rate
CIFAR10_LABEL_SMOOTHING = 0.1  # 05_cifar10: label_smoothing
SGD_MOMENTUM = 0.9


def rmsprop(total_steps):
    """The seeds' optimizer: Keras's RMSprop with its defaults (the schedule length is unused)."""
    return "rmsprop"


def adam_one_cycle(total_steps):
    """04_mnist_cnn's optimizer: Adam on a one-cycle schedule peaking at 0.01."""
    return keras.optimizers.Adam(training.one_cycle(MNIST_PEAK_LEARNING_RATE, total_steps))


def nesterov_one_cycle(total_steps):
    """05_cifar10's optimizer: SGD with Nesterov momentum on a one-cycle schedule peaking at 0.2."""
    return keras.optimizers.SGD(training.one_cycle(CIFAR10_PEAK_LEARNING_RATE, total_steps),
                                momentum=SGD_MOMENTUM, nesterov=True)


# 05_cifar10's loss: cross-entropy on one-hot labels smoothed by 0.1 (stateless, so shareable).
SMOOTHED_CROSSENTROPY = keras.losses.CategoricalCrossentropy(label_smoothing=CIFAR10_LABEL_SMOOTHING)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How one model is built, compiled and trained."""

    side: str  # "reference": plain model.fit as the seeds; "cnnlab": through training.train
    builder: Callable  # () -> uncompiled Keras model
    optimizer: Callable  # total training steps -> optimizer (or its Keras name)
    loss: object  # a Keras loss or its name
    one_hot: bool  # whether the loss wants one-hot labels
    batch_size: int
    epochs: int


# Seed 003 (Deep Learning with Python): 32/64/64 convs + Dense 64, RMSprop, batch 64, 5 epochs.
REFERENCE_MNIST = Recipe("reference", models.dlwp_cnn, rmsprop, "categorical_crossentropy",
                         one_hot=True, batch_size=64, epochs=5)
# Seed 004: 2x2 convs 16/32/64 + Dense 500 with dropout, RMSprop, batch 32; its fit runs 1 epoch.
REFERENCE_CIFAR10 = Recipe("reference", models.seed_cifar10_cnn, rmsprop, "categorical_crossentropy",
                           one_hot=True, batch_size=32, epochs=1)
CNNLAB_MNIST = Recipe("cnnlab", models.mnist_fast, adam_one_cycle, "sparse_categorical_crossentropy",
                      one_hot=False, batch_size=128, epochs=3)
CNNLAB_CIFAR10 = Recipe("cnnlab", models.cifar10_fast, nesterov_one_cycle, SMOOTHED_CROSSENTROPY,
                        one_hot=True, batch_size=128, epochs=12)


@dataclasses.dataclass(frozen=True)
class Benchmark:
    """One data set's pair of recipes and the test accuracies whose times are reported."""

    name: str
    load: Callable  # () -> ((x_train, y_train), (x_test, y_test)), uint8
    target: float  # the threshold of "seconds_to_target" and "ratio"
    thresholds: tuple  # every threshold the table shows
    extra_keys: dict  # further JSON keys of the cnnlab model's seconds -> their threshold
    reference: Recipe
    cnnlab: Recipe


BENCHMARKS = {
    "mnist": Benchmark("mnist", data.load_mnist, 0.992, (0.992,), {},
                       REFERENCE_MNIST, CNNLAB_MNIST),
    # 0.94 is the GPU target; it appears in the table only.
    "cifar10": Benchmark("cifar10", data.load_cifar10, 0.60, (0.60, 0.80, 0.90, 0.94),
                         {"seconds_to_80": 0.80, "seconds_to_90": 0.90},
                         REFERENCE_CIFAR10, CNNLAB_CIFAR10),
}

# The wrapper's overhead: the MNIST notebook model, one epoch, each way timed this many times.
OVERHEAD_RECIPE = CNNLAB_MNIST
OVERHEAD_EPOCHS = 1
OVERHEAD_REPEATS = 3

# --smoke: enough data to run every code path, in about a minute on two cores.
SMOKE_TRAIN_IMAGES = 2_000
SMOKE_TEST_IMAGES = 1_000
SMOKE_EPOCHS = 1
SMOKE_BANNER = "SMOKE RUN: tiny subset, 1 epoch. These numbers are NOT meaningful; do not record them."


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


def accuracy_on(model, images, labels):
    """Fraction of ``images`` whose predicted class equals ``labels`` (integer labels)."""
    return evaluation.accuracy(labels, training.predict_labels(model, images, TEST_BATCH_SIZE))


class EpochRecord(NamedTuple):
    """One epoch: cumulative training seconds, test accuracy, seconds the test evaluation took."""

    seconds: float
    accuracy: float
    evaluation_seconds: float


class TestAccuracyClock(keras.callbacks.Callback):
    """After every epoch: stop the training clock, score the test set, then restart the clock.

    ``records`` holds one EpochRecord per epoch. Call ``start()`` just before
    ``fit`` so the clock also covers fit's set-up; otherwise it starts when
    training begins. Whatever fit does before ``on_epoch_end`` (its validation
    pass, earlier callbacks) counts as training.
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

    benchmark: str
    side: str
    model_name: str
    records: list  # EpochRecord per epoch
    final_accuracy: float  # of the model as training left it (cnnlab: best validation epoch)
    train_images: int  # images per epoch

    @property
    def training_seconds(self):
        """Training seconds over all epochs, test evaluations excluded."""
        return self.records[-1].seconds if self.records else 0.0

    @property
    def evaluation_seconds(self):
        """Seconds spent scoring the test set after each epoch."""
        return sum(record.evaluation_seconds for record in self.records)

    @property
    def images_per_second(self):
        """Training images per training second."""
        seconds = self.training_seconds
        return self.train_images * len(self.records) / seconds if seconds > 0 else None

    def seconds_to(self, target):
        """Training seconds until the test accuracy first reached ``target``, or None."""
        return seconds_to_target([(record.seconds, record.accuracy) for record in self.records], target)


def _rounded(value, digits):
    return None if value is None else round(value, digits)


def build_summary(results, wrapper_overhead=None):
    """The final JSON object from {name: {"reference": ModelResult, "cnnlab": ModelResult}}."""
    summary = {}
    for name, pair in results.items():
        if name not in BENCHMARKS:
            raise ValueError(f"unknown benchmark {name!r}; expected one of {sorted(BENCHMARKS)}")
        benchmark, reference, ours = BENCHMARKS[name], pair["reference"], pair["cnnlab"]
        seconds, reference_seconds = ours.seconds_to(benchmark.target), reference.seconds_to(benchmark.target)
        section = {
            "accuracy": _rounded(ours.final_accuracy, 4),
            "seconds_to_target": _rounded(seconds, 1),
            "target": benchmark.target,
            "reference_accuracy": _rounded(reference.final_accuracy, 4),
            "reference_seconds_to_target": _rounded(reference_seconds, 1),
            "ratio": _rounded(ratio(seconds, reference_seconds), 3),
        }
        for key, threshold in benchmark.extra_keys.items():
            section[key] = _rounded(ours.seconds_to(threshold), 1)
        summary[name] = section
    if wrapper_overhead is not None:
        summary["wrapper_overhead"] = round(wrapper_overhead, 4)
    return summary


# --- training ------------------------------------------------------------------------------

def compiled_model(recipe, num_train_images, epochs):
    """Seed, build and compile ``recipe``'s model, its schedule sized as the notebooks size it."""
    training.set_seed(SEED)
    model = recipe.builder()
    steps = training.steps_per_epoch(num_train_images, recipe.batch_size)
    total_steps = steps * training.capped_epochs(epochs)
    model.compile(optimizer=recipe.optimizer(total_steps), loss=recipe.loss, metrics=["accuracy"])
    return model


def _labels_for(recipe, labels):
    return training.one_hot(labels, NUM_CLASSES) if recipe.one_hot else labels


def fit(recipe, model, train, validation, epochs, callbacks=()):
    """Train as ``recipe.side`` says: plain ``model.fit`` (reference) or ``training.train`` (cnnlab)."""
    (x_fit, y_fit), (x_valid, y_valid) = train, validation
    y_fit, y_valid = _labels_for(recipe, y_fit), _labels_for(recipe, y_valid)
    if recipe.side == "cnnlab":
        training.train(model, x_fit, y_fit, validation_data=(x_valid, y_valid), epochs=epochs,
                       batch_size=recipe.batch_size, callbacks=list(callbacks))
    elif recipe.side == "reference":
        model.fit(x_fit, y_fit, batch_size=recipe.batch_size, epochs=epochs,
                  validation_data=(x_valid, y_valid), callbacks=list(callbacks), verbose=0)
    else:
        raise ValueError(f"recipe side must be 'reference' or 'cnnlab', got {recipe.side!r}")


def run_model(benchmark, recipe, train_set, test_set, epochs, log=progress):
    """Train one recipe with the test set scored after every epoch; return its ModelResult."""
    (images, labels), (test_images, test_labels) = train_set, test_set
    train, validation = training.split_validation(images, labels, VALIDATION_FRACTION)
    model = compiled_model(recipe, len(train[0]), epochs)
    prefix = f"  {benchmark} {recipe.side} {model.name}"
    log(f"{prefix}: {len(train[0]):,} training images, batch {recipe.batch_size}, {epochs} epoch(s)")
    clock = TestAccuracyClock(lambda trained: accuracy_on(trained, test_images, test_labels),
                              log=lambda line: log(f"{prefix} {line}"))
    clock.start()
    fit(recipe, model, train, validation, epochs, callbacks=[clock])
    return ModelResult(benchmark, recipe.side, model.name, clock.records,
                       accuracy_on(model, test_images, test_labels), len(train[0]))


def warm_up_length(num_images, batch_size):
    """Images for a warm-up fit that meets every batch shape of the real one: a full and the last."""
    return batch_size + num_images % batch_size


def measure_wrapper_overhead(recipe, images, labels, epochs=OVERHEAD_EPOCHS, repeats=OVERHEAD_REPEATS,
                             log=progress):
    """Time ``training.train`` against a raw ``model.fit`` of one model; return (overhead, raw s, wrapper s).

    Both run on the same compiled model after a warm-up fit has traced its
    train and test functions for every batch shape, from the same starting
    weights and optimizer state, alternating which goes first. The fastest run
    of each is compared: overhead = (wrapper - raw) / raw.
    """
    train, validation = training.split_validation(images, labels, VALIDATION_FRACTION)
    model = compiled_model(recipe, len(train[0]), epochs)
    train_warm = warm_up_length(len(train[0]), recipe.batch_size)
    valid_warm = warm_up_length(len(validation[0]), recipe.batch_size)
    (x_fit, y_fit), (x_valid, y_valid) = train, validation
    fit(dataclasses.replace(recipe, side="reference"), model,
        (x_fit[:train_warm], y_fit[:train_warm]), (x_valid[:valid_warm], y_valid[:valid_warm]), 1)
    weights = model.get_weights()
    optimizer_state = [keras.ops.convert_to_numpy(variable) for variable in model.optimizer.variables]
    times = {"reference": [], "cnnlab": []}
    for repeat in range(repeats):
        order = ("reference", "cnnlab") if repeat % 2 == 0 else ("cnnlab", "reference")
        for side in order:
            model.set_weights(weights)
            for variable, value in zip(model.optimizer.variables, optimizer_state):
                variable.assign(value)
            start = time.perf_counter()
            fit(dataclasses.replace(recipe, side=side), model, train, validation, epochs)
            times[side].append(time.perf_counter() - start)
            log(f"  overhead {'raw model.fit' if side == 'reference' else 'training.train'}: "
                f"{times[side][-1]:.2f} s")
    raw, wrapped = min(times["reference"]), min(times["cnnlab"])
    return (wrapped - raw) / raw, raw, wrapped


# --- machine, data, report -----------------------------------------------------------------

def machine_description():
    """What the numbers were measured on: CPU model, cores, Python, Keras backend and versions."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            cpu_names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
        cpu = cpu_names[0] if cpu_names else cpu
    except OSError:
        pass
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


def load_benchmark_data(benchmark, smoke):
    """Load one data set as uint8 arrays; the first few thousand images only under --smoke."""
    (x_train, y_train), (x_test, y_test) = benchmark.load()
    if smoke:
        x_train, y_train = x_train[:SMOKE_TRAIN_IMAGES], y_train[:SMOKE_TRAIN_IMAGES]
        x_test, y_test = x_test[:SMOKE_TEST_IMAGES], y_test[:SMOKE_TEST_IMAGES]
    return (x_train, y_train), (x_test, y_test)


def _format_seconds(seconds):
    return "-" if seconds is None else f"{seconds:.1f}"


def format_table(results, overhead=None):
    """The human-readable report: one row per model, then the cnnlab/reference ratios."""
    lines = []
    for name, pair in results.items():
        thresholds = BENCHMARKS[name].thresholds
        header = (f"{name:<8} {'side':<10} {'model':<17} {'epochs':>6} {'test acc':>8} "
                  f"{'train s':>8} {'eval s':>7} {'images/s':>9}"
                  + "".join(f" {'s to ' + format(t, '.1%'):>11}" for t in thresholds))
        lines += [header, "-" * len(header)]
        for side in ("reference", "cnnlab"):
            result = pair[side]
            lines.append(f"{'':<8} {side:<10} {result.model_name:<17} {len(result.records):>6} "
                         f"{result.final_accuracy:>8.4f} {result.training_seconds:>8.1f} "
                         f"{result.evaluation_seconds:>7.1f} {result.images_per_second or 0:>9,.0f}"
                         + "".join(f" {_format_seconds(result.seconds_to(t)):>11}" for t in thresholds))
        for threshold in thresholds:
            value = ratio(pair["cnnlab"].seconds_to(threshold), pair["reference"].seconds_to(threshold))
            shown = "- (a model never reached it)" if value is None else f"{value:.3f}"
            lines.append(f"{'':<8} cnnlab/reference time to {threshold:.1%}: {shown}")
        lines.append("")
    if overhead is not None:
        fraction, raw, wrapped = overhead
        lines.append(f"wrapper overhead: training.train {wrapped:.2f} s vs raw model.fit {raw:.2f} s "
                     f"-> {fraction:+.2%}")
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
    """The command line: --data-dir DIR, --only (repeatable), --smoke, --reference-cifar10-epochs."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True,
                        help="folder holding mnist/ and cifar10/ in cnnlab.data's layout")
    parser.add_argument("--only", action="append", choices=SECTIONS,
                        help="run only this part (repeatable; default: all of "
                             f"{', '.join(SECTIONS)})")
    parser.add_argument("--smoke", action="store_true",
                        help=f"{SMOKE_TRAIN_IMAGES:,} training / {SMOKE_TEST_IMAGES:,} test images, "
                             f"{SMOKE_EPOCHS} epoch: checks the plumbing; numbers NOT meaningful")
    parser.add_argument("--reference-cifar10-epochs", type=int, default=REFERENCE_CIFAR10.epochs,
                        help=f"epochs of the seeds' CIFAR-10 model (seed: {REFERENCE_CIFAR10.epochs}, "
                             "which never reaches 60%%; more epochs only extend its trajectory)")
    arguments = parser.parse_args(argv)
    if arguments.reference_cifar10_epochs < 1:
        parser.error(f"--reference-cifar10-epochs must be at least 1, "
                     f"got {arguments.reference_cifar10_epochs}")
    if config.quick and not arguments.smoke:
        parser.error(f"{config.QUICK_ENV} is set: quick mode caps cnnlab's training but not the "
                     "reference's; unset it for a real benchmark (or use --smoke)")
    return arguments


def main(argv=None):
    """Run the benchmark and print the machine, progress, a table and the JSON summary last."""
    arguments = parse_arguments(argv)
    sections = [name for name in SECTIONS if name in (arguments.only or SECTIONS)]
    needed = {name for name in sections if name in BENCHMARKS}
    if "overhead" in sections:
        needed.add("mnist")  # the overhead is measured on the MNIST notebook model
    use_data_dir(arguments.data_dir, sorted(needed))
    for key, value in machine_description().items():
        print(f"{key + ':':<8} {value}", flush=True)
    if arguments.smoke:
        print(f"\n*** {SMOKE_BANNER} ***\n", flush=True)

    results = {}
    for name in sections:
        if name not in BENCHMARKS:
            continue
        benchmark = BENCHMARKS[name]
        train_set, test_set = load_benchmark_data(benchmark, arguments.smoke)
        reference = benchmark.reference
        if name == "cifar10":
            reference = dataclasses.replace(reference, epochs=arguments.reference_cifar10_epochs)
        pair = {}
        for recipe in (reference, benchmark.cnnlab):  # alternate: reference, then cnnlab, per data set
            epochs = SMOKE_EPOCHS if arguments.smoke else recipe.epochs
            pair[recipe.side] = run_model(name, recipe, train_set, test_set, epochs, progress)
        results[name] = pair
        del train_set, test_set  # free one data set before loading the next

    overhead = None
    if "overhead" in sections:
        (images, labels), _ = load_benchmark_data(BENCHMARKS["mnist"], arguments.smoke)
        overhead = measure_wrapper_overhead(OVERHEAD_RECIPE, images, labels,
                                            repeats=1 if arguments.smoke else OVERHEAD_REPEATS, log=progress)

    print("\n" + format_table(results, overhead), flush=True)
    if arguments.smoke:
        print(f"*** {SMOKE_BANNER} ***", flush=True)
    print(json.dumps(build_summary(results, None if overhead is None else overhead[0])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
