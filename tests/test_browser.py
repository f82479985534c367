"""JupyterLab in a real browser: open 01_filters, run all cells from the Run menu, check errors and figures.

Needs Chromium and Playwright for Python (both installed by .ci/run); otherwise skipped.
The notebook is copied, outputs cleared, into a temporary folder that JupyterLab serves,
so running it never touches the committed file, and every image checked comes from this run.
A full-page screenshot is saved to artifacts/browser/01_filters.png.
"""

import contextlib
import json
import os
import pathlib
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request

import nbformat
import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "01_filters.ipynb"
SCREENSHOT = REPO / "artifacts" / "browser" / "01_filters.png"
SERVER_START_SECONDS = 120  # JupyterLab on 2 busy cores can take 20 s or more
PAGE_LOAD_MS = 120_000
RUN_ALL_MS = 300_000
MIN_FIGURES = 5
VIEWPORT = {"width": 1400, "height": 1000}
MAX_SCREENSHOT_HEIGHT = 16_000  # Chromium's limit for one captured surface
SCREENSHOT_MARGIN = 120  # pixels below the last cell: room for the status bar

ERROR_PATTERN = re.compile(r"Traceback|Error\b")
STDERR_OUTPUTS = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
CODE_PROMPTS = ".jp-Notebook .jp-CodeCell .jp-InputArea-prompt"
# The status bar's kernel item reads "Python 3 (ipykernel) | Idle" once the kernel has started and is
# free (the toolbar's indicator already says idle while the kernel is still starting).
KERNEL_IDLE_JS = ("[...document.querySelectorAll('.jp-StatusBar-TextItem')]"
                  ".some(item => / \\| Idle$/.test(item.textContent.trim()))")
# Ready: every code cell is in the page and the kernel is idle.
READY = "count => document.querySelectorAll('%s').length === count && %s" % (CODE_PROMPTS, KERNEL_IDLE_JS)
# Done: the kernel is idle, some cell has run, and no cell is still queued or running ("[*]:").
RUN_FINISHED = """() => {
    const prompts = [...document.querySelectorAll('%s')].map(p => p.textContent.trim());
    return %s && prompts.some(p => /\\[\\d+\\]/.test(p)) && !prompts.some(p => p.includes('*'));
}""" % (CODE_PROMPTS, KERNEL_IDLE_JS)


def copy_without_outputs(source, destination):
    """Write ``source`` to ``destination`` with every output and execution count removed."""
    notebook = json.loads(source.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    destination.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return notebook


@pytest.fixture
def lab(tmp_path, chromium, free_port, start_process):
    """JupyterLab on 127.0.0.1 serving a temporary folder: yields (base URL, token, that folder, Chromium)."""
    root, home = tmp_path / "root", tmp_path / "jupyter"
    root.mkdir()
    # Offline: no "get notified about Jupyter news?" prompt, and no fetching of news.
    notification = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = free_port, secrets.token_hex(16)
    environment = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"),
                       JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                       JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
                       TF_CPP_MIN_LOG_LEVEL="3")  # as binder/start does; CNNLAB_DATA_DIR passes through
    environment.pop("MPLBACKEND", None)  # a non-inline backend would keep figures out of the page
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--ServerApp.port_retries=0",
               "--LabApp.extension_manager=readonly"]  # offline: no PyPI queries
    if os.geteuid() == 0:  # CI containers run as root; Jupyter refuses that unless told
        command.append("--allow-root")
    log = (tmp_path / "jupyterlab.log").open("w")
    # Stopped after the test by start_process: SIGTERM (the server shuts its kernels down), then SIGKILL.
    server = start_process(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{_tail(tmp_path / 'jupyterlab.log')}")
            try:
                with urllib.request.urlopen(f"{base_url}/api/status?token={token}", timeout=5):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {SERVER_START_SECONDS} s:\n"
                                f"{_tail(tmp_path / 'jupyterlab.log')}")
                time.sleep(0.5)
        yield base_url, token, root, chromium
    finally:
        log.close()


@contextlib.contextmanager
def open_in_lab(base_url, token, chromium, notebook_name, code_cell_count):
    """Yield a headless Chromium page showing the notebook in JupyterLab once its cells are laid out."""
    from playwright.sync_api import sync_playwright  # present: the chromium fixture checked

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(PAGE_LOAD_MS)
            page.goto(f"{base_url}/lab/tree/{notebook_name}?token={token}")
            page.wait_for_function(READY, arg=code_cell_count, polling=500)
            yield page
        finally:
            browser.close()


