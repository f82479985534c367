"""Build the course website from the notebooks' stored outputs (nothing is executed): `make site`.

    python scripts/build_site.py [--out build/site]

Sphinx (configuration in site/conf.py) renders one page per notebook plus a home page made
from site/index.md, with the notebook list and every exercise filled in from the notebooks
themselves. The notebooks are copied into a staging folder first (build/site-src), prepared
for a static page:

- the generated header cells (badges, Colab set-up; scripts/notebook_header.py) are left out:
  the page's launch buttons open the same notebook on Binder and Colab, and the badge images
  would be fetched from the web;
- a live widget's view (useless without a kernel) is dropped and the static figure the widget
  draws next to it stays.

The site lands in --out (default build/site, ignored by git); open build/site/index.html.
"""

import argparse
import base64
import pathlib
import re
import shutil
import sys
import struct
import time

import nbformat

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from scripts import notebook_header as header  # noqa: E402

SITE_CONFIG = REPO / "site"
STAGING = REPO / "build" / "site-src"
DEFAULT_OUT = REPO / "build" / "site"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
EXERCISE = re.compile(r"\*\*(\d+)\.\s+(.+?)\*\*")  # "**1. Grayscale by hand.** Convert ..."
EXERCISES_HEADING = "## Exercises"
HOME_FIGURE = "home-figure.png"  # written into the staging folder; site/index.md shows it


def static_copy(notebook):
    """``notebook`` prepared for a static page: no header cells, no widget views, no widget state."""
    notebook = header.without_header(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [output for output in cell.outputs if WIDGET_MIME not in output.get("data", {})]
    notebook.metadata.pop("widgets", None)
    return notebook


def title_and_summary(notebook):
    """The notebook's '# ...' title and its bold one-line summary, from its first markdown cell."""
    first = next(cell for cell in notebook.cells if cell.cell_type == "markdown" and not header.is_header(cell))
    lines = first.source.splitlines()
    title = next(line[2:].strip() for line in lines if line.startswith("# "))
    summary = next((line.strip("* ") for line in lines if line.startswith("**")), "")
    return title, summary


def exercises(notebook):
    """[(number, title)] of the exercises, in order: bold 'N. Title.' openings after '## Exercises'."""
    found, in_exercises = [], False
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        if cell.source.startswith(EXERCISES_HEADING):
            in_exercises = True
        elif in_exercises and cell.source.startswith("## "):
            in_exercises = False
        match = EXERCISE.match(cell.source)
        if in_exercises and match:
            found.append((int(match.group(1)), match.group(2).strip().rstrip(".")))
    return found


def widest_figure(notebook):
    """The PNG bytes of the notebook's widest stored figure (the home page shows it), or None."""
    figures = [base64.b64decode(output["data"]["image/png"]) for cell in notebook.cells
               if cell.cell_type == "code" for output in cell.outputs if "image/png" in output.get("data", {})]
    # A PNG's width is the big-endian 32-bit number at byte 16 (its IHDR chunk).
    return max(figures, key=lambda png: struct.unpack(">I", png[16:20])[0], default=None)


def home_page(template, entries):
    """site/index.md with its {{ notebooks }}, {{ exercises }} and {{ toctree }} filled in."""
    rows = ["| # | notebook | what it teaches | open it on |", "|---|---|---|---|"]
    listed = []
    for relative, notebook in entries:
        title, summary = title_and_summary(notebook)
        number, _, name = title.partition(" · ")
        rows.append(f"| {number} | [{name}]({relative}) | {summary} | "
                    f"[Colab]({header.colab_url(relative)}) · [Binder]({header.binder_url(relative)}) |")
        items = [f"{number}. {text}" for number, text in exercises(notebook)]
        listed.append(f"**[{title}]({relative}#exercises)**\n\n" + "\n".join(items) + "\n")
    toctree = "```{toctree}\n:hidden:\n:maxdepth: 1\n\n" + "\n".join(
        relative for relative, _ in entries) + "\n```"
    return (template.replace("{{ notebooks }}", "\n".join(rows))
            .replace("{{ exercises }}", "\n".join(listed))
            .replace("{{ toctree }}", toctree))


def stage(notebook_dir, staging):
    """Fill ``staging`` with the home page and the prepared notebooks; return their repository paths."""
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "notebooks").mkdir(parents=True)
    entries = []
    for path in header.notebooks(notebook_dir):
        notebook = static_copy(nbformat.read(path, as_version=4))
        relative = f"notebooks/{path.name}"  # the page's launch buttons open this file of the repository
        nbformat.write(notebook, staging / relative)
        entries.append((relative, notebook))
    figure = widest_figure(entries[0][1])
    if figure:
        (staging / HOME_FIGURE).write_bytes(figure)
    template = (SITE_CONFIG / "index.md").read_text(encoding="utf-8")
    (staging / "index.md").write_text(home_page(template, entries), encoding="utf-8")
    return [relative for relative, _ in entries]


def build(out=DEFAULT_OUT, notebook_dir=header.NOTEBOOK_DIR, staging=STAGING, quiet=False):
    """Stage and run Sphinx (warnings are errors); return the output folder."""
    from sphinx.cmd.build import build_main

    stage(notebook_dir, staging)
    out = pathlib.Path(out)
    if out.exists():
        shutil.rmtree(out)
    arguments = ["-b", "html", "-c", str(SITE_CONFIG), "-d", str(staging.parent / "site-doctrees"),
                 "-W", "--keep-going", "-E", str(staging), str(out)]
    if quiet:
        arguments.insert(0, "-q")
    status = build_main(arguments)
    if status:
        raise SystemExit(f"sphinx-build failed ({status}); see the warnings above")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT,
                        help=f"output folder (default: {DEFAULT_OUT.relative_to(REPO)})")
    parser.add_argument("--notebooks", type=pathlib.Path, default=header.NOTEBOOK_DIR)
    parser.add_argument("--quiet", action="store_true", help="only warnings and errors")
    args = parser.parse_args(argv)
    start = time.monotonic()
    out = build(args.out, args.notebooks, quiet=args.quiet)
    print(f"site built in {time.monotonic() - start:.0f} s: open {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
