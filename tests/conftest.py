"""Helpers shared by several test modules."""

import contextlib
import http.server
import os
import threading

import pytest


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


# --- CNNLAB_STRICT=1: a skip fails the run (.ci/run and the GitHub workflow set it) ---------------------
# A skip that CI does not expect means a check did not run: missing data, browser or tool. Only the
# skips named here pass, each with the reason it is expected on a CI machine. The hook is registered
# as a plugin, not left as this conftest's own hook, so that it also sees the notebooks' nbval items
# (notebooks/conftest.py skips a notebook whose data is missing).
STRICT_ENV = "CNNLAB_STRICT"
ALLOWED_SKIPS = {
    "tests/test_download.py::test_read_only_folder_is_named":
        "root can write into a read-only folder, and CI containers run as root",
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
