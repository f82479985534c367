"""Argument checks shared by every public function of cnnlab: one rule each, one wording.

NumPy only, so that importing it never loads Keras. Each check raises
ValueError (TypeError for arrays that hold no numbers) naming the argument,
what it must be and what it was, before any time is spent, and returns the
value in the form the caller computes with.

One rule for bools: ``True`` is a bool, not the integer 1, so no integer
check accepts it (``batch_size=True`` is a slip, not a request for batch 1).
"""

import numpy as np

NUMERIC_KINDS = "biuf"  # NumPy dtype kinds: bool, signed int, unsigned int, float


def _prefix(where):
    return f"{where}: " if where else ""


def is_int(value):
    """True for Python and NumPy integers, but not for bools."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def positive_int(value, name, where=None):
    """Return ``value`` as an int, raising ValueError unless it is an integer >= 1."""
    if not is_int(value) or value < 1:
        raise ValueError(f"{_prefix(where)}{name} must be an integer >= 1, got {value!r}")
    return int(value)


def non_negative_int(value, name, where=None):
    """Return ``value`` as an int, raising ValueError unless it is an integer >= 0."""
    if not is_int(value) or value < 0:
        raise ValueError(f"{_prefix(where)}{name} must be an integer >= 0, got {value!r}")
    return int(value)


def pair(value, name, where=None):
    """Return (height, width) from an int or a pair of ints, each >= 1."""
    if is_int(value):
        value = (value, value)
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{_prefix(where)}{name} must be an int or a (height, width) pair, "
                         f"got {value!r}")
    return positive_int(value[0], name, where), positive_int(value[1], name, where)


def fraction(value, name, where=None):
    """Return ``value`` as a float, raising ValueError unless it lies strictly between 0 and 1."""
    number = isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))
    if not number or not 0 < value < 1:
        raise ValueError(f"{_prefix(where)}{name} must be a number between 0 and 1, got {value!r}")
    return float(value)


def numeric_array(value, name, layouts, where):
    """Return ``value`` as a non-empty numeric array whose ndim is a key of ``layouts``.

    ``layouts`` maps each allowed ndim to its description, e.g. ``{2: "(H, W)"}``.
    """
    array = np.asarray(value)
    if array.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"{where}: {name} must hold numbers, got dtype {array.dtype}")
    if array.ndim not in layouts:
        expected = " or ".join(layouts.values())
        raise ValueError(f"{where}: {name} must be {expected}, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{where}: {name} is empty (shape {array.shape})")
    return array


def uint8_images(images, name="images"):
    """Return ``images`` unchanged, raising ValueError unless it is a uint8 batch (N, H, W, C)."""
    if not isinstance(images, np.ndarray) or images.ndim != 4 or images.dtype != np.uint8:
        shape = getattr(images, "shape", None)
        dtype = getattr(images, "dtype", type(images).__name__)
        raise ValueError(f"{name} must be a uint8 array of shape (N, H, W, C); "
                         f"got {dtype} of shape {shape}")
    return images


def same_length(first, second, names=("images", "labels")):
    """Raise ValueError unless ``first`` and ``second`` have the same length."""
    if len(first) != len(second):
        raise ValueError(f"{names[0]} and {names[1]} differ in length: "
                         f"{len(first)} vs {len(second)}")
