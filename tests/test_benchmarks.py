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
SECTION_KEYS = {"accuracies", "plain_accuracies", "accuracy", "train_seconds", "reference_seconds",
                "budget_ratio", "reference_seconds_recipe_precision", "budget_ratio_recipe_precision",
                "classics", "ratio", "gflops", "peak_gflops"}
CLASSIC_KEYS = {"best_accuracy", "best_epoch", "seconds_to_best", "best_accuracy_recipe_precision",
                "best_epoch_recipe_precision", "seconds_to_best_recipe_precision", "cnnlab_seconds_to_it",
                "cnnlab_epochs", "cnnlab_accuracy", "ratio", "ratio_recipe_precision"}
SHORT_KEYS = {"epochs", "accuracy", "train_seconds", "budget_ratio"}
ROW_KEYS = {"technique_removed", "test_accuracies", "test_accuracy", "train_seconds"}


def records(*epochs):
    """EpochRecords from (cumulative seconds, test accuracy[, validation accuracy]) tuples, evaluation
    taking 1 s each; without a validation accuracy it equals the test accuracy."""
    return [run.EpochRecord(epoch[0], epoch[1], 1.0, epoch[2] if len(epoch) > 2 else epoch[1])
            for epoch in epochs]


def result(name, epochs, final_accuracy=None):
    final = epochs[-1][1] if final_accuracy is None else final_accuracy
    return run.ModelResult(name, records(*epochs), final, images_per_epoch=1000)


def recipe_run(seed, epochs, accuracy, plain_accuracy):
    return run.RecipeRun(f"recipe {seed}", records(*epochs), accuracy, 1000, plain_accuracy=plain_accuracy,
                         seed=seed)


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


# --- validation selection ------------------------------------------------------------------

def test_chosen_epoch_is_the_first_epoch_of_the_highest_validation_accuracy():
    assert run.chosen_epoch([0.5, 0.7, 0.6]) == 2
    assert run.chosen_epoch([0.5, 0.7, 0.7, 0.65]) == 2  # a tie: the earlier epoch, cheaper to reach
    assert run.chosen_epoch([0.9]) == 1
    assert run.chosen_epoch(iter([0.1, 0.2, 0.3])) == 3


@pytest.mark.parametrize("scores, message", [([], "empty"), ([0.5, None], "epoch 2: validation accuracy None"),
                                             ([1.5], "epoch 1: validation accuracy 1.5")])
def test_chosen_epoch_rejects_bad_input(scores, message):
    with pytest.raises(ValueError, match=message):
        run.chosen_epoch(scores)


def test_a_classic_is_scored_at_its_validation_epoch_not_its_best_test_epoch():
    # Test accuracy peaks at epoch 3 (0.66), validation at epoch 2 (0.70): validation decides.
    classic = result("seed", [(30, 0.60, 0.61), (60, 0.64, 0.70), (90, 0.66, 0.69)])
    assert classic.best_epoch == 2
    assert classic.chosen_accuracy == 0.64 and classic.seconds_to_chosen == 60
    assert classic.best_accuracy == 0.66  # hindsight, reported apart


def test_best_weights_restores_the_first_best_validation_epoch():
    class FakeModel:
        def __init__(self):
            self.weights = None

        def get_weights(self):
            return list(self.current)

        def set_weights(self, weights):
            self.weights = weights

    model = FakeModel()
    keeper = run.BestWeights()
    keeper.set_model(model)
    for epoch, (weights, accuracy) in enumerate([([1], 0.5), ([2], 0.8), ([3], 0.8), ([4], 0.7)]):
        model.current = weights
        keeper.on_epoch_end(epoch, {"val_accuracy": accuracy})
    keeper.on_train_end()
    assert keeper.epoch == 2 and model.weights == [2]
    with pytest.raises(ValueError, match="val_accuracy"):
        keeper.on_epoch_end(0, {"accuracy": 0.5})


def test_half_budget_epochs_fit_whole_epochs_in_half_the_classics_time():
    assert run.half_budget_epochs(100.0, 20.0, most=12) == 2  # 50 s hold two 20-s epochs
    assert run.half_budget_epochs(119.0, 20.0, most=12) == 2  # 59.5 s: still two
    assert run.half_budget_epochs(120.0, 20.0, most=12) == 3
    assert run.half_budget_epochs(10.0, 20.0, most=12) == 1  # at least one
    assert run.half_budget_epochs(10_000.0, 20.0, most=12) == 12  # at most the recipe's epochs


