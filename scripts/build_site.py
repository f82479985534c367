"""Build the course website from the notebooks' stored outputs (nothing is executed): `make site`.

    python scripts/build_site.py [--out build/site]

Sphinx (configuration in site/conf.py) renders one page per notebook plus a home page made
from site/index.md, with the notebook list and every exercise filled in from the notebooks
themselves; the other Markdown pages of site/ (set-up, for instructors); a solutions page per
notebook, its exercises with the worked solutions of cnnlab/solutions.py filled in (as
scripts/make_solutions.py does; shown as code, not run); and a reference page per public cnnlab
module, from its docstrings (Sphinx autodoc, with TensorFlow and Keras mocked: no TensorFlow is
needed). The notebooks are copied into a staging folder first (build/site-src), prepared
for a static page:

- the generated header cells (badges, Colab set-up; scripts/notebook_header.py) are left out:
  the page's launch buttons open the same notebook on Binder and Colab, and the badge images
  would be fetched from the web;
- a live widget's view (useless without a kernel) is dropped and the static figure the widget
  draws next to it stays;
- every stored figure gets an alternative text written from the cell that drew it
  (scripts/figure_alt.py), collected in ALT_TEXT for site/conf.py to apply.

The site lands in --out (default build/site, ignored by git); open build/site/index.html.
"""

import argparse
import ast
import base64
import hashlib
import json
import pathlib
import re
import shutil
import sys
import struct
import time

import nbformat

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from scripts import figure_alt  # noqa: E402
from scripts import make_solutions  # noqa: E402
from scripts import notebook_header as header  # noqa: E402

SITE_CONFIG = REPO / "site"
STAGING = REPO / "build" / "site-src"
DEFAULT_OUT = REPO / "build" / "site"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
EXERCISE = re.compile(r"\*\*(\d+)\.\s+(.+?)\*\*")  # "**1. Grayscale by hand.** Convert ..."
EXERCISES_HEADING = "## Exercises"
HOME_FIGURE = "home-figure.png"  # written into the staging folder; site/index.md shows it
ALT_TEXT = "_alt_text.json"  # {sha256 of a figure's image: its alternative text}, read by site/conf.py
FIGURE_TYPES = ("image/png", "image/jpeg")
PACKAGE = REPO / "cnnlab"
# Not given a reference page: the worked solutions have their own pages (spoilers).
NOT_REFERENCE = {"solutions"}
PAGE_ORDER = ["setup", "instructors"]  # site/*.md pages first in the menu; any others follow
CNNLAB_IMPORT = re.compile(r"^\s*from cnnlab(?:\.(\w+))? import ([\w, ]+)", re.MULTILINE)


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


def figure_alts(notebook, summaries):
    """{sha256 of each stored figure of ``notebook``: its alternative text} (scripts/figure_alt.py)."""
    alts, above = {}, ""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            above = cell.source
            continue
        images = [base64.b64decode(output["data"][kind]) for output in cell.get("outputs", [])
                  for kind in FIGURE_TYPES if kind in output.get("data", {})]
        for image, text in zip(images, figure_alt.alt_texts(cell, above, len(images), summaries)):
            alts[hashlib.sha256(image).hexdigest()] = text
    return alts


def modules_used(entries):
    """{cnnlab module: [notebook numbers]} from the notebooks' ``from cnnlab import ...`` lines."""
    used = {}
    for relative, notebook in entries:
        number = pathlib.PurePath(relative).name[:2]
        for cell in notebook.cells:
            try:
                tree = ast.parse(cell.source) if cell.cell_type == "code" else None
            except SyntaxError:  # IPython syntax (magics): no imports to read
                continue
            for node in ast.walk(tree) if tree else []:
                if isinstance(node, ast.ImportFrom) and node.module == "cnnlab":
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cnnlab."):
                    names = [node.module.split(".")[1]]
                else:
                    continue
                for name in names:
                    if number not in used.setdefault(name, []):
                        used[name].append(number)
    return used


def reference_modules(package=PACKAGE):
    """{module: first line of its docstring} for every public module of the cnnlab package."""
    modules = {}
    for path in sorted(package.glob("[!_]*.py")):
        if path.stem not in NOT_REFERENCE:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            modules[path.stem] = " ".join(doc.split("\n\n")[0].split())
    return modules


def reference_pages(entries, package=PACKAGE):
    """{staging path: Markdown} of the reference: an overview and one autodoc page per module."""
    modules, used = reference_modules(package), modules_used(entries)
    rows = ["| module | what it holds | used in notebooks |", "|---|---|---|"]
    pages = {}
    for module, summary in modules.items():
        summary = summary.replace("|", "\\|")  # a table cell
        rows.append(f"| [`cnnlab.{module}`]({module}.md) | {summary} | "
                    f"{', '.join(used.get(module, [])) or '(by the other modules)'} |")
        # eval-rst: autodoc writes reStructuredText, which MyST would otherwise read as Markdown.
        pages[f"api/{module}.md"] = (f"# cnnlab.{module}\n\n```{{eval-rst}}\n.. automodule:: cnnlab.{module}\n"
                                     "   :members:\n```\n")
    pages["api/index.md"] = (
        "# Reference: the cnnlab helpers\n\n"
        "The notebooks import the helpers they share from the `cnnlab` package, one module per job "
        "(`from cnnlab import data, plots`). Each page below documents a module's functions and "
        "classes from their docstrings: arguments, array shapes such as (H, W, C), what they "
        "return and the errors they raise.\n\n" + "\n".join(rows) + "\n\n"
        + toctree(f"{module}.md" for module in modules) + "\n")
    return pages


