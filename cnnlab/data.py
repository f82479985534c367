"""Load MNIST, Fashion-MNIST and CIFAR-10 as uint8 arrays, from a data directory, a cache or the web.

Where files are looked for, in order:

1. the folder named by ``CNNLAB_DATA_DIR``;
2. the per-user cache, ``CNNLAB_CACHE_DIR`` or ``~/.cache/cnnlab``;
3. the official sources, downloaded once into the cache (checksum-verified, atomic).

Both folders use the official file names, one folder per data set, e.g.
``mnist/train-images-idx3-ubyte.gz`` and ``cifar10/cifar-10-binary.tar.gz``.
When ``CNNLAB_DATA_DIR`` holds part of a data set, or one under other names
(``MNIST/``, unzipped files, files outside their folder, an extracted CIFAR-10
archive), :class:`DataLayoutError` says what was found, what is missing or
misnamed, and the layout expected, before anything is downloaded. Falling back
to the cache or to a download prints one line saying so and where.
Every file is checked for structure when read (magic numbers, counts, sizes,
label range); a malformed one raises :class:`DataError` naming the file.

From a shell: ``python -m cnnlab.data download [--data-dir DIR] [NAME ...]``.
"""

import argparse
import dataclasses
import gzip
import os
import pathlib
import re
import sys
import tarfile
import zlib

import numpy as np

from cnnlab import download

DATA_DIR_ENV = download.DATA_DIR_ENV  # "CNNLAB_DATA_DIR"
CACHE_DIR_ENV = "CNNLAB_CACHE_DIR"
DEFAULT_CACHE_DIR = pathlib.Path("~/.cache/cnnlab")
ASSETS_DIR = pathlib.Path(__file__).parent / "assets"

MNIST_CLASSES = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")

IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
CIFAR_SIDE = 32
CIFAR_RECORD_BYTES = 1 + 3 * CIFAR_SIDE * CIFAR_SIDE  # one label byte, then R, G and B planes
CIFAR_MEMBER_DIR = "cifar-10-batches-bin"
CIFAR_TRAIN_MEMBERS = tuple(f"data_batch_{number}.bin" for number in range(1, 6))
CIFAR_TEST_MEMBER = "test_batch.bin"
CIFAR_IMAGES_PER_BATCH = 10_000


class DataError(ValueError):
    """A data file exists but is malformed: truncated, wrong format, wrong size or bad labels."""


class DataLayoutError(FileNotFoundError):
    """CNNLAB_DATA_DIR holds part of a data set, or files that look like one under other names."""


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Where one data set's files live and what they must hold."""

    name: str
    folder: str
    files: dict  # official file name -> published MD5 of the official download
    mirrors: tuple  # base URLs, tried in order
    class_names: tuple


MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

DATASETS = {
    "mnist": Dataset(
        "mnist", "mnist",
        dict(zip(MNIST_FILES, ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                               "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"))),
        # The original host (yann.lecun.com) often refuses downloads, so it comes last.
        ("https://ossci-datasets.s3.amazonaws.com/mnist/",
         "https://storage.googleapis.com/cvdf-datasets/mnist/",
         "http://yann.lecun.com/exdb/mnist/"),
        MNIST_CLASSES),
    "fashion-mnist": Dataset(
        "fashion-mnist", "fashion-mnist",
        dict(zip(MNIST_FILES, ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                               "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"))),
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
         "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"),
        FASHION_MNIST_CLASSES),
    "cifar10": Dataset(
        "cifar10", "cifar10",
        {"cifar-10-binary.tar.gz": "c32a1d4ab5d03f1284b67883e8d87530"},
        ("https://www.cs.toronto.edu/~kriz/",),
        CIFAR10_CLASSES),
}


def class_names(name):
    """The class names of data set ``name``, indexed by label."""
    return _dataset(name).class_names


def _dataset(name):
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[name]


# --- where the files are -------------------------------------------------------------------