# --- the JSON summary ----------------------------------------------------------------------

def fake_section():
    # Classics: validation chooses epoch 2 of "seed" (test 0.64 at 60 s), epoch 2 of "tutorial"
    # (0.70 at 40 s); under the recipe's precision they are faster: 45 s and 30 s.
    classics = {"seed": result("seed", [(30, 0.60, 0.6), (60, 0.64, 0.7), (90, 0.66, 0.65)]),
                "tutorial": result("tutorial", [(20, 0.65), (40, 0.70)])}
    other = {"seed": result("seed", [(22, 0.61, 0.6), (45, 0.63, 0.7), (67, 0.65, 0.65)]),
             "tutorial": result("tutorial", [(15, 0.66), (30, 0.69)])}
    runs = [recipe_run(0, [(100, None, 0.8), (200, None, 0.9)], 0.905, 0.897),
            recipe_run(1, [(110, None, 0.8), (220, None, 0.89)], 0.893, 0.888)]
    one_epoch = result("recipe 1", [(25, 0.72)], final_accuracy=0.74)
    short = recipe_run(0, [(50, None, 0.7), (80, None, 0.82)], 0.815, 0.80)
    return classics, runs, {"seed": one_epoch, "tutorial": one_epoch}, other, short


def summarise(classics, runs, shortened, other, short):
    return run.section_summary(classics, runs, shortened, 1e8, 200.0, other, short)


def test_section_summary_has_the_issue_schema_and_values():
    summary = summarise(*fake_section())
    assert set(summary) == SECTION_KEYS | {"short"} and set(summary["classics"]["seed"]) == CLASSIC_KEYS
    assert summary["accuracies"] == [0.905, 0.893] and summary["plain_accuracies"] == [0.897, 0.888]
    assert summary["accuracy"] == 0.893  # the lowest seed
    assert summary["train_seconds"] == 210.0  # the mean of 200 and 220
    assert summary["reference_seconds"] == 90.0  # the first classic is the reference, all its epochs
    assert summary["budget_ratio"] == pytest.approx(210 / 90, abs=1e-3)
    assert summary["reference_seconds_recipe_precision"] == 67.0
    assert summary["budget_ratio_recipe_precision"] == pytest.approx(210 / 67, abs=1e-3)
    seed = summary["classics"]["seed"]
    assert (seed["best_accuracy"], seed["best_epoch"], seed["seconds_to_best"]) == (0.64, 2, 60.0)
    assert (seed["best_accuracy_recipe_precision"], seed["seconds_to_best_recipe_precision"]) == (0.63, 45.0)
    assert seed["cnnlab_seconds_to_it"] == 25.0 and seed["cnnlab_accuracy"] == 0.74
    assert seed["ratio"] == pytest.approx(25 / 60, abs=1e-3) and seed["cnnlab_epochs"] == 1
    assert seed["ratio_recipe_precision"] == pytest.approx(25 / 45, abs=1e-3)
    assert summary["classics"]["tutorial"]["ratio"] == pytest.approx(25 / 40, abs=1e-3)
    assert summary["ratio"] == summary["classics"]["tutorial"]["ratio"]  # the largest
    assert summary["gflops"] == pytest.approx(3 * 1e8 * 2000 / 210 / 1e9, abs=0.05)
    assert summary["short"] == {"epochs": 2, "accuracy": 0.815, "train_seconds": 80.0,
                                "budget_ratio": pytest.approx(80 / 90, abs=1e-3)}
    json.dumps(summary)  # plain JSON types only


def test_float32_policy_copies_the_classics_numbers_into_the_second_column():
    classics, runs, shortened, _, short = fake_section()
    summary = summarise(classics, runs, shortened, None, short)
    seed = summary["classics"]["seed"]
    assert seed["seconds_to_best_recipe_precision"] == seed["seconds_to_best"] == 60.0
    assert summary["budget_ratio_recipe_precision"] == summary["budget_ratio"]


