"""binder/: requirements in step with requirements.txt, scripts that do their job, a fresh environment that works.

mybinder.org cannot be reached from here, so the configuration is proven piece by piece:
the requirement lines are compared with requirements.txt, postBuild's data command runs
against a local HTTP server, `start` is executed, and (opt-in, slow) a clean virtual
environment is built from binder/ alone and everything is imported in it.
"""

import hashlib
import os
import pathlib
import re
import shlex
import stat
import subprocess
import sys
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from cnnlab import data

REPO = pathlib.Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
REQUIREMENTS = REPO / "requirements.txt"
BINDER_REQUIREMENTS = BINDER / "requirements.txt"
POST_BUILD = BINDER / "postBuild"
START = BINDER / "start"
RUNTIME = BINDER / "runtime.txt"

# What requirements.txt may hold that Binder leaves out, and why: tools only the test suite uses.
BINDER_OMITS = {
    "playwright": "drives the browser in tests/test_browser.py",
    "check-jsonschema": "validates the GitHub workflow in tests/test_workflow.py",
    "hypothesis": "generates learner answers for the property tests in tests/test_check.py",
    "jupyterhub": "runs a real hub in tests/test_hub.py",
    "nbgitpuller": "the hub's one-click link, tested in tests/test_hub.py; Binder clones the repository itself",
}
BINDER_ENV_VARIABLE = "CNNLAB_TEST_BINDER_ENV"
DATA_COMMAND = ("python", "-m", "cnnlab.data", "download")
INSTALL_COMMAND = ("python", "-m", "pip", "install")


# --- reading the files -------------------------------------------------------------------------

def read_requirements(path):
    """Map canonical package name -> Requirement for every requirement line of ``path``."""
    requirements = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-"):
            raise ValueError(f"{path}:{number}: pip option {line!r}; keep the file to plain requirements")
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if name in requirements:
            raise ValueError(f"{path}:{number}: {requirement.name} is listed twice")
        requirements[name] = requirement
    return requirements


def script_commands(path):
    """The shell commands of a script, one token list per line, comments and blank lines dropped."""
    commands = []
    for line in path.read_text(encoding="utf-8").splitlines():
        tokens = shlex.split(line, comments=True)
        if tokens:
            commands.append(tokens)
    return commands


def commands_starting_with(path, prefix):
    return [tokens for tokens in script_commands(path) if tuple(tokens[:len(prefix)]) == prefix]


def describe(requirement):
    """What must agree between the two files: specifier, extras and marker."""
    return (str(requirement.specifier), sorted(requirement.extras), str(requirement.marker or ""))


# --- requirements in step --------------------------------------------------------------------------

def test_binder_requirements_match_requirements_txt():
    full, binder = read_requirements(REQUIREMENTS), read_requirements(BINDER_REQUIREMENTS)
    problems = []
    for name, requirement in binder.items():
        if name not in full:
            problems.append(f"{name}: in binder/requirements.txt but not in requirements.txt")
        elif describe(requirement) != describe(full[name]):
            problems.append(f"{name}: binder has {requirement}, requirements.txt has {full[name]}")
    for name, requirement in full.items():
        if name not in binder and name not in BINDER_OMITS:
            problems.append(f"{name}: {requirement} is in requirements.txt but missing from "
                            "binder/requirements.txt (or add it to BINDER_OMITS with a reason)")
    for name in BINDER_OMITS:
        if name not in full:
            problems.append(f"{name}: listed in BINDER_OMITS but no longer in requirements.txt")
        elif name in binder:
            problems.append(f"{name}: listed in BINDER_OMITS but present in binder/requirements.txt")
    assert not problems, "binder/requirements.txt drifted from requirements.txt:\n" + "\n".join(problems)


def test_drift_check_names_the_package_that_differs(tmp_path):
    """The comparison itself notices a changed specifier (guards against a vacuous check)."""
    edited = tmp_path / "requirements.txt"
    edited.write_text(BINDER_REQUIREMENTS.read_text().replace("numpy>=1.26,<3", "numpy>=2,<3"))
    full, binder = read_requirements(REQUIREMENTS), read_requirements(edited)
    assert describe(binder["numpy"]) != describe(full["numpy"])
    assert describe(binder["keras"]) == describe(full["keras"])


