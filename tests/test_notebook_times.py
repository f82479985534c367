"""scripts/notebook_times.py: the run times in the README, the title cells and RESULTS.md come from one file.

The repository itself must be up to date (the check `make test` runs); the writing is tested on copies.
"""

import json
import shutil

import nbformat
import pytest

from scripts import notebook_times

REPO = notebook_times.ROOT


def entry(seconds, rss=900, anonymous=500, date="2026-12-04", environment=None):
    return {"seconds": seconds, "peak_rss_mb": rss, "peak_anonymous_mb": anonymous, "date": date,
            "environment": environment}


# Written by hand: what a run of scripts/run_notebooks.py would record.
TIMES = {"runs": {
    "full 2cpu": {"01_filters": entry(4.8, 170, 123), "04_mnist_cnn": entry(193.5, 956, 555),
                  "05_cifar10": entry(864.1, 1473, 1076)},
    "full 1cpu": {"01_filters": entry(6.0), "05_cifar10": entry(1742.0)},
    "quick 2cpu": {"04_mnist_cnn": entry(23.7)},
}}


@pytest.fixture
def copy(tmp_path):
    """A copy of the README, RESULTS.md and the notebooks, with the hand-written times above."""
    (tmp_path / "benchmarks").mkdir()
    shutil.copy(REPO / "README.md", tmp_path / "README.md")
    shutil.copy(REPO / "benchmarks" / "RESULTS.md", tmp_path / "benchmarks" / "RESULTS.md")
    shutil.copytree(REPO / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns("checkpoints", ".ipynb_checkpoints", "*.py", "*.cfg"))
    (tmp_path / "benchmarks" / "notebook_times.json").write_text(json.dumps(TIMES))
    return tmp_path


def run(root, *args):
    return notebook_times.main([*args, "--root", str(root)])


def title(notebook):
    """The title cell, found here independently of the script: the first markdown cell with a "# " heading."""
    return next(cell for cell in notebook.cells if cell.cell_type == "markdown" and cell.source.startswith("# "))


def title_source(root, name):
    return title(nbformat.read(root / "notebooks" / f"{name}.ipynb", as_version=4)).source


def test_the_repository_is_up_to_date():
    """README, RESULTS.md and the title cells say what benchmarks/notebook_times.json says."""
    assert notebook_times.main(["--check"]) == 0, (
        "run times out of date: after re-running the notebooks, run "
        "`python scripts/notebook_times.py --write` (the lines above name the files)")


@pytest.mark.parametrize(("seconds", "words"), [
    (4.8, "about 5 seconds"), (1.0, "about 5 seconds"), (34.1, "about 35 seconds"),
    (57.4, "about 55 seconds"), (65.1, "about 1 minute"), (89.0, "about 1 minute"),
    (91.0, "about 2 minutes"), (193.5, "about 3 minutes"), (864.1, "about 14 minutes")])
def test_durations_read_as_a_learner_would_say_them(seconds, words):
    assert notebook_times.duration(seconds) == words


def test_write_fills_in_every_place_and_then_check_passes(copy, capsys):
    assert run(copy, "--check") == 1
    stale = capsys.readouterr().err
    assert "README.md" in stale and "RESULTS.md" in stale and "01_filters.ipynb" in stale
    assert run(copy, "--write") == 0
    assert run(copy, "--check") == 0

    readme = (copy / "README.md").read_text()
    assert "| 05_cifar10 | about 14 minutes | about 29 minutes | not yet measured | 1,473 MB |" in readme
    # No one-CPU run of 04: said, not estimated.
    assert "| 04_mnist_cnn | about 3 minutes | not yet measured on one CPU | about 25 seconds | 956 MB |" in readme
    results = (copy / "benchmarks" / "RESULTS.md").read_text()
    assert "| 05_cifar10 | 864 s, 1,473 MB (1,076 MB) | 1742 s, 900 MB (500 MB) | not yet measured |" in results
    assert "- full, 1 CPU, 01_filters, 05_cifar10: 2026-12-04; versions not recorded" in results

    assert title_source(copy, "05_cifar10").count("**Run time:**") == 1
    assert ("**Run time:** about 14 minutes on a 2-core laptop, about 29 minutes on Binder (measured on one "
            "CPU).") in title_source(copy, "05_cifar10")
    assert ("**Run time:** about 3 minutes on a 2-core laptop, on Binder (one CPU) not yet measured; about 25 "
            "seconds in quick mode (`CNNLAB_QUICK=1`).") in title_source(copy, "04_mnist_cnn")
    assert "**Run time:** not yet measured." in title_source(copy, "02_convolution")


