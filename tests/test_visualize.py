"""cnnlab.visualize: compared with Keras layer outputs, pixel perturbation and the exact CAM of tiny models."""

import importlib.util
import os
import pathlib
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnnlab import models, plots, runtime, visualize  # noqa: E402
from cnnlab.runtime import keras  # noqa: E402

layers = keras.layers
REPO = pathlib.Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.usefixtures("close_figures")  # tests/conftest.py


@pytest.fixture(scope="module")
def small_mnist_model():
    """cnnlab's MNIST architecture at width 4: same layer names and strides, untrained."""
    keras.utils.set_random_seed(0)
    return models.mnist_model(width=4)


def random_digits(count, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(count, 28, 28, 1), dtype=np.uint8)


# ------------------------------------------------------------------ receptive fields


def test_receptive_field_of_mnist_fast_matches_the_hand_count(small_mnist_model):
    # By hand: a 3x3 conv adds 2 input steps, a 2x2 pool adds 1 step and doubles the step.
    # Each block pools straight after its convolution, so its ReLU sees what the pooling sees.
    expected = {"block1_conv": (3, 1), "block1_pool": (4, 2), "block1_relu": (4, 2),
                "block2_conv": (8, 2), "block2_pool": (10, 4), "block3_conv": (18, 4), "block3_relu": (22, 8)}
    for name, (size, jump) in expected.items():
        field = visualize.receptive_field(small_mnist_model, name)
        assert (field.size, field.jump) == (size, jump), name
    # block2's first position: conv2 outputs 0..1, so pool1 outputs -1..2, conv1 outputs -2..5, pixels -3..6.
    assert visualize.receptive_field(small_mnist_model, "block2_relu").offset == -3


def test_receptive_field_matches_the_pixels_that_change_the_output():
    side = 16
    keras.utils.set_random_seed(1)
    # Linear layers only, so that every pixel inside the field really moves the output.
    model = keras.Sequential([
        keras.Input((side, side, 1)),
        layers.Conv2D(2, 3, padding="same", name="conv_same"),
        layers.AveragePooling2D(2, name="pool"),
        layers.Conv2D(2, 3, padding="valid", name="conv_valid"),
        layers.Conv2D(2, 3, strides=2, padding="same", name="conv_stride"),
    ])
    names = ["conv_same", "pool", "conv_valid", "conv_stride"]
    pixels = np.eye(side * side, dtype=np.float32).reshape(-1, side, side, 1)  # one lit pixel each
    outputs = visualize.activation_model(model, names).predict(np.concatenate([pixels, 0 * pixels[:1]]),
                                                                verbose=0)
    for name, maps in zip(names, outputs):
        response = np.abs(maps[:-1] - maps[-1]).sum(axis=-1)  # (pixels, h, w); bias cancels
        field = visualize.receptive_field(model, name)
        for row in range(maps.shape[1]):
            for column in range(maps.shape[2]):
                moved = (response[:, row, column] > 1e-6).reshape(side, side)
                expected = np.zeros((side, side), bool)
                top, left = field.first_pixel(row), field.first_pixel(column)
                expected[max(top, 0):top + field.size, max(left, 0):left + field.size] = True
                np.testing.assert_array_equal(moved, expected, err_msg=f"{name} at ({row}, {column})")


def test_receptive_field_rejects_layers_without_positions(small_mnist_model):
    with pytest.raises(ValueError, match="global_pool"):
        visualize.receptive_field(small_mnist_model, "output")
    with pytest.raises(ValueError, match="no layer 'conv9'"):
        visualize.receptive_field(small_mnist_model, "conv9")
    inputs = keras.Input((8, 8, 1))
    functional = keras.Model(inputs, layers.Conv2D(1, 3)(inputs))
    with pytest.raises(TypeError, match="Sequential"):
        visualize.receptive_field(functional, functional.layers[-1].name)


