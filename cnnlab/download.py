"""Fetch one file from a list of mirror URLs, md5-verified and written atomically.

A partial or corrupt download never reaches the destination path.
"""

import hashlib
import http.client
import os
import pathlib
import tempfile
import urllib.error
import urllib.request

from tqdm import tqdm  # the text bar: works in a terminal and a notebook, needs no ipywidgets

DATA_DIR_ENV = "CNNLAB_DATA_DIR"
DEFAULT_TIMEOUT = 30  # seconds, per socket operation (connect, each read)
CHUNK_SIZE = 1 << 16
USER_AGENT = "cnnlab"
ALLOWED_SCHEMES = ("http://", "https://")


class DownloadError(OSError):
    """No URL produced a file with the expected checksum."""


class _Rejected(Exception):
    """One URL answered, but its body was not the file we asked for."""


def md5sum(path, chunk_size=1 << 20):
    """Return the hex md5 of the file at ``path``, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as file:
        while chunk := file.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(urls, destination, md5, *, timeout=DEFAULT_TIMEOUT, progress=True):
    """Download ``destination`` from the first of ``urls`` whose body has the given md5."""
    urls = [urls] if isinstance(urls, str) else list(urls)
    if not urls:
        raise ValueError(f"fetch() needs at least one URL for {destination}")
    for url in urls:
        # urllib would also open file:// and ftp://; a data mirror is always http(s).
        if not isinstance(url, str) or not url.lower().startswith(ALLOWED_SCHEMES):
            raise ValueError(f"Only http:// and https:// URLs are allowed, got {url!r}")
    destination = pathlib.Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls:
        try:
            _fetch_one(url, destination, md5.lower(), timeout, progress)
            return destination
        except (OSError, http.client.HTTPException, _Rejected) as error:
            failures.append(f"  {url}: {_describe(error, timeout)}")
    raise DownloadError(
        f"Could not download {destination.name} to {destination}. Tried:\n"
        + "\n".join(failures)
        + f"\nNo internet? Put the file at {destination} yourself, "
        f"or set {DATA_DIR_ENV} to a folder that holds it.")


def _fetch_one(url, destination, md5, timeout, progress):
    """Stream one URL into a temp file beside ``destination``; move it there if verified."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    # Same directory, so os.replace is an atomic rename, never a cross-disk copy.
    part = tempfile.NamedTemporaryFile(
        dir=destination.parent, delete=False, prefix=f".{destination.name}.", suffix=".part")
    try:
        with part, urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            expected_size = int(length) if length else None
            digest = hashlib.md5(usedforsecurity=False)
            size = 0
            with tqdm(total=expected_size, unit="B", unit_scale=True, desc=destination.name,
                      leave=False, disable=not progress) as bar:
                while chunk := response.read(CHUNK_SIZE):
                    part.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    bar.update(len(chunk))
        if expected_size is not None and size != expected_size:
            raise _Rejected(f"truncated body: got {size} of {expected_size} bytes")
        actual = digest.hexdigest()
        if actual != md5:
            raise _Rejected(f"checksum mismatch: expected md5 {md5}, got md5 {actual}")
        os.replace(part.name, destination)
    finally:
        # After a successful os.replace the temp name is gone already.
        pathlib.Path(part.name).unlink(missing_ok=True)


def _describe(error, timeout):
    """Say in a few words why one URL failed."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        if not isinstance(error.reason, TimeoutError):
            return f"cannot connect: {error.reason}"
        error = error.reason
    if isinstance(error, TimeoutError):
        return f"timed out after {timeout} s"
    if isinstance(error, http.client.IncompleteRead):
        return f"truncated body: got {len(error.partial)} bytes, {error.expected} more expected"
    return str(error) or type(error).__name__
