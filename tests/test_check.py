"""cnnlab.check and cnnlab.solutions: every solution passes its check, known mistakes get their own hint
(without the solution in it), placeholders report "not attempted", and the expected answers agree with
Keras, OpenCV and NumPy. The notebook tests read the exercise cells of notebooks/*.ipynb."""

import collections
import collections.abc
import contextlib
import decimal
import inspect
import json
import io
import re
import signal
import sys
import threading
import time

import cv2
import keras
import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst

from cnnlab import check, data, evaluation, filters, models, pooling, solutions, training, transfer
from cnnlab import visualize
from scripts import make_solutions

EXERCISES = sorted(check.QUESTIONS)

# The figure-reading exercise checks against the matrix its figure shows; this one is made so that
# the single largest cell (truck seen as automobile, 40) is not the most mixed-up pair (cat/dog, 30 + 25).
SAMPLE_MATRIX = np.diag(np.full(10, 900))
SAMPLE_MATRIX[3, 5], SAMPLE_MATRIX[5, 3], SAMPLE_MATRIX[9, 1], SAMPLE_MATRIX[1, 9] = 30, 25, 40, 5
FIGURE_DATA = {"most_confused_pair": {"matrix": SAMPLE_MATRIX, "class_names": data.CIFAR10_CLASSES}}
# Notebook 06's mnist_model: any network of the recipe's layout will do, trained or not.
MNIST_NETWORK = models.mnist_model()
# The notebook variables the Keras solutions read besides np (solutions.CONTEXT names them).
NOTEBOOK_VARIABLES = {"keras": keras, "models": models, "mnist_model": MNIST_NETWORK}
SOLUTION_CONTEXT = {exercise: {name: NOTEBOOK_VARIABLES[name] for name in names}
                    for exercise, names in solutions.CONTEXT.items() if exercise in check.QUESTIONS
                    and exercise not in FIGURE_DATA}
# The second argument of the checks that take one: the figure's matrix, the network.
SECOND_ARGUMENT = {"most_confused_pair": ("matrix", SAMPLE_MATRIX),
                   "block_output_model": ("mnist_model", MNIST_NETWORK)}


def solution_of(exercise):
    """The worked solution's answer, given the figure data it reads."""
    return solutions.answer(exercise, **FIGURE_DATA.get(exercise, {}), **SOLUTION_CONTEXT.get(exercise, {}))


