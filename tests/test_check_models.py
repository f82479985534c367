"""cnnlab.check's exercises whose answer is a Keras model (notebooks 04-06): verdicts written by hand
for right, wrong, broken and untouched answers, and the exercise cells as the notebooks hold them.

tests/test_check.py runs these checks through the contract every check keeps (solutions pass,
placeholders are not attempted, no call raises); here are the cases particular to models."""

import contextlib
import io
import json

import keras
import nbformat
import numpy as np
import pytest

from cnnlab import check, models, solutions
from scripts import make_solutions

NETWORK = models.mnist_model()  # notebook 06's mnist_model, untrained: the check reads its layers
NOTEBOOK = {"np": np, "check": check, "keras": keras, "models": models, "mnist_model": NETWORK}


def verdict(exercise, *args):
    """Call check.<exercise>(*args); return (result, printed text), asserting one line was printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = getattr(check, exercise)(*args)
    assert printed.getvalue() == str(result) + "\n"
    return result, printed.getvalue()


def solution(exercise):
    return solutions.answer(exercise, **{name: NOTEBOOK[name] for name in solutions.CONTEXT[exercise]})


def digit_model(*layers):
    return keras.Sequential([keras.Input((28, 28, 1), dtype="uint8"), keras.layers.Rescaling(1 / 255),
                             *layers])


# The exercise cells exactly as notebooks 04, 05 and 06 hold them (markdown aside).
CELLS = {
    "04_mnist_cnn": [
        "batch_norm_cnn = None  # your answer: a keras.Sequential model\n\n"
        "check.batch_norm_cnn(batch_norm_cnn)",
        "same_padding_cnn = None  # your answer: a keras.Sequential model\n\n"
        "check.first_block_shape(same_padding_cnn)",
        "small_model = None  # your answer: a keras.Sequential model\n\n"
        "check.small_digit_model(small_model)"],
    "05_cifar10": ["augmented_cnn = None  # your answer: a keras.Sequential model\n\n"
                   "check.augmented_cnn(augmented_cnn)"],
    "06_what_cnns_learn": ["block2_model = None  # your answer: a keras.Model\n\n"
                           "check.block_output_model(block2_model, mnist_model)"],
}


def run_cell(source):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(source, dict(NOTEBOOK))
    return printed.getvalue()


@pytest.mark.parametrize("notebook", sorted(CELLS))
def test_exercise_cells_read_not_attempted_and_solved_read_correct(notebook):
    cells = [nbformat.v4.new_code_cell(source) for source in CELLS[notebook]]
    for cell in cells:
        printed = run_cell(cell.source)
        assert printed.startswith("Not attempted yet: ") and printed.count("\n") == 1, printed
    solved = nbformat.v4.new_notebook(cells=cells)
    names = make_solutions.solve(solved)
    # New exercises come after the notebook's others, in cell order.
    assert tuple(names) == check.NOTEBOOK_EXERCISES[notebook][-len(names):]
    for cell in solved.cells:
        assert "None  # your answer" not in cell.source
        assert max(len(line) for line in cell.source.splitlines()) <= 88
        assert run_cell(cell.source).startswith("Correct! "), cell.source


def test_small_model_solution_is_under_the_budget_and_trains_past_the_bar():
    model = solution("small_digit_model")
    assert model.count_params() == 35_210  # the plain CNN's 34,826 + 4 x (32 + 64) for batch norm
    # The learner's own weights do not count: the check trains a copy with fresh ones.
    model.set_weights([np.zeros_like(weight) for weight in model.get_weights()])
    result, _ = verdict("small_digit_model", model)
    assert result.status == check.CORRECT
    assert "35,210 parameters" in result.message and "on 2,000 held-out digits" in result.message
    accuracy = float(result.message.split("scores ")[1].split("%")[0]) / 100
    assert 0.96 <= accuracy <= 1


# Cheap models (a single Dense layer trains in about a second) for the hints after training.
@pytest.mark.parametrize("layers, fragment", [
    ([keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")], "normalised"),
    ([keras.layers.Flatten(), keras.layers.BatchNormalization(), keras.layers.Dense(10, activation="softmax")],
     "lower the momentum"),
])
def test_a_small_model_under_the_bar_hears_its_accuracy_and_a_hint(layers, fragment):
    result, _ = verdict("small_digit_model", digit_model(*layers))
    assert result.status == check.HINT and fragment in result.message
    assert "held-out digits" in result.message and "under 96%" in result.message


@pytest.mark.parametrize("last", [keras.layers.Dense(10), keras.layers.Dense(10, activation="sigmoid")])
def test_a_small_model_without_softmax_is_a_hint_before_any_training(last, monkeypatch):
    monkeypatch.setattr(check.data, "load_mnist", lambda: pytest.fail("no training without softmax"))
    result, _ = verdict("small_digit_model", digit_model(keras.layers.Flatten(), last))
    assert result.status == check.HINT and "softmax output" in result.message


def test_a_nested_first_block_is_found():
    block = keras.Sequential([keras.layers.Conv2D(32, 3, padding="same"), keras.layers.MaxPooling2D(2)])
    model = digit_model(block, keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax"))
    assert verdict("first_block_shape", model)[0].status == check.CORRECT
    block = keras.Sequential([keras.layers.Conv2D(32, 3), keras.layers.MaxPooling2D(2)])
    model = digit_model(block, keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax"))
    result, _ = verdict("first_block_shape", model)
    assert result.status == check.HINT and "(13, 13, 32)" in result.message


def test_training_past_the_time_limit_is_stopped_with_a_hint(monkeypatch):
    monkeypatch.setattr(check, "TRAINING_TIME_LIMIT", 0)
    monkeypatch.setattr(check, "_SMALL_MODEL_ACCURACY", {})
    model = digit_model(keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax"))
    result, _ = verdict("small_digit_model", model)
    assert result.status == check.HINT and "took longer than 0 s" in result.message


def test_missing_digits_are_said_without_a_download(monkeypatch):
    monkeypatch.setattr(check.data, "is_available", lambda name: False)
    monkeypatch.setattr(check.data, "load_mnist", lambda: pytest.fail("no loading without the data"))
    result, _ = verdict("small_digit_model", solution("small_digit_model"))
    assert result.status == check.HINT and result.message.startswith("not checked: the MNIST digits")


class FailsInTraining(keras.layers.Layer):
    """A learner's layer that works on symbolic inputs but raises once trained."""

    def call(self, inputs, training=None):
        if training:
            raise ValueError("this layer cannot train")
        return inputs


