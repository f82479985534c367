"""scripts/run_notebooks.py: the memory it reports for a kernel, read from /proc; what it records."""

import importlib.metadata
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest

from scripts import run_notebooks

pytestmark = pytest.mark.skipif(not pathlib.Path("/proc/self/status").is_file(), reason="needs Linux /proc")


def test_memory_mb_reads_this_process():
    resident = run_notebooks.memory_mb(os.getpid(), "VmRSS")
    assert resident > 10  # a Python process with numpy holds more than 10 MB
    assert run_notebooks.peak_rss_mb(os.getpid()) >= resident


def test_memory_mb_is_none_for_an_unknown_process_or_field():
    assert run_notebooks.memory_mb(os.getpid(), "NoSuchField") is None
    assert run_notebooks.memory_mb(2 ** 22 + 1, "VmRSS") is None  # above Linux's largest process id


def test_anonymous_peak_sees_an_array_that_is_freed_again():
    before = run_notebooks.memory_mb(os.getpid(), "RssAnon")
    with run_notebooks.AnonymousPeak(os.getpid(), interval=0.01) as sampler:
        array = np.ones(200 * 2 ** 20, dtype=np.uint8)  # 200 MB, every page written
        time.sleep(0.2)
        del array
        time.sleep(0.05)
    assert sampler.peak >= before + 150
    assert run_notebooks.memory_mb(os.getpid(), "RssAnon") < sampler.peak - 150  # the peak outlives it


def test_lock_differences_names_the_packages_installed_at_another_version(tmp_path):
    lock = tmp_path / "requirements.lock"
    numpy_version = importlib.metadata.version("numpy")
    lock.write_text(f"# a comment\nnumpy=={numpy_version}\n    # via keras\npytest==0.0.1\n"
                    "no-such-package-here==1.0\ncolorama==0.0.1 ; sys_platform == 'no-such-platform'\n")
    assert run_notebooks.lock_differences(lock) == [
        "no-such-package-here: installed None, locked 1.0",
        f"pytest: installed {importlib.metadata.version('pytest')}, locked 0.0.1"]
    assert run_notebooks.lock_differences(tmp_path / "missing.lock") is None


def test_record_keeps_other_runs_and_replaces_a_notebooks_older_entry(tmp_path):
    times = tmp_path / "times.json"
    result = {"seconds": 4.8, "peak_rss_mb": 170, "peak_anonymous_mb": 123}
    run_notebooks.record(times, "full 2cpu", "01_filters", result, None, "2026-12-01")
    run_notebooks.record(times, "full 1cpu", "01_filters", {**result, "seconds": 6.0}, None, "2026-12-02")
    run_notebooks.record(times, "full 2cpu", "02_convolution", result, None, "2026-12-02")
    run_notebooks.record(times, "full 2cpu", "01_filters", {**result, "seconds": 5.1}, {"python": "3.11.7"},
                         "2026-12-03")
    runs = json.loads(times.read_text())["runs"]
    assert list(runs) == ["full 1cpu", "full 2cpu"]
    assert runs["full 1cpu"]["01_filters"]["seconds"] == 6.0
    assert runs["full 2cpu"]["01_filters"] == {"seconds": 5.1, "peak_rss_mb": 170, "peak_anonymous_mb": 123,
                                               "date": "2026-12-03", "environment": {"python": "3.11.7"}}
    assert runs["full 2cpu"]["02_convolution"]["date"] == "2026-12-02"


def test_run_key_names_the_mode_and_the_cpus_this_process_may_use():
    assert run_notebooks.run_key("full", 1) == "full 1cpu"
    assert run_notebooks.usable_cpus() == len(os.sched_getaffinity(0))
    probe = "from scripts import run_notebooks; print(run_notebooks.usable_cpus())"
    result = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=run_notebooks.ROOT, check=True)
    assert result.stdout.strip() == "1"
