#!/usr/bin/env python3
"""Execute every notebook in a fresh kernel; print wall time and the kernel's peak memory.

    python scripts/run_notebooks.py [--quick] [--data-dir DIR] [--write] [NAME ...]

The last line printed is one JSON object:
{"mode": "quick"|"full", "notebooks": {"01_filters": {"seconds": s, "peak_rss_mb": m,
 "peak_anonymous_mb": a}, ...}, "total_seconds": t, "jax_installed": bool}
"peak_rss_mb" is the kernel's peak resident set (VmHWM): it includes the pages of shared
libraries it has read (TensorFlow's alone are 0.4-0.5 GB), which the system shares with other
processes and can drop and read again under memory pressure; it moved by about 150 MB between
two runs of notebook 05 40 minutes apart. "peak_anonymous_mb" is the largest anonymous
memory (RssAnon: the arrays, tensors and heap, which cannot be dropped) seen by sampling every
0.1 s, so a short spike between two samples can be missed.
"jax_installed" matters for memory: where JAX is installed, importing Keras on the
TensorFlow backend imports it too (about 0.1 GB); the requirements do not install it.
With --write the executed notebooks (outputs included) replace the stored ones.
"""

import argparse
import importlib.util
import json
import os
import pathlib
import sys
import threading
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
CELL_TIMEOUT_SECONDS = 1800


def memory_mb(pid, field):
    """One field of /proc/PID/status (e.g. "RssAnon"), in MB; None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_rss_mb(pid):
    """The process's peak resident memory (VmHWM) in MB, read from /proc; None elsewhere."""
    return memory_mb(pid, "VmHWM")


class AnonymousPeak:
    """Sample a process's anonymous memory every ``interval`` seconds in a thread; keep the largest."""

    def __init__(self, pid, interval=0.1):
        self.pid, self.interval, self.peak = pid, interval, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while True:
            value = memory_mb(self.pid, "RssAnon")
            if value is not None:
                self.peak = value if self.peak is None else max(self.peak, value)
            if self._stop.wait(self.interval):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()


def execute(path):
    """Run one notebook top to bottom in a new kernel; return (notebook, seconds, peak MB, anonymous MB)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_SECONDS, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        with AnonymousPeak(pid) as anonymous:
            for index, cell in enumerate(notebook.cells):
                client.execute_cell(cell, index)
        peak = peak_rss_mb(pid)
    seconds = time.perf_counter() - start
    return notebook, seconds, peak, anonymous.peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="set CNNLAB_QUICK=1 (short training)")
    parser.add_argument("--data-dir", help="data directory (sets CNNLAB_DATA_DIR)")
    parser.add_argument("--write", action="store_true", help="store the outputs in the notebooks")
    parser.add_argument("names", nargs="*", help="notebook names (default: all), e.g. 01_filters")
    args = parser.parse_args(argv)

    # The kernels inherit this process's environment.
    os.environ["CNNLAB_QUICK"] = "1" if args.quick else "0"
    if args.data_dir:
        os.environ["CNNLAB_DATA_DIR"] = str(pathlib.Path(args.data_dir).resolve())
    paths = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if args.names:
        paths = [path for path in paths if path.stem in args.names or path.name in args.names]
        if not paths:
            parser.error(f"no notebook matches {args.names}")

    results, total = {}, 0.0
    for path in paths:
        notebook, seconds, peak, anonymous = execute(path)
        total += seconds
        results[path.stem] = {"seconds": round(seconds, 1),
                              "peak_rss_mb": None if peak is None else round(peak),
                              "peak_anonymous_mb": None if anonymous is None else round(anonymous)}
        print(f"{path.stem:<24} {seconds:8.1f} s   peak RSS {peak or float('nan'):8.0f} MB   "
              f"anonymous {anonymous or float('nan'):8.0f} MB", flush=True)
        if args.write:
            nbformat.write(notebook, path)
    print(json.dumps({"mode": "quick" if args.quick else "full", "notebooks": results,
                      "total_seconds": round(total, 1),
                      "jax_installed": importlib.util.find_spec("jax") is not None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
