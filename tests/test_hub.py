"""The course on a real JupyterHub, handed out with an nbgitpuller link.

A JupyterHub on 127.0.0.1 (dummy authenticator, local-process spawner, configurable-http-proxy from
npm) and a git server on 127.0.0.1 holding a copy of notebooks/ as the course. A learner opens the
nbgitpuller link, logs in, and the course is cloned into their home; notebook 01 runs in their kernel
(through the server's REST and websocket APIs, as JupyterLab does); they edit an exercise cell; an
upstream change to notebook 02 arrives with a second click of the link, and the edit is still there.
The test starts and stops every process itself, and sends traffic to 127.0.0.1 only.

Needs jupyterhub and nbgitpuller (requirements.txt), git (with git daemon), node and
configurable-http-proxy: found on PATH, in CNNLAB_CHP, or where .ci/run installs it (build/node,
`npm install --prefix build/node configurable-http-proxy`); otherwise skipped, saying what is missing.
"""

import contextlib
import datetime
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import uuid

import nbformat
import pytest

from cnnlab import check

REPO = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
CHP_ENV = "CNNLAB_CHP"
CHP_LOCAL = REPO / "build" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
ENABLE_HINT = ("pip install -r requirements.txt, apt-get install git nodejs npm, and "
               "npm install --prefix build/node configurable-http-proxy (or set CNNLAB_CHP)")
USER, PASSWORD = "learner", secrets.token_hex(8)
HUB_START_SECONDS = 90
SPAWN_SECONDS = 120  # the single-user server starts JupyterLab: 20 s or more on 2 busy cores
REQUEST_SECONDS = 60
PULL_SECONDS = 120
RUN_SECONDS = 300  # notebook 01 in quick mode takes about 4 s on an idle machine
STOP_SECONDS = 30
EDIT = "gray_value = 0.299 * 200 + 0.587 * 100 + 0.114 * 50  # the learner's answer"
UPSTREAM_CHANGE = "An instructor's note added upstream after the first click."

requests = pytest.importorskip("requests", reason=f"requests is missing: {ENABLE_HINT}")
websocket = pytest.importorskip("websocket", reason=f"websocket-client is missing: {ENABLE_HINT}")
pytest.importorskip("jupyterhub", reason=f"JupyterHub is missing: {ENABLE_HINT}")
pytest.importorskip("nbgitpuller", reason=f"nbgitpuller is missing: {ENABLE_HINT}")
CHP = os.environ.get(CHP_ENV) or shutil.which("configurable-http-proxy") or (
    str(CHP_LOCAL) if CHP_LOCAL.exists() else None)

def git_daemon():
    """The path of git's own server (git daemon), or None."""
    if not shutil.which("git"):
        return None
    exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, timeout=30).stdout.strip()
    daemon = pathlib.Path(exec_path) / "git-daemon"
    return daemon if daemon.exists() else None


MISSING = [name for name, found in [("configurable-http-proxy", CHP), ("node", shutil.which("node")),
                                    ("git daemon", git_daemon())] if not found]
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"{', '.join(MISSING)} missing: {ENABLE_HINT}")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def git(*args, cwd):
    """Run git quietly with a fixed identity; fail the test with git's own message."""
    command = ["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@example.org", *args]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"


def publish(work, bare):
    """Commit the work tree and push it to the bare repository."""
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "course update", cwd=work)
    git("push", "-q", str(bare), "HEAD:main", cwd=work)