def run_check(exercise, answer):
    """Call check.<exercise>(answer); return (result, printed text)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        second = [SECOND_ARGUMENT[exercise][1]] if exercise in SECOND_ARGUMENT else []
        result = getattr(check, exercise)(answer, *second)
    return result, printed.getvalue()


def reveals(message, solution):
    """True if message spells out the solution: a number (also as 1,234), a sequence of them, or a string."""
    if isinstance(solution, str):
        return len(solution) > 1 and solution in message
    if isinstance(solution, tuple) and all(isinstance(name, str) for name in solution):  # a pair of names
        first, second = solution
        return f"{first} and {second}" in message or f"{second} and {first}" in message
    values = np.ravel(np.asarray(solution, dtype=np.float64))
    texts = [f"{value:g}" if value != int(value) else f"{int(value)}" for value in values]
    candidates = [", ".join(texts)]
    if len(values) == 1 and abs(values[0]) >= 10:  # also 1,234 and the rounded value of 124.2
        candidates += [f"{round(values[0]):,}", f"{round(values[0])}"]
    return any(re.search(rf"(?<![\d.,]){re.escape(text)}(?![\d]|[.,]\d)", message) for text in candidates)


def test_every_exercise_has_a_check_a_question_and_a_solution():
    assert set(solutions.SOLUTIONS) == set(check.QUESTIONS)
    for exercise in EXERCISES:
        assert callable(getattr(check, exercise)) and getattr(check, exercise).__doc__


@pytest.mark.parametrize("exercise", EXERCISES)
def test_solution_passes_its_check(exercise):
    result, printed = run_check(exercise, solution_of(exercise))
    assert result.status == check.CORRECT and result
    assert printed == str(result) + "\n" and printed.startswith("Correct! ")


@pytest.mark.parametrize("exercise", EXERCISES)
@pytest.mark.parametrize("placeholder", [None, ...])
def test_placeholder_is_not_attempted_and_does_not_raise(exercise, placeholder):
    result, printed = run_check(exercise, placeholder)
    assert result.status == check.NOT_ATTEMPTED and not result
    assert printed.startswith("Not attempted yet: ") and printed.count("\n") == 1


def test_result_prints_once_in_a_notebook():
    result, _ = run_check("conv_params", None)
    assert result._ipython_display_() is None  # shows nothing more as a cell's last value


def one_hot_kernel(row, column, value=1.0):
    """A 3x3 kernel with one nonzero weight."""
    kernel = np.zeros((3, 3), np.float32)
    kernel[row, column] = value
    return kernel


def pool_loops(image, start=None, keep_partial=False, reduce=np.max):
    """A learner-style 2x2 pooling with switchable bugs: a 0 start value, keeping partial windows, mean."""
    rows, columns = ((-(-image.shape[0] // 2), -(-image.shape[1] // 2)) if keep_partial
                     else (image.shape[0] // 2, image.shape[1] // 2))
    output = np.zeros((rows, columns))
    for row in range(rows):
        for column in range(columns):
            window = image[2 * row:2 * row + 2, 2 * column:2 * column + 2]
            output[row, column] = max(start, window.max()) if start is not None else reduce(window)
    return output


def raises(image):
    return image[image.shape[0]]  # a learner's bug (IndexError): the check reports it instead of raising


GRID_WINDOWS = check.POOL_GRID.reshape(2, 2, 2, 2)

MISTAKES = [
    ("grayscale_pixel", 350 / 3, "plain mean"),
    ("grayscale_pixel", 0.114 * 200 + 0.587 * 100 + 0.299 * 50, "swapped the red and blue"),
    ("grayscale_pixel", 350, "without weights"),
    ("grayscale_pixel", 200, "weight red by 0.299"),
    ("grayscale_pixel", "about 120", "expected one number"),
    ("sobel_response", -360, "flipped the kernel"),
    ("sobel_response", 270, "weight 2"),
    ("sobel_response", 255, "clipped"),
    ("sobel_response", 100, "Sobel y"),
    ("sobel_response", 80, "top row"),
    ("sobel_response", 3, "multiply each pixel"),
    ("shift_kernel", one_hot_kernel(1, 2), "moves the picture LEFT"),
    ("shift_kernel", one_hot_kernel(1, 1), "identity"),
    ("shift_kernel", one_hot_kernel(0, 1), "moves the picture down"),
    ("shift_kernel", one_hot_kernel(1, 0, 2.0), "scales the brightness"),
    ("shift_kernel", filters.BOX_BLUR, "several weights"),
    ("shift_kernel", np.zeros((3, 3)), "all weights are 0"),
    ("shift_kernel", np.eye(2), "got shape (2, 2)"),
    ("shift_kernel", [["a"] * 3] * 3, "expected a 3x3 array"),
    ("diagonal_kernel", np.ones((3, 3)), "sum to 9"),
    ("diagonal_kernel", [[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], "vertical edges at 75%"),
    ("diagonal_kernel", filters.SOBEL_X, "vertical edges"),
    ("diagonal_kernel", np.zeros((3, 3)), "all weights are 0"),
    ("diagonal_kernel", [[1, 2], [3, 4]], "expected a 3x3 kernel"),
    ("diagonal_kernel", np.full((3, 3), np.nan), "NaN"),
    ("conv_output_size", 28, "stride 1"),
    ("conv_output_size", 16, "same padding"),
    ("conv_output_size", 13, "forgot the + 1"),
    ("conv_output_size", 15, "rounded up"),
    ("conv_output_size", 14.5, "round down"),
    ("conv_output_size", 27, "n - k"),
    ("conv_output_size", (13, 13), "expected one number"),
    ("conv_output_shape", (32, 32, 3), "one channel per filter"),
    ("conv_output_shape", (31, 31, 16), "valid padding"),
    ("conv_output_shape", (64, 64, 16), "forgot the stride"),
    ("conv_output_shape", (None, 32, 32, 16), "batch axis"),
    ("conv_output_shape", "32x32x16", "expected a tuple"),
    ("conv_params", 864, "forgot the bias"),
    ("conv_params", 320, "3 input channels"),
    ("conv_params", 288, "3 input channels"),
    ("conv_params", 865, "its own bias"),
    ("conv_params", 28, "one filter"),
    ("conv_params", 896 * 32 * 32, "does not depend on the image size"),
    ("same_padding_corner", 14, "valid output"),
    ("same_padding_corner", 8, "flipped the kernel"),
    ("same_padding_corner", 5, "centre the 3x3 window"),
    ("same_padding_split", (1, 0), "bottom"),
    ("same_padding_split", (1, 1), "one too many"),
    ("same_padding_split", (0, 0), "valid padding"),
    ("same_padding_split", (0.5, 0.5), "whole rows"),
    ("same_padding_split", 1, "expected a pair"),
    ("max_pool_by_hand", GRID_WINDOWS.mean(axis=(1, 3)), "averages"),
    ("max_pool_by_hand", GRID_WINDOWS.min(axis=(1, 3)), "smallest"),
    ("max_pool_by_hand", pooling.max_pool2d(check.POOL_GRID, 2).T, "swapped"),
    ("max_pool_by_hand", pooling.max_pool2d(check.POOL_GRID, 2, stride=1), "overlap"),
    ("max_pool_by_hand", [[6, 9], [8, 3]], "wrong values: 1 of 4"),
    ("max_pool_by_hand", [[6, 9], [8]], "expected a 2x2 array"),
    ("max_pool", lambda image: pool_loops(image, start=0), "negative numbers"),
    ("max_pool", lambda image: pool_loops(image, keep_partial=True), "incomplete window"),
    ("max_pool", lambda image: pool_loops(image, reduce=np.mean), "averages"),
    ("max_pool", lambda image: pool_loops(image).T, "swapped"),
    ("max_pool", raises, "raised IndexError"),
    ("max_pool", lambda image: "pooled", "not an array of numbers"),
    ("max_pool", 5, "pass the function itself"),
    ("pooled_size", (13, 13), "ignores the 3-wide window"),
    ("pooled_size", (12, 12), "same: the output is ceil"),
    ("pooled_size", (13, 12), "swapped"),
    ("pooled_size", (12.5, 13), "round down"),
    ("pooled_size", (24, 13), "stride 1"),
    ("pooled_size", 12, "expected a pair"),
    ("global_pool_size", 1, "not one in total"),
    ("global_pool_size", 25, "not per position"),
    ("global_pool_size", 1600, "Flatten"),
    ("global_pool_size", 256, "MaxPooling2D(2)"),
    ("lenet_dense_input", 676, "seed material's mistake"),
    ("lenet_dense_input", 2704, "one conv/pool stage"),
    ("lenet_dense_input", 1936, "second pooling"),
    ("lenet_dense_input", 25, "forgot the channels"),
    ("lenet_dense_input", 150, "16 filters"),
    ("lenet_dense_input", 784, "raw image"),
    ("lenet_params", 54 + 864 + 51_200 + 1_280, "forgot the biases"),
    ("lenet_params", 60 + 880 + 676 * 128 + 128 + 1_290, "26x26x1"),
    ("lenet_params", 51_328, "dense1 alone"),
    ("lenet_params", 940, "convolutions alone"),
    ("lenet_params", 60 + 880 + 51_328, "output layer"),
    ("batchnorm_conv_params", 3 * 3 * 48 * 96 + 96, "use_bias=False"),
    ("batchnorm_conv_params", 3 * 3 * 32 * 64, "default width 32"),
    ("batchnorm_conv_params", 4 * 96, "block2_bn"),
    ("batchnorm_conv_params", 3 * 3 * 96, "input channels"),
    ("validation_size", 12_000, "validation set"),
    ("validation_size", 54_000, "0.1 split"),
    ("validation_size", 38_000, "test set is separate"),
    ("onehot_loss", "sparse_categorical_crossentropy", "integer labels"),
    ("onehot_loss", "binary_crossentropy", "yes/no"),
    ("onehot_loss", "mse", "squared error"),
    ("onehot_loss", "hinge", "not the loss for one-hot labels"),
    ("most_confused_pair", ("truck", "automobile"), "another pair"),
    ("most_confused_pair", ("cat", "cat"), "one class twice"),
    ("most_confused_pair", "cat dog", "two class names"),
    ("most_confused_pair", ("cat", "kitten"), "not a class name"),
    ("overfitting_fix", "a", "memorise"),
    ("overfitting_fix", "c", "wider"),
    ("overfitting_fix", "D", "dropout"),
    ("overfitting_fix", "augmentation", "one letter"),
    ("seed_dense_params", 512_500, "32x32 photos"),
    ("seed_dense_params", 8 * 8 * 64 * 500, "500 biases"),
    ("seed_dense_params", 7 * 7 * 64 * 500 + 500, "valid padding"),
    ("seed_dense_params", 16 * 16 * 64 * 500 + 500, "three poolings"),
    ("seed_dense_params", 64 * 64 * 3 * 500 + 500, "raw image"),
    ("batch_megabytes", 128 * 3072 / 1e6, "uint8"),
    ("batch_megabytes", 128 * 3072 * 8 / 1e6, "float64"),
    ("batch_megabytes", 614.4, "whole training set"),
    ("batch_megabytes", 128 * 3072 * 4, "in bytes"),
    ("batch_megabytes", 1.5, "MiB"),
    ("smoothed_target", 0.9, "ALL classes"),
    ("smoothed_target", 0.01, "wrong class"),
    ("smoothed_target", 0.1, "taken away"),
    ("smoothed_target", 1, "without smoothing"),
    ("width_doubling_factor", 2, "input channels"),
    ("width_doubling_factor", 8, "only two things double"),
    ("width_doubling_factor", True, "expected one number"),
    ("feature_map_shape", (64, 64, 64), "both poolings come before"),
    ("feature_map_shape", (32, 32, 64), "block2_conv's output"),
    ("feature_map_shape", (14, 14, 64), "valid padding"),
    ("feature_map_shape", (7, 7, 64), "28x28 digits"),
    ("feature_map_shape", (16, 16, 32), "block1's width"),
    ("feature_map_shape", (None, 16, 16, 64), "batch axis"),
    ("feature_map_shape", 32, "expected a tuple"),
    ("first_layer_weights", 13_888, "no bias"),
    ("first_layer_weights", 1_728, "3 colours"),
    ("first_layer_weights", 216, "one filter"),
    ("first_layer_weights", 256, "batch-norm layer"),
    ("receptive_field_size", 17, "doubles the step"),
    ("receptive_field_size", 35, "block3_pool"),
    ("receptive_field_size", 50, "whitening layer counts"),
    ("receptive_field_size", 32, "larger than the photo"),
]


# 07_residual_and_transfer: a learner's residual blocks with one mistake each.
def conv3(filters=16, **kwargs):
    return keras.layers.Conv2D(filters, 3, padding=kwargs.pop("padding", "same"), **kwargs)


def plain_block(x):
    return conv3()(conv3(activation="relu")(x))


def one_conv_block(x):
    return keras.layers.Add()([x, conv3()(x)])


def no_shortcut_block(x):
    y = conv3()(conv3(activation="relu")(x))
    return keras.layers.Add()([y, y])


def biasless_block(x):
    return keras.layers.Add()([x, conv3(use_bias=False)(conv3(use_bias=False)(x))])


def five_by_five_block(x):
    y = keras.layers.Conv2D(16, 5, padding="same")(x)
    return keras.layers.Add()([x, keras.layers.Conv2D(16, 5, padding="same")(y)])


def valid_padding_block(x):
    return keras.layers.Add()([x, conv3(padding="valid")(conv3(padding="valid")(x))])


def wider_block(x):
    return conv3(32)(conv3(32)(x))


MISTAKES += [
    ("residual_block", plain_block, "no Add layer"),
    ("residual_block", one_conv_block, "the block has two"),
    ("residual_block", no_shortcut_block, "add x itself"),
    ("residual_block", biasless_block, "with biases"),
    ("residual_block", five_by_five_block, "each 3x3"),
    ("residual_block", valid_padding_block, "raised ValueError"),
    ("residual_block", lambda x: keras.layers.Add(), "return the output"),
    ("residual_block", lambda x: conv3(32)(x) + conv3(32)(x), "no Add layer"),
    ("projection_shortcut_params", 64 * 128, "bias"),
    ("projection_shortcut_params", 9 * 64 * 128 + 128, "3x3"),
    ("projection_shortcut_params", 0, "identity shortcut"),
    ("projection_shortcut_params", 1000, "one weight per input channel"),
    ("frozen_head_params", 640, "bias"),
    ("frozen_head_params", 129, "one unit per class"),
    ("frozen_head_params", 258, "cat-vs-dog head"),
    ("frozen_head_params", 600_000, "frozen layer"),
    ("frozen_batchnorm", "a", "training mode"),
    ("frozen_batchnorm", "c", "inference mode"),
    ("frozen_batchnorm", 2, "one letter"),
]




# 04-06: models written in Keras, each with one mistake (cnnlab/models.py's networks are the
# classic ones these exercises start from).
def digit_cnn(*middle, first_padding="valid"):
    """The plain CNN's layers, with ``middle`` (a list per conv) after each convolution."""
    stack = [keras.Input((28, 28, 1), dtype="uint8"), keras.layers.Rescaling(1 / 255)]
    for index, filters in enumerate((32, 64)):
        extra = middle[index] if middle else []
        activation = None if extra else "relu"
        stack += [keras.layers.Conv2D(filters, 3, activation=activation,
                                      padding=first_padding if index == 0 else "valid"),
                  *extra, keras.layers.MaxPooling2D(2)]
    return keras.Sequential(stack + [keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])


