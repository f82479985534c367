"""The GitHub workflows: valid syntax (checked offline) and the triggers and steps they promise.

nbval.yml is the instructors' CI (make setup from the lock, make test, the JAX run, all strict) and a
weekly drift job (the newest releases within the ranges, quick notebooks); pages.yml builds the
course website with `make site` and publishes it to GitHub Pages on pushes to main.
"""

import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
WORKFLOW = WORKFLOWS / "nbval.yml"
PAGES_WORKFLOW = WORKFLOWS / "pages.yml"
# check-jsonschema ships a copy of the GitHub workflow schema, so validation needs no network.
VALIDATOR_SCHEMA = "vendor.github-workflows"
REQUIRED_TRIGGERS = ("push", "pull_request", "schedule")


def validator_command():
    """check-jsonschema from this interpreter's environment, else from PATH; None when absent."""
    beside = pathlib.Path(sys.executable).parent / "check-jsonschema"
    found = beside if beside.exists() else shutil.which("check-jsonschema")
    return [str(found)] if found else None


def validate(path):
    command = validator_command()
    if command is None:
        pytest.skip("check-jsonschema is not installed: pip install -r requirements.txt")
    return subprocess.run([*command, "--builtin-schema", VALIDATOR_SCHEMA, str(path)],
                          capture_output=True, text=True, timeout=120)


def load(path):
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as the boolean True.
    loaded["on"] = loaded.pop(True, loaded.get("on"))
    return loaded


@pytest.fixture(scope="module")
def workflow():
    return load(WORKFLOW)


@pytest.fixture(scope="module")
def pages():
    return load(PAGES_WORKFLOW)


def steps(workflow):
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


ALL_WORKFLOWS = sorted(WORKFLOWS.glob("*.yml"))


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=[path.name for path in ALL_WORKFLOWS])
def test_workflow_matches_the_github_schema(path):
    result = validate(path)
    assert result.returncode == 0, f"{path} is not a valid workflow:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=[path.name for path in ALL_WORKFLOWS])
def test_validator_rejects_a_broken_workflow(tmp_path, path):
    """Guards against a validator that accepts anything: a misspelt key must fail."""
    broken = tmp_path / "broken.yml"
    broken.write_text(path.read_text(encoding="utf-8").replace("runs-on:", "runs_on:", 1))
    result = validate(broken)
    assert result.returncode != 0 and "runs_on" in result.stdout


