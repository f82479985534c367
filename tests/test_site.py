"""The course website: built from the stored outputs, then opened in headless Chromium with no network.

The site is built once, into a temporary folder (scripts/build_site.py, what `make site` runs), in
a separate Python process where importing TensorFlow or Keras fails: the site needs neither. It is
served on 127.0.0.1, and the home page and notebook 02's page are opened with every request to
another host refused: each image must load, maths must be typeset by the bundled MathJax, every
local link must answer, and the page must offer Binder and Colab for its notebook. Then axe-core
checks every page for accessibility (no serious or critical violation). Screenshots and the axe
report are saved to artifacts/site/. Needs Chromium and Playwright (as tests/test_browser.py) and
axe-core from npm (`npm install --prefix build/axe axe-core@4`, or CNNLAB_AXE naming axe.min.js);
otherwise the browser checks skip, and the build checks still run.
"""

import ast
import json
import subprocess
import sys

import html as html_module
import os
import pathlib
import re
import urllib.error
import urllib.parse
import urllib.request

import nbformat
import pytest

from scripts import build_site
from scripts import notebook_header as header

REPO = pathlib.Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts" / "site"
NOTEBOOK = "02_convolution"  # maths, figures and both widgets' static figures
VIEWPORT = {"width": 1400, "height": 1000}
PAGE_LOAD_MS = 60_000
# Sphinx 9 deprecations inside myst-parser and sphinx-book-theme, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:.*is deprecated. Check CHANGES for Sphinx API")
MATHJAX_DONE = "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
# Written out by hand, not by the generator under test: the launch addresses of a notebook's path.
COLAB_URL = "https://colab.research.google.com/github/cnnlab/cnnlab/blob/main/{}"
BINDER_URL = "https://mybinder.org/v2/gh/cnnlab/cnnlab/main?urlpath=lab/tree/{}"
AXE = pathlib.Path(os.environ.get("CNNLAB_AXE", REPO / "build/axe/node_modules/axe-core/axe.min.js"))
AXE_HINT = "npm install --prefix build/axe axe-core@4 (or set CNNLAB_AXE to axe.min.js)"
BLOCKING_IMPACTS = {"serious", "critical"}
FIGURE_TYPES = ("image/png", "image/jpeg")
# The build, in a fresh interpreter in which TensorFlow and Keras cannot be imported.
BUILD_WITHOUT_TENSORFLOW = """
import sys

class NoTensorFlow:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras"):
            raise ImportError(f"the site must build without {name}")

sys.meta_path.insert(0, NoTensorFlow())
from scripts import build_site
build_site.build(sys.argv[1], staging=build_site.pathlib.Path(sys.argv[2]), quiet=True)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built once for this module, without TensorFlow: returns its folder."""
    root = tmp_path_factory.mktemp("site")
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", BUILD_WITHOUT_TENSORFLOW, str(root / "site"), str(root / "src")],
                            cwd=REPO, env=environment, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"the site did not build:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return root / "site"


def figure_count(notebook):
    return sum(any(kind in output.get("data", {}) for kind in FIGURE_TYPES) for cell in notebook.cells
               if cell.cell_type == "code" for output in cell.outputs)


def notebook_paths():
    return header.notebooks(header.NOTEBOOK_DIR)


# --- the build ---------------------------------------------------------------------------------

def test_every_notebook_is_a_page_with_its_stored_figures(site):
    for path in notebook_paths():
        page = site / "notebooks" / f"{path.stem}.html"
        assert page.is_file(), f"no page for {path.name}"
        figures = figure_count(nbformat.read(path, as_version=4))
        html = page.read_text(encoding="utf-8")
        images = re.findall(r'<img[^>]+src="([^"]+\.(?:png|jpg|jpeg))"', html)
        stored = [src for src in images if "_images/" in src]
        assert len(stored) == figures, f"{path.name}: {figures} stored figures, {len(stored)} on the page"
        for src in stored:
            assert (page.parent / urllib.parse.unquote(src)).resolve().is_file(), src


def test_widget_views_give_way_to_their_static_figures(site):
    for path in notebook_paths():
        notebook = nbformat.read(path, as_version=4)
        views = [cell for cell in notebook.cells if cell.cell_type == "code" and any(
            build_site.WIDGET_MIME in output.get("data", {}) for output in cell.outputs)]
        html = (site / "notebooks" / f"{path.stem}.html").read_text(encoding="utf-8")
        # Neither the widget's text stand-in ("VBox(children=...)") nor a widget script is on the page.
        assert "VBox(" not in html and "HBox(" not in html and build_site.WIDGET_MIME not in html
        for cell in views:  # the widget cell still shows a figure: the one the widget drew
            assert any(kind in output.get("data", {}) for output in cell.outputs for kind in FIGURE_TYPES), path.name


