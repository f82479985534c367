"""The Makefile: `make setup` installs the lock; `make lab`, the README's first command, starts JupyterLab
as root too (a container, a cloud VM) and, where no browser can be opened, says which address to open."""

import os
import pathlib
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
START_SECONDS = 120  # JupyterLab on 2 busy cores


def dry_run(*arguments):
    """The commands `make -n` would run, one per line."""
    result = subprocess.run(["make", "-n", *arguments], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_setup_installs_the_lock_then_cnnlab_without_its_dependencies(tmp_path):
    venv = tmp_path / "venv"  # not built yet, so make plans every step
    installs = [line.split(" -m pip install ", 1)[1] for line in dry_run("setup", f"VENV={venv}")
                if " -m pip install " in line]
    assert installs == ["--quiet --upgrade pip", "--quiet -r requirements.lock", "--quiet --no-deps -e ."]


def test_setup_reinstalls_when_the_lock_changes_and_needs_python_3_11():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "\n$(VENV)/.installed: $(LOCK) pyproject.toml\n" in makefile
    assert "sys.version_info < (3, 11)" in makefile and "needs Python 3.11 or newer" in makefile


def test_make_lock_compiles_requirements_txt_into_the_lock_with_uv():
    (command,) = [line for line in dry_run("-o", ".venv/.installed", "lock") if "pip compile" in line]
    assert command.startswith(".venv/bin/uv pip compile ") and command.endswith(" requirements.txt -o requirements.lock")
    assert "--universal" in command and "--upgrade" not in command
    (upgrade,) = [line for line in dry_run("-o", ".venv/.installed", "lock", "UPGRADE=1") if "pip compile" in line]
    assert "--upgrade" in upgrade


def fake_id(folder, uid):
    """A folder holding an `id` command that reports ``uid`` for `id -u`."""
    folder.mkdir()
    command = folder / "id"
    command.write_text(f"#!/bin/sh\necho {uid}\n")
    command.chmod(0o755)
    return folder


def lab_command_line(tmp_path, uid):
    environment = {**os.environ, "PATH": f"{fake_id(tmp_path / f'uid{uid}', uid)}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["make", "-n", "lab"], cwd=REPO, env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if "jupyter lab" in line]
    return line.split()


def test_lab_allows_root_only_when_run_as_root(tmp_path):
    assert "--allow-root" in lab_command_line(tmp_path, 0)
    assert "--allow-root" not in lab_command_line(tmp_path, 1000)


def test_make_lab_starts_jupyterlab_and_prints_the_address_to_open(tmp_path, free_port, start_process):
    if not (REPO / ".venv" / "bin" / "jupyter").exists():
        pytest.skip("no .venv/bin/jupyter: run `make setup` first")
    port = free_port
    runtime = tmp_path / "runtime"
    environment = {**os.environ,
                   "BROWSER": str(tmp_path / "no-such-browser"),  # as on a server: no browser to open
                   "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(runtime),
                   "JUPYTER_DATA_DIR": str(tmp_path / "data")}
    arguments = f"LAB_ARGS=--port={port} --ServerApp.port_retries=0"
    log_path = tmp_path / "lab.log"
    with open(log_path, "w") as log:
        # -o: take the environment as it is (`make setup` is tested by every other command).
        # Stopped (make, JupyterLab and its kernels) after the test by start_process.
        lab = start_process(["make", "-o", ".venv/.installed", "lab", arguments], cwd=REPO, env=environment,
                            stdout=log, stderr=subprocess.STDOUT)
    address = re.compile(rf"http://(?:localhost|127\.0\.0\.1):{port}/lab\S*\?token=(\w+)")
    deadline = time.monotonic() + START_SECONDS
    while not (match := address.search(log_path.read_text(errors="replace"))):
        assert lab.poll() is None, f"make lab exited ({lab.returncode}):\n{log_path.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"no address printed:\n{log_path.read_text()[-3000:]}"
        time.sleep(0.5)
    output = log_path.read_text(errors="replace")
    assert "Running as root is not recommended" not in output
    assert "If no browser window opens" in output.split(match.group(0))[0]  # the hint comes first
    # The printed address works: the server answers with that token. On a busy machine the
    # first request can come a moment before the server accepts connections: retry until the deadline.
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={match.group(1)}",
                                        timeout=30) as response:
                assert response.status == 200
            break
        except urllib.error.URLError as error:
            assert time.monotonic() < deadline, f"the printed address does not answer ({error}):\n{output[-3000:]}"
            time.sleep(0.5)
