"""Interactive widgets for notebooks 01 and 02: kernel playground, convolution stepper, output-size sliders.

Each widget is a :class:`LiveFigure`: ipywidgets controls plus a Matplotlib figure
that is redrawn whenever a control changes. What displaying one (the last line of
a cell) shows depends on who will look at it:

- in a live front-end that renders ipywidgets (JupyterLab, Notebook 7, Binder,
  Colab, VS Code; see :func:`live_frontend`), two outputs: the controls, then the
  figure as a plain PNG that the controls update in place (an IPython display
  handle). The figure is never inside a widget;
- anywhere else (nbval, ``scripts/run_notebooks.py``, whose stored outputs are
  what GitHub's viewer and a notebook opened without its kernel show), one static
  PNG and no widget output at all, so no reader meets "Error displaying widget"
  or a raw ``VBox(...)`` line. The static view (:meth:`LiveFigure.draw_static`)
  shows several states at once: what moving the controls would reveal.

``CNNLAB_WIDGETS=live`` or ``CNNLAB_WIDGETS=static`` overrides the guess.

The numbers come from plain functions that the tests check directly:
:func:`convolution_step`, :func:`output_size_formula`, :func:`window_starts`,
:func:`matching_preset` and ``filters.apply_kernel``.
"""

import dataclasses
import io
import os
import sys

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from cnnlab import conv, data, filters, plots

try:
    import ipywidgets
except ImportError:  # the figures still work; only the controls are missing
    ipywidgets = None

WIDGETS_ENV = "CNNLAB_WIDGETS"  # "live" or "static": overrides live_frontend()'s guess
PLAYGROUND_IMAGE = "shapes"  # data.sample_image name
PLAYGROUND_KERNEL = "sobel_x"
KERNEL_SIDE = 3  # the playground edits a 3x3 kernel
HIGHLIGHT_COLOR = "orange"
HIGHLIGHT_WIDTH = 3
PADDING_COLOR = "lightgrey"
INPUT_COLOR = "white"
GRID_COLOR = "grey"
MAX_INPUT_SIZE = 12  # larger grids get too small to read
MAX_KERNEL_SIZE = 7
MAX_STRIDE = 4
PNG_DPI = 100
ENTRY_WIDTH = "6em"
PRESET_WIDTH = "30em"
SLIDER_STYLE = {"description_width": "8em"}
STATIC_DPI = 72  # the static views have many panels: a lower resolution keeps the notebooks small
ZERO_SUM = 1e-6  # a kernel whose weights sum to less than this finds edges: its response is signed
STATIC_NOTE = "static view: run the notebook for the live controls"
# (input size, kernel size, padding, stride) the explorer's static view draws side by side.
EXPLORER_STATIC_CASES = ((5, 3, "valid", 1), (5, 3, "same", 1), (5, 3, "same", 2), (5, 4, "same", 1))


# ------------------------------------------------------------------- pure computation


@dataclasses.dataclass(frozen=True)
class ConvolutionStep:
    """One position of the sliding window: what is multiplied, what it adds up to, and the output so far."""

    row: int  # output row; the window's top-left input pixel is (row, column) (stride 1, valid)
    column: int
    window: np.ndarray  # (kh, kw) input pixels under the kernel
    products: np.ndarray  # (kh, kw) window * kernel
    value: object  # products.sum(), the output value at (row, column)
    output: np.ndarray  # (out_h, out_w) the whole valid output, from conv.corr2d
    done: np.ndarray  # (out_h, out_w) bool: positions computed up to and including this one
    equation: str  # e.g. "12 = 3·0 + 3·1 + 2·2 + ..."


def _number(value):
    """Format a number for an equation: integers without a decimal point, others in short form."""
    return str(int(value)) if float(value).is_integer() else format(float(value), "g")


def _factor(value):
    """Format a factor of a product, negatives in parentheses: 3·(-1), not 3·-1."""
    return f"({_number(value)})" if value < 0 else _number(value)


