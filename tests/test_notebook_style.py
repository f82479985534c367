"""Code that fits the page: no code line of a notebook is longer than 88 characters.

A longer line scrolls sideways in a notebook's cell on the course site, on Colab and on a
laptop screen. The limit is the course's (README, black's default). It covers every code cell
of every notebook in notebooks/, the generated Colab set-up cell included, and the worked
solutions that scripts/make_solutions.py puts into the exercise cells (the site shows them).
"""

import pathlib

import nbformat
import pytest

from cnnlab import solutions

REPO = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
LIMIT = 88


def long_lines(source, where):
    """'WHERE line N: K characters' for every line of ``source`` over the limit."""
    return [f"{where} line {number}: {len(line)} characters: {line.strip()[:60]}..."
            for number, line in enumerate(source.splitlines(), start=1) if len(line) > LIMIT]


def test_the_rule_counts_characters_not_bytes():
    fits = "x = '" + "×" * (LIMIT - 6) + "'"  # 88 characters, more bytes in UTF-8
    assert len(fits) == LIMIT and len(fits.encode()) > LIMIT
    assert long_lines(fits, "cell") == []
    assert long_lines(fits + "\nok\n" + fits + "y", "cell") == [
        f"cell line 3: {LIMIT + 1} characters: {(fits + 'y')[:60]}..."]


def test_there_are_notebooks_to_check():
    assert len(NOTEBOOKS) >= 6


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_code_lines_fit_in_88_characters(path):
    notebook = nbformat.read(path, as_version=4)
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            found += long_lines(cell.source, f"cell {index}")
    assert not found, f"{path.name}: {len(found)} code lines over {LIMIT} characters:\n" + "\n".join(found)


@pytest.mark.parametrize("exercise", sorted(solutions.SOLUTIONS))
def test_worked_solution_lines_fit_in_88_characters(exercise):
    found = long_lines(solutions.code(exercise), f"solution {exercise!r}")
    assert not found, "\n".join(found)
