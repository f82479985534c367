"""Open in Colab: the generated notebook header, and the notebooks run in a Colab-like environment.

Colab cannot be reached from here, so it is imitated honestly: the set-up cell recognises Colab
by its package, ``google.colab``, and the tests put a stand-in of that package (with the one
function the cell calls) on the kernel's path. The fast tests run the cell's code with pip calls
recorded instead of made; the slow, opt-in test builds a fresh virtual environment with what
Colab ships (TensorFlow, Keras, opencv-python, Matplotlib, ipywidgets; no cnnlab), lets the cell
install cnnlab from this checkout, and runs notebooks 01 and 04 top to bottom in quick mode.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import tomllib

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from cnnlab import data
from scripts import notebook_header as header

REPO = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = header.notebooks(header.NOTEBOOK_DIR)
COLAB_ENV_VARIABLE = "CNNLAB_TEST_COLAB_ENV"
# Written out by hand, not by the generator under test: the launch addresses of a notebook's path.
COLAB_URL = "https://colab.research.google.com/github/cnnlab/cnnlab/blob/main/{}"
BINDER_URL = "https://mybinder.org/v2/gh/cnnlab/cnnlab/main?urlpath=lab/tree/{}"
GIT_URL = "git+https://github.com/cnnlab/cnnlab.git@main"
OPENCV_DISTRIBUTIONS = {"opencv-python", "opencv-python-headless", "opencv-contrib-python",
                        "opencv-contrib-python-headless"}
SILENT_SECONDS = 0.5  # the cell's own run time off Colab (measured: well under 10 ms)

FAKE_OUTPUT_MODULE = '''\
"""Stand-in for google.colab.output: records the calls the set-up cell makes."""
import os


def enable_custom_widget_manager():
    with open(os.environ["FAKE_COLAB_LOG"], "a", encoding="utf-8") as log:
        log.write("enable_custom_widget_manager\\n")
'''


def fake_colab(folder):
    """A ``google.colab`` package (namespace ``google``, as on Colab) under ``folder``; returns it."""
    package = folder / "google" / "colab"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Stand-in for Colab\'s package (tests only)."""\n')
    (package / "output.py").write_text(FAKE_OUTPUT_MODULE)
    return folder


# --- the generated cells ----------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_header_is_up_to_date(path):
    notebook = nbformat.read(path, as_version=4)
    relative = header.repository_path(path, REPO)
    assert header.is_up_to_date(notebook, relative), (
        f"{relative}: the Colab/Binder header cells are missing or stale: "
        "run `.venv/bin/python scripts/notebook_header.py --write`")


def test_check_fails_on_the_committed_notebooks_exactly_when_a_test_above_fails():
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "notebook_header.py"), "--check"],
                            capture_output=True, text=True, cwd=REPO)
    stale = [path for path in NOTEBOOKS
             if not header.is_up_to_date(nbformat.read(path, as_version=4),
                                         header.repository_path(path, REPO))]
    assert (result.returncode != 0) == bool(stale), result.stdout + result.stderr
    for path in stale:
        assert path.name in result.stderr


def test_write_inserts_once_touches_nothing_else_and_check_notices_an_edit(tmp_path):
    root = tmp_path / "repo"
    (root / "notebooks").mkdir(parents=True)
    originals = {}
    for path in NOTEBOOKS:  # copies, with any header already there removed
        notebook = header.without_header(nbformat.read(path, as_version=4))
        nbformat.write(notebook, root / "notebooks" / path.name)
        originals[path.name] = notebook
    command = [sys.executable, str(REPO / "scripts" / "notebook_header.py"),
               "--notebooks", str(root / "notebooks")]

    assert subprocess.run([*command, "--check"], capture_output=True).returncode == 1
    subprocess.run([*command, "--write"], check=True, capture_output=True)
    written = {path.name: path.read_bytes() for path in (root / "notebooks").glob("*.ipynb")}
    assert subprocess.run([*command, "--check"], capture_output=True).returncode == 0
    subprocess.run([*command, "--write"], check=True, capture_output=True)  # idempotent
    assert {path.name: path.read_bytes() for path in (root / "notebooks").glob("*.ipynb")} == written

    for name, original in originals.items():
        notebook = nbformat.read(root / "notebooks" / name, as_version=4)
        kinds = [header.header_kind(cell) for cell in notebook.cells]
        assert kinds[:2] == [header.BADGES, header.SETUP] and not any(kinds[2:])
        assert notebook.cells[2:] == original.cells  # every other cell untouched
        assert notebook.metadata == original.metadata
        nbformat.validate(notebook)  # cell ids are valid and unique

    # A hand edit of the generated cell is noticed, then repaired in place.
    path = root / "notebooks" / NOTEBOOKS[0].name
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[1].source = notebook.cells[1].source.replace(header.REPOSITORY, "someone/else")
    nbformat.write(notebook, path)
    result = subprocess.run([*command, "--check"], capture_output=True, text=True)
    assert result.returncode == 1 and path.name in result.stderr
    subprocess.run([*command, "--write"], check=True, capture_output=True)
    assert path.read_bytes() == written[path.name]


