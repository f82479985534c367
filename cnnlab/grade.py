"""Grade a class's notebooks: run each in a fresh kernel and collect every exercise's verdict.

    python -m cnnlab.grade NOTEBOOK_OR_FOLDER... [--csv grades.csv] [--time-limit 600] [--jobs 1]

Each submission runs top to bottom in its own kernel, in quick mode (``CNNLAB_QUICK=1``),
in an empty temporary folder, within ``--time-limit`` seconds; a cell that raises does not
stop the cells after it, as in "Run All" with errors allowed. The checks of ``cnnlab.check``
write their verdicts as JSON lines to the file ``CNNLAB_CHECK_RESULTS`` names, and the
last verdict of each exercise is its grade. The CSV has one row per notebook and exercise:

- ``notebook``: the path as given; ``exercise``: the check's name (empty where none is known);
- ``verdict``: ``correct``, ``hint``, ``not attempted``, ``ungraded`` or ``error``;
- ``detail``: the check's own line, or why there is no verdict.

``ungraded`` is a hint that compares the answer with data of this run's trained model
(05's confusion matrix): the learner's run trained another model, so their answer may be
right for the figure they saw. A notebook that is not valid JSON, raises, hangs or kills its
kernel gets rows that say so, and the batch goes on.

Grading runs the learners' code with your permissions: run it in a container
(site/instructors.md shows how).
"""

import argparse
import collections
import concurrent.futures
import csv
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from cnnlab import check

UNGRADED, ERROR = "ungraded", "error"
VERDICTS = (check.CORRECT, check.HINT, check.NOT_ATTEMPTED, UNGRADED, ERROR)
COLUMNS = ("notebook", "exercise", "verdict", "detail")
DEFAULT_TIME_LIMIT = 600  # seconds per notebook: about 10 times 05's quick run (65 s)
KERNEL_START_LIMIT = 120  # seconds for a kernel to start, not counted in the time limit
DETAIL_LENGTH = 300  # characters of an error message kept in the CSV
CHECK_CALL = re.compile(r"\bcheck\.(\w+)\s*\(")


class Stopped(Exception):
    """The run ended before the last cell: the message says where and why."""


def exercises_called(notebook):
    """{exercise: [cell indexes]} for every check.NAME( call in the notebook's code cells."""
    called = collections.defaultdict(list)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            for name in CHECK_CALL.findall(cell.source):
                if name in check.QUESTIONS and index not in called[name]:
                    called[name].append(index)
    return called


def course_notebook(path, called=()):
    """The course notebook a submission copies: named in its file name, else the one whose checks it calls most."""
    for stem in check.NOTEBOOK_EXERCISES:
        if stem in path.name:
            return stem
    counts = {stem: sum(name in called for name in names) for stem, names in check.NOTEBOOK_EXERCISES.items()}
    best = max(counts, key=counts.get)
    return best if counts[best] else None