# Files people download instead of the ones cnnlab reads, and what they are.
LOOKALIKES = {
    "cifar10": {CIFAR_MEMBER_DIR: "the extracted archive (cnnlab reads the .tar.gz itself)",
                "cifar-10-python.tar.gz": "the Python (pickle) version; cnnlab reads the binary version",
                "cifar-10-batches-py": "the extracted Python version; cnnlab reads the binary .tar.gz",
                "cifar-10-matlab.tar.gz": "the MATLAB version; cnnlab reads the binary version"},
}
LOOKALIKE_DEPTH = 2  # how deep to look inside a data set's folder, e.g. torchvision's MNIST/raw/


def data_dir():
    """The folder named by CNNLAB_DATA_DIR, or None when it is not set."""
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    if not value:
        return None
    path = pathlib.Path(value).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"{DATA_DIR_ENV}={value} is not a directory: "
                                "point it at the folder that holds mnist/, cifar10/, ...")
    return path


def cache_dir():
    """The per-user download cache: CNNLAB_CACHE_DIR, or ~/.cache/cnnlab (created when first needed)."""
    value = os.environ.get(CACHE_DIR_ENV, "").strip()
    path = pathlib.Path(value or DEFAULT_CACHE_DIR).expanduser()
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{CACHE_DIR_ENV}={value} is a file, not a folder: point it at a "
                                 "folder (it is created if missing), or unset it to use "
                                 f"{DEFAULT_CACHE_DIR}")
    return path


def _is_complete(folder, dataset):
    return all((folder / file_name).is_file() for file_name in dataset.files)


def _name_key(name):
    """A file or folder name without case, punctuation and .gz: the same key for likely misspellings.

    ``train-images.idx3-ubyte`` and ``train-images-idx3-ubyte.gz`` share a key, as do
    ``MNIST`` and ``mnist``, or ``cifar-10`` and ``cifar10``.
    """
    name = name.lower()
    name = name[:-3] if name.endswith(".gz") else name
    return re.sub(r"[^a-z0-9]", "", name)


def _entries(folder, depth):
    """Visible entries of ``folder`` and, down to ``depth`` levels, of its subfolders."""
    try:
        children = sorted(path for path in folder.iterdir() if not path.name.startswith("."))
    except OSError:  # not a folder, or unreadable: nothing found there
        return []
    found = list(children)
    if depth > 1:
        for child in children:
            if child.is_dir() and not child.is_symlink():
                found += _entries(child, depth - 1)
    return found


def _not_a_file(path):
    """Why an entry at an expected file's path is not a readable file, or None if it is one."""
    if path.is_symlink() and not path.exists():
        return f"{path} is a broken symbolic link (to {os.readlink(path)})"
    if path.is_dir():
        return f"{path} is a folder, not a file"
    if path.exists() and not path.is_file():
        return f"{path} is not a regular file"
    return None


def _layout_problems(root, dataset):
    """Compare ``root`` with the layout ``dataset`` expects; return (found, missing) lines.

    found lists what is there under another name or form (empty when the data set is simply
    absent); missing lists the expected files that have no counterpart.
    """
    folder = root / dataset.folder
    key = _name_key(dataset.folder)
    # Where a learner's copy may sit: the right folder, one spelt otherwise, or root itself.
    folders = [folder] + [path for path in _entries(root, 1)
                          if path.is_dir() and path != folder and _name_key(path.name) == key]
    candidates = [path for place in folders for path in _entries(place, LOOKALIKE_DEPTH)]
    candidates += [path for path in _entries(root, 1) if path not in folders]
    found, missing = [], []
    for file_name in dataset.files:
        expected = folder / file_name
        problem = _not_a_file(expected)
        if problem:
            found.append(problem)
            continue
        if expected.is_file():
            continue
        others = [path for path in candidates if _name_key(path.name) == _name_key(file_name)]
        for path in others:
            form = "unzipped" if not path.name.lower().endswith(".gz") and file_name.endswith(".gz") \
                else "misnamed or misplaced"
            found.append(f"{path} ({form}): expected {expected}")
        if not others:
            missing.append(str(expected))
    for path in candidates:
        if path.name in LOOKALIKES.get(dataset.name, {}):
            found.append(f"{path}: {LOOKALIKES[dataset.name][path.name]}")
    if folder.exists() and not folder.is_dir():
        found.append(f"{folder} is a file, not a folder")
    elif folder.is_dir() and not found:  # an existing folder says the learner meant to provide it
        found.append(f"{folder} holds {len(dataset.files) - len(missing)} of the "
                     f"{len(dataset.files)} files")
    return found, missing


