"""cnnlab._checks: one rule for every argument check, bools included, and every module keeping to it."""

import ast
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from cnnlab import _checks, augment, conv, evaluation, params, pooling, prediction, recipes, training

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "cnnlab"


@pytest.mark.parametrize("value", [True, False, np.True_, 1.0, "3", None, 0, -2])
def test_positive_int_refuses_bools_floats_text_and_small_numbers(value):
    with pytest.raises(ValueError, match=f"where: size must be an integer >= 1, got {value!r}"):
        _checks.positive_int(value, "size", "where")


def test_integer_checks_accept_python_and_numpy_integers():
    assert _checks.positive_int(np.int64(3), "size") == 3 and type(_checks.positive_int(np.uint8(3), "n")) is int
    assert _checks.non_negative_int(0, "shift") == 0
    assert _checks.pair(2, "kernel_size") == (2, 2) and _checks.pair([3, np.int32(1)], "stride") == (3, 1)
    for bad in ((True, 2), (2, 2, 2), 1.5):
        with pytest.raises(ValueError, match="kernel_size"):
            _checks.pair(bad, "kernel_size")
    assert _checks.fraction(0.25, "fraction") == 0.25
    for bad in (True, 0, 1, "0.5"):
        with pytest.raises(ValueError, match="between 0 and 1"):
            _checks.fraction(bad, "fraction")


# Every public function that takes a count refuses True, with the same words.
BOOL_CALLS = {
    "conv.output_size": lambda: conv.output_size(True, 3),
    "conv.sliding_windows": lambda: conv.sliding_windows(np.ones((4, 4)), 2, stride=True),
    "params.dense_params": lambda: params.dense_params(4, True),
    "params.conv2d_macs": lambda: params.conv2d_macs(28, True, 1, 8),
    "pooling.max_pool2d": lambda: pooling.max_pool2d(np.ones((4, 4)), pool_size=True),
    "pooling.downsample": lambda: pooling.downsample(np.ones((4, 4)), times=True),
    "augment.training_batches": lambda: augment.training_batches(
        np.zeros((4, 5, 5, 1), np.uint8), np.arange(4), batch_size=True),
    "augment.AugmentedBatches": lambda: augment.AugmentedBatches(
        np.zeros((4, 5, 5, 1), np.uint8), np.arange(4), batch_size=2, max_shift=True),
    "prediction.predict_views": lambda: prediction.predict_views(
        None, np.zeros((4, 5, 5, 1), np.uint8), batch_size=True),
    "evaluation.confusion_matrix": lambda: evaluation.confusion_matrix([0], [0], num_classes=True),
    "evaluation.top_confusions": lambda: evaluation.top_confusions(np.zeros((2, 2)), ["a", "b"], k=True),
    "training.one_hot": lambda: training.one_hot(np.array([0, 1]), True),
    "recipes.Recipe": lambda: recipes.Recipe("mnist", True, 128, 0.01, 0.2, 0.1, 0.1, "adam"),
}


@pytest.mark.parametrize("name", sorted(BOOL_CALLS))
def test_true_is_never_taken_for_the_integer_1(name):
    wording = r"must be an (integer (>= [01]|from 0 to \d+)|int or a \(height, width\) pair), got True"
    with pytest.raises(ValueError, match=wording):
        BOOL_CALLS[name]()


def private_uses(source, module, modules):
    """``from cnnlab.x import _y`` and ``x._y`` in the source of cnnlab module ``module``, as text."""
    tree = ast.parse(source)
    offences, imported = [], {}  # imported: local name -> the cnnlab module it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cnnlab"):
            source_module = node.module.removeprefix("cnnlab").lstrip(".")
            for alias in node.names:
                if source_module and source_module != module and alias.name.startswith("_"):
                    offences.append(f"{module}: from cnnlab.{source_module} import {alias.name}")
                if not source_module and alias.name in modules:
                    imported[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in imported and node.attr.startswith("_")):
            offences.append(f"{module}: {node.value.id}.{node.attr}")
    return offences


def test_no_module_uses_another_modules_private_names():
    # The package's private module of checks, cnnlab._checks, is the one shared import with an underscore.
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    offences = [offence for path in sorted(PACKAGE.glob("*.py"))
                for offence in private_uses(path.read_text(encoding="utf-8"), path.stem, modules)]
    assert not offences, offences


def test_the_scan_finds_private_imports_and_private_attributes():
    source = ("from cnnlab.conv import _pair, output_size\nfrom cnnlab import augment as aug, conv\n"
              "aug._views(1, 2, 3)\nconv.output_size(3, 1)\n")
    assert private_uses(source, "pooling", {"augment", "conv"}) == [
        "pooling: from cnnlab.conv import _pair", "pooling: aug._views"]
    assert private_uses("from cnnlab.conv import _pair\n", "conv", {"conv"}) == []  # its own name


@pytest.mark.parametrize("module", ["cnnlab.whitening", "cnnlab.recipes", "cnnlab.conv", "cnnlab.pooling",
                                    "cnnlab.params", "cnnlab.evaluation", "cnnlab._checks"])
def test_numpy_modules_load_no_keras(module):
    code = (f"import sys, {module}; "
            "print(sorted(name for name in sys.modules if name.startswith(('keras', 'tensorflow'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
