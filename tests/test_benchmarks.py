"""The benchmark's pure pieces, its epoch clock, its recipes and a tiny end-to-end smoke run."""

import dataclasses
import json
import pathlib
import re

import numpy as np
import pytest

from benchmarks import run
from cnnlab import config, data
from cnnlab.runtime import keras

NOTEBOOK_DIR = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
MNIST_KEYS = {"accuracy", "seconds_to_target", "target", "reference_accuracy",
              "reference_seconds_to_target", "ratio"}


def records(*pairs):
    """EpochRecords from (cumulative seconds, accuracy) pairs, evaluation taking 1 s each."""
    return [run.EpochRecord(seconds, accuracy, 1.0) for seconds, accuracy in pairs]


def result(name, side, pairs, final_accuracy):
    return run.ModelResult(name, side, f"{side}_model", records(*pairs), final_accuracy, train_images=1000)


# --- seconds to target and ratios ------------------------------------------------------------

def test_seconds_to_target_is_the_first_epoch_at_or_above_the_target():
    history = [(10.0, 0.95), (20.0, 0.992), (30.0, 0.999)]
    assert run.seconds_to_target(history, 0.992) == 20.0  # reaching it exactly counts
    assert run.seconds_to_target(history, 0.5) == 10.0
    assert run.seconds_to_target([(5.0, 0.9), (9.0, 0.8), (12.0, 0.95)], 0.85) == 5.0


def test_seconds_to_target_is_none_when_never_reached():
    assert run.seconds_to_target([(10.0, 0.95), (20.0, 0.99)], 0.992) is None
    assert run.seconds_to_target([], 0.6) is None


@pytest.mark.parametrize("history, target, message", [
    ([(10.0, 0.5)], 1.5, "target"),
    ([(10.0, 0.5)], 0.0, "target"),
    ([(10.0, 1.2)], 0.9, "epoch 1: accuracy 1.2"),
    ([(10.0, 0.5), (5.0, 0.6)], 0.9, "epoch 2: cumulative seconds went down"),
])
def test_seconds_to_target_rejects_bad_input(history, target, message):
    with pytest.raises(ValueError, match=message):
        run.seconds_to_target(history, target)


def test_ratio_passes_none_through_and_rejects_zero_time():
    assert run.ratio(10.0, 40.0) == 0.25
    assert run.ratio(None, 40.0) is None
    assert run.ratio(10.0, None) is None
    with pytest.raises(ValueError, match="non-positive"):
        run.ratio(10.0, 0.0)


def test_model_result_counts_images_per_training_second_only():
    model = result("mnist", "cnnlab", [(10.0, 0.9), (20.0, 0.95)], 0.95)
    assert model.training_seconds == 20.0
    assert model.evaluation_seconds == 2.0
    assert model.images_per_second == pytest.approx(2 * 1000 / 20.0)


# --- the JSON summary ----------------------------------------------------------------------

def fake_results():
    return {
        "mnist": {"reference": result("mnist", "reference", [(30, 0.985), (60, 0.990), (90, 0.9925)], 0.9925),
                  "cnnlab": result("mnist", "cnnlab", [(10, 0.991), (20, 0.994)], 0.9941)},
        "cifar10": {"reference": result("cifar10", "reference", [(50, 0.44)], 0.44),
                    "cnnlab": result("cifar10", "cnnlab", [(30, 0.70), (60, 0.85), (90, 0.88)], 0.881)},
    }


def test_summary_has_the_issue_schema_and_values():
    summary = json.loads(json.dumps(run.build_summary(fake_results(), wrapper_overhead=0.021)))
    assert set(summary) == {"mnist", "cifar10", "wrapper_overhead"}
    assert set(summary["mnist"]) == MNIST_KEYS
    assert set(summary["cifar10"]) == MNIST_KEYS | {"seconds_to_80", "seconds_to_90"}
    assert summary["mnist"] == {"accuracy": 0.9941, "seconds_to_target": 20, "target": 0.992,
                                "reference_accuracy": 0.9925, "reference_seconds_to_target": 90,
                                "ratio": round(20 / 90, 3)}
    cifar = summary["cifar10"]
    assert cifar["target"] == 0.6 and cifar["seconds_to_target"] == 30
    # The reference never got there, so its time and the ratio are null.
    assert cifar["reference_seconds_to_target"] is None and cifar["ratio"] is None
    assert cifar["seconds_to_80"] == 60 and cifar["seconds_to_90"] is None
    assert summary["wrapper_overhead"] == 0.021


def test_summary_leaves_out_what_was_not_run():
    only_mnist = {"mnist": fake_results()["mnist"]}
    assert set(run.build_summary(only_mnist)) == {"mnist"}
    assert run.build_summary({}, wrapper_overhead=0.01) == {"wrapper_overhead": 0.01}


def test_summary_rejects_an_unknown_benchmark():
    with pytest.raises(ValueError, match="'svhn'"):
        run.build_summary({"svhn": fake_results()["mnist"]})


# --- the epoch clock -------------------------------------------------------------------------

