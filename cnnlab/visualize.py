"""Look inside a trained CNN: first-layer filters, feature maps, top-activating patches, Grad-CAM.

This module only looks inside models; loading the trained ones is ``cnnlab.checkpoints.load_trained``.

Computations (NumPy arrays out) are kept apart from the ``plot_*`` helpers that
draw them. Everything runs on Keras 3 with the TensorFlow or the JAX backend:
sub-models are ``keras.Model`` objects built from the trained model's layers,
and the one gradient (Grad-CAM) has a small switch per backend.

The helpers expect a chain of layers (a ``keras.Sequential`` model, like all
cnnlab models), so that "the layers before X" and "the layers after X" are
well defined.
"""

import dataclasses

import matplotlib.pyplot as plt
import numpy as np

from cnnlab import conv, plots
from cnnlab.runtime import backend, keras

layers = keras.layers
ops = keras.ops

ACTIVATION_BATCH_SIZE = 256
GRADIENT_BACKENDS = ("tensorflow", "jax")
PANEL_INCHES = 1.4  # size of one panel in the layer-by-layer figure
CAM_PANEL_INCHES = 2.0  # Grad-CAM panels are wider: their titles name two classes

# Layers that change no pixel positions at inference time: each output pixel
# depends on the same input pixel only (augmentation layers are identities then).
POINTWISE_LAYERS = (layers.Rescaling, layers.BatchNormalization, layers.Activation, layers.ReLU,
                    layers.Dropout, layers.SpatialDropout2D, layers.RandomFlip, layers.RandomTranslation)
CONV_LAYERS = (layers.Conv2D, layers.DepthwiseConv2D, layers.SeparableConv2D)
POOL_LAYERS = (layers.MaxPooling2D, layers.AveragePooling2D)


def _check_chain(model):
    """Raise TypeError unless model is a Sequential model (a plain chain of layers)."""
    if not isinstance(model, keras.Sequential):
        raise TypeError(f"cnnlab.visualize needs a keras.Sequential model (a chain of layers); "
                        f"got {type(model).__name__} {model.name!r}")


def _layer_index(model, layer_name):
    """Position of the named layer in ``model.layers``; ValueError listing the names if absent."""
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(f"model {model.name!r} has no layer {layer_name!r}; its layers are {names}")
    return names.index(layer_name)


def _checked_images(model, images, what):
    """Return images as an array after checking they match the model's input shape (N, ...)."""
    expected = tuple(model.inputs[0].shape[1:])
    images = np.asarray(images)
    if images.ndim != len(expected) + 1 or images.shape[1:] != expected:
        raise ValueError(f"{what} must have shape (N, {', '.join(map(str, expected))}) for model "
                         f"{model.name!r}; got shape {images.shape}")
    return images


def _as_tensor(images):
    """A small batch of images as a float32 backend tensor, for calling a model directly."""
    return ops.convert_to_tensor(images, dtype="float32")


# ------------------------------------------------------------------ first-layer filters


def first_conv_kernel(model):
    """The kernel of the model's first Conv2D layer, float32 of shape (kH, kW, C_in, filters)."""
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            return ops.convert_to_numpy(layer.kernel).astype(np.float32)
    raise ValueError(f"model {model.name!r} has no Conv2D layer")


def filter_scale(kernel):
    """The largest absolute weight of a kernel (kH, kW, C_in, filters): the ends of its shared colour scale."""
    largest = float(np.abs(np.asarray(kernel, dtype=np.float32)).max())
    return largest if largest > 0 else 1.0


