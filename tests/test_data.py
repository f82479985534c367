"""cnnlab.data: lookup order, structural checks of every file, downloads from a local server, real data."""

import dataclasses
import gzip
import hashlib
import io
import pathlib
import shutil
import tarfile

import numpy as np
import pytest

from cnnlab import data, download

IDX_FILES = data.MNIST_FILES
TRAIN_COUNT, TEST_COUNT = 60_000, 10_000


# --- writers for files in the official formats -------------------------------------------------

def idx_bytes(array, magic):
    """An IDX file: magic, one big-endian uint32 per dimension, then the bytes."""
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_gzip(path, payload):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload, compresslevel=1))


def make_idx_split(count, seed):
    """Mostly-black images (so the files compress to almost nothing) with a few random ones."""
    generator = np.random.default_rng(seed)
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    images[:20] = generator.integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
    labels = generator.integers(0, 10, size=count, dtype=np.uint8)
    return images, labels


@pytest.fixture(scope="module")
def idx_folder(tmp_path_factory):
    """A complete, valid data set in the MNIST layout, plus the arrays written into it."""
    folder = tmp_path_factory.mktemp("idx") / "fashion-mnist"
    arrays = {}
    for prefix, count, seed in (("train", TRAIN_COUNT, 1), ("t10k", TEST_COUNT, 2)):
        images, labels = make_idx_split(count, seed)
        write_gzip(folder / f"{prefix}-images-idx3-ubyte.gz", idx_bytes(images, data.IDX_IMAGES_MAGIC))
        write_gzip(folder / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(labels, data.IDX_LABELS_MAGIC))
        arrays[prefix] = (images, labels)
    return folder, arrays


def cifar_records(labels, images):
    """Binary CIFAR records: a label byte, then the red, green and blue planes of a 32x32 image."""
    planes = images.transpose(0, 3, 1, 2).reshape(len(labels), -1)
    return np.concatenate([labels[:, None], planes], axis=1).astype(np.uint8).tobytes()