def normalised():
    return [keras.layers.BatchNormalization(), keras.layers.Activation("relu")]


def cifar_cnn_with(*augmentation, position=1):
    """models.seed_cifar10_cnn() with the augmentation layers inserted before layer ``position``."""
    classic = models.seed_cifar10_cnn().layers
    return keras.Sequential([keras.Input((32, 32, 3), dtype="uint8"), *classic[:position],
                             *augmentation, *classic[position:]])


def flip(mode="horizontal"):
    return keras.layers.RandomFlip(mode)


def shift(height=0.0625, width=0.0625):
    return keras.layers.RandomTranslation(height, width)


def network_output(name, network=MNIST_NETWORK):
    return keras.Model(network.inputs, network.get_layer(name).output)


MISTAKES += [
    ("batch_norm_cnn", models.plain_cnn(), "after conv 1 is MaxPooling2D, not BatchNormalization"),
    ("batch_norm_cnn", digit_cnn(normalised(), []), "after conv 2 is MaxPooling2D"),
    ("batch_norm_cnn", keras.Sequential([keras.Input((28, 28, 1))] + digit_cnn(
        [keras.layers.Activation("relu"), keras.layers.BatchNormalization()], normalised()).layers),
     "the layer after conv 1 is Activation"),
    ("batch_norm_cnn", digit_cnn([keras.layers.BatchNormalization()], [keras.layers.BatchNormalization()]),
     "no ReLU after conv 1"),
    ("batch_norm_cnn", models.lenet_cnn(), "Conv2D(32, 3), yours is Conv2D(6, 3)"),
    ("batch_norm_cnn", models.plain_cnn, "give the model it builds"),
    ("batch_norm_cnn", models.cifar10_model(), "(32, 32, 3)"),
    ("first_block_shape", models.plain_cnn(), "(13, 13, 32)"),
    ("first_block_shape", keras.Sequential([keras.Input((28, 28, 1)), keras.layers.MaxPooling2D(2),
                                            keras.layers.Flatten(), keras.layers.Dense(10)]),
     "no convolution before the first pooling"),
    ("first_block_shape", keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                            keras.layers.Dense(10)]), "no MaxPooling2D"),
    ("first_block_shape", [keras.layers.Conv2D(32, 3)], "pass it to keras.Sequential"),
    ("first_block_shape", keras.Sequential([keras.layers.Conv2D(32, 3)]), "no input yet"),
    ("small_digit_model", models.mlp(), "669,706 parameters"),
    ("small_digit_model", keras.layers.Dense(10), "one layer"),
    ("augmented_cnn", models.seed_cifar10_cnn(), "no RandomFlip"),
    ("augmented_cnn", cifar_cnn_with(flip()), "no RandomTranslation"),
    ("augmented_cnn", cifar_cnn_with(flip("horizontal_and_vertical"), shift()), "upside down"),
    ("augmented_cnn", cifar_cnn_with(flip("vertical"), shift()), "upside down"),
    ("augmented_cnn", cifar_cnn_with(flip(), shift(0.2)), "6.4 pixels"),
    ("augmented_cnn", cifar_cnn_with(flip(), shift(0.0625, (-0.1, 0.1))), "width_factor"),
    ("augmented_cnn", cifar_cnn_with(flip(), shift(), position=3), "after the first convolution"),
    ("augmented_cnn", cifar_cnn_with(flip(), shift(), keras.layers.RandomRotation(0.1)),
     "leave out RandomRotation"),
    ("augmented_cnn", cifar_cnn_with(flip(), shift(), keras.layers.Dropout(0.1)), "13 layers"),
    ("augmented_cnn", keras.Sequential([keras.Input((32, 32, 3)), flip(), shift()] +
                                       models.tf_tutorial_cnn().layers), "classic CNN's layers"),
    ("block_output_model", network_output("block2_bn"), "outputs of block2_bn"),
    ("block_output_model", network_output("block1_relu"), "layers 'block1_pool', 'block1_bn', 'block1_relu'"),
    ("block_output_model", MNIST_NETWORK, "(10,), like mnist_model's layer 'output'"),
    ("block_output_model", keras.Model(MNIST_NETWORK.inputs, keras.layers.Flatten()(
        MNIST_NETWORK.get_layer("block2_relu").output)), "(3136,), like no layer"),
    ("block_output_model", network_output("block2_relu", models.mnist_model()), "weights of its own"),
    ("block_output_model", keras.Sequential(MNIST_NETWORK.layers[:5]), "no output yet"),
]