def test_binder_installs_what_the_package_declares():
    """postBuild installs cnnlab with --no-deps, so binder/requirements.txt must cover its dependencies."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    binder = read_requirements(BINDER_REQUIREMENTS)
    for line in project["dependencies"]:
        declared = Requirement(line)
        name = canonicalize_name(declared.name)
        assert name in binder, f"{declared.name}: a cnnlab dependency missing from binder/requirements.txt"
        assert binder[name].specifier == declared.specifier, (
            f"{declared.name}: binder has {binder[name]}, pyproject.toml declares {declared}")


def test_runtime_is_a_python_version_cnnlab_supports():
    text = RUNTIME.read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", text)
    assert match, f"{RUNTIME}: {text!r} is not of the form python-X.Y (repo2docker's format)"
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert match.group(1) in SpecifierSet(project["requires-python"])


# --- postBuild and start ------------------------------------------------------------------------

@pytest.mark.parametrize("script", [POST_BUILD, START], ids=["postBuild", "start"])
def test_scripts_are_executable_bash(script):
    mode = script.stat().st_mode
    assert mode & stat.S_IXUSR, f"{script} is not executable: run `chmod +x {script.relative_to(REPO)}`"
    assert script.read_text(encoding="utf-8").startswith("#!/bin/bash\n")
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, f"{script}: bash syntax error:\n{result.stderr}"


def test_post_build_installs_cnnlab_and_downloads_every_data_set():
    installs = commands_starting_with(POST_BUILD, INSTALL_COMMAND)
    assert any("--no-deps" in tokens and tokens[-2:] == ["-e", "."] for tokens in installs), (
        "postBuild must install the package itself: python -m pip install --no-deps -e .")
    downloads = commands_starting_with(POST_BUILD, DATA_COMMAND)
    assert len(downloads) == 1, "postBuild must run `python -m cnnlab.data download` once"
    # No names and no --data-dir: every data set, into the cache that sessions search by default.
    assert downloads[0] == list(DATA_COMMAND)


def test_start_sets_the_environment_and_runs_the_session_command():
    lines = [line for line in START.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines[-1] == 'exec "$@"'
    environment = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([str(START), sys.executable, "-c",
                             "import os; print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'), "
                             "os.environ.get('CNNLAB_QUICK'))"],
                            env={**environment, "CNNLAB_QUICK": "1"}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # TensorFlow silenced; a quick-mode choice made outside is passed through, not overridden.
    assert result.stdout.split() == ["3", "1"]


@pytest.fixture
def data_server(tmp_path, serve_folder):
    """Serve one small file per data set file over HTTP on 127.0.0.1: returns (base URL, md5 by path)."""
    root = tmp_path / "served"
    checksums = {}
    for name, dataset in data.DATASETS.items():
        for file_name in dataset.files:
            path = root / dataset.folder / file_name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"{name}/{file_name}".encode() * 100)  # distinct per file
            checksums[path.relative_to(root).as_posix()] = hashlib.md5(path.read_bytes()).hexdigest()

    return serve_folder(root), checksums


def test_post_build_data_step_fills_the_default_cache(data_server, tmp_path, monkeypatch, capsys):
    base_url, checksums = data_server
    # The registry points at the local server, with the checksums of the files it serves.
    for name, dataset in data.DATASETS.items():
        files = {file_name: checksums[f"{dataset.folder}/{file_name}"] for file_name in dataset.files}
        monkeypatch.setitem(data.DATASETS, name, data.Dataset(
            dataset.name, dataset.folder, files, (f"{base_url}{dataset.folder}/",), dataset.class_names))
    # A fresh image user: an empty home, no data directory and no cache override.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    monkeypatch.delenv(data.CACHE_DIR_ENV, raising=False)
    assert not any(data.is_available(name) for name in data.DATASETS)

    (command,) = commands_starting_with(POST_BUILD, DATA_COMMAND)
    assert data.main(command[len(DATA_COMMAND) - 1:]) == 0  # argv after `python -m cnnlab.data`

    # What a launched session sees: every data set found, in the home cache, without a download.
    cache = home / ".cache" / "cnnlab"
    for name, dataset in data.DATASETS.items():
        assert data.find(name) == cache / dataset.folder
        for file_name in dataset.files:
            served = (tmp_path / "served" / dataset.folder / file_name).read_bytes()
            assert (cache / dataset.folder / file_name).read_bytes() == served
    assert capsys.readouterr().out.count(": ready in ") == len(data.DATASETS)


# --- a fresh environment from binder/ alone (slow, opt-in) ------------------------------------------

def run(command, **kwargs):
    """Run ``command``; on failure, fail the test with its output."""
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, (f"`{shlex.join(str(part) for part in command)}` failed "
                                    f"({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


IMPORT_CHECK = """
import pathlib, sys
import cnnlab, cnnlab.data, cnnlab.filters, cnnlab.plots, cnnlab.models, cnnlab.training
import cv2, matplotlib, numpy, tqdm, jupyterlab, notebook, ipykernel, ipywidgets, nbclient, nbformat, nbval, pytest
from cnnlab.runtime import keras
assert pathlib.Path(cnnlab.__file__).resolve().parent == pathlib.Path(sys.argv[1]) / "cnnlab", cnnlab.__file__
assert keras.backend.backend() == "tensorflow", keras.backend.backend()
image = cnnlab.data.sample_image("shapes")
model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),
                          keras.layers.Dense(10)])
print("output", tuple(model(numpy.zeros((2, 28, 28, 1), "float32")).shape), image.dtype)
"""


@pytest.mark.slow_env
@pytest.mark.skipif(os.environ.get(BINDER_ENV_VARIABLE) != "1",
                    reason=f"builds a virtual environment (minutes): set {BINDER_ENV_VARIABLE}=1 "
                           "(.ci/run does)")
def test_fresh_environment_from_binder_files_imports_everything(tmp_path):
    runtime = RUNTIME.read_text(encoding="utf-8").strip().removeprefix("python-")
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    if current != runtime:
        pytest.skip(f"Binder uses Python {runtime}; this interpreter is {current}")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv])  # clean: no system or parent site-packages
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", "-r", BINDER_REQUIREMENTS])
    # postBuild's own install line, with this environment's python in place of repo2docker's.
    for tokens in commands_starting_with(POST_BUILD, INSTALL_COMMAND):
        run([python, *tokens[1:]], cwd=REPO)
    run([python, "-m", "pip", "check"])
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PYTHONPATH", "VIRTUAL_ENV", "KERAS_BACKEND")}
    output = run([python, "-c", IMPORT_CHECK, REPO], cwd=tmp_path, env=environment)
    assert "output (2, 10) uint8" in output
