"""Plot helpers for the notebooks: images, kernels, feature maps, training curves, predictions.

Naming rule, course-wide: a function that draws is called ``plot_<what it
shows>`` (here, and in :mod:`cnnlab.visualize`); a function that computes is
named for what it returns (``evaluation.confusion_matrix`` counts, then
``plots.plot_confusion_matrix`` draws the counts).

Every helper draws into the Axes (or Figure) you pass, or into a new one when
you pass None, forwards extra keyword arguments to the main Matplotlib call
(usually ``imshow``), and returns what it drew, so a notebook can restyle it.

Colour rule for one-channel data, shared by all helpers: values with a minus
sign get a diverging colormap centred on 0 (blue negative, white 0, red
positive); other values are grey, uint8 on the fixed range 0..255.
"""

import warnings
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D, IdentityTransform

from cnnlab import evaluation

RIGHT_COLOR = "blue"
WRONG_COLOR = "red"
RIGHT_MARK, WRONG_MARK = "\u2713", "\u2717"  # tick and cross: the verdict without colour
GRAY_CMAP = "gray"
DIVERGING_CMAP = "RdBu_r"
CONFUSION_CMAP = "Blues"
HEATMAP_CMAP = "inferno"  # lightness rises steadily: readable with every colour-vision deficiency
CHANNEL_NAMES = ("R", "G", "B")
CHANNEL_PRIMARIES = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))

DARK_TEXT = "black"
LIGHT_TEXT = "white"
# Relative luminance (WCAG 2) at which black and white text contrast equally
# with the background: (L + 0.05) / 0.05 == 1.05 / (L + 0.05).
EQUAL_CONTRAST_LUMINANCE = 0.179
FLOAT_FORMAT = ".3g"
NORMALIZED_FORMAT = ".2f"
DIGIT_WIDTH_EM = 0.64  # width of a digit in DejaVu Sans, Matplotlib's default font
LABEL_FILL = 0.75  # the widest label takes at most this fraction of a pixel's width
MAX_LABEL_HEIGHT = 0.5  # font size at most half a pixel, so rows stay apart
MAX_FONTSIZE = 12
PANEL_INCHES = 1.6  # size of one panel in the multi-image grids
MAX_GRID_IMAGES = 100  # plot_image_grid draws at most this many: 13 rows of 8, a screen or two
GRID_TITLE_SIZE = "small"
NO_MISTAKES_TEXT = "No misclassified images: all {count} predictions are right."


# ----------------------------------------------------------------- private helpers


def _new_axes_if_none(ax):
    """Return ax, or the Axes of a new figure when ax is None."""
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _axes_list(axes, count, what):
    """Return axes as a list of `count` Axes, making a 1-row figure when axes is None."""
    if axes is None:
        _, axes = plt.subplots(1, count, figsize=(4 * count, 3.5), squeeze=False, layout="constrained")
    axes = [axes] if isinstance(axes, Axes) else list(np.ravel(axes))
    if len(axes) != count:
        raise ValueError(f"{what} needs {count} axes; got {len(axes)}")
    return axes


def _hide_ticks(ax):
    """Remove tick marks and tick labels: pixel coordinates rarely help the reader."""
    ax.set_xticks([])
    ax.set_yticks([])


def _check_image(image):
    """Return image as (H, W) or (H, W, 3); raise ValueError for other shapes or RGB ranges."""
    values = np.asarray(image)
    if values.ndim == 3 and values.shape[-1] == 1:
        values = values[..., 0]
    if values.ndim == 2:
        return values
    if values.ndim != 3 or values.shape[-1] != 3:
        raise ValueError(f"image must have shape (H, W), (H, W, 1) or (H, W, 3); got shape {values.shape}")
    # imshow would clip out-of-range RGB values with only a log message.
    top = 255 if np.issubdtype(values.dtype, np.integer) else 1.0
    low, high = values.min(), values.max()
    if low < 0 or high > top:
        raise ValueError(
            f"an RGB image of dtype {values.dtype} must lie in 0..{top}; got values {low}..{high}"
        )
    return values


def _imshow_options(values, kwargs):
    """Return imshow keyword arguments for one-channel data; the caller's kwargs win."""
    if values.size and values.min() < 0:
        limit = max(-float(values.min()), float(values.max()))
        defaults = {"cmap": DIVERGING_CMAP, "vmin": -limit, "vmax": limit}
    elif values.dtype == np.uint8:
        defaults = {"cmap": GRAY_CMAP, "vmin": 0, "vmax": 255}
    else:
        defaults = {"cmap": GRAY_CMAP}
    if "norm" in kwargs:  # Matplotlib refuses a norm together with vmin/vmax
        defaults.pop("vmin", None)
        defaults.pop("vmax", None)
    return {**defaults, **kwargs}