@pytest.mark.parametrize("exercise, wrong, fragment", MISTAKES,
                         ids=[f"{exercise}-{index}" for index, (exercise, _, _) in enumerate(MISTAKES)])
def test_known_mistake_gets_its_hint_without_the_solution(exercise, wrong, fragment):
    result, printed = run_check(exercise, wrong)
    assert result.status == check.HINT and not result
    assert printed.startswith("Hint: ")
    assert fragment.lower() in result.message.lower(), result.message
    solution = solution_of(exercise)
    if not callable(solution) and np.ndim(solution) <= 2 and np.size(solution) <= 4:
        assert not reveals(result.message, solution), result.message


def test_every_exercise_has_a_known_mistake():
    assert {exercise for exercise, _, _ in MISTAKES} == set(EXERCISES)


def test_function_returning_none_is_not_attempted():
    def my_max_pool(image):
        return None

    result, _ = run_check("max_pool", my_max_pool)
    assert result.status == check.NOT_ATTEMPTED


@pytest.mark.parametrize("exercise, answer", [("grayscale_pixel", 124), ("grayscale_pixel", 124.2),
                                              ("batch_megabytes", 1.57), ("smoothed_target", 0.91),
                                              ("onehot_loss", "CategoricalCrossentropy"),
                                              ("onehot_loss", keras.losses.CategoricalCrossentropy()),
                                              ("overfitting_fix", "B"), ("pooled_size", [12, 13]),
                                              ("max_pool_by_hand", np.array([[6, 9], [8, 4]]))])
def test_equivalent_forms_of_the_answer_are_correct(exercise, answer):
    assert run_check(exercise, answer)[0]


# The expected answers, computed independently with Keras, OpenCV and NumPy.

def keras_output_shape(layer, input_shape):
    return tuple(layer.compute_output_shape((None, *input_shape))[1:])


def keras_same_corner():
    layer = keras.layers.Conv2D(1, 3, padding="same", use_bias=False)
    layer.build((None, 5, 5, 1))
    layer.set_weights([check.EXAMPLE_KERNEL.reshape(3, 3, 1, 1).astype(np.float32)])
    output = keras.ops.convert_to_numpy(layer(check.EXAMPLE_IMAGE.reshape(1, 5, 5, 1).astype(np.float32)))
    return output[0, -1, -1, 0]


def keras_padding_rows():
    """Find where Keras puts same padding: with a 2x2 sum kernel, the first output shows the top rows."""
    layer = keras.layers.Conv2D(1, 2, padding="same", use_bias=False, kernel_initializer="ones")
    image = np.arange(1, 26, dtype=np.float32).reshape(1, 5, 5, 1)
    first = keras.ops.convert_to_numpy(layer(image))[0, 0, 0, 0]
    top = 0 if first == image[0, :2, :2].sum() else 1
    return top, 1 - top


def smoothing_target_from_keras():
    """Solve Keras's smoothed loss for the true class's target t: loss = -(t log p0 + (1 - t)/9 sum log p_other)."""
    probabilities = np.array([[0.5] + [0.5 / 9] * 9], np.float32)
    probabilities[0, 1] += 0.02
    probabilities[0, 2] -= 0.02
    loss = float(keras.losses.CategoricalCrossentropy(label_smoothing=0.1)(np.eye(10)[:1], probabilities))
    logs = np.log(probabilities[0].astype(np.float64))
    # loss = -(t * logs[0] + (1 - t) / 9 * logs[1:].sum()), linear in t
    return (-loss - logs[1:].sum() / 9) / (logs[0] - logs[1:].sum() / 9)


def dense_input_size(model):
    return model.get_layer("flatten").output.shape[-1]


def shifts_right(kernel):
    shapes = data.sample_image("shapes")
    return np.array_equal(filters.apply_kernel(shapes, kernel)[:, 1:], shapes[:, :-1].astype(np.float32))


