"""Sphinx configuration of the course website (built by scripts/build_site.py, `make site`).

Sphinx with MyST-NB renders the notebooks with their stored outputs (nothing is executed) in
sphinx-book-theme, whose launch buttons open each page's notebook on Binder or Colab. Every
asset comes from the installed packages (the theme bundles its CSS, JavaScript and icons;
sphinx-mathjax-offline bundles MathJax 3), so the build and the pages need no network.
"""

import pathlib
import sys

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
]
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
