"""Predicting with a trained model: class labels, and probabilities averaged over test-time views.

Test-time augmentation (:func:`predict_views`) shows the model a few moved and
mirrored copies of each test image (:func:`test_time_views`, made with
:func:`cnnlab.augment.translate`) and averages its class probabilities over them.
:func:`predict_recipe` does that with the views a training recipe names.
"""

import numpy as np

from cnnlab import _checks, augment


def predict_labels(model, images, batch_size=512):
    """Predicted class index for each image, shape (N,), int64 (one plain view, no averaging)."""
    _checks.positive_int(batch_size, "batch_size", "predict_labels")
    return np.argmax(model.predict(images, batch_size=batch_size, verbose=0), axis=-1)


def _views(images, max_shift, flip):
    """Yield the test-time views one at a time (see :func:`test_time_views`)."""
    yield images
    if flip:
        yield images[:, :, ::-1]
    for step in ((-max_shift, -max_shift), (max_shift, max_shift)) if max_shift else ():
        moved = augment.translate(images, np.tile(step, (len(images), 1)))
        yield moved
        if flip:
            yield moved[:, :, ::-1]


def _check_views(images, max_shift):
    _checks.uint8_images(images)
    _checks.non_negative_int(max_shift, "max_shift")


def test_time_views(images, max_shift=1, flip=True):
    """The views of :func:`predict_views`: the images, mirrored, and moved diagonally by ``max_shift``.

    Returns a list of uint8 batches, each of shape (N, H, W, C): the original,
    then (with ``flip``) its mirror, then for shifts (-s, -s) and (s, s) the
    moved image and (with ``flip``) its mirror.
    """
    _check_views(images, max_shift)
    return list(_views(images, max_shift, flip))


def predict_views(model, images, max_shift=1, flip=True, batch_size=100):
    """Class probabilities averaged over :func:`test_time_views` of each image, shape (N, num_classes).

    The untouched and mirrored images count half; the moved ones share the other
    half (as airbench weighs them). The views are made and predicted a batch of
    ``batch_size`` images at a time (``model.predict_on_batch``), so no view of
    the whole set and no tensor copy of it is ever made (``predict`` converts its
    whole input first).
    """
    _check_views(images, max_shift)
    if not len(images):
        raise ValueError("images is empty: there is nothing to predict")
    batch_size = _checks.positive_int(batch_size, "batch_size", "predict_views")
    unmoved = 2 if flip else 1  # the first views: the images and their mirror
    averaged = []
    for start in range(0, len(images), batch_size):
        views = _views(images[start:start + batch_size], max_shift, flip)
        per_view = [np.asarray(model.predict_on_batch(view), dtype=np.float32) for view in views]
        plain = np.mean(per_view[:unmoved], axis=0)
        moved = per_view[unmoved:]
        averaged.append(0.5 * plain + 0.5 * np.mean(moved, axis=0) if moved else plain)
    return np.concatenate(averaged)


def predict_recipe(recipe, model, images):
    """Class probabilities with ``recipe``'s test-time views averaged, shape (N, num_classes).

    ``recipe`` is a :class:`cnnlab.recipes.Recipe`; its ``test_shift`` and
    ``test_flip`` choose the views.
    """
    return predict_views(model, images, max_shift=recipe.test_shift, flip=recipe.test_flip)
