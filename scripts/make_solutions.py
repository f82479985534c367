#!/usr/bin/env python3
"""Write copies of the notebooks with every exercise solved, from cnnlab/solutions.py.

    python scripts/make_solutions.py [--notebooks DIR] [--out DIR]    # defaults: notebooks/, solutions/

An exercise cell ends with a line ``check.NAME(VARIABLE)``; everything above that
line (the placeholder) is replaced by the worked solution of exercise NAME.
Outputs are cleared: run a solutions notebook to see every check say "Correct!".
The copies live outside notebooks/ so that nbval does not collect them.
"""

import argparse
import os
import pathlib
import re
import sys

import nbformat

from cnnlab import solutions

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
DEFAULT_OUT = ROOT / "solutions"
# check.NAME(VARIABLE), or check.NAME(VARIABLE, FIGURE_DATA) for an exercise that reads a figure
CHECK_CALL = re.compile(r"^check\.(\w+)\((\w+)(?:, \w+)?\)$")


def exercise_call(source):
    """Return (exercise, variable) when a code cell's last line is check.NAME(VARIABLE), else None."""
    lines = source.strip().splitlines()
    match = CHECK_CALL.match(lines[-1].strip()) if lines else None
    return match.groups() if match else None


def solve(notebook):
    """Return the exercise names solved in notebook (changed in place)."""
    solved = []
    for cell in notebook.cells:
        call = exercise_call(cell.source) if cell.cell_type == "code" else None
        if call is None:
            continue
        exercise, variable = call
        expected_variable = solutions.SOLUTIONS.get(exercise, (None,))[0]
        if variable != expected_variable:
            raise ValueError(f"exercise {exercise!r} passes {variable!r} to its check, but "
                             f"cnnlab/solutions.py sets {expected_variable!r}")
        cell.source = solutions.code(exercise) + "\n\n" + cell.source.strip().splitlines()[-1]
        solved.append(exercise)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return solved


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=pathlib.Path, default=NOTEBOOK_DIR, help="notebooks folder")
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted(args.notebooks.glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        solved = solve(notebook)
        if not solved:
            continue
        notebook.cells.insert(0, nbformat.v4.new_markdown_cell(
            f"**Solutions** to the exercises of `{path.name}`, written by `scripts/make_solutions.py` "
            "from `cnnlab/solutions.py`. Try the exercises in the original notebook first."))
        target = args.out / f"{path.stem}_solutions.ipynb"
        partial = target.with_name(target.name + ".partial")  # an interrupted run leaves no half file
        nbformat.write(notebook, partial)
        os.replace(partial, target)
        print(f"{target}: {len(solved)} exercises solved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