def test_section_ratio_is_null_when_cnnlab_never_reaches_a_classic():
    classics, runs, shortened, other, short = fake_section()
    shortened["tutorial"] = result("recipe 1", [(25, 0.69)])
    summary = summarise(classics, runs, shortened, other, short)
    assert summary["classics"]["tutorial"]["cnnlab_seconds_to_it"] is None
    assert summary["classics"]["tutorial"]["ratio"] is None and summary["ratio"] is None


def test_section_summary_needs_a_reference_and_a_seed():
    _, runs, shortened, other, short = fake_section()
    with pytest.raises(ValueError, match="reference"):
        summarise({}, runs, shortened, other, short)
    with pytest.raises(ValueError, match="--seeds"):
        run.seeds_summary([])


def test_ablation_rows_average_their_seeds():
    row = run.ablation_row("none", [0.90, 0.88], [300.0, 310.0], [0.89, 0.87])
    assert row == {"technique_removed": "none", "test_accuracies": [0.90, 0.88], "test_accuracy": 0.89,
                   "train_seconds": 305.0, "plain_test_accuracies": [0.89, 0.87]}
    assert set(run.ablation_row("whitening", [0.85], [280.0])) == ROW_KEYS
    with pytest.raises(ValueError, match="one training time per accuracy"):
        run.ablation_row("none", [0.9, 0.8], [300.0])


def test_ablation_reuses_the_sections_runs_and_scores_views_without_training(monkeypatch):
    trained = []

    def fake_train(recipe, train, validation, test, label, seed=run.SEED, builder=None, **kwargs):
        trained.append((label, seed, recipe.max_shift, recipe.flip, recipe.label_smoothing,
                        builder().get_layer("whiten").trainable if builder else None))
        return recipe_run(seed, [(100, None, 0.5)], 0.80, 0.79)

    monkeypatch.setattr(run, "train_recipe", fake_train)
    monkeypatch.setattr(run.models, "cifar10_model", lambda learned_first_layer: FakeNetwork(learned_first_layer))
    none_runs = [recipe_run(0, [(300, None, 0.9)], 0.90, 0.89), recipe_run(1, [(310, None, 0.9)], 0.88, 0.87)]
    ablation = run.run_ablation((None, None, None), [0, 1], smoke=True, none_runs=none_runs)

    assert ablation["epochs"] == 1  # smoke: one epoch
    assert [label for label, *_ in trained] == ["ablation: no whitening", "ablation: no augmentation",
                                                "ablation: no label smoothing"]  # "none" is not retrained
    assert trained[0][5] is True and trained[1][2:4] == (0, False) and trained[2][4] == 0.0
    assert all(seed == 0 for _, seed, *_ in trained)
    rows = {row["technique_removed"]: row for row in ablation["rows"]}
    assert list(rows) == ["none", "whitening", "augmentation", "label smoothing", "test-time views"]
    assert rows["none"]["test_accuracies"] == [0.90, 0.88] and rows["none"]["test_accuracy"] == 0.89
    assert rows["none"]["train_seconds"] == 305.0
    assert rows["whitening"]["test_accuracies"] == [0.80] and rows["whitening"]["plain_test_accuracies"] == [0.79]
    assert rows["test-time views"] == {"technique_removed": "test-time views", "test_accuracies": [0.89, 0.87],
                                       "test_accuracy": 0.88, "train_seconds": 305.0}


def test_ablation_alone_trains_the_full_recipe_on_every_seed(monkeypatch):
    trained = []

    def fake_train(recipe, train, validation, test, label, seed=run.SEED, builder=None, **kwargs):
        trained.append((label, seed))
        return recipe_run(seed, [(100, None, 0.5)], 0.80, 0.79)

    monkeypatch.setattr(run, "train_recipe", fake_train)
    ablation = run.run_ablation((None, None, None), [0, 1, 2], smoke=False)
    assert ablation["epochs"] == run.recipes.CIFAR10.epochs  # the full budget
    assert trained[:3] == [("ablation: none", 0), ("ablation: none", 1), ("ablation: none", 2)]
    assert len(trained) == 6 and len(ablation["rows"][0]["test_accuracies"]) == 3


