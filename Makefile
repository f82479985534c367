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

# Exact versions (README, "Environments"): one universal lock, generated from requirements.txt's
# ranges by uv; `make lock` regenerates it (keeping every pin that still fits), `make lock UPGRADE=1`
# moves every package to its newest release within the ranges.
LOCK = requirements.lock
LOCK_PYTHON = 3.11
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version $(LOCK_PYTHON) \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) requirements.txt -o $(LOCK)

# The JAX backend (README, "On the JAX backend"): jax's CPU build, then the unit tests and these notebooks.
# Not in the lock: installed, JAX is imported by Keras on the TensorFlow backend too (0.1 GB more).
JAX_REQUIREMENT = jax>=0.4.34,<1
# Notebook 05 is left out to keep CI short: its network trains several times slower on JAX's CPU backend.
# Notebook 07's quick run takes under a minute on JAX (its gradients are read without backend-specific code).
JAX_NOTEBOOKS = $(NOTEBOOKS)/04_mnist_cnn.ipynb $(NOTEBOOKS)/07_residual_and_transfer.ipynb

.PHONY: setup lock lab test test-fast test-jax notebooks site clean

setup: $(VENV)/.installed

# The venv is brought to the lock whenever the lock or the package changes.
$(VENV)/.installed: $(LOCK) pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "cnnlab needs Python 3.11 or newer; found $$($(PYTHON) --version)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); \
		else echo "Python's venv module is missing: on Debian/Ubuntu run 'sudo apt-get install python3-venv'"; exit 1; fi; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

# Regenerate the lock after changing requirements.txt (uv comes with the lock; needs PyPI).
lock: setup
	$(UV_COMPILE)

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

# The same unit tests and notebooks 04 and 07 (quick mode) on Keras's JAX backend; installs jax into $(VENV).
# Left out: the tests that build environments, drive JupyterLab, build the site or run a JupyterHub
# (no Keras there).
# JAX on a CPU trains several times slower than TensorFlow, hence the longer cell timeout.
test-jax: setup
	$(BIN)/python -m pip install --quiet "$(JAX_REQUIREMENT)"
	KERAS_BACKEND=jax CNNLAB_QUICK=1 $(BIN)/python -m pytest tests -m "not slow_env" \
		--ignore=tests/test_browser.py --ignore=tests/test_site.py --ignore=tests/test_makefile.py \
		--ignore=tests/test_hub.py \
		$(JAX_NOTEBOOKS) --nbval --nbval-sanitize-with $(NOTEBOOKS)/sanitize.cfg --nbval-cell-timeout=900

# Unit tests only.
test-fast: setup
	$(BIN)/python -m pytest tests

# Re-execute every notebook in full mode and store the outputs (what learners see), ship the
# trained models of 04 and 05 for notebook 06 (cnnlab/assets/), then write the measured run times
# (benchmarks/notebook_times.json) into the README, the title cells and benchmarks/RESULTS.md.
notebooks: setup
	$(BIN)/python scripts/run_notebooks.py --write
	$(BIN)/python scripts/ship_checkpoints.py
	$(BIN)/python scripts/notebook_times.py --write

# The course website, from the notebooks' stored outputs (no execution), into $(SITE)/.
site: setup
	$(BIN)/python scripts/build_site.py --out $(SITE)

clean:
	rm -rf $(VENV) .pytest_cache $(SITE) build/site-src build/site-doctrees build/jupyter_execute