def test_the_repository_address_is_read_from_pyproject_and_written_nowhere_else(tmp_path):
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert header.REPOSITORY == project["tool"]["cnnlab"]["repository"]
    # Every tracked file gets the address from there, except pyproject.toml, the generated
    # notebooks, the two pages that tell a fork what to change (the README's badges, the
    # instructors' nbgitpuller link) and the tests whose expected addresses are written by hand.
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=REPO).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    allowed = {"pyproject.toml", "README.md", "site/instructors.md", "tests/test_colab.py",
               "tests/test_site.py"}
    spelled = [name for name in tracked
               if name not in allowed and not name.endswith(".ipynb") and (REPO / name).is_file()
               and header.REPOSITORY in (REPO / name).read_text(encoding="utf-8", errors="ignore")]
    assert spelled == []
    # A fork changes the one line; the generator follows it.
    fork = tmp_path / "pyproject.toml"
    fork.write_text(project_text_with("someone/fork"), encoding="utf-8")
    assert header.read_repository(fork) == "someone/fork"
    fork.write_text("[project]\nname = 'x'\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[tool.cnnlab\] needs repository"):
        header.read_repository(fork)


def project_text_with(repository):
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    return text.replace(f'repository = "{header.REPOSITORY}"', f'repository = "{repository}"')


def test_badges_open_this_notebook_in_the_readmes_repository():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    binder_repository = re.search(r"mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/", readme).group(1)
    assert header.REPOSITORY == binder_repository
    assert header.GIT_URL.startswith(f"git+https://github.com/{binder_repository}.git")
    for path in NOTEBOOKS:
        relative = header.repository_path(path, REPO)
        badges = header.header_cells(relative)[0].source
        links = re.findall(r"\)\]\((https://[^)]+)\)", badges)  # the target of each badge image
        # Each badge image links to that notebook on Colab and Binder.
        assert links == [COLAB_URL.format(relative), BINDER_URL.format(relative)]
        assert links[0].endswith(f"github/{binder_repository}/blob/{header.BRANCH}/{relative}")
        assert links[1].endswith(f"?urlpath=lab/tree/{relative}")
        # The README's notebook table carries the same Colab badge.
        assert f"({COLAB_URL.format(relative)})" in readme, f"README: no Colab badge for {relative}"


# --- the set-up cell, its pip calls recorded instead of made -----------------------------------

RUNNER = r'''
import importlib.metadata, importlib.util, json, subprocess, sys, time

hidden, absent, report = set(json.loads(sys.argv[1])), set(json.loads(sys.argv[2])), sys.argv[3]
real_find_spec, real_version = importlib.util.find_spec, importlib.metadata.version


def find_spec(name, *args, **kwargs):  # modules this "machine" does not have
    return None if name in hidden else real_find_spec(name, *args, **kwargs)


def version(name):  # distributions this "machine" does not have
    if name in absent:
        raise importlib.metadata.PackageNotFoundError(name)
    return real_version(name)


calls = []
importlib.util.find_spec, importlib.metadata.version = find_spec, version
subprocess.run = lambda command, **kwargs: calls.append([str(part) for part in command])
cell = sys.stdin.read()
start = time.perf_counter()
exec(compile(cell, "colab-setup-cell", "exec"), {"__name__": "__main__"})
seconds = time.perf_counter() - start
with open(report, "w") as handle:
    json.dump({"calls": calls, "seconds": seconds}, handle)
'''


