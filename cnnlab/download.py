"""Fetch one file from a list of mirror URLs, md5-verified and written atomically.

A partial or corrupt download never reaches the destination path. It is streamed
into a hidden ``.<name>.<random>.part`` file beside the destination; part files
that a killed download (a kernel restart) left behind are removed by the next
download of the same file.
"""

import glob
import hashlib
import http.client
import os
import pathlib
import re
import tempfile
import time
import urllib.error
import urllib.request

try:
    import fcntl  # POSIX: a live download holds a lock on its part file
except ImportError:  # Windows: an open file cannot be deleted, which protects live downloads as well
    fcntl = None

from tqdm import tqdm  # the text bar: works in a terminal and a notebook, needs no ipywidgets

DATA_DIR_ENV = "CNNLAB_DATA_DIR"
DEFAULT_TIMEOUT = 30  # seconds, per socket operation (connect, each read)
CHUNK_SIZE = 1 << 16
USER_AGENT = "cnnlab"
ALLOWED_SCHEMES = ("http://", "https://")
# A part file this young may belong to a download that has created it but not yet locked it.
FRESH_PART_SECONDS = 5
# Without file locks, a live download touches its part file at least every timeout seconds.
STALE_PART_SECONDS = 20 * DEFAULT_TIMEOUT
OFFLINE_ADVICE = ("No internet? Put the file at {destination} yourself, "
                  f"or set {DATA_DIR_ENV} to a folder that holds it.")  # {destination}: filled in


class DownloadError(OSError):
    """A file could not be downloaded: no URL gave the expected checksum, or it cannot be saved."""


class UnwritableFolderError(DownloadError):
    """The destination folder cannot be created or written (permissions, a file in the way, a full disk)."""


class _Rejected(Exception):
    """One URL answered, but its body was not the file we asked for."""


def md5sum(path, chunk_size=1 << 20):
    """Return the hex md5 of the file at ``path``, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as file:
        while chunk := file.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(urls, destination, md5, *, timeout=DEFAULT_TIMEOUT, progress=True, offline_advice=None,
          folder_advice=None):
    """Download ``destination`` from the first of ``urls`` whose body has the given md5.

    Parameters
    ----------
    urls : str or sequence of str
        http(s) mirrors, tried in order.
    destination : path-like
        Where the verified file goes; its folder is created if missing.
    md5 : str
        The expected checksum (hex).
    timeout : float
        Seconds per socket operation.
    progress : bool
        Show a progress bar on stderr.
    offline_advice : str, optional
        The last line of the error when every URL fails; ``{destination}`` is filled in.
    folder_advice : str, optional
        What to do when the folder cannot be written, added to that error.

    Raises
    ------
    UnwritableFolderError
        At once, before any URL is tried, when the folder cannot be created or written.
    DownloadError
        When no URL gave the file; the message lists each URL and why it failed.
    """
    urls = [urls] if isinstance(urls, str) else list(urls)
    if not urls:
        raise ValueError(f"fetch() needs at least one URL for {destination}")
    for url in urls:
        # urllib would also open file:// and ftp://; a data mirror is always http(s).
        if not isinstance(url, str) or not url.lower().startswith(ALLOWED_SCHEMES):
            raise ValueError(f"Only http:// and https:// URLs are allowed, got {url!r}")
    destination = pathlib.Path(destination)
    _make_folder(destination.parent, folder_advice)
    if destination.is_dir():
        raise UnwritableFolderError(f"Cannot save {destination.name}: {destination} is a folder. "
                                    "Remove or rename it, then try again.")
    remove_stale_parts(destination)
    failures = []
    for url in urls:
        try:
            _fetch_one(url, destination, md5.lower(), timeout, progress, folder_advice)
            return destination
        except (OSError, http.client.HTTPException, _Rejected) as error:
            if isinstance(error, UnwritableFolderError):
                raise  # the folder, not the mirror: every other mirror would fail the same way
            failures.append(f"  {url}: {_describe(error, timeout)}")
    raise DownloadError(
        f"Could not download {destination.name} to {destination}. Tried:\n"
        + "\n".join(failures) + "\n"
        # replace, not format: folder names in the advice may hold braces.
        + (offline_advice or OFFLINE_ADVICE).replace("{destination}", str(destination)))


def _folder_problem(folder, error):
    """Say why ``folder`` cannot hold a download, given the OSError that creating or writing raised."""
    for ancestor in (folder, *folder.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                return f"{ancestor} is a file, not a folder"
            break
    return f"{error.strerror or error} ({type(error).__name__})"


def _unwritable(folder, error, advice):
    return UnwritableFolderError(
        f"Cannot save downloads in {folder}: {_folder_problem(folder, error)}. "
        + (advice or "Make that folder writable, or download into another one."))


def _make_folder(folder, advice):
    """Create ``folder`` if needed, or raise UnwritableFolderError saying why it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _unwritable(folder, error, advice) from error