def test_crop_fills_the_part_outside_the_image_with_zeros():
    image = np.arange(1, 37, dtype=np.uint8).reshape(6, 6)
    field = visualize.ReceptiveField(size=4, jump=2, offset=-1)
    corner = visualize.crop(image, field, 0, 0)  # pixels -1..2 on both axes
    assert corner.dtype == np.uint8 and corner.shape == (4, 4)
    assert not corner[0].any() and not corner[:, 0].any()
    np.testing.assert_array_equal(corner[1:, 1:], image[:3, :3])
    np.testing.assert_array_equal(visualize.crop(image, field, 1, 1), image[1:5, 1:5])
    colour = np.zeros((6, 6, 3), np.uint8)
    assert visualize.crop(colour, field, 2, 2).shape == (4, 4, 3)


# ------------------------------------------------------------------ filters and feature maps


def test_first_conv_kernel_is_the_first_convolution(small_mnist_model):
    kernel = visualize.first_conv_kernel(small_mnist_model)
    assert kernel.shape == (3, 3, 1, 4) and kernel.dtype == np.float32
    np.testing.assert_array_equal(kernel, small_mnist_model.get_layer("block1_conv").get_weights()[0])
    with pytest.raises(ValueError, match="no Conv2D"):
        visualize.first_conv_kernel(models.mlp())


