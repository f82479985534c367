#!/usr/bin/env python3
"""Execute every notebook in a fresh kernel; print wall time and the kernel's peak memory.

    python scripts/run_notebooks.py [--quick] [--data-dir DIR] [--write] [--times FILE] [NAME ...]

Each notebook's result is also recorded in benchmarks/notebook_times.json (committed; --times
names another file, --times "" records nothing), under "full 2cpu", "quick 2cpu", "full 1cpu",
...: the mode and the CPUs this process may use (`taskset -c 0 python scripts/run_notebooks.py`
measures on one CPU, as on Binder). A notebook's entry is replaced by its newest run and carries
the date and the environment that ran it (Python, key package versions, whether every package
matches requirements.lock). scripts/notebook_times.py turns that file into the run times in the
README, the notebooks' title cells and benchmarks/RESULTS.md.

The last line printed is one JSON object:
{"mode": "quick"|"full", "cpus": n, "notebooks": {"01_filters": {"seconds": s, "peak_rss_mb": m,
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
import datetime
import importlib.metadata
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
TIMES_FILE = ROOT / "benchmarks" / "notebook_times.json"
LOCK_FILE = ROOT / "requirements.lock"
CELL_TIMEOUT_SECONDS = 1800
# The versions recorded with every measurement (all installed packages are compared with the lock).
KEY_PACKAGES = ("tensorflow", "keras", "numpy", "matplotlib", "opencv-python-headless", "jax")


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


def usable_cpus():
    """How many CPUs this process (and the kernels it starts) may run on: 1 under `taskset -c 0`."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


def run_key(mode, cpus):
    """The key of a run in the times file, e.g. "full 2cpu"."""
    return f"{mode} {cpus}cpu"


def installed_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def lock_differences(lock_path=LOCK_FILE):
    """Packages whose installed version is not the one requirements.lock pins for this platform.

    Returns a sorted list of "name: installed X, locked Y" strings (empty when all match);
    None when there is no lock file.
    """
    from packaging.requirements import Requirement  # a declared test requirement; imported late

    if not pathlib.Path(lock_path).is_file():
        return None
    differences = []
    for line in pathlib.Path(lock_path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        (pin,) = requirement.specifier
        installed = installed_version(requirement.name)
        if installed != pin.version:
            differences.append(f"{requirement.name}: installed {installed}, locked {pin.version}")
    return sorted(differences)


def environment():
    """What ran the notebooks: Python, the key packages' versions, and agreement with the lock."""
    differences = lock_differences()
    return {"python": ".".join(map(str, sys.version_info[:3])),
            "packages": {name: installed_version(name) for name in KEY_PACKAGES},
            "matches_lock": None if differences is None else not differences,
            "differs_from_lock": differences or []}


def record(times_path, key, name, result, env, date):
    """Store one notebook's result under ``key`` in the times file, replacing its older entry."""
    times_path = pathlib.Path(times_path)
    times = json.loads(times_path.read_text(encoding="utf-8")) if times_path.is_file() else {}
    times.setdefault("runs", {}).setdefault(key, {})[name] = {**result, "date": date, "environment": env}
    times["runs"] = {run: dict(sorted(entries.items())) for run, entries in sorted(times["runs"].items())}
    times_path.write_text(json.dumps(times, indent=1) + "\n", encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="set CNNLAB_QUICK=1 (short training)")
    parser.add_argument("--data-dir", help="data directory (sets CNNLAB_DATA_DIR)")
    parser.add_argument("--write", action="store_true", help="store the outputs in the notebooks")
    parser.add_argument("--times", default=str(TIMES_FILE),
                        help="record the results in this JSON file ('' for none; default: %(default)s)")
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
    mode, cpus = "quick" if args.quick else "full", usable_cpus()
    env = environment() if args.times else None
    date = datetime.date.today().isoformat()
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
        if args.times:
            record(args.times, run_key(mode, cpus), path.stem, results[path.stem], env, date)
    print(json.dumps({"mode": mode, "cpus": cpus, "notebooks": results,
                      "total_seconds": round(total, 1),
                      "jax_installed": importlib.util.find_spec("jax") is not None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
