"""Helpers shared by several test modules."""

import contextlib
import http.server
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
