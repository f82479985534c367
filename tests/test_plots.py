"""cnnlab.plots: what each helper draws, read back from the Matplotlib artists."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import same_color, to_rgba  # noqa: E402

from cnnlab import evaluation, plots  # noqa: E402

CLASS_NAMES = ["cat", "dog", "frog"]


pytestmark = pytest.mark.usefixtures("close_figures")  # tests/conftest.py


def wcag_contrast(color_a, color_b):
    """Reference: WCAG 2 contrast ratio of two colours, from 1 (none) to 21."""
    def luminance(color):
        rgb = np.array(to_rgba(color)[:3])
        linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(color_a), luminance(color_b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def label_colors(pixel_labels):
    """The text colour of every pixel label, shape (H, W), as "black" / "white"."""
    rgba = pixel_labels.get_facecolor()
    names = np.where(rgba[:, 0] > 0.5, "white", "black")
    return names.reshape(pixel_labels.labels.shape)


def random_images(count, shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (count, *shape), dtype=np.uint8)


# ------------------------------------------------------------------ plot_image


def test_show_image_grayscale_and_single_channel():
    image = random_images(1, (6, 5))[0]
    artist = plots.plot_image(image, title="digit")
    assert artist.get_cmap().name == "gray"
    assert artist.get_clim() == (0, 255)  # uint8 on its full range, not stretched
    np.testing.assert_array_equal(artist.get_array(), image)
    assert artist.axes.get_title() == "digit"
    assert len(artist.axes.get_xticks()) == 0 and len(artist.axes.get_yticks()) == 0
    column = plots.plot_image(image[..., None])
    np.testing.assert_array_equal(column.get_array(), image)


def test_show_image_rgb_is_shown_as_is():
    image = random_images(1, (4, 4, 3))[0]
    artist = plots.plot_image(image)
    np.testing.assert_array_equal(artist.get_array(), image)


def test_show_image_signed_values_get_symmetric_diverging_map():
    artist = plots.plot_image(np.array([[-3.0, 1.0], [0.5, 2.0]], dtype=np.float32))
    assert artist.get_cmap().name == plots.DIVERGING_CMAP
    assert artist.get_clim() == (-3.0, 3.0)


def test_show_image_ax_and_kwargs():
    fig, ax = plt.subplots()
    figures_before = len(plt.get_fignums())
    artist = plots.plot_image(np.zeros((3, 3)), ax=ax, cmap="viridis", vmax=7)
    assert artist.axes is ax and list(ax.images) == [artist]
    assert len(plt.get_fignums()) == figures_before  # drew into ax, no new figure
    assert artist.get_cmap().name == "viridis" and artist.get_clim()[1] == 7
    plots.plot_image(np.zeros((3, 3)))
    assert len(plt.get_fignums()) == figures_before + 1  # ax=None: a new figure


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 3, 4)), r"shape \(2, 3, 4\)"),
    (np.full((2, 2, 3), 1.5, dtype=np.float32), r"0\.\.1\.0"),
    (np.full((2, 2, 3), 300), r"0\.\.255"),
])
def test_show_image_rejects_bad_input(bad, message):
    with pytest.raises(ValueError, match=message):
        plots.plot_image(bad)


# ------------------------------------------------------------------ plot_image_grid


def test_image_grid_layout_titles_and_colors():
    images = random_images(10, (5, 5))
    titles = [f"image {index}" for index in range(10)]
    colors = ["red", "green"] * 5
    axes = plots.plot_image_grid(images, titles=titles, ncols=4, title_colors=colors)
    assert len(axes) == 10
    figure_axes = axes[0].figure.axes
    assert len(figure_axes) == 12  # 3 rows of 4
    assert [ax.axison for ax in figure_axes[10:]] == [False, False]  # unused panels hidden
    for index, ax in enumerate(axes):
        assert len(ax.images) == 1
        np.testing.assert_array_equal(ax.images[0].get_array(), images[index])
        assert ax.get_title() == titles[index]
        assert same_color(ax.title.get_color(), colors[index])


@pytest.mark.parametrize("shape", [(3, 4, 4), (3, 4, 4, 1), (3, 4, 4, 3)])
def test_image_grid_shapes_fig_and_kwargs(shape):
    fig = plt.figure()
    axes = plots.plot_image_grid(random_images(1, shape)[0], fig=fig, interpolation="nearest")
    assert len(axes) == 3 and all(ax.figure is fig for ax in axes)
    assert len(fig.axes) == 3  # ncols shrinks to the number of images
    assert all(ax.images[0].get_interpolation() == "nearest" for ax in axes)


def test_image_grid_errors():
    with pytest.raises(ValueError, match="titles has 1 entries for 2 images"):
        plots.plot_image_grid(np.zeros((2, 3, 3)), titles=["one"])
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        plots.plot_image_grid(np.zeros((2, 3)))


@pytest.mark.parametrize("shape", [(32, 32, 3), (28, 28, 1), (600, 512, 3), (28, 28)])
def test_image_grid_refuses_one_image_instead_of_a_batch(shape):
    with pytest.raises(ValueError) as caught:  # x_train[0] used to become 32 strips of 32x3 pixels
        plots.plot_image_grid(np.zeros(shape, np.uint8))
    message = str(caught.value)
    assert f"shape {shape}" in message and "one image" in message and "np.newaxis" in message
    assert plt.get_fignums() == []  # refused before any figure is made


@pytest.mark.parametrize("shape", [(32, 3, 3), (2, 3, 3), (5, 2, 2, 1)])
def test_image_grid_still_takes_batches_of_small_images(shape):
    assert len(plots.plot_image_grid(np.zeros(shape))) == shape[0]  # e.g. 32 kernels of 3x3


def test_image_grid_caps_thousands_of_images_with_a_warning():
    images = np.zeros((5_000, 4, 4), np.uint8)
    titles = [str(index) for index in range(5_000)]
    with pytest.warns(UserWarning, match=f"first {plots.MAX_GRID_IMAGES} of 5000 images"):
        axes = plots.plot_image_grid(images, titles=titles)
    assert len(axes) == plots.MAX_GRID_IMAGES
    assert axes[-1].get_title() == str(plots.MAX_GRID_IMAGES - 1)
    width, height = axes[0].figure.get_size_inches()
    assert height <= plots.PANEL_INCHES * 1.15 * (-(-plots.MAX_GRID_IMAGES // 8))


# ------------------------------------------------------------- plot_pixel_values


def test_annotate_pixels_labels_every_pixel_with_its_integer_value():
    image = random_images(1, (28, 28))[0]
    artist, pixel_labels = plots.plot_pixel_values(image)
    assert pixel_labels in artist.axes.collections
    assert len(pixel_labels.get_paths()) == 28 * 28
    np.testing.assert_array_equal(pixel_labels.labels, image.astype(str))
    rows, columns = np.indices(image.shape)
    np.testing.assert_array_equal(pixel_labels.get_offsets(), np.column_stack([columns.ravel(), rows.ravel()]))


def test_annotate_pixels_text_contrasts_with_displayed_gray():
    gradient = np.tile(np.arange(256, dtype=np.uint8), (2, 1))
    artist, pixel_labels = plots.plot_pixel_values(gradient)
    colors = label_colors(pixel_labels)[0]
    assert colors[0] == "white" and colors[255] == "black"
    assert np.all(colors[:np.argmax(colors == "black")] == "white")  # one switch, dark to light
    for value in range(256):  # the chosen colour is never the less readable one
        background = artist.cmap(artist.norm(value))
        other = "black" if colors[value] == "white" else "white"
        assert wcag_contrast(colors[value], background) >= wcag_contrast(other, background)


def test_annotate_pixels_text_follows_the_colormap_not_the_value():
    gradient = np.tile(np.arange(0, 256, 15, dtype=np.uint8), (2, 1))
    _, pixel_labels = plots.plot_pixel_values(gradient, cmap="gray_r")
    colors = label_colors(pixel_labels)[0]
    assert colors[0] == "black" and colors[-1] == "white"  # 0 is displayed white here


def test_annotate_pixels_signed_floats():
    patch = np.array([[-4.0, -0.5], [0.0, 4.0]], dtype=np.float32)
    artist, pixel_labels = plots.plot_pixel_values(patch, fmt=".1f")
    assert artist.get_cmap().name == plots.DIVERGING_CMAP and artist.get_clim() == (-4.0, 4.0)
    np.testing.assert_array_equal(pixel_labels.labels, [["-4.0", "-0.5"], ["0.0", "4.0"]])
    colors = label_colors(pixel_labels)
    assert colors[0, 0] == "white" and colors[1, 1] == "white"  # dark blue, dark red
    assert colors[1, 0] == "black"  # white centre of the colormap
    _, default_format = plots.plot_pixel_values(np.array([[0.25, -1234.5]]))
    assert default_format.labels.tolist() == [[format(0.25, plots.FLOAT_FORMAT), format(-1234.5, plots.FLOAT_FORMAT)]]


def test_annotate_pixels_fontsize():
    fig = plt.figure(figsize=(8, 8))
    image = np.full((28, 28), 255, dtype=np.uint8)
    artist, pixel_labels = plots.plot_pixel_values(image, ax=fig.add_subplot())
    box = artist.axes.get_window_extent()
    pixel_points = box.width / 28 * 72 / fig.dpi
    width = pixel_labels.get_paths()[0].get_extents().width  # every pixel shows "255"
    assert 0.5 * pixel_points < width <= pixel_points  # fits its pixel and is not tiny
    _, small = plots.plot_pixel_values(np.array([[1]]), fontsize=10)
    _, large = plots.plot_pixel_values(np.array([[1]]), fontsize=20)
    assert small.fontsize == 10
    height_ratio = large.get_paths()[0].get_extents().height / small.get_paths()[0].get_extents().height
    assert height_ratio == pytest.approx(2.0, rel=0.01)


def test_annotate_pixels_labels_are_rendered():
    def rendered(draw):
        fig = plt.figure(figsize=(1, 1))
        draw(np.zeros((3, 3), dtype=np.uint8), fig.add_axes((0, 0, 1, 1)))
        fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba())[..., :3]
    assert rendered(lambda image, ax: plots.plot_image(image, ax=ax)).max() == 0  # black image
    assert rendered(lambda image, ax: plots.plot_pixel_values(image, ax=ax)).max() > 200  # white "0"s


@pytest.mark.parametrize("dpi", [100, 200])
def test_annotate_pixels_label_size_and_place_on_screen(dpi):
    fig = plt.figure(figsize=(1, 1), dpi=100)
    _, pixel_labels = plots.plot_pixel_values(np.zeros((1, 1), dtype=np.uint8), ax=fig.add_axes((0, 0, 1, 1)),
                                            fontsize=30)
    fig.set_dpi(dpi)  # sizes are in points: the label must scale with the dpi used when drawing
    fig.canvas.draw()
    bright_rows, bright_columns = np.nonzero(np.asarray(fig.canvas.buffer_rgba())[..., 0] > 128)
    outline = pixel_labels.get_paths()[0].get_extents()  # in points
    expected_width, expected_height = outline.width * dpi / 72, outline.height * dpi / 72
    assert np.ptp(bright_columns) + 1 == pytest.approx(expected_width, abs=2)
    assert np.ptp(bright_rows) + 1 == pytest.approx(expected_height, abs=2)
    centre = dpi / 2  # the one pixel fills the whole 1-inch figure
    assert (bright_columns.min() + bright_columns.max()) / 2 == pytest.approx(centre, abs=2)
    assert (bright_rows.min() + bright_rows.max()) / 2 == pytest.approx(centre, abs=2)


def test_annotate_pixels_rejects_rgb():
    with pytest.raises(ValueError, match="one channel"):
        plots.plot_pixel_values(np.zeros((3, 3, 3), dtype=np.uint8))


# ----------------------------------------------------------------- plot_kernel


def test_show_kernel_sobel():
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    artist = plots.plot_kernel(sobel_x)
    pixel_labels = artist.axes.collections[0]
    np.testing.assert_array_equal(pixel_labels.labels, sobel_x.astype(str))
    assert artist.get_cmap().name == plots.DIVERGING_CMAP and artist.get_clim() == (-2, 2)
    np.testing.assert_allclose(artist.cmap(artist.norm(0)), artist.cmap(0.5))  # 0 is the centre


def test_show_kernel_positive_kernel_still_centred_and_kwargs():
    artist = plots.plot_kernel(np.full((3, 3), 1 / 9, dtype=np.float32), cmap="PuOr", fmt=".2f")
    assert artist.get_clim() == pytest.approx((-1 / 9, 1 / 9))
    assert artist.get_cmap().name == "PuOr"
    assert artist.axes.collections[0].labels[0, 0] == "0.11"
    with pytest.raises(ValueError, match=r"kernel\[:, :, 0, 0\]"):
        plots.plot_kernel(np.zeros((3, 3, 1, 8)))


# ---------------------------------------------------------------- plot_rgb_channels


def test_plot_rgb_channels():
    image = random_images(1, (4, 5, 3))[0]
    axes = plots.plot_rgb_channels(image)
    assert [ax.get_title() for ax in axes] == ["R channel", "G channel", "B channel"]
    for channel, ax in enumerate(axes):
        np.testing.assert_array_equal(ax.images[0].get_array(), image[..., channel])
        assert ax.images[0].get_cmap().name == "gray" and ax.images[0].get_clim() == (0, 255)


def test_rgb_channels_tint_axes_and_errors():
    fig, axes = plt.subplots(1, 3)
    drawn = plots.plot_rgb_channels(np.ones((2, 2, 3), dtype=np.float32), axes=axes, tint=True)
    assert list(drawn) == list(axes)
    for ax, primary in zip(axes, ["red", "lime", "blue"]):
        cmap = ax.images[0].get_cmap()
        assert same_color(cmap(1.0), primary) and same_color(cmap(0.0), "black")
        assert ax.images[0].get_clim() == (0, 1.0)
    with pytest.raises(ValueError, match="needs 3 axes; got 2"):
        plots.plot_rgb_channels(np.zeros((2, 2, 3)), axes=axes[:2])
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        plots.plot_rgb_channels(np.zeros((2, 2)))


# ---------------------------------------------------------------- feature_maps


def test_feature_maps_one_panel_per_channel():
    maps = np.random.default_rng(1).random((5, 6, 10), dtype=np.float32)
    axes = plots.plot_feature_maps(maps, ncols=4, cmap="viridis")
    assert len(axes) == 10 and axes[3].get_title() == "channel 3"
    for channel, ax in enumerate(axes):
        np.testing.assert_array_equal(ax.images[0].get_array(), maps[..., channel])
        assert ax.images[0].get_cmap().name == "viridis"
    assert len(plots.plot_feature_maps(maps, max_channels=4)) == 4


def test_feature_maps_rejects_batch():
    with pytest.raises(ValueError, match=r"maps\[0\]"):
        plots.plot_feature_maps(np.zeros((1, 5, 5, 3)))


# ------------------------------------------------------------ plot_training_history


HISTORY = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.7, 0.6],
           "accuracy": [0.6, 0.8, 0.9], "val_accuracy": [0.5, 0.7, 0.75]}


class FakeHistory:
    """Stands in for keras.callbacks.History: only .history is used."""
    history = HISTORY


@pytest.mark.parametrize("history", [HISTORY, FakeHistory()])
def test_training_history_curves(history):
    axes = plots.plot_training_history(history, marker="o")
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
    for ax, metric in zip(axes, ["loss", "accuracy"]):
        train, validation = ax.get_lines()
        np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])  # epochs count from 1
        np.testing.assert_array_equal(train.get_ydata(), HISTORY[metric])
        np.testing.assert_array_equal(validation.get_ydata(), HISTORY[f"val_{metric}"])
        assert train.get_marker() == "o"
        assert [text.get_text() for text in ax.get_legend().get_texts()] == ["train", "validation"]
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == metric


def test_training_history_without_validation_and_given_axes():
    fig, ax = plt.subplots()
    axes = plots.plot_training_history({"loss": [1.0, 0.5]}, metrics="loss", axes=ax)
    assert axes == [ax] and len(ax.get_lines()) == 1


def test_training_history_errors():
    with pytest.raises(ValueError, match=r"no \['accuracy'\].*\['loss'\]"):
        plots.plot_training_history({"loss": [1.0]})
    with pytest.raises(TypeError, match="list"):
        plots.plot_training_history([1.0, 0.5])


# ------------------------------------------------- predictions and mistakes


def test_predictions_grid_titles_and_colors():
    images = random_images(4, (5, 5, 3))
    y_true = np.array([0, 1, 2, 1])
    y_pred = np.eye(3)[[0, 2, 2, 0]]  # one-hot predictions, two wrong
    axes = plots.plot_predictions(images, y_true, y_pred, CLASS_NAMES, ncols=2)
    # The tick or cross tells right from wrong without relying on colour.
    right, wrong = plots.RIGHT_MARK, plots.WRONG_MARK
    assert [ax.get_title() for ax in axes] == [f"{right} cat (cat)", f"{wrong} frog (dog)", f"{right} frog (frog)",
                                               f"{wrong} cat (dog)"]
    expected = [plots.RIGHT_COLOR, plots.WRONG_COLOR, plots.RIGHT_COLOR, plots.WRONG_COLOR]
    assert [same_color(ax.title.get_color(), color) for ax, color in zip(axes, expected)] == [True] * 4


def test_predictions_grid_errors():
    with pytest.raises(ValueError, match="2 images, 3 true labels and 3 predictions"):
        plots.plot_predictions(np.zeros((2, 4, 4)), [0, 1, 2], [0, 1, 2], CLASS_NAMES)
    with pytest.raises(ValueError, match="y_pred contains label 5"):
        plots.plot_predictions(np.zeros((1, 4, 4)), [0], [5], CLASS_NAMES)


def test_misclassified_shows_only_mistakes():
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 3, 40)
    y_pred = np.where(rng.random(40) < 0.6, y_true, (y_true + 1) % 3)
    images = random_images(40, (4, 4))
    wrong = evaluation.misclassified_indices(y_true, y_pred)
    axes = plots.plot_misclassified(images, y_true, y_pred, CLASS_NAMES, max_images=100)
    assert len(axes) == len(wrong)
    for ax, index in zip(axes, wrong):
        np.testing.assert_array_equal(ax.images[0].get_array(), images[index])
        assert ax.get_title() == f"{plots.WRONG_MARK} {CLASS_NAMES[y_pred[index]]} ({CLASS_NAMES[y_true[index]]})"
        assert same_color(ax.title.get_color(), plots.WRONG_COLOR)
    assert len(plots.plot_misclassified(images, y_true, y_pred, CLASS_NAMES, max_images=5)) == 5


def test_misclassified_says_when_there_are_none():
    fig = plt.figure()
    axes = plots.plot_misclassified(np.zeros((3, 4, 4)), [0, 1, 2], [0, 1, 2], CLASS_NAMES, fig=fig)
    assert axes == [] and fig.axes == []
    assert [text.get_text() for text in fig.texts] == [plots.NO_MISTAKES_TEXT.format(count=3)]


# ------------------------------------------------------------ confusion_matrix


def test_confusion_matrix_plot_annotations_equal_counts():
    rng = np.random.default_rng(3)
    matrix = evaluation.confusion_matrix(rng.integers(0, 3, 200), rng.integers(0, 3, 200), 3)
    artist = plots.plot_confusion_matrix(matrix, CLASS_NAMES)
    ax = artist.axes
    np.testing.assert_array_equal(artist.get_array(), matrix)
    np.testing.assert_array_equal(ax.collections[0].labels.astype(int), matrix)
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    assert [label.get_text() for label in ax.get_xticklabels()] == CLASS_NAMES
    assert [label.get_text() for label in ax.get_yticklabels()] == CLASS_NAMES
    assert ax.get_xticklabels()[0].get_rotation() == 45
    assert artist.get_cmap().name == plots.CONFUSION_CMAP


def test_confusion_matrix_scale_is_set_by_the_mistakes():
    matrix = np.array([[980, 3, 1], [2, 1000, 7], [0, 4, 990]])
    artist = plots.plot_confusion_matrix(matrix, CLASS_NAMES)
    assert artist.get_clim() == (0, 7)  # the largest off-diagonal count, not 1000
    perfect = plots.plot_confusion_matrix(np.diag([5, 5, 5]), CLASS_NAMES)
    assert perfect.get_clim() == (0, 5)  # no mistakes at all: the diagonal sets the scale


def test_confusion_matrix_normalized_rows_and_kwargs():
    matrix = np.array([[3, 1, 0], [0, 0, 0], [1, 1, 2]])
    artist = plots.plot_confusion_matrix(matrix, CLASS_NAMES, normalize=True, cmap="Greens")
    fractions = artist.get_array()
    np.testing.assert_allclose(fractions[[0, 2]].sum(axis=1), [1.0, 1.0])
    np.testing.assert_array_equal(fractions[1], [0, 0, 0])  # class never seen: zeros, no NaN
    assert artist.axes.collections[0].labels[0].tolist() == ["0.75", "0.25", "0.00"]
    # The scale tops out at the largest mistake (0.25), so the errors are not washed out by the diagonal.
    assert artist.get_cmap().name == "Greens" and artist.get_clim() == (0.0, 0.25)
    with pytest.raises(ValueError, match="3 classes but class_names has 2"):
        plots.plot_confusion_matrix(matrix, CLASS_NAMES[:2])


# ------------------------------------------------------------- plot_heatmap_overlay


def test_heatmap_overlay_draws_the_heatmap_at_the_image_pixels():
    image = random_images(1, (32, 32, 3))[0]
    heatmap = np.random.default_rng(4).random((7, 7), dtype=np.float32)
    fig, ax = plt.subplots()
    layer = plots.plot_heatmap_overlay(image, heatmap, ax=ax, cmap="magma")
    assert len(ax.images) == 2 and ax.images[1] is layer
    assert layer.get_extent() == ax.images[0].get_extent()
    assert layer.get_alpha() == 0.4 and layer.get_cmap().name == "magma"
    assert layer.get_array().shape == (32, 32)
    with pytest.raises(ValueError, match=r"\(h, w\)"):
        plots.plot_heatmap_overlay(image, np.zeros((7, 7, 1)))


def test_place_heatmap_puts_each_cell_at_its_centre_and_interpolates_between():
    heatmap = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)
    # Cell centres at pixels 1 and 5 (first 1, step 4) on an 8-pixel image, worked out by hand.
    placed = plots.place_heatmap(heatmap, (8, 8), centres=(1, 4))
    assert placed.shape == (8, 8) and placed.dtype == np.float32
    assert placed[1, 1] == 0 and placed[1, 5] == 1 and placed[5, 1] == 2 and placed[5, 5] == 3
    np.testing.assert_allclose(placed[1, :], [0, 0, 0.25, 0.5, 0.75, 1, 1, 1])  # flat beyond the centres
    np.testing.assert_allclose(placed[3, 3], 1.5)  # halfway in both directions
    # Without centres the cells are spread evenly: 2 cells over 8 pixels are centred at 1.5 and 5.5.
    even = plots.place_heatmap(heatmap, (8, 8))
    np.testing.assert_allclose(even[:, 0], [0, 0, 0.25, 0.75, 1.25, 1.75, 2, 2])
    with pytest.raises(ValueError, match="step above 0"):
        plots.place_heatmap(heatmap, (8, 8), centres=(1, 0))


# --------------------------------------------------- plot_signed, outline_windows, kernel_tensor, as_jpeg


def test_show_signed_is_centred_on_zero_with_a_colour_bar():
    values = np.array([[-2.0, 0.0], [1.0, 8.0]])
    image_artist = plots.plot_signed(values, label="response")
    assert image_artist.get_cmap().name == plots.DIVERGING_CMAP and image_artist.get_clim() == (-8.0, 8.0)
    figure = image_artist.axes.figure
    (colorbar_axes,) = [ax for ax in figure.axes if ax is not image_artist.axes]
    assert colorbar_axes.get_ylabel() == "response"
    # Red means positive, blue negative, as in every other signed figure.
    red, _, blue, _ = image_artist.cmap(image_artist.norm(8.0))
    assert red > 0.3 > blue
    clipped = plots.plot_signed(values, limit=2.0)
    assert clipped.get_clim() == (-2.0, 2.0) and clipped.colorbar.extend == "both"
    assert not plots.plot_signed(np.ones((2, 2)), colorbar=False).axes.figure.axes[1:]


def test_outline_windows_draws_one_box_per_pooling_window():
    _, ax = plt.subplots()
    boxes = plots.plot_windows((4, 4), 2, ax=ax)
    assert len(boxes) == 4 == len({box.get_edgecolor() for box in boxes})
    corners = [tuple(np.round(np.add(box.get_xy(), 0.5 - plots.WINDOW_INSET), 6)) for box in boxes]
    assert corners == [(0, 0), (2, 0), (0, 2), (2, 2)]  # (x, y) of each window's top-left pixel
    assert len(plots.plot_windows((5, 5), 3, stride=1, ax=ax)) == 9
    own = plots.plot_windows((5, 5), 2)  # the odd last row and column fit no window
    assert len(own) == 4 and own[0].axes is not ax and own[0].axes.get_ylim() == (4.5, -0.5)


def test_kernel_tensor_has_filters_as_columns_and_channels_as_rows():
    kernels = np.arange(2 * 2 * 3 * 4).reshape(2, 2, 3, 4) - 20
    axes = plots.plot_kernel_tensor(kernels)
    assert axes.shape == (3, 4)
    for channel in range(3):
        for index in range(4):
            image_artist = axes[channel, index].images[0]
            np.testing.assert_array_equal(image_artist.get_array(), kernels[:, :, channel, index])
            assert image_artist.get_clim() == (-27, 27)  # one scale for all panels
    assert axes[0, 3].get_title() == "filter 3" and axes[2, 0].get_ylabel() == "channel 2"
    with pytest.raises(ValueError, match="kh, kw, C_in, F"):
        plots.plot_kernel_tensor(kernels[..., 0])


def test_as_jpeg_is_much_smaller_than_a_png_of_a_photo_and_closes_the_figure():
    import io

    photo = np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    photo = np.cumsum(photo, axis=1) // np.arange(1, 301)[None, :, None]  # smooth it, like a photo
    fig, ax = plt.subplots()
    plots.plot_image(photo.astype(np.uint8), ax=ax)
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=plots.JPEG_DPI)
    jpeg = plots.as_jpeg(fig)
    assert jpeg.format == "jpeg" and jpeg.data[:2] == b"\xff\xd8"  # the JPEG start-of-image marker
    assert len(jpeg.data) < len(png.getvalue()) / 2
    assert not plt.fignum_exists(fig.number)


def test_plot_ladder_draws_each_rung_in_percent_with_noise_bars_and_written_values():
    fig, ax = plt.subplots()
    drawn = plots.plot_ladder(["plain", "+ batch norm", "recipe"], [0.98, 0.985, 0.995], 0.002, ax=ax)
    dots, _, (bars,) = drawn.lines
    np.testing.assert_allclose(dots.get_xdata(), [98.0, 98.5, 99.5])
    np.testing.assert_allclose(dots.get_ydata(), [0, 1, 2])
    for segment, centre in zip(bars.get_segments(), [98.0, 98.5, 99.5]):
        np.testing.assert_allclose(segment[:, 0], [centre - 0.2, centre + 0.2])  # +-0.2 points
    assert [label.get_text() for label in ax.get_yticklabels()] == ["plain", "+ batch norm", "recipe"]
    assert [text.get_text() for text in ax.texts] == ["98.00", "98.50", "99.50"]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # the first rung on top
    assert "± 0.20 points" in ax.get_title()


def test_plot_ladder_rejects_mismatched_lengths_and_negative_noise():
    with pytest.raises(ValueError, match="one accuracy per name; got 2 names"):
        plots.plot_ladder(["a", "b"], [0.9], 0.01)
    with pytest.raises(ValueError, match="noise must be"):
        plots.plot_ladder(["a"], [0.9], -0.01)
