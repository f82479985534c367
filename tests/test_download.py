"""Tests for cnnlab.download against a real HTTP server on 127.0.0.1 (no internet)."""

import errno
import hashlib
import http.server
import os
import random
import socket
import tempfile
import threading
import time
import urllib.parse

import pytest

from cnnlab import download

try:
    import fcntl
except ImportError:  # Windows: live part files are protected by the system, not by locks
    fcntl = None
from cnnlab.download import DATA_DIR_ENV, DownloadError, UnwritableFolderError, fetch, md5sum

PAYLOAD = random.Random(0).randbytes(200_000)
PAYLOAD_MD5 = hashlib.md5(PAYLOAD).hexdigest()
CORRUPT = random.Random(1).randbytes(len(PAYLOAD))
PORTAL_PAGE = b"<html><body>Please log in to the hotel Wi-Fi</body></html>"
TIMEOUT = 0.5
STALL_SECONDS = 2.0


class Handler(http.server.BaseHTTPRequestHandler):
    """Serve the fixed routes below; each route shows one way a mirror can fail."""

    def do_GET(self):
        self.server.user_agents.append(self.headers.get("User-Agent"))
        if self.path in ("/good.bin", "/corrupt.bin", "/portal.html"):
            body = {"/good.bin": PAYLOAD, "/corrupt.bin": CORRUPT,
                    "/portal.html": PORTAL_PAGE}[self.path]
            self._send_headers(len(body))
            self.wfile.write(body)
        elif self.path == "/truncated.bin":
            self._send_headers(len(PAYLOAD))
            self.wfile.write(PAYLOAD[: len(PAYLOAD) // 2])
            self.close_connection = True
        elif self.path.startswith("/length/"):  # /length/<Content-Length value>/<route>
            _, _, value, route = self.path.split("/", 3)
            body = {"good.bin": PAYLOAD, "corrupt.bin": CORRUPT}[route]
            self.send_response(200)
            self.send_header("Content-Length", urllib.parse.unquote(value))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True  # the body ends where the connection does
        elif self.path == "/stall.bin":
            self._send_headers(len(PAYLOAD))
            self.wfile.write(PAYLOAD[:100])
            self.wfile.flush()
            time.sleep(STALL_SECONDS)
        else:
            self.send_error(404, "Not Found")

    def _send_headers(self, length):
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def log_message(self, format, *args):
        pass  # keep test output clean


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True  # a stalled handler must not block shutdown
    block_on_close = False

    def handle_error(self, request, client_address):
        pass  # the client hanging up on /stall.bin or /truncated.bin is expected


@pytest.fixture(scope="module")
def server():
    """Run the test server in a daemon thread; yield it (its base URL is server.base_url)."""
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.user_agents = []
    httpd.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def base_url(server):
    return server.base_url


def closed_port_url():
    """Return a URL on a local port that nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/good.bin"


def leftovers(directory):
    return sorted(path.name for path in directory.iterdir() if path.name.endswith(".part"))


def fetch_fails(urls, destination, md5=PAYLOAD_MD5):
    with pytest.raises(DownloadError) as info:
        fetch(urls, destination, md5, timeout=TIMEOUT, progress=False)
    return str(info.value)


def test_success_writes_payload_and_no_temp_files(server, base_url, tmp_path):
    destination = tmp_path / "sub" / "data.bin"  # parent does not exist yet
    result = fetch([f"{base_url}/good.bin"], destination, PAYLOAD_MD5.upper(), progress=False)
    assert result == destination
    assert destination.read_bytes() == PAYLOAD
    assert leftovers(destination.parent) == []
    assert server.user_agents[-1] == "cnnlab"


def test_single_string_url_is_accepted(base_url, tmp_path):
    destination = tmp_path / "data.bin"
    fetch(f"{base_url}/good.bin", destination, PAYLOAD_MD5, progress=False)
    assert destination.read_bytes() == PAYLOAD


@pytest.mark.parametrize("first", ["/missing", "closed port"])
def test_falls_back_to_next_url(base_url, tmp_path, first):
    first_url = closed_port_url() if first == "closed port" else base_url + first
    destination = tmp_path / "data.bin"
    fetch([first_url, f"{base_url}/good.bin"], destination, PAYLOAD_MD5,
          timeout=TIMEOUT, progress=False)
    assert destination.read_bytes() == PAYLOAD
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("route", ["/corrupt.bin", "/portal.html"])
def test_checksum_mismatch_fails_and_leaves_nothing(base_url, tmp_path, route):
    destination = tmp_path / "data.bin"
    message = fetch_fails([base_url + route], destination)
    assert base_url + route in message
    assert "checksum" in message and "md5" in message
    assert PAYLOAD_MD5 in message
    assert not destination.exists()
    assert leftovers(tmp_path) == []


def test_truncated_body_fails_and_leaves_nothing(base_url, tmp_path):
    destination = tmp_path / "data.bin"
    message = fetch_fails([f"{base_url}/truncated.bin"], destination)
    assert "truncated" in message and "bytes" in message
    assert not destination.exists()
    assert leftovers(tmp_path) == []


def test_http_404_is_reported(base_url, tmp_path):
    message = fetch_fails([f"{base_url}/missing"], tmp_path / "data.bin")
    assert "404" in message
    assert f"{base_url}/missing" in message


def test_stalled_server_times_out(base_url, tmp_path):
    destination = tmp_path / "data.bin"
    message = fetch_fails([f"{base_url}/stall.bin"], destination)
    assert "timed out" in message
    assert not destination.exists()
    assert leftovers(tmp_path) == []


def test_all_failures_are_listed_with_a_hint(base_url, tmp_path):
    urls = [f"{base_url}/missing", closed_port_url(), f"{base_url}/corrupt.bin",
            f"{base_url}/truncated.bin"]
    destination = tmp_path / "data.bin"
    message = fetch_fails(urls, destination)
    for url in urls:
        assert url in message
    assert DATA_DIR_ENV == "CNNLAB_DATA_DIR"
    assert "CNNLAB_DATA_DIR" in message
    assert str(destination) in message


def test_failed_redownload_keeps_existing_file(base_url, tmp_path):
    destination = tmp_path / "data.bin"
    destination.write_bytes(b"the good copy from last week")
    fetch_fails([f"{base_url}/corrupt.bin", f"{base_url}/truncated.bin"], destination)
    assert destination.read_bytes() == b"the good copy from last week"
    assert leftovers(tmp_path) == []


def test_md5sum_matches_hashlib(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(PAYLOAD)
    assert md5sum(path) == PAYLOAD_MD5
    assert md5sum(path, chunk_size=999) == PAYLOAD_MD5  # chunk boundaries don't matter


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/data.bin"])
def test_non_http_url_is_rejected(tmp_path, url):
    with pytest.raises(ValueError, match="file:///etc/passwd|ftp://"):
        fetch([url], tmp_path / "data.bin", PAYLOAD_MD5, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_goes_to_stderr_only_when_asked(base_url, tmp_path, capsys):
    fetch([f"{base_url}/good.bin"], tmp_path / "shown.bin", PAYLOAD_MD5, progress=True)
    captured = capsys.readouterr()
    assert "shown.bin" in captured.err
    assert captured.out == ""

    fetch([f"{base_url}/good.bin"], tmp_path / "hidden.bin", PAYLOAD_MD5, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


# --- what a real mirror or a real machine does that it should not ----------------------------------

@pytest.mark.parametrize("value", ["abc", "300000, 300000", "-1", "", "1e5"])
def test_malformed_content_length_is_treated_as_unknown(base_url, tmp_path, value):
    destination = tmp_path / "data.bin"
    quoted = urllib.parse.quote(value, safe="")
    fetch([f"{base_url}/length/{quoted}/good.bin"], destination, PAYLOAD_MD5, timeout=TIMEOUT,
          progress=False)
    assert destination.read_bytes() == PAYLOAD
    assert leftovers(tmp_path) == []


def test_malformed_content_length_on_a_bad_mirror_still_tries_the_next(base_url, tmp_path):
    destination = tmp_path / "data.bin"
    fetch([f"{base_url}/length/abc/corrupt.bin", f"{base_url}/good.bin"], destination, PAYLOAD_MD5,
          timeout=TIMEOUT, progress=False)
    assert destination.read_bytes() == PAYLOAD


def old_part(folder, name="data.bin", age=3600):
    """A part file left by a download killed an hour ago (``age`` seconds)."""
    part = folder / f".{name}.{random.Random(age).randrange(10**8):08d}.part"
    part.write_bytes(PAYLOAD[:1000])
    os.utime(part, (time.time() - age, time.time() - age))
    return part


def test_part_files_of_killed_downloads_are_removed_by_the_next_download(base_url, tmp_path):
    stale = old_part(tmp_path)
    other_file = old_part(tmp_path, name="other.bin")  # another file's download: not ours to judge
    fetch([f"{base_url}/good.bin"], tmp_path / "data.bin", PAYLOAD_MD5, progress=False)
    assert not stale.exists() and other_file.exists()


def test_part_files_are_removed_even_when_the_download_fails(base_url, tmp_path):
    stale = old_part(tmp_path)
    fetch_fails([f"{base_url}/missing"], tmp_path / "data.bin")
    assert not stale.exists()


@pytest.mark.skipif(fcntl is None, reason="file locks are POSIX")
def test_a_live_download_keeps_its_part_file(tmp_path):
    live = old_part(tmp_path)  # old, but still held: a slow download in another kernel
    with open(live, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        assert download.remove_stale_parts(tmp_path / "data.bin") == []
        assert live.exists()
    assert download.remove_stale_parts(tmp_path / "data.bin") == [live]


def test_a_just_created_part_file_is_kept(tmp_path):
    fresh = old_part(tmp_path, age=0)  # created, not yet locked by its download
    assert download.remove_stale_parts(tmp_path / "data.bin") == []
    assert fresh.exists()


def test_unwritable_folder_is_named_at_once_not_blamed_on_the_internet(base_url, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path))

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)  # as a read-only cache would
    with pytest.raises(UnwritableFolderError) as caught:
        fetch([f"{base_url}/good.bin"], tmp_path / "data.bin", PAYLOAD_MD5, progress=False,
              folder_advice="Set CNNLAB_CACHE_DIR to a folder you can write to.")
    message = str(caught.value)
    assert str(tmp_path) in message and "Permission denied" in message
    assert "CNNLAB_CACHE_DIR" in message and "No internet" not in message
    assert isinstance(caught.value, DownloadError)  # `except DownloadError` in notebooks still works


@pytest.mark.skipif(getattr(os, "geteuid", lambda: 0)() == 0,
                    reason="root may write into a read-only folder; Windows has no chmod 500")
def test_read_only_folder_is_named(base_url, tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(UnwritableFolderError, match="Permission denied"):
            fetch([f"{base_url}/good.bin"], tmp_path / "data.bin", PAYLOAD_MD5, progress=False)
    finally:
        tmp_path.chmod(0o700)


def test_a_file_in_place_of_the_folder_is_named(base_url, tmp_path):
    in_the_way = tmp_path / "cache"
    in_the_way.write_text("not a folder")
    with pytest.raises(UnwritableFolderError) as caught:
        fetch([f"{base_url}/good.bin"], in_the_way / "mnist" / "data.bin", PAYLOAD_MD5, progress=False)
    assert f"{in_the_way} is a file, not a folder" in str(caught.value)


def test_a_folder_in_place_of_the_file_is_named(base_url, tmp_path):
    (tmp_path / "data.bin").mkdir()
    with pytest.raises(UnwritableFolderError, match="is a folder"):
        fetch([f"{base_url}/good.bin"], tmp_path / "data.bin", PAYLOAD_MD5, progress=False)


def test_a_full_disk_stops_at_once(base_url, tmp_path, monkeypatch):
    real = tempfile.NamedTemporaryFile

    def full_disk(*args, **kwargs):
        part = real(*args, **kwargs)

        def write(chunk):
            raise OSError(errno.ENOSPC, "No space left on device")

        part.write = write
        return part

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", full_disk)
    with pytest.raises(UnwritableFolderError, match="No space left on device"):
        fetch([f"{base_url}/good.bin", f"{base_url}/good.bin"], tmp_path / "data.bin", PAYLOAD_MD5,
              progress=False)
    assert leftovers(tmp_path) == []


def test_offline_advice_replaces_the_default_hint(tmp_path):
    with pytest.raises(DownloadError) as caught:
        fetch([closed_port_url()], tmp_path / "data.bin", PAYLOAD_MD5, timeout=TIMEOUT, progress=False,
              offline_advice="Copy it to {destination}.")
    message = str(caught.value)
    assert message.endswith(f"Copy it to {tmp_path / 'data.bin'}.") and "No internet" not in message