class FakeNetwork:
    """Stands in for models.cifar10_model: says whether its first layer learns."""

    def __init__(self, learned):
        self.learned = learned

    def get_layer(self, name):
        return dataclasses.make_dataclass("Layer", ["trainable"])(self.learned)


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
    assert [record.val_accuracy for record in callback.records] == [None] * 3  # no validation data
    assert all(record.evaluation_seconds >= 100.0 for record in callback.records)
    seconds = [record.seconds for record in callback.records]
    assert seconds == sorted(seconds) and seconds[-1] < 100.0  # without the pause it would pass 200
    elapsed = clock.now - callback.started
    assert seconds[-1] + sum(record.evaluation_seconds for record in callback.records) <= elapsed


def test_clock_records_the_validation_accuracy_fit_logs():
    callback = run.TestAccuracyClock(None)  # no test scoring: the clock and validation only
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.integers(0, 2, 32)
    history = model.fit(x, y, batch_size=8, epochs=2, validation_data=(x[:8], y[:8]), callbacks=[callback],
                        verbose=0)
    assert [record.val_accuracy for record in callback.records] == pytest.approx(
        history.history["val_accuracy"])
    assert all(record.accuracy is None for record in callback.records)


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


def test_seeds_default_to_two_and_are_checked(monkeypatch, capsys):
    monkeypatch.setattr(config, "quick", False)  # make test runs in quick mode, which a full run refuses
    assert run.parse_arguments(["--data-dir", "."]).seeds == [0, 1]
    assert run.parse_arguments(["--data-dir", ".", "--seeds", "3"]).seeds == [3]
    for bad, message in ((["-1"], "non-negative"), (["0", "0"], "repeats a seed")):
        with pytest.raises(SystemExit):
            run.parse_arguments(["--data-dir", ".", "--seeds", *bad])
        assert message in capsys.readouterr().err


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

    assert run.main(["--data-dir", str(tmp_path), "--only", "mnist", "--smoke", "--seeds", "0"]) == 0
    assert keras.mixed_precision.global_policy().name == "float32"  # put back after the recipe's precision
    output = capsys.readouterr().out
    assert run.SMOKE_BANNER in output and "keras:" in output and "cpu:" in output
    summary = json.loads(output.strip().splitlines()[-1])
    assert set(summary) == {"mnist"}
    assert set(summary["mnist"]) == SECTION_KEYS | {"short", "precision", "peak_gflops_bfloat16"}
    assert set(summary["mnist"]["short"]) == SHORT_KEYS
    assert set(summary["mnist"]["classics"]) == {"dlwp_cnn", "keras_io_mnist_convnet"}
    assert len(summary["mnist"]["accuracies"]) == 1 and 0 <= summary["mnist"]["accuracy"] <= 1
    assert "dlwp_cnn (seed 003" in output and "cnnlab mnist recipe, seed 0 epoch 1:" in output


def test_save_results_merges_sections_and_leaves_no_partial_file(tmp_path):
    path = tmp_path / "benchmark.json"
    run.save_results({"mnist": {"accuracy": 0.99}}, path)
    run.save_results({"cifar10": {"accuracy": 0.9}, "mnist": {"accuracy": 0.995}}, path)
    assert json.loads(path.read_text()) == {"mnist": {"accuracy": 0.995}, "cifar10": {"accuracy": 0.9}}
    assert [item.name for item in tmp_path.iterdir()] == ["benchmark.json"]


def test_one_cpu_time_extends_the_short_entry_only():
    from benchmarks import one_cpu

    stored = {"cifar10": {"accuracy": 0.88, "short": {"epochs": 3, "accuracy": 0.83}}, "mnist": {"x": 1}}
    updated = one_cpu.with_one_cpu_time(stored, "cifar10", 301.26, 0.82834)
    assert updated["cifar10"]["short"] == {"epochs": 3, "accuracy": 0.83, "train_seconds_one_cpu": 301.3,
                                           "accuracy_one_cpu": 0.8283}
    assert updated["cifar10"]["accuracy"] == 0.88 and updated["mnist"] == {"x": 1}
    assert "train_seconds_one_cpu" not in stored["cifar10"]["short"]  # the input is left as it was
    with pytest.raises(KeyError, match="no 'mnist' section with a 'short' entry"):
        one_cpu.with_one_cpu_time(stored, "mnist", 1.0, 0.9)
