# gradwalk: `make run` serves the app, `make test` runs every test. Both set up what
# they need on a fresh Debian/Ubuntu machine (a .venv, Graphviz, Chromium for tests).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
SERVE  := gradwalk.api.serve
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-torch torch golden bench install install-test system-deps browser-deps apt-install lint clean

run: install system-deps
	$(PY) -m $(SERVE) --host $(HOST) --port $(PORT)

test: install-test system-deps browser-deps
	$(PY) -m pytest -m "not torch" -p no:cacheprovider

# Live comparison against PyTorch (a CPU build; never a bare `torch`, which pulls CUDA).
test-torch: install-test torch
	$(PY) -m pytest -m torch -p no:cacheprovider

torch: install-test
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "torch==2.13.0"

# Regenerate tests/golden/*.json from PyTorch after a case list changes.
golden: torch
	$(PY) -m tests.oracles.make_golden
	$(PY) -m tests.oracles.make_examples_golden
	$(PY) -m tests.oracles.make_mlp_golden

# Speed figures quoted in the README (each script prints its own table).
bench: install-test system-deps
	$(PY) benchmarks/engine.py
	@if command -v valgrind >/dev/null; then $(PY) benchmarks/instructions.py; \
	else echo "benchmarks/instructions.py skipped: it needs valgrind (apt-get install valgrind)"; fi
	$(PY) benchmarks/mlp.py
	$(PY) benchmarks/api.py
	$(PY) benchmarks/layout.py

install: $(VENV)/.server
install-test: $(VENV)/.test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.server: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e ".[server]"
	touch $@

$(VENV)/.test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e ".[test]"
	touch $@ $(VENV)/.server

# Graphviz's dot binary (layout and export). Installed with apt when missing.
system-deps:
	@command -v dot >/dev/null || $(MAKE) --no-print-directory apt-install PKGS=graphviz

# Debian's Chromium, driven by Playwright in the browser tests.
browser-deps:
	@command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || $(MAKE) --no-print-directory apt-install PKGS=chromium

apt-install:
	@if [ "$$(id -u)" != 0 ] && ! sudo -n true 2>/dev/null; then \
	  echo "gradwalk needs the Debian packages '$(PKGS)': run 'sudo apt-get install $(PKGS)' (needs root), then retry."; exit 1; fi
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(PKGS)

lint: install-test
	$(PY) -m ruff check backend tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
