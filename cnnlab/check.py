"""One-line checks for the notebooks' exercises: ``check.conv_output_size(answer)``.

Each check prints one line and returns a ``Result``:

- ``Correct! ...`` with a one-line why;
- ``Hint: ...`` naming the likely mistake (a known wrong answer gets its own hint),
  never the solution;
- ``Not attempted yet: ...`` while the answer is still the placeholder ``None`` (or ``...``).

Checks never raise on a learner's answer, whatever its type, shape or size: a
wrong type is a hint too, and so is a function that raises, calls ``sys.exit()`` or
does not return within ``FUNCTION_TIME_LIMIT`` seconds, and so is a call with missing,
extra or misnamed arguments.

Where the environment variable ``CNNLAB_CHECK_RESULTS`` names a file, each check also
appends its verdict to it as one JSON line (``Result.record``): ``python -m cnnlab.grade``
collects verdicts that way, never by reading the printed text. Expected answers come from
cnnlab's reference functions (conv, pooling, params, filters)
wherever one exists. The questions' numbers are the constants below; the
notebooks state the same exercises in words.
"""

import collections.abc
import dataclasses
import functools
import inspect
import json
import math
import numbers
import os
import re
import signal
import threading
import time
import types
import warnings

import numpy as np

from cnnlab import conv, data, filters, params, pooling

CORRECT, HINT, NOT_ATTEMPTED = "correct", "hint", "not attempted"
PREFIXES = {CORRECT: "Correct! ", HINT: "Hint: ", NOT_ATTEMPTED: "Not attempted yet: "}
TOLERANCE = 1e-6
# A learner's function gets this long per call: correct loops over these tiny images take
# milliseconds, so only an endless loop reaches it, and the learner need not interrupt the kernel.
FUNCTION_TIME_LIMIT = 10  # seconds
DESCRIPTION_LENGTH = 60  # characters of an answer quoted back in a hint
UNCHECKABLE = "could not check"  # the start of the safety net's hint; tests make sure it never shows
RESULTS_VARIABLE = "CNNLAB_CHECK_RESULTS"  # the environment variable naming the file verdicts go to

# 01_filters
GRAY_PIXEL = (200, 100, 50)  # (R, G, B)
SOBEL_PATCH = np.array([[10, 50, 90], [20, 60, 110], [30, 70, 130]])
EDGE_SIDE = 9  # side of the synthetic edge images the diagonal kernel is tried on
STRAIGHT_EDGE_LIMIT = 0.25  # vertical/horizontal response allowed, as a share of the diagonal one
# 02_convolution: the 5x5 example of the notebook and NOTES.md
EXAMPLE_IMAGE, EXAMPLE_KERNEL = conv.EXAMPLE_IMAGE, conv.EXAMPLE_KERNEL
# 03_pooling
POOL_GRID = np.array([[1, 3, 2, 9], [4, 6, 5, 7], [8, 0, 1, 2], [3, 3, 4, 4]])
# 04_mnist_cnn
MNIST_SIDE, MNIST_TRAIN_IMAGES = 28, 60_000
# 05_cifar10
CIFAR_SIDE, CIFAR_TRAIN_IMAGES, MEGABYTE = 32, 50_000, 1_000_000
LARGER_SIDE = 64  # photos of 64x64 instead of 32x32
BATCH_IMAGES = 128
OVERFITTING_OPTIONS = {"a": "train for more epochs", "b": "add data augmentation",
                       "c": "make the dense layer wider", "d": "remove the dropout layers"}
# 06_what_cnns_learn: (name, kernel or pool size, stride) of the CIFAR-10 recipe's model up to block3_conv2
CIFAR_LAYERS = (("whiten", 2, 1), ("block1_conv1", 3, 1), ("block1_pool", 2, 2), ("block1_conv2", 3, 1),
                ("block2_conv1", 3, 1), ("block2_pool", 2, 2), ("block2_conv2", 3, 1),
                ("block3_conv1", 3, 1), ("block3_pool", 2, 2), ("block3_conv2", 3, 1))
MNIST_WIDTH = 32  # block1's filters in the MNIST recipe's model (notebook 04)
CIFAR_WHITENING_CHANNELS, CIFAR_BLOCK1_WIDTH = 24, 64  # the CIFAR-10 recipe's model (notebook 05)

QUESTIONS = {
    "grayscale_pixel": f"the grayscale value of the RGB pixel {GRAY_PIXEL}.",
    "sobel_response": "the Sobel x response at the centre of the 3x3 patch.",
    "shift_kernel": "a 3x3 kernel that moves the picture one pixel to the right.",
    "diagonal_kernel": "a 3x3 kernel that finds diagonal edges but not vertical or horizontal ones.",
    "conv_output_size": "the output size of a 32x32 input, 5x5 kernel, valid padding, stride 2.",
    "conv_output_shape": "the output shape of Conv2D(16, 3, strides=2, padding='same') on (64, 64, 3).",
    "conv_params": "the parameter count of Conv2D(32, 3) on an RGB image.",
    "same_padding_corner": "the bottom-right value of the 5x5 example with same padding.",
    "same_padding_split": "(top, bottom) zero rows for a 2x2 kernel with same padding on 5 rows.",
    "max_pool_by_hand": "the 2x2, stride-2 max pooling of the 4x4 grid.",
    "max_pool": "your function my_max_pool(image), 2x2 windows, stride 2.",
    "pooled_size": "(valid, same) output sizes of 3x3 pooling, stride 2, on 26x26.",
    "global_pool_size": "how many values GlobalMaxPooling2D outputs for a (5, 5, 64) map.",
    "lenet_dense_input": "the number of inputs of lenet_cnn's first Dense layer.",
    "lenet_params": "the total parameter count of models.lenet_cnn().",
    "batchnorm_conv_params": "the parameter count of block2_conv in models.mnist_model(width=48).",
    "validation_size": "how many images the model trains on with fraction=0.2.",
    "onehot_loss": "the Keras loss name for one-hot labels.",
    "overfitting_fix": "the letter of the change that fights overfitting.",
    "seed_dense_params": "the parameter count of dense1 in seed_cifar10_cnn on 64x64 photos.",
    "batch_megabytes": "the megabytes one batch of 128 images takes in float32.",
    "smoothed_target": "the target for the true class with label_smoothing=0.1 and 10 classes.",
    "width_doubling_factor": "how many times more weights block2_conv2 has with doubled widths.",
    "most_confused_pair": "the two classes the confusion matrix mixes up most, as a pair of names.",
    "feature_map_shape": "the shape of block2_relu's output in the MNIST model for one 64x64 image.",
    "first_layer_weights": "the number of weights in the CIFAR-10 model's block1_conv1.",
    "receptive_field_size": "how many pixels wide the receptive field of block3_conv2 is.",
}
# The exercises of each notebook, in the order its cells ask them (tests/test_check.py compares).
NOTEBOOK_EXERCISES = {
    "01_filters": ("grayscale_pixel", "sobel_response", "shift_kernel", "diagonal_kernel"),
    "02_convolution": ("conv_output_size", "conv_output_shape", "conv_params", "same_padding_corner",
                       "same_padding_split"),
    "03_pooling": ("max_pool_by_hand", "max_pool", "pooled_size", "global_pool_size"),
    "04_mnist_cnn": ("lenet_dense_input", "lenet_params", "batchnorm_conv_params", "validation_size",
                     "onehot_loss"),
    "05_cifar10": ("overfitting_fix", "seed_dense_params", "batch_megabytes", "smoothed_target",
                   "width_doubling_factor", "most_confused_pair"),
    "06_what_cnns_learn": ("feature_map_shape", "first_layer_weights", "receptive_field_size"),
}


@dataclasses.dataclass(frozen=True)
class Result:
    """What a check found; true only when the answer is correct.

    ``depends_on_run`` is true where the verdict compares the answer with data of this
    run's trained model (a figure-reading exercise): another run may show other data.
    """

    exercise: str
    status: str
    message: str
    depends_on_run: bool = False

    def __bool__(self):
        return self.status == CORRECT

    def __str__(self):
        message = self.message
        if self.status != NOT_ATTEMPTED:  # verdicts are sentences; questions may start with a name
            message = message[:1].upper() + message[1:]
        return PREFIXES[self.status] + message

    def _ipython_display_(self):
        """Show nothing as a cell's last value: the check has printed its message already."""

    def record(self, path):
        """Append this verdict to the file ``path`` as one JSON line; False where it cannot be written."""
        line = json.dumps({"exercise": self.exercise, "verdict": self.status, "message": str(self),
                           "depends_on_run": self.depends_on_run})
        try:
            with open(path, "a", encoding="utf-8") as results:
                results.write(line + "\n")
        except (OSError, ValueError):  # an unwritable path: the printed verdict still stands
            return False
        return True


def _report(exercise, status, message, depends_on_run=False):
    """Print the verdict, record it where RESULTS_VARIABLE says, and return it as a Result."""
    result = Result(exercise, status, message, depends_on_run)
    print(result)
    if os.environ.get(RESULTS_VARIABLE):
        result.record(os.environ[RESULTS_VARIABLE])
    return result


def _unanswered(answer):
    """True for the notebooks' placeholders, None and ... (Ellipsis)."""
    return answer is None or answer is Ellipsis


def _one_line(text, limit=DESCRIPTION_LENGTH):
    """Text on one line (the verdict is one line), cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _describe(answer):
    """Name answer's type and show a short one-line repr of it, whatever it is; never raises."""
    kind = type(answer).__name__
    if isinstance(answer, int) and not isinstance(answer, bool) and answer.bit_length() > 64:
        # repr of a huge int is thousands of digits, or a ValueError past Python's digit limit.
        return f"an {kind} of about {int(answer.bit_length() * math.log10(2)) + 1} digits"
    if isinstance(answer, np.ndarray) and answer.size > 9:
        return f"a {answer.dtype} array of shape {answer.shape}"
    try:
        text = repr(answer)
    except Exception:  # a learner's class with a broken __repr__
        text = f"<{kind}>"
    return f"{kind} {_one_line(text)}"


def _as_number(answer):
    """Return answer as a finite float, or None if it is not a single real number.

    Bools, strings, complex numbers and ints too large for a float are not (NumPy turns
    ``10**400`` into an object array, and ``float`` of it overflows).
    """
    if isinstance(answer, (bool, np.bool_, str, bytes, complex, np.complexfloating)):
        return None
    try:
        array = np.asarray(answer)
        if array.size != 1 or array.dtype.kind not in "iufO":
            return None
        item = array.item()
        if isinstance(item, bool) or not isinstance(item, numbers.Real):
            return None
        number = float(item)
    except Exception:  # whatever a learner's object raises when converted, it is not a number
        return None
    return number if math.isfinite(number) else None