def filter_images(kernel):
    """Turn a first-layer kernel (kH, kW, C_in, filters) into one small image per filter.

    One input channel gives (filters, kH, kW) scaled by each filter's largest
    absolute weight, so values lie in -1..1 with 0 staying 0: fair there, since
    the batch normalisation after such a convolution divides out a filter's
    overall size anyway. Three input channels give RGB images (filters, kH, kW, 3)
    on one signed scale shared by all filters: 0.5 + 0.5 * weight / largest, where
    largest is :func:`filter_scale`, so a weight of 0 is mid grey (0.5) and
    -largest and +largest are 0 and 1. A filter with small weights stays grey, as
    it is in the computation (a fixed layer such as whitening has no batch
    normalisation to rescale it).
    """
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 4 or kernel.shape[2] not in (1, 3):
        raise ValueError(f"kernel must have shape (kH, kW, C_in, filters) with C_in 1 or 3; "
                         f"got shape {kernel.shape}")
    per_filter = np.moveaxis(kernel, -1, 0)  # (filters, kH, kW, C_in)
    if kernel.shape[2] == 1:
        largest = np.abs(per_filter).max(axis=(1, 2, 3), keepdims=True)
        return (per_filter / np.where(largest > 0, largest, 1))[..., 0]
    return 0.5 + 0.5 * per_filter / filter_scale(kernel)


def plot_filters(kernel, ncols=16, fig=None, **kwargs):
    """Show every filter of a first-layer kernel as a small image, titled with its index.

    Parameters
    ----------
    kernel : array_like, shape (kH, kW, C_in, filters)
        C_in 1 (each filter on its own scale, blue-white-red, 0 white) or 3 (one
        shared signed scale, 0 mid grey: see :func:`filter_images`; the figure's
        title states the scale).
    ncols : int
        Panels per row.
    fig : matplotlib.figure.Figure, optional
        Figure to fill; a new one when None.
    **kwargs
        Passed to ``imshow`` for every filter (they override the defaults).

    Returns
    -------
    list of matplotlib.axes.Axes
        One per filter, titled with its index (0 first), as ``kernel[..., index]``.
    """
    images = filter_images(kernel)
    titles = [str(index) for index in range(len(images))]
    options = {"interpolation": "nearest"}
    if images.ndim == 3:  # signed weights: one symmetric colour scale for all
        options.update(cmap=plots.DIVERGING_CMAP, vmin=-1, vmax=1)
    count = len(images)
    if fig is None:
        rows = -(-count // ncols)
        fig = plt.figure(figsize=(max(0.8 * min(ncols, count), 4.5), 0.95 * rows + 0.3),
                         layout="constrained")
    axes = plots.plot_image_grid(images, titles=titles, ncols=ncols, fig=fig, **{**options, **kwargs})
    if images.ndim == 4:  # a colour bar cannot show three channels: state the scale instead
        limit = filter_scale(kernel)
        fig.suptitle(f"one scale for all filters: mid grey = 0, each channel from -{limit:.3g} "
                     f"to +{limit:.3g}", fontsize="small")
    return axes


# ------------------------------------------------------------------ feature maps


def activation_model(model, layer_names):
    """A model from the same input to the outputs of the named layers (one output per name)."""
    for name in layer_names:
        _layer_index(model, name)
    # inputs[0], one tensor rather than a one-item list: Keras warns when a model built on a
    # list is called on a plain array.
    return keras.Model(model.inputs[0], [model.get_layer(name).output for name in layer_names],
                       name=f"{model.name}_activations")


def feature_maps(model, image, layer_names):
    """Each named layer's output for one image, as a dict name -> float32 array (H, W, C)."""
    batch = _checked_images(model, np.asarray(image)[None], "image (one image, no batch axis)")
    outputs = activation_model(model, layer_names)(_as_tensor(batch), training=False)
    if not isinstance(outputs, (list, tuple)):  # a model of one output returns the tensor itself
        outputs = [outputs]
    return {name: ops.convert_to_numpy(output)[0] for name, output in zip(layer_names, outputs)}


def plot_layer_maps(maps_by_layer, max_channels=8, fig=None, **kwargs):
    """Show the first channels of several layers' feature maps, one row of panels per layer.

    Parameters
    ----------
    maps_by_layer : dict of str -> array_like, shape (H, W, C)
        As returned by :func:`feature_maps`; H and W may differ between layers.
    max_channels : int
        Channels shown per layer.
    fig : matplotlib.figure.Figure, optional
        Figure to fill; a new one when None.
    **kwargs
        Passed to :func:`cnnlab.plots.plot_feature_maps` (and on to ``imshow``).

    Returns
    -------
    dict of str -> list of matplotlib.axes.Axes
    """
    if not maps_by_layer:
        raise ValueError("maps_by_layer is empty: there is nothing to show")
    if fig is None:
        fig = plt.figure(figsize=(PANEL_INCHES * max_channels, 1.25 * PANEL_INCHES * len(maps_by_layer)))
    rows = fig.subfigures(len(maps_by_layer), 1, squeeze=False)[:, 0]
    drawn = {}
    for row, (name, maps) in zip(rows, maps_by_layer.items()):
        drawn[name] = plots.plot_feature_maps(maps, ncols=max_channels, fig=row, max_channels=max_channels,
                                         **kwargs)
        height, width, channels = np.shape(maps)
        row.suptitle(f"{name}: {height}×{width}, {channels} channels", fontsize="medium")
    return drawn


# ------------------------------------------------------------------ receptive fields and top patches


# The arithmetic lives in cnnlab.conv (no Keras needed); re-exported for notebook 06.
ReceptiveField = conv.ReceptiveField


def receptive_field(model, layer_name):
    """The receptive field of one output position of ``layer_name`` (square kernels and strides)."""
    _check_chain(model)
    field = ReceptiveField()
    for layer in model.layers[:_layer_index(model, layer_name) + 1]:
        if isinstance(layer, CONV_LAYERS):
            settings = (layer.kernel_size, layer.strides, layer.dilation_rate)
        elif isinstance(layer, POOL_LAYERS):
            settings = (layer.pool_size, layer.strides, (1, 1))
        elif isinstance(layer, POINTWISE_LAYERS):
            continue
        else:
            raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) before {layer_name!r} has no "
                             "receptive field cnnlab can compute: only convolution, pooling and "
                             "pixel-wise layers keep positions")
        if any(value[0] != value[1] for value in settings):
            raise ValueError(f"layer {layer.name!r} is not square (kernel, strides, dilation {settings})")
        field = conv.grow_receptive_field(field, settings[0][0], settings[1][0], settings[2][0],
                                          layer.padding)
    return field


