"""Every network cnnlab builds, by name, and two questions about a built one: same layers? how many FLOPs?

Two families: the classic architectures of the seed material and the tutorials
(:func:`mlp` ... :func:`keras_io_mnist_convnet`), and the networks of cnnlab's
training recipes, which notebooks 04 and 05 train (:func:`mnist_model`,
:func:`cifar10_model`; how they are trained is ``cnnlab.recipes``).

Every builder takes uint8 images straight in: its first layer rescales to
0..1 inside the model, so the data stay uint8 (a quarter of float32's memory)
until the last moment. Layers carry explicit names so that ``model.summary()``
prints the same text on every run.
"""

import numpy as np


from cnnlab.runtime import keras

layers = keras.layers

MNIST_SHAPE = (28, 28, 1)
CIFAR10_SHAPE = (32, 32, 3)
NUM_CLASSES = 10


def _input_and_rescale(input_shape):
    """The opening every network shares: a uint8 Input and a Rescaling layer from 0..255 to 0..1."""
    return [keras.Input(shape=input_shape, dtype="uint8", name="image"),
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


def plain_cnn(input_shape=MNIST_SHAPE, num_classes=NUM_CLASSES):
    """The simplest convolutional network of notebook 04: two conv/pool stages, flatten, softmax.

    Like keras.io's convnet without its dropout: every later technique is added to it one at a
    time. 34,826 parameters on 28x28 digits (valid padding: 28 -> 26 -> 13 -> 11 -> 5).
    """
    stack = (_input_and_rescale(input_shape) + _conv_pool_stack([(32, True), (64, True)])
             + [layers.Flatten(name="flatten"),
                layers.Dense(num_classes, activation="softmax", name="output")])
    return keras.Sequential(stack, name="plain_cnn")


# --- the recipes' networks (trained by notebooks 04 and 05) ---------------------------------

def mnist_model(width=32, batch_norm_momentum=0.9, input_shape=MNIST_SHAPE):
    """The MNIST recipe's network: three conv/pool/batch-norm/ReLU stages of widths w, 2w, 4w."""
    stack = _input_and_rescale(input_shape)
    for index, filters in enumerate((width, 2 * width, 4 * width), start=1):
        stack += [layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"block{index}_conv"),
                  # Pool before batch norm and ReLU, as in the CIFAR-10 network: they then cost a quarter.
                  layers.MaxPooling2D(2, name=f"block{index}_pool"),
                  layers.BatchNormalization(momentum=batch_norm_momentum, name=f"block{index}_bn"),
                  layers.Activation("relu", name=f"block{index}_relu")]
    stack += [layers.GlobalMaxPooling2D(name="global_pool"),
              layers.Dropout(0.2, name="dropout"),
              layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32", name="output")]
    return keras.Sequential(stack, name="mnist_recipe")


def cifar10_model(widths=(64, 128, 128), batch_norm_momentum=0.6, learned_first_layer=False,
                  num_classes=NUM_CLASSES, name="cifar10_recipe"):
    """The CIFAR-10 recipe's network (airbench's 93% layout with ReLU): about 108 MFLOP per image.

    Its first layer, "whiten", is a 2x2 convolution set from the data
    (``cnnlab.training.prepare_model``) and never trained; ``learned_first_layer=True``
    trains it like the others instead (for measuring what whitening adds).
    ``num_classes`` and ``name`` serve the same network on a subset of the classes
    (``cnnlab.transfer``'s pre-trained network).
    """
    stack = _input_and_rescale(CIFAR10_SHAPE) + [
        layers.Conv2D(2 * 2 * 2 * 3, 2, trainable=learned_first_layer, name="whiten"),
        layers.Activation("relu", name="whiten_relu")]
    for index, filters in enumerate(widths, start=1):
        stack += [layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"block{index}_conv1"),
                  # Pool before batch norm: the normalisation then costs a quarter as much.
                  layers.MaxPooling2D(2, name=f"block{index}_pool"),
                  layers.BatchNormalization(momentum=batch_norm_momentum, name=f"block{index}_bn1"),
                  layers.Activation("relu", name=f"block{index}_relu1")]
        stack += [layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"block{index}_conv2"),
                  layers.BatchNormalization(momentum=batch_norm_momentum, name=f"block{index}_bn2"),
                  layers.Activation("relu", name=f"block{index}_relu2")]
    stack += [layers.GlobalMaxPooling2D(name="global_pool"),
              layers.Dense(num_classes, use_bias=False, name="logits"),
              # Small initial logits: the first large-learning-rate steps stay gentle.
              layers.Rescaling(1 / 9, name="logit_scale"),
              # Probabilities in float32 even under mixed precision: bfloat16 has 3 significant digits.
              layers.Activation("softmax", dtype="float32", name="output")]
    return keras.Sequential(stack, name=name)


BUILDERS = {
    "mlp": mlp,
    "fashion_cnn": fashion_cnn,
    "dlwp_cnn": dlwp_cnn,
    "lenet_cnn": lenet_cnn,
    "same_padding_cnn": same_padding_cnn,
    "seed_cifar10_cnn": seed_cifar10_cnn,
    "tf_tutorial_cnn": tf_tutorial_cnn,
    "keras_io_mnist_convnet": keras_io_mnist_convnet,
    "plain_cnn": plain_cnn,
    "mnist_recipe": mnist_model,
    "cifar10_recipe": cifar10_model,
}


def build(name, **kwargs):
    """Build the named model (see ``BUILDERS``); keyword arguments go to its builder."""
    if name not in BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(BUILDERS)}")
    return BUILDERS[name](**kwargs)


# --- comparing two models, and what one costs ------------------------------------------------

# Configuration keys that name or place a layer rather than define what it computes.
IGNORED_KEYS = frozenset({"name", "trainable", "dtype"})


def layer_settings(model):
    """Each layer's class, whether it trains, and its configuration without names, in order.

    What makes two models the same network: equal lists here.
    """
    settings = []
    for layer in model.layers:
        config = {key: value for key, value in layer.get_config().items() if key not in IGNORED_KEYS}
        settings.append((type(layer).__name__, layer.trainable, config))
    return settings


def same_layers(model, reference):
    """True, or AssertionError naming the first layer where ``model`` differs from ``reference``."""
    mine, theirs = layer_settings(model), layer_settings(reference)
    if len(mine) != len(theirs):
        raise AssertionError(f"{model.name} has {len(mine)} layers, {reference.name} has {len(theirs)}")
    for index, (a, b) in enumerate(zip(mine, theirs)):
        if a != b:
            differing = sorted(key for key in set(a[2]) | set(b[2]) if a[2].get(key) != b[2].get(key))
            raise AssertionError(f"layer {index} ({model.layers[index].name!r}) differs from "
                                 f"{reference.layers[index].name!r}: {a[0]} vs {b[0]}, "
                                 f"settings {differing or 'trainable'}")
    return True


def forward_flops(model):
    """Multiply-adds x 2 of one image's forward pass through the Conv2D and Dense layers."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, (layers.Conv2D, layers.Dense)):
            kernel = np.prod(layer.kernel.shape)  # (kh, kw, C_in, F) or (inputs, units)
            outputs = np.prod(layer.output.shape[1:-1]) if isinstance(layer, layers.Conv2D) else 1
            total += 2 * int(kernel) * int(outputs)
    return total
