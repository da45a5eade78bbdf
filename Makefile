# Everything runs inside .venv, created on first use; nothing is installed system-wide.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CORPUS := ../shared/corpus
# The reference parser, for the tests that compare with it and for benchmarks only: a separate,
# git-ignored venv, never a dependency of the project.
REF := .ref
REF_STAMP := $(REF)/.installed
REF_PACKAGES := cloudify-common==7.0.5 networkx pyyaml packaging==24.1

.PHONY: install reference run test conformance lifecycle-conformance bench clean

install: $(STAMP)

reference: $(REF_STAMP)

$(REF_STAMP):
	$(PYTHON) -m venv $(REF)
	$(REF)/bin/python -m pip install --quiet --upgrade pip
	$(REF)/bin/python -m pip install --quiet $(REF_PACKAGES)
	touch $(REF_STAMP)

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(PY) -m resolver -r fixtures/example/registry fixtures/example/blueprint.yaml

test: install reference
	$(PY) -m pytest

conformance: install
	$(PY) -m tests.conformance
	SOURCES_STRIDE=1 $(PY) -m pytest -q tests/test_sources_corpus.py

lifecycle-conformance: install reference
	$(PY) -m tests.lifecycle_conformance --corpus $(CORPUS) $(LIFECYCLE_ARGS)

bench: install reference
	$(PY) -m bench.run --corpus $(CORPUS) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