def crop(image, field, row, column):
    """The input patch (size, size[, C]) seen by output position (row, column); zeros outside the image."""
    image = np.asarray(image)
    patch = np.zeros((field.size, field.size) + image.shape[2:], dtype=image.dtype)
    top, left = field.first_pixel(row), field.first_pixel(column)
    rows = slice(max(top, 0), min(top + field.size, image.shape[0]))
    columns = slice(max(left, 0), min(left + field.size, image.shape[1]))
    patch[rows.start - top:rows.stop - top, columns.start - left:columns.stop - left] = image[rows, columns]
    return patch


@dataclasses.dataclass
class Strongest:
    """Per image and channel of one layer: the largest activation and where it is, each (N, C)."""

    values: np.ndarray
    rows: np.ndarray
    columns: np.ndarray


def _feature_map_output(model, layer_name):
    """The symbolic output of ``layer_name``; ValueError unless it is feature maps (N, H, W, C)."""
    _layer_index(model, layer_name)
    maps = model.get_layer(layer_name).output
    if len(maps.shape) != 4:
        raise ValueError(f"layer {layer_name!r} outputs shape {maps.shape}, not feature maps (N, H, W, C)")
    return maps


def strongest_activations(model, images, layer_name, batch_size=ACTIVATION_BATCH_SIZE):
    """For every image and channel of ``layer_name``: the maximum activation and its position.

    The maximum is taken inside the sub-model, so only (N, C) numbers come
    back instead of the full (N, H, W, C) maps (1 GB for MNIST's test set at
    the first layer).
    """
    maps = _feature_map_output(model, layer_name)
    height, width, channels = maps.shape[1:]
    flat = ops.reshape(maps, (-1, height * width, channels))
    summary = keras.Model(model.inputs[0], [ops.max(flat, axis=1), ops.argmax(flat, axis=1)])
    # predict converts one batch at a time, so uint8 images are never copied whole as floats.
    values, positions = summary.predict(_checked_images(model, images, "images"), batch_size=batch_size,
                                        verbose=0)
    rows, columns = np.divmod(positions, width)
    return Strongest(values=values.astype(np.float32), rows=rows, columns=columns)