def listening(port):
    """True once something accepts connections on 127.0.0.1:port."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def course(tmp_path):
    """The course as a git repository that git's own server serves on 127.0.0.1; yield (work tree, bare, URL).

    git daemon speaks git's protocol, which, like GitHub's HTTPS, clones shallow (nbgitpuller's --depth 1).
    """
    work, served = tmp_path / "upstream", tmp_path / "served"
    shutil.copytree(REPO / "notebooks", work / "notebooks", ignore=shutil.ignore_patterns(
        "checkpoints", ".ipynb_checkpoints", "__pycache__"))
    git("init", "-q", "-b", "main", cwd=work)
    served.mkdir()
    bare = served / "course.git"
    git("init", "-q", "--bare", "-b", "main", str(bare), cwd=served)
    publish(work, bare)
    port = free_port()
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1",
                               f"--port={port}", f"--base-path={served}", str(served)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STOP_SECONDS
        while not listening(port):
            assert daemon.poll() is None and time.monotonic() < deadline, "git daemon did not start"
            time.sleep(0.2)
        yield work, bare, f"git://127.0.0.1:{port}/course"  # the clone is named "course"
    finally:
        daemon.terminate()
        daemon.wait(timeout=STOP_SECONDS)


def hub_config(folder, port):
    """Write jupyterhub_config.py for a hub on 127.0.0.1:port whose files all live in folder."""
    settings = {
        "JupyterHub.bind_url": f"http://127.0.0.1:{port}",
        "JupyterHub.hub_ip": "127.0.0.1",
        "JupyterHub.hub_port": free_port(),
        "JupyterHub.db_url": f"sqlite:///{folder / 'hub.sqlite'}",
        "JupyterHub.cookie_secret_file": str(folder / "cookie_secret"),
        "JupyterHub.pid_file": str(folder / "hub.pid"),
        "ConfigurableHTTPProxy.command": [CHP],
        "ConfigurableHTTPProxy.api_url": f"http://127.0.0.1:{free_port()}",
        "ConfigurableHTTPProxy.pid_file": str(folder / "proxy.pid"),
        "JupyterHub.authenticator_class": "dummy",
        "DummyAuthenticator.password": PASSWORD,
        "Authenticator.allow_all": True,
        "JupyterHub.spawner_class": "simple",
        "SimpleLocalProcessSpawner.home_dir_template": str(folder / "home" / "{username}"),
        "Spawner.cmd": [str(BIN / "jupyterhub-singleuser")],
        # Jupyter refuses to run as root (CI containers) unless told so.
        "Spawner.args": ["--allow-root"] if os.geteuid() == 0 else [],
        "Spawner.ip": "127.0.0.1",
        "Spawner.start_timeout": SPAWN_SECONDS,
        "Spawner.http_timeout": SPAWN_SECONDS,
        "Spawner.environment": {"CNNLAB_QUICK": "1"},
    }
    path = folder / "jupyterhub_config.py"
    path.write_text("".join(f"c.{name} = {value!r}\n" for name, value in settings.items()))
    return path


def wait_for(condition, seconds, what, log):
    """Call condition() until it returns something true, for at most `seconds`; return that."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            result = condition()
            if result:
                return result
        time.sleep(1)
    pytest.fail(f"{what} within {seconds} s; the hub's log ends:\n{log_tail(log)}")


def log_tail(log, lines=40):
    """The last lines of the hub's log file."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def alive(pid):
    """True while a process with this id runs (a zombie, ended but not yet reaped, does not count)."""
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (ProcessLookupError, PermissionError):
        return False
    except OSError:  # no /proc: trust kill's answer
        return True


def stop(pid, seconds=STOP_SECONDS):
    """SIGTERM a process we started, then SIGKILL it if it is still there after `seconds`."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + seconds
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def spawned_pids(database):
    """The process ids of the single-user servers the hub has started, from its database."""
    with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(database)) as connection:
        return [json.loads(state or "{}").get("pid") for (state,) in
                connection.execute("SELECT state FROM spawners")]
    return []


@pytest.fixture
def hub(tmp_path):
    """Run JupyterHub on 127.0.0.1; yield its base URL; stop it, its proxy and its servers."""
    folder, port = tmp_path / "hub", free_port()
    folder.mkdir()
    log = folder / "hub.log"
    with open(log, "w") as output:
        process = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(hub_config(folder, port))],
                                   cwd=folder, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    servers = []
    try:
        wait_for(lambda: process.poll() is None and requests.get(
            f"{url}/hub/health", timeout=5).ok or process.poll() is not None, HUB_START_SECONDS,
            "JupyterHub did not answer", log)
        assert process.poll() is None, f"JupyterHub exited:\n{log_tail(log)}"
        yield url, log, folder / "home" / USER, lambda: servers.extend(spawned_pids(folder / "hub.sqlite"))
    finally:
        servers.extend(spawned_pids(folder / "hub.sqlite"))
        proxy_file = folder / "proxy.pid"
        proxy = int(proxy_file.read_text()) if proxy_file.exists() else None
        process.terminate()  # the hub stops the servers it spawned and its proxy on the way out
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)
        for pid in {pid for pid in servers if pid} | ({proxy} if proxy else set()):
            if alive(pid):  # the hub could not stop them: stop them by their ids
                stop(pid)


def nbgitpuller_link(hub_url, repo_url, urlpath):
    """The link an instructor hands out: clone or update repo_url in the learner's home, then open urlpath."""
    query = urllib.parse.urlencode({"repo": repo_url, "branch": "main", "urlpath": urlpath})
    return f"{hub_url}/hub/user-redirect/git-pull?{query}"


def click(browser, link, hub_url, log):
    """Open the link as a browser would: log in if asked, wait for the server, then pull like its page does."""
    response = browser.get(link, timeout=REQUEST_SECONDS)
    if "/hub/login" in response.url:  # not logged in: the hub shows its login form, with next= the link
        xsrf = browser.cookies.get("_xsrf", path="/hub/")
        response = browser.post(response.url, data={"username": USER, "password": PASSWORD, "_xsrf": xsrf},
                                timeout=REQUEST_SECONDS)
        assert response.ok, response.text[:500]
    server = f"{hub_url}/user/{USER}/"

    def reached_nbgitpuller():  # the hub's spawn page polls, then forwards the browser to the server
        page = browser.get(link, timeout=REQUEST_SECONDS)
        return page if page.ok and page.url.startswith(server + "git-pull") else None

    page = wait_for(reached_nbgitpuller, SPAWN_SECONDS, "the learner's server did not show nbgitpuller's page",
                    log)
    # nbgitpuller's page streams the pull from its API, then sends the browser to urlpath.
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query))
    events = []
    with browser.get(server + "git-pull/api", params=query, stream=True, timeout=PULL_SECONDS) as stream:
        for line in stream.iter_lines(decode_unicode=True):
            if line and line.startswith("data: "):
                events.append(json.loads(line[len("data: "):]))
                if events[-1].get("phase") in ("finished", "error"):
                    break
    assert events and events[-1]["phase"] == "finished", events[-3:]
    opened = browser.get(server + query["urlpath"], timeout=REQUEST_SECONDS)
    assert opened.ok, opened.status_code
    return server


