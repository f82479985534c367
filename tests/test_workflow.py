"""The instructors' GitHub workflow: valid syntax (checked offline) and the triggers and steps it promises."""

import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "nbval.yml"
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


@pytest.fixture(scope="module")
def workflow():
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as the boolean True.
    loaded["on"] = loaded.pop(True, loaded.get("on"))
    return loaded


def steps(workflow):
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_workflow_matches_the_github_schema():
    result = validate(WORKFLOW)
    assert result.returncode == 0, f"{WORKFLOW} is not a valid workflow:\n{result.stdout}{result.stderr}"


def test_validator_rejects_a_broken_workflow(tmp_path):
    """Guards against a validator that accepts anything: a misspelt key must fail."""
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8").replace("runs-on:", "runs_on:", 1))
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
