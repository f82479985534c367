"""Augmentation on uint8 batches: shifts against a per-pixel reference, alternating flips, bad settings."""

import numpy as np
import pytest

from cnnlab import augment, config


def random_images(count=6, side=7, channels=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(count, side, side, channels), dtype=np.uint8)


def test_translate_matches_the_pixel_reference(translate_reference):
    images = random_images()
    shifts = np.array([[0, 0], [2, -1], [-2, 2], [1, 1], [-1, 0], [0, -2]])
    moved = augment.translate(images, shifts)
    assert moved.dtype == np.uint8 and moved.shape == images.shape
    for image, shift, result in zip(images, shifts, moved):
        np.testing.assert_array_equal(result, translate_reference(image, *shift))


def test_translate_with_zeros_brings_in_black():
    images = np.full((1, 4, 4, 1), 200, np.uint8)
    moved = augment.translate(images, np.array([[1, 0]]), pad_mode="constant")
    assert (moved[0, 0] == 0).all() and (moved[0, 1:] == 200).all()


@pytest.mark.parametrize("images, shifts, message", [
    (np.zeros((2, 4, 4, 1), np.float32), np.zeros((2, 2), int), "uint8"),
    (np.zeros((4, 4, 1), np.uint8), np.zeros((1, 2), int), r"shape \(N, H, W, C\)"),
    (np.zeros((2, 4, 4, 1), np.uint8), np.zeros((3, 2), int), r"shifts must be integers of shape \(2, 2\)"),
    (np.zeros((2, 4, 4, 1), np.uint8), np.zeros((2, 2)), "float64"),
])
def test_translate_rejects_bad_input(images, shifts, message):
    with pytest.raises(ValueError, match=message):
        augment.translate(images, shifts)


def labelled_images(count=10):
    """Images whose every pixel holds the image's index, and labels equal to the index."""
    images = np.repeat(np.arange(count, dtype=np.uint8), 5 * 5).reshape(count, 5, 5, 1)
    return images, np.arange(count)


def test_batches_cover_every_image_once_per_epoch_with_matching_labels(monkeypatch):
    monkeypatch.setattr(config, "quick", False)
    images, labels = labelled_images(10)
    batches = augment.AugmentedBatches(images, labels, batch_size=4, max_shift=1, flip=False)
    assert len(batches) == 3
    seen = []
    for index in range(len(batches)):
        batch_images, batch_labels = batches[index]
        assert batch_images.dtype == np.uint8
        np.testing.assert_array_equal(batch_images[:, 2, 2, 0], batch_labels)  # labels follow their images
        seen += list(batch_labels)
    assert sorted(seen) == list(range(10))


def test_flips_mirror_a_random_half_anew_every_epoch(monkeypatch):
    monkeypatch.setattr(config, "quick", False)
    images = np.zeros((200, 4, 4, 1), np.uint8)
    images[:, :, 0] = 255  # a bright left column: its mirror has it on the right
    batches = augment.AugmentedBatches(images, np.arange(200), batch_size=200, max_shift=0, flip=True)
    order, first = batches.batch(0)
    first = dict(zip(order, first[:, 0, 3, 0] == 255))
    batches.on_epoch_end()
    order, second = batches.batch(0)
    second = dict(zip(order, second[:, 0, 3, 0] == 255))
    assert 70 < sum(first.values()) < 130
    assert sum(first[i] != second[i] for i in range(200)) > 50  # new coins every epoch
    no_flip = augment.AugmentedBatches(images, np.arange(200), batch_size=200, max_shift=0, flip=False)
    assert (no_flip.batch(0)[1][:, 0, 0, 0] == 255).all()


def test_shifts_stay_within_max_shift(monkeypatch):
    monkeypatch.setattr(config, "quick", False)
    images = np.zeros((50, 9, 9, 1), np.uint8)
    images[:, 4, 4] = 255  # one bright pixel in the centre
    batches = augment.AugmentedBatches(images, np.zeros(50), batch_size=50, max_shift=2, flip=False)
    _, moved = batches.batch(0)
    rows, columns = np.nonzero(moved[..., 0])[1:]
    assert set(rows) <= {2, 3, 4, 5, 6} and set(columns) <= {2, 3, 4, 5, 6}
    assert len(set(zip(rows, columns))) > 10  # and they do vary


