"""The one quick/full switch, read from the environment once.

Set ``CNNLAB_QUICK=1`` to shorten training (fewer epochs and steps) for CI and
smoke runs. Data, shapes and every deterministic printout stay the same.
``1/true/yes/on/y/t`` mean quick and ``0/false/no/off/n/f`` or empty mean full, in
any case; any other value raises ValueError when this module is imported.
"""

import os

QUICK_ENV = "CNNLAB_QUICK"
# The usual spellings, compared case-insensitively; empty (set but blank) means false.
TRUE_SPELLINGS = ("1", "true", "yes", "on", "y", "t")
FALSE_SPELLINGS = ("0", "false", "no", "off", "n", "f", "")


def parse_flag(value, variable=QUICK_ENV):
    """Read an environment variable's text as True or False.

    Parameters
    ----------
    value : str or None
        The variable's value; None (unset) is False.
    variable : str
        Its name, for the error message.

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        For any other spelling (``full``, ``none``, ``00``, ...), naming the variable and the
        accepted values, so that a typo never silently picks a mode.
    """
    text = "" if value is None else value.strip().lower()
    if text in TRUE_SPELLINGS:
        return True
    if text in FALSE_SPELLINGS:
        return False
    raise ValueError(
        f"{variable}={value!r} is not a true/false value. Use one of "
        f"{'/'.join(TRUE_SPELLINGS)} for quick mode or {'/'.join(FALSE_SPELLINGS[:-1])} "
        f"(or empty, or unset) for full mode; any case is fine.")


# Read once, when cnnlab is imported: a bad value stops the first cell that imports cnnlab.
quick = parse_flag(os.environ.get(QUICK_ENV))
mode = "quick" if quick else "full"


def pick(full, quick_value):
    """Return ``quick_value`` in quick mode and ``full`` otherwise."""
    return quick_value if quick else full


# What quick mode shortens: training only, never the data or the shapes.
QUICK_EPOCHS = 1
QUICK_TRAIN_IMAGES = 12_800  # images per quick epoch (100 batches of 128), whatever the batch size


def epochs_to_train(epochs):
    """The epochs to train: ``epochs`` in full mode, at most QUICK_EPOCHS in quick mode."""
    return min(epochs, QUICK_EPOCHS) if quick else epochs


def train_images_per_epoch(num_images):
    """Training images one epoch goes through: all of them, or at most QUICK_TRAIN_IMAGES in quick mode."""
    return min(num_images, QUICK_TRAIN_IMAGES) if quick else num_images
