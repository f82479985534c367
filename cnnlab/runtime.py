"""Import Keras once, quietly, on whichever backend the learner chose.

TensorFlow writes start-up lines straight to the process's stderr (file
descriptor 2), where Jupyter shows them as a red wall under the first cell.
``TF_CPP_MIN_LOG_LEVEL`` hides later messages but not the ones printed before
logging starts, so the import itself runs with descriptor 2 pointed at
/dev/null. Python-level errors still raise normally.
"""

import contextlib
import importlib.util
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def native_stderr_silenced():
    """Send native (C/C++) writes to stderr to /dev/null for the duration."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (some embedded runners)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with native_stderr_silenced():
    import keras  # noqa: E402

    # On the JAX or PyTorch backend Keras still imports TensorFlow later, when one is installed
    # (its data adapters use tf.data), and the start-up lines would then appear mid-notebook.
    if importlib.util.find_spec("tensorflow") is not None:
        import tensorflow as tf  # noqa: E402

        tf.get_logger().setLevel("ERROR")

backend = keras.backend.backend()
