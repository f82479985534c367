"""Scoring a classifier's predictions: accuracy, confusion matrix, worst confusions.

NumPy only. Every function takes labels either as integers, shape (N,), or as
one-hot vectors / predicted probabilities, shape (N, num_classes), which are
turned into labels by taking the argmax of each row.
"""

import numpy as np

from cnnlab import _checks


def to_labels(y):
    """Return integer class labels, shape (N,), from labels or per-class scores.

    Parameters
    ----------
    y : array_like
        Integer labels of shape (N,) or (N, 1) (Keras ships CIFAR-10 labels as
        a column), or one-hot vectors / probabilities of shape
        (N, num_classes), whose row-wise argmax is the label.

    Returns
    -------
    numpy.ndarray
        Integer labels, shape (N,).
    """
    array = np.asarray(y)
    if array.ndim == 2 and array.shape[1] > 1:
        return np.argmax(array, axis=1)
    if array.ndim == 2:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"labels must have shape (N,), (N, 1) or (N, num_classes); got shape {array.shape}"
        )
    if array.size == 0:
        return array.astype(np.int64)
    if not np.issubdtype(array.dtype, np.integer):
        # A float column could be labels or one sigmoid output: refuse to guess.
        raise TypeError(
            f"labels of shape (N,) or (N, 1) must be integers; got dtype {array.dtype} "
            "(scores need shape (N, num_classes))"
        )
    return array


def _label_pair(y_true, y_pred):
    """Return y_true and y_pred as label arrays of the same length."""
    true_labels, predicted_labels = to_labels(y_true), to_labels(y_pred)
    if len(true_labels) != len(predicted_labels):
        raise ValueError(
            f"y_true has {len(true_labels)} labels but y_pred has {len(predicted_labels)}"
        )
    return true_labels, predicted_labels


def check_label_range(labels, num_classes, name="labels"):
    """Raise ValueError if an integer label lies outside 0 .. num_classes - 1."""
    labels = np.asarray(labels)
    outside = labels[(labels < 0) | (labels >= num_classes)]
    if outside.size:
        raise ValueError(
            f"{name} contains label {outside[0]}, outside 0..{num_classes - 1} "
            f"(num_classes={num_classes})"
        )


def confusion_matrix(y_true, y_pred, num_classes):
    """Count predictions per (true class, predicted class) pair.

    Parameters
    ----------
    y_true, y_pred : array_like
        Labels, shape (N,), or scores, shape (N, num_classes).
    num_classes : int
        Number of classes K.

    Returns
    -------
    numpy.ndarray
        int64 counts, shape (K, K): row = true class, column = predicted class.
    """
    num_classes = _checks.positive_int(num_classes, "num_classes", "confusion_matrix")
    true_labels, predicted_labels = _label_pair(y_true, y_pred)
    check_label_range(true_labels, num_classes, "y_true")
    check_label_range(predicted_labels, num_classes, "y_pred")
    # Each (true, predicted) pair gets its own bin number: true * K + predicted.
    # int64 first, so uint8 labels cannot overflow when multiplied by K.
    cells = true_labels.astype(np.int64) * num_classes + predicted_labels
    counts = np.bincount(cells, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


def per_class_accuracy(y_true, y_pred, num_classes):
    """Return the fraction of each true class that was predicted right.

    Parameters
    ----------
    y_true, y_pred : array_like
        Labels, shape (N,), or scores, shape (N, num_classes).
    num_classes : int
        Number of classes K.

    Returns
    -------
    numpy.ndarray
        float, shape (K,); NaN for a class that never occurs in y_true.
    """
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    totals = matrix.sum(axis=1)
    right = np.diag(matrix)
    return np.divide(right, totals, out=np.full(num_classes, np.nan), where=totals > 0)


def accuracy(y_true, y_pred):
    """Return the fraction of predictions equal to the true labels, as a float."""
    true_labels, predicted_labels = _label_pair(y_true, y_pred)
    if len(true_labels) == 0:
        raise ValueError("accuracy of zero predictions is undefined: y_true and y_pred are empty")
    return float(np.mean(true_labels == predicted_labels))


def misclassified_indices(y_true, y_pred):
    """Return the indices, shape (M,), of the samples whose prediction is wrong."""
    true_labels, predicted_labels = _label_pair(y_true, y_pred)
    return np.flatnonzero(true_labels != predicted_labels)


def top_confusions(matrix, class_names, k=5):
    """Return the k most frequent mistakes as (true_name, predicted_name, count).

    Parameters
    ----------
    matrix : array_like
        Confusion matrix, shape (K, K), rows true, columns predicted.
    class_names : sequence of str
        K class names.
    k : int
        Maximum number of mistakes to list; cells with count 0 are left out.

    Returns
    -------
    list of tuple
        Largest off-diagonal cells first, ties in row-major order. A tie at the
        k-th place is kept whole (so more than k may come back): cutting it
        would name one of equally frequent mistakes as if it stood out.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square, shape (K, K); got shape {matrix.shape}")
    if len(class_names) != matrix.shape[0]:
        raise ValueError(
            f"matrix has {matrix.shape[0]} classes but class_names has {len(class_names)} names"
        )
    k = _checks.non_negative_int(k, "k", "top_confusions")
    mistakes = matrix.copy()
    np.fill_diagonal(mistakes, 0)
    order = np.argsort(-mistakes, axis=None, kind="stable")
    counts = mistakes.reshape(-1)[order]
    if 0 < k < len(order):
        order = order[counts >= counts[k - 1]]
    else:
        order = order[:k]
    rows, columns = np.unravel_index(order, mistakes.shape)
    return [
        (class_names[row], class_names[column], mistakes[row, column].item())
        for row, column in zip(rows, columns)
        if mistakes[row, column] > 0
    ]