def convolution_step(image, kernel, position):
    """Return the ConvolutionStep at output `position` (0, 1, ... in reading order) of a valid correlation."""
    kernel = np.asarray(kernel)
    output = conv.corr2d(image, kernel)  # also checks image and kernel
    if isinstance(position, bool) or not isinstance(position, (int, np.integer)) \
            or not 0 <= position < output.size:
        raise ValueError(f"position must be an integer from 0 to {output.size - 1} "
                         f"for a {output.shape[0]}x{output.shape[1]} output; got {position!r}")
    windows = list(conv.sliding_windows(image, kernel.shape))  # in reading order, like position
    row, column, window = windows[position]
    products = window * kernel
    terms = " + ".join(f"{_factor(pixel)}·{_factor(weight)}"
                       for pixel, weight in zip(window.ravel(), kernel.ravel()))
    value = output[row, column]
    done = np.arange(output.size).reshape(output.shape) <= position
    return ConvolutionStep(row, column, window, products, value, output, done, f"{_number(value)} = {terms}")


def output_size_formula(input_size, kernel_size, padding="valid", stride=1):
    """Return the output-size formula with the numbers filled in, e.g. "floor((5 + 2·0 - 3) / 1) + 1 = 3"."""
    size = conv.output_size(input_size, kernel_size, padding, stride)  # validates, may raise ValueError
    if padding == "same":
        before, after = conv.padding_amounts(input_size, kernel_size, padding, stride)
        return (f"same: output = ceil(n / s) = ceil({input_size} / {stride}) = {size}"
                f"  (zeros added: {before} before, {after} after)")
    pixels = 0 if padding == "valid" else padding
    return (f"{padding}: output = floor((n + 2p - k) / s) + 1 = "
            f"floor(({input_size} + 2·{pixels} - {kernel_size}) / {stride}) + 1 = {size}")


def window_starts(input_size, kernel_size, padding="valid", stride=1):
    """Return the first input index of every window on one axis; negative indices lie in the zero padding."""
    before, _ = conv.padding_amounts(input_size, kernel_size, padding, stride)
    size = conv.output_size(input_size, kernel_size, padding, stride)
    return [index * stride - before for index in range(size)]


def matching_preset(kernel):
    """Return the name of the filters.KERNELS entry equal to kernel, or None when it matches none."""
    kernel = np.asarray(kernel, dtype=np.float32)
    for name, preset in filters.KERNELS.items():
        if preset.shape == kernel.shape and np.allclose(preset, kernel):
            return name
    return None


def live_frontend():
    """Guess whether this kernel's outputs go to a front-end that renders ipywidgets.

    True in a kernel started by Jupyter Server for a notebook (JupyterLab, Notebook 7,
    Binder: it sets ``JPY_SESSION_NAME``), in Colab and in VS Code; False without
    ipywidgets or IPython, and under nbval or nbclient, whose stored outputs are
    read without a kernel. The environment variable ``CNNLAB_WIDGETS`` ("live" or
    "static") overrides the guess.
    """
    setting = os.environ.get(WIDGETS_ENV, "").strip().lower()
    if setting in ("live", "static"):
        return setting == "live"
    if ipywidgets is None or "IPython" not in sys.modules:
        return False
    shell = sys.modules["IPython"].get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:  # a terminal IPython cannot show widgets
        return False
    return ("JPY_SESSION_NAME" in os.environ or "google.colab" in sys.modules
            or "VSCODE_PID" in os.environ)


# ------------------------------------------------------------------- widgets


def _outline(ax, top, left, height, width):
    """Draw a box around the pixels [top, top + height) x [left, left + width) of an image in ax."""
    ax.add_patch(Rectangle((left - 0.5, top - 0.5), width, height, fill=False, edgecolor=HIGHLIGHT_COLOR,
                           linewidth=HIGHLIGHT_WIDTH, clip_on=False))  # not cut in half at the image border


class Picture:
    """A PNG with a one-line text form: how a LiveFigure's figure appears in a notebook output."""

    def __init__(self, png, text):
        self.png = png
        self.text = text

    def _repr_png_(self):
        return self.png

    def __repr__(self):
        return self.text


