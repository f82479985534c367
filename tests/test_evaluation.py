"""cnnlab.evaluation against plain Python loops and boolean masks on random labels."""

import numpy as np
import pytest

from cnnlab import evaluation

NUM_CLASSES = 7
NUM_SAMPLES = 500


@pytest.fixture
def labels():
    """Random true and predicted labels, about half of the predictions right."""
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, NUM_CLASSES, NUM_SAMPLES)
    y_pred = np.where(rng.random(NUM_SAMPLES) < 0.5, y_true, rng.integers(0, NUM_CLASSES, NUM_SAMPLES))
    return y_true, y_pred


def loop_confusion_matrix(y_true, y_pred, num_classes):
    """Reference: count every (true, predicted) pair one by one."""
    matrix = [[0] * num_classes for _ in range(num_classes)]
    for true, predicted in zip(y_true, y_pred):
        matrix[true][predicted] += 1
    return np.array(matrix)


def one_hot(labels, num_classes):
    return np.eye(num_classes, dtype=np.float32)[labels]


def test_confusion_matrix_matches_loop(labels):
    y_true, y_pred = labels
    matrix = evaluation.confusion_matrix(y_true, y_pred, NUM_CLASSES)
    assert matrix.dtype == np.int64 and matrix.shape == (NUM_CLASSES, NUM_CLASSES)
    np.testing.assert_array_equal(matrix, loop_confusion_matrix(y_true, y_pred, NUM_CLASSES))
    assert matrix.sum() == NUM_SAMPLES


def test_confusion_matrix_rows_are_true_classes():
    matrix = evaluation.confusion_matrix([0, 0, 1], [1, 1, 1], 2)
    np.testing.assert_array_equal(matrix, [[0, 2], [0, 1]])


def test_uint8_labels_do_not_overflow():
    # 255 classes: true * num_classes would wrap around in uint8.
    y_true = np.array([254, 3], dtype=np.uint8)
    y_pred = np.array([200, 3], dtype=np.uint8)
    matrix = evaluation.confusion_matrix(y_true, y_pred, 255)
    assert matrix[254, 200] == 1 and matrix[3, 3] == 1 and matrix.sum() == 2


def test_one_hot_probabilities_and_columns_give_the_same_labels(labels):
    y_true, y_pred = labels
    expected = evaluation.confusion_matrix(y_true, y_pred, NUM_CLASSES)
    probabilities = one_hot(y_pred, NUM_CLASSES) * 0.6 + 0.4 / NUM_CLASSES  # argmax unchanged
    np.testing.assert_array_equal(
        evaluation.confusion_matrix(one_hot(y_true, NUM_CLASSES), probabilities, NUM_CLASSES), expected)
    # Keras ships CIFAR-10 labels as an (N, 1) column.
    np.testing.assert_array_equal(
        evaluation.confusion_matrix(y_true[:, None], y_pred, NUM_CLASSES), expected)


def test_to_labels():
    np.testing.assert_array_equal(evaluation.to_labels([[0.1, 0.9], [0.8, 0.2]]), [1, 0])
    np.testing.assert_array_equal(evaluation.to_labels([[4], [2]]), [4, 2])
    np.testing.assert_array_equal(evaluation.to_labels([3, 1]), [3, 1])


def test_per_class_accuracy_matches_masks(labels):
    y_true, y_pred = labels
    result = evaluation.per_class_accuracy(y_true, y_pred, NUM_CLASSES)
    expected = [np.mean(y_pred[y_true == label] == label) for label in range(NUM_CLASSES)]
    np.testing.assert_allclose(result, expected)


def test_per_class_accuracy_is_nan_for_absent_class():
    result = evaluation.per_class_accuracy([0, 0, 2], [0, 1, 2], 3)
    np.testing.assert_allclose(result[[0, 2]], [0.5, 1.0])
    assert np.isnan(result[1])


