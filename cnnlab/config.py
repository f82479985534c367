"""The one quick/full switch, read from the environment once.

Set ``CNNLAB_QUICK=1`` to shorten training (fewer epochs and steps) for CI and
smoke runs. Data, shapes and every deterministic printout stay the same.
"""

import os

QUICK_ENV = "CNNLAB_QUICK"

quick = os.environ.get(QUICK_ENV, "0").strip().lower() not in ("", "0", "false", "no")
mode = "quick" if quick else "full"


def pick(full, quick_value):
    """Return ``quick_value`` in quick mode and ``full`` otherwise."""
    return quick_value if quick else full


def checkpoint_path(model_name):
    """The .keras file a notebook saves its model to; quick runs use their own, never the full one."""
    return f"checkpoints/{model_name}{'_quick' if quick else ''}.keras"


# What quick mode shortens: training only, never the data or the shapes.
QUICK_EPOCHS = 1
QUICK_STEPS_PER_EPOCH = 100