def test_filter_images_scale_each_filter_and_keep_signs():
    kernel = np.random.default_rng(0).normal(size=(3, 3, 1, 5)).astype(np.float32)
    kernel[..., 2] *= 100  # scale must not matter
    images = visualize.filter_images(kernel)
    assert images.shape == (5, 3, 3)
    np.testing.assert_allclose(np.abs(images).max(axis=(1, 2)), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(np.sign(images), np.sign(np.moveaxis(kernel[:, :, 0], -1, 0)))


def test_filter_images_of_colour_kernels_share_one_signed_scale_centred_on_grey():
    kernel = np.zeros((2, 2, 3, 3), np.float32)
    kernel[..., 0] = 0.1  # a uniform, weak filter: must stay near grey, not be stretched
    kernel[0, 0, 0, 1], kernel[1, 1, 2, 1] = 4.0, -4.0  # the strongest weights set the scale
    kernel[0, 1, 1, 2] = -2.0
    images = visualize.filter_images(kernel)
    assert images.shape == (3, 2, 2, 3) and visualize.filter_scale(kernel) == 4.0
    # By hand: 0.5 + 0.5 * weight / 4.
    np.testing.assert_allclose(images[0], np.full((2, 2, 3), 0.5125), rtol=1e-6)
    assert images[1][0, 0, 0] == 1.0 and images[1][1, 1, 2] == 0.0 and images[1][0, 1, 1] == 0.5
    assert images[2][0, 1, 1] == 0.25 and images[2][0, 0, 0] == 0.5
    np.testing.assert_array_equal(visualize.filter_images(np.zeros((2, 2, 3, 2))), 0.5)
    with pytest.raises(ValueError, match=r"\(3, 3, 2, 4\)"):
        visualize.filter_images(np.zeros((3, 3, 2, 4)))


def test_feature_maps_equal_the_layer_by_layer_outputs(small_mnist_model):
    image = random_digits(1)[0]
    names = ["block1_relu", "block2_pool", "block3_relu"]
    maps = visualize.feature_maps(small_mnist_model, image, names)
    values = keras.ops.convert_to_tensor(image[None], dtype="float32")
    for layer in small_mnist_model.layers:  # the reference: call each layer in turn
        values = layer(values, training=False)
        if layer.name in names:
            np.testing.assert_allclose(maps[layer.name], keras.ops.convert_to_numpy(values)[0],
                                       rtol=1e-5, atol=1e-5)
    assert [maps[name].shape for name in names] == [(14, 14, 4), (7, 7, 8), (3, 3, 16)]
    with pytest.raises(ValueError, match=r"\(1, 32, 32, 3\)"):
        visualize.feature_maps(small_mnist_model, np.zeros((32, 32, 3), np.uint8), names)


def test_strongest_activations_are_the_maxima_of_the_full_maps(small_mnist_model):
    images = random_digits(20, seed=2)
    strongest = visualize.strongest_activations(small_mnist_model, images, "block2_relu", batch_size=8)
    maps = visualize.activation_model(small_mnist_model, ["block2_relu"]).predict(images, verbose=0)
    maps = maps[0] if isinstance(maps, list) else maps
    np.testing.assert_allclose(strongest.values, maps.max(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    at_position = np.take_along_axis(maps.reshape(20, -1, 8), (strongest.rows * maps.shape[2] + strongest.columns)[:, None],
                                     axis=1)[:, 0]
    np.testing.assert_allclose(at_position, strongest.values, rtol=1e-5, atol=1e-6)


def test_top_patches_are_the_strongest_images_cropped_at_their_maximum(small_mnist_model):
    images = random_digits(30, seed=3)
    strongest = visualize.strongest_activations(small_mnist_model, images, "block2_relu")
    field = visualize.receptive_field(small_mnist_model, "block2_relu")
    patches, indices = visualize.top_patches(images, strongest, field, channel=5, count=4)
    assert patches.shape == (4, 10, 10, 1) and patches.dtype == np.uint8
    np.testing.assert_array_equal(indices, np.argsort(-strongest.values[:, 5])[:4])
    first = indices[0]
    np.testing.assert_array_equal(patches[0], visualize.crop(images[first], field, strongest.rows[first, 5],
                                                             strongest.columns[first, 5]))


def test_feature_maps_of_one_layer_keep_their_shape(small_mnist_model):
    maps = visualize.feature_maps(small_mnist_model, random_digits(1)[0], ["block2_relu"])
    assert list(maps) == ["block2_relu"] and maps["block2_relu"].shape == (7, 7, 8)


def test_average_maps_are_the_mean_of_the_full_maps(small_mnist_model):
    images = random_digits(21, seed=4)
    average = visualize.average_maps(small_mnist_model, images, "block2_relu", batch_size=8)  # 3 batches
    maps = visualize.activation_model(small_mnist_model, ["block2_relu"]).predict(images, verbose=0)
    maps = maps[0] if isinstance(maps, list) else maps
    assert average.shape == maps.shape[1:] and average.dtype == np.float32
    np.testing.assert_allclose(average, maps.mean(axis=0), rtol=1e-5, atol=1e-6)


def test_border_contrast_compares_the_frame_with_the_inside():
    maps = np.ones((5, 5, 3), np.float32)
    maps[0, :, 0] = 3  # channel 0: the top row responds three times as much
    maps[:, :, 1] = 0  # channel 1: silent everywhere
    maps[:, 0, 2] = 0  # channel 2: the left column silent
    contrast = visualize.border_contrast(maps)
    # 16 frame positions: channel 0 has 5 of them at 3, so (11 + 15) / 16 = 1.625 against 1 inside.
    np.testing.assert_allclose(contrast, [0.625, 0.0, -5 / 16], rtol=1e-6)
    with pytest.raises(ValueError, match="above 2"):
        visualize.border_contrast(np.ones((2, 2, 1)))


def test_upsample_keeps_a_flat_map_flat_and_resamples_to_the_size():
    stretched = visualize.upsample(np.full((2, 3, 3), 0.5, np.float32), 32)
    assert stretched.shape == (2, 32, 32)
    np.testing.assert_allclose(stretched, 0.5, atol=1e-6)


def cifar_like_chain():
    """The CIFAR-10 network's sliding windows: 2x2 valid, then three blocks conv, pool, conv."""
    stack = [keras.Input((32, 32, 3)), layers.Conv2D(2, 2, name="whiten")]
    for block in (1, 2, 3):
        stack += [layers.Conv2D(2, 3, padding="same", name=f"block{block}_conv1"),
                  layers.MaxPooling2D(2, name=f"block{block}_pool"),
                  layers.Activation("relu", name=f"block{block}_relu1"),
                  layers.Conv2D(2, 3, padding="same", name=f"block{block}_conv2")]
    return keras.Sequential(stack)


@pytest.mark.parametrize("layer_name, expected_centres", [
    # By hand: the 2x2 whitening sees pixels 0-1 (centre 0.5). Each 3x3 convolution widens a
    # field by one step on each side, so its centre stays; a 2x2 pooling's first window covers
    # positions 0-1, moving the first centre by half a step, and doubles the step.
    # block 1 pool: 0.5 + 0.5 = 1, step 2; block 2: 1 + 1 = 2, step 4; block 3: 2 + 2 = 4, step 8.
    ("block3_conv2", [4, 12, 20]),
    ("block2_conv2", [2, 6, 10, 14, 18, 22, 26]),
])
def test_a_single_position_is_drawn_at_its_receptive_field_centre(layer_name, expected_centres):
    model = cifar_like_chain()
    first, step = visualize.map_centres(model, layer_name)
    side = model.get_layer(layer_name).output.shape[1]
    assert side == len(expected_centres)
    photo = np.zeros((32, 32, 3), np.uint8)
    for row in range(side):
        for column in range(side):
            heatmap = np.zeros((side, side), np.float32)
            heatmap[row, column] = 1  # one active position
            drawn = plots.plot_heatmap_overlay(photo, heatmap, centres=(first, step)).get_array()
            plt.close("all")
            centre = (expected_centres[row], expected_centres[column])
            assert drawn[centre] == 1 and drawn.max() == 1, (row, column)
            if 0 < row < side - 1 and 0 < column < side - 1:  # beyond the outer centres the map is flat
                assert np.argwhere(drawn == 1).tolist() == [list(centre)], (row, column)
            placed = visualize.upsample(heatmap[None], 32, (first, step))[0]
            np.testing.assert_array_equal(placed, drawn)


def test_map_centres_lie_in_the_middle_of_the_pixels_that_move_the_position():
    # A second count, by experiment: light one pixel at a time and see which positions move.
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((16, 16, 1)), layers.Conv2D(2, 2, name="a"),
                              layers.Conv2D(2, 3, padding="same", name="b"),
                              layers.AveragePooling2D(2, name="c"), layers.Conv2D(2, 3, name="d")])
    pixels = np.eye(256, dtype=np.float32).reshape(-1, 16, 16, 1)
    maps = model.predict(np.concatenate([pixels, 0 * pixels[:1]]), verbose=0)
    response = np.abs(maps[:-1] - maps[-1]).sum(axis=-1)  # (pixels, h, w)
    first, step = visualize.map_centres(model, "d")
    for position in range(1, maps.shape[1] - 1):  # fields wholly inside the image
        moved = (response[:, position, position] > 1e-6).reshape(16, 16)
        rows = np.flatnonzero(moved.any(axis=1))
        assert (rows.min() + rows.max()) / 2 == first + position * step


# ------------------------------------------------------------------ Grad-CAM


def gap_model(seed=0):
    """Conv(1x1) -> global average pooling -> Dense softmax: its Grad-CAM is exactly its CAM."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((6, 6, 2)), layers.Conv2D(3, 1, name="features"),
                             layers.GlobalAveragePooling2D(name="pool"),
                             layers.Dense(4, activation="softmax", name="output")])


def test_grad_cam_equals_the_class_activation_map_of_a_pooling_model():
    model = gap_model()
    images = np.random.default_rng(0).normal(size=(5, 6, 6, 2)).astype(np.float32)
    kernel, bias = model.get_layer("features").get_weights()
    weights, dense_bias = model.get_layer("output").get_weights()
    features = images @ kernel[0, 0] + bias  # a 1x1 convolution is a matrix product per pixel
    predicted = np.argmax(features.mean(axis=(1, 2)) @ weights + dense_bias, axis=1)
    heatmaps, classes = visualize.grad_cam(model, images, "features")
    np.testing.assert_array_equal(classes, predicted)
    # Zhou et al.'s CAM: the class's output weights applied to the feature maps (logits, not softmax).
    expected = np.maximum(np.einsum("nhwk,kn->nhw", features, weights[:, predicted]), 0)
    expected /= expected.max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(heatmaps, expected, rtol=1e-4, atol=1e-5)
    other, classes = visualize.grad_cam(model, images, "features", class_indices=[0] * 5)
    assert list(classes) == [0] * 5 and not np.allclose(other, heatmaps)


def test_grad_cam_lights_up_only_what_the_class_looks_at():
    # Channel 0 of the image holds a square on the left, channel 1 one on the right; the
    # predicted class (0) depends on feature 0 only, so all the heat must be on the left.
    model = keras.Sequential([keras.Input((8, 8, 2)),
                              layers.Conv2D(2, 1, use_bias=False, name="features"),
                              layers.GlobalAveragePooling2D(name="pool"),
                              layers.Dense(2, activation="softmax", name="output")])
    model.get_layer("features").set_weights([np.eye(2, dtype=np.float32)[None, None]])
    model.get_layer("output").set_weights([np.array([[1.0, -1.0], [0.0, 0.0]], np.float32), np.zeros(2)])
    image = np.zeros((1, 8, 8, 2), np.float32)
    image[0, 2:6, 0:3, 0] = 1.0
    image[0, 2:6, 5:8, 1] = 1.0
    heatmaps, classes = visualize.grad_cam(model, image, "features")
    assert classes[0] == 0
    assert heatmaps[0, :, :4].sum() > 0 and heatmaps[0, :, 4:].sum() == 0
    assert heatmaps.max() == pytest.approx(1.0)


def test_grad_cam_rejects_bad_requests():
    model = gap_model()
    images = np.zeros((2, 6, 6, 2), np.float32)
    with pytest.raises(ValueError, match="output layer"):
        visualize.grad_cam(model, images, "output")
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        visualize.grad_cam(model, images, "features", class_indices=[1, 2, 3])
    with pytest.raises(ValueError, match=r"\(N, 6, 6, 2\)"):
        visualize.grad_cam(model, images[..., :1], "features")


def recipe_like_head(seed=0):
    """Conv(1x1) -> global MAX pooling -> Dense without bias -> Rescaling -> softmax, as the recipes end."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((6, 6, 2)), layers.Conv2D(3, 1, name="features"),
                             layers.Activation("relu", name="relu"),
                             layers.GlobalMaxPooling2D(name="pool"), layers.Dense(4, use_bias=False, name="logits"),
                             layers.Rescaling(1 / 9, name="scale"), layers.Activation("softmax", name="output")])