def _expected_layout(root, dataset):
    return "\n".join(f"  {root / dataset.folder / file_name}" for file_name in dataset.files)


def _check_data_dir(root, dataset):
    """``dataset``'s folder under ``root`` if complete; None if the data set is absent from ``root``.

    Raises
    ------
    DataLayoutError
        When ``root`` holds part of the data set or something that looks like it.
    """
    folder = root / dataset.folder
    if _is_complete(folder, dataset):
        return folder
    found, missing = _layout_problems(root, dataset)
    if not found:  # nothing of it here: the data set comes from the cache or a download
        return None
    lines = [f"{DATA_DIR_ENV}={root} holds part of {dataset.name}, or files that look like it, "
             "so nothing is downloaded. Found:"]
    lines += [f"  {line}" for line in found]
    if missing:
        lines += ["Missing:"] + [f"  {path}" for path in missing]
    unzipped = any("(unzipped)" in line for line in found)
    lines += ["Expected layout (the official file names, unchanged):", _expected_layout(root, dataset),
              "Rename or move the files as shown"
              + (" and gzip the unzipped ones again (gzip FILE)" if unzipped else "")
              + f", or move them out of {root} to download a fresh copy into the cache, "
              f"{cache_dir() / dataset.folder}."]
    raise DataLayoutError("\n".join(lines))


def _say(line):
    """Tell the learner where data comes from when it is not the data directory: one line, on stderr."""
    print(line, file=sys.stderr, flush=True)


def find(name):
    """The first folder (data directory, then cache) holding all of ``name``'s files, or None.

    Raises
    ------
    DataLayoutError
        When CNNLAB_DATA_DIR holds part of the data set, or it under other names.
    """
    dataset = _dataset(name)
    root = data_dir()
    if root is not None:
        folder = _check_data_dir(root, dataset)
        if folder is not None:
            return folder
    cached = cache_dir() / dataset.folder
    return cached if _is_complete(cached, dataset) else None


def is_available(name):
    """Whether ``name`` can be loaded without a download (False for a data directory laid out wrong)."""
    try:
        return find(name) is not None
    except DataLayoutError:  # loading it will raise that error; asking whether it can is no error
        return False


def prefetch(name, root=None, progress=True):
    """Download ``name``'s missing files into ``root`` (default: the cache); return its folder."""
    dataset = _dataset(name)
    folder = pathlib.Path(root or cache_dir()).expanduser() / dataset.folder
    folder_advice = (f"Set {CACHE_DIR_ENV} to a folder you can write to." if root is None
                     else "Choose a folder you can write to.")
    for file_name, md5 in dataset.files.items():
        if not (folder / file_name).is_file():
            download.fetch([base + file_name for base in dataset.mirrors], folder / file_name, md5,
                           progress=progress, offline_advice=_offline_advice(dataset, root),
                           folder_advice=folder_advice)
    return folder


def _offline_advice(dataset, root=None):
    """The last lines of a failed download: where to put the files by hand (root, or the data directory)."""
    root = data_dir() if root is None else pathlib.Path(root).expanduser()
    if root is None:
        return (f"No internet? Put the file at {{destination}} yourself, or set {DATA_DIR_ENV} to a "
                f"folder that holds {dataset.folder}/ with the official files.")
    where = f"where {DATA_DIR_ENV} points" if root == data_dir() else "the folder you chose"
    return (f"No internet? Copy the official files into {root / dataset.folder}, {where}:\n"
            f"{_expected_layout(root, dataset)}")


def locate(name):
    """The folder holding ``name``'s files, downloading them into the cache if needed.

    Anything but the data directory gets one line on stderr saying where the data comes from.
    """
    dataset = _dataset(name)
    folder, root = find(name), data_dir()
    if folder is not None and root is not None and folder == root / dataset.folder:
        return folder
    reason = f"not in {DATA_DIR_ENV}={root}" if root is not None else f"{DATA_DIR_ENV} is not set"
    if folder is not None:  # the cache
        if root is not None:  # without a data directory the cache is the usual place: say nothing
            _say(f"{name}: {reason}; loading the copy in the cache, {folder}")
        return folder
    _say(f"{name}: {reason} and not in the cache; downloading it into {cache_dir() / dataset.folder}")
    return prefetch(name)