class FakeClock:
    """A clock that ticks 1 s per reading; ``advance`` moves it like slow work would."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 1.0
        return self.now

    def advance(self, seconds):
        self.now += seconds


def test_clock_pauses_training_time_while_the_test_set_is_scored():
    clock = FakeClock()
    scores = iter([0.3, 0.6, 0.9])

    def slow_evaluation(model):
        assert isinstance(model, keras.Model)
        clock.advance(100.0)  # scoring "takes" 100 s; none of it may count as training
        return next(scores)

    callback = run.TestAccuracyClock(slow_evaluation, clock=clock)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(32, 4)).astype("float32"), rng.integers(0, 2, 32), batch_size=8,
              epochs=3, callbacks=[callback], verbose=0)

    assert [record.accuracy for record in callback.records] == [0.3, 0.6, 0.9]
    assert all(record.evaluation_seconds >= 100.0 for record in callback.records)
    seconds = [record.seconds for record in callback.records]
    assert seconds == sorted(seconds) and seconds[-1] < 100.0  # without the pause it would pass 200
    elapsed = clock.now - callback.started
    assert seconds[-1] + sum(record.evaluation_seconds for record in callback.records) <= elapsed


# --- recipes ---------------------------------------------------------------------------------

def test_reference_recipes_are_the_seeds():
    # Parameter counts from the seeds' model.summary() (NOTES.md); batch sizes and epochs from issue 5.
    assert run.REFERENCE_MNIST.builder().count_params() == 93_322
    assert run.REFERENCE_CIFAR10.builder().count_params() == 528_054
    assert (run.REFERENCE_MNIST.batch_size, run.REFERENCE_MNIST.epochs) == (64, 5)
    assert run.REFERENCE_CIFAR10.batch_size == 32
    for recipe in (run.REFERENCE_MNIST, run.REFERENCE_CIFAR10):
        assert recipe.side == "reference" and recipe.optimizer(100) == "rmsprop"
        assert recipe.one_hot and recipe.loss == "categorical_crossentropy"


def notebook_code(name):
    path = NOTEBOOK_DIR / f"{name}.ipynb"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")


def assigned(code, name):
    match = re.search(rf"^{name} = ([0-9.]+)\s*$", code, re.MULTILINE)
    assert match, f"no line '{name} = <number>' in the notebook"
    return float(match.group(1))


def test_cnnlab_recipes_match_the_notebooks():
    mnist = notebook_code("04_mnist_cnn")
    assert "models.mnist_fast()" in mnist and "keras.optimizers.Adam(training.one_cycle(" in mnist
    assert assigned(mnist, "batch_size") == run.CNNLAB_MNIST.batch_size
    assert assigned(mnist, "cnn_epochs") == run.CNNLAB_MNIST.epochs
    assert assigned(mnist, "peak_learning_rate") == run.MNIST_PEAK_LEARNING_RATE
    cifar = notebook_code("05_cifar10")
    assert "models.cifar10_fast()" in cifar and "nesterov=True" in cifar
    assert assigned(cifar, "batch_size") == run.CNNLAB_CIFAR10.batch_size
    assert assigned(cifar, "epochs") == run.CNNLAB_CIFAR10.epochs
    assert assigned(cifar, "peak_learning_rate") == run.CIFAR10_PEAK_LEARNING_RATE
    assert assigned(cifar, "label_smoothing") == run.CIFAR10_LABEL_SMOOTHING
    assert assigned(cifar, "baseline_batch_size") == run.REFERENCE_CIFAR10.batch_size


def test_warm_up_covers_a_full_batch_and_the_last_partial_one():
    assert run.warm_up_length(54_000, 128) == 128 + 112
    assert run.warm_up_length(1_280, 128) == 128


# --- command line ----------------------------------------------------------------------------

def test_missing_data_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))  # restored afterwards: use_data_dir sets it
    with pytest.raises(FileNotFoundError, match="not a directory"):
        run.use_data_dir(tmp_path / "nowhere", ["mnist"])
    with pytest.raises(FileNotFoundError, match=r"mnist files missing.*train-images-idx3-ubyte\.gz"):
        run.use_data_dir(tmp_path, ["mnist"])


def test_full_run_refuses_quick_mode(monkeypatch, capsys):
    monkeypatch.setattr(config, "quick", True)
    with pytest.raises(SystemExit):
        run.parse_arguments(["--data-dir", "."])
    assert "CNNLAB_QUICK" in capsys.readouterr().err
    assert run.parse_arguments(["--data-dir", ".", "--smoke"]).smoke


def test_smoke_run_prints_a_warning_and_the_json_last(tmp_path, monkeypatch, capsys):
    # Tiny synthetic MNIST: data.find only needs the four file names; the loader is replaced.
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    (tmp_path / "mnist").mkdir()
    for file_name in data.DATASETS["mnist"].files:
        (tmp_path / "mnist" / file_name).touch()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(400, 28, 28, 1), dtype=np.uint8)
    labels = rng.integers(0, 10, size=400).astype(np.uint8)
    splits = ((images, labels), (images[:100], labels[:100]))
    fake = dataclasses.replace(run.BENCHMARKS["mnist"], load=lambda: splits)
    monkeypatch.setitem(run.BENCHMARKS, "mnist", fake)
    monkeypatch.setattr(run, "SMOKE_TRAIN_IMAGES", 300)
    monkeypatch.setattr(run, "SMOKE_TEST_IMAGES", 50)

    assert run.main(["--data-dir", str(tmp_path), "--only", "mnist", "--only", "overhead", "--smoke"]) == 0
    output = capsys.readouterr().out
    assert run.SMOKE_BANNER in output and "keras:" in output and "cpu:" in output
    summary = json.loads(output.strip().splitlines()[-1])
    assert set(summary) == {"mnist", "wrapper_overhead"} and set(summary["mnist"]) == MNIST_KEYS
    assert 0 <= summary["mnist"]["accuracy"] <= 1
    assert "mnist reference dlwp_cnn epoch 1:" in output and "mnist cnnlab mnist_fast epoch 1:" in output
