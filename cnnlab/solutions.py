"""Worked solutions to the notebooks' exercises (spoilers: try the exercises first).

``SOLUTIONS`` maps each exercise (a check name in ``cnnlab.check``) to the
variable its notebook cell passes to the check and the code that sets it. The
code replaces the placeholder in the exercise cell; it uses only NumPy (``np``)
besides plain Python, and for a figure-reading exercise the notebook's variables
that the figure shows, for a Keras exercise the notebook's ``keras`` and, where the
exercise starts from one, its ``models`` or ``mnist_model`` (``CONTEXT``). ``tests/test_check.py`` runs every solution through its
check, and ``scripts/make_solutions.py`` writes copies of the notebooks with the
solutions filled in.
"""

import numpy as np

SOLUTIONS = {
    # 01_filters
    "grayscale_pixel": ("gray_value", """
red, green, blue = 200, 100, 50
# Green counts most. The result rounds to the uint8 value.
gray_value = 0.299 * red + 0.587 * green + 0.114 * blue
"""),
    "sobel_response": ("sobel_value", """
# Right column minus left column, row by row, with the rows weighted 1, 2, 1.
sobel_value = 1 * (90 - 10) + 2 * (110 - 20) + 1 * (130 - 30)
"""),
    "shift_kernel": ("shift_kernel", """
# Correlation copies the pixel under the 1, here each pixel's left neighbour:
# the picture moves right.
shift_kernel = np.array([[0, 0, 0],
                         [1, 0, 0],
                         [0, 0, 0]], dtype=np.float32)
"""),
    "diagonal_kernel": ("diagonal_kernel", """
# Every row and every column sums to 0, so flat areas, vertical and horizontal
# edges all give 0.
diagonal_kernel = np.array([[ 2, -1, -1],
                            [-1,  2, -1],
                            [-1, -1,  2]], dtype=np.float32)
"""),
    # 02_convolution
    "conv_output_size": ("output_length", """
output_length = (32 - 5) // 2 + 1  # floor((n - k) / s) + 1
"""),
    "conv_output_shape": ("output_shape", """
side = -(-64 // 2)  # same padding: ceil(n / s), whatever the kernel size
output_shape = (side, side, 16)  # one output channel per filter
"""),
    "conv_params": ("parameter_count", """
parameter_count = (3 * 3 * 3 + 1) * 32  # a 3x3x3 kernel and one bias per filter
"""),
    "same_padding_corner": ("corner_value", """
# The 3x3 window centred on the bottom-right pixel; outside the image,
# same padding puts zeros.
window = np.array([[2, 2, 0],
                   [0, 1, 0],
                   [0, 0, 0]])
example_kernel = np.array([[0, 1, 2],
                           [2, 2, 0],
                           [0, 1, 2]])
corner_value = (window * example_kernel).sum()
"""),
    "same_padding_split": ("padding_rows", """
# A 2x2 kernel fits 4 times in 5 rows; one extra row gives 5 outputs.
# The odd row goes at the bottom.
padding_rows = (0, 1)
"""),
    # 03_pooling
    "max_pool_by_hand": ("pooled_by_hand", """
pooled_by_hand = [[max(1, 3, 4, 6), max(2, 9, 5, 7)],
                  [max(8, 0, 3, 3), max(1, 2, 4, 4)]]
"""),
    "max_pool": ("my_max_pool", """
def my_max_pool(image):
    \"\"\"Return the 2x2, stride-2 max pooling of an (H, W) array.\"\"\"
    # Round down: a leftover row or column is dropped.
    rows, columns = image.shape[0] // 2, image.shape[1] // 2
    output = np.empty((rows, columns), dtype=image.dtype)
    for row in range(rows):
        for column in range(columns):
            window = image[2 * row:2 * row + 2, 2 * column:2 * column + 2]
            output[row, column] = window.max()
    return output
"""),
    "pooled_size": ("pooled_sizes", """
valid_size = (26 - 3) // 2 + 1  # floor((n - k) / s) + 1: the last window must fit
same_size = -(-26 // 2)  # ceil(n / s)
pooled_sizes = (valid_size, same_size)
"""),
    "global_pool_size": ("global_values", """
global_values = 64  # one maximum per channel, taken over the whole 5x5 map
"""),
    # 04_mnist_cnn
    "lenet_dense_input": ("dense_inputs", """
side = 28
# Per stage: a 3x3 valid convolution (loses 2), then 2x2 pooling (halves, rounds down).
for stage in range(2):
    side = (side - 2) // 2
dense_inputs = side * side * 16  # 16 feature maps from the second convolution
"""),
    "lenet_params": ("lenet_total", """
lenet_total = ((3 * 3 * 1 + 1) * 6        # conv1
               + (3 * 3 * 6 + 1) * 16     # conv2
               + 5 * 5 * 16 * 128 + 128   # dense1, on the flattened 5x5x16 maps
               + 128 * 10 + 10)           # output
"""),
    "batchnorm_conv_params": ("block2_params", """
# 48 -> 96 channels; use_bias=False, as batch norm adds the shift.
block2_params = 3 * 3 * 48 * 96
"""),
    "validation_size": ("fit_images", """
fit_images = 60_000 - round(0.2 * 60_000)
"""),
    "onehot_loss": ("loss_name", """
loss_name = "categorical_crossentropy"
"""),
    # 05_cifar10
    "overfitting_fix": ("fix", """
fix = "b"  # augmentation: every epoch shows different versions of each image
"""),
    "seed_dense_params": ("dense1_params", """
side = 64 // 2 // 2 // 2  # same padding keeps the size; 3 poolings halve it
dense1_params = side * side * 64 * 500 + 500  # 4x the inputs of the 32x32 model
"""),
    "batch_megabytes": ("batch_mb", """
# images x height x width x channels x 4 bytes
batch_mb = 128 * 32 * 32 * 3 * 4 / 1_000_000
"""),
    "smoothed_target": ("true_class_target", """
smoothing, num_classes = 0.1, 10
true_class_target = 1 * (1 - smoothing) + smoothing / num_classes
"""),
    "width_doubling_factor": ("weight_factor", """
# Input channels and filters both double.
weight_factor = (3 * 3 * 256 * 256) / (3 * 3 * 128 * 128)
"""),
    "most_confused_pair": ("most_confused", """
# A pair's mistakes, both ways: row a column b plus row b column a.
mixed = matrix + matrix.T
np.fill_diagonal(mixed, 0)  # the diagonal counts correct answers
first, second = np.unravel_index(np.argmax(mixed), mixed.shape)
most_confused = (class_names[first], class_names[second])
"""),
    # 06_what_cnns_learn
    "feature_map_shape": ("block2_shape", """
# Same convolutions keep the size; block1_pool and block2_pool each halve it.
side = 64 // 2 // 2
# block2_conv has 2 x 32 filters; batch norm and ReLU keep the shape.
block2_shape = (side, side, 64)
"""),
    "first_layer_weights": ("block1_weights", """
# 64 filters of 3x3 on the 24 whitened channels; no bias before batch norm.
block1_weights = 3 * 3 * 24 * 64
"""),
    "receptive_field_size": ("field_width", """
field_width, step = 1, 1
# (kernel or pool size, stride) of each layer, from whiten to block3_conv2.
windows = [(2, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2),
           (3, 1), (3, 1), (2, 2), (3, 1)]
for size, stride in windows:
    # A window of `size` positions, `step` pixels apart.
    field_width += (size - 1) * step
    step *= stride
"""),
}


