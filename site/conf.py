"""Sphinx configuration of the course website (built by scripts/build_site.py, `make site`).

Sphinx with MyST-NB renders the notebooks with their stored outputs (nothing is executed) in
sphinx-book-theme, whose launch buttons open each page's notebook on Binder or Colab. Every
asset comes from the installed packages (the theme bundles its CSS, JavaScript and icons;
sphinx-mathjax-offline bundles MathJax 3), so the build and the pages need no network.
The reference pages come from cnnlab's docstrings (autodoc), with TensorFlow, Keras and the
other heavy imports mocked: site/requirements.txt is all the build needs.
"""

import json
import pathlib
import re
import sys

from docutils import nodes
from sphinx.ext.autodoc.mock import mock

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from scripts import notebook_header as header  # noqa: E402  (the one place naming the repository)

project = "cnnlab"
author = "the cnnlab authors"
copyright = "cnnlab authors, MIT licence"
root_doc = "index"

extensions = [
    "myst_nb",                 # notebooks and Markdown pages
    "sphinx-mathjax-offline",  # MathJax served from the site itself, not a CDN
    "sphinx.ext.githubpages",  # .nojekyll, so GitHub Pages serves _static/ as it is
    "sphinx.ext.autodoc",      # the reference pages, from cnnlab's docstrings
    "sphinx.ext.napoleon",     # which are numpy-style
]
# Imported by cnnlab modules but not needed to read their docstrings (and TensorFlow is large).
autodoc_mock_imports = ["tensorflow", "keras", "jax", "cv2", "ipywidgets", "IPython", "tqdm"]
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpy-style "Parameters" sections already give every type
napoleon_google_docstring = False
# Accessibility fixes to the theme (tests/test_site.py runs axe-core): readable coloured terminal
# output and a search button named as it reads (stylesheet), named section toggles (script).
html_static_path = ["_static"]
html_css_files = ["cnnlab.css"]
html_js_files = ["cnnlab.js"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# Stored outputs only: the site shows what the committed full run printed and drew.
nb_execution_mode = "off"
nb_output_stderr = "remove"  # TensorFlow's log lines are not course material
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 2  # links such as notebooks/01_filters.ipynb#exercises resolve

html_theme = "sphinx_book_theme"
html_title = "cnnlab: convolutional neural networks, taught in runnable notebooks"
html_baseurl = header.PAGES_URL
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "repository_url": f"https://github.com/{header.REPOSITORY}",
    "repository_branch": header.BRANCH,
    "path_to_docs": "",  # the site's sources mirror the repository: notebooks/NAME.ipynb
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "notebook_interface": "jupyterlab",
    },
    "show_toc_level": 2,
}


# Alternative text of the notebooks' figures, written by scripts/build_site.py into the staging
# folder (the key is the SHA-256 of the PNG, which MyST-NB also names the image file by).
ALT_TEXT = "_alt_text.json"
ABSOLUTE_VALUE = re.compile(r"(?<![\\`])\|([^|`\s][^|`]*)\|(?!`)")


def apply_alt_text(app, doctree, docname):
    path = pathlib.Path(app.srcdir) / ALT_TEXT
    alts = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    for image in doctree.findall(nodes.image):
        text = alts.get(pathlib.PurePosixPath(image["uri"]).stem)
        if text:
            image["alt"] = text


def skip_foreign_member(app, what, name, obj, skip, options):
    """Leave out members a cnnlab class inherits from elsewhere (Matplotlib's generated ``set``)."""
    module = getattr(obj, "__module__", None)
    if what == "class" and isinstance(module, str) and not module.startswith("cnnlab"):
        return True
    return None


def escape_bars(app, what, name, obj, options, lines):
    """``max |x|`` in a docstring means an absolute value, not an rST substitution: escape it."""
    lines[:] = [ABSOLUTE_VALUE.sub(r"\\|\1\\|", line) for line in lines]


def setup(app):
    app.connect("autodoc-skip-member", skip_foreign_member)
    app.connect("autodoc-process-docstring", escape_bars)
    # After MyST-NB's post-transforms, which pick each output's image among its formats.
    app.connect("doctree-resolved", apply_alt_text)
    # autodoc mocks these only while it imports a module; Sphinx later imports a mocked base
    # class's module (keras) again to read its source. Keep them mocked for the whole build, so
    # that TensorFlow is never imported, whether installed or not.
    mocked = mock(autodoc_mock_imports)
    app.connect("builder-inited", lambda app: mocked.__enter__())
    app.connect("build-finished", lambda app, exception: mocked.__exit__(None, None, None))
