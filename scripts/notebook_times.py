#!/usr/bin/env python3
"""Write the notebooks' run times into the README, their title cells and RESULTS.md, from one source.

    python scripts/notebook_times.py --check            # exit 1, naming each place that differs
    python scripts/notebook_times.py --write [readme] [results] [notebooks]

The source is benchmarks/notebook_times.json, which scripts/run_notebooks.py fills in: runs keyed
"full 2cpu" (the 2-core development machine, "a 2-core laptop"), "full 1cpu" (the same notebooks
under `taskset -c 0`, one CPU as on Binder) and "quick 2cpu". Nothing is estimated: a notebook
without a one-CPU run says "not yet measured on one CPU". What is written:

- README.md, between the run-times markers: a table of every notebook's times and peak memory;
- each notebook's title cell: the sentence that starts with "**Run time:**" (up to its first full
  stop; the rest of the paragraph is left alone), added as a paragraph where there is none;
- benchmarks/RESULTS.md, between the same markers: every measurement with its date and versions.
"""

import argparse
import json
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
TIMES = pathlib.Path("benchmarks") / "notebook_times.json"
README = pathlib.Path("README.md")
RESULTS = pathlib.Path("benchmarks") / "RESULTS.md"
NOTEBOOKS = pathlib.Path("notebooks")
TARGETS = ("readme", "results", "notebooks")

LAPTOP, BINDER, QUICK = "full 2cpu", "full 1cpu", "quick 2cpu"
START = "<!-- run-times: written by scripts/notebook_times.py from benchmarks/notebook_times.json -->"
END = "<!-- /run-times -->"
GENERATE_HINT = "python scripts/notebook_times.py --write"
# The title-cell sentence: from its label to the first full stop that ends a sentence.
SENTENCE = re.compile(r"\*\*Run time:\*\*.*?\.(?=\s|$)")
ENTRY_FIELDS = ("seconds", "peak_rss_mb", "peak_anonymous_mb", "date", "environment")


class TimesError(ValueError):
    """The times file or a target file cannot be used; the message says which and why."""


def load_times(path):
    """Read the times file: {"runs": {run key: {notebook: entry}}}; check every entry's fields."""
    try:
        times = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TimesError(f"{path}: no such file; scripts/run_notebooks.py writes it") from None
    except json.JSONDecodeError as error:
        raise TimesError(f"{path}: not valid JSON ({error})") from None
    runs = times.get("runs") if isinstance(times, dict) else None
    if not isinstance(runs, dict):
        raise TimesError(f'{path}: expected an object with "runs": {{run: {{notebook: entry}}}}')
    for key, entries in runs.items():
        for name, entry in entries.items():
            missing = [field for field in ENTRY_FIELDS if field not in entry]
            if missing or not isinstance(entry["seconds"], (int, float)):
                raise TimesError(f"{path}: runs[{key!r}][{name!r}] lacks {', '.join(missing) or 'seconds'}")
    return runs


def duration(seconds):
    """A learner's reading of a run time: "about 10 seconds", "about 1 minute", "about 14 minutes"."""
    if seconds < 57.5:
        return f"about {max(5, 5 * int(seconds / 5 + 0.5))} seconds"
    minutes = int(seconds / 60 + 0.5)
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def memory(megabytes):
    return "not measured" if megabytes is None else f"{megabytes:,} MB"


def title_sentence(runs, name):
    """The "**Run time:** ..." sentence of one notebook's title cell."""
    laptop, binder, quick = (runs.get(key, {}).get(name) for key in (LAPTOP, BINDER, QUICK))
    if laptop is None:
        return "**Run time:** not yet measured."
    parts = f"{duration(laptop['seconds'])} on a 2-core laptop"
    parts += (f", {duration(binder['seconds'])} on Binder (measured on one CPU)" if binder
              else ", on Binder (one CPU) not yet measured")
    if quick:
        parts += f"; {duration(quick['seconds'])} in quick mode (`CNNLAB_QUICK=1`)"
    return f"**Run time:** {parts}."


def notebook_names(root):
    return [path.stem for path in sorted((root / NOTEBOOKS).glob("[0-9][0-9]_*.ipynb"))]


def readme_block(runs, names):
    rows = ["| notebook | 2-core laptop | Binder (one CPU) | quick mode | peak memory |",
            "|---|---|---|---|---|"]
    for name in names:
        laptop, binder, quick = (runs.get(key, {}).get(name) for key in (LAPTOP, BINDER, QUICK))
        rows.append(" | ".join([
            f"| {name}",
            duration(laptop["seconds"]) if laptop else "not yet measured",
            duration(binder["seconds"]) if binder else "not yet measured on one CPU",
            duration(quick["seconds"]) if quick else "not yet measured",
            memory(laptop["peak_rss_mb"]) if laptop else "not measured"]) + " |")
    return "\n".join(rows)


