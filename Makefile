# Two entry points for people (see README): `make lab` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
NOTEBOOKS = notebooks

SITE = build/site
# Extra options for `make lab`, e.g. LAB_ARGS="--ip=0.0.0.0 --no-browser" on a remote machine.
LAB_ARGS ?=
# Jupyter refuses to run as root (a container, a cloud VM) unless told --allow-root.
ROOT_FLAG = $(if $(filter 0,$(shell id -u)),--allow-root)

# The JAX backend (README, "On the JAX backend"): jax's CPU build, then the unit tests and these notebooks.
JAX_REQUIREMENT = jax>=0.4.34,<1
# Notebook 05 is left out to keep CI short: its network trains several times slower on JAX's CPU backend.
JAX_NOTEBOOKS = $(NOTEBOOKS)/04_mnist_cnn.ipynb

.PHONY: setup lab test test-fast test-jax notebooks site clean

setup: $(VENV)/.installed

# The venv is rebuilt whenever the requirements change.
$(VENV)/.installed: requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "cnnlab needs Python 3.10 or newer; found $$($(PYTHON) --version)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); \
		else echo "Python's venv module is missing: on Debian/Ubuntu run 'sudo apt-get install python3-venv'"; exit 1; fi; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	@touch $@

# The course's JupyterLab settings (no pop-up asking about Jupyter news), shared with Binder.
LAB_SETTINGS = binder/overrides.json

# Open JupyterLab on the first notebook. Where no browser can be started (a server, a container),
# Jupyter prints the address to open instead: http://localhost:8888/lab?token=...
lab: setup
	@echo "Starting JupyterLab. If no browser window opens, open the http://localhost:...?token=... address that Jupyter prints below."
	@install -D -m 644 $(LAB_SETTINGS) $(VENV)/share/jupyter/lab/settings/overrides.json
	$(BIN)/jupyter lab $(ROOT_FLAG) $(LAB_ARGS) $(NOTEBOOKS)/01_filters.ipynb

# Unit tests, then every notebook under nbval in quick mode (CNNLAB_QUICK=1).
test: setup
	CNNLAB_QUICK=1 $(BIN)/python -m pytest tests $(NOTEBOOKS) --nbval \
		--nbval-sanitize-with $(NOTEBOOKS)/sanitize.cfg --nbval-cell-timeout=600

# The same unit tests and notebooks 04-05 (quick mode) on Keras's JAX backend; installs jax into $(VENV).
# Left out: the tests that build environments, drive JupyterLab or build the site (no Keras there).
# JAX on a CPU trains several times slower than TensorFlow, hence the longer cell timeout.
test-jax: setup
	$(BIN)/python -m pip install --quiet "$(JAX_REQUIREMENT)"
	KERAS_BACKEND=jax CNNLAB_QUICK=1 $(BIN)/python -m pytest tests -m "not slow_env" \
		--ignore=tests/test_browser.py --ignore=tests/test_site.py --ignore=tests/test_makefile.py \
		$(JAX_NOTEBOOKS) --nbval --nbval-sanitize-with $(NOTEBOOKS)/sanitize.cfg --nbval-cell-timeout=900

# Unit tests only.
test-fast: setup
	$(BIN)/python -m pytest tests

# Re-execute every notebook in full mode and store the outputs (what learners see), then ship
# the trained models of 04 and 05 for notebook 06 (cnnlab/assets/).
notebooks: setup
	$(BIN)/python scripts/run_notebooks.py --write
	$(BIN)/python scripts/ship_checkpoints.py

# The course website, from the notebooks' stored outputs (no execution), into $(SITE)/.
site: setup
	$(BIN)/python scripts/build_site.py --out $(SITE)

clean:
	rm -rf $(VENV) .pytest_cache $(SITE) build/site-src build/site-doctrees build/jupyter_execute
