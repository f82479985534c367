"""The recipes: their settings as documented, checked when made, compared field by field, benchmark results."""

import dataclasses

import pytest

from cnnlab import recipes

# Written out by hand from benchmarks/RESULTS.md and airbench93 (converted to Keras' mean loss).
CIFAR10_SETTINGS = {
    "name": "cifar10", "epochs": 12, "batch_size": 512, "peak_learning_rate": 0.75,
    "warmup_fraction": 0.23, "start_factor": 0.2, "label_smoothing": 0.2, "optimizer": "sgd",
    "momentum": 0.85, "weight_decay": 0.01, "max_shift": 2, "flip": True, "test_shift": 1,
    "test_flip": True, "validation_fraction": 0.1, "whitening_images": 5000}
MNIST_SETTINGS = {
    "name": "mnist", "epochs": 10, "batch_size": 128, "peak_learning_rate": 0.01,
    "warmup_fraction": 0.2, "start_factor": 0.1, "label_smoothing": 0.1, "optimizer": "adam",
    "momentum": None, "weight_decay": None, "max_shift": 2, "flip": False, "test_shift": 1,
    "test_flip": False, "validation_fraction": 0.1, "whitening_images": None}


def test_the_recipes_are_the_documented_settings():
    assert dataclasses.asdict(recipes.CIFAR10) == CIFAR10_SETTINGS
    assert dataclasses.asdict(recipes.MNIST) == MNIST_SETTINGS
    assert recipes.get("mnist") is recipes.MNIST and recipes.CIFAR10.model_name == "cifar10_recipe"
    with pytest.raises(ValueError, match="no recipe for data set 'svhn'.*'cifar10', 'mnist'"):
        recipes.get("svhn")


@pytest.mark.parametrize("change, message", [
    ({"epochs": True}, "epochs must be an integer >= 1, got True"),
    ({"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),
    ({"max_shift": -1}, "max_shift must be an integer >= 0"),
    ({"test_shift": 1.0}, "test_shift must be an integer >= 0"),
    ({"warmup_fraction": 1.5}, "warmup_fraction must be a number between 0 and 1"),
    ({"validation_fraction": 0}, "validation_fraction must be a number between 0 and 1"),
    ({"optimizer": "lbfgs"}, r"optimizer must be one of \('sgd', 'adam'\), got 'lbfgs'"),
    ({"optimizer": "sgd"}, "optimizer 'sgd' needs a momentum, got None"),
    ({"whitening_images": 0}, "whitening_images must be an integer >= 1, got 0"),
])
def test_a_recipe_with_a_bad_setting_is_one_clear_error(change, message):
    with pytest.raises(ValueError, match=f"recipe 'mnist': {message}"):
        dataclasses.replace(recipes.MNIST, **change)


def test_same_settings_accepts_every_field_and_names_each_difference():
    assert recipes.same_settings(dict(MNIST_SETTINGS), recipes.MNIST)
    assert recipes.same_settings(recipes.MNIST, recipes.MNIST)
    drifted = dict(MNIST_SETTINGS, warmup_fraction=0.3, flip=True)
    with pytest.raises(AssertionError, match=r"warmup_fraction: 0\.3 here, 0\.2 in the recipe; flip: True"):
        recipes.same_settings(drifted, recipes.MNIST)
    missing = {key: value for key, value in MNIST_SETTINGS.items() if key != "test_flip"}
    with pytest.raises(AssertionError, match="test_flip: missing here"):
        recipes.same_settings(missing, recipes.MNIST)
    with pytest.raises(AssertionError, match="dropout: not a recipe setting"):
        recipes.same_settings(dict(MNIST_SETTINGS, dropout=0.2), recipes.MNIST)
    with pytest.raises(AssertionError, match="name: 'mnist' here, 'cifar10' in the recipe"):
        recipes.same_settings(MNIST_SETTINGS, recipes.CIFAR10)


def test_benchmark_results_hold_every_section(tmp_path, monkeypatch):
    results = recipes.benchmark_results()
    assert {"mnist", "cifar10", "ablation"} <= set(results)
    assert 0.86 <= results["cifar10"]["accuracy"] <= 1 and 0.99 <= results["mnist"]["accuracy"] <= 1
    monkeypatch.setattr(recipes, "BENCHMARK_RESULTS", tmp_path / "benchmark.json")
    with pytest.raises(FileNotFoundError, match="benchmark.json is missing: run python -m benchmarks.run"):
        recipes.benchmark_results()


def test_stored_benchmark_follows_the_json_contract():
    """The stored results that notebook 05 prints carry every key of the issue-24 contract."""
    results = recipes.benchmark_results()
    for name in ("mnist", "cifar10"):
        section = results[name]
        assert len(section["accuracies"]) >= 2, f"{name}: one accuracy per seed, at least two seeds"
        assert section["accuracy"] == min(section["accuracies"])
        assert set(section["short"]) >= {"epochs", "accuracy", "train_seconds", "budget_ratio"}
        assert section["short"]["epochs"] == recipes.get(name, "short").epochs
        for classic in section["classics"].values():
            assert {"best_accuracy", "best_epoch", "seconds_to_best", "ratio",
                    "seconds_to_best_recipe_precision"} <= set(classic)
    ablation = results["ablation"]
    assert ablation["epochs"] == recipes.CIFAR10.epochs  # the full budget, not a short one
    rows = ablation["rows"]
    assert rows[0]["technique_removed"] == "none" and len(rows[0]["test_accuracies"]) >= 2
    assert {"whitening", "augmentation", "label smoothing", "test-time views"} <= {
        row["technique_removed"] for row in rows}
    for row in rows:
        mean = sum(row["test_accuracies"]) / len(row["test_accuracies"])
        assert abs(row["test_accuracy"] - mean) < 1e-4 and row["train_seconds"] > 0