def test_class_activation_maps_are_grad_cam_at_the_layer_before_global_pooling():
    images = np.random.default_rng(1).normal(size=(6, 6, 6, 2)).astype(np.float32)
    for model, layer in [(gap_model(), "features"), (recipe_like_head(), "relu")]:
        heatmaps, classes = visualize.grad_cam(model, images, layer)
        cams = visualize.class_activation_maps(model, images, layer, classes)
        assert cams.shape == (6, 6, 6) and cams.max() == pytest.approx(1.0)
        np.testing.assert_allclose(cams, heatmaps, rtol=1e-4, atol=1e-5)


def test_class_activation_maps_need_a_global_pooling_head():
    model = recipe_like_head()
    images = np.zeros((2, 6, 6, 2), np.float32)
    with pytest.raises(ValueError, match="followed by global pooling"):
        visualize.class_activation_maps(model, images, "features", [0, 1])  # a ReLU comes first
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        visualize.class_activation_maps(model, images, "relu", [0])


def corner_model():
    """Class 0's probability grows with the brightness of the top-left 4x4 corner, and nothing else."""
    model = keras.Sequential([keras.Input((8, 8, 1), dtype="uint8"), layers.Rescaling(1 / 255),
                              layers.Cropping2D(((0, 4), (0, 4))), layers.GlobalAveragePooling2D(),
                              layers.Dense(2, activation="softmax", name="output")])
    model.get_layer("output").set_weights([np.array([[4.0, -4.0]], np.float32), np.zeros(2, np.float32)])
    return model