class LiveFigure:
    """ipywidgets controls and a Matplotlib figure redrawn from them (see the module docstring).

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        The current drawing; not managed by pyplot, so it is never shown twice.
    controls : ipywidgets.Box or None
        The controls; None when ipywidgets is not installed.
    """

    figsize = (8.0, 4.0)

    def __init__(self):
        self.figure = Figure(figsize=self.figsize)
        self.controls = self._make_controls() if ipywidgets is not None else None
        self._handle = None  # the figure's output once displayed, so a redraw replaces it in place
        self.refresh()

    def _make_controls(self):
        """Build the controls, make them call refresh(), and return their container."""
        raise NotImplementedError

    def draw(self):
        """Draw the current state into the (cleared) figure."""
        raise NotImplementedError

    def describe(self):
        """Return one line describing the current state: the figure output's text form."""
        raise NotImplementedError

    def draw_static(self, figure):
        """Draw the view shown where the controls cannot run into figure; return its one-line text."""
        raise NotImplementedError

    def refresh(self):
        """Redraw the figure, and update the notebook output showing it, if any."""
        self.figure.clear()
        self.draw()
        if self._handle is not None:
            self._handle.update(self.picture())

    def png(self, figure=None, dpi=PNG_DPI):
        """Return a figure (default: the live one) as PNG bytes, the same bytes for the same drawing."""
        buffer = io.BytesIO()
        (self.figure if figure is None else figure).savefig(
            buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white",
            metadata={"Software": None})  # no version string: stored outputs change only with the drawing
        return buffer.getvalue()

    def picture(self):
        """Return the figure as a Picture: PNG plus describe() as text."""
        return Picture(self.png(), self.describe())

    def static_picture(self):
        """Return the static view (see draw_static) as a Picture."""
        figure = Figure(figsize=self.static_figsize, layout="constrained")
        text = self.draw_static(figure)
        return Picture(self.png(figure, dpi=STATIC_DPI), text)

    static_figsize = (12.0, 4.0)

    def _ipython_display_(self):
        """Live front-end: the controls, then the figure they update. Elsewhere: the static view only."""
        from IPython.display import display  # only ever called by IPython

        if self.controls is None or not live_frontend():
            display(self.static_picture())
            return
        display(self.controls)
        self._handle = display(self.picture(), display_id=True)


