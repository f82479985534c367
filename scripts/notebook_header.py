"""The two cells at the top of every notebook: launch badges and the Google Colab set-up.

Both are generated here from the repository's address, which is written in one place:
``repository = "owner/name"`` under ``[tool.cnnlab]`` in pyproject.toml (``REPOSITORY`` here;
the site build reads it from this module):

- a markdown cell with "Open in Colab" and "Binder" badges for that notebook;
- a short code cell, folded on Colab (``# @title``), that does nothing except on Google Colab,
  where it installs cnnlab (once per runtime, when it is missing) from the repository's Git URL
  without its dependencies, so Colab's own TensorFlow and Keras stay, and turns on Colab's
  widget manager for the sliders of notebooks 01 and 02.

    python scripts/notebook_header.py --check   # exit 1 and name the notebooks that differ
    python scripts/notebook_header.py --write   # insert or update the cells (idempotent)

Each generated cell is marked in its metadata (``{"cnnlab": {"header": ...}}``), so a second
``--write`` replaces it in place instead of adding another, and the site build
(scripts/build_site.py) can leave it out of the pages, which carry their own launch buttons.
"""

import argparse
import copy
import pathlib
import re
import sys

import nbformat

REPO = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOK_GLOB = "0*.ipynb"

PYPROJECT = REPO / "pyproject.toml"


