"""Load MNIST, Fashion-MNIST and CIFAR-10 as uint8 arrays, from a data directory, a cache or the web.

Where files are looked for, in order:

1. the folder named by ``CNNLAB_DATA_DIR``;
2. the per-user cache, ``CNNLAB_CACHE_DIR`` or ``~/.cache/cnnlab``;
3. the official sources, downloaded once into the cache (checksum-verified, atomic).

Both folders use the official file names, one folder per data set, e.g.
``mnist/train-images-idx3-ubyte.gz`` and ``cifar10/cifar-10-binary.tar.gz``.
Every file is checked for structure when read (magic numbers, counts, sizes,
label range); a malformed one raises :class:`DataError` naming the file.

From a shell: ``python -m cnnlab.data download [--data-dir DIR] [NAME ...]``.
"""

import argparse
import dataclasses
import gzip
import os
import pathlib
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
    """The per-user download cache: CNNLAB_CACHE_DIR, or ~/.cache/cnnlab."""
    value = os.environ.get(CACHE_DIR_ENV, "").strip()
    return pathlib.Path(value or DEFAULT_CACHE_DIR).expanduser()


def _search_dirs():
    return [folder for folder in (data_dir(), cache_dir()) if folder is not None]


def find(name):
    """The first folder (data directory, then cache) holding all of ``name``'s files, or None."""
    dataset = _dataset(name)
    for root in _search_dirs():
        folder = root / dataset.folder
        if all((folder / file_name).is_file() for file_name in dataset.files):
            return folder
    return None


def is_available(name):
    """Whether ``name`` can be loaded without a download."""
    return find(name) is not None


def prefetch(name, root=None, progress=True):
    """Download ``name``'s missing files into ``root`` (default: the cache); return its folder."""
    dataset = _dataset(name)
    folder = pathlib.Path(root or cache_dir()).expanduser() / dataset.folder
    for file_name, md5 in dataset.files.items():
        if not (folder / file_name).is_file():
            download.fetch([base + file_name for base in dataset.mirrors],
                           folder / file_name, md5, progress=progress)
    return folder


def locate(name):
    """The folder holding ``name``'s files, downloading them into the cache if needed."""
    return find(name) or prefetch(name)


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
        if arguments.data_dir is None and is_available(name):
            print(f"{name}: already in {find(name)}")
            continue
        folder = prefetch(name, arguments.data_dir)
        print(f"{name}: ready in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