def average_maps(model, images, layer_name, batch_size=ACTIVATION_BATCH_SIZE):
    """``layer_name``'s feature maps averaged over many images: float32 (H, W, C).

    Objects can sit anywhere in a photo, so averaged over many photos every
    position of a channel should respond alike; where the average differs at
    the border, the padding is the cause. The mean is taken inside the
    sub-model, one batch at a time, summed in float64.
    """
    maps = _feature_map_output(model, layer_name)
    images = _checked_images(model, images, "images")
    total = np.zeros(maps.shape[1:], np.float64)
    summary = keras.Model(model.inputs[0], ops.sum(maps, axis=0, keepdims=True))
    for start in range(0, len(images), batch_size):
        total += ops.convert_to_numpy(summary(_as_tensor(images[start:start + batch_size]), training=False))[0]
    return (total / max(len(images), 1)).astype(np.float32)


def border_contrast(maps, width=1):
    """Per channel, how far the mean of the outer ``width`` positions differs from the inside: (C,) float32.

    ``(frame mean - inside mean) / inside mean`` of maps (H, W, C), e.g. from
    :func:`average_maps`: 0.5 means the frame responds half as much again.
    Channels silent inside give 0 when the frame is silent too, else inf.
    """
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 3 or min(maps.shape[:2]) <= 2 * width:
        raise ValueError(f"maps must have shape (H, W, C) with H and W above {2 * width}; got {maps.shape}")
    frame = np.ones(maps.shape[:2], bool)
    frame[width:-width, width:-width] = False
    outside, inside = maps[frame].mean(axis=0), maps[~frame].mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        contrast = np.where(inside != 0, (outside - inside) / np.abs(inside),
                            np.where(outside == 0, 0.0, np.inf))
    return contrast.astype(np.float32)


def map_centres(model, layer_name):
    """Where the positions of ``layer_name``'s maps are centred in the input: (first, step) in pixels.

    Position ``i`` (along either axis) is centred on input pixel ``first + i * step``:
    the middle of its receptive field, worked out from the model's own
    convolution and pooling layers (:func:`receptive_field`). Pass the pair as
    ``centres`` to :func:`cnnlab.plots.plot_heatmap_overlay` or :func:`upsample`.
    """
    field = receptive_field(model, layer_name)
    return field.offset + (field.size - 1) / 2, field.jump


def upsample(heatmaps, size, centres=None):
    """Coarse heat maps (N, h, w) resampled to (N, size, size) as the overlays draw them, to compare per pixel.

    ``centres`` is ``(first, step)`` from :func:`map_centres`; None spreads
    the cells evenly over the image (see :func:`cnnlab.plots.place_heatmap`).
    """
    heatmaps = np.asarray(heatmaps, dtype=np.float32)
    if heatmaps.ndim != 3:
        raise ValueError(f"heatmaps must have shape (N, h, w); got shape {heatmaps.shape}")
    return np.stack([plots.place_heatmap(heatmap, (size, size), centres) for heatmap in heatmaps])


def top_patches(images, strongest, field, channel, count=9):
    """The ``count`` images whose patches most excite ``channel``: (patches, image indices), strongest first.

    Each image contributes at most one patch, the one around its own maximum,
    so one image cannot fill the whole list.
    """
    values = strongest.values[:, channel]
    order = np.argsort(-values, kind="stable")[:count]
    patches = np.stack([crop(images[index], field, strongest.rows[index, channel],
                             strongest.columns[index, channel]) for index in order])
    return patches, order


def plot_top_patches(patches_by_channel, fig=None, **kwargs):
    """Show the top-activating patches of several channels, one row per channel.

    Parameters
    ----------
    patches_by_channel : dict of int -> array_like, shape (count, size, size[, C])
        Patches of one layer, as returned by :func:`top_patches`, per channel.
    fig : matplotlib.figure.Figure, optional
        Figure to fill; a new one when None.
    **kwargs
        Passed to ``imshow`` for every patch.

    Returns
    -------
    list of matplotlib.axes.Axes
        All panels, row by row; the first of each row is titled with the channel.
    """
    if not patches_by_channel:
        raise ValueError("patches_by_channel is empty: there is nothing to show")
    counts = {len(patches) for patches in patches_by_channel.values()}
    if len(counts) != 1:
        raise ValueError(f"every channel needs the same number of patches; got {sorted(counts)}")
    count = counts.pop()
    titles = [f"channel {channel}" if index == 0 else ""
              for channel in patches_by_channel for index in range(count)]
    if fig is None:
        fig = plt.figure(figsize=(1.1 * count, 1.3 * len(patches_by_channel)), layout="constrained")
    patches = np.concatenate([np.asarray(patches) for patches in patches_by_channel.values()])
    return plots.plot_image_grid(patches, titles=titles, ncols=count, fig=fig, **kwargs)


