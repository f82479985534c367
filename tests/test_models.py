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
