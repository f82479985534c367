# Two entry points for people (see README): `make lab` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
NOTEBOOKS = notebooks

.PHONY: setup lab test test-fast notebooks clean

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

# Open JupyterLab on the first notebook.
lab: setup
	$(BIN)/jupyter lab $(NOTEBOOKS)/01_filters.ipynb

# Unit tests, then every notebook under nbval in quick mode (CNNLAB_QUICK=1).
test: setup
	CNNLAB_QUICK=1 $(BIN)/python -m pytest tests $(NOTEBOOKS) --nbval \
		--nbval-sanitize-with $(NOTEBOOKS)/sanitize.cfg --nbval-cell-timeout=600

# Unit tests only.
test-fast: setup
	$(BIN)/python -m pytest tests

# Re-execute every notebook in full mode and store the outputs (what learners see).
notebooks: setup
	$(BIN)/python scripts/run_notebooks.py --write

clean:
	rm -rf $(VENV) .pytest_cache
