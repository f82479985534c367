"""Model builders by name: the classic architectures of the seed material and the tutorials.

cnnlab's own models, those the notebooks train, live with their training recipes in ``cnnlab.recipes``.

Every builder takes uint8 images straight in: its first layer rescales to
0..1 inside the model, so the data stay uint8 (a quarter of float32's memory)
until the last moment. Layers carry explicit names so that ``model.summary()``
prints the same text on every run.
"""

from cnnlab.runtime import keras

layers = keras.layers

MNIST_SHAPE = (28, 28, 1)
CIFAR10_SHAPE = (32, 32, 3)
NUM_CLASSES = 10


def _input_and_rescale(input_shape):
    """The shared stem: an Input and a Rescaling layer from 0..255 to 0..1."""
    return [keras.Input(shape=input_shape, name="image"),
            layers.Rescaling(1 / 255, name="rescale")]


def mlp(input_shape=MNIST_SHAPE, num_classes=NUM_CLASSES, hidden_units=(512, 512)):
    """The seeds' dense baseline 784-512-512-10 (669,706 parameters)."""
    stack = _input_and_rescale(input_shape) + [layers.Flatten(name="flatten")]
    for index, units in enumerate(hidden_units, start=1):
        stack.append(layers.Dense(units, activation="relu", name=f"dense{index}"))
    stack.append(layers.Dense(num_classes, activation="softmax", name="output"))
    return keras.Sequential(stack, name="mlp")


def _conv_pool_stack(specs, padding="valid", kernel_size=3):
    """Conv2D + MaxPooling2D pairs; ``specs`` lists filters, None marks 'no pooling'."""
    stack = []
    for index, (filters, pool) in enumerate(specs, start=1):
        stack.append(layers.Conv2D(filters, kernel_size, padding=padding, activation="relu",
                                   name=f"conv{index}"))
        if pool:
            stack.append(layers.MaxPooling2D(2, name=f"pool{index}"))
    return stack


def _dense_head(units, num_classes, dropout=0.0):
    """Flatten, one hidden Dense layer (optional dropout after it), softmax output."""
    stack = [layers.Flatten(name="flatten"), layers.Dense(units, activation="relu", name="dense1")]
    if dropout:
        stack.append(layers.Dropout(dropout, name="dropout_dense"))
    stack.append(layers.Dense(num_classes, activation="softmax", name="output"))
    return stack


def fashion_cnn(input_shape=MNIST_SHAPE, num_classes=NUM_CLASSES):
    """Seeds 000/002: Conv64-pool-Conv64-pool-Dense128 (243,786 parameters)."""
    stack = (_input_and_rescale(input_shape) + _conv_pool_stack([(64, True), (64, True)])
             + _dense_head(128, num_classes))
    return keras.Sequential(stack, name="fashion_cnn")


def _conv_32_64_64(input_shape, num_classes, name):
    """Conv 32-pool-Conv 64-pool-Conv 64 (valid), Dense 64: the classic small CNN of two tutorials."""
    stack = (_input_and_rescale(input_shape)
             + _conv_pool_stack([(32, True), (64, True), (64, False)])
             + _dense_head(64, num_classes))
    return keras.Sequential(stack, name=name)


def dlwp_cnn(input_shape=MNIST_SHAPE, num_classes=NUM_CLASSES):
    """Seed 003 (Deep Learning with Python): Conv 32/64/64 + Dense 64 (93,322 parameters)."""
    return _conv_32_64_64(input_shape, num_classes, "dlwp_cnn")


def lenet_cnn(input_shape=MNIST_SHAPE, num_classes=NUM_CLASSES):
    """Seed 001: Conv6-pool-Conv16-pool-dropout-Dense128-dropout (60 + 880 + 51,328 + 1,290)."""
    stack = (_input_and_rescale(input_shape) + _conv_pool_stack([(6, True), (16, True)])
             + [layers.Dropout(0.25, name="dropout_conv")] + _dense_head(128, num_classes, 0.5))
    return keras.Sequential(stack, name="lenet_cnn")


def same_padding_cnn(input_shape=MNIST_SHAPE, num_classes=NUM_CLASSES):
    """Seed 004's MNIST model: Conv32/64 'same' + Dense 64 (220,234 parameters)."""
    stack = (_input_and_rescale(input_shape)
             + _conv_pool_stack([(32, True), (64, True)], padding="same")
             + _dense_head(64, num_classes))
    return keras.Sequential(stack, name="same_padding_cnn")


def seed_cifar10_cnn(input_shape=CIFAR10_SHAPE, num_classes=NUM_CLASSES):
    """Seed 004's CIFAR-10 model: 2x2 'same' convs 16/32/64, Dense 500 (528,054 parameters)."""
    stack = (_input_and_rescale(input_shape)
             + _conv_pool_stack([(16, True), (32, True), (64, True)], padding="same", kernel_size=2)
             + [layers.Dropout(0.3, name="dropout_conv")] + _dense_head(500, num_classes, 0.4))
    return keras.Sequential(stack, name="seed_cifar10_cnn")


def tf_tutorial_cnn(input_shape=CIFAR10_SHAPE, num_classes=NUM_CLASSES):
    """The TensorFlow CNN tutorial's CIFAR-10 model: the same layers on colour photos (122,570 parameters)."""
    return _conv_32_64_64(input_shape, num_classes, "tf_tutorial_cnn")


def keras_io_mnist_convnet(input_shape=MNIST_SHAPE, num_classes=NUM_CLASSES):
    """keras.io's "Simple MNIST convnet": Conv 32/64 with pooling, dropout 0.5, softmax (34,826 parameters)."""
    stack = (_input_and_rescale(input_shape) + _conv_pool_stack([(32, True), (64, True)])
             + [layers.Flatten(name="flatten"), layers.Dropout(0.5, name="dropout"),
                layers.Dense(num_classes, activation="softmax", name="output")])
    return keras.Sequential(stack, name="keras_io_mnist_convnet")


BUILDERS = {
    "mlp": mlp,
    "fashion_cnn": fashion_cnn,
    "dlwp_cnn": dlwp_cnn,
    "lenet_cnn": lenet_cnn,
    "same_padding_cnn": same_padding_cnn,
    "seed_cifar10_cnn": seed_cifar10_cnn,
    "tf_tutorial_cnn": tf_tutorial_cnn,
    "keras_io_mnist_convnet": keras_io_mnist_convnet,
}


def build(name, **kwargs):
    """Build the named model (see ``BUILDERS``); keyword arguments go to its builder."""
    if name not in BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(BUILDERS)}")
    return BUILDERS[name](**kwargs)