def test_accuracy_and_misclassified_indices(labels):
    y_true, y_pred = labels
    wrong = [index for index in range(NUM_SAMPLES) if y_true[index] != y_pred[index]]
    assert evaluation.accuracy(y_true, y_pred) == pytest.approx(1 - len(wrong) / NUM_SAMPLES)
    np.testing.assert_array_equal(evaluation.misclassified_indices(y_true, y_pred), wrong)
    assert evaluation.accuracy(one_hot(y_true, NUM_CLASSES), y_true) == 1.0


def test_top_confusions_order_and_zero_cells():
    matrix = np.array([[50, 3, 0], [7, 40, 3], [1, 0, 99]])
    names = ["cat", "dog", "frog"]
    # Diagonal ignored; ties (3 and 3) in row order; zero cells never listed.
    assert evaluation.top_confusions(matrix, names, k=3) == [
        ("dog", "cat", 7), ("cat", "dog", 3), ("dog", "frog", 3)]
    assert evaluation.top_confusions(matrix, names, k=10) == [
        ("dog", "cat", 7), ("cat", "dog", 3), ("dog", "frog", 3), ("frog", "cat", 1)]
    assert evaluation.top_confusions(np.diag([5, 5, 5]), names) == []


def test_top_confusions_from_random_labels(labels):
    y_true, y_pred = labels
    matrix = evaluation.confusion_matrix(y_true, y_pred, NUM_CLASSES)
    names = [f"class {label}" for label in range(NUM_CLASSES)]
    top = evaluation.top_confusions(matrix, names, k=5)
    off_diagonal = sorted((matrix[t, p] for t in range(NUM_CLASSES) for p in range(NUM_CLASSES) if t != p),
                          reverse=True)
    # the five largest, plus any mistake tied with the fifth
    assert [count for _, _, count in top] == [count for count in off_diagonal if count >= off_diagonal[4]]
    for true_name, predicted_name, count in top:
        assert matrix[names.index(true_name), names.index(predicted_name)] == count


def test_length_mismatch_names_both_lengths():
    with pytest.raises(ValueError, match="y_true has 3 labels but y_pred has 2"):
        evaluation.confusion_matrix([0, 1, 2], [0, 1], 3)
    with pytest.raises(ValueError, match="3 .* 2"):
        evaluation.accuracy([0, 1, 2], [0, 1])


def test_label_out_of_range_names_value_and_num_classes():
    with pytest.raises(ValueError, match=r"y_pred contains label 9.*num_classes=3"):
        evaluation.confusion_matrix([0, 1, 2], [0, 9, 2], 3)
    with pytest.raises(ValueError, match=r"y_true contains label -1"):
        evaluation.per_class_accuracy([0, -1], [0, 1], 3)


@pytest.mark.parametrize("bad, error", [
    (np.array([0.0, 1.0]), TypeError),  # float labels: labels or one sigmoid output?
    (np.zeros((2, 3, 4)), ValueError),
])
def test_to_labels_rejects_ambiguous_input(bad, error):
    with pytest.raises(error, match="shape|dtype"):
        evaluation.to_labels(bad)


def test_other_errors():
    with pytest.raises(ValueError, match="empty"):
        evaluation.accuracy([], [])
    with pytest.raises(ValueError, match="num_classes"):
        evaluation.confusion_matrix([0], [0], 0)
    with pytest.raises(ValueError, match=r"square.*\(2, 3\)"):
        evaluation.top_confusions(np.zeros((2, 3)), ["a", "b"])
    with pytest.raises(ValueError, match="3 classes but class_names has 2"):
        evaluation.top_confusions(np.zeros((3, 3)), ["a", "b"])


def test_top_confusions_keeps_a_tie_at_the_cut_whole():
    matrix = np.array([[9, 3, 2], [2, 9, 1], [0, 2, 9]])
    names = ["a", "b", "c"]
    assert evaluation.top_confusions(matrix, names, k=1) == [("a", "b", 3)]
    tied = evaluation.top_confusions(matrix, names, k=2)
    assert [count for _, _, count in tied] == [3, 2, 2, 2]  # three mistakes tie for second place
    assert evaluation.top_confusions(matrix, names, k=0) == []