def test_a_model_that_cannot_train_is_a_hint(monkeypatch):
    monkeypatch.setattr(check, "_SMALL_MODEL_ACCURACY", {})
    model = digit_model(FailsInTraining(), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax"))
    result, _ = verdict("small_digit_model", model)
    assert result.status == check.HINT and "could not train a copy" in result.message
    assert "ValueError: this layer cannot train" in result.message and "\x1b" not in result.message


def test_relu_before_the_batch_norm_is_a_hint():
    model = digit_model(keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.BatchNormalization(),
                        keras.layers.Activation("relu"), keras.layers.MaxPooling2D(2),
                        keras.layers.Conv2D(64, 3), keras.layers.BatchNormalization(),
                        keras.layers.ReLU(), keras.layers.MaxPooling2D(2),
                        keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax"))
    result, _ = verdict("batch_norm_cnn", model)
    assert result.status == check.HINT and "conv 1 still applies its activation" in result.message


class CallFails(keras.Model):
    """A model with the right output shape whose call raises."""

    output_shape = (None, 7, 7, 64)

    def call(self, inputs):
        raise RuntimeError("the call fails")


def test_a_block_model_whose_call_fails_is_a_hint():
    result, _ = verdict("block_output_model", CallFails(), NETWORK)
    assert result.status == check.HINT and "raised RuntimeError: the call fails" in result.message


@pytest.mark.parametrize("network", [None, "mnist_model", models.plain_cnn(), np.zeros(3)])
def test_a_second_argument_that_is_not_the_network_is_a_hint(network):
    result, _ = verdict("block_output_model", solution("block_output_model"), network)
    assert result.status == check.HINT and "pass the notebook's mnist_model" in result.message


@pytest.mark.parametrize("exercise", ["batch_norm_cnn", "first_block_shape", "small_digit_model",
                                      "augmented_cnn"])
@pytest.mark.parametrize("answer, fragment", [
    (models.plain_cnn, "give the model it builds"), (keras.Sequential, "give the model it builds"),
    (lambda: None, "give the model it builds"), ("model", "expected a Keras model, got str"),
    ([keras.layers.Dense(10)], "list of layers"), (keras.layers.Flatten(), "one layer (Flatten)"),
    (keras.Sequential([keras.layers.Dense(10)]), "no input yet")])
def test_what_is_not_a_built_model_gets_a_hint(exercise, answer, fragment):
    result, _ = verdict(exercise, answer)
    assert result.status == check.HINT and fragment in result.message, result.message


def test_model_verdicts_are_recorded(tmp_path, monkeypatch):
    path = tmp_path / "verdicts.jsonl"
    monkeypatch.setenv(check.RESULTS_VARIABLE, str(path))
    verdict("block_output_model", solution("block_output_model"), NETWORK)
    verdict("augmented_cnn", None)
    verdict("first_block_shape", models.plain_cnn())
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(line["exercise"], line["verdict"]) for line in lines] == [
        ("block_output_model", "correct"), ("augmented_cnn", "not attempted"), ("first_block_shape", "hint")]


def test_small_model_copy_trains_in_float32_whatever_the_notebook_policy():
    """Notebook 04 sets mixed_bfloat16 before its exercises: the check's copy must not inherit it."""
    from cnnlab.runtime import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = keras.layers.Conv2D(4, 3)
        assert layer.dtype_policy.name == "mixed_bfloat16"
        copy = check._float32_layer(layer)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert copy.dtype_policy.name == "float32" and copy is not layer
    assert copy.get_config()["filters"] == 4