# --- reading and checking files ---------------------------------------------------------------

def _read_idx(path, magic, shape):
    """Read one gzip IDX file whose header must give ``magic`` and exactly ``shape``."""
    header_size = 4 + 4 * len(shape)
    try:
        with gzip.open(path, "rb") as stream:
            header = stream.read(header_size)
            if len(header) < header_size:
                raise DataError(f"{path}: truncated: only {len(header)} bytes, "
                                f"shorter than the {header_size}-byte IDX header")
            found_magic, *dims = np.frombuffer(header, dtype=">u4").tolist()
            if found_magic != magic:
                raise DataError(f"{path}: IDX magic number is {found_magic}, expected {magic} "
                                "(is this the right file?)")
            if tuple(dims) != tuple(shape):
                raise DataError(f"{path}: IDX header says shape {tuple(dims)}, expected {tuple(shape)}")
            # Read straight into the final uint8 array: no bytes copy, and the array is writable.
            array = np.empty(shape, dtype=np.uint8)
            filled = stream.readinto(memoryview(array).cast("B"))
            if filled < array.size:
                raise DataError(f"{path}: truncated: {filled} of {array.size} data bytes")
            if stream.read(1):
                raise DataError(f"{path}: has extra bytes after the {array.size} data bytes")
    except (OSError, EOFError, zlib.error) as error:
        # BadGzipFile (an HTML page saved as .gz) and a cut-off gzip stream both land here.
        raise DataError(f"{path}: not a readable gzip file ({error})") from error
    return array


def _check_labels(labels, num_classes, where):
    if labels.size and labels.max() >= num_classes:
        bad = int(np.argmax(labels >= num_classes))
        raise DataError(f"{where}: label {labels[bad]} at index {bad} is outside 0..{num_classes - 1}")
    return labels


def _load_idx_dataset(name):
    dataset = _dataset(name)
    folder = locate(name)
    splits = []
    for prefix, count in (("train", 60_000), ("t10k", 10_000)):
        images = _read_idx(folder / f"{prefix}-images-idx3-ubyte.gz", IDX_IMAGES_MAGIC, (count, 28, 28))
        labels_path = folder / f"{prefix}-labels-idx1-ubyte.gz"
        labels = _check_labels(_read_idx(labels_path, IDX_LABELS_MAGIC, (count,)),
                               len(dataset.class_names), labels_path)
        splits.append((images[..., np.newaxis], labels))  # NHWC: one grayscale channel
    return tuple(splits)


def load_mnist():
    """MNIST digits: ((x_train, y_train), (x_test, y_test)), images uint8 (N, 28, 28, 1), labels uint8."""
    return _load_idx_dataset("mnist")


def load_fashion_mnist():
    """Fashion-MNIST clothes, same shapes as MNIST; class names in FASHION_MNIST_CLASSES."""
    return _load_idx_dataset("fashion-mnist")


def _read_cifar_batches(archive, tar, member_names):
    """Decode binary CIFAR batches into uint8 NHWC images and uint8 labels."""
    count = CIFAR_IMAGES_PER_BATCH * len(member_names)
    images = np.empty((count, CIFAR_SIDE, CIFAR_SIDE, 3), dtype=np.uint8)
    labels = np.empty(count, dtype=np.uint8)
    for index, member_name in enumerate(member_names):
        where = f"{archive}:{CIFAR_MEMBER_DIR}/{member_name}"
        try:
            member = tar.getmember(f"{CIFAR_MEMBER_DIR}/{member_name}")
        except KeyError:
            raise DataError(f"{archive}: missing member {CIFAR_MEMBER_DIR}/{member_name}") from None
        expected = CIFAR_IMAGES_PER_BATCH * CIFAR_RECORD_BYTES
        if member.size != expected:
            raise DataError(f"{where}: {member.size} bytes, expected {expected} "
                            f"({CIFAR_IMAGES_PER_BATCH} records of {CIFAR_RECORD_BYTES} bytes)")
        records = np.frombuffer(tar.extractfile(member).read(), dtype=np.uint8)
        if records.size != expected:
            raise DataError(f"{where}: truncated: {records.size} of {expected} bytes")
        records = records.reshape(CIFAR_IMAGES_PER_BATCH, CIFAR_RECORD_BYTES)
        rows = slice(index * CIFAR_IMAGES_PER_BATCH, (index + 1) * CIFAR_IMAGES_PER_BATCH)
        labels[rows] = _check_labels(records[:, 0], len(CIFAR10_CLASSES), where)
        # Records store the red, green and blue planes one after another; Keras wants channels last.
        images[rows] = records[:, 1:].reshape(-1, 3, CIFAR_SIDE, CIFAR_SIDE).transpose(0, 2, 3, 1)
    return images, labels