def run_setup_cell(tmp_path, *, colab, hidden=(), absent=(), source=None, site_packages=True):
    """Run the set-up cell in a fresh interpreter; return (stdout+stderr, pip calls, seconds, log)."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PYTHONPATH", header.SOURCE_ENV)}
    log = tmp_path / "colab.log"
    environment["FAKE_COLAB_LOG"] = str(log)
    if colab:
        environment["PYTHONPATH"] = str(fake_colab(tmp_path / "fake"))
    if source:
        environment[header.SOURCE_ENV] = source
    report = tmp_path / "report.json"
    isolation = [] if site_packages else ["-S"]  # -S: no site-packages, so no `google` package at all
    result = subprocess.run([sys.executable, *isolation, "-c", RUNNER, json.dumps(list(hidden)),
                             json.dumps(list(absent)), str(report)],
                            input=header.SETUP_SOURCE, capture_output=True, text=True,
                            env=environment, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(report.read_text())
    calls = outcome["calls"]
    return result.stdout + result.stderr, calls, outcome["seconds"], log.read_text() if log.exists() else ""


@pytest.mark.parametrize("site_packages", [True, False], ids=["with-google-namespace", "bare-python"])
def test_setup_cell_does_nothing_off_colab(tmp_path, site_packages):
    output, calls, seconds, log = run_setup_cell(tmp_path, colab=False, hidden=["cnnlab"],
                                                 site_packages=site_packages)
    assert (output, calls, log) == ("", [], "")
    assert seconds < SILENT_SECONDS


def test_setup_cell_on_colab_with_cnnlab_present_only_enables_widgets(tmp_path):
    output, calls, _, log = run_setup_cell(tmp_path, colab=True)
    assert (output, calls) == ("", [])
    assert log.splitlines() == ["enable_custom_widget_manager"]


def test_setup_cell_on_colab_installs_cnnlab_without_its_dependencies(tmp_path):
    output, calls, _, log = run_setup_cell(tmp_path, colab=True, hidden=["cnnlab"], source="/some/checkout")
    assert output == ""
    # One pip call, --no-deps: Colab's TensorFlow, Keras, NumPy and OpenCV are never reinstalled.
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "/some/checkout"]]
    assert log.splitlines() == ["enable_custom_widget_manager"]


def test_setup_cell_is_short_folded_on_colab_and_within_the_line_limit():
    lines = header.SETUP_SOURCE.rstrip("\n").splitlines()
    assert lines[0].startswith("# @title ") and lines[0].endswith('{ display-mode: "form" }')
    code = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert len(code) <= 10, code
    assert max(map(len, lines)) <= 88
    assert "ipywidgets 8" not in header.SETUP_SOURCE  # cnnlab does not install it on Colab


def test_setup_cell_installs_from_the_repository_by_default(tmp_path):
    _, calls, _, _ = run_setup_cell(tmp_path, colab=True, hidden=["cnnlab"])
    assert calls[0][-1] == header.GIT_URL == GIT_URL


# --- a Colab-like environment (slow, opt-in) -------------------------------------------------------

# What Colab ships that the notebooks use, in the version ranges of requirements.txt; OpenCV as
# Colab has it, the full opencv-python build, and tqdm, which Colab ships too. No cnnlab.
COLAB_PACKAGES = ("tensorflow", "keras", "matplotlib", "tqdm", "ipywidgets", "ipykernel", "nbclient",
                  "nbformat")
COLAB_NOTEBOOKS = ("01_filters.ipynb", "04_mnist_cnn.ipynb")
NOTEBOOK_TIMEOUT = 900

DRIVER = r'''
import sys
import nbclient, nbformat

path, workdir = sys.argv[1:3]
notebook = nbformat.read(path, as_version=4)
nbclient.NotebookClient(notebook, timeout=int(sys.argv[3]), kernel_name="python3",
                        resources={"metadata": {"path": workdir}}).execute()
nbformat.write(notebook, path)
'''


def colab_requirements():
    """The requirement lines for COLAB_PACKAGES, read from requirements.txt, plus opencv-python."""
    lines = {}
    for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            lines[canonicalize_name(requirement.name)] = requirement
    chosen = [str(lines[name]) for name in COLAB_PACKAGES]
    return [*chosen, f"opencv-python{lines['opencv-python-headless'].specifier}"]


def distributions(run, python):
    listed = json.loads(run([python, "-m", "pip", "list", "--format=json"]))
    return {canonicalize_name(item["name"]): item["version"] for item in listed}


@pytest.fixture(scope="module")
def colab_venv(tmp_path_factory, run):
    if os.environ.get(COLAB_ENV_VARIABLE) != "1":
        pytest.skip(f"builds a virtual environment with TensorFlow (minutes): set {COLAB_ENV_VARIABLE}=1 "
                    "(.ci/run does)")
    venv = tmp_path_factory.mktemp("colab") / "venv"
    run([sys.executable, "-m", "venv", venv])  # clean: no system or parent site-packages
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", *colab_requirements()])
    return python


@pytest.mark.slow_env
@pytest.mark.parametrize("name", COLAB_NOTEBOOKS, ids=[name.removesuffix(".ipynb") for name in COLAB_NOTEBOOKS])
def test_notebook_runs_in_a_colab_like_environment(colab_venv, name, tmp_path, run):
    python = colab_venv
    path = REPO / "notebooks" / name
    notebook = nbformat.read(path, as_version=4)
    missing = [dataset for dataset in notebook.metadata.get("cnnlab", {}).get("datasets", [])
               if not data.is_available(dataset)]
    if missing:
        pytest.skip(f"data set(s) {', '.join(missing)} not found locally: set {data.DATA_DIR_ENV}")
    before = distributions(run, python)
    assert "cnnlab" not in before and "tensorflow" in before
    assert OPENCV_DISTRIBUTIONS & set(before) == {"opencv-python"}

    # The notebook alone in a folder, as Colab opens it from GitHub; the header as --write makes it.
    content = tmp_path / "content"
    content.mkdir()
    copy = content / name
    nbformat.write(header.with_header(notebook, header.repository_path(path, REPO)), copy)
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PYTHONPATH", "VIRTUAL_ENV", "KERAS_BACKEND", "PYTHONHOME")}
    log = tmp_path / "colab.log"
    environment.update({
        "PYTHONPATH": str(fake_colab(tmp_path / "fake")),  # `google.colab` importable: "on Colab"
        "FAKE_COLAB_LOG": str(log),
        header.SOURCE_ENV: str(REPO),  # install this checkout instead of the GitHub repository
        "CNNLAB_QUICK": "1",
        "PATH": f"{python.parent}{os.pathsep}{environment.get('PATH', '')}",
        # No kernel specs or settings from this machine's user: only the venv's own kernel.
        "JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "MPLBACKEND": "agg",
    })
    try:
        run([python, "-c", DRIVER, copy, content, NOTEBOOK_TIMEOUT], env=environment, cwd=content)
        after = distributions(run, python)
    finally:  # the next notebook starts from a Colab without cnnlab again
        added_now = sorted(set(distributions(run, python)) - set(before))
        if added_now:
            run([python, "-m", "pip", "uninstall", "--quiet", "-y", *added_now])

    executed = nbformat.read(copy, as_version=4)
    errors = [output for cell in executed.cells for output in cell.get("outputs", [])
              if output.get("output_type") == "error"]
    assert not errors
    # cnnlab came from this checkout, and nothing else was installed (--no-deps).
    added = set(after) - set(before)
    assert added == {"cnnlab"}, f"installed besides cnnlab: {sorted(added - {'cnnlab'})}"
    # One OpenCV, and Colab's TensorFlow, Keras and NumPy exactly as they were.
    assert OPENCV_DISTRIBUTIONS & set(after) == {"opencv-python"}
    for name_ in ("tensorflow", "keras", "numpy", "opencv-python", "matplotlib", "ipywidgets"):
        assert after[name_] == before[name_], f"{name_} changed: {before[name_]} -> {after[name_]}"
    assert log.read_text().splitlines() == ["enable_custom_widget_manager"]
    if name.startswith("01"):  # the live widgets were created and displayed (widget views)
        views = [output for cell in executed.cells for output in cell.get("outputs", [])
                 if "application/vnd.jupyter.widget-view+json" in output.get("data", {})]
        assert views, "no widget was displayed"


def test_a_run_of_the_notebook_leaves_the_header_up_to_date():
    notebook = header.with_header(nbformat.v4.new_notebook(), "notebooks/01_filters.ipynb")
    setup = notebook.cells[1]
    setup.execution_count = 1  # what executing the notebook records
    setup.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    assert header.is_up_to_date(notebook, "notebooks/01_filters.ipynb")
    setup.metadata["cnnlab"]["header"] = "something else"
    assert not header.is_up_to_date(notebook, "notebooks/01_filters.ipynb")


def test_rewriting_the_header_keeps_the_run_of_an_unchanged_set_up_cell():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    written = header.with_header(notebook, "notebooks/01_filters.ipynb")
    setup = [cell for cell in written.cells if header.header_kind(cell) == "colab-setup"][0]
    setup.execution_count = 1  # as a top-to-bottom run leaves it
    again = header.with_header(written, "notebooks/01_filters.ipynb")
    assert [cell for cell in again.cells if header.header_kind(cell) == "colab-setup"][0].execution_count == 1