def test_pages_load_nothing_from_the_web(site):
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|img|iframe)[^>]+src="((?:https?:)?//[^"]+)"', html)
        remote += re.findall(r'<link[^>]+rel="(?:stylesheet|preload|icon)"[^>]+href="((?:https?:)?//[^"]+)"', html)
        assert not remote, f"{page.relative_to(site)} loads {remote}"


def page_text(html):
    """The visible text of an HTML page, tags dropped, with Sphinx's typographic quotes made plain."""
    text = html_module.unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"\s+", " ", text.replace("\u2019", "'").replace("\u2018", "'"))


def test_home_page_lists_every_notebook_and_every_exercise(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    text = page_text(html)
    for path in notebook_paths():
        relative = f"notebooks/{path.name}"
        assert f'href="notebooks/{path.stem}.html"' in html
        assert f'href="{COLAB_URL.format(relative)}"' in html
        assert f'href="{BINDER_URL.format(relative)}"' in html
        notebook = nbformat.read(path, as_version=4)
        # Counted independently of the site script: the bold "N." openings of markdown cells.
        openings = [re.match(r"\*\*\d+\.\s+(.+?)\.?\*\*", cell.source) for cell in notebook.cells
                    if cell.cell_type == "markdown"]
        titles = [match.group(1) for match in openings if match]
        assert titles, f"{path.name}: no exercises found"
        for title in titles:
            assert title in text, f"exercise {title!r} of {path.name} missing from the home page"


# --- in a browser, offline ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright  # present: the chromium fixture checked

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def open_offline(browser, url):
    """A page at ``url`` with requests to any other host refused; returns (page, refused URLs, 4xx/5xx)."""
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(PAGE_LOAD_MS)
    refused, failed = [], []
    origin = urllib.parse.urlsplit(url).netloc

    def route(request_route):
        request_url = request_route.request.url
        if urllib.parse.urlsplit(request_url).netloc == origin or request_url.startswith("data:"):
            request_route.continue_()
        else:
            refused.append(request_url)
            request_route.abort()

    page.route("**/*", route)
    page.on("response", lambda response: failed.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    page.goto(url, wait_until="load")
    return page, refused, failed


def check_images_and_links(page, base_url):
    images = page.locator("img")
    assert images.count() > 0, "no image on the page"
    broken = images.evaluate_all("imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    assert not broken, f"images that did not load: {broken}"
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
    local = sorted({href.split("#")[0] for href in hrefs if href.startswith(base_url)})
    assert local, "no internal link on the page"
    missing = []
    for href in local:
        try:
            with urllib.request.urlopen(href, timeout=10) as response:
                assert response.status == 200
        except urllib.error.HTTPError as error:
            missing.append(f"{error.code} {href}")
    assert not missing, f"internal links that do not resolve: {missing}"
    # Links within the page point at an element that exists.
    fragments = {href.split("#", 1)[1] for href in hrefs
                 if "#" in href and href.split("#")[0] == page.url.split("#")[0] and href.split("#", 1)[1]}
    absent = [fragment for fragment in fragments
              if not page.evaluate("id => !!document.getElementById(decodeURIComponent(id))", fragment)]
    assert not absent, f"anchors with no target on the page: {absent}"
    return local


def screenshot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path


def test_home_page_in_chromium(site, browser, serve_folder):
    base_url = serve_folder(site)
    page, refused, failed = open_offline(browser, base_url + "index.html")
    try:
        local = check_images_and_links(page, base_url)
        for path in notebook_paths():
            assert f"{base_url}notebooks/{path.stem}.html" in local
        assert page.locator("h1").first.inner_text().strip().startswith("cnnlab")
        screenshot(page, "home")
    finally:
        page.close()
    assert not refused, f"the page asked the web for {refused}"
    assert not failed, f"requests that failed: {failed}"


def test_notebook_page_in_chromium_has_figures_maths_and_launch_buttons(site, browser, serve_folder):
    base_url = serve_folder(site)
    page, refused, failed = open_offline(browser, f"{base_url}notebooks/{NOTEBOOK}.html")
    try:
        page.wait_for_function(MATHJAX_DONE)
        page.evaluate("() => MathJax.startup.promise")
        check_images_and_links(page, base_url)
        figures = figure_count(nbformat.read(header.NOTEBOOK_DIR / f"{NOTEBOOK}.ipynb", as_version=4))
        assert page.locator(".cell_output img").count() == figures
        # Maths typeset by the bundled MathJax (the CDN is unreachable here).
        assert page.locator("mjx-container").count() > 0
        # Launch buttons open this notebook of the repository on Binder and Colab.
        relative = f"notebooks/{NOTEBOOK}.ipynb"
        hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
        assert COLAB_URL.format(relative) in hrefs
        assert BINDER_URL.format(relative) in hrefs
        screenshot(page, NOTEBOOK)
    finally:
        page.close()
    assert not refused, f"the page asked the web for {refused}"
    assert not failed, f"requests that failed: {failed}"


# --- what the build needs -----------------------------------------------------------------------

def requirement_lines(path):
    from packaging.requirements import Requirement

    lines = [line.split("#")[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return {requirement.name.lower(): str(requirement.specifier)
            for requirement in map(Requirement, filter(None, lines))}


def test_site_requirements_are_those_of_the_course_without_tensorflow():
    site_only = requirement_lines(REPO / "site" / "requirements.txt")
    full = requirement_lines(REPO / "requirements.txt")
    assert "sphinx" in site_only and "myst-nb" in site_only
    assert not {"tensorflow", "keras", "jax"} & set(site_only)
    for name, specifier in site_only.items():  # one version range for each package, in both files
        assert full.get(name) == specifier, f"{name}: site/requirements.txt has {specifier!r}, " \
                                            f"requirements.txt {full.get(name)!r}"


def test_pages_workflow_installs_the_site_requirements_and_make_site_then_installs_nothing(tmp_path):
    import shutil

    import yaml

    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    script = "\n".join(step.get("run", "") for step in workflow["jobs"]["build"]["steps"])
    assert "-r site/requirements.txt" in script and "-r requirements.txt" not in script
    (stamp,) = re.findall(r"touch (\S+)", script)
    # The same steps on a copy of the Makefile: `make site` must go straight to the build.
    if shutil.which("make") is None:
        pytest.skip("no make")
    for name in ("Makefile", "requirements.txt", "requirements.lock", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    (tmp_path / stamp).parent.mkdir(parents=True)
    (tmp_path / stamp).touch()
    planned = subprocess.run(["make", "-n", "site"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "build_site.py" in planned and "pip install" not in planned, planned


# --- the pages beyond the notebooks ---------------------------------------------------------------

def public_functions(path):
    """Names of the public top-level functions with a docstring in a module's source (read, not imported)."""
    return [node.name for node in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and ast.get_docstring(node)]


def test_every_public_cnnlab_module_has_a_reference_page_with_its_functions(site):
    modules = [path for path in sorted((REPO / "cnnlab").glob("*.py"))
               if not path.stem.startswith("_") and path.stem != "solutions"]
    index = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert len(modules) >= 10
    for path in modules:
        page = site / "api" / f"{path.stem}.html"
        assert page.is_file(), f"no reference page for cnnlab.{path.stem}"
        assert f'href="{path.stem}.html"' in index
        html = page.read_text(encoding="utf-8")
        # autodoc's rendered signatures (an id per documented object), not reStructuredText left as text
        assert ".. py:" not in html and ".. automodule" not in html
        for name in public_functions(path):
            assert f'id="cnnlab.{path.stem}.{name}"' in html, f"cnnlab.{path.stem}.{name} is not documented"
    # The notebooks' own helpers, by hand: the Sobel figures of 01 and the signed maps of 03.
    assert 'id="cnnlab.plots.plot_signed"' in (site / "api" / "plots.html").read_text(encoding="utf-8")


def test_set_up_page_covers_make_and_the_data_folder(site):
    text = page_text((site / "setup.html").read_text(encoding="utf-8"))
    for needed in ("make setup", "make lab", "CNNLAB_DATA_DIR", "python -m cnnlab.data download",
                   "cifar-10-binary.tar.gz", "CNNLAB_QUICK=1"):
        assert needed in text, f"the set-up page does not mention {needed!r}"
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="setup.html"' in home and 'href="solutions/index.html"' in home and 'href="api/index.html"' in home


def test_every_page_of_site_folder_is_built_and_in_the_menu(site):
    """site/*.md pages (set-up; instructors, when present) are built and listed in the menu."""
    names = [path.stem for path in (REPO / "site").glob("*.md") if path.stem != "index"]
    assert "setup" in names
    home = (site / "index.html").read_text(encoding="utf-8")
    for name in names:
        assert (site / f"{name}.html").is_file(), f"site/{name}.md was not built"
        assert f'href="{name}.html"' in home, f"site/{name}.md is not in the menu"


def test_solutions_pages_show_every_worked_solution(site):
    from cnnlab import solutions

    shown = {}
    for path in notebook_paths():
        page = site / "solutions" / f"{path.stem}.html"
        assert page.is_file(), f"no solutions page for {path.name}"
        text = page_text(page.read_text(encoding="utf-8"))
        assert f"{path.stem}.html#exercises" in page.read_text(encoding="utf-8")  # back to the exercises
        # Each exercise cell's check line (read from the notebook here) and its solution's code.
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            match = re.search(r"^check\.(\w+)\(", cell.source, re.MULTILINE) if cell.cell_type == "code" else None
            if match:
                shown[match.group(1)] = text
    assert set(shown) == set(solutions.SOLUTIONS)
    for exercise, text in shown.items():
        # Compared without spaces: highlighting wraps every token in its own element.
        code = "".join(solutions.code(exercise).split())
        assert code in "".join(text.split()), f"the solution of {exercise!r} is not on its page"


ALT_SPOT_CHECKS = {  # by hand, from the notebooks' code: what some figure's text must say
    "01_filters": ['titled "Grace Hopper"', 'titled "Sobel x"', 'titled "Sobel y: horizontal edges"'],
    "03_pooling": ['"max pooled 2x2"', 'one for each of "raw pixels"'],
    "04_mnist_cnn": ["Line plot of learning rate against training step", "confusion matrix"],
    "05_cifar10": ['"photo", "mirror", "up-left"', 'Bar chart, series "one-hot"'],
}


def test_every_figure_has_alternative_text_that_says_what_it_shows(site):
    for path in notebook_paths():
        html = (site / "notebooks" / f"{path.stem}.html").read_text(encoding="utf-8")
        alts = [html_module.unescape(alt) for alt in re.findall(r'<img[^>]+alt="([^"]*)"[^>]+src="[^"]*_images/', html)]
        assert len(alts) == figure_count(nbformat.read(path, as_version=4)), path.name
        for alt in alts:
            assert len(alt.split()) >= 5, f"{path.name}: alt text too thin: {alt!r}"
            assert not re.search(r"\.(png|jpe?g)\b|_images|^figure\b", alt, re.IGNORECASE), f"{path.name}: {alt!r}"
        for words in ALT_SPOT_CHECKS.get(path.stem, []):
            assert any(words in alt for alt in alts), f"{path.name}: no figure's text says {words!r}"
    home = (site / "index.html").read_text(encoding="utf-8")
    (home_alt,) = re.findall(r'<img[^>]+alt="([^"]*)"[^>]+src="_images/home-figure', home)
    assert "Sobel" in html_module.unescape(home_alt)  # the widest figure of 01: Sobel responses


# --- accessibility: axe-core in Chromium, over every page ------------------------------------------

def test_every_page_passes_axe_with_no_serious_or_critical_violation(site, browser, serve_folder):
    if not AXE.is_file():
        pytest.skip(f"no axe-core at {AXE}: {AXE_HINT}")
    base_url = serve_folder(site)
    pages = sorted(path.relative_to(site).as_posix() for path in site.rglob("*.html")
                   if not path.relative_to(site).as_posix().startswith("_static/"))
    assert len(pages) >= 30  # home, set-up, 6 notebooks, 7 solutions, the reference, index, search
    report, blocking = {}, []
    for relative in pages:
        page, refused, failed = open_offline(browser, base_url + relative)
        try:
            if page.evaluate("() => !!window.MathJax"):
                page.wait_for_function(MATHJAX_DONE)
                page.evaluate("() => MathJax.startup.promise")
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
        finally:
            page.close()
        report[relative] = [{"id": item["id"], "impact": item["impact"], "nodes": len(item["nodes"]),
                             "targets": [node["target"] for node in item["nodes"][:5]]} for item in violations]
        blocking += [f"{relative}: {item['id']} ({item['impact']}, {item['nodes']} elements, e.g. {item['targets'][:2]})"
                     for item in report[relative] if item["impact"] in BLOCKING_IMPACTS]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    assert not blocking, f"{len(blocking)} serious or critical axe violations:\n" + "\n".join(blocking)
