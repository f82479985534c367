"""Model builders: the seed architectures' parameter counts, names, and uint8 input."""

import numpy as np
import pytest

from cnnlab import models, params
from cnnlab.runtime import keras

# Parameter counts the seed material prints in model.summary() (../shared/seeds/NOTES.md).
SEED_COUNTS = {
    "mlp": [401_920, 262_656, 5_130],
    "fashion_cnn": [640, 36_928, 204_928, 1_290],
    "dlwp_cnn": [320, 18_496, 36_928, 36_928, 650],
    "lenet_cnn": [60, 880, 51_328, 1_290],
    "same_padding_cnn": [320, 18_496, 200_768, 650],
    "seed_cifar10_cnn": [208, 2_080, 8_256, 512_500, 5_010],
}
SEED_TOTALS = {"mlp": 669_706, "fashion_cnn": 243_786, "dlwp_cnn": 93_322,
               "same_padding_cnn": 220_234, "seed_cifar10_cnn": 528_054}


def weighted_layer_counts(model):
    return [layer.count_params() for layer in model.layers if layer.count_params()]


@pytest.mark.parametrize("name", sorted(SEED_COUNTS))
def test_seed_architectures_have_the_published_parameter_counts(name):
    model = models.build(name)
    assert weighted_layer_counts(model) == SEED_COUNTS[name]
    if name in SEED_TOTALS:
        assert model.count_params() == SEED_TOTALS[name]


def test_formulas_explain_every_layer_of_the_classic_cnn():
    model = models.dlwp_cnn()
    expected = [params.conv2d_params(3, 1, 32), params.conv2d_params(3, 32, 64),
                params.conv2d_params(3, 64, 64), params.dense_params(3 * 3 * 64, 64),
                params.dense_params(64, 10)]
    assert weighted_layer_counts(model) == expected


def test_lenet_dense_layer_sees_five_by_five_by_sixteen_not_676():
    model = models.lenet_cnn()
    assert model.get_layer("flatten").output.shape[-1] == 5 * 5 * 16


@pytest.mark.parametrize("name", sorted(models.BUILDERS))
def test_every_model_takes_uint8_images_and_outputs_probabilities(name):
    model = models.build(name)
    shape = tuple(model.inputs[0].shape[1:])
    images = np.random.default_rng(0).integers(0, 256, size=(3, *shape), dtype=np.uint8)
    probabilities = keras.ops.convert_to_numpy(model(images, training=False))
    assert probabilities.shape == (3, models.NUM_CLASSES)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(models.BUILDERS))
def test_layer_names_are_explicit_so_summaries_repeat(name):
    first = [layer.name for layer in models.build(name).layers]
    second = [layer.name for layer in models.build(name).layers]
    assert first == second
    assert len(set(first)) == len(first)


def test_rescaling_happens_inside_the_model():
    model = models.mlp()
    assert model.layers[0].name == "rescale"
    assert model.layers[0].scale == pytest.approx(1 / 255)


def test_unknown_model_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown model 'resnet'.*mlp"):
        models.build("resnet")


# --- the recipes' networks ---------------------------------------------------------------------

def conv_flops(height, width, kernel, channels_in, filters):
    return 2 * height * width * kernel * kernel * channels_in * filters


def test_cifar10_model_costs_airbench93s_108_mflop():
    model = models.cifar10_model()
    expected = (conv_flops(31, 31, 2, 3, 24)  # whitening, valid 2x2: 32 -> 31
                + conv_flops(31, 31, 3, 24, 64) + conv_flops(15, 15, 3, 64, 64)
                + conv_flops(15, 15, 3, 64, 128) + conv_flops(7, 7, 3, 128, 128)
                + conv_flops(7, 7, 3, 128, 128) + conv_flops(3, 3, 3, 128, 128)
                + 2 * 128 * 10)
    assert models.forward_flops(model) == expected == 108_447_808
    assert model.output_shape == (None, 10)
    assert not model.get_layer("whiten").trainable
    assert models.cifar10_model(learned_first_layer=True).get_layer("whiten").trainable


def test_mnist_model_counts():
    model = models.mnist_model()
    # conv weights 3*3*1*32, 3*3*32*64, 3*3*64*128 (no biases); 4 batch-norm numbers per channel; dense 128*10+10
    assert model.count_params() == 288 + 18_432 + 73_728 + 4 * (32 + 64 + 128) + 1_290
    assert models.forward_flops(model) == (conv_flops(28, 28, 3, 1, 32) + conv_flops(14, 14, 3, 32, 64)
                                           + conv_flops(7, 7, 3, 64, 128) + 2 * 128 * 10)


def test_every_network_opens_with_the_same_uint8_input_and_rescaling():
    for name in models.BUILDERS:
        model = models.build(name)
        assert model.inputs[0].dtype == "uint8", name
        assert model.layers[0].name == "rescale" and model.layers[0].scale == pytest.approx(1 / 255)


def test_same_layers_accepts_a_copy_and_names_the_first_difference():
    assert models.same_layers(models.mnist_model(), models.mnist_model())
    with pytest.raises(AssertionError, match=r"layer 1 \('block1_conv'\).*filters"):
        models.same_layers(models.mnist_model(width=16), models.mnist_model())
    with pytest.raises(AssertionError, match="layers"):
        models.same_layers(keras.Sequential([keras.Input((28, 28, 1))]), models.mnist_model())
    with pytest.raises(AssertionError, match="trainable"):
        models.same_layers(models.cifar10_model(learned_first_layer=True), models.cifar10_model())


def test_recipe_networks_output_float32_probabilities_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        for model, normalisation in ((models.mnist_model(), "block1_bn"), (models.cifar10_model(), "block1_bn1")):
            assert model.layers[-1].compute_dtype == "float32"
            assert model.get_layer(normalisation).compute_dtype == "bfloat16"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_plain_cnn_counts_by_hand():
    model = models.plain_cnn()
    # (3*3*1 + 1)*32, (3*3*32 + 1)*64, (5*5*64 + 1)*10: counted by hand, valid padding.
    assert [layer.count_params() for layer in model.layers if layer.weights] == [320, 18_496, 16_010]
    assert model.output_shape == (None, 10)