def load_cifar10():
    """CIFAR-10 photos: ((x_train, y_train), (x_test, y_test)), images uint8 (N, 32, 32, 3), labels uint8.

    Read from the official *binary* archive, so nothing downloaded is ever unpickled.
    """
    archive = locate("cifar10") / "cifar-10-binary.tar.gz"
    try:
        with tarfile.open(archive, "r:gz") as tar:
            train = _read_cifar_batches(archive, tar, CIFAR_TRAIN_MEMBERS)
            test = _read_cifar_batches(archive, tar, (CIFAR_TEST_MEMBER,))
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise DataError(f"{archive}: not a readable .tar.gz archive ({error})") from error
    return train, test


LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist, "cifar10": load_cifar10}


def load(name):
    """Load data set ``name`` ("mnist", "fashion-mnist" or "cifar10")."""
    _dataset(name)
    return LOADERS[name]()


# --- sample images for the filter notebook ---------------------------------------------------

SAMPLE_IMAGES = ("hopper", "shapes")
SHAPES_SIDE = 128


def _draw_shapes():
    """A 128x128 grayscale test card: a square, a disc and a diagonal bar on mid-grey."""
    import cv2  # only needed here; keeps `import cnnlab.data` light

    image = np.full((SHAPES_SIDE, SHAPES_SIDE), 90, dtype=np.uint8)
    cv2.rectangle(image, (14, 14), (54, 54), color=230, thickness=-1)
    cv2.circle(image, (92, 36), 22, color=20, thickness=-1)
    cv2.line(image, (20, 110), (110, 74), color=200, thickness=9)
    return image


def sample_image(name="hopper"):
    """A bundled image: "hopper" (600, 512, 3) RGB photo, or "shapes" (128, 128) grayscale drawing; uint8."""
    if name == "shapes":
        return _draw_shapes()
    if name != "hopper":
        raise ValueError(f"unknown sample image {name!r}; choose one of {', '.join(SAMPLE_IMAGES)}")
    import matplotlib.image

    return np.ascontiguousarray(matplotlib.image.imread(ASSETS_DIR / "grace_hopper.jpg"))


# --- command line ----------------------------------------------------------------------------

def main(argv=None):
    """``python -m cnnlab.data download [--data-dir DIR] [NAME ...]``: fetch data sets ahead of time."""
    parser = argparse.ArgumentParser(prog="python -m cnnlab.data", description=main.__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("download", help="download data sets (default: all)")
    fetch.add_argument("names", nargs="*", metavar="NAME",
                       help=f"data sets to fetch: {', '.join(DATASETS)} (default: all)")
    fetch.add_argument("--data-dir", type=pathlib.Path, default=None,
                       help="folder to download into (default: the cache)")
    arguments = parser.parse_args(argv)
    unknown = [name for name in arguments.names if name not in DATASETS]
    if unknown:
        parser.error(f"unknown data set(s) {', '.join(unknown)}; choose from {', '.join(DATASETS)}")
    for name in arguments.names or DATASETS:
        # find, not is_available: a data directory laid out wrong is reported, not downloaded around.
        found = find(name) if arguments.data_dir is None else None
        if found is not None:
            print(f"{name}: already in {found}")
            continue
        folder = prefetch(name, arguments.data_dir)
        print(f"{name}: ready in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
