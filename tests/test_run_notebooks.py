"""scripts/run_notebooks.py: the memory it reports for a kernel, read from /proc."""

import os
import pathlib
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