class KernelPlayground(LiveFigure):
    """Edit a 3x3 kernel (or pick a preset) and see a grayscale image filtered with it."""

    figsize = (12.0, 4.0)

    def __init__(self, image, kernel):
        self.image = image
        self.kernel = kernel
        self.response = None  # set by draw()
        self._loading_preset = False  # True while a preset fills the entries: redraw once, not nine times
        super().__init__()

    def _make_controls(self):
        options = [(filters.describe(name), name) for name in filters.KERNELS]
        self.preset = ipywidgets.Dropdown(options=options, value=matching_preset(self.kernel),
                                          description="preset", layout={"width": PRESET_WIDTH})
        self.entries = [ipywidgets.FloatText(value=float(weight), layout={"width": ENTRY_WIDTH})
                        for weight in self.kernel.ravel()]
        self.preset.observe(self._on_preset, names="value")
        for entry in self.entries:
            entry.observe(self._on_entry, names="value")
        grid = ipywidgets.GridBox(self.entries,
                                  layout={"grid_template_columns": f"repeat({KERNEL_SIDE}, {ENTRY_WIDTH})"})
        return ipywidgets.VBox([self.preset, ipywidgets.Label("kernel weights (press Enter):"), grid])

    def _on_preset(self, change):
        if change.new is None or self._loading_preset:
            return  # None: the weights were edited away from every preset
        self._loading_preset = True
        for entry, weight in zip(self.entries, filters.kernel(change.new).ravel()):
            entry.value = float(weight)
        self._loading_preset = False
        self._read_entries()

    def _on_entry(self, change):
        if not self._loading_preset:
            self._read_entries()

    def _read_entries(self):
        """Take the kernel from the nine entries, show the preset it matches (if any), and redraw."""
        weights = [entry.value for entry in self.entries]
        self.kernel = np.array(weights, dtype=np.float32).reshape(KERNEL_SIDE, KERNEL_SIDE)
        self._loading_preset = True  # show "no preset" or the preset the edit happens to match
        self.preset.value = matching_preset(self.kernel)
        self._loading_preset = False
        self.refresh()

    def _title(self):
        name = matching_preset(self.kernel)
        return "your kernel" if name is None else filters.describe(name)

    def draw(self):
        self.response = filters.apply_kernel(self.image, self.kernel)
        high = filters.symmetric_limits(self.response)[1]
        axes = self.figure.subplots(1, 3)
        plots.plot_image(self.image, ax=axes[0], title="input")
        plots.plot_kernel(self.kernel, ax=axes[1], fmt=".3g")
        axes[1].set_title("kernel")
        plots.plot_signed(self.response, ax=axes[2], title="response (red +, blue -)", limit=high)
        self.figure.suptitle(self._title())

    def describe(self):
        return f"kernel playground: {self._title()}"

    static_figsize = (12.0, 6.5)

    def draw_static(self, figure):
        """Every preset's response: edge kernels (weights sum to 0) on red/blue, the others as photos."""
        axes = figure.subplots(2, 4).ravel()
        for ax, (name, kernel) in zip(axes, filters.KERNELS.items()):
            response = filters.apply_kernel(self.image, kernel)
            if abs(float(kernel.sum())) < ZERO_SUM:
                plots.plot_signed(response, ax=ax, title=name, limit=filters.symmetric_limits(response)[1])
            else:  # a new photo, stored as a photo would be
                plots.plot_image(filters.to_uint8(response), ax=ax, title=f"{name} (0..255)")
        figure.suptitle("The playground's presets on this image. Edge kernels: red +, blue -, white 0; "
                        "the others make photos, grey 0..255")
        return f"kernel playground, {STATIC_NOTE}: the response of each of the {len(filters.KERNELS)} presets"


class ConvolutionStepper(LiveFigure):
    """Slide a kernel over a small image one position at a time and watch each output value being computed."""

    figsize = (14.0, 4.0)

    def __init__(self, image, kernel, position):
        self.image = image
        self.kernel = kernel
        self.position = position
        self.step = convolution_step(image, kernel, position)  # validates the position
        super().__init__()

    def _make_controls(self):
        self.slider = ipywidgets.IntSlider(value=self.position, min=0, max=self.step.output.size - 1,
                                           description="position", style=SLIDER_STYLE)
        self.slider.observe(self._on_slider, names="value")
        return ipywidgets.VBox([self.slider])

    def _on_slider(self, change):
        self.position = change.new
        self.step = convolution_step(self.image, self.kernel, change.new)
        self.refresh()

    def draw(self):
        step = self.step
        kernel_height, kernel_width = step.window.shape
        axes = self.figure.subplots(1, 4)
        plots.plot_pixel_values(self.image, ax=axes[0])
        _outline(axes[0], step.row, step.column, kernel_height, kernel_width)
        axes[0].set_title("input and window")
        plots.plot_kernel(self.kernel, ax=axes[1])
        axes[1].set_title("kernel")
        plots.plot_pixel_values(step.products, ax=axes[2])
        axes[2].set_title("window × kernel")
        # The whole output, with the positions not reached yet left blank.
        image_artist, labels = plots.plot_pixel_values(step.output, ax=axes[3],
                                                     vmin=step.output.min(), vmax=step.output.max())
        image_artist.set_data(np.ma.masked_array(step.output, mask=~step.done))
        colors = labels.get_facecolor()
        colors[~step.done.ravel(), 3] = 0  # fully transparent text
        labels.set_facecolor(colors)
        _outline(axes[3], step.row, step.column, 1, 1)
        axes[3].set_title("output so far")
        self.figure.suptitle(self.describe())

    def describe(self):
        return f"output[{self.step.row}, {self.step.column}]: {self.step.equation}"

    static_figsize = (9.0, 9.0)

    def draw_static(self, figure):
        """The window at every position, in reading order, titled with the value it produces."""
        kernel_height, kernel_width = self.kernel.shape
        output = conv.corr2d(self.image, self.kernel)
        axes = figure.subplots(*output.shape, squeeze=False)
        for row, col, _ in conv.sliding_windows(self.image, self.kernel.shape):
            ax = axes[row, col]
            plots.plot_pixel_values(self.image, ax=ax)
            _outline(ax, row, col, kernel_height, kernel_width)
            ax.set_title(f"output[{row}, {col}] = {_number(output[row, col])}", fontsize="medium")
        figure.suptitle("The window at each of the output's positions")
        return f"convolution stepper, {STATIC_NOTE}: all {output.size} window positions"