REFERENCES = {
    "grayscale_pixel": lambda: cv2.cvtColor(np.array([[check.GRAY_PIXEL]], np.uint8), cv2.COLOR_RGB2GRAY)[0, 0],
    "sobel_response": lambda: filters.apply_kernel(check.SOBEL_PATCH.astype(np.float32), filters.SOBEL_X,
                                                   padding="valid")[0, 0],
    "conv_output_size": lambda: keras_output_shape(keras.layers.Conv2D(1, 5, strides=2), (32, 32, 1))[0],
    "conv_output_shape": lambda: keras_output_shape(keras.layers.Conv2D(16, 3, strides=2, padding="same"),
                                                    (64, 64, 3)),
    "conv_params": lambda: keras.Sequential([keras.Input((28, 28, 3)), keras.layers.Conv2D(32, 3)]).count_params(),
    "same_padding_corner": keras_same_corner,
    "same_padding_split": keras_padding_rows,
    "max_pool_by_hand": lambda: keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(2)(
        check.POOL_GRID.reshape(1, 4, 4, 1).astype(np.float32)))[0, :, :, 0],
    "pooled_size": lambda: tuple(keras_output_shape(keras.layers.MaxPooling2D(3, 2, padding=padding),
                                                    (26, 26, 1))[0] for padding in ("valid", "same")),
    "global_pool_size": lambda: keras_output_shape(keras.layers.GlobalMaxPooling2D(), (5, 5, 64))[0],
    "lenet_dense_input": lambda: dense_input_size(models.lenet_cnn()),
    "lenet_params": lambda: models.lenet_cnn().count_params(),
    "batchnorm_conv_params": lambda: models.mnist_model(width=48).get_layer("block2_conv").count_params(),
    "validation_size": lambda: len(training.split_validation(np.zeros((60_000, 1), np.uint8),
                                                             np.zeros(60_000, np.uint8), fraction=0.2)[0][0]),
    "onehot_loss": lambda: keras.losses.get("categorical_crossentropy").__name__,
    "seed_dense_params": lambda: models.seed_cifar10_cnn(input_shape=(64, 64, 3)).get_layer("dense1").count_params(),
    "batch_megabytes": lambda: np.zeros((128, 32, 32, 3), np.float32).nbytes / 1e6,
    "smoothed_target": smoothing_target_from_keras,
    # The pair from the largest two-way count, found with cnnlab.evaluation instead of the solution's NumPy.
    "most_confused_pair": lambda: tuple(evaluation.top_confusions(SAMPLE_MATRIX + SAMPLE_MATRIX.T,
                                                                  data.CIFAR10_CLASSES, k=1)[0][:2]),
    "width_doubling_factor": lambda: (models.cifar10_model(widths=(128, 256, 256)).get_layer("block2_conv2")
                                      .count_params() / models.cifar10_model().get_layer("block2_conv2").count_params()),
    "feature_map_shape": lambda: tuple(models.mnist_model(input_shape=(64, 64, 1), width=check.MNIST_WIDTH)
                                       .get_layer("block2_relu").output.shape[1:]),
    "first_layer_weights": lambda: models.cifar10_model().get_layer("block1_conv1").count_params(),
    "receptive_field_size": lambda: visualize.receptive_field(models.cifar10_model(), "block3_conv2").size,
}


def keras_residual_block(x):
    """A residual block written another way than the solution: keras.layers.add and a ReLU layer."""
    y = keras.layers.ReLU()(conv3()(x))
    return keras.layers.ReLU()(keras.layers.add([conv3()(y), x]))


def frozen_trainable_params():
    """Trainable parameters of the pre-trained network's features, frozen, under a 5-class head."""
    network = transfer.pretrained_network()
    features = keras.Model(network.inputs, network.get_layer("global_pool").output)
    features.trainable = False
    model = keras.Sequential([features, keras.layers.Dense(5)])
    return sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)


def frozen_batchnorm_letter():
    """Which BATCHNORM_OPTIONS a frozen BatchNormalization layer does, found by fitting one."""
    layer = keras.layers.BatchNormalization()
    model = keras.Sequential([keras.Input((3,)), layer])
    layer.set_weights([np.ones(3), np.zeros(3), np.full(3, 5.0), np.full(3, 4.0)])  # gamma, beta, mean, var
    layer.trainable = False
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    model.fit(x, x, epochs=1, verbose=0)
    moving_unchanged = np.allclose(layer.get_weights()[2], 5.0)
    stored = np.allclose(keras.ops.convert_to_numpy(layer(x, training=True)), (x - 5) / np.sqrt(4 + 1e-3),
                         atol=1e-4)  # even when told training=True, a frozen layer keeps its averages
    return "b" if moving_unchanged and stored else "c" if moving_unchanged else "a"


def functional_batch_norm_cnn():
    """The batch-norm CNN in the functional API, float input, convolutions without biases."""
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    for filters in (32, 64):
        x = keras.layers.Conv2D(filters, 3, use_bias=False)(x)
        x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
        x = keras.layers.MaxPooling2D(2)(x)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x)))


def tutorial_augmented_cnn():
    """As the Keras tutorials write it: a nested augmentation model in front of the rescaling."""
    augmentation = keras.Sequential([keras.layers.RandomFlip("horizontal"),
                                     keras.layers.RandomTranslation((-0.05, 0.0625), 0.0625)])
    return keras.Sequential([keras.Input((32, 32, 3)), augmentation, *models.seed_cifar10_cnn().layers])


REFERENCES.update({
    # seed 004's MNIST model: same padding throughout, a hidden Dense layer
    "first_block_shape": models.same_padding_cnn,
    "batch_norm_cnn": functional_batch_norm_cnn,
    "augmented_cnn": tutorial_augmented_cnn,
    "block_output_model": lambda: keras.Sequential([keras.Input((28, 28, 1), dtype="uint8")] + (
        MNIST_NETWORK.layers[:[layer.name for layer in MNIST_NETWORK.layers].index("block2_relu") + 1])),
    "residual_block": lambda: keras_residual_block,
    "projection_shortcut_params": lambda: keras_output_params(keras.layers.Conv2D(128, 1), (8, 8, 64)),
    "frozen_head_params": frozen_trainable_params,
    "frozen_batchnorm": frozen_batchnorm_letter,
})


def keras_output_params(layer, input_shape):
    layer.build((None, *input_shape))
    return layer.count_params()


@pytest.mark.parametrize("exercise", sorted(REFERENCES))
def test_reference_answer_passes_the_check(exercise):
    assert run_check(exercise, REFERENCES[exercise]())[0]


