"""Where cnnlab runs: Keras imported once and quietly, the CPU, its precision, and seeding.

Keras is imported here once, on whichever backend the learner chose.

TensorFlow writes start-up lines straight to the process's stderr (file
descriptor 2), where Jupyter shows them as a red wall under the first cell.
``TF_CPP_MIN_LOG_LEVEL`` hides later messages but not the ones printed before
logging starts, so the import itself runs with descriptor 2 pointed at
/dev/null. Python-level errors still raise normally.

:func:`precision_policy` picks bfloat16 where the CPU computes it natively
(read from /proc/cpuinfo by :func:`cpuinfo_field`, the one parser of that file).
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


def set_seed(seed=0):
    """Seed Python, NumPy and the Keras backend in one call, for repeatable runs."""
    keras.utils.set_random_seed(seed)


# --- the CPU and the precision it computes in ---------------------------------------------

CPUINFO = "/proc/cpuinfo"
BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of CPUs with native bfloat16 maths


def cpuinfo_field(key, cpuinfo=CPUINFO):
    """The text after ``key :`` on the first such line of ``/proc/cpuinfo``; None where there is none.

    Linux only: on other systems (no such file) it is None too.
    """
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as lines:
            for line in lines:
                name, colon, value = line.partition(":")
                if colon and name.strip() == key:
                    return value.strip()
    except OSError:
        pass
    return None


def cpu_has_bfloat16(cpuinfo=CPUINFO):
    """True where the CPU multiplies bfloat16 natively (Linux only; False when it cannot tell)."""
    flags = (cpuinfo_field("flags", cpuinfo) or "").split()
    return any(flag in flags for flag in BFLOAT16_FLAGS)


def precision_policy():
    """ "mixed_bfloat16" where TensorFlow can use a native bfloat16 CPU, else "float32".

    Mixed precision computes in bfloat16 (half the bytes, twice the multiply rate
    on such CPUs) and keeps the weights in float32. Elsewhere bfloat16 is emulated
    and slower, so float32 stays the default.
    """
    native = keras.backend.backend() == "tensorflow" and cpu_has_bfloat16()
    return "mixed_bfloat16" if native else "float32"
