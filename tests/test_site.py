"""The course website: built from the stored outputs, then opened in headless Chromium with no network.

The site is built into a temporary folder (scripts/build_site.py, what `make site` runs), served
on 127.0.0.1, and the home page and notebook 02's page are opened with every request to another
host refused: each image must load, maths must be typeset by the bundled MathJax, every local link
must answer, and the page must offer Binder and Colab for its notebook. Screenshots are saved
to artifacts/site/. Needs Chromium and Playwright (as tests/test_browser.py); otherwise the
browser checks skip, and the build checks still run.
"""

import html as html_module
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


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built once for this module: returns its folder."""
    root = tmp_path_factory.mktemp("site")
    return build_site.build(root / "site", staging=root / "src", quiet=True)


def notebook_paths():
    return header.notebooks(header.NOTEBOOK_DIR)


# --- the build ---------------------------------------------------------------------------------

def test_every_notebook_is_a_page_with_its_stored_figures(site):
    for path in notebook_paths():
        page = site / "notebooks" / f"{path.stem}.html"
        assert page.is_file(), f"no page for {path.name}"
        notebook = nbformat.read(path, as_version=4)
        figures = sum("image/png" in output.get("data", {}) for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.outputs)
        html = page.read_text(encoding="utf-8")
        images = re.findall(r'<img[^>]+src="([^"]+\.png)"', html)
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
            assert any("image/png" in output.get("data", {}) for output in cell.outputs), path.name


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
        notebook = nbformat.read(header.NOTEBOOK_DIR / f"{NOTEBOOK}.ipynb", as_version=4)
        figures = sum("image/png" in output.get("data", {}) for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.outputs)
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