def solutions_page(relative, notebook):
    """Markdown: the exercises of ``notebook`` with their worked solutions as code; None without any."""
    solved = copy_notebook(notebook)
    if not make_solutions.solve(solved):
        return None
    title, _ = title_and_summary(notebook)
    lines = [f"# Solutions: {title}", "",
             f"The [exercises of notebook {title}](../{relative}#exercises) with their worked "
             "solutions (from `cnnlab/solutions.py`). Try each exercise first: its check gives a "
             "hint, never the answer. `python scripts/make_solutions.py` writes these solutions "
             "into copies of the notebooks, in `solutions/`, to run.", ""]
    in_exercises = False
    for cell in solved.cells:
        if cell.cell_type == "markdown" and cell.source.startswith(EXERCISES_HEADING):
            in_exercises = True  # its how-to ("replace the None placeholder") is for the notebook
            continue
        elif cell.cell_type == "markdown" and cell.source.startswith("## "):
            in_exercises = False
            continue
        elif not in_exercises:
            continue
        elif cell.cell_type == "markdown":
            body = one_level_up(cell.source)
        else:
            body = f"```python\n{cell.source.strip()}\n```"
        lines += [body, ""]
    return "\n".join(lines)


def copy_notebook(notebook):
    return nbformat.reads(nbformat.writes(notebook), as_version=4)


def one_level_up(markdown):
    """``markdown`` with its headings one level up ('### More' -> '## More'), code blocks untouched."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        fenced ^= line.lstrip().startswith("```")
        lines.append(line[1:] if not fenced and line.startswith("##") else line)
    return "\n".join(lines)


def solution_pages(entries):
    """{staging path: Markdown} of the solutions: an overview and one page per notebook."""
    pages, items = {}, []
    for relative, notebook in entries:
        page = solutions_page(relative, notebook)
        if page is not None:
            name = pathlib.PurePath(relative).stem
            pages[f"solutions/{name}.md"] = page
            items.append(f"{name}.md")
    pages["solutions/index.md"] = (
        "# Solutions\n\nWorked solutions to every notebook's exercises, one page per notebook. "
        "They are spoilers: try an exercise, and read its check's hint, before you look.\n\n"
        + toctree(items, hidden=False) + "\n")
    return pages


def toctree(items, caption=None, hidden=True):
    options = (":hidden:\n" if hidden else "") + ":maxdepth: 1\n" + (f":caption: {caption}\n" if caption else "")
    return "```{toctree}\n" + options + "\n" + "\n".join(items) + "\n```"


def extra_pages(site_config=SITE_CONFIG):
    """The Markdown pages of site/ besides the home page, in menu order (set-up first)."""
    names = [path.stem for path in site_config.glob("*.md") if path.stem != "index"]
    return sorted(names, key=lambda name: (PAGE_ORDER.index(name) if name in PAGE_ORDER else len(PAGE_ORDER),
                                           name))


def home_page(template, entries, pages, figure_alt_text=""):
    """site/index.md with its {{ notebooks }}, {{ exercises }}, {{ toctree }} and figure text filled in."""
    rows = ["| # | notebook | what it teaches | open it on |", "|---|---|---|---|"]
    listed = []
    for relative, notebook in entries:
        title, summary = title_and_summary(notebook)
        number, _, name = title.partition(" · ")
        rows.append(f"| {number} | [{name}]({relative}) | {summary} | "
                    f"[Colab]({header.colab_url(relative)}) · [Binder]({header.binder_url(relative)}) |")
        items = [f"{number}. {text}" for number, text in exercises(notebook)]
        listed.append(f"**[{title}]({relative}#exercises)**\n\n" + "\n".join(items) + "\n")
    menu = (toctree((relative for relative, _ in entries), caption="Notebooks") + "\n\n"
            + toctree([*pages, "solutions/index", "api/index"], caption="Course"))
    return (template.replace("{{ notebooks }}", "\n".join(rows))
            .replace("{{ exercises }}", "\n".join(listed))
            .replace("{{ toctree }}", menu)
            .replace("{{ figure_alt }}", figure_alt_text))


def stage(notebook_dir, staging, site_config=SITE_CONFIG, package=PACKAGE):
    """Fill ``staging`` with every page's source; return the notebooks' repository paths."""
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "notebooks").mkdir(parents=True)
    entries, alts = [], {}
    summaries = figure_alt.helper_summaries(package)
    for path in header.notebooks(notebook_dir):
        notebook = static_copy(nbformat.read(path, as_version=4))
        relative = f"notebooks/{path.name}"  # the page's launch buttons open this file of the repository
        nbformat.write(notebook, staging / relative)
        entries.append((relative, notebook))
        alts.update(figure_alts(notebook, summaries))
    figure = widest_figure(entries[0][1])
    if figure:
        (staging / HOME_FIGURE).write_bytes(figure)
    (staging / ALT_TEXT).write_text(json.dumps(alts, indent=1, ensure_ascii=False), encoding="utf-8")
    pages = extra_pages(site_config)
    for name in pages:
        shutil.copyfile(site_config / f"{name}.md", staging / f"{name}.md")
    for relative, text in {**solution_pages(entries), **reference_pages(entries, package)}.items():
        (staging / relative).parent.mkdir(parents=True, exist_ok=True)
        (staging / relative).write_text(text, encoding="utf-8")
    template = (site_config / "index.md").read_text(encoding="utf-8")
    home_alt = alts.get(hashlib.sha256(figure).hexdigest(), "") if figure else ""
    (staging / "index.md").write_text(home_page(template, entries, pages, home_alt), encoding="utf-8")
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