def _not_a_number(answer):
    """The hint for an answer that is not one real number."""
    if isinstance(answer, (complex, np.complexfloating)) or np.iscomplexobj(_as_array_or_none(answer)):
        return f"expected one real number, got the complex {_describe(answer)}."
    if isinstance(answer, int) and not isinstance(answer, bool):  # only a huge int gets here
        return f"that number is far too large: {_describe(answer)}."
    return f"expected one number, got {_describe(answer)}."


def _check_number(exercise, answer, expected, why, mistakes, hint, tolerance=TOLERANCE):
    """Grade a numeric answer: correct within tolerance, a known mistake (value, hint), or a general hint."""
    if _unanswered(answer):
        return _report(exercise, NOT_ATTEMPTED, QUESTIONS[exercise])
    number = _as_number(answer)
    if number is None:
        return _report(exercise, HINT, _not_a_number(answer))
    if abs(number - expected) <= tolerance:
        return _report(exercise, CORRECT, why)
    for value, message in mistakes:
        if abs(number - value) <= tolerance:
            return _report(exercise, HINT, message)
    return _report(exercise, HINT, hint)


def _as_items(answer):
    """Return the items of an ordered, one-dimensional answer as a list, or None.

    Tuples, lists, 1-d arrays, tensors and shapes qualify. Sets and dicts do not: their
    order is not the learner's, so ``{13, 12}`` must not pass for ``(12, 13)``. Neither do
    strings, 0-d arrays and scalar tensors, which have no items.
    """
    if isinstance(answer, (str, bytes, collections.abc.Set, collections.abc.Mapping)):
        return None
    try:
        array = np.asarray(answer, dtype=object)  # object: keeps None, huge ints and odd items as they are
    except Exception:  # ragged, or a learner's object that cannot be read as an array
        return None
    return list(array) if array.ndim == 1 else None


def _as_numbers(answer, length):
    """Return answer as a tuple of `length` floats, or None if it is not such an ordered sequence."""
    items = _as_items(answer)
    if items is None or len(items) != length:
        return None
    values = tuple(_as_number(item) for item in items)
    return None if None in values else values


def _has_batch_axis(answer):
    """True for a 4-item shape whose first item is None or 1: a Keras shape with the batch axis."""
    items = _as_items(answer)
    return items is not None and len(items) == 4 and (items[0] is None or _as_number(items[0]) == 1)


def _not_a_sequence(answer, form):
    """The hint for an answer that is not `form`, an ordered tuple such as "a pair (top, bottom)"."""
    if isinstance(answer, (collections.abc.Set, collections.abc.Mapping)):
        return f"a {type(answer).__name__} has no order of its own: give {form}, in that order."
    return f"expected {form}, got {_describe(answer)}."


def _as_array_or_none(answer):
    """Return np.asarray(answer), or None where a learner's object cannot be converted."""
    try:
        return np.asarray(answer)
    except Exception:  # ragged nested lists, objects whose __array__ or __len__ raises
        return None


def _as_array(answer):
    """Return answer as a real (bool, int or float) NumPy array, or None: ragged, text, complex, objects."""
    array = _as_array_or_none(answer)
    return array if array is not None and array.dtype.kind in "biuf" else None