def _relative_luminance(rgba):
    """Return the WCAG relative luminance of sRGB colours, shape (..., 4) -> (...)."""
    rgb = rgba[..., :3]
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def _text_colors(image_artist, values):
    """Return per pixel the text colour (black or white) that contrasts most with it on screen."""
    # Colour through the artist's own colormap and limits: that is what is displayed.
    displayed = image_artist.cmap(image_artist.norm(values))
    light_background = _relative_luminance(displayed) > EQUAL_CONTRAST_LUMINANCE
    return np.where(light_background, DARK_TEXT, LIGHT_TEXT)


def _format_values(values, fmt):
    """Return the (H, W) array of label strings: integers as integers, floats with fmt."""
    if fmt is None:
        fmt = "d" if np.issubdtype(values.dtype, np.integer) else FLOAT_FORMAT
    return np.array([format(value, fmt) for value in values.ravel()]).reshape(values.shape)


def _fit_fontsize(ax, shape, longest_label):
    """Return the font size in points at which the longest label fits in one pixel."""
    ax.apply_aspect()  # shrink the Axes box to the image's aspect ratio first
    box = ax.get_window_extent()
    pixel_points = min(box.width / shape[1], box.height / shape[0]) * 72 / ax.figure.dpi
    fit_width = LABEL_FILL * pixel_points / (DIGIT_WIDTH_EM * longest_label)
    return min(fit_width, MAX_LABEL_HEIGHT * pixel_points, MAX_FONTSIZE)


def _centred_outline(text, fontsize):
    """Return the glyph outline of text, in points, centred on (0, 0)."""
    outline = TextPath((0, 0), text, size=fontsize)
    # Centre of the control points: Path.get_extents is exact but slow, and
    # CLOSEPOLY entries hold no position.
    points = outline.vertices[outline.codes != Path.CLOSEPOLY]
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    return outline.transformed(Affine2D().translate(-centre[0], -centre[1]))


def _class_names_for(labels, class_names, name):
    """Return the class name of each label, after checking the labels are in range."""
    evaluation.check_label_range(labels, len(class_names), name)
    return [class_names[label] for label in labels]


# ------------------------------------------------------------------- public API


class PixelLabels(PathCollection):
    """Text labels centred on the pixels of an image, drawn as one fast artist.

    One Matplotlib ``Text`` per pixel costs about a millisecond each to draw
    (close to a second for a 28x28 digit). Here each distinct label becomes a
    glyph outline once and is stamped on every pixel that shows it, the way
    ``scatter`` stamps markers.

    Attributes
    ----------
    labels : numpy.ndarray of str, shape (H, W)
        The text on each pixel; ``get_facecolor()`` holds its colour, row by row.
    fontsize : float
        Font size in points.
    """

    def __init__(self, labels, colors, fontsize, offset_transform):
        self.labels = labels
        self.fontsize = fontsize
        outlines = {text: _centred_outline(text, fontsize) for text in np.unique(labels)}
        rows, columns = np.indices(labels.shape)
        super().__init__(
            [outlines[text] for text in labels.ravel()],
            # As for scatter markers: outlines are in points (size 1, no other
            # transform), turned into screen pixels for the figure's dpi when drawn.
            sizes=[1.0],
            transform=IdentityTransform(),
            offsets=np.column_stack([columns.ravel(), rows.ravel()]),
            offset_transform=offset_transform,
            facecolors=colors.ravel(),
            edgecolors="none",
        )


def plot_image(image, ax=None, title=None, **kwargs):
    """Show one image without ticks.

    Parameters
    ----------
    image : array_like, shape (H, W), (H, W, 1) or (H, W, 3)
        Grayscale (grey colormap; diverging when it has negative values) or
        RGB (uint8 in 0..255 or float in 0..1, shown as is).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
        Axes title.
    **kwargs
        Passed to ``ax.imshow`` (e.g. ``cmap``, ``vmin``, ``interpolation``).

    Returns
    -------
    matplotlib.image.AxesImage
    """
    values = _check_image(image)
    ax = _new_axes_if_none(ax)
    options = _imshow_options(values, kwargs) if values.ndim == 2 else kwargs
    image_artist = ax.imshow(values, **options)
    _hide_ticks(ax)
    if title is not None:
        ax.set_title(title)
    return image_artist