def test_quick_mode_shortens_the_epoch(monkeypatch):
    images, labels = labelled_images(10)
    monkeypatch.setattr(config, "quick", True)
    monkeypatch.setattr(config, "QUICK_TRAIN_IMAGES", 4)
    assert len(augment.AugmentedBatches(images, labels, batch_size=2)) == 2


@pytest.mark.parametrize("kwargs, message", [({"batch_size": 0}, "batch_size"),
                                             ({"batch_size": 2, "max_shift": 5}, "max_shift"),
                                             ({"batch_size": 2, "max_shift": -1}, "max_shift")])
def test_batches_reject_bad_settings(kwargs, message):
    images, labels = labelled_images(4)
    with pytest.raises(ValueError, match=message):
        augment.AugmentedBatches(images, labels, **kwargs)


def test_batches_reject_labels_of_another_length():
    images, labels = labelled_images(4)
    with pytest.raises(ValueError, match="differ in length: 4 vs 3"):
        augment.AugmentedBatches(images, labels[:3], batch_size=2)


def test_training_batches_are_shifted_or_mirrored_copies_on_every_backend(monkeypatch, translate_reference):
    monkeypatch.setattr(config, "quick", False)
    images = random_images(count=20, side=6)
    labels = np.arange(20)
    dataset = augment.training_batches(images, labels, batch_size=8, max_shift=2, flip=True, seed=1)
    seen = []
    for batch_images, batch_labels in dataset:
        batch_images, batch_labels = np.asarray(batch_images), np.asarray(batch_labels)
        assert batch_images.dtype == np.uint8 and len(batch_images) <= 8
        for image, label in zip(batch_images, batch_labels):
            candidates = [translate_reference(images[label], down, right)
                          for down in range(-2, 3) for right in range(-2, 3)]
            candidates += [candidate[:, ::-1] for candidate in candidates]
            assert any(np.array_equal(image, candidate) for candidate in candidates)
        seen += list(batch_labels)
    assert sorted(seen) == list(range(20))  # every image once per epoch


def test_training_batches_take_a_slice_in_quick_mode(monkeypatch):
    monkeypatch.setattr(config, "quick", True)
    monkeypatch.setattr(config, "QUICK_TRAIN_IMAGES", 8)
    dataset = augment.training_batches(random_images(count=20), np.arange(20), batch_size=4)
    assert sum(1 for _ in dataset) == 2


def test_training_batches_read_the_images_in_place_without_a_copy(monkeypatch):
    # A copy of the training images (what tf.constant makes) would cost 138 MB for CIFAR-10.
    monkeypatch.setattr(config, "quick", False)
    images = np.zeros((12, 5, 5, 3), np.uint8)
    dataset = augment.training_batches(images, np.arange(12), batch_size=4, max_shift=1, flip=True)
    images[:] = 7  # changed after the pipeline was built: batches must see the change
    for batch_images, _ in dataset:
        assert (np.asarray(batch_images) == 7).all()


def test_training_batches_repeat_exactly_for_the_same_seed(monkeypatch):
    # Parallel draws from one shared generator would come out in thread order, differently each run.
    monkeypatch.setattr(config, "quick", False)
    images, labels = random_images(count=64, side=6), np.arange(64)

    def two_epochs(seed):
        dataset = augment.training_batches(images, labels, batch_size=4, max_shift=2, flip=True, seed=seed)
        return [(np.asarray(batch), np.asarray(batch_labels)) for _ in range(2) for batch, batch_labels in dataset]

    first, again, other = two_epochs(3), two_epochs(3), two_epochs(4)
    assert len(first) == len(again) == 32
    for (images_a, labels_a), (images_b, labels_b) in zip(first, again):
        np.testing.assert_array_equal(labels_a, labels_b)
        np.testing.assert_array_equal(images_a, images_b)
    assert any(not np.array_equal(a[0], b[0]) for a, b in zip(first, other))
