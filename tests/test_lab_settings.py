"""The course's JupyterLab settings: `make lab` and Binder start without the pop-up about Jupyter news.

The settings are one overrides file, binder/overrides.json, which JupyterLab reads from
``<sys.prefix>/share/jupyter/lab/settings/``; `make lab` and binder/postBuild both copy it there.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
OVERRIDES = REPO / "binder" / "overrides.json"
NOTIFICATION = "@jupyterlab/apputils-extension:notification"
SETTINGS_UNDER_PREFIX = pathlib.Path("share", "jupyter", "lab", "settings", "overrides.json")


def effective_notification_defaults(app_settings_dir):
    """The notification plugin's settings as JupyterLab's server hands them to the page."""
    settings_utils = pytest.importorskip("jupyterlab_server.settings_utils")
    schemas = pathlib.Path(pytest.importorskip("jupyterlab").__file__).parent / "schemas"
    result, _ = settings_utils.get_settings(str(app_settings_dir), str(schemas), str(app_settings_dir / "user"),
                                            schema_name=NOTIFICATION)
    properties = result["schema"]["properties"]
    return {name: properties[name]["default"] for name in ("fetchNews", "checkForUpdates")}


def test_the_overrides_turn_off_the_news_pop_up(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    # Without them JupyterLab asks ("none": not decided yet, hence the pop-up).
    assert effective_notification_defaults(plain)["fetchNews"] == "none"
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(OVERRIDES, course / "overrides.json")
    assert effective_notification_defaults(course) == {"fetchNews": "false", "checkForUpdates": False}
    assert list(json.loads(OVERRIDES.read_text())) == [NOTIFICATION]  # nothing else is changed


def install_lines(text):
    return [line.strip().lstrip("@") for line in text.splitlines() if "overrides.json" in line
            and line.strip().lstrip("@").startswith("install ")]


def test_make_lab_and_binder_install_them_where_jupyterlab_reads_them(tmp_path):
    labapp = pytest.importorskip("jupyterlab.labapp")
    # JupyterLab's own answer for this environment: the folder under sys.prefix.
    assert pathlib.Path(labapp.LabApp().app_settings_dir) == pathlib.Path(sys.prefix) / SETTINGS_UNDER_PREFIX.parent

    venv = tmp_path / "venv"
    result = subprocess.run(["make", "-n", "lab", f"VENV={venv}"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (make_line,) = install_lines(result.stdout)
    subprocess.run(["bash", "-c", make_line], cwd=REPO, check=True)
    assert (venv / SETTINGS_UNDER_PREFIX).read_bytes() == OVERRIDES.read_bytes()

    # postBuild's line, with `python` reporting Binder's environment prefix.
    prefix, fake = tmp_path / "binder-prefix", tmp_path / "bin"
    fake.mkdir()
    (fake / "python").write_text(f"#!/bin/sh\necho {prefix}\n")
    (fake / "python").chmod(0o755)
    (binder_line,) = install_lines((REPO / "binder" / "postBuild").read_text(encoding="utf-8"))
    environment = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(["bash", "-c", binder_line], cwd=REPO, check=True, env=environment)
    assert (prefix / SETTINGS_UNDER_PREFIX).read_bytes() == OVERRIDES.read_bytes()