# ------------------------------------------------------------------ Grad-CAM


def _is_softmax(activation):
    return getattr(activation, "__name__", None) == "softmax"


def _class_scores(model, layer_name):
    """A function from ``layer_name``'s output to the class scores before the final softmax.

    Grad-CAM differentiates these scores (logits), as in the paper: a
    softmax probability near 1 is flat, so its gradient says little.
    """
    later = model.layers[_layer_index(model, layer_name) + 1:]
    if not later:
        raise ValueError(f"{layer_name!r} is the model's output layer; choose a convolutional layer")
    last = later[-1]

    def scores(features):
        for layer in later[:-1]:
            features = layer(features, training=False)
        if isinstance(last, layers.Dense) and _is_softmax(last.activation):
            logits = ops.matmul(features, last.kernel)
            return logits + last.bias if last.use_bias else logits
        if isinstance(last, layers.Activation) and _is_softmax(last.activation):
            return features
        return last(features, training=False)

    return scores


def _gradient(scores, features, class_indices):
    """The gradient of each image's chosen class score with respect to ``features``."""
    # Images do not interact at inference, so the gradient of the sum over the
    # batch gives every image its own gradient in one pass.
    def total(values):
        chosen = ops.take_along_axis(scores(values), ops.expand_dims(class_indices, 1), axis=1)
        return ops.sum(chosen)

    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(features)
            target = total(features)
        return tape.gradient(target, features)
    if backend == "jax":
        import jax

        return jax.grad(total)(features)
    raise NotImplementedError(f"Grad-CAM supports the Keras backends {GRADIENT_BACKENDS}; "
                              f"this session runs {backend!r}")


def cam_from_gradients(features, gradients):
    """Combine feature maps (N, h, w, C) and their gradients into heat maps (N, h, w) in 0..1.

    Each channel is weighted by its gradient averaged over positions (how much
    more of that channel would raise the score); the weighted sum is clipped
    at 0 (only evidence *for* the class) and divided by each map's maximum.
    """
    features, gradients = np.asarray(features), np.asarray(gradients)
    if features.shape != gradients.shape or features.ndim != 4:
        raise ValueError(f"features and gradients must share one shape (N, h, w, C); "
                         f"got {features.shape} and {gradients.shape}")
    return _weighted_maps(features, gradients.mean(axis=(1, 2)))


def _weighted_maps(features, weights):
    """Heat maps (N, h, w) in 0..1: features (N, h, w, C) summed with weights (N, C), clipped at 0, scaled to max 1."""
    heatmaps = np.maximum(np.einsum("nhwc,nc->nhw", features, weights), 0).astype(np.float32)
    peaks = heatmaps.max(axis=(1, 2), keepdims=True)
    return heatmaps / np.where(peaks > 0, peaks, 1)


def _class_indices(class_indices, count):
    """``class_indices`` as an int array of shape (count,); ValueError otherwise."""
    class_indices = np.asarray(class_indices, dtype=np.int32)
    if class_indices.shape != (count,):
        raise ValueError(f"class_indices must have shape ({count},); got {class_indices.shape}")
    return class_indices