def code(exercise):
    """Return the solution code of one exercise, without leading or trailing blank lines."""
    if exercise not in SOLUTIONS:
        raise ValueError(f"no solution for exercise {exercise!r}; known: {', '.join(SOLUTIONS)}")
    return SOLUTIONS[exercise][1].strip("\n")


# The notebook variables a solution reads besides np: the figure-reading exercise reads the figure's data,
# the Keras exercise the notebook's keras.
CONTEXT = {"most_confused_pair": ("matrix", "class_names"), "residual_block": ("keras",)}


def answer(exercise, **context):
    """Run one exercise's solution code and return the value it passes to its check.

    ``context`` gives the notebook variables named in ``CONTEXT[exercise]``.
    """
    variable, _ = SOLUTIONS.get(exercise, (None, None))
    missing = [name for name in CONTEXT.get(exercise, ()) if name not in context]
    if missing:
        raise ValueError(f"the solution of {exercise!r} reads the notebook's {', '.join(missing)}: pass them")
    namespace = {"np": np, **context}
    exec(code(exercise), namespace)  # trusted code from this module, the same text as in the notebooks
    return namespace[variable]


SOLUTIONS.update({
    # 07_residual_and_transfer
    "residual_block": ("residual_block", """
def residual_block(x):
    y = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    y = keras.layers.Conv2D(16, 3, padding="same")(y)  # 16 filters: y has x's shape
    y = keras.layers.Add()([x, y])  # the shortcut: x itself, unchanged
    return keras.layers.Activation("relu")(y)
"""),
    "projection_shortcut_params": ("shortcut_params", """
shortcut_params = (1 * 1 * 64 + 1) * 128  # per filter: a weight per channel in, a bias
"""),
    "frozen_head_params": ("head_params", """
head_params = (128 + 1) * 5  # 128 features in, 5 classes out; frozen layers add none
"""),
    "frozen_batchnorm": ("batchnorm_answer", """
batchnorm_answer = "b"  # inference mode: the stored moving averages, left as they are
"""),
})