def describe_environment(entry):
    env = entry["environment"]
    if not env:
        return "versions not recorded"
    packages = ", ".join(f"{name} {version}" for name, version in env["packages"].items() if version)
    if env.get("matches_lock") is None:
        lock = "no lock file"
    elif env["matches_lock"]:
        lock = "every package as in requirements.lock"
    else:
        lock = "differs from requirements.lock: " + "; ".join(env["differs_from_lock"])
    return f"Python {env['python']}, {packages} ({lock})"


RUN_TITLES = {LAPTOP: "full, 2 CPUs", BINDER: "full, 1 CPU", QUICK: "quick, 2 CPUs"}


def results_block(runs, names):
    keys = [key for key in RUN_TITLES if key in runs] + [key for key in runs if key not in RUN_TITLES]
    lines = ["Seconds, then the kernel's peak resident memory (VmHWM) and, in brackets, its peak "
             "anonymous memory.", "",
             "| notebook | " + " | ".join(RUN_TITLES.get(key, key) for key in keys) + " |",
             "|---|" + "---|" * len(keys)]
    for name in names:
        cells = []
        for key in keys:
            entry = runs[key].get(name)
            cells.append("not yet measured" if entry is None else
                         f"{entry['seconds']:.0f} s, {memory(entry['peak_rss_mb'])} "
                         f"({memory(entry['peak_anonymous_mb'])})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "When, and with which versions:", ""]
    for key in keys:
        groups = {}
        for name, entry in runs[key].items():
            groups.setdefault((entry["date"], describe_environment(entry)), []).append(name)
        for (date, env), members in groups.items():
            lines.append(f"- {RUN_TITLES.get(key, key)}, {', '.join(members)}: {date}; {env}")
    return "\n".join(lines)


def replace_block(text, block, path):
    """``text`` with everything between the START and END markers replaced by ``block``."""
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise TimesError(f"{path}: needs one line {START!r} and, after it, one line {END!r}")
    head, rest = text.split(START)
    tail = rest.split(END)[1]
    return f"{head}{START}\n{block}\n{END}{tail}"


def title_cell(notebook, path):
    """The notebook's title cell: its first markdown cell that starts with a level-1 heading."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
            return cell
    raise TimesError(f"{path}: no title cell (a markdown cell starting with '# ')")


def with_sentence(source, sentence):
    if SENTENCE.search(source):
        return SENTENCE.sub(lambda match: sentence, source, count=1)
    return f"{source.rstrip()}\n\n{sentence}"


def expected(root, runs, targets):
    """{path: (current text, wanted text)} for every target file."""
    names = notebook_names(root)
    files = {}
    if "readme" in targets:
        text = (root / README).read_text(encoding="utf-8")
        files[README] = (text, replace_block(text, readme_block(runs, names), README))
    if "results" in targets:
        text = (root / RESULTS).read_text(encoding="utf-8")
        files[RESULTS] = (text, replace_block(text, results_block(runs, names), RESULTS))
    if "notebooks" in targets:
        for name in names:
            path = NOTEBOOKS / f"{name}.ipynb"
            notebook = nbformat.read(root / path, as_version=4)
            cell = title_cell(notebook, path)
            before = cell.source
            cell.source = with_sentence(before, title_sentence(runs, name))
            files[path] = (before, cell.source, notebook)
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="exit 1 when a target is out of date")
    action.add_argument("--write", action="store_true", help="rewrite the targets that are out of date")
    parser.add_argument("--root", type=pathlib.Path, default=ROOT, help="repository root (default: this one)")
    parser.add_argument("targets", nargs="*", choices=[*TARGETS, []], default=[],
                        help="what to check or write (default: all)")
    args = parser.parse_args(argv)
    try:
        runs = load_times(args.root / TIMES)
        files = expected(args.root, runs, args.targets or TARGETS)
    except TimesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stale = [path for path, (current, wanted, *_) in files.items() if current != wanted]
    if args.check:
        for path in stale:
            print(f"{path}: run times differ from {TIMES}", file=sys.stderr)
        if stale:
            print(f"to regenerate: {GENERATE_HINT}", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        current, wanted, *notebook = files[path]
        if notebook:
            nbformat.write(notebook[0], args.root / path)
        else:
            (args.root / path).write_text(wanted, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
