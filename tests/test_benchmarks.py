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
SECTION_KEYS = {"accuracy", "train_seconds", "reference_seconds", "budget_ratio", "classics", "ratio",
                "gflops", "peak_gflops"}
CLASSIC_KEYS = {"best_accuracy", "seconds_to_best", "cnnlab_seconds_to_it", "cnnlab_epochs", "cnnlab_accuracy",
                "ratio"}


def records(*pairs):
    """EpochRecords from (cumulative seconds, accuracy) pairs, evaluation taking 1 s each."""
    return [run.EpochRecord(seconds, accuracy, 1.0) for seconds, accuracy in pairs]


def result(name, pairs, final_accuracy=None):
    final = pairs[-1][1] if final_accuracy is None else final_accuracy
    return run.ModelResult(name, records(*pairs), final, images_per_epoch=1000)


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
    model = result("cnnlab", [(10.0, 0.9), (20.0, 0.95)])
    assert model.training_seconds == 20.0
    assert model.evaluation_seconds == 2.0
    assert model.images_per_second == pytest.approx(2 * 1000 / 20.0)
    assert model.best_accuracy == 0.95 and model.seconds_to(0.95) == 20.0


def test_epochs_within_fits_whole_epochs_in_the_budget():
    assert run.epochs_within(100.0, 30.0, most=8) == 3
    assert run.epochs_within(10.0, 30.0, most=8) == 1  # at least one epoch, even if it overruns
    assert run.epochs_within(1000.0, 30.0, most=8) == 8
    with pytest.raises(ValueError, match="cannot take"):
        run.epochs_within(10.0, 0.0, most=8)


# --- the JSON summary ----------------------------------------------------------------------

def fake_section():
    classics = {"seed": result("seed", [(30, 0.60), (60, 0.64), (90, 0.63)]),
                "tutorial": result("tutorial", [(20, 0.65), (40, 0.70)])}
    full = result("recipe", [(100, 0.80), (200, 0.90)])
    one_epoch = result("recipe 1", [(25, 0.72)])
    return classics, full, {"seed": one_epoch, "tutorial": one_epoch}


def test_section_summary_has_the_issue_schema_and_values():
    classics, full, short = fake_section()
    summary = run.section_summary(classics, full, short, flops_per_image=1e8, peak_gflops=200.0)
    assert set(summary) == SECTION_KEYS and set(summary["classics"]["seed"]) == CLASSIC_KEYS
    assert summary["accuracy"] == 0.90 and summary["train_seconds"] == 200.0
    assert summary["reference_seconds"] == 90.0  # the first classic is the reference, all its epochs
    assert summary["budget_ratio"] == pytest.approx(200 / 90, abs=1e-3)
    seed = summary["classics"]["seed"]
    assert (seed["best_accuracy"], seed["seconds_to_best"], seed["cnnlab_seconds_to_it"]) == (0.64, 60.0, 25.0)
    assert seed["ratio"] == pytest.approx(25 / 60, abs=1e-3) and seed["cnnlab_epochs"] == 1
    assert summary["classics"]["tutorial"]["ratio"] == pytest.approx(25 / 40, abs=1e-3)
    assert summary["ratio"] == summary["classics"]["tutorial"]["ratio"]  # the largest
    assert summary["gflops"] == pytest.approx(3 * 1e8 * 2000 / 200 / 1e9)
    json.dumps(summary)  # plain JSON types only


def test_section_ratio_is_null_when_cnnlab_never_reaches_a_classic():
    classics, full, short = fake_section()
    short["tutorial"] = result("recipe 1", [(25, 0.69)])
    summary = run.section_summary(classics, full, short, 1e8, 200.0)
    assert summary["classics"]["tutorial"]["cnnlab_seconds_to_it"] is None
    assert summary["classics"]["tutorial"]["ratio"] is None and summary["ratio"] is None


def test_section_summary_needs_a_reference():
    with pytest.raises(ValueError, match="reference"):
        run.section_summary({}, *fake_section()[1:], 1e8, 200.0)


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


# --- the classics ---------------------------------------------------------------------------

def test_classics_are_the_tutorials_models():
    # Parameter counts from the sources' model.summary() (NOTES.md; the TensorFlow tutorial; keras.io).
    counts = {"seed_cifar10_cnn": 528_054, "tf_tutorial_cnn": 122_570, "dlwp_cnn": 93_322,
              "keras_io_mnist_convnet": 34_826}
    settings = {"seed_cifar10_cnn": ("rmsprop", 32, 10), "tf_tutorial_cnn": ("adam", 32, 10),
                "dlwp_cnn": ("rmsprop", 64, 5), "keras_io_mnist_convnet": ("adam", 128, 15)}
    for name, classics in run.CLASSICS.items():
        for classic in classics:
            assert classic.builder().count_params() == counts[classic.key]
            assert (classic.optimizer, classic.batch_size, classic.epochs) == settings[classic.key]
    assert [c.key for c in run.CLASSICS["cifar10"]][0] == "seed_cifar10_cnn"  # the reference comes first
    assert [c.key for c in run.CLASSICS["mnist"]][0] == "dlwp_cnn"


def test_matmul_peak_is_two_n_cubed_flops_over_the_fastest_product():
    # Three timed products of 64 x 64 matrices taking 4, 1 and 2 ms: 2 * 64^3 = 524,288 FLOPs in the
    # fastest, 1 ms, is 0.524288 GFLOP/s.
    readings = iter([0.0, 0.004, 10.0, 10.001, 20.0, 20.002])
    assert run.matmul_peak_gflops(size=64, repeats=3, clock=lambda: next(readings)) == pytest.approx(0.524288)
    assert next(readings, None) is None  # one reading before and one after each product, no more


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
    monkeypatch.setitem(run.LOADERS, "mnist", lambda: ((images, labels), (images[:100], labels[:100])))
    monkeypatch.setattr(run, "SMOKE_TRAIN_IMAGES", 300)
    monkeypatch.setattr(run, "SMOKE_TEST_IMAGES", 50)
    monkeypatch.setattr(run, "MATMUL_SIZE", 64)

    assert run.main(["--data-dir", str(tmp_path), "--only", "mnist", "--smoke"]) == 0
    output = capsys.readouterr().out
    assert run.SMOKE_BANNER in output and "keras:" in output and "cpu:" in output
    summary = json.loads(output.strip().splitlines()[-1])
    assert set(summary) == {"mnist"} and set(summary["mnist"]) == SECTION_KEYS | {"precision", "peak_gflops_bfloat16"}
    assert set(summary["mnist"]["classics"]) == {"dlwp_cnn", "keras_io_mnist_convnet"}
    assert 0 <= summary["mnist"]["accuracy"] <= 1
    assert "dlwp_cnn (seed 003" in output and "cnnlab mnist recipe epoch 1:" in output


def test_save_results_merges_sections_and_leaves_no_partial_file(tmp_path):
    path = tmp_path / "benchmark.json"
    run.save_results({"mnist": {"accuracy": 0.99}}, path)
    run.save_results({"cifar10": {"accuracy": 0.9}, "mnist": {"accuracy": 0.995}}, path)
    assert json.loads(path.read_text()) == {"mnist": {"accuracy": 0.995}, "cifar10": {"accuracy": 0.9}}
    assert [item.name for item in tmp_path.iterdir()] == ["benchmark.json"]
