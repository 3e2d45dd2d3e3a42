# trackdeck: `make demo` opens the demo fleet, `make test` runs every quality gate.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PRISM := node_modules/.bin/prism

.PHONY: demo test lint typecheck pytest specs package-check fuzz fmt screenshots clean bench

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(PRISM): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(PRISM)

demo: $(STAMP)
	$(VENV)/bin/trackdeck demo

test: $(STAMP) lint typecheck pytest package-check

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP) $(PRISM) specs
	$(PY) -m pytest -q

# The vendors' API descriptions for the contract tests (tests/data/vendor_specs.toml), fetched into
# .cache/specs and checked: from $(TRACKDECK_SPECS_MIRROR) when set, from the pinned commits when it
# is not or lacks a file or holds another version; every spec that could not be had is listed.
specs: $(STAMP)
	$(PY) -m tests.support.vendor_specs

# The install path users take (pipx/uv tool install): the wheel alone, with only the runtime
# dependencies, in a fresh virtualenv, run from a directory outside the checkout.
DIST := .cache/dist
WHEEL_VENV := .cache/wheel-venv
package-check: $(STAMP)
	rm -rf $(DIST) $(WHEEL_VENV)
	$(PY) -m pip wheel --quiet --no-deps --wheel-dir $(DIST) .
	python3 -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet $(DIST)/trackdeck-*.whl
	cd $$(mktemp -d) && \
	  ! $(CURDIR)/$(WHEEL_VENV)/bin/python -c 'import pytest' 2>/dev/null && \
	  $(CURDIR)/$(WHEEL_VENV)/bin/trackdeck --version && \
	  $(CURDIR)/$(WHEEL_VENV)/bin/trackdeck check --help >/dev/null && \
	  { $(CURDIR)/$(WHEEL_VENV)/bin/trackdeck demo --json > demo.json; test $$? -eq 2; } && \
	  $(CURDIR)/$(WHEEL_VENV)/bin/python -c 'import json; d = json.load(open("demo.json")); assert d["command"] == "demo" and len(d["domains"]) > 10' && \
	  echo "package-check: the wheel installs alone and runs the demo"

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# The benchmark suite (about 10 minutes): prints the table, writes benchmarks/results.md.
bench: $(BENCH_STAMP)
	$(PY) -m benchmarks

fuzz: $(STAMP)
	TRACKDECK_FUZZ_PROFILE=fuzz $(PY) -m pytest -q --timeout=0 tests/faults/test_fuzz_*.py

screenshots: $(STAMP)
	$(PY) -m tui.app.screenshots screenshots

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules .cache .mypy_cache .pytest_cache .ruff_cache