def _as_kernel(exercise, kernel):
    """Return kernel as a finite (3, 3) float32 array, or a hint Result saying what is wrong with it."""
    array = _as_array(kernel)
    if array is None:
        if np.iscomplexobj(_as_array_or_none(kernel)):  # converting would drop the imaginary part
            return _report(exercise, HINT, "the kernel has complex numbers: image kernels are real.")
        return _report(exercise, HINT, f"expected a 3x3 array of numbers, got {_describe(kernel)}.")
    array = array.astype(np.float32)  # values beyond float32's range become inf, caught below
    if array.shape != (3, 3):
        return _report(exercise, HINT, f"expected a 3x3 kernel, got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        return _report(exercise, HINT, "the kernel contains NaN or infinity.")
    return array


# ---------------------------------------------------------------- 01_filters

def grayscale_pixel(answer):
    """Check the grayscale value of GRAY_PIXEL with the ITU-R 601 weights."""
    red, green, blue = GRAY_PIXEL
    expected = int(filters.to_grayscale(np.array([[GRAY_PIXEL]], np.uint8))[0, 0])
    return _check_number("grayscale_pixel", answer, expected,
                         "0.299 R + 0.587 G + 0.114 B, rounded, is what filters.to_grayscale gives.", [
                             ((red + green + blue) / 3, "that is the plain mean: the eye weights green "
                                                        "most, so each channel has its own weight."),
                             (0.114 * red + 0.587 * green + 0.299 * blue,
                              "you swapped the red and blue weights (OpenCV's BGR order): red gets 0.299."),
                             (red + green + blue, "you added the channels without weights."),
                         ], "weight red by 0.299, green by 0.587 and blue by 0.114, then add.", tolerance=0.5)


def sobel_response(answer):
    """Check the Sobel x response at the centre of SOBEL_PATCH."""
    expected = conv.corr2d(SOBEL_PATCH, filters.SOBEL_X)[0, 0]
    row_differences = SOBEL_PATCH[:, 2] - SOBEL_PATCH[:, 0]
    return _check_number("sobel_response", answer, expected,
                         "right column minus left column, rows weighted 1, 2, 1.", [
                             (-expected, "the sign is flipped: you flipped the kernel (true convolution) or "
                                         "took left minus right. filter2D correlates: right minus left."),
                             (row_differences.sum(), "you forgot the weight 2 on the middle row."),
                             (255, "that is the uint8 result, clipped at 255: the true response is larger."),
                             (conv.corr2d(SOBEL_PATCH, filters.SOBEL_Y)[0, 0],
                              "that is Sobel y (bottom row minus top row): Sobel x compares right with "
                              "left."),
                             (row_differences[0], "that is the top row alone: add all three rows."),
                             (row_differences[1], "that is the middle row alone: add all three rows."),
                         ], "multiply each pixel by the Sobel x weight at the same position and add the "
                            "nine products.")


def shift_kernel(kernel):
    """Check a 3x3 kernel that moves the picture one pixel to the right (output[r, c] = image[r, c - 1])."""
    exercise = "shift_kernel"
    if _unanswered(kernel):
        return _report(exercise, NOT_ATTEMPTED, QUESTIONS[exercise])
    kernel = _as_kernel(exercise, kernel)
    if isinstance(kernel, Result):
        return kernel
    image = np.random.default_rng(0).random((8, 8), dtype=np.float32)
    # A valid output pixel (r, c) sits over input (r + 1, c + 1); its left neighbour is (r + 1, c).
    if np.allclose(conv.corr2d(image, kernel), image[1:-1, :-2], atol=TOLERANCE):
        return _report(exercise, CORRECT, "correlation copies the pixel under the single 1: its left "
                                          "neighbour, so everything moves one pixel right.")
    nonzero = np.argwhere(kernel != 0)
    if len(nonzero) == 0:
        return _report(exercise, HINT, "all weights are 0: the output is black.")
    if len(nonzero) > 1:
        return _report(exercise, HINT, "several weights are nonzero, so each output mixes several pixels "
                                       "(a blur or an edge filter): a shift copies exactly one pixel.")
    row, column = nonzero[0]
    if kernel[row, column] != 1:
        return _report(exercise, HINT, f"the weight {kernel[row, column]:g} also scales the brightness: "
                                       "use 1.")
    moves = {(1, 1): "leaves the picture where it is (the identity kernel)",
             (1, 2): "moves the picture LEFT: correlation copies the pixel under the 1, so a 1 right of "
                     "the centre pulls in the right-hand neighbour",
             (0, 1): "moves the picture down", (2, 1): "moves the picture up"}
    move = moves.get((row, column), "moves the picture diagonally")
    return _report(exercise, HINT, f"your kernel {move}. Put the 1 where the pixel should come FROM.")


def _edge_images(side=EDGE_SIDE):
    """Step edges as float32 0/1 images: flat, vertical, horizontal and the two diagonals."""
    rows, columns = np.indices((side, side))
    middle = side // 2
    masks = {"flat": rows >= 0, "vertical": columns >= middle, "horizontal": rows >= middle,
             "diagonal": columns >= rows, "anti-diagonal": rows + columns >= side - 1}
    return {name: mask.astype(np.float32) for name, mask in masks.items()}


def diagonal_kernel(kernel):
    """Check a 3x3 kernel that responds to diagonal step edges but hardly to vertical or horizontal ones."""
    exercise = "diagonal_kernel"
    if _unanswered(kernel):
        return _report(exercise, NOT_ATTEMPTED, QUESTIONS[exercise])
    kernel = _as_kernel(exercise, kernel)
    if isinstance(kernel, Result):
        return kernel
    scale = float(np.abs(kernel).sum())
    if scale == 0:
        return _report(exercise, HINT, "all weights are 0: the response is 0 everywhere.")
    strength = {name: float(np.abs(conv.corr2d(image, kernel)).max())
                for name, image in _edge_images().items()}
    if strength["flat"] > TOLERANCE * scale:
        return _report(exercise, HINT, f"the weights sum to {kernel.sum():g}, so a flat area of "
                                       "brightness b gives that times b instead of 0: make them sum to 0.")
    diagonal = max(strength["diagonal"], strength["anti-diagonal"])
    if diagonal <= TOLERANCE * scale:
        return _report(exercise, HINT, "your kernel does not respond to diagonal edges at all.")
    straight = [(name, strength[name] / diagonal, axis) for name, axis in
                (("vertical", "column"), ("horizontal", "row"))]
    too_strong = [(name, share, axis) for name, share, axis in straight if share > STRAIGHT_EDGE_LIMIT]
    if not too_strong:
        largest = max(share for _, share, _ in straight)
        if largest <= TOLERANCE:
            return _report(exercise, CORRECT, "every row and column of weights sums to 0, so flat areas, "
                                              "vertical and horizontal edges give 0.")
        return _report(exercise, CORRECT, f"vertical and horizontal edges get only {largest:.0%} of its "
                                          "diagonal response.")
    details = "; ".join(f"to {name} edges at {share:.0%} of that (make each {axis} of weights sum to 0)"
                        for name, share, axis in too_strong)
    return _report(exercise, HINT, f"it finds diagonal edges, but also responds {details}. "
                                   "A diagonal Sobel kernel does this.")


# ---------------------------------------------------------------- 02_convolution

def conv_output_size(answer):
    """Check the output size of a 32x32 input, 5x5 kernel, valid padding, stride 2."""
    size, kernel_size, stride = 32, 5, 2
    return _check_number("conv_output_size", answer, conv.output_size(size, kernel_size, "valid", stride),
                         "the formula is floor((n - k) / s) + 1: a window that would hang off the edge "
                         "is not used.", [
                             (conv.output_size(size, kernel_size, "valid", 1), "that is for stride 1: "
                                                                               "divide by the stride."),
                             (conv.output_size(size, kernel_size, "same", stride),
                              "that is same padding; valid padding adds no border."),
                             ((size - kernel_size) / stride, "you forgot the + 1 (the first window)."),
                             ((size - kernel_size) // stride, "you forgot the + 1 (the first window)."),
                             (math.ceil((size - kernel_size) / stride) + 1,
                              "you rounded up: the formula takes the floor."),
                             ((size - kernel_size) / stride + 1, "round down: a window cannot start "
                                                                 "halfway between pixels."),
                             (size - kernel_size, "that is n - k: divide by the stride and add 1."),
                         ], "use floor((n + 2p - k) / s) + 1 with p = 0.")


def conv_output_shape(answer):
    """Check the output shape of Conv2D(16, 3, strides=2, padding="same") on a (64, 64, 3) input."""
    exercise = "conv_output_shape"
    size, channels, num_filters, kernel_size, stride = 64, 3, 16, 3, 2
    if _unanswered(answer):
        return _report(exercise, NOT_ATTEMPTED, QUESTIONS[exercise])
    if _has_batch_axis(answer):
        return _report(exercise, HINT, "leave out the batch axis: give (height, width, channels).")
    shape = _as_numbers(answer, 3)
    if shape is None:
        return _report(exercise, HINT, _not_a_sequence(answer, "a tuple (height, width, channels)"))
    height, width, out_channels = shape
    expected_side = conv.output_size(size, kernel_size, "same", stride)
    if (height, width, out_channels) == (expected_side, expected_side, num_filters):
        return _report(exercise, CORRECT, "same padding gives ceil(n / s) per side, and one channel "
                                          "per filter.")
    problems = []
    if (height, width) != (expected_side, expected_side):
        sides = {conv.output_size(size, kernel_size, "valid", stride): "that is valid padding",
                 size: "you forgot the stride", conv.output_size(size, kernel_size): "that is valid "
                       "padding with stride 1"}
        problems.append(f"height and width: {sides.get(height, 'same padding gives ceil(n / stride)')}")
    if out_channels != num_filters:
        reason = "that is the input's channel count" if out_channels == channels else "check them"
        problems.append(f"channels: {reason}; the output has one channel per filter")
    return _report(exercise, HINT, "; ".join(problems) + ".")


def conv_params(answer):
    """Check the parameter count of Conv2D(32, 3) on an RGB image."""
    kernel_size, channels, num_filters = 3, 3, 32
    expected = params.conv2d_params(kernel_size, channels, num_filters)
    image_mistakes = [(expected * pixels, "the count does not depend on the image size: the same weights "
                                          "are used at every position.") for pixels in (32 * 32, 28 * 28)]
    return _check_number("conv_params", answer, expected,
                         "each filter has one 3x3x3 kernel and one bias: (k * k * C_in + 1) * F.", [
                             (params.conv2d_params(kernel_size, channels, num_filters, use_bias=False),
                              "you forgot the bias: one per filter."),
                             (params.conv2d_params(kernel_size, 1, num_filters),
                              "an RGB image has 3 input channels; each filter has a kernel for each."),
                             (params.conv2d_params(kernel_size, 1, num_filters, use_bias=False),
                              "an RGB image has 3 input channels, and each filter has a bias."),
                             (params.conv2d_params(kernel_size, channels, num_filters, use_bias=False) + 1,
                              "each filter has its own bias, not one for the whole layer."),
                             (params.conv2d_params(kernel_size, channels, 1),
                              "that is one filter: the layer has 32."),
                         ] + image_mistakes, "use (k * k * C_in + 1) * F.")


def same_padding_corner(answer):
    """Check the bottom-right value of corr2d(EXAMPLE_IMAGE, EXAMPLE_KERNEL, padding="same")."""
    expected = conv.corr2d(EXAMPLE_IMAGE, EXAMPLE_KERNEL, padding="same")[-1, -1]
    return _check_number("same_padding_corner", answer, expected,
                         "the window centred on the corner pixel hangs over the zero border, so only "
                         "four image pixels count.", [
                             (conv.corr2d(EXAMPLE_IMAGE, EXAMPLE_KERNEL)[-1, -1],
                              "that is the valid output's corner (window wholly inside the image), or "
                              "OpenCV's mirrored border. Same padding centres the window on the corner "
                              "pixel and fills the outside with zeros."),
                             (conv.conv2d(EXAMPLE_IMAGE, EXAMPLE_KERNEL, padding="same")[-1, -1],
                              "you flipped the kernel (true convolution): Keras and corr2d do not flip."),
                         ], "centre the 3x3 window on the bottom-right pixel, treat everything outside "
                            "the image as 0, multiply by the kernel and add.")


def same_padding_split(answer):
    """Check the (top, bottom) zero rows that same padding adds for a 2x2 kernel on 5 rows."""
    exercise = "same_padding_split"
    if _unanswered(answer):
        return _report(exercise, NOT_ATTEMPTED, QUESTIONS[exercise])
    split = _as_numbers(answer, 2)
    if split is None:
        return _report(exercise, HINT, _not_a_sequence(answer, "a pair (top, bottom)"))
    top, bottom = conv.padding_amounts(5, 2, "same")
    mistakes = {(bottom, top): "right total, wrong side: Keras/TensorFlow put the odd extra row at the "
                               "bottom (and the odd column on the right).",
                (1, 1): "one row on each side makes the input 7 tall and the output 6 rows, one too many.",
                (0, 0): "that is valid padding: the output would lose a row."}
    if split == (top, bottom):
        return _report(exercise, CORRECT, "a 2x2 kernel needs one extra row in total, and an odd row "
                                          "goes at the bottom, as in TensorFlow.")
    if any(value != int(value) for value in split):
        return _report(exercise, HINT, "padding comes in whole rows.")
    return _report(exercise, HINT, mistakes.get(split, "same padding keeps 5 rows: add exactly as many "
                                                       "zero rows as the kernel needs beyond the first."))


# ---------------------------------------------------------------- 03_pooling

def _pooling_hint(result, grid):
    """Name the likely mistake when result is not the 2x2 max pooling of grid, or return None."""
    windows = grid.reshape(grid.shape[0] // 2, 2, grid.shape[1] // 2, 2)
    if result.shape == (grid.shape[0] - 1, grid.shape[1] - 1):
        return "the windows overlap (stride 1): pooling moves by the pool size, 2."
    if result.shape != pooling.max_pool2d(grid, 2).shape:
        return f"2x2 windows with stride 2 halve each side: got shape {result.shape}."
    if np.allclose(result, windows.mean(axis=(1, 3))):
        return "those are averages (average pooling): keep the largest value of each window."
    if np.allclose(result, windows.min(axis=(1, 3))):
        return "you kept the smallest value of each window: keep the largest."
    if result.T.shape == result.shape and np.allclose(result.T, pooling.max_pool2d(grid, 2)):
        return "rows and columns are swapped."
    return None


def max_pool_by_hand(answer):
    """Check the 2x2, stride-2 max pooling of POOL_GRID, worked out by hand."""
    exercise = "max_pool_by_hand"
    if _unanswered(answer):
        return _report(exercise, NOT_ATTEMPTED, QUESTIONS[exercise])
    result = _as_array(answer)
    if result is None:
        return _report(exercise, HINT, f"expected a 2x2 array or nested list of numbers, got "
                                       f"{_describe(answer)}.")
    expected = pooling.max_pool2d(POOL_GRID, 2)
    if result.shape == expected.shape and np.array_equal(result, expected):
        return _report(exercise, CORRECT, "each output is the maximum of one 2x2 window.")
    hint = _pooling_hint(result, POOL_GRID) if result.ndim == 2 else "expected a 2x2 array."
    if hint is None:
        wrong = np.argwhere(result != expected)
        hint = (f"wrong values: {len(wrong)} of 4, the first in row {wrong[0][0]}, column "
                f"{wrong[0][1]}. Which four grid values does that window cover?")
    return _report(exercise, HINT, hint)


class _TookTooLong(Exception):
    """A learner's function ran past the time limit; the message says what happened to it."""


class _OutOfTime(BaseException):
    """Raised inside a learner's function at the time limit.

    A BaseException, like KeyboardInterrupt, so that the learner's own ``except Exception``
    does not swallow it.
    """


def _alarm_usable():
    """Whether SIGALRM can interrupt a call: Unix, the main thread, and no other timer running."""
    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0))


def _call_with_time_limit(function, argument, seconds):
    """Call a learner's function(argument) for at most `seconds`; return (result, error).

    error is None, or what the call raised: SystemExit from ``sys.exit()`` too, and
    _TookTooLong past the limit. Where SIGALRM works (Unix, notebooks run cells in the main
    thread) the call is stopped at the limit; elsewhere it runs in a thread, which is left
    running, and the message says to restart the kernel.
    """
    if _alarm_usable():
        def interrupt(signal_number, frame):
            raise _OutOfTime

        previous = signal.signal(signal.SIGALRM, interrupt)
        try:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                return function(argument), None
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except _OutOfTime:
            return None, _TookTooLong(f"did not return within {seconds:g} s, so the check stopped "
                                      "it: look for a loop that never ends (a while loop whose "
                                      "condition stays true).")
        except (Exception, SystemExit) as error:
            return None, error
        finally:
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
    outcome = {}

    def call():
        try:
            outcome["result"] = function(argument)
        except BaseException as error:  # handed to the check; a thread must not print a traceback
            outcome["error"] = error

    worker = threading.Thread(target=call, daemon=True, name="cnnlab-check")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        return None, _TookTooLong(f"did not return within {seconds:g} s and is still running: look "
                                  "for a loop that never ends, then restart the kernel (Kernel > "
                                  "Restart Kernel) to stop it.")
    return outcome.get("result"), outcome.get("error")


def _not_a_function(exercise, function):
    """The verdict for a placeholder or an answer that is not a function; None for a function."""
    if _unanswered(function):
        return _report(exercise, NOT_ATTEMPTED, QUESTIONS[exercise])
    if not callable(function):
        return _report(exercise, HINT, f"pass the function itself, not {type(function).__name__}.")
    return None


def _error_hint(error, where, instead):
    """The hint for what a learner's function raised (``where`` starts it), or None if nothing."""
    if isinstance(error, _TookTooLong):
        return f"{where}your function {error}"
    if isinstance(error, SystemExit):
        return f"{where}your function called sys.exit() or exit(): return {instead} instead."
    if error is not None:
        return f"{where}your function raised {type(error).__name__}: {_one_line(_text(error), 120)}"
    return None


def max_pool(function):
    """Check a learner's my_max_pool(image): 2x2 max pooling, stride 2, of an (H, W) array."""
    exercise = "max_pool"
    verdict = _not_a_function(exercise, function)
    if verdict is not None:
        return verdict
    rng = np.random.default_rng(0)
    cases = [("the 4x4 grid", POOL_GRID),
             ("a 5x7 image (odd sizes round down)", rng.integers(0, 100, (5, 7))),
             ("a 6x4 image of negative numbers", rng.integers(-100, -1, (6, 4)))]
    for description, image in cases:
        returned, error = _call_with_time_limit(function, image.copy(), FUNCTION_TIME_LIMIT)
        hint = _error_hint(error, f"on {description} ", "the pooled array")
        if hint:  # a learner's bug, reported as a hint instead of a traceback
            return _report(exercise, HINT, hint)
        if _unanswered(returned):
            return _report(exercise, NOT_ATTEMPTED, "my_max_pool returns None: write its body and "
                                                    "return the pooled array.")
        result = _as_array(returned)
        if result is None:
            return _report(exercise, HINT, f"on {description} it returned {_describe(returned)}, "
                                           "not an array of numbers.")
        expected = pooling.max_pool2d(image, 2)
        if result.shape == expected.shape and np.array_equal(result, expected):
            continue
        if result.shape == expected.shape[::-1] != expected.shape:
            return _report(exercise, HINT, f"on {description} the output's height and width are "
                                           "swapped: loop over rows for the height.")
        if result.shape != expected.shape and result.shape == (-(-image.shape[0] // 2),
                                                               -(-image.shape[1] // 2)):
            return _report(exercise, HINT, f"on {description} it keeps the last, incomplete window: "
                                           "pooling drops a leftover row or column.")
        if image.max() < 0 and np.all(result == 0):
            return _report(exercise, HINT, "on negative numbers it returns 0s: start each maximum from "
                                           "the window's own values, not from 0.")
        cropped = image[:expected.shape[0] * 2, :expected.shape[1] * 2]
        hint = _pooling_hint(result, cropped) if result.ndim == 2 else None
        return _report(exercise, HINT, f"on {description}: {hint or 'some values differ from the maxima.'}")
    return _report(exercise, CORRECT, "it matches pooling.max_pool2d on square, odd-sized and negative "
                                      "inputs.")


def pooled_size(answer):
    """Check (valid, same) output sizes of 3x3 max pooling with stride 2 on a 26x26 map."""
    exercise, size, pool_size, stride = "pooled_size", 26, 3, 2
    if _unanswered(answer):
        return _report(exercise, NOT_ATTEMPTED, QUESTIONS[exercise])
    sizes = _as_numbers(answer, 2)
    if sizes is None:
        return _report(exercise, HINT, _not_a_sequence(answer, "a pair (valid size, same size)"))
    valid, same = (conv.output_size(size, pool_size, padding, stride) for padding in ("valid", "same"))
    if sizes == (valid, same):
        return _report(exercise, CORRECT, "valid gives floor((n - k) / s) + 1 and same ceil(n / s).")
    if sizes == (same, valid):
        return _report(exercise, HINT, "the two are swapped: same padding never gives the smaller one.")
    problems = []
    if sizes[0] != valid:
        problems.append({size / stride: "valid: n / s ignores the 3-wide window, which must fit",
                         (size - pool_size) / stride + 1: "valid: round down",
                         conv.output_size(size, pool_size): "valid: that is stride 1"}.get(
            sizes[0], "valid: use floor((n - k) / s) + 1"))
    if sizes[1] != same:
        problems.append("same: the output is ceil(n / s), whatever the window size")
    return _report(exercise, HINT, "; ".join(problems) + ".")


def global_pool_size(answer):
    """Check how many values GlobalMaxPooling2D outputs for a (5, 5, 64) feature map."""
    side, channels = 5, 64
    return _check_number("global_pool_size", answer, channels,
                         "global pooling keeps one value per channel, the maximum over the whole map.", [
                             (1, "global pooling keeps one value per channel, not one in total."),
                             (side * side, "global pooling keeps one value per channel, not per position."),
                             (side * side * channels, "that is Flatten, which keeps every value."),
                             (conv.output_size(side, 2, "valid", 2) ** 2 * channels,
                              "that is MaxPooling2D(2); global pooling pools the whole map at once."),
                         ], "a global pooling window covers a channel's whole map.")


# ---------------------------------------------------------------- 04_mnist_cnn

def _conv_pool_side(side, stages):
    """Side after `stages` of 3x3 valid convolution and 2x2 max pooling."""
    for _ in range(stages):
        side = conv.output_size(conv.output_size(side, 3), 2, "valid", 2)
    return side


def lenet_dense_input(answer):
    """Check the input size of lenet_cnn's first Dense layer (after two conv/pool stages, 16 filters)."""
    side = _conv_pool_side(MNIST_SIDE, 2)
    after_first = _conv_pool_side(MNIST_SIDE, 1)
    return _check_number("lenet_dense_input", answer, side * side * 16,
                         "the side goes 28 -> 26 -> 13 -> 11 -> 5, and flatten keeps all 16 channels.", [
                             (conv.output_size(MNIST_SIDE, 3) ** 2, "26x26x1 is the seed material's "
                                                                     "mistake: there are two conv/pool "
                                                                     "stages and 16 channels after them."),
                             (after_first ** 2 * 16, "that is after one conv/pool stage: there are two."),
                             (conv.output_size(after_first, 3) ** 2 * 16, "you forgot the second pooling."),
                             (side * side, "you forgot the channels: flatten keeps all 16 feature maps."),
                             (side * side * 6, "the second convolution has 16 filters, not 6."),
                             (MNIST_SIDE ** 2, "that is the raw image: the convolutions and poolings "
                                               "shrink it first."),
                         ], "follow the size through conv (valid), pool, conv, pool, then multiply "
                            "height x width x channels.")


def lenet_params(answer):
    """Check the total parameter count of models.lenet_cnn() (conv 6 and 16, dense 128, output 10)."""
    flat = _conv_pool_side(MNIST_SIDE, 2) ** 2 * 16
    layers = [params.conv2d_params(3, 1, 6), params.conv2d_params(3, 6, 16),
              params.dense_params(flat, 128), params.dense_params(128, 10)]
    no_bias = [params.conv2d_params(3, 1, 6, False), params.conv2d_params(3, 6, 16, False),
               params.dense_params(flat, 128, False), params.dense_params(128, 10, False)]
    seed_flat = conv.output_size(MNIST_SIDE, 3) ** 2
    return _check_number("lenet_params", answer, sum(layers),
                         "the layers have 60 + 880 + 51,328 + 1,290; dropout, pooling and flatten "
                         "have none.", [
                             (sum(no_bias), "you forgot the biases (one per filter or unit)."),
                             (sum(layers) - layers[2] + params.dense_params(seed_flat, 128),
                              "dense1's input is not 26x26x1 (the seed's mistake): follow the size "
                              "through both conv/pool stages."),
                             (layers[2], "that is dense1 alone: add the other layers."),
                             (layers[0] + layers[1], "those are the convolutions alone: add the dense "
                                                     "layers."),
                             (sum(layers[:3]), "you left out the output layer."),
                         ], "add up conv1, conv2, dense1 and output: (k*k*C_in + 1)*F for convolutions, "
                            "inputs*units + units for dense layers.")


def batchnorm_conv_params(answer):
    """Check the parameter count of block2_conv in models.mnist_model(width=48): 3x3, 48 -> 96 channels, no bias."""
    width = 48
    expected = params.conv2d_params(3, width, 2 * width, use_bias=False)
    return _check_number("batchnorm_conv_params", answer, expected,
                         "a 3x3x48 kernel per filter, 96 filters, and no bias: batch normalisation's "
                         "shift replaces it.", [
                             (params.conv2d_params(3, width, 2 * width), "this layer has use_bias=False: "
                                                                         "batch normalisation right after "
                                                                         "adds the shift."),
                             (params.conv2d_params(3, 1, 2 * width, use_bias=False),
                              "each filter spans all the input channels of block1's output."),
                             (params.conv2d_params(3, MNIST_WIDTH, 2 * MNIST_WIDTH, use_bias=False),
                              f"that is the default width {MNIST_WIDTH}: the question asks for width "
                              f"{width}."),
                             (4 * 2 * width, "that is block2_bn (4 numbers per channel), not the "
                                             "convolution."),
                             (params.conv2d_params(3, 2 * width, 4 * width, use_bias=False),
                              "that is block3_conv."),
                         ], "block2 turns w channels into 2w; count kernel height x width x input "
                            "channels x filters, and check use_bias.")


def validation_size(answer):
    """Check how many MNIST training images remain for fitting with a validation fraction of 0.2."""
    fraction = 0.2
    held_out = int(round(MNIST_TRAIN_IMAGES * fraction))  # as training.split_validation rounds
    return _check_number("validation_size", answer, MNIST_TRAIN_IMAGES - held_out,
                         "the validation images come out of the 60,000 training images.", [
                             (held_out, "that is the validation set: the question asks for the rest."),
                             (MNIST_TRAIN_IMAGES - round(MNIST_TRAIN_IMAGES * 0.1),
                              "that is the 0.1 split the notebook uses: the question is about 0.2."),
                             (MNIST_TRAIN_IMAGES - held_out - 10_000, "the test set is separate: it is "
                                                                      "not part of the 60,000."),
                         ], "hold out fraction x 60,000 images; the model trains on the rest.")


def _loss_name(answer):
    """Return a loss given as a string or a Keras loss object/class as a lower-case name without _."""
    if isinstance(answer, str):
        name = answer
    else:  # a Keras Loss object has .name; a loss class or function has __name__
        candidates = (_attribute(answer, "name"), _attribute(answer, "__name__"))
        name = next((value for value in candidates if isinstance(value, str)), type(answer).__name__)
    return name.lower().replace("_", "").replace(" ", "")


def _attribute(answer, name):
    """getattr(answer, name, None), also when a learner's property raises."""
    try:
        return getattr(answer, name, None)
    except Exception:  # a property that raises is as good as no attribute here
        return None


def onehot_loss(answer):
    """Check the loss for one-hot labels: categorical cross-entropy."""
    exercise = "onehot_loss"
    if _unanswered(answer):
        return _report(exercise, NOT_ATTEMPTED, QUESTIONS[exercise])
    name = _loss_name(answer)
    if name == "categoricalcrossentropy":
        return _report(exercise, CORRECT, "it compares the predicted probabilities with the one-hot "
                                          "vector.")
    hints = {"sparsecategoricalcrossentropy": "the sparse version expects integer labels such as "
                                              "5, not one-hot vectors.",
             "binarycrossentropy": "binary cross-entropy treats each output as its own yes/no "
                                   "question; these ten classes exclude each other.",
             "meansquarederror": "squared error learns slowly with softmax outputs; use a "
                                 "cross-entropy.",
             "mse": "squared error learns slowly with softmax outputs; use a cross-entropy."}
    return _report(exercise, HINT, hints.get(name, f"{_describe(answer)} is not the loss for one-hot labels: "
                                                   "look at the labels cell of this notebook."))


# ---------------------------------------------------------------- 05_cifar10

def overfitting_fix(answer):
    """Check the choice among OVERFITTING_OPTIONS for 99% training but 70% validation accuracy."""
    hints = {"a": "more epochs let the model memorise the training images even better.",
             "c": "a wider layer adds parameters, which makes memorising easier.",
             "d": "dropout fights overfitting; removing it makes things worse."}
    return _check_letter("overfitting_fix", answer, OVERFITTING_OPTIONS, "b",
                         "augmentation shows a slightly different image every epoch, so pixels "
                         "cannot be memorised.", hints)


def _check_letter(exercise, answer, options, right, why, hints):
    """Grade a multiple-choice answer: the letter ``right`` of ``options``, or the hint for another."""
    if _unanswered(answer):
        return _report(exercise, NOT_ATTEMPTED, QUESTIONS[exercise])
    choice = _text(answer).strip().lower().rstrip(")")
    if choice == right:
        return _report(exercise, CORRECT, why)
    letters = ", ".join(options)
    return _report(exercise, HINT, hints.get(choice, f"answer with one letter ({letters}), got "
                                                     f"{_describe(answer)}."))


def _text(answer):
    """str(answer), or "" where a learner's object cannot be turned into text."""
    try:
        return str(answer)
    except Exception:  # a broken __str__, or an int past Python's digit limit
        return ""


def seed_dense_params(answer):
    """Check dense1's parameters in seed_cifar10_cnn on LARGER_SIDE photos: three same conv + pool stages."""
    side, valid_side = LARGER_SIDE, LARGER_SIDE
    for _ in range(3):  # 2x2 convolutions, then 2x2 pooling
        side = conv.output_size(conv.output_size(side, 2, "same"), 2, "valid", 2)
        valid_side = conv.output_size(conv.output_size(valid_side, 2), 2, "valid", 2)
    flat = side * side * 64
    return _check_number("seed_dense_params", answer, params.dense_params(flat, 500),
                         "the convolutions keep their weights, but dense1 sees a map four times "
                         "larger: its weights grow with the image.", [
                             (params.dense_params(flat // 4, 500), "that is for the 32x32 photos: the "
                                                                   "maps before flatten grow with the "
                                                                   "image."),
                             (params.dense_params(flat, 500, use_bias=False), "you forgot the 500 biases."),
                             (params.dense_params(valid_side ** 2 * 64, 500),
                              "that is with valid padding: these convolutions use same padding."),
                             (params.dense_params(4 * flat, 500), "there are three poolings, not two."),
                             (params.dense_params(LARGER_SIDE ** 2 * 3, 500),
                              "that is a dense layer on the raw image: count after the three stages."),
                             (params.dense_params(flat // 2, 500), "the last convolution has 64 "
                                                                   "filters."),
                         ], "flatten size after three conv/pool stages, times 500, plus 500.")


def batch_megabytes(answer):
    """Check the size in MB (10**6 bytes) of one batch of BATCH_IMAGES CIFAR-10 images in float32."""
    values = BATCH_IMAGES * CIFAR_SIDE * CIFAR_SIDE * 3
    expected = values * 4 / MEGABYTE
    return _check_number("batch_megabytes", answer, expected,
                         "128 x 32 x 32 x 3 values, 4 bytes each: scaling inside the model costs "
                         "almost nothing.", [
                             (values / MEGABYTE, "that is uint8 (1 byte per value): float32 takes 4."),
                             (values * 8 / MEGABYTE, "that is float64 (8 bytes per value): Keras "
                                                     "computes in float32."),
                             (values * 4 / MEGABYTE / 3, "you forgot the 3 colour channels."),
                             (values * 4 / 2 ** 20, "that is in MiB (2**20 bytes): the notebook uses "
                                                    "MB = 1,000,000 bytes."),
                             (values * 4, "that is in bytes: divide by 1,000,000."),
                             (CIFAR_TRAIN_IMAGES * CIFAR_SIDE * CIFAR_SIDE * 3 * 4 / MEGABYTE,
                              "that is the whole training set: the model scales one batch at a time."),
                         ], "images x height x width x channels x bytes per value, over 1,000,000.",
                         tolerance=0.005 * expected)


def smoothed_target(answer):
    """Check the target probability Keras gives the true class with label_smoothing=0.1 and 10 classes."""
    smoothing, num_classes = 0.1, 10
    expected = 1 - smoothing + smoothing / num_classes  # keras: y * (1 - e) + e / K
    return _check_number("smoothed_target", answer, expected,
                         "Keras takes 0.1 away from the true class and spreads it over all 10 "
                         "classes, the true one included.", [
                             (1 - smoothing, "Keras spreads the removed 0.1 over ALL classes, the true "
                                             "one included, so the true class gets a share back."),
                             (smoothing / num_classes, "that is each wrong class's target."),
                             (smoothing, "that is the amount taken away, not the target."),
                             (1, "that is the target without smoothing."),
                         ], "target = y * (1 - smoothing) + smoothing / num_classes.", tolerance=1e-3)


def width_doubling_factor(answer):
    """Check how many times more weights block2_conv2 has when every width doubles."""
    narrow = params.conv2d_params(3, 128, 128, use_bias=False)  # block2_conv2: 128 -> 128 channels
    wide = params.conv2d_params(3, 256, 256, use_bias=False)
    return _check_number("width_doubling_factor", answer, wide / narrow,
                         "both the input channels and the filters double, so the weights grow by the "
                         "square of two.", [
                             (2, "the filters double, but so do the input channels of each filter."),
                             (8, "only two things double: input channels and filters, not the kernel."),
                         ], "weights = k * k * C_in * F: see which factors change.", tolerance=0.01)


def most_confused_pair(answer, matrix, class_names=data.CIFAR10_CLASSES):
    """Check the pair of classes that ``matrix`` (rows true, columns predicted) mixes up most, both ways.

    ``matrix`` is the confusion matrix the learner reads; a tie for the most
    mistakes accepts any of the tied pairs.
    """
    exercise = "most_confused_pair"
    if _unanswered(answer):
        return _report(exercise, NOT_ATTEMPTED, QUESTIONS[exercise])
    names = [name for name in _as_items(class_names) or [] if isinstance(name, str)]
    if len(names) < 2 or len(set(names)) != len(names):
        names = list(data.CIFAR10_CLASSES)  # class_names is not a list of names: the notebook's ones
    array = _as_array(matrix)
    if array is None or array.shape != (len(names), len(names)):
        got = f"shape {array.shape}" if array is not None else _describe(matrix)
        return _report(exercise, HINT, f"pass the confusion matrix as the second argument, shape "
                                       f"({len(names)}, {len(names)}); got {got}.")
    matrix = array
    if isinstance(answer, str) or not isinstance(answer, collections.abc.Sequence) or len(answer) != 2:
        return _report(exercise, HINT, f"expected two class names, such as ({names[0]!r}, {names[1]!r}); "
                                       f"got {_describe(answer)}.")
    unknown = [name for name in answer if not isinstance(name, str) or name not in names]
    if unknown:
        return _report(exercise, HINT, f"{_describe(unknown[0])} is not a class name; they are "
                                       f"{', '.join(names)}.")
    first, second = (names.index(name) for name in answer)
    if first == second:
        return _report(exercise, HINT, "that is one class twice: the diagonal counts correct answers, "
                                       "mistakes lie off it.")
    mixed = matrix + matrix.T  # a pair's mistakes in both directions
    np.fill_diagonal(mixed, 0)
    if mixed[first, second] == mixed.max():
        return _report(exercise, CORRECT, f"{answer[0]} and {answer[1]} are mixed up {mixed[first, second]} "
                                          f"times in all, counting both directions.", depends_on_run=True)
    one_way = matrix[first, second], matrix[second, first]
    return _report(exercise, HINT, f"{answer[0]} and {answer[1]} are mixed up {sum(one_way)} times in all; "
                                   f"another pair is mixed up more. Add both cells of a pair (row a, column b "
                                   f"and row b, column a) and compare.", depends_on_run=True)


# ---------------------------------------------------------------- 06_what_cnns_learn

def feature_map_shape(answer):
    """Check the shape of block2_relu's output in the MNIST model built for LARGER_SIDE x LARGER_SIDE images."""
    exercise = "feature_map_shape"
    if _unanswered(answer):
        return _report(exercise, NOT_ATTEMPTED, QUESTIONS[exercise])
    if _has_batch_axis(answer):
        return _report(exercise, HINT, "leave out the batch axis: give (height, width, channels).")
    shape = _as_numbers(answer, 3)
    if shape is None:
        return _report(exercise, HINT, _not_a_sequence(answer, "a tuple (height, width, channels)"))

    def block2_side(side, padding, pooled=True):
        """Height of block2_relu's maps: conv, pool in block 1; conv, pool in block 2 (then BN, ReLU)."""
        after_block1 = conv.output_size(conv.output_size(side, 3, padding), 2, "valid", 2)
        block2_conv = conv.output_size(after_block1, 3, padding)
        return conv.output_size(block2_conv, 2, "valid", 2) if pooled else block2_conv

    side, channels = block2_side(LARGER_SIDE, "same"), 2 * MNIST_WIDTH
    if shape == (side, side, channels):
        return _report(exercise, CORRECT, "each block's pooling halves the image (64 -> 32 -> 16) and its "
                                          "same-padded convolution keeps the size; block 2 has 64 channels.")
    sides = {LARGER_SIDE: "both poolings come before block2_relu: each halves the height and width",
             block2_side(LARGER_SIDE, "same", pooled=False): "that is block2_conv's output; block2_pool "
                                                             "halves it before block2_bn and block2_relu",
             block2_side(LARGER_SIDE, "valid"): "that is with valid padding: these convolutions use "
                                                "same padding",
             block2_side(MNIST_SIDE, "same"): "that is for the 28x28 digits: the question is about "
                                              "64x64 images"}
    problems = []
    if shape[:2] != (side, side):
        problems.append(f"height and width: {sides.get(shape[0], 'follow the image through block1')}")
    if shape[2] != channels:
        reason = ("that is block1's width" if shape[2] == MNIST_WIDTH else
                  "that is block3's width" if shape[2] == 4 * MNIST_WIDTH else "check them")
        problems.append(f"channels: {reason}; block2 has one channel per filter of block2_conv")
    return _report(exercise, HINT, "; ".join(problems) + ".")


def first_layer_weights(answer):
    """Check the number of weights in the CIFAR-10 model's block1_conv1 (3x3 on the 24 whitened channels)."""
    channels, width = CIFAR_WHITENING_CHANNELS, CIFAR_BLOCK1_WIDTH
    expected = params.conv2d_params(3, channels, width, use_bias=False)
    return _check_number("first_layer_weights", answer, expected,
                         "each of the 64 filters is a 3x3 kernel on all 24 channels of the whitening "
                         "layer, and batch normalisation makes a bias unnecessary.", [
                             (params.conv2d_params(3, channels, width), "this layer has no bias "
                                                                        "(use_bias=False): block1_bn1 "
                                                                        "adds the shift."),
                             (params.conv2d_params(3, 3, width, use_bias=False),
                              "block1_conv1 does not see the 3 colours: it sees the whitening layer's "
                              "output."),
                             (params.conv2d_params(3, channels, 1, use_bias=False), "that is one filter: "
                                                                                     "count all of them."),
                             (4 * width, "that is a batch-norm layer (4 numbers per channel)."),
                         ], "kernel height x width x input channels x filters; print "
                            "cifar_model.get_layer('block1_conv1').kernel.shape.")


def _receptive_field(layers):
    """Receptive field width after a chain of (name, size, stride) layers."""
    field = conv.ReceptiveField()
    for _, window, stride in layers:
        field = conv.grow_receptive_field(field, window, stride)
    return field.size


def receptive_field_size(answer):
    """Check the receptive field width (pixels) of one position of the CIFAR-10 model's block3_conv2."""
    expected = _receptive_field(CIFAR_LAYERS)
    no_jump = 1 + sum(window - 1 for _, window, _ in CIFAR_LAYERS)
    return _check_number("receptive_field_size", answer, expected,
                         "each layer adds (size - 1) x the step between neighbouring positions, and "
                         "every pooling doubles that step.", [
                             (no_jump, "each pooling doubles the step between neighbouring positions: "
                                       "later 3x3 kernels add 2 x step pixels, not 2."),
                             (_receptive_field(CIFAR_LAYERS[:-1]), "that is block3_pool: "
                                                                   "block3_conv2 adds one more 3x3 kernel."),
                             (_receptive_field(CIFAR_LAYERS[1:]), "the whitening layer counts too: its "
                                                                  "2x2 window widens the field by 1."),
                             (CIFAR_SIDE, "a receptive field can be larger than the photo (the part "
                                          "outside lies in the padding): work it out layer by layer."),
                         ], "start at 1 pixel and step 1; each layer adds (size - 1) x step, and a "
                            "stride multiplies the step.")


# ---------------------------------------------------------------- the safety net

def _never_raises(check):
    """Wrap a check so that a bug in the check itself, or a call with the wrong arguments, still
    prints a hint, never a traceback.

    NumPy's overflow and invalid-value warnings are silenced as well: an answer such as
    1e308 gets a verdict, not a RuntimeWarning.
    """
    signature = inspect.signature(check)
    required = [name for name, parameter in signature.parameters.items()
                if parameter.default is parameter.empty]
    usage = f"check.{check.__name__}({', '.join(required)})"

    @functools.wraps(check)
    def guarded(*args, **kwargs):  # whatever the call, the check's own signature decides
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:  # missing, extra or misnamed arguments
            return _report(check.__name__, HINT, f"call it as {usage}: {error}.")
        answer = next(iter(bound.arguments.values()))
        try:
            with np.errstate(all="ignore"):
                return check(*bound.args, **bound.kwargs)
        except Exception as error:  # the promise to learners: a hint, whatever the answer
            return _report(check.__name__, HINT, f"{UNCHECKABLE} {_describe(answer)} "
                                                 f"({type(error).__name__}): give "
                                                 f"{QUESTIONS[check.__name__]}")
    return guarded


for _exercise in QUESTIONS:  # every check, so that a check added later is covered too
    globals()[_exercise] = _never_raises(globals()[_exercise])


# ---------------------------------------------------------------- 07_residual_and_transfer
# Kept at the end: its checks are registered and wrapped here, after the loop above.

RESIDUAL_SHAPE = (16, 16, 16)  # (H, W, C) of the feature maps the learner's block is called on
RESIDUAL_PARAMS = 2 * (3 * 3 * 16 * 16 + 16)  # two 3x3 convolutions of 16 filters, with biases
PROJECTION_CHANNELS = (64, 128)  # a 1x1 shortcut convolution from 64 to 128 channels
HEAD_FEATURES, HEAD_CLASSES = 128, 5  # the pre-trained network's global_pool output; a 5-class task
NOTEBOOK_HEAD_CLASSES = 2  # the notebook's head (cat vs dog), whose count it prints
BATCHNORM_OPTIONS = {"a": "the batch's own mean and variance, updating the moving averages",
                     "b": "the moving mean and variance stored during pre-training, unchanged",
                     "c": "the batch's own mean and variance, leaving the moving averages unchanged"}
QUESTIONS.update({
    "residual_block": "your function residual_block(x): two 3x3 convolutions, then x added back.",
    "projection_shortcut_params": "the parameter count of a 1x1 shortcut convolution from 64 to "
                                  "128 channels.",
    "frozen_head_params": "the trainable parameter count of the frozen network with a new head for "
                          "5 classes.",
    "frozen_batchnorm": "the letter of what a frozen BatchNormalization layer normalises with.",
})
NOTEBOOK_EXERCISES["07_residual_and_transfer"] = (
    "residual_block", "projection_shortcut_params", "frozen_head_params", "frozen_batchnorm")


def _call_block(exercise, function, inputs):
    """Call a learner's block function on a Keras input; return (output, None) or (None, hint Result)."""
    returned, error = _call_with_time_limit(function, inputs, FUNCTION_TIME_LIMIT)
    hint = _error_hint(error, "", "the block's output tensor")
    if hint:
        return None, _report(exercise, HINT, hint)
    if _unanswered(returned):
        return None, _report(exercise, NOT_ATTEMPTED, "residual_block returns None: write its body and "
                                                      "return the block's output.")
    return returned, None


def _passes_input_through(keras, block, convolutions):
    """True if the block, with its convolutions' weights set to zero, outputs x or ReLU(x)."""
    saved = [layer.get_weights() for layer in convolutions]
    try:
        for layer in convolutions:
            layer.set_weights([np.zeros_like(weight) for weight in layer.get_weights()])
        x = np.random.default_rng(0).normal(size=(2, *RESIDUAL_SHAPE)).astype(np.float32)
        output = np.asarray(keras.ops.convert_to_numpy(block(x)), dtype=np.float32)
    finally:
        for layer, weights in zip(convolutions, saved):
            layer.set_weights(weights)
    return any(np.allclose(output, target, atol=1e-2) for target in (x, np.maximum(x, 0)))


def residual_block(function):
    """Check a learner's residual_block(x): two 3x3 same convolutions of 16 filters, then x added back."""
    exercise = "residual_block"
    verdict = _not_a_function(exercise, function)
    if verdict is not None:
        return verdict
    from cnnlab.runtime import keras  # only here: importing cnnlab.check loads no Keras

    inputs = keras.Input(shape=RESIDUAL_SHAPE)
    returned, verdict = _call_block(exercise, function, inputs)
    if verdict is not None:
        return verdict
    try:
        block = keras.Model(inputs, returned)
    except Exception:  # a number, an array, a layer instead of its output
        return _report(exercise, HINT, f"it returned {_describe(returned)}: return the output of the "
                                       "last layer you called, a tensor such as layer(y).")
    found = [layer for layer in block.layers if not isinstance(layer, keras.layers.InputLayer)]
    convolutions = [layer for layer in found if isinstance(layer, keras.layers.Conv2D)]
    if not any(isinstance(layer, keras.layers.Add) for layer in found):
        return _report(exercise, HINT, "there is no Add layer: without adding x back it is a plain "
                                       "stack, not a residual block.")
    if len(convolutions) != 2 or any(tuple(layer.kernel_size) != (3, 3) for layer in convolutions):
        sizes = [tuple(layer.kernel_size) for layer in convolutions]
        return _report(exercise, HINT, f"found {len(convolutions)} Conv2D layer(s) with kernels "
                                       f"{sizes}: the block has two, each 3x3.")
    shape = tuple(block.output.shape[1:])
    if shape != RESIDUAL_SHAPE:
        return _report(exercise, HINT, f"its output has shape {shape}, not the input's "
                                       f"{RESIDUAL_SHAPE}: padding='same' and as many filters as "
                                       "x has channels keep the shapes equal.")
    if block.count_params() != RESIDUAL_PARAMS:
        return _report(exercise, HINT, f"it has {block.count_params():,} parameters: two 3x3 "
                                       "convolutions of 16 filters with biases (Keras's default), "
                                       "and no other layer with weights.")
    if not _passes_input_through(keras, block, convolutions):
        return _report(exercise, HINT, "the Add layer must add x itself (the shortcut) to the second "
                                       "convolution's output.")
    return _report(exercise, CORRECT, "two 3x3 convolutions and an identity shortcut: with zero "
                                      "weights the block passes x straight through.")


def projection_shortcut_params(answer):
    """Check the parameters of a 1x1 Conv2D (with bias) from 64 to 128 channels on a shortcut."""
    channels_in, channels_out = PROJECTION_CHANNELS
    expected = (1 * 1 * channels_in + 1) * channels_out
    return _check_number(
        "projection_shortcut_params", answer, expected,
        "each of the 128 filters has 1x1x64 weights and a bias.",
        [(channels_in * channels_out, "Keras's Conv2D has a bias per filter by default."),
         ((3 * 3 * channels_in + 1) * channels_out, "that is a 3x3 convolution: the shortcut's is 1x1."),
         ((channels_out + 1) * channels_out, "each filter sees the input's channels, not the output's."),
         (0, "an identity shortcut has no parameters, but this one must change the number of channels.")],
        "count one weight per input channel, for each filter, plus one bias per filter.")


def frozen_head_params(answer):
    """Check the trainable parameters of the frozen pre-trained network under a 5-class Dense head."""
    expected = (HEAD_FEATURES + 1) * HEAD_CLASSES
    return _check_number(
        "frozen_head_params", answer, expected,
        "only the new Dense layer trains: 128 weights and a bias for each of the 5 classes.",
        [(HEAD_FEATURES * HEAD_CLASSES, "the Dense layer has a bias per unit too."),
         (HEAD_FEATURES + 1, "the head has one unit per class."),
         ((HEAD_FEATURES + 1) * NOTEBOOK_HEAD_CLASSES, "that is the notebook's cat-vs-dog head: "
                                                       "this one has a unit for each of 5 classes."),
         ((HEAD_FEATURES + 1) * 8, "the old head (8 classes) is gone: the new one has 5 units.")],
        "a frozen layer's weights do not train: count only the new head's weights and biases.")


def frozen_batchnorm(answer):
    """Check the choice among BATCHNORM_OPTIONS for a frozen BatchNormalization layer."""
    hints = {"a": "that is training mode, which a frozen base called with training=False never uses.",
             "c": "the base runs in inference mode: no batch statistics at all."}
    return _check_letter("frozen_batchnorm", answer, BATCHNORM_OPTIONS, "b",
                         "in inference mode it uses its stored averages, so the features the head "
                         "learns from do not drift.", hints)


for _exercise in NOTEBOOK_EXERCISES["07_residual_and_transfer"]:
    globals()[_exercise] = _never_raises(globals()[_exercise])


# ---------------------------------------------------------------- Keras models in 04, 05 and 06
# The learner writes a model; the checks read its layers, shapes and weights (and, for
# small_digit_model, train a fresh copy briefly). Registered and wrapped here, like 07's.

MNIST_INPUT, CIFAR_INPUT, CLASSES = (MNIST_SIDE, MNIST_SIDE, 1), (CIFAR_SIDE, CIFAR_SIDE, 3), 10
FIRST_BLOCK_SHAPE = (14, 14, 32)  # same padding keeps 28, pooling halves it
SMALL_MODEL_PARAMS = 50_000  # small_digit_model: fewer parameters than this
# One epoch of Adam (Keras's default learning rate), batch 128, on the first digits of the training
# set, scored on digits held out from its end (never the test set). The worked solution reaches 0.968
# on two initialisations, the plain CNN 0.94: within one epoch, batch normalisation makes the difference.
SMALL_TRAIN_DIGITS, SMALL_HELD_OUT_DIGITS, SMALL_BATCH, SMALL_EPOCHS = 10_000, 2_000, 128, 1
SMALL_ACCURACY = 0.96
SMALL_INITIALISATION = 0  # the fresh weights of the copy the check trains: the same on every run
TRAINING_TIME_LIMIT = 60  # seconds: the worked solution trains in about 6 s on 2 busy cores
MAX_SHIFT_FACTOR = 2 / CIFAR_SIDE  # RandomTranslation: at most 2 pixels of 32
FACTOR_TOLERANCE = 1e-3
BLOCK_LAYER, BLOCK_DIGITS, BLOCK_TOLERANCE = "block2_relu", 4, 1e-5
QUESTIONS.update({
    "batch_norm_cnn": "a keras.Sequential model: the plain CNN with BatchNormalization after each "
                      "Conv2D.",
    "first_block_shape": "a keras.Sequential model whose first block outputs (14, 14, 32).",
    "small_digit_model": f"a keras.Sequential model under {SMALL_MODEL_PARAMS:,} parameters that "
                         f"reaches {SMALL_ACCURACY:.0%} after one epoch on "
                         f"{SMALL_TRAIN_DIGITS:,} digits.",
    "augmented_cnn": "a keras.Sequential model: the classic CNN with RandomFlip and RandomTranslation "
                     "in front.",
    "block_output_model": f"a keras.Model from mnist_model's input to the output of {BLOCK_LAYER}.",
})
NOTEBOOK_EXERCISES["04_mnist_cnn"] += ("batch_norm_cnn", "first_block_shape", "small_digit_model")
NOTEBOOK_EXERCISES["05_cifar10"] += ("augmented_cnn",)
NOTEBOOK_EXERCISES["06_what_cnns_learn"] += ("block_output_model",)
_SMALL_MODEL_ACCURACY = {}  # layers -> accuracy: the same layers, initialised alike, score alike


def _as_model(exercise, answer):
    """Return (model, None) for a Keras model, else (None, the verdict for what it is instead)."""
    if _unanswered(answer):
        return None, _report(exercise, NOT_ATTEMPTED, QUESTIONS[exercise])
    from cnnlab.runtime import keras  # only here: importing cnnlab.check loads no Keras

    if isinstance(answer, keras.Model):
        return answer, None
    if isinstance(answer, keras.layers.Layer):
        return None, _report(exercise, HINT, f"that is one layer ({type(answer).__name__}): put "
                                             "all the layers in order in keras.Sequential([...]).")
    if isinstance(answer, (list, tuple)) and answer and all(
            isinstance(item, keras.layers.Layer) for item in answer):
        return None, _report(exercise, HINT, "that is a list of layers: pass it to "
                                             "keras.Sequential(...) and give the model.")
    if callable(answer):
        name = _attribute(answer, "__name__")
        return None, _report(exercise, HINT, f"that is {name if isinstance(name, str) else 'a function'}, "
                                             "a function or class: give the model it builds.")
    return None, _report(exercise, HINT, f"expected a Keras model, got {_describe(answer)}.")


def _error_text(error):
    """'Type: message' on one line; of a Keras layer's error, only its own message, in plain text."""
    text = _text(error)
    bold = re.search(r"\x1b\[1m(.*?)\x1b\[0m", text, re.DOTALL)  # Keras prints the cause in bold
    text = bold.group(1) if bold else re.sub(r"\x1b\[[0-9;]*m", "", text)
    return f"{type(error).__name__}: {_one_line(text, 120)}"


def _flat_layers(model):
    """The model's layers in order, without Input layers, with nested models opened up."""
    from cnnlab.runtime import keras

    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += _flat_layers(layer)
        elif not isinstance(layer, keras.layers.InputLayer):
            found.append(layer)
    return found


def _shape_problem(model, input_shape):
    """Why model's input or output shape is not input_shape -> (None, 10), or None if both are right."""
    try:
        inputs, outputs = tuple(model.input_shape[1:]), tuple(model.output_shape)
    except Exception:  # a Sequential model without keras.Input is not built yet
        return f"it has no input yet: start the layers with keras.Input(shape={input_shape})."
    if inputs != input_shape:
        return f"it takes inputs of shape {inputs}: the images are {input_shape}."
    if outputs != (None, CLASSES):
        return f"its output has shape {outputs}: it should give one probability per class, (None, 10)."
    return None


def _read_model(exercise, answer, input_shape):
    """(model, its layers, None) for a Keras model of input_shape -> (None, 10), else (None, None, verdict)."""
    model, verdict = _as_model(exercise, answer)
    problem = _shape_problem(model, input_shape) if verdict is None else None
    if problem:
        verdict = _report(exercise, HINT, problem)
    return (None, None, verdict) if verdict is not None else (model, _flat_layers(model), None)


def _describe_layer(layer):
    """A short name for a skeleton layer: Conv2D(32, 3), MaxPooling2D(2), Flatten, Dense(10)."""
    config = layer.get_config()
    settings = {"Conv2D": ("filters", "kernel_size"), "MaxPooling2D": ("pool_size",),
                "Dense": ("units",)}.get(type(layer).__name__, ())
    values = [config[key][0] if isinstance(config[key], (tuple, list)) else config[key]
              for key in settings]
    arguments = f"({', '.join(str(value) for value in values)})" if values else ""
    return type(layer).__name__ + arguments


def batch_norm_cnn(model):
    """Check the plain CNN of notebook 04 with a BatchNormalization layer right after each Conv2D."""
    exercise = "batch_norm_cnn"
    from cnnlab import models
    from cnnlab.runtime import keras

    model, layers, verdict = _read_model(exercise, model, MNIST_INPUT)
    if verdict is not None:
        return verdict
    skeleton_types = (keras.layers.Conv2D, keras.layers.MaxPooling2D, keras.layers.Flatten,
                      keras.layers.Dense)
    mine = [_describe_layer(layer) for layer in layers if isinstance(layer, skeleton_types)]
    plain = [_describe_layer(layer) for layer in models.plain_cnn().layers
             if isinstance(layer, skeleton_types)]
    for index, (found, expected) in enumerate(zip(mine, plain), start=1):
        if found != expected:
            return _report(exercise, HINT, f"keep the plain CNN's layers: its layer {index} "
                                           f"(counting convolutions, poolings, Flatten and Dense) is "
                                           f"{expected}, yours is {found}.")
    if len(mine) != len(plain):
        return _report(exercise, HINT, f"keep the plain CNN's layers: it has {len(plain)} "
                                       f"convolution, pooling, Flatten and Dense layers, yours "
                                       f"{len(mine)}.")
    convolutions = [index for index, layer in enumerate(layers)
                    if isinstance(layer, keras.layers.Conv2D)]
    for number, index in enumerate(convolutions, start=1):
        after = layers[index + 1] if index + 1 < len(layers) else None
        if not isinstance(after, keras.layers.BatchNormalization):
            name = type(after).__name__ if after is not None else "nothing"
            return _report(exercise, HINT, f"the layer after conv {number} is {name}, not "
                                           "BatchNormalization.")
        if layers[index].get_config().get("activation") != "linear":
            return _report(exercise, HINT, f"conv {number} still applies its activation before the "
                                           "batch norm: normalise the convolution's raw output, then "
                                           "apply the ReLU as a layer of its own.")
        relu = layers[index + 2] if index + 2 < len(layers) else None
        if not (isinstance(relu, keras.layers.ReLU) or (isinstance(relu, keras.layers.Activation)
                                                        and relu.get_config()["activation"] == "relu")):
            return _report(exercise, HINT, f"no ReLU after conv {number}'s batch norm: without it "
                                           "the two layers stay linear.")
    return _report(exercise, CORRECT, f"each convolution is normalised before its ReLU; "
                                      f"{model.count_params():,} parameters in all.")


def first_block_shape(model):
    """Check a variant of the plain CNN whose first MaxPooling2D outputs FIRST_BLOCK_SHAPE."""
    exercise = "first_block_shape"
    from cnnlab.runtime import keras

    model, layers, verdict = _read_model(exercise, model, MNIST_INPUT)
    if verdict is not None:
        return verdict
    pools = [index for index, layer in enumerate(layers) if isinstance(layer, keras.layers.MaxPooling2D)]
    if not pools:
        return _report(exercise, HINT, "it has no MaxPooling2D layer: the first block is a "
                                       "convolution and its pooling.")
    if not any(isinstance(layer, keras.layers.Conv2D) for layer in layers[:pools[0]]):
        return _report(exercise, HINT, "there is no convolution before the first pooling: the first "
                                       "block is a convolution and its pooling.")
    shape = tuple(layers[pools[0]].output.shape[1:])
    if shape == FIRST_BLOCK_SHAPE:
        return _report(exercise, CORRECT, "same padding keeps the 28x28 size through the convolution, "
                                          "and pooling halves it to 14x14.")
    side, channels = FIRST_BLOCK_SHAPE[0], FIRST_BLOCK_SHAPE[2]
    if shape[:2] == (side, side):
        return _report(exercise, HINT, f"its first block outputs {shape}: the size is right, keep "
                                       f"the plain CNN's {channels} filters.")
    plain_side = conv.output_size(conv.output_size(MNIST_SIDE, 3), 2, "valid", 2)
    why = ("that is the plain CNN's: a valid 3x3 convolution loses a pixel on each side before the "
           "pooling halves it" if shape[:2] == (plain_side, plain_side) else
           "follow the size through the convolution, then the pooling")
    return _report(exercise, HINT, f"its first block outputs {shape}, not {FIRST_BLOCK_SHAPE}: {why}.")


class _TrainingTooLong(Exception):
    """small_digit_model's training passed TRAINING_TIME_LIMIT."""


def _float32_layer(layer):
    """A fresh copy of ``layer`` computing in float32."""
    config = layer.get_config()
    config["dtype"] = "float32"
    return layer.__class__.from_config(config)


def _digit_accuracy(keras, model):
    """Train a fresh copy of model for one epoch on MNIST digits; return its held-out accuracy.

    Raises _TrainingTooLong past TRAINING_TIME_LIMIT (checked after each batch).
    """
    from cnnlab import models

    # A Sequential model's layer settings (names aside) define what it computes; other models
    # are always trained.
    key = (repr(model.input_shape), repr(models.layer_settings(model))
           ) if isinstance(model, keras.Sequential) else None
    if key in _SMALL_MODEL_ACCURACY:
        return _SMALL_MODEL_ACCURACY[key]
    (images, labels), _ = data.load_mnist()
    keras.utils.set_random_seed(SMALL_INITIALISATION)
    # New weights (the learner's own training does not count), in float32 whatever precision the
    # notebook set: the verdict must not depend on the machine's bfloat16 support.
    copy = keras.models.clone_model(model, clone_function=_float32_layer)
    copy.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                 metrics=["accuracy"])
    deadline = time.monotonic() + TRAINING_TIME_LIMIT

    class StopLate(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if time.monotonic() > deadline:
                self.model.stop_training = True
                self.late = True

    stop = StopLate()
    copy.fit(images[:SMALL_TRAIN_DIGITS], labels[:SMALL_TRAIN_DIGITS], batch_size=SMALL_BATCH,
             epochs=SMALL_EPOCHS, verbose=0, callbacks=[stop])
    if getattr(stop, "late", False):
        raise _TrainingTooLong
    held_out = slice(len(images) - SMALL_HELD_OUT_DIGITS, None)
    accuracy = float(copy.evaluate(images[held_out], labels[held_out], batch_size=500,
                                   verbose=0, return_dict=True)["accuracy"])
    if key is not None:
        _SMALL_MODEL_ACCURACY[key] = accuracy
    return accuracy


def small_digit_model(model):
    """Check a model under SMALL_MODEL_PARAMS parameters that reaches SMALL_ACCURACY in one short epoch.

    A copy with fresh weights trains for SMALL_EPOCHS epoch on the first SMALL_TRAIN_DIGITS
    MNIST training digits and is scored on the last SMALL_HELD_OUT_DIGITS; the same training in
    quick mode (it takes seconds).
    """
    exercise = "small_digit_model"
    from cnnlab.runtime import keras

    model, layers, verdict = _read_model(exercise, model, MNIST_INPUT)
    if verdict is not None:
        return verdict
    count = model.count_params()
    if count >= SMALL_MODEL_PARAMS:
        return _report(exercise, HINT, f"it has {count:,} parameters, not under "
                                       f"{SMALL_MODEL_PARAMS:,}: fewer filters or units, or pool "
                                       "before flattening, shrink it.")
    last = layers[-1] if layers else None
    if not (isinstance(last, keras.layers.Softmax) or _attribute(last, "get_config") and
            last.get_config().get("activation") == "softmax"):
        return _report(exercise, HINT, "its last layer does not give probabilities: the check "
                                       "trains with sparse categorical cross-entropy, which "
                                       "expects a softmax output.")
    if not data.is_available("mnist"):
        return _report(exercise, HINT, "not checked: the MNIST digits are not on this computer. Run "
                                       "the notebook's cell that loads them, then this check again.")
    try:
        accuracy = _digit_accuracy(keras, model)
    except _TrainingTooLong:
        return _report(exercise, HINT, f"one epoch took longer than {TRAINING_TIME_LIMIT} s, so the "
                                       "check stopped it: a model with fewer or smaller feature maps "
                                       "trains faster.")
    except Exception as error:  # a model that cannot be copied or trained
        return _report(exercise, HINT, f"the check could not train a copy of it: {_error_text(error)}")
    measured = (f"a fresh copy trained for one epoch on {SMALL_TRAIN_DIGITS:,} digits scores "
                f"{accuracy:.2%} on {SMALL_HELD_OUT_DIGITS:,} held-out digits")
    if accuracy >= SMALL_ACCURACY:
        return _report(exercise, CORRECT, f"{count:,} parameters, and {measured}.")
    norms = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    if any(layer.momentum > 0.9 for layer in norms):
        advice = ("its batch norm's moving averages (momentum 0.99 by default) barely move in "
                  f"{SMALL_TRAIN_DIGITS // SMALL_BATCH} steps, and evaluation uses them: lower "
                  "the momentum")
    elif not norms:
        advice = "a network learns much faster in its first steps when its layers are normalised"
    else:
        advice = "more filters in the convolutions help, within the parameter budget"
    return _report(exercise, HINT, f"{measured}, under {SMALL_ACCURACY:.0%}: {advice}.")


def augmented_cnn(model):
    """Check models.seed_cifar10_cnn() with RandomFlip("horizontal") and a RandomTranslation of at
    most MAX_SHIFT_FACTOR in front of its first convolution."""
    exercise = "augmented_cnn"
    from cnnlab import models
    from cnnlab.runtime import keras

    model, layers, verdict = _read_model(exercise, model, CIFAR_INPUT)
    if verdict is not None:
        return verdict
    augmentation = (keras.layers.RandomFlip, keras.layers.RandomTranslation)
    first_conv = next((index for index, layer in enumerate(layers)
                       if isinstance(layer, keras.layers.Conv2D)), len(layers))
    for kind in augmentation:
        found = [index for index, layer in enumerate(layers) if isinstance(layer, kind)]
        if not found:
            return _report(exercise, HINT, f"there is no {kind.__name__} layer.")
        if len(found) > 1:
            return _report(exercise, HINT, f"there are {len(found)} {kind.__name__} layers: one is "
                                           "enough.")
        if found[0] > first_conv:
            return _report(exercise, HINT, f"{kind.__name__} comes after the first convolution: put "
                                           "the augmentation in front, so the network sees the "
                                           "changed photo.")
    others = [type(layer).__name__ for layer in layers if type(layer).__name__.startswith("Random")
              and not isinstance(layer, augmentation)]
    if others:
        return _report(exercise, HINT, f"the task asks for a flip and a shift only: leave out "
                                       f"{', '.join(others)}.")
    flip = next(layer for layer in layers if isinstance(layer, keras.layers.RandomFlip))
    if flip.get_config()["mode"] != "horizontal":
        return _report(exercise, HINT, "flip left-right only: a ship or a horse upside down is not "
                                       "what CIFAR-10's photos show.")
    shift = next(layer for layer in layers if isinstance(layer, keras.layers.RandomTranslation))
    for direction in ("height", "width"):
        factor = shift.get_config()[f"{direction}_factor"]
        largest = max(abs(value) for value in (factor if isinstance(factor, (tuple, list)) else [factor]))
        if largest > MAX_SHIFT_FACTOR + FACTOR_TOLERANCE:
            return _report(exercise, HINT, f"its {direction}_factor {factor} moves the photo by up to "
                                           f"{largest * CIFAR_SIDE:.3g} pixels: a factor is a fraction "
                                           f"of the {CIFAR_SIDE}-pixel side, and the shift is at most "
                                           "2 pixels.")
        if largest == 0:
            return _report(exercise, HINT, f"{direction}_factor 0 does not move the photo.")
    rest = types.SimpleNamespace(name="your model without the augmentation",
                                 layers=[layer for layer in layers if not isinstance(layer, augmentation)])
    try:
        models.same_layers(rest, types.SimpleNamespace(name="the classic CNN",
                                                       layers=models.seed_cifar10_cnn().layers))
    except AssertionError as difference:
        return _report(exercise, HINT, f"keep the classic CNN's layers as they are: {difference}.")
    return _report(exercise, CORRECT, "each epoch now shows mirrored and shifted versions of the "
                                      "photos, to the same network.")


def _outputs(keras, model, images):
    """model's outputs on images as a float32 NumPy array."""
    with warnings.catch_warnings():  # Keras warns when a model built on [input] gets one array
        warnings.simplefilter("ignore")
        return np.asarray(keras.ops.convert_to_numpy(model(images, training=False)), dtype=np.float32)


def block_output_model(model, mnist_model):
    """Check a keras.Model from mnist_model's input to the output of its layer BLOCK_LAYER.

    ``mnist_model`` is the notebook's trained MNIST network; the outputs are compared on
    BLOCK_DIGITS random uint8 images.
    """
    exercise, network = "block_output_model", mnist_model
    model, verdict = _as_model(exercise, model)
    if verdict is not None:
        return verdict
    from cnnlab.runtime import keras

    layer_names = [layer.name for layer in network.layers] if isinstance(network, keras.Model) else []
    if BLOCK_LAYER not in layer_names:
        return _report(exercise, HINT, f"pass the notebook's mnist_model as the second argument: "
                                       f"check.block_output_model(block2_model, mnist_model).")
    reference = keras.Model(network.inputs, network.get_layer(BLOCK_LAYER).output)
    expected_shape = tuple(reference.output.shape[1:])
    try:
        shape = tuple(model.output_shape[1:])
    except Exception:  # a model with several outputs, or none yet
        return _report(exercise, HINT, "it has no output yet (a Sequential model starts with "
                                       "keras.Input), or several: give one, that of "
                                       f"{BLOCK_LAYER}.")
    matching = [layer.name for layer in network.layers
                if tuple(layer.output.shape[1:]) == shape]
    if shape != expected_shape:
        names = ", ".join(repr(name) for name in matching)
        which = (f"like mnist_model's layer {names}" if len(matching) == 1 else
                 f"like mnist_model's layers {names}" if matching else "like no layer of mnist_model")
        return _report(exercise, HINT, f"its output has shape {shape}, {which}: the question is "
                                       f"about {BLOCK_LAYER}.")
    images = np.random.default_rng(0).integers(0, 256, (BLOCK_DIGITS, *MNIST_INPUT), dtype=np.uint8)
    try:
        found = _outputs(keras, model, images)
    except Exception as error:
        return _report(exercise, HINT, f"calling it on digits raised {_error_text(error)}")
    if found.shape == (BLOCK_DIGITS, *expected_shape) and np.allclose(
            found, _outputs(keras, reference, images), atol=BLOCK_TOLERANCE, rtol=BLOCK_TOLERANCE):
        return _report(exercise, CORRECT, f"it shares mnist_model's trained layers and stops at "
                                          f"{BLOCK_LAYER}: its maps are the network's.")
    for name in matching:
        same_shape = keras.Model(network.inputs, network.get_layer(name).output)
        if found.shape == (BLOCK_DIGITS, *shape) and np.allclose(
                found, _outputs(keras, same_shape, images), atol=BLOCK_TOLERANCE, rtol=BLOCK_TOLERANCE):
            return _report(exercise, HINT, f"those are the outputs of {name}: the question is about "
                                           f"{BLOCK_LAYER}.")
    shared = {id(weight) for weight in network.weights}
    if not any(id(weight) in shared for weight in model.weights):
        return _report(exercise, HINT, "it has weights of its own, not mnist_model's trained ones: "
                                       "build it from mnist_model's own input and layers.")
    return _report(exercise, HINT, f"its outputs differ from those of mnist_model's {BLOCK_LAYER} "
                                   "on the same digits.")


for _exercise in ("batch_norm_cnn", "first_block_shape", "small_digit_model", "augmented_cnn",
                  "block_output_model"):
    globals()[_exercise] = _never_raises(globals()[_exercise])