def test_cifar_layer_table_matches_the_model():
    model = models.cifar10_model()
    table = []
    for layer in model.layers[:[layer.name for layer in model.layers].index("block3_conv2") + 1]:
        size = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
        if size:
            table.append((layer.name, size[0], layer.strides[0]))
    assert tuple(table) == check.CIFAR_LAYERS


def test_notebook_models_use_the_widths_the_checks_assume():
    assert models.mnist_model().get_layer("block1_conv").filters == check.MNIST_WIDTH
    cifar = models.cifar10_model()
    assert cifar.get_layer("whiten").filters == check.CIFAR_WHITENING_CHANNELS
    assert cifar.get_layer("block1_conv1").filters == check.CIFAR_BLOCK1_WIDTH


def test_solution_kernels_do_what_the_exercises_ask_on_the_sample_image():
    assert shifts_right(solution_of("shift_kernel"))
    assert not shifts_right(one_hot_kernel(1, 2))
    diagonal = solution_of("diagonal_kernel")
    # Straight edges and flat areas give 0 with OpenCV too (reflected border, float32).
    stripes = np.zeros((16, 16), np.float32)
    stripes[:, 8:] = 1
    assert np.abs(filters.apply_kernel(stripes, diagonal)).max() == 0
    assert np.abs(filters.apply_kernel(stripes.T.copy(), diagonal)).max() == 0
    assert np.abs(filters.apply_kernel(np.tril(np.ones((16, 16), np.float32)), diagonal)).max() > 0


def test_solution_max_pool_matches_keras_on_random_images():
    my_max_pool = solution_of("max_pool")
    image = np.random.default_rng(1).standard_normal((9, 6)).astype(np.float32)
    theirs = keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(2)(image.reshape(1, 9, 6, 1)))[0, :, :, 0]
    np.testing.assert_array_equal(my_max_pool(image), theirs)


# The notebooks: every check is called once, and each exercise cell runs as shipped and as solved.

def exercise_cells():
    """(notebook name, exercise, variable, cell) for every exercise cell of notebooks/*.ipynb."""
    found = []
    for path in sorted(make_solutions.NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            call = make_solutions.exercise_call(cell.source) if cell.cell_type == "code" else None
            if call:
                found.append((path.stem, *call, cell))
    return found


def run_cell(source):
    """Execute notebook cell source with np and check available; return what it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(source, {"np": np, "check": check, **NOTEBOOK_VARIABLES, **FIGURE_DATA["most_confused_pair"]})
    return printed.getvalue()


def test_notebooks_call_every_check_once_with_the_solution_variable():
    calls = [(exercise, variable) for _, exercise, variable, _ in exercise_cells()]
    assert sorted(exercise for exercise, _ in calls) == EXERCISES
    for exercise, variable in calls:
        assert variable == solutions.SOLUTIONS[exercise][0], exercise


def test_notebook_exercise_cells_as_shipped_print_not_attempted():
    for notebook, exercise, _, cell in exercise_cells():
        printed = run_cell(cell.source)
        assert printed.startswith("Not attempted yet: ") and printed.count("\n") == 1, (notebook, printed)
        stored = "".join(output.get("text", "") for output in cell.get("outputs", []))
        assert stored in ("", printed), (notebook, exercise, stored)  # stored outputs are up to date


def test_make_solutions_fills_in_every_exercise(tmp_path):
    assert make_solutions.main(["--out", str(tmp_path)]) == 0
    solved = []
    for path in sorted(tmp_path.glob("*_solutions.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            call = make_solutions.exercise_call(cell.source) if cell.cell_type == "code" else None
            if call:
                assert "None  # your answer" not in cell.source and not cell.outputs
                assert run_cell(cell.source).startswith("Correct! "), (path.name, call)
                solved.append(call[0])
    assert sorted(solved) == EXERCISES


# Answers no one thought of: the checks never raise and always print one verdict line.

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)


def assert_one_verdict(result, printed):
    """The promise of every check: one line with one of the three verdicts, never the safety net's."""
    assert isinstance(result, check.Result)
    assert printed == str(result) + "\n" and printed.count("\n") == 1
    assert printed.startswith(tuple(check.PREFIXES.values()))
    assert check.UNCHECKABLE not in result.message.lower(), result.message


def fails(*args):
    raise RuntimeError("a learner's object that refuses")


class Hostile:
    """A learner's object whose every conversion raises: repr, str, len, iteration, numbers, arrays."""

    __repr__ = __str__ = __len__ = __iter__ = __float__ = __int__ = __index__ = __array__ = fails
    __getitem__ = __bool__ = __complex__ = fails

    def __getattr__(self, name):
        raise RuntimeError(f"no {name}")


class UnprintableError(Exception):
    def __str__(self):
        raise RuntimeError("no message")


def exits(image):
    sys.exit()


def exits_with_code(image):
    sys.exit(3)


def raises_unprintable(image):
    raise UnprintableError


def raises_multiline(image):
    raise ValueError("line one\nline two\n" + "x" * 500)


def returning(value):
    """A learner's my_max_pool that returns ``value`` whatever the image."""
    return lambda image: value


# Built by st.builds or .map: Hypothesis shows the values of sampled_from, and these have no repr.
huge_integers = st.tuples(st.sampled_from([64, 400, 5000]), st.sampled_from([1, -1])).map(
    lambda power_and_sign: power_and_sign[1] * 10 ** power_and_sign[0])
ODD_OBJECTS = [object(), print, len, type, Ellipsis, NotImplemented, range(3), iter([1, 2]),
               (value for value in (12, 13)), decimal.Decimal("sNaN"), decimal.Decimal("1e999999"),
               keras.ops.convert_to_tensor(12), keras.ops.zeros((4, 3)),
               keras.ops.convert_to_tensor([12, 13]),
               keras.Input((32, 32, 64)), np.array(12), np.array([None, 1, "a"], dtype=object),
               np.datetime64("2024-01-01"), np.zeros((0, 3)), np.zeros((4, 3))]
LEARNER_FUNCTIONS = [exits, exits_with_code, raises_unprintable, raises_multiline, raises,
                     lambda image: image, lambda image: image.T, lambda image: image.astype(complex),
                     lambda image: image[::2, ::2] * 1j, lambda image: Hostile(),
                     lambda image: pool_loops(image) * np.nan, lambda image: pool_loops(image).astype(bool),
                     lambda image: pooling.max_pool2d(image, 2)[::-1]]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), huge_integers, st.builds(Hostile), st.floats(),
    st.complex_numbers(), st.fractions(), st.decimals(), st.text(max_size=8), st.binary(max_size=8),
    st.sampled_from(ODD_OBJECTS), st.sampled_from(LEARNER_FUNCTIONS),
    npst.scalar_dtypes().flatmap(npst.from_dtype))  # NumPy scalars of every kind
