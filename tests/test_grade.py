"""cnnlab.grade on a small fake class: copies of notebook 01 solved (scripts/make_solutions.py),
untouched, wrong, raising, hanging, killing their kernel and not valid JSON, and two copies of 05's
exercises that read a confusion matrix. The expected verdicts are written out by hand below."""

import copy
import csv
import re
import time

import nbformat
import pytest

from cnnlab import check, grade
from scripts import make_solutions

COURSE = make_solutions.NOTEBOOK_DIR
TIME_LIMIT = 25  # seconds per notebook: notebook 01 runs in about 4 s
# 05's figure, made so that cat/dog (30 + 25) is the most mixed-up pair
MATRIX_CELL = """matrix = np.diag(np.full(10, 900))
matrix[3, 5], matrix[5, 3], matrix[9, 1] = 30, 25, 40
class_names = data.CIFAR10_CLASSES"""


def exercise_index(notebook, exercise):
    """The index of the cell that ends with check.<exercise>(...)."""
    return next(index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
                and (make_solutions.exercise_call(cell.source) or (None,))[0] == exercise)


def answer(notebook, exercise, source):
    """Replace the answer of an exercise cell, keeping its check line."""
    cell = notebook.cells[exercise_index(notebook, exercise)]
    cell.source = source + "\n" + cell.source.strip().splitlines()[-1]


def exercises_only(notebook, first_cells):
    """The notebook's exercise section (from `from cnnlab import check` on), after `first_cells`."""
    start = next(index for index, cell in enumerate(notebook.cells)
                 if re.search(r"^from cnnlab import .*\bcheck\b", cell.source, re.MULTILINE))
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in first_cells]
                                    + copy.deepcopy(notebook.cells[start:]))


def insert_after(notebook, exercise, source):
    """Insert a code cell right after an exercise cell."""
    notebook.cells.insert(exercise_index(notebook, exercise) + 1, nbformat.v4.new_code_cell(source))


@pytest.fixture(scope="module")
def fake_class(tmp_path_factory):
    """Write the class's submissions, one folder per learner; return the class folder."""
    folder = tmp_path_factory.mktemp("class")
    original = nbformat.read(COURSE / "01_filters.ipynb", as_version=4)
    solved = copy.deepcopy(original)
    assert make_solutions.solve(solved) == list(check.NOTEBOOK_EXERCISES["01_filters"])
    short = exercises_only(solved, ["import numpy as np"])  # the exercises alone run in a second

    wrong = copy.deepcopy(original)
    answer(wrong, "grayscale_pixel", "gray_value = (200 + 100 + 50) / 3")
    answer(wrong, "sobel_response", "sobel_value = -360")
    answer(wrong, "shift_kernel", "shift_kernel = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]])")
    del wrong.cells[exercise_index(wrong, "diagonal_kernel")]

    raising = copy.deepcopy(short)
    raising.cells.insert(1, nbformat.v4.new_code_cell('raise RuntimeError("a bug of mine")'))
    answer(raising, "shift_kernel", "shift_kernel = np.array([[0, 0, 0], [1, 0, 0]")
    insert_after(raising, "grayscale_pixel", "import os\n\nwith open(os.environ['CNNLAB_CHECK_RESULTS'], 'a') "
                                             "as file:\n    file.write('not a verdict\\n{\"exercise\": 1}\\n')")
    hanging = copy.deepcopy(short)
    answer(hanging, "shift_kernel", "while True:  # a loop that never ends\n    pass")
    hanging.cells[exercise_index(hanging, "diagonal_kernel")].outputs = [nbformat.v4.new_output(
        "error", ename="NameError", evalue="stored by the learner's own run", traceback=[])]
    dying = copy.deepcopy(short)
    insert_after(dying, "grayscale_pixel", "import os\n\nos._exit(1)")

    cifar = nbformat.read(COURSE / "05_cifar10.ipynb", as_version=4)
    read_wrongly = exercises_only(cifar, ["import numpy as np\n\nfrom cnnlab import data, models\n"
                                          "from cnnlab.runtime import keras", MATRIX_CELL])
    computed = copy.deepcopy(read_wrongly)
    answer(read_wrongly, "most_confused_pair", 'most_confused = ("automobile", "truck")')
    make_solutions.solve(computed)

    submissions = {"ada/01_filters.ipynb": solved, "ben/01_filters.ipynb": original,
                   "cy/01_filters.ipynb": wrong, "dee/01_filters.ipynb": raising,
                   "eli/01_filters.ipynb": hanging, "fay/01_filters.ipynb": dying,
                   "hal/05_cifar10.ipynb": read_wrongly, "ivy/05_cifar10.ipynb": computed}
    for name, notebook in submissions.items():
        (folder / name).parent.mkdir()
        nbformat.write(notebook, folder / name)
    (folder / "gus").mkdir()
    (folder / "gus/01_filters.ipynb").write_text('{"cells": [')  # cut off in the middle
    (folder / "gus/homework.ipynb").write_text("{}")  # JSON, but not a notebook
    return folder