def write_cifar_archive(path, members):
    """Write a .tar.gz holding cifar-10-batches-bin/<name> for each (name, bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(f"{data.CIFAR_MEMBER_DIR}/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


@pytest.fixture(scope="module")
def cifar_members():
    """Valid member payloads; in each batch, image i has one bright red pixel at (1, 2)."""
    generator = np.random.default_rng(3)
    members = {}
    for name in (*data.CIFAR_TRAIN_MEMBERS, data.CIFAR_TEST_MEMBER):
        labels = generator.integers(0, 10, size=data.CIFAR_IMAGES_PER_BATCH, dtype=np.uint8)
        images = np.zeros((data.CIFAR_IMAGES_PER_BATCH, 32, 32, 3), dtype=np.uint8)
        images[:, 1, 2, 0] = 255
        members[name] = (labels, cifar_records(labels, images))
    return members


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """An empty data directory and cache, so nothing from this machine leaks in."""
    data_dir, cache = tmp_path / "data", tmp_path / "cache"
    data_dir.mkdir()
    monkeypatch.setenv(data.DATA_DIR_ENV, str(data_dir))
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(cache))
    return data_dir, cache


def install(idx_folder, root):
    """Copy the valid IDX files to root/fashion-mnist and return that folder."""
    target = root / "fashion-mnist"
    shutil.copytree(idx_folder[0], target)
    return target


# --- loading valid files -------------------------------------------------------------------------

def test_idx_files_load_as_uint8_nhwc_and_match_what_was_written(idx_folder, isolated):
    install(idx_folder, isolated[0])
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    assert x_train.shape == (TRAIN_COUNT, 28, 28, 1) and x_test.shape == (TEST_COUNT, 28, 28, 1)
    assert x_train.dtype == y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train[..., 0], idx_folder[1]["train"][0])
    np.testing.assert_array_equal(y_test, idx_folder[1]["t10k"][1])
    assert x_train.flags.writeable  # learners may normalise in place


def test_cifar_records_become_channels_last_images(cifar_members, isolated):
    write_cifar_archive(isolated[0] / "cifar10" / "cifar-10-binary.tar.gz",
                        {name: payload for name, (_, payload) in cifar_members.items()})
    (x_train, y_train), (x_test, y_test) = data.load_cifar10()
    assert x_train.shape == (50_000, 32, 32, 3) and x_test.shape == (10_000, 32, 32, 3)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    # The red plane's byte for row 1, column 2 must land in channel 0 at (1, 2), nowhere else.
    assert (x_train[:, 1, 2, 0] == 255).all()
    assert int(x_train.sum(dtype=np.int64)) == 255 * 50_000
    np.testing.assert_array_equal(y_train[10_000:20_000], cifar_members["data_batch_2.bin"][0])
    np.testing.assert_array_equal(y_test, cifar_members["test_batch.bin"][0])


# --- lookup order ---------------------------------------------------------------------------------

def test_data_directory_comes_before_the_cache(idx_folder, isolated):
    data_dir, cache = isolated
    install(idx_folder, data_dir)
    install(idx_folder, cache)
    assert data.find("fashion-mnist") == data_dir / "fashion-mnist"
    shutil.rmtree(data_dir / "fashion-mnist")
    assert data.find("fashion-mnist") == cache / "fashion-mnist"


def test_incomplete_folder_does_not_count_as_available(idx_folder, isolated):
    folder = install(idx_folder, isolated[0])
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    assert not data.is_available("fashion-mnist")


def test_data_directory_that_does_not_exist_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="CNNLAB_DATA_DIR.*nowhere"):
        data.find("mnist")


def test_unknown_data_set_names_the_choices():
    with pytest.raises(ValueError, match="fashion-mnist"):
        data.load("imagenet")
    assert data.class_names("cifar10")[3] == "cat"
    assert data.class_names("fashion-mnist")[9] == "Ankle boot"


# --- malformed files: one clear error naming the file ------------------------------------------

def corrupt_and_load(idx_folder, isolated, file_name, payload, compress=True):
    folder = install(idx_folder, isolated[0])
    path = folder / file_name
    path.write_bytes(gzip.compress(payload) if compress else payload)
    with pytest.raises(data.DataError) as caught:
        data.load_fashion_mnist()
    assert str(path) in str(caught.value)
    return str(caught.value)


def test_html_page_saved_as_gz(idx_folder, isolated):
    message = corrupt_and_load(idx_folder, isolated, "train-images-idx3-ubyte.gz",
                               b"<html><body>403 Forbidden</body></html>", compress=False)
    assert "gzip" in message


def test_cut_off_gzip_stream(idx_folder, isolated):
    full = gzip.compress(idx_bytes(np.ones((TEST_COUNT,), np.uint8), data.IDX_LABELS_MAGIC))
    message = corrupt_and_load(idx_folder, isolated, "t10k-labels-idx1-ubyte.gz",
                               full[: len(full) // 2], compress=False)
    assert "gzip" in message


def test_wrong_magic_number(idx_folder, isolated):
    labels_in_place_of_images = idx_bytes(np.zeros(TRAIN_COUNT, np.uint8), data.IDX_LABELS_MAGIC)
    message = corrupt_and_load(idx_folder, isolated, "train-images-idx3-ubyte.gz", labels_in_place_of_images)
    assert "magic number is 2049, expected 2051" in message


def test_wrong_image_count(idx_folder, isolated):
    message = corrupt_and_load(idx_folder, isolated, "t10k-images-idx3-ubyte.gz",
                               idx_bytes(np.zeros((9_999, 28, 28), np.uint8), data.IDX_IMAGES_MAGIC))
    assert "(9999, 28, 28)" in message and "(10000, 28, 28)" in message


def test_truncated_payload(idx_folder, isolated):
    payload = idx_bytes(np.zeros((TEST_COUNT, 28, 28), np.uint8), data.IDX_IMAGES_MAGIC)
    message = corrupt_and_load(idx_folder, isolated, "t10k-images-idx3-ubyte.gz", payload[:-100])
    assert "truncated" in message


def test_truncated_header(idx_folder, isolated):
    message = corrupt_and_load(idx_folder, isolated, "t10k-images-idx3-ubyte.gz", b"\x00\x00\x08")
    assert "truncated" in message


def test_extra_bytes(idx_folder, isolated):
    payload = idx_bytes(np.zeros(TEST_COUNT, np.uint8), data.IDX_LABELS_MAGIC) + b"\x00"
    message = corrupt_and_load(idx_folder, isolated, "t10k-labels-idx1-ubyte.gz", payload)
    assert "extra bytes" in message


def test_label_out_of_range(idx_folder, isolated):
    labels = np.zeros(TEST_COUNT, np.uint8)
    labels[1234] = 10
    message = corrupt_and_load(idx_folder, isolated, "t10k-labels-idx1-ubyte.gz",
                               idx_bytes(labels, data.IDX_LABELS_MAGIC))
    assert "label 10 at index 1234" in message


def cifar_error(isolated, members=None, raw=None):
    archive = isolated[0] / "cifar10" / "cifar-10-binary.tar.gz"
    if raw is not None:
        archive.parent.mkdir(parents=True)
        archive.write_bytes(raw)
    else:
        write_cifar_archive(archive, members)
    with pytest.raises(data.DataError) as caught:
        data.load_cifar10()
    assert str(archive) in str(caught.value)
    return str(caught.value)


def valid_payloads(cifar_members):
    return {name: payload for name, (_, payload) in cifar_members.items()}


def test_cifar_missing_batch(cifar_members, isolated):
    members = valid_payloads(cifar_members)
    del members["data_batch_4.bin"]
    assert "missing member cifar-10-batches-bin/data_batch_4.bin" in cifar_error(isolated, members)


def test_cifar_wrong_record_size(cifar_members, isolated):
    members = valid_payloads(cifar_members)
    members["test_batch.bin"] = members["test_batch.bin"][:-3073]
    assert "3073" in cifar_error(isolated, members)


def test_cifar_label_out_of_range(cifar_members, isolated):
    members = valid_payloads(cifar_members)
    broken = bytearray(members["data_batch_1.bin"])
    broken[5 * data.CIFAR_RECORD_BYTES] = 12  # the label byte of record 5
    members["data_batch_1.bin"] = bytes(broken)
    assert "label 12 at index 5" in cifar_error(isolated, members)


def test_cifar_html_page_instead_of_archive(isolated):
    assert "tar.gz" in cifar_error(isolated, raw=b"<html>Not Found</html>")


def test_cifar_truncated_archive(cifar_members, isolated, tmp_path):
    whole = tmp_path / "whole.tar.gz"
    write_cifar_archive(whole, valid_payloads(cifar_members))
    raw = whole.read_bytes()
    cifar_error(isolated, raw=raw[: len(raw) // 2])


# --- downloads from a server on 127.0.0.1 -------------------------------------------------------

@pytest.fixture
def file_server(idx_folder, serve_folder):
    """Serve the valid IDX files over HTTP on 127.0.0.1; returns the base URL."""
    return serve_folder(idx_folder[0])


def serve_fashion_from(monkeypatch, idx_folder, mirrors):
    """Point the Fashion-MNIST registry at ``mirrors``, with the checksums of the served files."""
    hashes = {name: hashlib.md5((idx_folder[0] / name).read_bytes()).hexdigest() for name in IDX_FILES}
    original = data.DATASETS["fashion-mnist"]
    patched = data.Dataset(original.name, original.folder, hashes, tuple(mirrors), original.class_names)
    monkeypatch.setitem(data.DATASETS, "fashion-mnist", patched)


def test_missing_data_is_downloaded_into_the_cache_and_loaded(idx_folder, isolated, file_server, monkeypatch):
    serve_fashion_from(monkeypatch, idx_folder, ["http://127.0.0.1:9/", file_server])  # first mirror refuses
    (x_train, _), (_, y_test) = data.load_fashion_mnist()
    np.testing.assert_array_equal(y_test, idx_folder[1]["t10k"][1])
    assert data.find("fashion-mnist") == isolated[1] / "fashion-mnist"
    assert sorted(path.name for path in (isolated[1] / "fashion-mnist").iterdir()) == sorted(IDX_FILES)


def test_offline_error_names_file_url_and_variable(idx_folder, isolated, monkeypatch):
    serve_fashion_from(monkeypatch, idx_folder, ["http://127.0.0.1:9/"])
    with pytest.raises(download.DownloadError) as caught:
        data.load_fashion_mnist()
    message = str(caught.value)
    assert "http://127.0.0.1:9/train-images-idx3-ubyte.gz" in message
    assert "CNNLAB_DATA_DIR" in message
    assert not any((isolated[1] / "fashion-mnist").glob("*"))  # nothing half-written


def test_command_line_downloads_into_a_chosen_folder(idx_folder, isolated, file_server, monkeypatch, tmp_path, capsys):
    serve_fashion_from(monkeypatch, idx_folder, [file_server])
    target = tmp_path / "classroom"
    assert data.main(["download", "--data-dir", str(target), "fashion-mnist"]) == 0
    assert all((target / "fashion-mnist" / name).is_file() for name in IDX_FILES)
    assert "fashion-mnist: ready" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        data.main(["download", "imagenet"])


# --- sample images ---------------------------------------------------------------------------------

def test_hopper_is_a_bundled_rgb_photo():
    image = data.sample_image("hopper")
    assert image.shape == (600, 512, 3) and image.dtype == np.uint8
    assert image.std() > 20  # a real photo, not a blank


def test_shapes_has_edges_in_both_directions():
    image = data.sample_image("shapes")
    assert image.shape == (128, 128) and image.dtype == np.uint8
    background = np.bincount(image.ravel()).argmax()
    assert (image > background).any() and (image < background).any()
    with pytest.raises(ValueError, match="hopper"):
        data.sample_image("lena")


# --- the real data sets (skipped when not on this machine) --------------------------------------

requires_mnist = pytest.mark.skipif(not data.is_available("mnist"),
                                    reason="MNIST not found: set CNNLAB_DATA_DIR (see README)")
requires_cifar = pytest.mark.skipif(not data.is_available("cifar10"),
                                    reason="CIFAR-10 not found: set CNNLAB_DATA_DIR (see README)")


@requires_mnist
def test_real_mnist_facts():
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (60_000, 28, 28, 1) and x_test.shape == (10_000, 28, 28, 1)
    # Published facts about MNIST: the first ten labels and the class counts of the training set.
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert x_train.mean(dtype=np.float32) == pytest.approx(33.32, abs=0.01)


@requires_cifar
def test_real_cifar10_is_balanced():
    (x_train, y_train), (x_test, y_test) = data.load_cifar10()
    assert x_train.shape == (50_000, 32, 32, 3) and x_test.shape == (10_000, 32, 32, 3)
    assert np.bincount(y_train).tolist() == [5000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    # float64 accumulators (not a float64 copy): a float32 running sum over 51 million values drifts.
    mean = x_train.mean(axis=(0, 1, 2), dtype=np.float64) / 255
    np.testing.assert_allclose(mean, [0.492, 0.483, 0.447], atol=0.005)


# --- data folders laid out almost right: one error that explains, before any download ----------

MNIST_NAMES = data.MNIST_FILES


def touch(path, content=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture
def no_download(monkeypatch):
    """Fail the test if anything tries to download."""
    def refuse(*args, **kwargs):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(download, "fetch", refuse)


def layout_error(name="mnist"):
    with pytest.raises(data.DataLayoutError) as caught:
        data.load(name)
    assert not data.is_available(name)  # asking is no error; loading is
    return str(caught.value)


def assert_explains(message, data_dir, name="mnist"):
    """The parts every layout error has: the variable, the data set and the expected layout."""
    assert f"CNNLAB_DATA_DIR={data_dir} holds part of {name}" in message
    assert "Expected layout" in message
    for file_name in data.DATASETS[name].files:
        assert str(data_dir / data.DATASETS[name].folder / file_name) in message


def test_three_of_the_four_mnist_files_name_the_missing_one(isolated, no_download):
    data_dir = isolated[0]
    for file_name in MNIST_NAMES[:3]:
        touch(data_dir / "mnist" / file_name)
    message = layout_error()
    assert_explains(message, data_dir)
    assert "holds 3 of the 4 files" in message
    missing = message.split("Missing:")[1].split("Expected")[0].strip()
    assert missing == str(data_dir / "mnist" / MNIST_NAMES[3])


@pytest.mark.parametrize("folder", ["mnist", "MNIST", "MNIST/raw"])  # the last: torchvision's layout
def test_gunzipped_files_are_named_as_unzipped(isolated, no_download, folder):
    data_dir = isolated[0]
    for file_name in MNIST_NAMES:
        touch(data_dir / folder / file_name.removesuffix(".gz"))
    message = layout_error()
    assert_explains(message, data_dir)
    for file_name in MNIST_NAMES:
        assert (f"{data_dir / folder / file_name.removesuffix('.gz')} (unzipped): expected "
                f"{data_dir / 'mnist' / file_name}") in message
    assert "Missing:" not in message and "gzip FILE" in message


def test_capitalised_folder_is_named(isolated, no_download):
    data_dir = isolated[0]
    for file_name in MNIST_NAMES:
        touch(data_dir / "MNIST" / file_name)
    message = layout_error()
    assert_explains(message, data_dir)
    assert f"{data_dir / 'MNIST' / MNIST_NAMES[0]} (misnamed or misplaced)" in message


def test_files_outside_their_folder_are_named(isolated, no_download):
    data_dir = isolated[0]
    for file_name in MNIST_NAMES:
        touch(data_dir / file_name)
    message = layout_error()
    assert_explains(message, data_dir)
    expected = data_dir / "mnist" / MNIST_NAMES[2]
    assert f"{data_dir / MNIST_NAMES[2]} (misnamed or misplaced): expected {expected}" in message


def test_kaggle_style_names_are_named(isolated, no_download):
    data_dir = isolated[0]
    touch(data_dir / "mnist" / "train-images.idx3-ubyte")  # a common re-upload's spelling
    message = layout_error()
    assert f"{data_dir / 'mnist' / 'train-images.idx3-ubyte'} (unzipped)" in message
    assert str(data_dir / "mnist" / MNIST_NAMES[3]) in message.split("Missing:")[1]


@pytest.mark.parametrize("where", ["cifar10", "."])
def test_extracted_cifar_archive_is_named(isolated, no_download, where):
    data_dir = isolated[0]
    extracted = data_dir / where / data.CIFAR_MEMBER_DIR
    for member in (*data.CIFAR_TRAIN_MEMBERS, data.CIFAR_TEST_MEMBER):
        touch(extracted / member)
    message = layout_error("cifar10")
    assert_explains(message, data_dir, "cifar10")
    assert f"{extracted}: the extracted archive" in message


def test_python_version_of_cifar_is_named(isolated, no_download):
    data_dir = isolated[0]
    touch(data_dir / "cifar10" / "cifar-10-python.tar.gz")
    message = layout_error("cifar10")
    assert "cifar-10-python.tar.gz: the Python (pickle) version" in message


def test_a_folder_in_place_of_a_file_is_named(isolated, no_download):
    data_dir = isolated[0]
    for file_name in MNIST_NAMES[1:]:
        touch(data_dir / "mnist" / file_name)
    (data_dir / "mnist" / MNIST_NAMES[0]).mkdir()
    message = layout_error()
    assert f"{data_dir / 'mnist' / MNIST_NAMES[0]} is a folder, not a file" in message


def test_a_broken_symlink_in_place_of_a_file_is_named(isolated, no_download, tmp_path):
    data_dir = isolated[0]
    for file_name in MNIST_NAMES[1:]:
        touch(data_dir / "mnist" / file_name)
    (data_dir / "mnist" / MNIST_NAMES[0]).symlink_to(tmp_path / "usb-stick" / MNIST_NAMES[0])
    message = layout_error()
    assert f"{data_dir / 'mnist' / MNIST_NAMES[0]} is a broken symbolic link (to {tmp_path / 'usb-stick'}" \
        in message


def test_an_empty_data_set_folder_is_named(isolated, no_download):
    (isolated[0] / "mnist").mkdir()
    assert "holds 0 of the 4 files" in layout_error()


def test_other_data_sets_in_the_folder_are_no_error(idx_folder, isolated, no_download):
    data_dir, cache = isolated
    install(idx_folder, cache)
    (data_dir / "cifar10").mkdir()
    touch(data_dir / "cifar10" / "cifar-10-binary.tar.gz")
    assert data.find("fashion-mnist") == cache / "fashion-mnist"  # nothing of it in the data directory


# --- falling back to the cache or a download says so, in one line -------------------------------

def test_falling_back_to_the_cache_says_so_and_where(idx_folder, isolated, capsys):
    data_dir, cache = isolated
    install(idx_folder, cache)
    data.load_fashion_mnist()
    err = capsys.readouterr().err
    assert err == (f"fashion-mnist: not in CNNLAB_DATA_DIR={data_dir}; loading the copy in the cache, "
                   f"{cache / 'fashion-mnist'}\n")


def test_the_cache_without_a_data_directory_is_quiet(idx_folder, isolated, monkeypatch, capsys):
    monkeypatch.delenv(data.DATA_DIR_ENV)
    install(idx_folder, isolated[1])
    data.load_fashion_mnist()
    assert capsys.readouterr().err == ""


def test_a_download_says_so_and_where(idx_folder, isolated, file_server, monkeypatch, capsys):
    serve_fashion_from(monkeypatch, idx_folder, [file_server])
    data.load_fashion_mnist()
    lines = capsys.readouterr().err.splitlines()  # that line, then the progress bars
    assert lines[0] == (f"fashion-mnist: not in CNNLAB_DATA_DIR={isolated[0]} and not in the cache; "
                        f"downloading it into {isolated[1] / 'fashion-mnist'}")
    assert sum(line.startswith("fashion-mnist:") for line in lines) == 1


def test_offline_with_a_data_directory_says_where_to_copy_the_files(idx_folder, isolated, monkeypatch):
    serve_fashion_from(monkeypatch, idx_folder, ["http://127.0.0.1:9/"])
    with pytest.raises(download.DownloadError) as caught:
        data.load_fashion_mnist()
    message = str(caught.value)
    assert f"Copy the official files into {isolated[0] / 'fashion-mnist'}" in message
    assert "or set CNNLAB_DATA_DIR" not in message  # it is set already
    for file_name in IDX_FILES:
        assert str(isolated[0] / "fashion-mnist" / file_name) in message


def test_cache_variable_naming_a_file_is_a_clear_error(isolated, monkeypatch, tmp_path, no_download):
    a_file = touch(tmp_path / "notes.txt")
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(a_file))
    with pytest.raises(NotADirectoryError, match=f"CNNLAB_CACHE_DIR={a_file} is a file, not a folder"):
        data.load_mnist()


def test_cache_under_a_file_is_a_clear_error_before_any_download(isolated, monkeypatch, tmp_path):
    a_file = touch(tmp_path / "notes.txt")
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(a_file / "cnnlab"))
    monkeypatch.setitem(data.DATASETS, "mnist", dataclasses.replace(data.DATASETS["mnist"],
                                                                   mirrors=("http://127.0.0.1:9/",)))
    with pytest.raises(download.UnwritableFolderError) as caught:
        data.load_mnist()
    message = str(caught.value)
    assert f"{a_file} is a file, not a folder" in message and "CNNLAB_CACHE_DIR" in message
    assert "No internet" not in message


def test_command_line_reports_a_data_directory_laid_out_wrong(isolated, no_download):
    touch(isolated[0] / "MNIST" / MNIST_NAMES[0])
    with pytest.raises(data.DataLayoutError, match="MNIST"):
        data.main(["download", "mnist"])