def api(browser, server, method, path, **kwargs):
    """Call the learner's Jupyter server REST API with the browser's cookies and XSRF token."""
    xsrf = browser.cookies.get("_xsrf", path=urllib.parse.urlparse(server).path)
    response = browser.request(method, server + "api/" + path, headers={"X-XSRFToken": xsrf or ""},
                               timeout=REQUEST_SECONDS, **kwargs)
    assert response.ok, f"{method} {path}: {response.status_code} {response.text[:300]}"
    return response.json() if response.content else None


def execute(browser, server, kernel_id, sources):
    """Run code cells in a kernel over its websocket, as JupyterLab does; return (errors, printed text)."""
    url = server.replace("http://", "ws://") + f"api/kernels/{kernel_id}/channels"
    cookie = "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies)
    connection = websocket.create_connection(url, header=[f"Cookie: {cookie}"], timeout=RUN_SECONDS)
    session, errors, printed = uuid.uuid4().hex, [], []
    deadline = time.monotonic() + RUN_SECONDS
    try:
        for source in sources:
            msg_id = uuid.uuid4().hex
            connection.send(json.dumps({
                "header": {"msg_id": msg_id, "session": session, "username": USER, "version": "5.3",
                           "msg_type": "execute_request", "date": datetime.datetime.now(datetime.timezone.utc)
                           .isoformat()},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": source, "silent": False, "store_history": True, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True}}))
            while time.monotonic() < deadline:
                frame = connection.recv()
                if isinstance(frame, bytes):  # a message with binary buffers (widgets): not an error
                    continue
                message = json.loads(frame)
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if message["msg_type"] == "stream":
                    printed.append(message["content"]["text"])
                if message["msg_type"] == "error":
                    errors.append(f"{message['content']['ename']}: {message['content']['evalue']}")
                if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                    break
            else:
                pytest.fail(f"the notebook did not finish within {RUN_SECONDS} s")
    finally:
        connection.close()
    return errors, "".join(printed)


def test_a_learner_gets_the_course_from_an_nbgitpuller_link_and_keeps_their_work(course, hub):
    work, bare, repo_url = course
    hub_url, log, home, note_servers = hub
    link = nbgitpuller_link(hub_url, repo_url, "lab/tree/course/notebooks/01_filters.ipynb")
    assert all(urllib.parse.urlparse(url).hostname == "127.0.0.1" for url in (link, repo_url))
    browser = requests.Session()

    server = click(browser, link, hub_url, log)
    note_servers()
    listing = api(browser, server, "GET", "contents/course/notebooks")
    names = {item["name"] for item in listing["content"]}
    assert {"01_filters.ipynb", "02_convolution.ipynb"} <= names, names

    notebook_path = "course/notebooks/01_filters.ipynb"
    session = api(browser, server, "POST", "sessions", json={
        "path": notebook_path, "name": "01_filters.ipynb", "type": "notebook", "kernel": {"name": "python3"}})
    model = api(browser, server, "GET", f"contents/{notebook_path}")
    notebook = nbformat.from_dict(model["content"])
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    errors, printed = execute(browser, server, session["kernel"]["id"],
                              sources + ["import os\n\nprint(os.getcwd())"])
    assert errors == []
    assert printed.count("Not attempted yet: ") == len(check.NOTEBOOK_EXERCISES["01_filters"])
    assert printed.splitlines()[-1] == str(home / "course" / "notebooks")  # the learner's kernel, in their home

    # The learner answers exercise 1 and saves, as JupyterLab's save does.
    cell = next(cell for cell in notebook.cells if cell.source.endswith("check.grayscale_pixel(gray_value)"))
    cell.source = EDIT + "\ncheck.grayscale_pixel(gray_value)"
    api(browser, server, "PUT", f"contents/{notebook_path}",
        json={"type": "notebook", "format": "json", "content": notebook})

    # Upstream, the instructor changes another notebook; the learner clicks the same link again.
    upstream = work / "notebooks" / "02_convolution.ipynb"
    changed = nbformat.read(upstream, as_version=4)
    changed.cells.insert(1, nbformat.v4.new_markdown_cell(UPSTREAM_CHANGE))
    nbformat.write(changed, upstream)
    publish(work, bare)
    click(browser, link, hub_url, log)

    second = api(browser, server, "GET", "contents/course/notebooks/02_convolution.ipynb")
    assert second["content"]["cells"][1]["source"] == UPSTREAM_CHANGE
    first = api(browser, server, "GET", f"contents/{notebook_path}")
    assert any(cell["source"].startswith(EDIT) for cell in first["content"]["cells"])
    api(browser, server, "DELETE", f"sessions/{session['id']}")