arrays = npst.arrays(npst.scalar_dtypes(), npst.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
answers = st.recursive(
    scalars | arrays,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.lists(children, min_size=2, max_size=4).map(tuple),
        st.dictionaries(st.integers(0, 4), children, max_size=4),
        st.sets(st.integers() | st.floats(allow_nan=False), max_size=4),
        st.frozensets(st.integers(0, 30), min_size=2, max_size=4), st.builds(returning, children)),
    max_leaves=8)


def unordered_or_complex(answer):
    """Answers that must never pass: sets and dicts (no order) and complex numbers (not real)."""
    if isinstance(answer, (collections.abc.Set, collections.abc.Mapping, complex, np.complexfloating)):
        return True
    return isinstance(answer, np.ndarray) and np.iscomplexobj(answer)


@PROPERTY_SETTINGS
@given(exercise=st.sampled_from(EXERCISES), answer=answers)
def test_any_answer_gets_one_verdict_and_never_raises(exercise, answer):
    result, printed = run_check(exercise, answer)
    assert_one_verdict(result, printed)
    if unordered_or_complex(answer):
        assert not result


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(function=st.one_of(st.sampled_from(LEARNER_FUNCTIONS), st.builds(returning, answers),
                          st.builds(returning, npst.arrays(npst.scalar_dtypes(), st.sampled_from(
                              [(2, 2), (2, 3), (3, 2), (3, 3), (2,), (2, 2, 1)])))))
def test_any_learner_function_gets_one_verdict(function):
    result, printed = run_check("max_pool", function)
    assert_one_verdict(result, printed)
    assert not result


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(exercise=st.sampled_from(["shift_kernel", "diagonal_kernel", "max_pool_by_hand", "pooled_size",
                                 "same_padding_split", "conv_output_shape", "feature_map_shape"]),
       answer=npst.arrays(npst.scalar_dtypes(), st.sampled_from([(3, 3), (2, 2), (2,), (3,), (4,), (4, 3)])))
def test_answers_of_the_right_shape_but_any_dtype_and_value_get_one_verdict(exercise, answer):
    result, printed = run_check(exercise, answer)
    assert_one_verdict(result, printed)
    if np.iscomplexobj(answer):
        assert not result


# The cases that raised or gave a wrong verdict before.

TUPLE_EXERCISES = ["same_padding_split", "pooled_size", "conv_output_shape", "feature_map_shape"]
NUMBER_EXERCISES = [exercise for exercise in EXERCISES
                    if isinstance(solution_of(exercise), (int, float, np.number))
                    and not isinstance(solution_of(exercise), bool)]


@pytest.mark.parametrize("exercise", TUPLE_EXERCISES)
@pytest.mark.parametrize("answer", [np.array(12), keras.ops.convert_to_tensor(12)],
                         ids=["0-d array", "tensor"])
def test_scalar_array_or_tensor_for_a_tuple_answer_is_a_hint(exercise, answer):
    result, printed = run_check(exercise, answer)
    assert result.status == check.HINT and "expected" in result.message
    assert_one_verdict(result, printed)


def test_numeric_exercises_are_found():
    assert {"conv_output_size", "grayscale_pixel", "smoothed_target"} <= set(NUMBER_EXERCISES)


@pytest.mark.parametrize("exercise", NUMBER_EXERCISES)
@pytest.mark.parametrize("answer", [10 ** 400, -10 ** 400, 10 ** 5000], ids=["1e400", "-1e400", "1e5000"])
def test_huge_integer_is_a_hint_for_every_numeric_answer(exercise, answer):
    result, printed = run_check(exercise, answer)
    assert result.status == check.HINT and "far too large" in result.message
    assert len(result.message) < 100  # not thousands of digits
    assert_one_verdict(result, printed)


@pytest.mark.parametrize("exercise", NUMBER_EXERCISES)
def test_complex_number_is_a_hint_for_every_numeric_answer(exercise):
    result, _ = run_check(exercise, complex(solution_of(exercise), 1))
    assert result.status == check.HINT and "real number" in result.message


@pytest.mark.parametrize("exercise", ["feature_map_shape", "conv_output_shape"])
def test_array_with_four_rows_is_not_taken_for_a_shape_with_a_batch_axis(exercise):
    result, printed = run_check(exercise, np.zeros((4, 3)))
    assert result.status == check.HINT and "shape (4, 3)" in result.message
    assert_one_verdict(result, printed)


@pytest.mark.parametrize("exercise", TUPLE_EXERCISES)
def test_sets_and_dicts_are_hints_about_order_even_with_the_right_values(exercise):
    solution = tuple(solution_of(exercise))
    for answer in (set(solution), frozenset(solution), dict(enumerate(solution)),
                   {value + 100: value for value in solution}):
        result, printed = run_check(exercise, answer)
        assert result.status == check.HINT and "no order" in result.message, answer
        assert_one_verdict(result, printed)


def test_a_set_is_not_taken_for_an_ordered_pair():
    valid, same = solution_of("pooled_size")
    assert run_check("pooled_size", (valid, same))[0]
    assert not run_check("pooled_size", {same, valid})[0]  # iterates in sorted order: was "Correct!"


@pytest.mark.parametrize("exercise", ["shift_kernel", "diagonal_kernel"])
def test_complex_kernel_is_a_hint(exercise):
    kernel = np.asarray(solution_of(exercise)) + 1j * np.eye(3)  # real part correct
    result, printed = run_check(exercise, kernel)
    assert result.status == check.HINT and "complex" in result.message
    assert_one_verdict(result, printed)


@pytest.mark.parametrize("function", [exits, exits_with_code])
def test_function_calling_sys_exit_is_a_hint(function):
    result, printed = run_check("max_pool", function)
    assert result.status == check.HINT and "sys.exit()" in result.message
    assert_one_verdict(result, printed)


def test_function_returning_text_says_what_it_returned():
    result, _ = run_check("max_pool", lambda image: "done")
    assert "returned str 'done'" in result.message and "NoneType" not in result.message


def test_wrong_values_in_a_non_square_output_are_a_hint():
    def right_on_squares(image):  # correct on the 4x4 grid, off by one on the 5x7 image
        pooled = pooling.max_pool2d(image, 2)
        return pooled if image.shape[0] == image.shape[1] else pooled + 1

    result, printed = run_check("max_pool", right_on_squares)
    assert result.status == check.HINT and "5x7" in result.message
    assert_one_verdict(result, printed)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="Windows has no SIGALRM: the thread path")