@pytest.fixture(scope="module")
def grades(fake_class, tmp_path_factory):
    """Grade the fake class with the command line; return (rows, seconds)."""
    target = tmp_path_factory.mktemp("grades") / "grades.csv"
    start = time.perf_counter()
    assert grade.main([str(fake_class), "--csv", str(target), "--time-limit", str(TIME_LIMIT),
                       "--jobs", "2"]) == 0
    seconds = time.perf_counter() - start
    with open(target, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        row["learner"] = row["notebook"][len(str(fake_class)) + 1:]
    return rows, seconds


EXPECTED = [  # (submission, exercise, verdict, a piece of the detail)
    ("ada/01_filters.ipynb", "grayscale_pixel", "correct", "Correct! "),
    ("ada/01_filters.ipynb", "sobel_response", "correct", "Correct! "),
    ("ada/01_filters.ipynb", "shift_kernel", "correct", "Correct! "),
    ("ada/01_filters.ipynb", "diagonal_kernel", "correct", "Correct! "),
    ("ben/01_filters.ipynb", "grayscale_pixel", "not attempted", "Not attempted yet: "),
    ("ben/01_filters.ipynb", "sobel_response", "not attempted", "Not attempted yet: "),
    ("ben/01_filters.ipynb", "shift_kernel", "not attempted", "Not attempted yet: "),
    ("ben/01_filters.ipynb", "diagonal_kernel", "not attempted", "Not attempted yet: "),
    ("cy/01_filters.ipynb", "grayscale_pixel", "hint", "plain mean"),
    ("cy/01_filters.ipynb", "sobel_response", "hint", "sign is flipped"),
    ("cy/01_filters.ipynb", "shift_kernel", "hint", "identity"),
    ("cy/01_filters.ipynb", "diagonal_kernel", "not attempted", "no cell calls check.diagonal_kernel"),
    ("dee/01_filters.ipynb", "grayscale_pixel", "correct", "Correct! "),
    ("dee/01_filters.ipynb", "sobel_response", "correct", "Correct! "),
    ("dee/01_filters.ipynb", "shift_kernel", "error", "raised SyntaxError"),
    ("dee/01_filters.ipynb", "diagonal_kernel", "correct", "Correct! "),
    ("eli/01_filters.ipynb", "grayscale_pixel", "correct", "Correct! "),
    ("eli/01_filters.ipynb", "sobel_response", "correct", "Correct! "),
    ("eli/01_filters.ipynb", "shift_kernel", "error", f"the notebook ran past the {TIME_LIMIT} s time limit"),
    ("eli/01_filters.ipynb", "diagonal_kernel", "error", "not reached: the notebook ran past"),
    ("fay/01_filters.ipynb", "grayscale_pixel", "correct", "Correct! "),
    ("fay/01_filters.ipynb", "sobel_response", "error", "not reached: the kernel died"),
    ("fay/01_filters.ipynb", "shift_kernel", "error", "not reached: the kernel died"),
    ("fay/01_filters.ipynb", "diagonal_kernel", "error", "not reached: the kernel died"),
    ("gus/01_filters.ipynb", "grayscale_pixel", "error", "not a valid notebook"),
    ("gus/01_filters.ipynb", "sobel_response", "error", "not a valid notebook"),
    ("gus/01_filters.ipynb", "shift_kernel", "error", "not a valid notebook"),
    ("gus/01_filters.ipynb", "diagonal_kernel", "error", "not a valid notebook"),
    ("gus/homework.ipynb", "", "error", "not a valid notebook"),
    ("hal/05_cifar10.ipynb", "overfitting_fix", "not attempted", "Not attempted yet: "),
    ("hal/05_cifar10.ipynb", "seed_dense_params", "not attempted", "Not attempted yet: "),
    ("hal/05_cifar10.ipynb", "batch_megabytes", "not attempted", "Not attempted yet: "),
    ("hal/05_cifar10.ipynb", "smoothed_target", "not attempted", "Not attempted yet: "),
    ("hal/05_cifar10.ipynb", "width_doubling_factor", "not attempted", "Not attempted yet: "),
    ("hal/05_cifar10.ipynb", "most_confused_pair", "ungraded", "the grader's own run"),
    ("hal/05_cifar10.ipynb", "augmented_cnn", "not attempted", "Not attempted yet: "),
    ("ivy/05_cifar10.ipynb", "overfitting_fix", "correct", "Correct! "),
    ("ivy/05_cifar10.ipynb", "seed_dense_params", "correct", "Correct! "),
    ("ivy/05_cifar10.ipynb", "batch_megabytes", "correct", "Correct! "),
    ("ivy/05_cifar10.ipynb", "smoothed_target", "correct", "Correct! "),
    ("ivy/05_cifar10.ipynb", "width_doubling_factor", "correct", "Correct! "),
    ("ivy/05_cifar10.ipynb", "most_confused_pair", "correct", "cat and dog"),
    ("ivy/05_cifar10.ipynb", "augmented_cnn", "correct", "Correct! "),
]


def test_grading_the_fake_class_writes_the_expected_csv(grades):
    rows, seconds = grades
    assert [(row["learner"], row["exercise"], row["verdict"]) for row in rows] == [
        expected[:3] for expected in EXPECTED]
    for row, (_, _, _, detail) in zip(rows, EXPECTED):
        assert detail.lower() in row["detail"].lower(), row
    assert list(rows[0])[:4] == ["notebook", "exercise", "verdict", "detail"]
    assert seconds < 10 * TIME_LIMIT  # the hanging notebook was stopped, its kernel too


def test_an_error_names_its_cell_and_the_first_error_before_it(grades):
    rows, _ = grades
    detail = next(row["detail"] for row in rows if row["verdict"] == "error" and "dee" in row["learner"])
    assert "its cell" in detail and "SyntaxError" in detail
    assert "the first error was in cell 2: RuntimeError: a bug of mine" in detail


def test_a_hang_is_blamed_on_its_own_cell_and_stored_outputs_are_ignored(grades, fake_class):
    rows, _ = grades
    details = {row["exercise"]: row["detail"] for row in rows if row["learner"].startswith("eli/")}
    hanging = nbformat.read(fake_class / "eli/01_filters.ipynb", as_version=4)
    assert details["shift_kernel"].endswith(f"in cell {exercise_index(hanging, 'shift_kernel') + 1}, "
                                            "its own cell")
    assert "stored by the learner" not in details["diagonal_kernel"]


def test_mistakes_on_the_command_line_stop_before_any_notebook_runs(tmp_path, capsys):
    (tmp_path / "a.ipynb").write_text("{}")
    cases = [([str(tmp_path / "missing.ipynb")], "missing.ipynb"),
             ([str(tmp_path), "--csv", str(tmp_path / "no" / "grades.csv")], "does not exist"),
             ([str(tmp_path), "--jobs", "0"], "--jobs"),
             ([str(tmp_path), "--time-limit", "-1"], "--time-limit"),
             ([str(tmp_path), "--kernel", "no-such-kernel"], "no such Jupyter kernel"),
             ([str(tmp_path / "no")], "no such file or folder")]
    (tmp_path / "empty").mkdir()
    cases.append(([str(tmp_path / "empty")], "no .ipynb file"))
    for argv, message in cases:
        start = time.perf_counter()
        with pytest.raises(SystemExit) as stop:
            grade.main(argv)
        assert stop.value.code == 2 and message in capsys.readouterr().err, argv
        assert time.perf_counter() - start < 5
