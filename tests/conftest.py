"""Helpers shared by several test modules, as fixtures: request one by naming it as an argument."""

import contextlib
import http.server
import os
import pathlib
import shlex
import signal
import socket
import subprocess
import threading

import numpy as np
import pytest

CHROMIUM_ENV = "CNNLAB_CHROMIUM"  # another Chromium-based browser, e.g. /usr/bin/google-chrome
CHROMIUM = os.environ.get(CHROMIUM_ENV, "/usr/bin/chromium")
BROWSER_HINT = f"apt-get install chromium and pip install playwright (or set {CHROMIUM_ENV})"
STOP_SECONDS = 20  # how long a stopped process may take to exit before it is killed


@contextlib.contextmanager
def serving(folder):
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port) in a background thread; yield its base URL."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):  # keep pytest's output clean
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def serve_folder():
    """A function that serves a folder on 127.0.0.1 and returns its base URL; servers stop after the test."""
    with contextlib.ExitStack() as servers:
        yield lambda folder: servers.enter_context(serving(folder))


@pytest.fixture
def close_figures():
    """Close every Matplotlib figure after the test (use: pytestmark = pytest.mark.usefixtures(...))."""
    yield
    import matplotlib.pyplot as plt  # only for the tests that draw

    plt.close("all")


@pytest.fixture
def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_process_group(process, seconds=STOP_SECONDS):
    """SIGTERM a process started with ``start_new_session=True`` and its children; SIGKILL them if they hang."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def start_process():
    """A function like ``subprocess.Popen`` whose processes (and their children) are stopped after the test."""
    started = []

    def start(command, **kwargs):
        process = subprocess.Popen(command, start_new_session=True, **kwargs)
        started.append(process)
        return process

    yield start
    for process in started:
        stop_process_group(process)


def run_command(command, **kwargs):
    """Run ``command``, return its stdout; on failure, fail the test with the end of its output."""
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, (f"`{shlex.join(str(part) for part in command)}` failed "
                                    f"({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result.stdout


@pytest.fixture(scope="session")
def run():
    """:func:`run_command`: run a command and return its output, failing the test with it if it fails."""
    return run_command


@pytest.fixture(scope="session")
def chromium():
    """The path of a Chromium for Playwright to drive; skips the test when either is missing."""
    pytest.importorskip("playwright.sync_api", reason=f"Playwright is missing: {BROWSER_HINT}")
    if not pathlib.Path(CHROMIUM).is_file():
        pytest.skip(f"no browser at {CHROMIUM}: {BROWSER_HINT}")
    return CHROMIUM


def reference_translate(image, down, right):
    """One image moved by (down, right) with mirrored borders, pixel by pixel."""
    height, width = image.shape[:2]
    moved = np.empty_like(image)
    for row in range(height):
        for column in range(width):
            source_row, source_column = row - down, column - right
            # numpy's "reflect": mirror about the edge pixel, without repeating it
            source_row = -source_row if source_row < 0 else source_row
            source_row = 2 * (height - 1) - source_row if source_row >= height else source_row
            source_column = -source_column if source_column < 0 else source_column
            source_column = 2 * (width - 1) - source_column if source_column >= width else source_column
            moved[row, column] = image[source_row, source_column]
    return moved


@pytest.fixture(scope="session")
def translate_reference():
    """:func:`reference_translate`: the per-pixel reference for moving an image with mirrored borders."""
    return reference_translate


# --- CNNLAB_STRICT=1: a skip fails the run (.ci/run and the GitHub workflow set it) ---------------------
# A skip that CI does not expect means a check did not run: missing data, browser or tool. Only the
# skips named here pass, each with the reason it is expected on a CI machine. The hook is registered
# as a plugin, not left as this conftest's own hook, so that it also sees the notebooks' nbval items
# (notebooks/conftest.py skips a notebook whose data is missing).
STRICT_ENV = "CNNLAB_STRICT"
ALLOWED_SKIPS = {
    "tests/test_download.py::test_read_only_folder_is_named":
        "root can write into a read-only folder, and CI containers run as root",
    "tests/test_visualize.py::test_grad_cam_and_feature_maps_agree_on_the_tensorflow_and_jax_backends":
        "needs jax, which `make test` leaves out; `make test-jax` (in .ci/run) installs it and runs it",
}


def strict_verdict(report, allowed=ALLOWED_SKIPS):
    """For a skipped test or collector not in ``allowed``: the failure text; else None."""
    if not report.skipped or hasattr(report, "wasxfail"):
        return None
    if report.nodeid.split("[", 1)[0] in allowed:
        return None
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return (f"{STRICT_ENV}=1: {report.nodeid or 'collection'} skipped ({reason}); provide what it needs "
            f"or add it to ALLOWED_SKIPS in tests/conftest.py with the reason")


class StrictSkips:
    """Turns every skip not in ALLOWED_SKIPS into a failure."""

    @staticmethod
    def fail_if_skipped(report):
        verdict = strict_verdict(report)
        if verdict:
            report.outcome, report.longrepr = "failed", verdict

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        self.fail_if_skipped(outcome.get_result())

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector):
        outcome = yield
        self.fail_if_skipped(outcome.get_result())


def pytest_configure(config):
    if os.environ.get(STRICT_ENV) == "1" and not config.pluginmanager.has_plugin("cnnlab-strict"):
        config.pluginmanager.register(StrictSkips(), "cnnlab-strict")
