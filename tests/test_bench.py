"""The benchmark's own code, where that is cheap: the generated shapes, the process measurement and
the goals' verdicts. Nothing here times anything against a limit."""
from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

from bench import blueprints
from bench.report import INSTALLED_VERSION_CASE, goals
from bench.run import Case, Run, measured
from bench.side import files_read
from resolver import Resolver

from .conftest import REPO


def test_chain_cycle_and_imports_have_the_shapes_they_promise(tmp_path):
    chain = blueprints.chain(tmp_path, 5)
    result = Resolver().resolve(chain.path)
    assert result.ok and result.plan["install_order"] == [f"node_{i}" for i in range(5)]

    cycle = blueprints.cycle(tmp_path, 4)
    assert [p.code for p in Resolver().resolve(cycle.path).problems] == ["cycle"]

    imports = blueprints.imports(tmp_path, 6, nodes=3)
    result = Resolver().resolve(imports.path)
    assert result.ok and len(imports.files) == 1 + 1 + 6
    assert sorted(n["type"] for n in result.plan["nodes"]) == ["bench.imported.T0", "bench.imported.T2",
                                                              "bench.imported.T4"]
    again = blueprints.imports(tmp_path / "again", 6, nodes=3)
    assert again.path.read_bytes() == imports.path.read_bytes()


def test_a_measured_process_gives_its_answer_memory_and_failures(tmp_path):
    ok = measured([sys.executable, "-c", "import sys, json; from bench.peak import peak_mb; data = sys.stdin.read(); "
                   "buffer = b'x' * (64 << 20); print(json.dumps({'first': 0.5, 'read': data, 'peak_mb': peak_mb()}))"],
                  stdin="spec", timeout=60, env={"PYTHONPATH": str(REPO)}, cwd=tmp_path)
    assert ok.status == "ok" and ok.answer["read"] == "spec" and ok.first == 0.5
    assert 64 < ok.rss_mb < 64 + 100 and ok.wall > 0
    failed = measured([sys.executable, "-c", "import sys; sys.exit('broken spec')"], timeout=60, env={}, cwd=tmp_path)
    assert failed.status == "error" and failed.detail == "broken spec" and failed.first is None
    slow = measured([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5, env={}, cwd=tmp_path)
    assert slow.status == "timeout"


def test_the_floor_side_loads_every_file(tmp_path):
    made = blueprints.chain(tmp_path, 3)
    spec = {"case": "files", "files": [str(p) for p in made.files], "repeat": 2}
    run = measured([sys.executable, "-m", "bench.side", "floor"], stdin=json.dumps(spec), timeout=60,
                   env={"PYTHONPATH": str(REPO)}, cwd=REPO)
    assert run.status == "ok" and run.first > 0 and run.warm > 0


def test_the_floor_reads_every_file_a_resolve_read_plugin_yaml_from_a_registry_folder_included(tmp_path):
    made = blueprints.generate(tmp_path, 2, seed=1)
    registry = blueprints.write_registry(tmp_path)
    result = Resolver(registries=[registry]).resolve(made.path)
    assert result.ok and made.uses_plugin
    read = files_read(result)
    assert sorted(read) == sorted(map(os.fspath, (*made.files, blueprints.plugin_yaml_path(registry))))


def test_goals_are_judged_from_the_measured_numbers():
    def case(name, **runs):
        return Case(name, "startup", runs={side: Run("ok", wall=wall) for side, wall in runs.items()})

    cases = [case("python -c pass", resolver=0.02), case("python -m resolver --version", resolver=0.03),
             case(INSTALLED_VERSION_CASE, resolver=0.024), case("one-node blueprint, end to end", resolver=0.05)]

    class Args:
        cores = 2

    lines = goals(cases, Args())
    assert lines[0] == "- one-node blueprint end to end / `python -c pass`: 2.50 (met, goal ≤ 3)"
    assert lines[1] == "- `python -m resolver --version` / `python -c pass`: 1.50 (not met, goal ≤ 1.3)"
    assert lines[2] == "- `resolver --version`, the installed script / `python -c pass`: 1.20 (met, goal ≤ 1.3)"
    assert all(line.endswith("not measured in this run") for line in lines[3:])


def test_the_best_of_a_batch_s_rounds_is_the_shortest_that_finished():
    from bench.run import _best_first

    slow, quick, failed = Run("ok", answer={"first": 4.4}), Run("ok", answer={"first": 4.1}), Run("timeout")
    assert _best_first([slow, failed, quick]) is quick
    assert _best_first([failed, slow]) is slow
    assert _best_first([Run("error"), failed]) is failed  # none finished: the last, with its status


def test_the_instruction_count_is_read_from_cachegrind_s_report():
    from bench.instructions import instructions_of

    report = "==12== Cachegrind, a cache profiler\n==12==\n==12== I   refs:      7,550,116,309\n"
    assert instructions_of(report) == 7_550_116_309
    with pytest.raises(ValueError):
        instructions_of("==12== Memcheck, a memory error detector\n")


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="bench.instructions counts with valgrind, not installed")
def test_the_instruction_counts_of_a_small_batch_and_its_floor():
    from bench.instructions import batch_rows, measure

    from .corpus import CORPUS

    if not (CORPUS / "MANIFEST.tsv").exists():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    rows = len(batch_rows(CORPUS, 400))  # 4 blueprints: a few seconds under valgrind
    figures = measure(CORPUS, 400)
    assert figures["rows"] == rows and 0 < figures["accepted"] <= rows and figures["files"] >= rows
    # the start is in both; each side does more than start, and the ratio is of what is left
    assert 0 < figures["start"] < min(figures["batch"], figures["floor"])
    assert figures["ratio"] == (figures["batch"] - figures["start"]) / (figures["floor"] - figures["start"])


def test_a_timed_batch_names_the_files_its_results_read_once_its_clock_has_stopped():
    from bench.run import corpus_rows, corpus_task
    from bench.side import corpus_session, resolver_corpus_batch

    from .corpus import CORPUS

    if not (CORPUS / "MANIFEST.tsv").exists():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    tasks = [corpus_task(CORPUS, row) for row in corpus_rows(CORPUS)[:40:8]]
    answer = resolver_corpus_batch({"corpus": os.fspath(CORPUS), "rows": tasks, "jobs": 1})
    read = set()
    for path, search in tasks:
        read.update(files_read(corpus_session(os.fspath(CORPUS)).resolve(path, search_paths=search)))
    assert answer["files"] == sorted(read) and len(read) > len(tasks)
    assert all(os.path.isabs(path) and os.path.isfile(path) for path in answer["files"])