def test_function_that_never_returns_is_stopped_at_the_time_limit(monkeypatch):
    monkeypatch.setattr(check, "FUNCTION_TIME_LIMIT", 0.2)
    handler_before = signal.getsignal(signal.SIGALRM)

    def endless(image):
        while True:
            try:
                image = image + 0
            except Exception:  # a learner's catch-all must not swallow the time limit
                pass

    result, printed = run_check("max_pool", endless)
    assert result.status == check.HINT and "did not return within 0.2 s" in result.message
    assert "stopped" in result.message and "loop" in result.message
    assert_one_verdict(result, printed)
    assert signal.getsignal(signal.SIGALRM) == handler_before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_without_alarms_a_function_that_never_returns_is_reported_still_running(monkeypatch):
    monkeypatch.setattr(check, "FUNCTION_TIME_LIMIT", 0.2)
    monkeypatch.setattr(check, "_alarm_usable", lambda: False)  # as on Windows or off the main thread
    release = threading.Event()

    def waits(image):
        while not release.is_set():
            time.sleep(0.01)

    try:
        result, printed = run_check("max_pool", waits)
    finally:
        release.set()  # lets the abandoned thread end
    assert result.status == check.HINT and "still running" in result.message
    assert "restart the kernel" in result.message.lower()
    assert_one_verdict(result, printed)
    assert run_check("max_pool", solution_of("max_pool"))[0]  # the thread path grades as well


def test_a_bug_in_a_check_still_prints_one_hint(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in cnnlab")

    monkeypatch.setattr(check.conv, "output_size", broken)
    result, printed = run_check("pooled_size", (12, 13))
    assert result.status == check.HINT and result.message.startswith(check.UNCHECKABLE)
    assert "RuntimeError" in result.message and check.QUESTIONS["pooled_size"] in result.message
    assert printed.count("\n") == 1


def test_a_tie_for_the_most_mixed_pair_accepts_either_pair():
    tied = SAMPLE_MATRIX.copy()
    tied[1, 9] = 15  # truck/automobile now 15 + 40 = 55, as many as cat/dog
    for pair in [("cat", "dog"), ("automobile", "truck")]:
        assert check.most_confused_pair(pair, tied)
    assert not check.most_confused_pair(("bird", "cat"), tied)


def test_a_matrix_of_the_wrong_shape_is_a_hint():
    result = check.most_confused_pair(("cat", "dog"), np.zeros((3, 3)))
    assert result.status == check.HINT and "shape (10, 10)" in result.message


# Calls of every form: a check's signature decides, and a wrong call is a hint, never a TypeError.

def call_check(exercise, *args, **kwargs):
    """Call check.<exercise>(*args, **kwargs); return (result, printed text)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = getattr(check, exercise)(*args, **kwargs)
    return result, printed.getvalue()


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(exercise=st.sampled_from(EXERCISES), args=st.lists(answers, max_size=4),
       kwargs=st.dictionaries(st.sampled_from(["answer", "kernel", "function", "matrix", "class_names",
                                               "x", "figure", "model", "mnist_model"]), answers,
                              max_size=3))
def test_any_call_gets_one_verdict_and_never_raises(exercise, args, kwargs):
    assert_one_verdict(*call_check(exercise, *args, **kwargs))


@pytest.mark.parametrize("exercise", EXERCISES)
def test_a_call_without_the_answer_is_a_hint_that_shows_the_call(exercise):
    result, printed = call_check(exercise)
    assert result.status == check.HINT and f"check.{exercise}(" in result.message
    assert_one_verdict(result, printed)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_an_extra_argument_is_a_hint_and_a_keyword_answer_is_graded(exercise):
    name, value = SECOND_ARGUMENT.get(exercise, (None, None))
    second = [value] if name else []
    result, _ = call_check(exercise, solution_of(exercise), *second, data.CIFAR10_CLASSES, "extra")
    assert result.status == check.HINT and "too many" in result.message
    first = next(iter(inspect.signature(getattr(check, exercise)).parameters))  # answer, kernel, function
    keywords = {first: solution_of(exercise), **({name: value} if name else {})}
    assert call_check(exercise, **keywords)[0]


def test_a_confusion_matrix_that_is_not_one_is_a_hint():
    for matrix in [[[1, 2], [3]], "matrix", None]:
        result, printed = call_check("most_confused_pair", ("cat", "dog"), matrix)
        assert result.status == check.HINT and "confusion matrix" in result.message
        assert_one_verdict(result, printed)


def test_only_verdicts_read_from_the_figure_depend_on_the_run():
    assert check.most_confused_pair(("cat", "dog"), SAMPLE_MATRIX).depends_on_run
    assert check.most_confused_pair(("automobile", "truck"), SAMPLE_MATRIX).depends_on_run
    assert not check.most_confused_pair(("cat", "cat"), SAMPLE_MATRIX).depends_on_run
    assert not check.most_confused_pair("cat", SAMPLE_MATRIX).depends_on_run
    assert not any(check.conv_params(value).depends_on_run for value in (None, 896, 895))


def test_verdicts_go_to_the_results_file_as_json_lines(tmp_path, monkeypatch):
    path = tmp_path / "verdicts.jsonl"
    monkeypatch.setenv(check.RESULTS_VARIABLE, str(path))
    with contextlib.redirect_stdout(io.StringIO()):
        check.conv_params(896)  # (3 * 3 * 3 + 1) * 32
        check.conv_params(None)
        check.most_confused_pair(("bird", "cat"), SAMPLE_MATRIX)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(line["exercise"], line["verdict"], line["depends_on_run"]) for line in lines] == [
        ("conv_params", "correct", False), ("conv_params", "not attempted", False),
        ("most_confused_pair", "hint", True)]
    assert lines[0]["message"].startswith("Correct! ")


def test_an_unwritable_results_file_still_prints_the_verdict(tmp_path, monkeypatch):
    monkeypatch.setenv(check.RESULTS_VARIABLE, str(tmp_path / "missing folder" / "verdicts.jsonl"))
    assert_one_verdict(*call_check("conv_params", 896))
    monkeypatch.delenv(check.RESULTS_VARIABLE)
    assert_one_verdict(*call_check("conv_params", 896))
    assert not (tmp_path / "missing folder").exists()


def test_notebook_exercises_list_each_notebooks_exercise_cells_in_order():
    found = collections.defaultdict(list)
    for notebook, exercise, _, _ in exercise_cells():
        found[notebook].append(exercise)
    assert {notebook: tuple(names) for notebook, names in found.items()} == check.NOTEBOOK_EXERCISES