def grad_cam(model, images, layer_name, class_indices=None):
    """Grad-CAM heat maps of ``layer_name`` for a few images: (heatmaps (N, h, w), class indices (N,)).

    By default each image's predicted class is explained; pass ``class_indices``
    (N,) to explain other classes. Heat maps have the layer's resolution
    (e.g. 3×3); :func:`cnnlab.plots.plot_heatmap_overlay` draws them over the image,
    each position at its receptive field's centre when given :func:`map_centres`.
    """
    _check_chain(model)
    scores = _class_scores(model, layer_name)
    images = _checked_images(model, images, "images")
    features = activation_model(model, [layer_name])(_as_tensor(images), training=False)
    if isinstance(features, (list, tuple)):
        features = features[0]
    if class_indices is None:
        class_indices = np.argmax(ops.convert_to_numpy(scores(features)), axis=-1)
    class_indices = _class_indices(class_indices, len(images))
    gradients = _gradient(scores, features, ops.convert_to_tensor(class_indices))
    heatmaps = cam_from_gradients(ops.convert_to_numpy(features), ops.convert_to_numpy(gradients))
    return heatmaps, class_indices


def class_activation_maps(model, images, layer_name, class_indices):
    """CAM (Zhou et al., 2016) of ``layer_name``: heat maps (N, h, w) in 0..1 read off the output weights.

    Only for a head of global pooling then one Dense layer (then, optionally,
    pointwise layers such as a positive Rescaling and the softmax), like the
    recipes' models. Each map is the class's Dense weights applied to the
    channels, clipped at 0 and divided by its maximum, as :func:`cam_from_gradients` does.
    For such a head the gradient of the class score is the same for every
    position of a channel on average, so Grad-CAM at that layer gives these maps.
    """
    _check_chain(model)
    later = model.layers[_layer_index(model, layer_name) + 1:]
    global_pools = (layers.GlobalAveragePooling2D, layers.GlobalMaxPooling2D)
    pointwise = (layers.Rescaling, layers.Activation, layers.Dropout, layers.Softmax)
    if (len(later) < 2 or not isinstance(later[0], global_pools) or not isinstance(later[1], layers.Dense)
            or not all(isinstance(layer, pointwise) for layer in later[2:])
            or any(isinstance(layer, layers.Rescaling) and not np.all(np.asarray(layer.scale) > 0)
                   for layer in later[2:])):
        raise ValueError(f"CAM needs {layer_name!r} to be followed by global pooling, one Dense layer and "
                         f"nothing but pointwise layers; model {model.name!r} has "
                         f"{[layer.name for layer in later]} after it")
    images = _checked_images(model, images, "images")
    class_indices = _class_indices(class_indices, len(images))
    features = activation_model(model, [layer_name])(_as_tensor(images), training=False)
    features = ops.convert_to_numpy(features[0] if isinstance(features, (list, tuple)) else features)
    weights = ops.convert_to_numpy(later[1].kernel)[:, class_indices]  # (C, N): each image's class column
    return _weighted_maps(features, weights.T)


# ------------------------------------------------------------------ occlusion sensitivity

OCCLUSION_PATCH = 8  # pixels: about an object part in a 32x32 photo
OCCLUSION_STRIDE = 2
OCCLUSION_FILL = 128  # mid grey


def occlusion_sensitivity(model, image, class_index, patch_size=OCCLUSION_PATCH, stride=OCCLUSION_STRIDE,
                          fill=OCCLUSION_FILL, batch_size=ACTIVATION_BATCH_SIZE):
    """How much hiding each part of the image lowers the probability of ``class_index`` (Zeiler & Fergus).

    A grey ``patch_size`` square slides over the image in steps of ``stride``;
    the model scores every occluded copy. Only the model's inputs and outputs
    are used, so this checks Grad-CAM without relying on its gradients.

    Parameters
    ----------
    model : keras.Model
        Outputs class probabilities, shape (N, num_classes).
    image : numpy.ndarray
        One image, shape (H, W, C), of the model's input dtype (uint8 for cnnlab's models).
    class_index : int
        The class whose probability is watched.

    Returns
    -------
    drops : numpy.ndarray
        float32, shape (H, W): for each pixel, the probability lost (on average
        over the squares that cover it) when it is hidden; negative where hiding
        it *raises* the probability.
    probability : float
        The probability of ``class_index`` for the untouched image.
    """
    image = np.asarray(image)
    _checked_images(model, image[None], "image (one image, no batch axis)")
    height, width = image.shape[:2]
    if not 1 <= patch_size <= min(height, width) or stride < 1:
        raise ValueError(f"patch_size must be 1..{min(height, width)} and stride at least 1; "
                         f"got patch_size={patch_size}, stride={stride}")

    def starts(size):  # the last square touches the far border
        return sorted(set(range(0, size - patch_size + 1, stride)) | {size - patch_size})

    corners = [(top, left) for top in starts(height) for left in starts(width)]
    occluded = np.repeat(image[None], len(corners) + 1, axis=0)  # copy 0 stays untouched
    for copy, (top, left) in enumerate(corners, start=1):
        occluded[copy, top:top + patch_size, left:left + patch_size] = fill
    probabilities = model.predict(occluded, batch_size=batch_size, verbose=0)[:, class_index]
    total, covered = np.zeros((height, width)), np.zeros((height, width))
    for (top, left), probability in zip(corners, probabilities[1:]):
        total[top:top + patch_size, left:left + patch_size] += probabilities[0] - probability
        covered[top:top + patch_size, left:left + patch_size] += 1
    return (total / covered).astype(np.float32), float(probabilities[0])