def test_triggers_include_push_pull_requests_and_a_weekly_schedule(workflow):
    triggers = workflow["on"]
    missing = [name for name in REQUIRED_TRIGGERS if name not in triggers]
    assert not missing, f"{WORKFLOW}: missing trigger(s) {', '.join(missing)}"
    (schedule,) = triggers["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert (day, month) == ("*", "*") and weekday != "*", f"not weekly: {schedule['cron']!r}"


def test_runs_the_readme_commands_with_a_cached_data_directory(workflow):
    commands = [step.get("run", "") for step in steps(workflow)]
    assert any(command.strip() == "make setup" for command in commands)
    assert any(command.strip() == "make test" for command in commands)
    assert "make test" in (REPO / "README.md").read_text(encoding="utf-8")
    data_dir = workflow["jobs"]["nbval"]["env"]["CNNLAB_DATA_DIR"]
    caches = [step for step in steps(workflow) if step.get("uses", "").startswith("actions/cache@")]
    assert caches and caches[0]["with"]["path"] in data_dir
    download = next(step for step in steps(workflow) if "cnnlab.data download" in step.get("run", ""))
    assert '--data-dir "$CNNLAB_DATA_DIR"' in download["run"]
    assert "cache-hit" in download["if"]  # only when the cache missed
    uploads = [step for step in steps(workflow) if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads and uploads[0]["with"]["path"].startswith("artifacts")


def test_the_main_job_installs_the_lock_and_runs_strict(workflow):
    job = workflow["jobs"]["nbval"]
    assert job["env"]["CNNLAB_STRICT"] == "1"
    assert "if" not in job  # every trigger, the weekly one too
    (setup_python,) = [step for step in job["steps"] if step.get("uses", "").startswith("actions/setup-python@")]
    assert setup_python["with"]["cache-dependency-path"] == "requirements.lock"
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "-r $(LOCK)" in makefile and re.search(r"^LOCK = requirements\.lock$", makefile, re.MULTILINE)


def test_a_weekly_drift_job_runs_the_quick_notebooks_on_the_newest_releases(workflow):
    job = workflow["jobs"]["drift"]
    assert "schedule" in job["if"] and "push" not in job["if"] and "pull_request" not in job["if"]
    assert job["env"]["CNNLAB_QUICK"] == "1" and job["env"]["CNNLAB_STRICT"] == "1"
    commands = "\n".join(step.get("run", "") for step in job["steps"])
    # Ranges, newest first; never the lock.
    assert "install --upgrade --upgrade-strategy eager -r requirements.txt" in commands
    assert "requirements.lock" not in commands and "make setup" not in commands
    (test,) = [step["run"] for step in job["steps"] if "pytest" in step.get("run", "")]
    assert "tests notebooks" in test and "--nbval" in test
    # The slow environment builds are deselected, not skipped (a skip would fail the strict run).
    assert '-m "not slow_env"' in test
    assert "3.11" in job["strategy"]["matrix"]["python-version"]


def test_runs_the_jax_backend_and_the_colab_environment_test(workflow):
    commands = [step.get("run", "").strip() for step in steps(workflow)]
    assert "make test-jax" in commands
    assert commands.index("make test-jax") > commands.index("make test")
    assert workflow["jobs"]["nbval"]["env"].get("CNNLAB_TEST_COLAB_ENV") == "1"


# --- pages.yml: the course website -------------------------------------------------------------

def test_pages_publishes_on_pushes_to_main_only(pages):
    triggers = pages["on"]
    assert triggers["push"]["branches"] == ["main"]
    assert "pull_request" not in triggers and "schedule" not in triggers


def test_pages_builds_with_make_site_and_uploads_that_folder(pages):
    build_steps = pages["jobs"]["build"]["steps"]
    commands = [step.get("run", "").strip() for step in build_steps]
    assert "make site" in commands
    # The uploaded folder is the one `make site` writes.
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    site_folder = re.search(r"^SITE = (\S+)$", makefile, re.MULTILINE).group(1)
    (upload,) = [step for step in build_steps if step.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert upload["with"]["path"] == site_folder
    assert commands.index("make site") < build_steps.index(upload)
    assert "make site" in (REPO / "README.md").read_text(encoding="utf-8")


def test_pages_deploys_with_the_permissions_it_needs_and_no_more(pages):
    assert pages["permissions"] == {"contents": "read"}  # the build job reads only
    deploy = pages["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    (step,) = deploy["steps"]
    assert step["uses"].startswith("actions/deploy-pages@")
    assert step["id"] in deploy["environment"]["url"]


# --- .ci/run: the same checks as nbval.yml -----------------------------------------------------------

def test_ci_script_runs_the_readme_command_then_the_jax_run_with_the_slow_checks_on():
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert "make test" in lines and "make test-jax" in lines
    assert lines.index("make test") < lines.index("make test-jax")
    for variable in ("CNNLAB_TEST_BINDER_ENV", "CNNLAB_TEST_COLAB_ENV", "CNNLAB_STRICT"):
        assert f"export {variable}=1" in lines[:lines.index("make test")]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ntest-jax:", 1)[1].split("\n\n", 1)[0]
    assert "KERAS_BACKEND=jax" in recipe and "CNNLAB_QUICK=1" in recipe and "--nbval" in recipe
    notebooks = re.search(r"^JAX_NOTEBOOKS = (.+)$", makefile, re.MULTILINE).group(1)
    assert "04_mnist_cnn.ipynb" in notebooks