def one_line(text, limit=DETAIL_LENGTH):
    """Text on one line, without terminal colour codes, cut to ``limit`` characters."""
    text = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(text)).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def cell_error(cell):
    """'NameError: ...' for the first error a cell's outputs show, or None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return one_line(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
    return None


def read_verdicts(path):
    """{exercise: the last verdict recorded for it} from a results file; lines that are not verdicts are skipped."""
    verdicts = {}
    try:
        lines = pathlib.Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:  # no check ran
        return verdicts
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if (isinstance(record, dict) and record.get("exercise") in check.QUESTIONS
                and record.get("verdict") in (check.CORRECT, check.HINT, check.NOT_ATTEMPTED)):
            verdicts[record["exercise"]] = record
    return verdicts


def execute(notebook, results_path, time_limit, kernel_name):
    """Run every cell in a fresh quick-mode kernel in an empty folder; return (index reached, Stopped or None)."""
    env = {**os.environ, "CNNLAB_QUICK": "1", check.RESULTS_VARIABLE: str(results_path)}
    with tempfile.TemporaryDirectory(prefix="cnnlab-grade-", ignore_cleanup_errors=True) as folder:
        client = NotebookClient(notebook, timeout=time_limit, startup_timeout=KERNEL_START_LIMIT,
                                kernel_name=kernel_name, allow_errors=True, shutdown_kernel="immediate",
                                resources={"metadata": {"path": folder}})
        index = 0
        try:
            # The kernel's own stderr carries only its start-up warnings; learners' output comes as cell outputs.
            with client.setup_kernel(env=env, stderr=subprocess.DEVNULL):
                deadline = time.monotonic() + time_limit
                for index, cell in enumerate(notebook.cells):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise CellTimeoutError(f"before cell {index + 1}")
                    client.timeout = max(1, int(left))  # the notebook's limit, not a cell's
                    client.execute_cell(cell, index)
        except CellTimeoutError:
            return index, Stopped(f"the notebook ran past the {time_limit:g} s time limit in cell {index + 1}")
        except DeadKernelError:
            return index, Stopped(f"the kernel died in cell {index + 1} (out of memory, or the code ended "
                                  "the process)")
        except Exception as error:  # a kernel that does not start, a broken kernel spec, ...
            return index, Stopped(f"the notebook stopped in cell {index + 1}: {one_line(repr(error))}")
    return len(notebook.cells), None


def missing_verdict(exercise, cells, notebook, reached, stopped):
    """(verdict, detail) for an exercise whose check recorded nothing."""
    if not cells:
        return check.NOT_ATTEMPTED, f"no cell calls check.{exercise}: the exercise cell was removed or changed"
    errors = [(index, cell_error(notebook.cells[index])) for index in cells if index < reached]
    errors = [(index, error) for index, error in errors if error]
    ran_before = notebook.cells[:min(cells[0], reached)]
    first_error = next(((index, error) for index, cell in enumerate(ran_before) if (error := cell_error(cell))),
                       None)
    if errors:
        index, error = errors[-1]
        detail = f"its cell {index + 1} raised {error}"
        if first_error:
            detail += f"; the first error was in cell {first_error[0] + 1}: {first_error[1]}"
        return ERROR, detail
    if cells[-1] > reached and stopped is not None:
        return ERROR, f"not reached: {stopped}"
    if cells[-1] == reached and stopped is not None:
        return ERROR, f"{stopped}, its own cell"
    return check.NOT_ATTEMPTED, f"its cell {cells[-1] + 1} ran but did not call check.{exercise}"


def graded(exercise, record):
    """(verdict, detail) from a recorded verdict."""
    if record["verdict"] == check.HINT and record.get("depends_on_run"):
        return UNGRADED, ("checked against the grader's own run, whose trained model differs from the "
                          f"learner's; compare with the learner's stored figure. The check said: "
                          f"{one_line(record.get('message', ''))}")
    return record["verdict"], one_line(record.get("message", ""))


def grade_notebook(path, time_limit=DEFAULT_TIME_LIMIT, kernel_name="python3"):
    """Run one submission; return its CSV rows as dicts (COLUMNS)."""
    path = pathlib.Path(path)

    def row(exercise, verdict, detail):
        return dict(zip(COLUMNS, (str(path), exercise, verdict, detail)))

    try:
        notebook = nbformat.read(path, as_version=4)  # like Jupyter, it only warns about schema details
        for cell in notebook.cells:
            if cell.cell_type == "code":  # the learner's stored outputs must not pass for this run's
                cell.outputs, cell.execution_count = [], None
    except Exception as error:  # not JSON, not a notebook, unreadable: the batch goes on
        detail = f"not a valid notebook: {one_line(error)}"
        stem = course_notebook(path)
        exercises = check.NOTEBOOK_EXERCISES[stem] if stem else [""]
        return [row(exercise, ERROR, detail) for exercise in exercises]
    called = exercises_called(notebook)
    stem = course_notebook(path, called)
    exercises = list(check.NOTEBOOK_EXERCISES[stem] if stem else [])
    exercises += [name for name in called if name not in exercises]
    with tempfile.TemporaryDirectory(prefix="cnnlab-verdicts-") as folder:
        results_path = pathlib.Path(folder) / "verdicts.jsonl"
        reached, stopped = execute(notebook, results_path, time_limit, kernel_name)
        verdicts = read_verdicts(results_path)
    exercises += [name for name in verdicts if name not in exercises]
    if not exercises:
        detail = "no cell calls a cnnlab check, and the file name names no course notebook"
        return [row("", ERROR, f"{detail}; {stopped}" if stopped else detail)]
    rows = []
    for exercise in exercises:
        if exercise in verdicts:
            rows.append(row(exercise, *graded(exercise, verdicts[exercise])))
        else:
            rows.append(row(exercise, *missing_verdict(exercise, called.get(exercise, []), notebook,
                                                         reached, stopped)))
    return rows


def submissions(paths):
    """The notebooks to grade: each file given, and every .ipynb under each folder given, sorted."""
    found = []
    for path in paths:
        if path.is_dir():
            found += sorted(notebook for notebook in path.rglob("*.ipynb")
                            if ".ipynb_checkpoints" not in notebook.parts)
        else:
            found.append(path)
    return found


def write_csv(rows, target):
    """Write rows to the CSV file ``target`` (whole or not at all), or to standard output for '-'."""
    if str(target) == "-":
        writer = csv.DictWriter(sys.stdout, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        return
    target = pathlib.Path(target)
    partial = target.with_name(target.name + ".partial")
    with open(partial, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(partial, target)


def parse_args(argv):
    """Read and check the command line: every mistake is reported before any notebook runs."""
    parser = argparse.ArgumentParser(prog="python -m cnnlab.grade", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=pathlib.Path, metavar="NOTEBOOK_OR_FOLDER",
                        help="submitted notebooks, or folders searched for *.ipynb")
    parser.add_argument("--csv", default="-", help="the CSV file to write (default: standard output)")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT,
                        help=f"seconds per notebook (default {DEFAULT_TIME_LIMIT})")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once (default 1)")
    parser.add_argument("--kernel", default="python3", help="the Jupyter kernel to run them in")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")
    if args.time_limit <= 0 or args.jobs < 1:
        parser.error(f"--time-limit must be positive and --jobs at least 1; got {args.time_limit:g} "
                     f"and {args.jobs}")
    if args.csv != "-" and not pathlib.Path(args.csv).resolve().parent.is_dir():
        parser.error(f"--csv {args.csv}: the folder {pathlib.Path(args.csv).resolve().parent} does not exist")
    try:
        KernelSpecManager().get_kernel_spec(args.kernel)
    except NoSuchKernel:
        parser.error(f"--kernel {args.kernel}: no such Jupyter kernel (see `jupyter kernelspec list`)")
    args.notebooks = submissions(args.paths)
    if not args.notebooks:
        parser.error(f"no .ipynb file in {', '.join(map(str, args.paths))}")
    return args


def main(argv=None):
    args = parse_args(argv)
    rows = []
    with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        runs = [pool.submit(grade_notebook, path, args.time_limit, args.kernel) for path in args.notebooks]
        for path, run in zip(args.notebooks, runs):
            try:
                notebook_rows = run.result()
            except Exception as error:  # a bug of the grader's, or a worker that crashed: the batch goes on
                notebook_rows = [dict(zip(COLUMNS, (str(path), "", ERROR,
                                                    f"the grader failed: {one_line(repr(error))}")))]
            rows += notebook_rows
            counts = collections.Counter(row["verdict"] for row in notebook_rows)
            summary = ", ".join(f"{counts[verdict]} {verdict}" for verdict in VERDICTS if counts[verdict])
            print(f"{path}: {summary}", file=sys.stderr, flush=True)
    write_csv(rows, args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