# ------------------------------------------------------------------ drawing Grad-CAM


def plot_grad_cam(images, heatmaps, titles=None, title_colors=None, ncols=2, fig=None, alpha=0.5,
                  centres=None, **kwargs):
    """Show each image three ways: the photo, its heat map alone (with a colour bar), and the two overlaid.

    Parameters
    ----------
    images : array_like, shape (N, H, W), (N, H, W, 1) or (N, H, W, 3)
    heatmaps : array_like, shape (N, h, w)
        Values in 0..1, drawn alone as they are and over each image resampled.
    titles, title_colors : sequence, optional
        N titles (over each photo) and their colours.
    ncols : int
        Images per row (each takes three panels).
    fig : matplotlib.figure.Figure, optional
        Figure to fill; a new one when None.
    alpha : float
        Opacity of the heat map in the overlay.
    centres : tuple of float, optional
        ``(first, step)`` from :func:`map_centres`: where the heat maps' cells lie
        in the photos. When None, the cells are spread evenly over each photo.
    **kwargs
        Passed to ``imshow`` for the heat maps (alone and overlaid).

    Returns
    -------
    dict
        ``"photos"``, ``"heatmaps"``, ``"overlays"``: one Axes per image each;
        ``"colorbar"``: the shared colour bar.
    """
    images, heatmaps = np.asarray(images), np.asarray(heatmaps)
    if len(images) != len(heatmaps) or heatmaps.ndim != 3:
        raise ValueError(f"need N images and N heat maps (N, h, w); got shapes {images.shape} "
                         f"and {heatmaps.shape}")
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    if fig is None:
        fig = plt.figure(figsize=(3 * CAM_PANEL_INCHES * ncols + 1, 1.1 * CAM_PANEL_INCHES * nrows),
                         layout="constrained")
    axes = fig.subplots(nrows, 3 * ncols, squeeze=False).reshape(nrows * ncols, 3)
    for row in axes[len(images):]:
        for ax in row:
            ax.set_axis_off()
    options = {"cmap": plots.HEATMAP_CMAP, "vmin": 0, "vmax": 1, **kwargs}
    drawn = {"photos": [], "heatmaps": [], "overlays": []}
    for index, ((photo_ax, heat_ax, overlay_ax), image, heatmap) in enumerate(zip(axes, images, heatmaps)):
        plots.plot_image(image, ax=photo_ax)
        heat = plots.plot_image(heatmap, ax=heat_ax, **options)
        plots.plot_heatmap_overlay(image, heatmap, ax=overlay_ax, alpha=alpha, centres=centres,
                                   **options)
        if titles is not None:
            color = None if title_colors is None else title_colors[index]
            photo_ax.set_title(titles[index], fontsize=plots.GRID_TITLE_SIZE, color=color)
        heat_ax.set_title("heat map", fontsize=plots.GRID_TITLE_SIZE)
        overlay_ax.set_title("overlay", fontsize=plots.GRID_TITLE_SIZE)
        for key, ax in zip(drawn, (photo_ax, heat_ax, overlay_ax)):
            drawn[key].append(ax)
    drawn["colorbar"] = fig.colorbar(heat, ax=list(axes.ravel()), shrink=0.6,
                                     label="evidence for the class (largest = 1)")
    return drawn