def read_repository(pyproject=PYPROJECT):
    """The GitHub ``owner/name`` under ``[tool.cnnlab]`` in pyproject.toml; ValueError if absent or malformed."""
    text = pathlib.Path(pyproject).read_text(encoding="utf-8")
    try:
        import tomllib  # Python 3.11+
    except ModuleNotFoundError:  # Python 3.10: the one line, read directly
        table = re.search(r"^\[tool\.cnnlab\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
        line = table and re.search(r'^repository\s*=\s*"([^"]*)"', table.group(1), re.M)
        repository = line.group(1) if line else None
    else:
        repository = tomllib.loads(text).get("tool", {}).get("cnnlab", {}).get("repository")
    if not isinstance(repository, str) or not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
        raise ValueError(f"{pyproject}: [tool.cnnlab] needs repository = \"owner/name\" "
                         f"(the GitHub repository); got {repository!r}")
    return repository


# The one place that names the published repository is pyproject.toml; this is its value.
REPOSITORY = read_repository()  # GitHub owner/name
BRANCH = "main"
GIT_URL = f"git+https://github.com/{REPOSITORY}.git@{BRANCH}"
# Read by the set-up cell on Colab in place of GIT_URL: a fork, a tag, or a local checkout (tests).
SOURCE_ENV = "CNNLAB_SOURCE"
PAGES_URL = "https://{owner}.github.io/{name}/".format(owner=REPOSITORY.split("/")[0],
                                                       name=REPOSITORY.split("/")[1])

COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"

METADATA_KEY = "cnnlab"
HEADER_KEY = "header"
BADGES, SETUP = "badges", "colab-setup"
CELL_IDS = {BADGES: "cnnlab-badges", SETUP: "cnnlab-colab-setup"}


def colab_url(notebook_path):
    """Colab's address for a notebook of the repository, ``notebook_path`` relative to its root."""
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{notebook_path}"


def binder_url(notebook_path):
    return f"https://mybinder.org/v2/gh/{REPOSITORY}/{BRANCH}?urlpath=lab/tree/{notebook_path}"


def badges_markdown(notebook_path):
    return (f"[![Open In Colab]({COLAB_BADGE})]({colab_url(notebook_path)}) "
            f"[![Binder]({BINDER_BADGE})]({binder_url(notebook_path)})")


# The code cell, as learners read it: a beginner reads it first, so it is short, its comments say
# only what is true, and `# @title` folds it on Colab (a plain comment everywhere else).
# Colab is recognised by its own package, google.colab, which every Colab runtime has and ordinary
# machines do not. find_spec("google") comes first: find_spec("google.colab") raises where no
# `google` package exists at all. A test stands in for Colab by putting such a package on the
# kernel's path. --no-deps keeps Colab's TensorFlow, Keras, NumPy, Matplotlib and OpenCV (Colab
# ships all of cnnlab's requirements; its OpenCV is opencv-python, while cnnlab's metadata names
# the headless build). The widget manager is turned on in every session (a front-end setting).
SETUP_SOURCE = '''\
# @title Colab only: install cnnlab, the course's helpers {{ display-mode: "form" }}
import os, subprocess, sys
from importlib.util import find_spec

url = os.environ.get("{source_env}", "{git_url}")
if find_spec("google") and find_spec("google.colab"):  # only Colab has google.colab
    if not find_spec("cnnlab"):  # --no-deps keeps Colab's own TensorFlow and Keras
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
        subprocess.run([*pip, url], check=True)
    from google.colab import output as colab_output
    colab_output.enable_custom_widget_manager()  # the sliders of notebooks 01-02
'''.format(source_env=SOURCE_ENV, git_url=GIT_URL)


def header_cells(notebook_path):
    """The two generated cells for the notebook at ``notebook_path`` (relative to the repository)."""
    badges = nbformat.v4.new_markdown_cell(badges_markdown(notebook_path))
    setup = nbformat.v4.new_code_cell(SETUP_SOURCE.rstrip("\n"))
    for cell, kind in ((badges, BADGES), (setup, SETUP)):
        cell.id = CELL_IDS[kind]
        cell.metadata = nbformat.from_dict({METADATA_KEY: {HEADER_KEY: kind}})
    return [badges, setup]


def header_kind(cell):
    """BADGES or SETUP for a generated cell, None for any other."""
    return cell.get("metadata", {}).get(METADATA_KEY, {}).get(HEADER_KEY)


def is_header(cell):
    return header_kind(cell) is not None


def without_header(notebook):
    """A copy of ``notebook`` with the generated cells removed."""
    notebook = copy.deepcopy(notebook)
    notebook.cells = [cell for cell in notebook.cells if not is_header(cell)]
    return notebook


def with_header(notebook, notebook_path):
    """A copy of ``notebook`` with the generated cells, up to date, at the top (and nowhere else)."""
    previous = {header_kind(cell): cell for cell in notebook.cells if is_header(cell)}
    notebook = without_header(notebook)
    cells = header_cells(notebook_path)
    for cell in cells:
        old = previous.get(header_kind(cell))
        if cell.cell_type == "code" and old is not None and _comparable(old)["source"] == cell.source:
            cell.execution_count = old.get("execution_count")  # an unchanged cell keeps its run
    notebook.cells[:0] = cells
    return notebook


def _comparable(cell):
    keep = {"cell_type", "id", "source", "metadata"}
    cell = {key: value for key, value in cell.items() if key in keep}
    if isinstance(cell.get("source"), list):
        cell["source"] = "".join(cell["source"])
    # The timings that executing a notebook records (scripts/run_notebooks.py) are not content.
    cell["metadata"] = {key: value for key, value in cell.get("metadata", {}).items()
                        if key != "execution"}
    return cell


def is_up_to_date(notebook, notebook_path):
    """True when the first cells are exactly the generated ones (outputs and run counts aside)
    and no other cell is marked as generated."""
    expected = [_comparable(cell) for cell in header_cells(notebook_path)]
    count = len(expected)
    top = [_comparable(cell) for cell in notebook.cells[:count]]
    outputs_clean = all(not cell.get("outputs") for cell in notebook.cells[:count]
                        if cell.get("cell_type") == "code")
    return top == expected and outputs_clean and not any(map(is_header, notebook.cells[count:]))


def repository_path(path, root):
    """The notebook's path relative to the repository root, as GitHub, Colab and Binder name it."""
    return pathlib.Path(path).resolve().relative_to(pathlib.Path(root).resolve()).as_posix()


def notebooks(folder):
    return sorted(pathlib.Path(folder).glob(NOTEBOOK_GLOB))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="fail if any notebook's header differs")
    action.add_argument("--write", action="store_true", help="insert or update the header cells")
    parser.add_argument("--notebooks", type=pathlib.Path, default=NOTEBOOK_DIR,
                        help=f"folder of the notebooks (default: {NOTEBOOK_DIR.relative_to(REPO)})")
    parser.add_argument("--root", type=pathlib.Path, default=None,
                        help="the repository root the badge links are relative to "
                             "(default: the folder above --notebooks)")
    args = parser.parse_args(argv)
    root = args.root or args.notebooks.resolve().parent
    paths = notebooks(args.notebooks)
    if not paths:
        parser.error(f"no {NOTEBOOK_GLOB} in {args.notebooks}")
    stale = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        relative = repository_path(path, root)
        if is_up_to_date(notebook, relative):
            continue
        stale.append(path)
        if args.write:
            nbformat.write(with_header(notebook, relative), path)
            print(f"updated {path}")
    if args.check and stale:
        print("notebook header out of date (run `python scripts/notebook_header.py --write`):",
              *stale, sep="\n  ", file=sys.stderr)
        return 1
    if not stale:
        print(f"{len(paths)} notebook headers up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
