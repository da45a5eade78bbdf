# Everything runs inside .venv, created on first use; nothing is installed system-wide.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CORPUS := ../shared/corpus

.PHONY: install run test conformance bench clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(PY) -m resolver -r fixtures/example/registry fixtures/example/blueprint.yaml

test: install
	$(PY) -m pytest

conformance: install
	$(PY) -m tests.conformance

bench: install
	$(PY) -m bench.run --corpus $(CORPUS) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
