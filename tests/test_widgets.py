"""cnnlab.widgets: the numbers behind each widget, its callbacks, and the figure shown where widgets cannot run."""

import cv2
import numpy as np
import pytest
from matplotlib.figure import Figure

from cnnlab import conv, filters, widgets

ipywidgets = pytest.importorskip("ipywidgets")

# Seed notes (NOTES.md): two 5x5 examples and their valid correlations.
NOTES_IMAGE = [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]
NOTES_KERNEL = [[0, 1, 2], [2, 2, 0], [0, 1, 2]]
NOTES_OUTPUT = [[12, 12, 17], [10, 17, 19], [9, 6, 14]]
ONES_IMAGE = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
X_KERNEL = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
ONES_OUTPUT = [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TOLERANCE = 1e-3  # float32 sums of 0..255 pixels


def reference_response(image, kernel):
    """cv2.filter2D in float32, the reference for what the playground shows."""
    return cv2.filter2D(image.astype(np.float32), cv2.CV_32F, np.asarray(kernel, dtype=np.float32))


def shown_images(live_figure):
    """The data of every imshow in the figure, panel by panel."""
    return [ax.images[0].get_array() for ax in live_figure.figure.axes if ax.images]


def random_image(seed=0, shape=(20, 24)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


# ------------------------------------------------------------------- convolution stepper


def test_convolution_step_walks_through_both_notes_examples():
    for image, kernel, expected in ((NOTES_IMAGE, NOTES_KERNEL, NOTES_OUTPUT), (ONES_IMAGE, X_KERNEL, ONES_OUTPUT)):
        values = [widgets.convolution_step(image, kernel, position).value for position in range(9)]
        np.testing.assert_array_equal(np.reshape(values, (3, 3)), expected)


def test_convolution_step_shows_its_window_products_and_progress():
    image, kernel = np.array(NOTES_IMAGE), np.array(NOTES_KERNEL)
    step = widgets.convolution_step(image, kernel, 5)
    assert (step.row, step.column) == (1, 2)
    np.testing.assert_array_equal(step.window, image[1:4, 2:5])
    np.testing.assert_array_equal(step.products, image[1:4, 2:5] * kernel)
    assert step.value == step.products.sum() == NOTES_OUTPUT[1][2]
    assert step.done.sum() == 6 and step.done[1, 2] and not step.done[2, 0]
    first = widgets.convolution_step(image, kernel, 0)
    assert first.equation == "12 = 3·0 + 3·1 + 2·2 + 0·2 + 0·2 + 1·0 + 3·0 + 1·1 + 2·2"


def test_convolution_step_writes_negative_factors_in_parentheses():
    step = widgets.convolution_step([[1, 2], [3, 4]], [[-1, 0], [0, 1]], 0)
    assert step.equation == "3 = 1·(-1) + 2·0 + 3·0 + 4·1"


@pytest.mark.parametrize("position", [-1, 9, 1.0, True])
def test_convolution_step_rejects_positions_outside_the_output(position):
    with pytest.raises(ValueError, match="from 0 to 8 for a 3x3 output"):
        widgets.convolution_step(NOTES_IMAGE, NOTES_KERNEL, position)


def test_stepper_slider_moves_the_window_and_redraws():
    stepper = widgets.convolution_stepper()
    assert stepper.slider.max == 8 and stepper.step.value == 12
    stepper.slider.value = 4
    image, kernel = np.array(NOTES_IMAGE), np.array(NOTES_KERNEL)
    assert stepper.step.value == conv.corr2d(image, kernel)[1, 1] == 17
    input_panel, _, products_panel, output_panel = stepper.figure.axes
    assert input_panel.patches[0].get_xy() == (0.5, 0.5)  # window's top-left pixel is (1, 1)
    np.testing.assert_array_equal(products_panel.images[0].get_array(), image[1:4, 1:4] * kernel)
    shown_output = output_panel.images[0].get_array()
    assert shown_output.count() == 5  # positions 0..4 drawn, the others masked (blank)
    labels = output_panel.collections[0]
    assert (labels.get_facecolor()[:, 3] > 0).sum() == 5
    assert stepper.figure.get_suptitle().startswith("output[1, 1]: 17 = 0·0 + 1·1 + 3·2")


# ------------------------------------------------------------------- output-size explorer


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_window_starts_agree_with_output_size_and_stay_inside_the_padding(padding):
    for input_size in range(1, 13):
        for kernel_size in range(1, 8):
            for stride in range(1, 5):
                if padding == "valid" and kernel_size > input_size:
                    continue
                starts = widgets.window_starts(input_size, kernel_size, padding, stride)
                before, after = conv.padding_amounts(input_size, kernel_size, padding, stride)
                assert len(starts) == conv.output_size(input_size, kernel_size, padding, stride)
                assert starts[0] == -before and np.all(np.diff(starts) == stride)
                assert starts[-1] + kernel_size <= input_size + after
                # Counted by brute force: every stride step at which a window still fits.
                fitting = [start for start in range(-before, input_size + after, stride)
                           if start + kernel_size <= input_size + after]
                assert starts == fitting


def test_output_size_formula_fills_in_the_numbers():
    assert widgets.output_size_formula(28, 3).endswith("floor((28 + 2·0 - 3) / 1) + 1 = 26")
    assert widgets.output_size_formula(5, 3, 1, 2).endswith("floor((5 + 2·1 - 3) / 2) + 1 = 3")
    same = widgets.output_size_formula(28, 5, "same", 2)
    assert f"ceil(28 / 2) = {conv.output_size(28, 5, 'same', 2)}" in same and "1 before, 2 after" in same
    with pytest.raises(ValueError, match="larger than the padded input"):
        widgets.output_size_formula(3, 5)


def test_explorer_controls_change_the_formula_and_the_window_grid():
    explorer = widgets.output_shape_explorer()
    assert explorer.describe().endswith("= 3")
    explorer.settings["input_size"].value = 9
    explorer.settings["stride"].value = 2
    expected = conv.output_size(9, 3, "valid", 2)
    assert explorer.describe().endswith(f"= {expected}")
    dots = explorer.figure.axes[0].lines[0].get_xydata()
    assert len(dots) == expected ** 2
    explorer.settings["padding"].value = "same"
    assert len(explorer.figure.axes[0].lines[0].get_xydata()) == conv.output_size(9, 3, "same", 2) ** 2
    assert explorer.figure.axes[0].get_title() == explorer.describe()


def test_explorer_explains_a_kernel_that_does_not_fit_instead_of_failing():
    explorer = widgets.output_shape_explorer(input_size=5)
    explorer.settings["kernel_size"].value = 7
    assert explorer.describe() == "no output: kernel size 7 is larger than the padded input size 5"
    assert not explorer.figure.axes[0].lines  # no window positions drawn


# ------------------------------------------------------------------- kernel playground


def test_playground_shows_the_filtered_image_with_symmetric_limits():
    image = random_image()
    playground = widgets.kernel_playground(image)
    assert playground.preset.value == "sobel_x"
    np.testing.assert_allclose(playground.response, reference_response(image, filters.SOBEL_X), atol=TOLERANCE)
    response_panel = playground.figure.axes[2].images[0]
    np.testing.assert_array_equal(response_panel.get_array(), playground.response)
    limit = np.abs(playground.response).max()
    assert response_panel.get_clim() == pytest.approx((-limit, limit))
    assert response_panel.get_cmap().name == "RdBu_r"


def test_playground_preset_fills_the_entries_and_redraws_once():
    image = random_image(1)
    playground = widgets.kernel_playground(image)
    draws, original_draw = [], playground.draw

    def counting_draw():
        draws.append(1)
        original_draw()

    playground.draw = counting_draw
    playground.preset.value = "laplacian"
    assert len(draws) == 1
    np.testing.assert_array_equal([entry.value for entry in playground.entries], filters.LAPLACIAN.ravel())
    np.testing.assert_allclose(shown_images(playground)[2], reference_response(image, filters.LAPLACIAN),
                               atol=TOLERANCE)
    assert playground.figure.get_suptitle() == filters.describe("laplacian")


def test_editing_one_weight_changes_the_response_and_clears_the_preset():
    image = random_image(2)
    playground = widgets.kernel_playground(image, "box_blur")
    playground.entries[2].value = -1.0  # top-right weight
    expected_kernel = filters.kernel("box_blur")
    expected_kernel[0, 2] = -1.0
    np.testing.assert_array_equal(playground.kernel, expected_kernel)
    np.testing.assert_allclose(shown_images(playground)[2], reference_response(image, expected_kernel),
                               atol=TOLERANCE)
    assert playground.preset.value is None and playground.figure.get_suptitle() == "your kernel"
    for entry, weight in zip(playground.entries, filters.SHARPEN.ravel()):  # typing a preset back in
        entry.value = float(weight)
    assert playground.preset.value == "sharpen"


def test_playground_rejects_colour_images_and_wrong_kernels():
    with pytest.raises(ValueError, match="grayscale.*to_grayscale"):
        widgets.kernel_playground(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="3x3"):
        widgets.kernel_playground(None, np.ones((5, 5)))
    with pytest.raises(ValueError, match="unknown kernel"):
        widgets.kernel_playground(None, "sobel")


# ------------------------------------------------------------------- static fallback


class FakeHandle:
    def __init__(self):
        self.updates = []

    def update(self, picture):
        self.updates.append(picture)


def test_display_shows_controls_then_a_png_that_later_changes_update(monkeypatch):
    import IPython.display

    shown, handle = [], FakeHandle()

    def fake_display(obj, display_id=None):
        shown.append(obj)
        return handle if display_id else None

    monkeypatch.setattr(IPython.display, "display", fake_display)
    monkeypatch.setenv(widgets.WIDGETS_ENV, "live")
    stepper = widgets.convolution_stepper()
    stepper._ipython_display_()
    controls, picture = shown
    assert controls is stepper.controls and stepper.slider in controls.children
    assert picture._repr_png_().startswith(PNG_SIGNATURE) and repr(picture) == stepper.describe()
    stepper.slider.value = 8
    assert repr(handle.updates[-1]) == stepper.describe()
    assert stepper.describe().startswith(f"output[2, 2]: {NOTES_OUTPUT[2][2]} = ")
    assert handle.updates[-1].png != picture.png


def test_without_ipywidgets_only_the_figure_is_shown(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, display_id=None: shown.append(obj))
    monkeypatch.setattr(widgets, "ipywidgets", None)
    for live_figure in (widgets.kernel_playground(random_image()), widgets.convolution_stepper(),
                        widgets.output_shape_explorer()):
        assert live_figure.controls is None
        shown.clear()
        live_figure._ipython_display_()
        assert len(shown) == 1 and shown[0].png.startswith(PNG_SIGNATURE)


def test_the_stored_figure_is_the_same_on_every_run():
    first, second = widgets.output_shape_explorer(), widgets.output_shape_explorer()
    assert first.png() == second.png()


# ------------------------------------------------------------------- where no widget can run


def test_without_a_live_front_end_only_the_static_view_is_shown(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, display_id=None: shown.append(obj))
    monkeypatch.setenv(widgets.WIDGETS_ENV, "static")
    for live_figure in (widgets.kernel_playground(random_image()), widgets.convolution_stepper(),
                        widgets.output_shape_explorer()):
        shown.clear()
        live_figure._ipython_display_()
        (picture,) = shown  # no widget output: nothing a kernel-less viewer cannot render
        assert not isinstance(picture, ipywidgets.Widget)
        assert picture.png.startswith(PNG_SIGNATURE) and "static view" in repr(picture)
        assert picture.png != live_figure.png()  # it shows more than the live figure's first state


@pytest.mark.parametrize("environment, expected", [
    ({}, False),  # nbval, nbclient: outputs are read without a kernel
    ({"JPY_SESSION_NAME": "/work/01_filters.ipynb"}, True),  # Jupyter Server: JupyterLab, Binder
    ({"VSCODE_PID": "123"}, True),
    ({"JPY_SESSION_NAME": "x.ipynb", widgets.WIDGETS_ENV: "static"}, False),
    ({widgets.WIDGETS_ENV: "live"}, True),
])
def test_live_frontend_guess(monkeypatch, environment, expected):
    import IPython

    for name in ("JPY_SESSION_NAME", "VSCODE_PID", widgets.WIDGETS_ENV):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    class KernelShell:
        kernel = object()

    monkeypatch.setattr(IPython, "get_ipython", lambda: KernelShell())
    assert widgets.live_frontend() is expected
    if widgets.WIDGETS_ENV not in environment:
        monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # plain Python: never live
        assert widgets.live_frontend() is False


def test_static_views_show_every_preset_position_and_padding_case():
    image = random_image(5)
    figure = Figure()
    widgets.kernel_playground(image).draw_static(figure)
    panels = [ax for ax in figure.axes if ax.images]
    assert [ax.get_title() for ax in panels] == [name if abs(kernel.sum()) < 1e-6 else f"{name} (0..255)"
                                                 for name, kernel in filters.KERNELS.items()]
    for ax, kernel in zip(panels, filters.KERNELS.values()):
        expected = reference_response(image, kernel)
        if abs(kernel.sum()) < 1e-6:  # an edge map, on the red/blue scale
            np.testing.assert_allclose(ax.images[0].get_array(), expected, atol=TOLERANCE)
            assert ax.images[0].get_cmap().name == "RdBu_r"
        else:  # a photo: what a uint8 filter2D stores
            np.testing.assert_array_equal(ax.images[0].get_array(), cv2.filter2D(image, -1, kernel))
            assert ax.images[0].get_cmap().name == "gray"

    figure = Figure()
    widgets.convolution_stepper().draw_static(figure)
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == [f"output[{row}, {col}] = {NOTES_OUTPUT[row][col]}" for row in range(3) for col in range(3)]
    assert figure.axes[5].patches[0].get_xy() == (1.5, 0.5)  # output[1, 2]: window's top-left is (1, 2)

    figure = Figure()
    widgets.output_shape_explorer().draw_static(figure)
    for ax, (size, kernel_size, padding, stride) in zip(figure.axes, widgets.EXPLORER_STATIC_CASES):
        before, after = conv.padding_amounts(size, kernel_size, padding, stride)
        assert f"zeros {before} before / {after} after" in ax.get_title()
        assert len(ax.lines[0].get_xydata()) == conv.output_size(size, kernel_size, padding, stride) ** 2
    assert "zeros 1 before / 2 after" in figure.axes[3].get_title()  # even kernel: the odd zero goes last
