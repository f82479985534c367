"""Model builders by name: the seed material's architectures and cnnlab's faster ones.

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


def dlwp_cnn(input_shape=MNIST_SHAPE, num_classes=NUM_CLASSES):
    """Seed 003 (Deep Learning with Python): Conv 32/64/64 + Dense 64 (93,322 parameters)."""
    stack = (_input_and_rescale(input_shape)
             + _conv_pool_stack([(32, True), (64, True), (64, False)])
             + _dense_head(64, num_classes))
    return keras.Sequential(stack, name="dlwp_cnn")


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


BATCH_NORM_MOMENTUM = 0.9


def _conv_bn(filters, name, kernel_size=3):
    """Conv2D without bias (batch norm's shift replaces it), BatchNorm, ReLU."""
    return [layers.Conv2D(filters, kernel_size, padding="same", use_bias=False, name=f"{name}_conv"),
            # Momentum 0.9 (Keras default 0.99): the running statistics used at test time settle
            # within tens of steps, which short schedules and quick mode need.
            layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"{name}_bn"),
            layers.Activation("relu", name=f"{name}_relu")]


def mnist_fast(input_shape=MNIST_SHAPE, num_classes=NUM_CLASSES, width=32):
    """cnnlab's MNIST model: three conv/batch-norm/pool stages of widths w, 2w, 4w and a small head."""
    stack = _input_and_rescale(input_shape)
    for index, filters in enumerate((width, 2 * width, 4 * width), start=1):
        stack += _conv_bn(filters, f"block{index}")
        stack.append(layers.MaxPooling2D(2, name=f"block{index}_pool"))
    stack += [layers.GlobalMaxPooling2D(name="global_pool"),
              layers.Dropout(0.2, name="dropout"),
              layers.Dense(num_classes, activation="softmax", name="output")]
    return keras.Sequential(stack, name="mnist_fast")


def augmentation(max_shift=0.125):
    """Random left-right flips and shifts of up to ``max_shift`` of the size; active in training only."""
    return [layers.RandomFlip("horizontal", name="augment_flip"),
            layers.RandomTranslation(max_shift, max_shift, fill_mode="constant", name="augment_shift")]


def cifar10_fast(input_shape=CIFAR10_SHAPE, num_classes=NUM_CLASSES, width=32, augment=True):
    """cnnlab's CIFAR-10 model: VGG-style conv/batch-norm stages of widths w, 2w, 4w."""
    stack = [keras.Input(shape=input_shape, name="image")]
    if augment:
        stack += augmentation()
    stack.append(layers.Rescaling(1 / 255, name="rescale"))
    # One convolution at full resolution (the costly stage), two at each smaller one.
    stack += _conv_bn(width, "block1") + [layers.MaxPooling2D(2, name="block1_pool")]
    for index, filters in enumerate((2 * width, 4 * width), start=2):
        stack += _conv_bn(filters, f"block{index}a") + _conv_bn(filters, f"block{index}b")
        stack.append(layers.MaxPooling2D(2, name=f"block{index}_pool"))
    stack += [layers.GlobalMaxPooling2D(name="global_pool"),
              layers.Dense(num_classes, activation="softmax", name="output")]
    return keras.Sequential(stack, name="cifar10_fast")


BUILDERS = {
    "mlp": mlp,
    "fashion_cnn": fashion_cnn,
    "dlwp_cnn": dlwp_cnn,
    "lenet_cnn": lenet_cnn,
    "same_padding_cnn": same_padding_cnn,
    "seed_cifar10_cnn": seed_cifar10_cnn,
    "mnist_fast": mnist_fast,
    "cifar10_fast": cifar10_fast,
}


def build(name, **kwargs):
    """Build the named model (see ``BUILDERS``); keyword arguments go to its builder."""
    if name not in BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(BUILDERS)}")
    return BUILDERS[name](**kwargs)