def test_occlusion_lowers_the_class_only_where_the_model_looks():
    model, image = corner_model(), np.full((8, 8, 1), 255, np.uint8)
    drops, probability = visualize.occlusion_sensitivity(model, image, 0, patch_size=2, stride=2, fill=0)
    assert drops.shape == (8, 8) and drops.dtype == np.float32
    assert probability == pytest.approx(1 / (1 + np.exp(-8)), rel=1e-5)
    assert np.all(drops[:4, :4] > 0) and np.all(drops[4:, :] == 0) and np.all(drops[:, 4:] == 0)
    hidden = image.copy()
    hidden[:2, :2] = 0  # the one square that covers pixel (0, 0)
    expected = probability - model.predict(hidden[None], verbose=0)[0, 0]
    assert drops[0, 0] == pytest.approx(expected, rel=1e-5)


def test_occlusion_rejects_a_patch_larger_than_the_image():
    with pytest.raises(ValueError, match="patch_size must be 1..8"):
        visualize.occlusion_sensitivity(corner_model(), np.zeros((8, 8, 1), np.uint8), 0, patch_size=9)
    with pytest.raises(ValueError, match=r"\(N, 8, 8, 1\)"):
        visualize.occlusion_sensitivity(corner_model(), np.zeros((8, 8), np.uint8), 0)


