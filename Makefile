# Everything runs inside .venv, created on first use; nothing is installed system-wide.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
CORPUS := ../shared/corpus
# The reference parser, for the tests that compare with it and for benchmarks only: a separate,
# git-ignored venv, never a dependency of the project.
REF := .ref
REF_STAMP := $(REF)/.installed
REF_PACKAGES := cloudify-common==7.0.5 networkx pyyaml packaging==24.1

.PHONY: install reference run test conformance lifecycle-conformance lifecycle-differential differential-long bench bench-instructions fuzz concurrency security-table clean

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
	# compat mode puts the checkout on sys.path by a .pth line: no import hook for every start of
	# Python to pay for (10 ms of a 25 ms start); setuptools calls it transitional, so if a future one
	# refuses it, the default editable install still works
	$(PY) -m pip install --quiet -e '.[test]' --config-settings editable_mode=compat 2>/dev/null \
		|| $(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(PY) -m resolver -r fixtures/example/registry fixtures/example/blueprint.yaml

test: install reference
	$(PY) -m pytest

# Property-based fuzzing (tests/test_fuzz.py): 3 x 3400 = 10,200 generated and mutated inputs with fresh
# randomness (make test runs a bounded, derandomized 3 x 40 of them); 5,000 corpus texts with random
# edits of YAML's syntax, our loader against PyYAML's (make test runs 200 with a fixed seed).
fuzz: install
	FUZZ_EXAMPLES=3400 FUZZ_REPORT=1 $(PY) -m pytest -q -s -p no:cacheprovider tests/test_fuzz.py
	$(PY) -m tests.shape_sweep --corpus 40
	$(PY) -m tests.load_equivalence --mutants 5000

# 8 processes resolving every corpus blueprint that imports a plugin, online against a loopback
# marketplace, sharing one cache (make test runs a sample); and many threads in one session.
concurrency: install
	CONCURRENCY_STRIDE=1 CONCURRENCY_REPORT=1 $(PY) -m pytest -q -s -p no:cacheprovider tests/test_concurrency.py

# The rows of SECURITY.md's table: each hostile case alone in a fresh process, timed, its peak memory.
security-table: install
	$(PY) -m tests.test_security --table

conformance: install
	$(PY) -m tests.conformance
	SOURCES_STRIDE=1 $(PY) -m pytest -q tests/test_sources_corpus.py
	$(PY) -m tests.schema_equivalence
	$(PY) -m tests.load_equivalence

lifecycle-conformance: install reference
	$(PY) -m tests.lifecycle_conformance --corpus $(CORPUS) $(LIFECYCLE_ARGS)

# Install and uninstall plans of generated blueprints (scaling probes over node and relationship
# chains) against the reference's workflow code: 5 seeds of 300 (about 6 minutes on 2 cores);
# make test runs 60 of one seed.
LIFECYCLE_SEEDS ?= 1 2 3 4 5
lifecycle-differential: install reference
	@status=0; for seed in $(LIFECYCLE_SEEDS); do \
		$(PY) -m tests.lifecycle_differential --count 300 --seed $$seed || status=1; \
	done; exit $$status

# Issue 7's "done when" run: 20 seeds of 500 generated blueprints against the reference (about an
# hour on 2 cores); every seed runs even when one finds a difference. Not part of `make test`.
DIFF_SEEDS ?= $(shell seq 1 20)
DIFF_COUNT ?= 500
differential-long: install reference
	@status=0; for seed in $(DIFF_SEEDS); do \
		$(PY) -m tests.differential --count $(DIFF_COUNT) --seed $$seed || status=1; \
	done; exit $$status

# BENCH_ARGS=--quick for a run of a few minutes; python -m bench.run --help for every option.
bench: install reference $(BENCH_STAMP)
	$(PY) -m bench.run --corpus $(CORPUS) $(BENCH_ARGS)

# The corpus batch and its floor in instructions (valgrind's cachegrind), a measure the host's load
# cannot move: the whole corpus, as `make bench` times it (about 3 minutes); INSTR_ARGS="--stride 4" for every
# 4th row (about 1.5 minutes; it under-weighs the per-blueprint work: ratio 1.19 where the whole corpus gives 1.39).
bench-instructions: install
	$(PY) -m bench.instructions --corpus $(CORPUS) $(INSTR_ARGS)

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]' --config-settings editable_mode=compat 2>/dev/null \
		|| $(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