class OutputShapeExplorer(LiveFigure):
    """Sliders for input size, kernel size, stride and padding; shows the output size and the windows."""

    figsize = (6.0, 6.0)

    def __init__(self, input_size, kernel_size, padding, stride):
        self.input_size = input_size
        self.kernel_size = kernel_size
        self.padding = padding
        self.stride = stride
        super().__init__()

    def _make_controls(self):
        # Keyed by the attribute each control sets.
        self.settings = {
            "input_size": ipywidgets.IntSlider(value=self.input_size, min=1, max=MAX_INPUT_SIZE,
                                               description="input size n", style=SLIDER_STYLE),
            "kernel_size": ipywidgets.IntSlider(value=self.kernel_size, min=1, max=MAX_KERNEL_SIZE,
                                                description="kernel size k", style=SLIDER_STYLE),
            "stride": ipywidgets.IntSlider(value=self.stride, min=1, max=MAX_STRIDE,
                                           description="stride s", style=SLIDER_STYLE),
            "padding": ipywidgets.ToggleButtons(value=self.padding, options=conv.PADDING_MODES,
                                                description="padding", style=SLIDER_STYLE),
        }
        for name, control in self.settings.items():
            control.observe(self._setter(name), names="value")
        return ipywidgets.VBox(list(self.settings.values()))

    def _setter(self, name):
        """Return a callback that copies a control's new value to attribute `name` and redraws."""
        def update(change):
            setattr(self, name, change.new)
            self.refresh()

        return update

    def describe(self):
        try:
            return output_size_formula(self.input_size, self.kernel_size, self.padding, self.stride)
        except ValueError as error:
            return f"no output: {error}"

    def draw(self):
        ax = self.figure.subplots()
        count = _draw_windows(ax, self.input_size, self.kernel_size, self.padding, self.stride)
        if count:
            ax.set_xlabel(f"dots: the {count}x{count} window centres; box: the first window; "
                          "grey: zero padding", fontsize="small")
        ax.set_title(self.describe(), fontsize="medium", wrap=True)

    static_figsize = (14.0, 4.5)

    def draw_static(self, figure):
        """A few settings side by side, among them same padding with an even kernel (the odd zero row)."""
        axes = figure.subplots(1, len(EXPLORER_STATIC_CASES))
        for ax, (input_size, kernel_size, padding, stride) in zip(axes, EXPLORER_STATIC_CASES):
            _draw_windows(ax, input_size, kernel_size, padding, stride)
            before, after = conv.padding_amounts(input_size, kernel_size, padding, stride)
            size = conv.output_size(input_size, kernel_size, padding, stride)
            ax.set_title(f"n={input_size} k={kernel_size} {padding} s={stride}\n"
                         f"output {size}, zeros {before} before / {after} after", fontsize="medium")
        figure.suptitle("Dots: window centres (one per output pixel); box: first window; grey: zero padding")
        return f"output-size explorer, {STATIC_NOTE}: {len(EXPLORER_STATIC_CASES)} settings side by side"