def test_only_the_run_time_sentence_of_a_title_cell_changes(copy):
    path = copy / "notebooks" / "04_mnist_cnn.ipynb"
    notebook = nbformat.read(path, as_version=4)
    cell = title(notebook)
    cell.source = ("# 04 · Digits\n\nIntro.\n\n**Run time:** about 2 minutes on 2 CPU cores (measured: 1.5 s, "
                   "peak 956 MB), more when busy. On Binder, shut down other kernels first.")
    nbformat.write(notebook, path)
    assert run(copy, "--write", "notebooks") == 0
    # The old sentence ends at "busy." (not at the "." of 1.5); what follows it stays.
    assert title_source(copy, "04_mnist_cnn") == (
        "# 04 · Digits\n\nIntro.\n\n**Run time:** about 3 minutes on a 2-core laptop, on Binder (one CPU) not "
        "yet measured; about 25 seconds in quick mode (`CNNLAB_QUICK=1`). On Binder, shut down other "
        "kernels first.")


def test_a_title_cell_without_the_sentence_gets_it_as_a_new_paragraph(copy):
    path = copy / "notebooks" / "01_filters.ipynb"
    notebook = nbformat.read(path, as_version=4)
    cell = title(notebook)
    cell.source = "# 01 · Filters\n\nWhat a kernel sees."
    nbformat.write(notebook, path)
    assert run(copy, "--write", "notebooks") == 0
    assert title_source(copy, "01_filters") == (
        "# 01 · Filters\n\nWhat a kernel sees.\n\n**Run time:** about 5 seconds on a 2-core laptop, about "
        "5 seconds on Binder (measured on one CPU).")


def test_check_catches_a_hand_edited_time(copy, capsys):
    assert run(copy, "--write") == 0
    readme = copy / "README.md"
    readme.write_text(readme.read_text().replace("about 14 minutes", "about 12 minutes", 1))
    capsys.readouterr()
    assert run(copy, "--check") == 1
    assert capsys.readouterr().err.splitlines()[0] == "README.md: run times differ from benchmarks/notebook_times.json"


def test_versions_recorded_with_a_run_are_listed(copy):
    environment = {"python": "3.11.7", "packages": {"tensorflow": "2.21.0", "jax": None},
                   "matches_lock": False, "differs_from_lock": ["setuptools: installed 65.5.0, locked 84.2.1"]}
    times = {"runs": {"full 2cpu": {"01_filters": entry(4.8, environment=environment)}}}
    (copy / "benchmarks" / "notebook_times.json").write_text(json.dumps(times))
    assert run(copy, "--write", "results") == 0
    assert ("- full, 2 CPUs, 01_filters: 2026-12-04; Python 3.11.7, tensorflow 2.21.0 (differs from "
            "requirements.lock: setuptools: installed 65.5.0, locked 84.2.1)") in (
        copy / "benchmarks" / "RESULTS.md").read_text()


@pytest.mark.parametrize(("content", "message"), [
    (None, "notebook_times.json: no such file"),
    ("{not json", "notebook_times.json: not valid JSON"),
    ('{"runs": {"full 2cpu": {"01_filters": {"seconds": 4}}}}', "lacks peak_rss_mb"),
    ("[1, 2]", 'expected an object with "runs"'),
])
def test_a_broken_times_file_is_named_before_anything_is_written(copy, capsys, content, message):
    path = copy / "benchmarks" / "notebook_times.json"
    if content is None:
        path.unlink()
    else:
        path.write_text(content)
    before = (copy / "README.md").read_text()
    assert run(copy, "--write") == 2
    assert message in capsys.readouterr().err
    assert (copy / "README.md").read_text() == before


def test_markers_missing_from_a_file_are_named(copy, capsys):
    readme = copy / "README.md"
    readme.write_text(readme.read_text().replace(notebook_times.END, ""))
    assert run(copy, "--check") == 2
    assert "README.md: needs one line" in capsys.readouterr().err