def plot_image_grid(images, titles=None, ncols=8, title_colors=None, figsize=None, fig=None, **kwargs):
    """Show images in a grid, one panel each, optionally titled.

    Parameters
    ----------
    images : array_like, shape (N, H, W), (N, H, W, 1) or (N, H, W, 3)
    titles : sequence of str, optional
        N titles.
    ncols : int
        Panels per row (fewer when there are fewer images).
    title_colors : sequence of color, optional
        N title colours.
    figsize : (float, float), optional
        Size of the new figure in inches; used only when fig is None.
    fig : matplotlib.figure.Figure, optional
        Figure to fill with the grid; a new one when None.
    **kwargs
        Passed to ``imshow`` for every image.

    Returns
    -------
    list of matplotlib.axes.Axes
        The Axes holding images, one per image shown; the unused panels of the last row
        are hidden. Only the first MAX_GRID_IMAGES are shown, with a warning.

    Raises
    ------
    ValueError
        For one image instead of a batch: (H, W), or (H, W, 1) and (H, W, 3) with H and W
        larger than 3, which would otherwise be drawn as H strips. (N, 3, 3) stays a batch,
        e.g. of 3x3 kernels.
    """
    images = np.asarray(images)
    looks_like_one = images.ndim == 2 or (images.ndim == 3 and images.shape[-1] in (1, 3)
                                          and min(images.shape[:2]) > 3)
    if looks_like_one:
        raise ValueError(
            f"images has shape {images.shape}, which looks like one image, not a batch: pass a batch "
            "such as x_train[:8] (this image alone: image[np.newaxis]), or use plot_image. For "
            "N images of H x W grayscale pixels, add the channel axis: images[..., np.newaxis]"
        )
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
        raise ValueError(
            f"images must have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3); got shape {images.shape}"
        )
    count = len(images)
    if count == 0:
        raise ValueError("images is empty: there is nothing to show")
    for name, sequence in (("titles", titles), ("title_colors", title_colors)):
        if sequence is not None and len(sequence) != count:
            raise ValueError(f"{name} has {len(sequence)} entries for {count} images")
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1; got {ncols}")
    if count > MAX_GRID_IMAGES:  # thousands of panels: a figure hundreds of inches tall, for minutes
        warnings.warn(f"plot_image_grid shows the first {MAX_GRID_IMAGES} of {count} images; pass a slice "
                      f"such as images[:{MAX_GRID_IMAGES}] to choose which", stacklevel=2)
        count = MAX_GRID_IMAGES
        images = images[:count]
        titles = None if titles is None else titles[:count]
        title_colors = None if title_colors is None else title_colors[:count]
    ncols = min(ncols, count)
    nrows = -(-count // ncols)  # ceiling division
    if fig is None:
        fig = plt.figure(figsize=figsize or (PANEL_INCHES * ncols, 1.15 * PANEL_INCHES * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for index, ax in enumerate(axes):
        if index >= count:
            ax.set_axis_off()
            continue
        plot_image(images[index], ax=ax, **kwargs)
        if titles is not None:
            title_options = {} if title_colors is None else {"color": title_colors[index]}
            ax.set_title(titles[index], fontsize=GRID_TITLE_SIZE, **title_options)
    return list(axes[:count])


def plot_pixel_values(image, ax=None, fmt=None, fontsize=None, **kwargs):
    """Show a one-channel image with each pixel's value written on it.

    Text is black on light pixels and white on dark ones, decided from the
    colour actually displayed, so every label stays readable, mid-greys too.

    Parameters
    ----------
    image : array_like, shape (H, W) or (H, W, 1)
        Small image or patch, e.g. a 28x28 digit or a filter response.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    fmt : str, optional
        Format spec for the values, e.g. ".1f"; default: integers as they
        are, floats with ``FLOAT_FORMAT``.
    fontsize : float, optional
        Label size in points; default: as large as fits in a pixel.
    **kwargs
        Passed to ``ax.imshow``.

    Returns
    -------
    image_artist : matplotlib.image.AxesImage
    labels : PixelLabels
        One artist holding all H * W labels.
    """
    values = _check_image(image)
    if values.ndim != 2:
        raise ValueError(f"plot_pixel_values needs one channel, shape (H, W); got shape {values.shape}")
    ax = _new_axes_if_none(ax)
    image_artist = ax.imshow(values, **_imshow_options(values, kwargs))
    _hide_ticks(ax)
    labels = _format_values(values, fmt)
    if fontsize is None:
        fontsize = _fit_fontsize(ax, values.shape, max(len(text) for text in labels.ravel()))
    pixel_labels = PixelLabels(labels, _text_colors(image_artist, values), fontsize, ax.transData)
    ax.add_collection(pixel_labels, autolim=False)
    return image_artist, pixel_labels


def plot_kernel(kernel, ax=None, **kwargs):
    """Show a small convolution kernel with its values, on a diverging colormap centred on 0.

    Parameters
    ----------
    kernel : array_like, shape (kH, kW)
        One 2-D kernel (for a Keras kernel (kH, kW, C_in, C_out) pass one slice).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    **kwargs
        Passed to :func:`plot_pixel_values` (``fmt``, ``fontsize``) and ``ax.imshow``.

    Returns
    -------
    matplotlib.image.AxesImage
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError(
            f"kernel must have shape (kH, kW); got shape {kernel.shape} "
            "(for a Keras kernel pass one slice, e.g. kernel[:, :, 0, 0])"
        )
    # Same colour for +x and -x, white for 0, even when every weight is positive.
    limit = float(np.max(np.abs(kernel))) or 1.0
    options = {"cmap": DIVERGING_CMAP, "vmin": -limit, "vmax": limit, **kwargs}
    image_artist, _ = plot_pixel_values(kernel, ax=ax, **options)
    return image_artist


def plot_rgb_channels(image, axes=None, tint=False, **kwargs):
    """Show the R, G and B channels of a colour image side by side.

    Parameters
    ----------
    image : array_like, shape (H, W, 3)
        RGB image, uint8 in 0..255 or float in 0..1.
    axes : sequence of 3 matplotlib.axes.Axes, optional
        Where to draw; a new 1x3 figure when None.
    tint : bool
        Draw each channel from black to its own pure colour instead of grey.
    **kwargs
        Passed to each ``ax.imshow``.

    Returns
    -------
    list of 3 matplotlib.axes.Axes
    """
    values = _check_image(image)
    if values.ndim != 3:
        raise ValueError(f"plot_rgb_channels needs an RGB image, shape (H, W, 3); got shape {values.shape}")
    axes = _axes_list(axes, 3, "plot_rgb_channels")
    top = 255 if np.issubdtype(values.dtype, np.integer) else 1.0
    for channel, (ax, name, primary) in enumerate(zip(axes, CHANNEL_NAMES, CHANNEL_PRIMARIES)):
        # Black to pure red (not "Reds", which runs white to red) shows what the
        # channel adds to the mix: no red is black, full red is the brightest red.
        cmap = LinearSegmentedColormap.from_list(f"black_to_{name}", ["black", primary]) if tint else GRAY_CMAP
        # Fixed limits, so the three channels are comparable.
        ax.imshow(values[..., channel], **{"cmap": cmap, "vmin": 0, "vmax": top, **kwargs})
        _hide_ticks(ax)
        ax.set_title(f"{name} channel")
    return axes


def plot_feature_maps(maps, ncols=8, fig=None, titles=None, max_channels=None, **kwargs):
    """Show the channels of one layer's output, one panel per channel.

    Parameters
    ----------
    maps : array_like, shape (H, W, C)
        Activations of one image (for a batch (1, H, W, C) pass ``maps[0]``).
    ncols : int
        Panels per row.
    fig : matplotlib.figure.Figure, optional
        Figure to fill; a new one when None.
    titles : sequence of str, optional
        One title per shown channel; default "channel 0", "channel 1", ...
    max_channels : int, optional
        Show only the first max_channels channels.
    **kwargs
        Passed to ``imshow`` for every panel.

    Returns
    -------
    list of matplotlib.axes.Axes
    """
    maps = np.asarray(maps)
    if maps.ndim != 3:
        hint = " (a batch of one? pass maps[0])" if maps.ndim == 4 else ""
        raise ValueError(f"maps must have shape (H, W, C); got shape {maps.shape}{hint}")
    channels = maps.shape[-1] if max_channels is None else min(max_channels, maps.shape[-1])
    panels = np.moveaxis(maps[..., :channels], -1, 0)  # (C, H, W), a view
    if titles is None:
        titles = [f"channel {channel}" for channel in range(channels)]
    return plot_image_grid(panels, titles=titles, ncols=ncols, fig=fig, **kwargs)


def plot_training_history(history, metrics=("loss", "accuracy"), axes=None, **kwargs):
    """Plot training and validation curves per metric against the epoch number.

    Parameters
    ----------
    history : keras.callbacks.History or dict of lists
        ``model.fit``'s return value, or its ``.history`` dict such as
        ``{"loss": [...], "val_loss": [...]}``.
    metrics : sequence of str
        One panel per metric; its ``val_`` curve is drawn when present.
    axes : sequence of matplotlib.axes.Axes, optional
        One Axes per metric; a new 1-row figure when None.
    **kwargs
        Passed to every ``ax.plot`` (e.g. ``marker="o"``).

    Returns
    -------
    list of matplotlib.axes.Axes
    """
    curves = getattr(history, "history", history)
    if not isinstance(curves, Mapping):
        raise TypeError(f"history must be a Keras History or a dict of lists; got {type(history).__name__}")
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    missing = [metric for metric in metrics if metric not in curves]
    if missing:
        raise ValueError(f"history has no {missing}; it has {sorted(curves)}")
    axes = _axes_list(axes, len(metrics), "plot_training_history")
    for ax, metric in zip(axes, metrics):
        for key, label in ((metric, "train"), (f"val_{metric}", "validation")):
            if key in curves:
                values = curves[key]
                ax.plot(np.arange(1, len(values) + 1), values, label=label, **kwargs)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.5
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric)
        ax.legend()
    return axes


def plot_predictions(images, y_true, y_pred, class_names, ncols=8, fig=None, **kwargs):
    """Show images titled "predicted (true)": a tick and blue when right, a cross and red when wrong.

    The tick or cross carries the verdict, so the colours are a help, never the only sign.

    Parameters
    ----------
    images : array_like, shape (N, H, W), (N, H, W, 1) or (N, H, W, 3)
    y_true, y_pred : array_like
        Labels, shape (N,), or one-hot / probabilities, shape (N, K).
    class_names : sequence of str
        K class names.
    ncols : int
        Panels per row.
    fig : matplotlib.figure.Figure, optional
        Figure to fill; a new one when None.
    **kwargs
        Passed to ``imshow`` for every image.

    Returns
    -------
    list of matplotlib.axes.Axes
    """
    true_labels, predicted_labels = evaluation.to_labels(y_true), evaluation.to_labels(y_pred)
    if not len(images) == len(true_labels) == len(predicted_labels):
        raise ValueError(
            f"got {len(images)} images, {len(true_labels)} true labels and "
            f"{len(predicted_labels)} predictions; they must be equally many"
        )
    true_names = _class_names_for(true_labels, class_names, "y_true")
    predicted_names = _class_names_for(predicted_labels, class_names, "y_pred")
    right = true_labels == predicted_labels
    titles = [f"{RIGHT_MARK if ok else WRONG_MARK} {predicted} ({true})"
              for ok, predicted, true in zip(right, predicted_names, true_names)]
    colors = [RIGHT_COLOR if ok else WRONG_COLOR for ok in right]
    return plot_image_grid(images, titles=titles, ncols=ncols, title_colors=colors, fig=fig, **kwargs)


def plot_confusion_matrix(matrix, class_names, ax=None, normalize=False, **kwargs):
    """Show a confusion matrix with every cell's count written on it.

    The colour scale is set by the largest *off-diagonal* cell (the diagonal, far
    larger, is drawn at the top of the scale), so the mistakes are visible.

    Parameters
    ----------
    matrix : array_like, shape (K, K)
        Counts, rows true class, columns predicted class
        (see :func:`cnnlab.evaluation.confusion_matrix`).
    class_names : sequence of str
        K class names.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    normalize : bool
        Show each row as fractions of its true class instead of counts.
    **kwargs
        Passed to :func:`plot_pixel_values` (``fmt``, ``fontsize``) and ``ax.imshow``.

    Returns
    -------
    matplotlib.image.AxesImage
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square, shape (K, K); got shape {matrix.shape}")
    if len(class_names) != len(matrix):
        raise ValueError(f"matrix has {len(matrix)} classes but class_names has {len(class_names)} names")
    values = matrix
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        # A class missing from y_true has an all-zero row: it stays 0 instead of 0/0.
        values = np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)
    off_diagonal = values[~np.eye(len(values), dtype=bool)]
    top = off_diagonal.max() if off_diagonal.size and off_diagonal.max() > 0 else max(values.max(), 1)
    options = {"cmap": CONFUSION_CMAP, "vmin": 0, "vmax": top, **kwargs}
    if normalize:
        options = {"fmt": NORMALIZED_FORMAT, **options}
    image_artist, _ = plot_pixel_values(values, ax=ax, **options)
    ax = image_artist.axes
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(ticks, class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return image_artist


def plot_misclassified(images, y_true, y_pred, class_names, max_images=16, ncols=8, fig=None, **kwargs):
    """Show only the wrongly predicted images, titled "predicted (true)".

    Parameters
    ----------
    images : array_like, shape (N, H, W), (N, H, W, 1) or (N, H, W, 3)
    y_true, y_pred : array_like
        Labels, shape (N,), or one-hot / probabilities, shape (N, K).
    class_names : sequence of str
        K class names.
    max_images : int
        Show at most this many mistakes, the first ones in order.
    ncols : int
        Panels per row.
    fig : matplotlib.figure.Figure, optional
        Figure to fill; a new one when None.
    **kwargs
        Passed to ``imshow`` for every image.

    Returns
    -------
    list of matplotlib.axes.Axes
        Empty when every prediction is right; the figure then says so in words.
    """
    true_labels, predicted_labels = evaluation.to_labels(y_true), evaluation.to_labels(y_pred)
    if len(images) != len(true_labels):
        raise ValueError(f"got {len(images)} images but {len(true_labels)} labels in y_true")
    wrong = evaluation.misclassified_indices(true_labels, predicted_labels)
    if wrong.size == 0:
        fig = fig if fig is not None else plt.figure(figsize=(6, 1))
        fig.text(0.5, 0.5, NO_MISTAKES_TEXT.format(count=len(images)), ha="center", va="center")
        return []
    shown = wrong[:max_images]  # copies only the shown images
    return plot_predictions(np.asarray(images)[shown], true_labels[shown], predicted_labels[shown],
                            class_names, ncols=ncols, fig=fig, **kwargs)


def place_heatmap(heatmap, shape, centres=None):
    """Resample a coarse heat map (h, w) to an image's pixels (H, W), each cell at its centre.

    Parameters
    ----------
    heatmap : array_like, shape (h, w)
        E.g. Grad-CAM at a layer with h x w positions.
    shape : tuple of int
        The image's (H, W).
    centres : tuple of float, optional
        ``(first, step)``: the pixel where cell 0's centre lies and the pixels
        between neighbouring cells' centres, the same along both axes; for a
        layer of a network, the centre and step of its receptive fields
        (``cnnlab.visualize.map_centres``). When None, the cells are spread
        evenly over the image, as most Grad-CAM code does.

    Returns
    -------
    numpy.ndarray
        float32, shape (H, W): linear between neighbouring cell centres, and
        the outermost cell's value beyond them.
    """
    heatmap = np.asarray(heatmap, dtype=np.float32)
    if heatmap.ndim != 2:
        raise ValueError(f"heatmap must have shape (h, w); got shape {heatmap.shape}")
    if centres is not None and (len(centres) != 2 or not centres[1] > 0):
        raise ValueError(f"centres must be (first, step) with step above 0; got {centres!r}")

    def weights(pixels, cells):  # (pixels, cells): each pixel's share of each cell
        first, step = (pixels / cells / 2 - 0.5, pixels / cells) if centres is None else centres
        positions = first + step * np.arange(cells)
        return np.stack([np.interp(np.arange(pixels), positions, np.eye(cells)[cell])
                         for cell in range(cells)], axis=1)

    rows, columns = weights(shape[0], heatmap.shape[0]), weights(shape[1], heatmap.shape[1])
    return (rows @ heatmap @ columns.T).astype(np.float32)


def plot_heatmap_overlay(image, heatmap, ax=None, alpha=0.4, centres=None, **kwargs):
    """Draw a heatmap (e.g. Grad-CAM) semi-transparently over an image.

    Parameters
    ----------
    image : array_like, shape (H, W), (H, W, 1) or (H, W, 3)
    heatmap : array_like, shape (h, w)
        May be coarser than the image (e.g. 7x7): it is resampled to the
        image's pixels by :func:`place_heatmap`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    alpha : float
        Opacity of the heatmap.
    centres : tuple of float, optional
        ``(first, step)``: where the heatmap's cells are centred in the image,
        as :func:`place_heatmap` takes it; when None, spread evenly.
    **kwargs
        Passed to the heatmap's ``ax.imshow``.

    Returns
    -------
    matplotlib.image.AxesImage
        The heatmap layer, holding the resampled (H, W) values.
    """
    heatmap = np.asarray(heatmap)
    if heatmap.ndim != 2:
        raise ValueError(f"heatmap must have shape (h, w); got shape {heatmap.shape}")
    background = plot_image(image, ax=ax)
    height, width = background.get_array().shape[:2]
    options = {"cmap": HEATMAP_CMAP, "alpha": alpha, "interpolation": "nearest", **kwargs}
    placed = place_heatmap(heatmap, (height, width), centres)
    return background.axes.imshow(placed, **options)


# --------------------------------------------- signed maps, windows, weight tensors, compact photos

# Okabe-Ito colours: told apart with every common colour-vision deficiency.
WINDOW_COLORS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442")
WINDOW_INSET = 0.08  # pixels: neighbouring windows' boxes stay apart
JPEG_QUALITY = 80
JPEG_DPI = 80


def plot_signed(values, ax=None, title=None, limit=None, colorbar=True, label=None, **kwargs):
    """Show signed values on the diverging colormap (blue negative, white 0, red positive) with a colour bar.

    Parameters
    ----------
    values : array_like, shape (H, W) or (H, W, 1)
        E.g. a filter response or the difference of two maps.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
        Axes title.
    limit : float, optional
        The colours run from -limit to +limit (default: the largest absolute
        value). A smaller limit, such as a percentile, shows weak values too;
        stronger ones get the end colours and the colour bar arrows.
    colorbar : bool
        Draw a colour bar beside the image.
    label : str, optional
        Colour bar label.
    **kwargs
        Passed to ``ax.imshow``.

    Returns
    -------
    matplotlib.image.AxesImage
    """
    values = _check_image(values)
    if values.ndim != 2:
        raise ValueError(f"plot_signed needs one channel, shape (H, W); got shape {values.shape}")
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    limit = (largest or 1.0) if limit is None else float(limit)
    if not limit > 0:
        raise ValueError(f"limit must be > 0; got {limit}")
    image_artist = plot_image(values, ax=ax, title=title,
                              **{"cmap": DIVERGING_CMAP, "vmin": -limit, "vmax": limit, **kwargs})
    if colorbar:
        image_artist.axes.figure.colorbar(image_artist, ax=image_artist.axes, label=label, shrink=0.8,
                                          extend="both" if largest > limit else "neither")
    return image_artist


def plot_windows(shape, size, stride=None, ax=None, colors=WINDOW_COLORS, **kwargs):
    """Draw a box around every window position (valid padding) of a kernel or pool on an (H, W) image.

    Parameters
    ----------
    shape : (int, int)
        (H, W) of the image.
    size : int
        Window side, e.g. 2 for 2x2 pooling; 1 outlines single pixels (e.g. the pooled output).
    stride : int, optional
        Step between windows; default ``size`` (windows side by side, as pooling uses).
    ax : matplotlib.axes.Axes, optional
        Axes showing the image with imshow's pixel coordinates; a new figure with that
        image's extent when None.
    colors : sequence of color
        One per window in reading order, repeated when there are more windows.
    **kwargs
        Passed to every ``matplotlib.patches.Rectangle`` (e.g. ``linewidth``, ``linestyle``).

    Returns
    -------
    list of matplotlib.patches.Rectangle
        In reading order: the window at output (row, col) is item ``row * out_w + col``.
    """
    from matplotlib.patches import Rectangle

    if ax is None:
        ax = _new_axes_if_none(ax)
        ax.set(xlim=(-0.5, shape[1] - 0.5), ylim=(shape[0] - 0.5, -0.5), aspect="equal")  # as imshow
    stride = size if stride is None else stride
    rows, cols = ((length - size) // stride + 1 for length in shape)
    options = {"fill": False, "linewidth": 3, "clip_on": False, **kwargs}
    boxes = []
    for index in range(rows * cols):
        top, left = (index // cols) * stride, (index % cols) * stride
        corner = (left - 0.5 + WINDOW_INSET, top - 0.5 + WINDOW_INSET)
        side = size - 2 * WINDOW_INSET
        box = Rectangle(corner, side, side, edgecolor=colors[index % len(colors)], **options)
        boxes.append(ax.add_patch(box))
    return boxes


def plot_kernel_tensor(kernels, fig=None, **kwargs):
    """Show a Conv2D weight tensor as F columns (one per filter) of C_in kernels (one per input channel).

    Parameters
    ----------
    kernels : array_like, shape (kh, kw, C_in, F)
        Keras Conv2D's kernel layout, e.g. ``layer.get_weights()[0]``.
    fig : matplotlib.figure.Figure, optional
        Figure to fill; a new one when None.
    **kwargs
        Passed to :func:`plot_kernel` for every panel (e.g. ``fmt``). All panels
        share one colour scale, so equal colours mean equal weights.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes, shape (C_in, F)
    """
    kernels = np.asarray(kernels)
    if kernels.ndim != 4:
        raise ValueError(f"kernels must have shape (kh, kw, C_in, F); got shape {kernels.shape}")
    _, _, channels, num_filters = kernels.shape
    if fig is None:
        fig = plt.figure(figsize=(PANEL_INCHES * num_filters, 1.1 * PANEL_INCHES * channels))
    axes = fig.subplots(channels, num_filters, squeeze=False)
    limit = float(np.max(np.abs(kernels))) or 1.0
    options = {"vmin": -limit, "vmax": limit,
               "fmt": None if np.issubdtype(kernels.dtype, np.integer) else ".1f", **kwargs}
    for channel in range(channels):
        for index in range(num_filters):
            plot_kernel(kernels[:, :, channel, index], ax=axes[channel, index], **options)
        axes[channel, 0].set_ylabel(f"channel {channel}")
    for index in range(num_filters):
        axes[0, index].set_title(f"filter {index}", fontsize=GRID_TITLE_SIZE)
    return axes


def as_jpeg(fig=None, quality=JPEG_QUALITY, dpi=JPEG_DPI):
    """Return a figure as a JPEG for the notebook to show, and close it.

    Photos compress far better as JPEG than as PNG; use it for figures of
    photos (not for small annotated grids, whose sharp text JPEG blurs).

    Parameters
    ----------
    fig : matplotlib.figure.Figure, optional
        Default: the current figure.
    quality : int
        JPEG quality, 1 to 95.
    dpi : float
        Resolution of the render.

    Returns
    -------
    IPython.display.Image
        Shown as the cell's output when it is the last expression.
    """
    import io

    from IPython.display import Image  # only needed in a notebook

    fig = plt.gcf() if fig is None else fig
    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg", dpi=dpi, bbox_inches="tight", facecolor="white",
                pil_kwargs={"quality": quality, "optimize": True})
    plt.close(fig)
    return Image(data=buffer.getvalue(), format="jpeg")


# --------------------------------------------------------------------------- a ladder of measured steps

def plot_ladder(names, accuracies, noise, ax=None, **kwargs):
    """Plot the validation accuracy of each rung of a ladder, with a noise bar of +-noise on each.

    One row per rung, top to bottom in ladder order; each accuracy is a dot
    with its value written next to it (readable without colour), and a
    horizontal error bar of ``noise`` either side: two rungs whose bars
    overlap the other's dot differ by less than the noise.

    Parameters
    ----------
    names : sequence of str
        The rungs' names, shape (R,).
    accuracies : array_like
        Their accuracies as fractions 0..1, shape (R,); drawn in percent.
    noise : float
        The noise floor, a fraction (e.g. the difference between two runs of one rung).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    **kwargs
        Passed to ``ax.errorbar``.

    Returns
    -------
    matplotlib.container.ErrorbarContainer
        The dots and their bars, in percent.
    """
    accuracies = np.asarray(accuracies, dtype=float)
    if accuracies.ndim != 1 or len(accuracies) != len(names) or not len(names):
        raise ValueError(f"plot_ladder needs one accuracy per name; got {len(names)} names "
                         f"and accuracies of shape {accuracies.shape}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a fraction of 0 or more; got {noise!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1))
    rows, percent = np.arange(len(names)), 100 * accuracies
    options = {"fmt": "o", "color": "black", "capsize": 4, **kwargs}
    drawn = ax.errorbar(percent, rows, xerr=100 * noise, **options)
    for row, value in zip(rows, percent):
        ax.annotate(f"{value:.2f}", (value, row), xytext=(0, 7), textcoords="offset points",
                    ha="center", fontsize="small")
    ax.set_yticks(rows, names)
    ax.set_ylim(len(names) - 0.5, -0.7)  # first rung on top, room for its value
    ax.set_xlabel("validation accuracy (%)")
    ax.set_title(f"bars: ± {100 * noise:.2f} points, the noise floor", fontsize="medium")
    return drawn