def test_cam_from_gradients_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(1, 2, 2, 3\) and \(1, 2, 2, 4\)"):
        visualize.cam_from_gradients(np.zeros((1, 2, 2, 3)), np.zeros((1, 2, 2, 4)))


def deeper_model():
    """Grad-CAM at "features" passes a convolution, ReLU and pooling: gradients differ per position."""
    return keras.Sequential([keras.Input((8, 8, 2)), layers.Conv2D(3, 3, padding="same", name="features"),
                             layers.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
                             layers.MaxPooling2D(2, name="pool"), layers.GlobalAveragePooling2D(name="gap"),
                             layers.Dense(3, activation="softmax", name="output")])


OTHER_BACKEND_SCRIPT = """
import sys
import numpy as np
from cnnlab import visualize
from cnnlab.runtime import backend
from tests.test_visualize import deeper_model

stored = np.load(sys.argv[1])
model = deeper_model()
model.set_weights([stored[f"w{index}"] for index in range(len(model.weights))])
heatmaps, classes = visualize.grad_cam(model, stored["images"], "features")
maps = visualize.feature_maps(model, stored["images"][0], ["features", "pool"])
np.savez(sys.argv[2], heatmaps=heatmaps, classes=classes, features=maps["features"], pool=maps["pool"],
         backend=backend)
"""