SOLUTIONS.update({
    # 04_mnist_cnn, 05_cifar10, 06_what_cnns_learn: models written in Keras
    "batch_norm_cnn": ("batch_norm_cnn", """
batch_norm_cnn = keras.Sequential([
    keras.Input(shape=(28, 28, 1), dtype="uint8"),
    keras.layers.Rescaling(1 / 255),
    keras.layers.Conv2D(32, 3),  # no activation: batch norm sees the raw sums
    keras.layers.BatchNormalization(),
    keras.layers.Activation("relu"),
    keras.layers.MaxPooling2D(2),
    keras.layers.Conv2D(64, 3),
    keras.layers.BatchNormalization(),
    keras.layers.Activation("relu"),
    keras.layers.MaxPooling2D(2),
    keras.layers.Flatten(),
    keras.layers.Dense(10, activation="softmax"),
])
"""),
    "first_block_shape": ("same_padding_cnn", """
same_padding_cnn = keras.Sequential([
    keras.Input(shape=(28, 28, 1), dtype="uint8"),
    keras.layers.Rescaling(1 / 255),
    # Same padding adds a border of zeros: 28x28 in, 28x28 out, then pooling halves it.
    keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
    keras.layers.MaxPooling2D(2),
    keras.layers.Conv2D(64, 3, activation="relu"),
    keras.layers.MaxPooling2D(2),
    keras.layers.Flatten(),
    keras.layers.Dense(10, activation="softmax"),
])
"""),
    "small_digit_model": ("small_model", """
# The batch-norm CNN: in 79 steps the moving averages need a momentum of 0.9,
# not the default 0.99, to catch up with the batches.
small_model = keras.Sequential([keras.Input(shape=(28, 28, 1), dtype="uint8"),
                                keras.layers.Rescaling(1 / 255)])
for filters in (32, 64):
    small_model.add(keras.layers.Conv2D(filters, 3))
    small_model.add(keras.layers.BatchNormalization(momentum=0.9))
    small_model.add(keras.layers.Activation("relu"))
    small_model.add(keras.layers.MaxPooling2D(2))
small_model.add(keras.layers.Flatten())
small_model.add(keras.layers.Dense(10, activation="softmax"))
"""),
    "augmented_cnn": ("augmented_cnn", """
classic = models.seed_cifar10_cnn()
augmented_cnn = keras.Sequential(
    [keras.Input(shape=(32, 32, 3), dtype="uint8"),
     classic.layers[0],  # the rescaling from 0..255 to 0..1
     keras.layers.RandomFlip("horizontal"),  # left-right only: no upside-down ships
     keras.layers.RandomTranslation(2 / 32, 2 / 32),  # factors: fractions of the side
     *classic.layers[1:]])
"""),
    "block_output_model": ("block2_model", """
# The same layers, so the same trained weights: a second way out of the network.
block2_model = keras.Model(mnist_model.inputs,
                           mnist_model.get_layer("block2_relu").output)
"""),
})
CONTEXT.update({exercise: ("keras",) for exercise in ("batch_norm_cnn", "first_block_shape",
                                                       "small_digit_model")})
CONTEXT.update({"augmented_cnn": ("keras", "models"), "block_output_model": ("keras", "mnist_model")})