def _new_part_file(destination, advice):
    """Open a new locked part file beside ``destination``, or raise UnwritableFolderError."""
    try:
        # Same directory, so os.replace is an atomic rename, never a cross-disk copy.
        part = tempfile.NamedTemporaryFile(
            dir=destination.parent, delete=False, prefix=f".{destination.name}.", suffix=".part")
    except OSError as error:
        raise _unwritable(destination.parent, error, advice) from error
    if fcntl is not None:
        try:
            fcntl.flock(part.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when closed or killed
        except OSError:  # a file system without locks: the age rule in _in_use still protects it
            pass
    return part


def _in_use(part):
    """Whether another live download may still be writing ``part``."""
    try:
        age = time.time() - part.stat().st_mtime
    except OSError:  # already gone
        return False
    if age < FRESH_PART_SECONDS:
        return True
    if fcntl is None:
        return age < STALE_PART_SECONDS
    try:
        with open(part, "rb") as file:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # unlocked again by closing
    except BlockingIOError:  # a live download holds the lock
        return True
    except OSError:  # a file system without locks, or an unreadable file: judge by age alone
        return age < STALE_PART_SECONDS
    return False


def remove_stale_parts(destination):
    """Delete part files of ``destination`` that no live download holds; return their paths.

    A download killed with its process (a kernel restart) cannot clean up after itself,
    and a CIFAR-10 part file can be 170 MB.
    """
    destination = pathlib.Path(destination)
    removed = []
    for part in destination.parent.glob(f".{glob.escape(destination.name)}.*.part"):
        if _in_use(part):
            continue
        try:
            part.unlink()
        except OSError:  # Windows: still open in a live download; or removed meanwhile
            continue
        removed.append(part)
    return removed


def _content_length(headers):
    """The body size a server announced, or None where it is missing or malformed.

    Values such as ``abc``, ``-1`` or a repeated ``300000, 300000`` are no reason to give up on
    a mirror: the checksum decides whether the body is right.
    """
    value = (headers.get("Content-Length") or "").strip()
    return int(value) if re.fullmatch(r"[0-9]+", value) else None


def _fetch_one(url, destination, md5, timeout, progress, folder_advice):
    """Stream one URL into a part file beside ``destination``; move it there if verified."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    part = _new_part_file(destination, folder_advice)
    try:
        with part, urllib.request.urlopen(request, timeout=timeout) as response:
            expected_size = _content_length(response.headers)
            digest = hashlib.md5(usedforsecurity=False)
            size = 0
            with tqdm(total=expected_size, unit="B", unit_scale=True, desc=destination.name,
                      leave=False, disable=not progress) as bar:
                while chunk := response.read(CHUNK_SIZE):
                    try:
                        part.write(chunk)
                    except OSError as error:  # a full disk: no other mirror would fare better
                        raise _unwritable(destination.parent, error, folder_advice) from error
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