def _draw_windows(ax, input_size, kernel_size, padding, stride):
    """Draw the input (white), its zero padding (grey), the first window and every window centre.

    Returns the number of window positions along one axis (0 when the kernel does not fit).
    """
    try:
        before, after = conv.padding_amounts(input_size, kernel_size, padding, stride)
        starts = window_starts(input_size, kernel_size, padding, stride)
    except ValueError:  # the kernel does not fit: draw the input alone
        before, after, starts = 0, 0, []
    low, high = -before, input_size + after  # padded extent, in input pixel indices
    cells = np.zeros((high - low, high - low))
    cells[before:before + input_size, before:before + input_size] = 1
    ax.imshow(cells, cmap=ListedColormap([PADDING_COLOR, INPUT_COLOR]), vmin=0, vmax=1,
              extent=(low - 0.5, high - 0.5, high - 0.5, low - 0.5))
    ticks = np.arange(low, high + 1) - 0.5
    ax.set_xticks(ticks, minor=True)
    ax.set_yticks(ticks, minor=True)
    ax.grid(which="minor", color=GRID_COLOR)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if starts:
        centres = np.array(starts) + (kernel_size - 1) / 2
        xs, ys = np.meshgrid(centres, centres)
        ax.plot(xs.ravel(), ys.ravel(), "o", color=HIGHLIGHT_COLOR)
        _outline(ax, starts[0], starts[0], kernel_size, kernel_size)
    return len(starts)


# ------------------------------------------------------------------- entry points


def kernel_playground(image=None, kernel=PLAYGROUND_KERNEL):
    """Return a KernelPlayground: edit a 3x3 kernel and see a grayscale image filtered live.

    Parameters
    ----------
    image : array_like, shape (H, W), optional
        A grayscale image (uint8 or float32); default ``data.sample_image("shapes")``.
    kernel : str or array_like, shape (3, 3)
        A name in ``filters.KERNELS`` or the starting weights.

    Returns
    -------
    KernelPlayground
        Display it (last line of a cell); ``.preset`` and ``.entries`` are its controls,
        ``.response`` the filtered image, float32 (H, W).
    """
    image = data.sample_image(PLAYGROUND_IMAGE) if image is None else np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"kernel_playground: image must be grayscale, shape (H, W); got shape {image.shape} "
                         "(convert a colour image with filters.to_grayscale)")
    weights = filters.kernel(kernel) if isinstance(kernel, str) else np.array(kernel, dtype=np.float32)
    if weights.shape != (KERNEL_SIDE, KERNEL_SIDE):
        raise ValueError(f"kernel_playground: kernel must be 3x3; got shape {weights.shape}")
    return KernelPlayground(image, weights)


def convolution_stepper(image=conv.EXAMPLE_IMAGE, kernel=conv.EXAMPLE_KERNEL, position=0):
    """Return a ConvolutionStepper over the valid correlation of image with kernel (default: the 5x5 example).

    ``.slider`` moves the window; ``.step`` is the current :class:`ConvolutionStep`.
    """
    return ConvolutionStepper(np.asarray(image), np.asarray(kernel), position)


def output_shape_explorer(input_size=5, kernel_size=3, padding="valid", stride=1):
    """Return an OutputShapeExplorer: sliders for n, k, s and padding, the size formula and the windows.

    ``.settings`` maps "input_size", "kernel_size", "stride" and "padding" to their controls.
    """
    output_size_formula(input_size, kernel_size, padding, stride)  # bad starting values raise here
    if padding not in conv.PADDING_MODES:
        raise ValueError(f"output_shape_explorer: padding must be one of {conv.PADDING_MODES}; "
                         f"got {padding!r}")
    if not (input_size <= MAX_INPUT_SIZE and kernel_size <= MAX_KERNEL_SIZE and stride <= MAX_STRIDE):
        raise ValueError(f"output_shape_explorer: input size, kernel size and stride must be at most "
                         f"{MAX_INPUT_SIZE}, {MAX_KERNEL_SIZE} and {MAX_STRIDE}; "
                         f"got {input_size}, {kernel_size} and {stride}")
    return OutputShapeExplorer(input_size, kernel_size, padding, stride)