def test_grad_cam_and_feature_maps_agree_on_the_tensorflow_and_jax_backends(tmp_path):
    # The same weights in a second Python process on the other backend: two computations of
    # the same numbers, by TensorFlow's GradientTape and by jax.grad.
    other = {"tensorflow": "jax", "jax": "tensorflow"}[runtime.backend]
    if importlib.util.find_spec(other) is None:
        pytest.skip(f"{other} is not installed (make test-jax installs jax)")
    keras.utils.set_random_seed(5)
    model = deeper_model()
    images = np.random.default_rng(6).normal(size=(4, 8, 8, 2)).astype(np.float32)
    np.savez(tmp_path / "in.npz", images=images,
             **{f"w{index}": weight for index, weight in enumerate(model.get_weights())})
    environment = {**os.environ, "KERAS_BACKEND": other, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", OTHER_BACKEND_SCRIPT, str(tmp_path / "in.npz"),
                             str(tmp_path / "out.npz")], capture_output=True, text=True, env=environment,
                            cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    theirs = np.load(tmp_path / "out.npz")
    assert str(theirs["backend"]) == other
    heatmaps, classes = visualize.grad_cam(model, images, "features")
    maps = visualize.feature_maps(model, images[0], ["features", "pool"])
    assert heatmaps.shape == (4, 8, 8) and heatmaps.max() == pytest.approx(1.0)
    assert len(np.unique(np.round(heatmaps, 3))) > 10  # a map with real structure, not one flat value
    np.testing.assert_array_equal(theirs["classes"], classes)
    np.testing.assert_allclose(theirs["heatmaps"], heatmaps, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(theirs["features"], maps["features"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(theirs["pool"], maps["pool"], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ plots


def test_plot_filters_draws_each_filter_on_one_signed_scale():
    kernel = np.random.default_rng(2).normal(size=(3, 3, 1, 6)).astype(np.float32)
    axes = visualize.plot_filters(kernel, ncols=4)
    assert len(axes) == 6 and [ax.get_title() for ax in axes] == [str(index) for index in range(6)]
    artist = axes[3].get_images()[0]
    np.testing.assert_allclose(artist.get_array(), visualize.filter_images(kernel)[3])
    assert artist.get_clim() == (-1, 1)


def test_plot_filters_states_the_shared_scale_of_colour_filters():
    kernel = np.zeros((2, 2, 3, 4), np.float32)
    kernel[0, 0, 0, 2] = -3.0
    axes = visualize.plot_filters(kernel, ncols=4)
    assert [ax.get_title() for ax in axes] == ["0", "1", "2", "3"]
    np.testing.assert_allclose(axes[2].get_images()[0].get_array()[0, 0], [0.0, 0.5, 0.5])
    assert "mid grey = 0" in axes[0].figure.get_suptitle() and "-3 to +3" in axes[0].figure.get_suptitle()


def test_plot_layer_maps_draws_one_row_per_layer(small_mnist_model):
    maps = visualize.feature_maps(small_mnist_model, random_digits(1)[0], ["block1_relu", "block3_relu"])
    drawn = visualize.plot_layer_maps(maps, max_channels=3)
    assert list(drawn) == ["block1_relu", "block3_relu"] and [len(axes) for axes in drawn.values()] == [3, 3]
    np.testing.assert_allclose(drawn["block3_relu"][2].get_images()[0].get_array(), maps["block3_relu"][..., 2])


def test_plot_top_patches_puts_each_channel_on_its_own_row():
    patches = {3: np.zeros((5, 8, 8, 1), np.uint8), 7: np.full((5, 8, 8, 1), 9, np.uint8)}
    axes = visualize.plot_top_patches(patches)
    assert len(axes) == 10 and axes[0].get_title() == "channel 3" and axes[5].get_title() == "channel 7"
    assert axes[6].get_images()[0].get_array().max() == 9
    with pytest.raises(ValueError, match="same number"):
        visualize.plot_top_patches({0: np.zeros((2, 4, 4)), 1: np.zeros((3, 4, 4))})


def test_plot_grad_cam_shows_photo_heat_map_and_overlay_with_one_colour_bar():
    images = np.zeros((3, 32, 32, 3), np.uint8)
    heatmaps = np.random.default_rng(3).random((3, 8, 8)).astype(np.float32)
    drawn = visualize.plot_grad_cam(images, heatmaps, titles=["a", "b", "c"], title_colors=["red"] * 3, ncols=2,
                                    centres=(2, 4))
    assert [len(drawn[key]) for key in ("photos", "heatmaps", "overlays")] == [3, 3, 3]
    assert drawn["photos"][2].get_title() == "c" and drawn["heatmaps"][2].get_title() == "heat map"
    np.testing.assert_array_equal(drawn["photos"][1].get_images()[0].get_array(), images[1])
    np.testing.assert_allclose(drawn["heatmaps"][1].get_images()[0].get_array(), heatmaps[1])
    background, heat = drawn["overlays"][1].get_images()
    np.testing.assert_array_equal(background.get_array(), images[1])
    # Cell (i, j) of the 8x8 map is centred on pixel (2 + 4i, 2 + 4j) of the 32x32 photo.
    np.testing.assert_allclose(heat.get_array()[2::4, 2::4], heatmaps[1], rtol=1e-6)
    assert drawn["colorbar"].mappable.get_clim() == (0, 1)
    with pytest.raises(ValueError, match="heat maps"):
        visualize.plot_grad_cam(images, heatmaps[:2])


def test_plot_helpers_pass_imshow_options_through():
    kernel = np.random.default_rng(4).normal(size=(3, 3, 1, 4)).astype(np.float32)
    assert visualize.plot_filters(kernel, cmap="gray")[0].get_images()[0].get_cmap().name == "gray"
    maps = {"layer": np.random.default_rng(5).random((4, 4, 2)).astype(np.float32)}
    drawn = visualize.plot_layer_maps(maps, max_channels=2, cmap="magma")
    assert drawn["layer"][1].get_images()[0].get_cmap().name == "magma"
    images, heatmaps = np.zeros((1, 8, 8, 3), np.uint8), np.full((1, 2, 2), 0.5, np.float32)
    heat = visualize.plot_grad_cam(images, heatmaps, vmax=2)["overlays"][0].get_images()[1]
    assert heat.get_clim() == (0, 2)  # vmin keeps its default, vmax is the caller's
