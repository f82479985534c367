"""CNNLAB_STRICT=1 (tests/conftest.py): every skip fails the run, the notebooks' too, except the allow-list.

Each test runs pytest in a subprocess on a small copy: the real tests/conftest.py and notebooks/conftest.py,
a test module that passes, skips and xfails, and a notebook that declares a data set this machine lacks.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]

TEST_MODULE = """
import pytest

def test_passes():
    assert True

def test_skips():
    pytest.skip("no widget on this machine")

@pytest.mark.xfail(reason="a known bug")
def test_expected_to_fail():
    assert False
"""
ALLOWED_MODULE = """
import pytest

@pytest.mark.skipif(True, reason="always, for this test")
def test_read_only_folder_is_named():
    pass
"""


@pytest.fixture
def project(tmp_path):
    """A copy with the real conftest files; data and cache folders that hold nothing."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "notebooks").mkdir()
    shutil.copy(REPO / "tests" / "conftest.py", tmp_path / "tests" / "conftest.py")
    shutil.copy(REPO / "notebooks" / "conftest.py", tmp_path / "notebooks" / "conftest.py")
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": "one", "metadata": {},
                           "outputs": [], "source": "1 + 1"}],
                "metadata": {"cnnlab": {"datasets": ["mnist"]}}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "notebooks" / "uses_mnist.ipynb").write_text(json.dumps(notebook))
    for folder in ("data", "cache"):
        (tmp_path / folder).mkdir()
    return tmp_path


def run_pytest(project, *args, strict):
    environment = {**os.environ, "PYTHONPATH": str(REPO), "CNNLAB_DATA_DIR": str(project / "data"),
                   "CNNLAB_CACHE_DIR": str(project / "cache")}
    environment.pop("CNNLAB_STRICT", None)
    if strict:
        environment["CNNLAB_STRICT"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(project),
                           "-q", *args], cwd=project, env=environment, capture_output=True, text=True,
                          timeout=300)


def test_a_skipped_test_passes_quietly_without_strict_and_fails_with_it(project):
    (project / "tests" / "test_mixed.py").write_text(TEST_MODULE)
    relaxed = run_pytest(project, "tests", strict=False)
    assert relaxed.returncode == 0, relaxed.stdout
    assert "1 passed, 1 skipped, 1 xfailed" in relaxed.stdout
    strict = run_pytest(project, "tests", strict=True)
    assert strict.returncode == 1, strict.stdout
    assert "CNNLAB_STRICT=1: tests/test_mixed.py::test_skips skipped" in strict.stdout
    assert "no widget on this machine" in strict.stdout  # the skip's own reason is kept
    assert "xfailed" in strict.stdout and "test_expected_to_fail" not in strict.stdout.split("short test summary")[-1]


def test_a_notebook_skipped_for_missing_data_fails_the_strict_run(project):
    strict = run_pytest(project, "tests", "notebooks", "--nbval", strict=True)
    assert strict.returncode == 1, strict.stdout
    assert "CNNLAB_STRICT=1: notebooks/uses_mnist.ipynb::Cell 0 skipped" in strict.stdout
    assert "data set(s) mnist not found locally" in strict.stdout


def test_a_skip_at_import_fails_the_strict_run(project):
    (project / "tests" / "test_needs_tool.py").write_text(
        'import pytest\nrunner = pytest.importorskip("no_such_tool_here")\n\ndef test_it():\n    pass\n')
    strict = run_pytest(project, "tests", strict=True)
    assert strict.returncode != 0, strict.stdout
    assert "CNNLAB_STRICT=1: tests/test_needs_tool.py skipped" in strict.stdout


def test_a_skip_on_the_allow_list_passes_the_strict_run(project):
    (project / "tests" / "test_download.py").write_text(ALLOWED_MODULE)
    strict = run_pytest(project, "tests", strict=True)
    assert strict.returncode == 0, strict.stdout
    assert "1 skipped" in strict.stdout