def _tail(path, characters=4000):
    return path.read_text(errors="replace")[-characters:]


def test_filters_notebook_runs_in_jupyterlab_and_shows_its_figures(lab):
    base_url, token, root, chromium = lab
    notebook = copy_without_outputs(NOTEBOOK, root / NOTEBOOK.name)
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    figure_cells = sum("plt.show()" in "".join(cell["source"]) for cell in code_cells)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)

    with open_in_lab(base_url, token, chromium, NOTEBOOK.name, len(code_cells)) as page:
        # Through the UI, as a learner would: the Run menu, then "Run All Cells".
        page.locator("#jp-MainMenu .lm-MenuBar-item", has_text="Run").click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]', has_text="Run All Cells").click()
        try:
            page.wait_for_function(RUN_FINISHED, timeout=RUN_ALL_MS, polling=500)
        finally:
            _save_screenshot(page)

        prompts = [text.strip() for text in page.locator(CODE_PROMPTS).all_text_contents()]
        not_run = [index for index, prompt in enumerate(prompts) if not re.search(r"\[\d+\]", prompt)]
        errors = [text for text in page.locator(STDERR_OUTPUTS).all_text_contents()
                  if ERROR_PATTERN.search(text)]
        assert not errors, "error output in the page:\n" + "\n---\n".join(errors)
        assert not not_run, f"code cells {not_run} did not run (prompts {prompts})"
        # Every figure is a decoded image in the page, not just an <img> element.
        images = page.locator(".jp-RenderedImage img")
        decoded = images.evaluate_all("imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length")
        assert images.count() >= max(MIN_FIGURES, figure_cells)
        assert decoded == images.count()
    assert SCREENSHOT.stat().st_size > 0


def _save_screenshot(page):
    """Grow the window to the notebook's full height (JupyterLab scrolls inside a panel), then capture it."""
    for _ in range(2):  # the first pass estimates; cells laid out at the larger size give the true bottom
        bottom = page.evaluate("""() => {
            const panel = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
            const cells = document.querySelectorAll('.jp-NotebookPanel .jp-Cell');
            if (!panel || !cells.length) return 0;
            panel.scrollTop = 0;  // Run All leaves the view at the last cell
            return cells[cells.length - 1].getBoundingClientRect().bottom;
        }""")
        height = min(max(VIEWPORT["height"], bottom + SCREENSHOT_MARGIN), MAX_SCREENSHOT_HEIGHT)
        page.set_viewport_size({"width": VIEWPORT["width"], "height": int(height)})
        page.wait_for_timeout(1000)  # let JupyterLab lay the cells out again
    page.screenshot(path=str(SCREENSHOT), full_page=True)


WIDGET_NOTEBOOK = "widget.ipynb"
WIDGET_CELL = "from cnnlab import widgets\n\nwidgets.kernel_playground()"
FIGURE_IMAGE = ".jp-OutputArea-output.jp-RenderedImage img"
KERNEL_ENTRIES = ".jp-OutputArea-output .widget-text input"  # the nine FloatText weights, row by row
FIGURE_CHANGED = "old => document.querySelector('%s')?.src !== old" % FIGURE_IMAGE


def test_kernel_playground_reacts_to_a_new_weight_in_jupyterlab(lab):
    base_url, token, root, chromium = lab
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WIDGET_CELL)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, root / WIDGET_NOTEBOOK)
    with open_in_lab(base_url, token, chromium, WIDGET_NOTEBOOK, 1) as page:
        page.locator(".jp-Notebook .jp-CodeCell").first.click()
        page.keyboard.press("Shift+Enter")
        page.wait_for_function(RUN_FINISHED, polling=500)
        entries = page.locator(KERNEL_ENTRIES)
        entries.nth(8).wait_for()  # the widget rendered: all nine entries are in the page
        assert page.locator(STDERR_OUTPUTS).count() == 0
        before = page.locator(FIGURE_IMAGE).get_attribute("src")
        entries.nth(0).fill("5")  # top-left weight, as a learner would type it
        entries.nth(0).press("Enter")
        page.wait_for_function(FIGURE_CHANGED, arg=before, polling=200)
        assert page.locator(FIGURE_IMAGE).count() == 1  # updated in place, not appended
        # The preset menu went blank: the kernel no longer matches any preset.
        preset_menu = page.locator(".jp-OutputArea-output .widget-dropdown select")
        assert preset_menu.evaluate("menu => menu.selectedIndex") == -1
