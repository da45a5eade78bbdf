"""`-j N`: a batch resolved in worker processes prints what `-j 1` prints, in the same order.

The command line and the hook run in subprocesses, as users run them, over real corpus
blueprints (read in place) and small written trees; `Batch` itself is run in-process to see that
the workers were really used.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from resolver.batch import MIN_PER_WORKER, Batch
from resolver.cli import session_from, _parser

from .conftest import BASIC_TYPES, REPO, blueprint, write_tree
from .corpus import CORPUS, manifest

# Enough blueprints that -j 4 starts four workers (each needs MIN_PER_WORKER).
CORPUS_COUNT = 4 * MIN_PER_WORKER + 9


def corpus_blueprints() -> list[str]:
    """Corpus blueprints that need no search path of their own, spread over the manifest."""
    rows = [row for row in manifest() if not row["cwd"]]
    step = max(1, len(rows) // CORPUS_COUNT)
    return [os.fspath(CORPUS / row["path"]) for row in rows[::step][:CORPUS_COUNT]]


def accepted_by_the_reference(row: dict) -> bool:
    with open(CORPUS / "oracle" / f"{row['id']}.json", encoding="utf-8") as handle:
        return json.load(handle)["status"] == "ok"


def corpus_options() -> list[str]:
    return ["--no-cache", "-r", os.fspath(CORPUS / "plugins"), "--import-rules", os.fspath(CORPUS / "import-rules.yaml"),
            "--blueprint-catalog", os.fspath(CORPUS / "blueprint-catalog.yaml"),
            "--search-path", os.fspath(CORPUS / "types")]


def run(module: str, *args, cwd=REPO) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
               NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture(scope="module")
def corpus_set(tmp_path_factory) -> list[str]:
    """Corpus blueprints, then a broken one, a missing one and a clean one of our own."""
    if not (CORPUS / "MANIFEST.tsv").exists():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    tree = write_tree(tmp_path_factory.mktemp("batch"), {
        "types.yaml": BASIC_TYPES,
        "bad.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Nope}\n", "types.yaml"),
        "good.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Root}\n", "types.yaml"),
    })
    return [*corpus_blueprints(), os.fspath(tree / "bad.yaml"), os.fspath(tree / "missing.yaml"),
            os.fspath(tree / "good.yaml")]


@pytest.mark.parametrize("fmt, lifecycle", [("text", False), ("json", True), ("json", False)])
def test_any_jobs_prints_the_same_bytes_in_the_same_order(corpus_set, fmt, lifecycle):
    extra = ["--lifecycle"] if lifecycle else []
    one = run("resolver", *corpus_options(), "-f", fmt, *extra, "-j", "1", *corpus_set)
    four = run("resolver", *corpus_options(), "-f", fmt, *extra, "-j", "4", *corpus_set)
    assert one.returncode == 1  # the broken and the missing blueprint
    assert (four.returncode, four.stdout, four.stderr) == (one.returncode, one.stdout, one.stderr)
    # every blueprint is in the output, in the order given (outside the working folder, paths are
    # shown as given)
    if fmt == "json":
        assert [r["blueprint"] for r in json.loads(one.stdout)["results"]] == corpus_set
        assert any("lifecycle" in (r["plan"] or {}) for r in json.loads(four.stdout)["results"]) == lifecycle
    else:
        positions = [one.stdout.find(path + ":") for path in corpus_set]
        assert -1 not in positions and positions == sorted(positions)


def test_the_workers_are_used_and_keep_only_what_rendering_needs(corpus_set):
    args = _parser().parse_args([*corpus_options(), *corpus_set])
    session = session_from(args, "resolver", args.blueprints)
    # and blueprints whose relative imports need a search path of their own
    searched = [(os.fspath(CORPUS / row["path"]), (os.fspath(CORPUS / row["cwd"]),))
                for row in manifest() if row["cwd"] and accepted_by_the_reference(row)][:MIN_PER_WORKER]
    tasks = [(path, ()) for path in corpus_set] + searched
    batch = Batch(2)
    key = batch.session(session, args, "resolver")
    for path, search_paths in tasks:
        batch.add(key, path, search_paths)
    results = batch.run()
    assert [r.blueprint for r in results] == [path for path, _ in tasks]
    # the parent resolved the first one (with its import record); the workers the others
    assert results[0].imports is not None
    assert all(r.imports is None and r.graph is None for r in results[1:])
    alone = [session.resolve(path, search_paths=search_paths) for path, search_paths in tasks]
    assert len(searched) == MIN_PER_WORKER and all(r.ok for r in alone[-len(searched):])
    assert [(r.ok, r.plan, r.problems) for r in results] == [(r.ok, r.plan, r.problems) for r in alone]


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only (spawned elsewhere)")
def test_forked_workers_resolve_with_the_parent_s_sessions(corpus_set, monkeypatch):
    """A forked worker takes the session the parent built and warmed, caches and all, instead of
    building one again: with building made impossible, the batch still gives -j 1's results."""
    from resolver import batch as batch_module

    args = _parser().parse_args([*corpus_options(), *corpus_set])
    session = session_from(args, "resolver", args.blueprints)
    batch = Batch(2)
    key = batch.session(session, args, "resolver")
    for path in corpus_set:
        batch.add(key, path)

    def no_building(recipe):
        raise AssertionError("a worker built a session of its own")

    monkeypatch.setattr(batch_module.Recipe, "build", no_building)  # the forked workers inherit it
    results = batch.run()
    assert all(r.imports is None for r in results[1:])  # resolved by workers
    alone = [session.resolve(path) for path in corpus_set]
    assert [(r.ok, r.plan, r.problems) for r in results] == [(r.ok, r.plan, r.problems) for r in alone]


def test_usage_errors_exit_2():
    for value in ("0", "-3", "many"):
        done = run("resolver", "-j", value, "x.yaml")
        assert done.returncode == 2 and "-j/--jobs" in done.stderr


@pytest.fixture
def hook_tree(tmp_path):
    """A repository of blueprints, some broken, and a fragment most of them import."""
    files = {"types.yaml": BASIC_TYPES,
             "lib/nodes.yaml": "node_types:\n  my.App:\n    derived_from: cloudify.nodes.Root\n"}
    for index in range(14):
        kind = "my.App" if index % 3 else "cloudify.nodes.Nope"
        files[f"app{index:02d}.yaml"] = blueprint(f"node_templates:\n  n{index}: {{type: {kind}}}\n",
                                                    "lib/nodes.yaml")
    return write_tree(tmp_path, files)


def test_the_hook_prints_the_same_with_any_jobs(hook_tree):
    staged = ["lib/nodes.yaml", "app04.yaml", "types.yaml"]
    one = run("resolver.hook", "--root", hook_tree, "-j", "1", *staged, cwd=hook_tree)
    three = run("resolver.hook", "--root", hook_tree, "-j", "3", *staged, cwd=hook_tree)
    assert one.returncode == 1
    assert (three.returncode, three.stdout, three.stderr) == (one.returncode, one.stdout, one.stderr)
    # the five broken importers of the fragment, each once
    broken = {f"app{i:02d}.yaml" for i in range(0, 14, 3)}
    reported = {line.split(":", 1)[0] for line in one.stdout.splitlines() if ": error " in line}
    assert reported == broken


FREEZE_PROBE = """
import gc, json, sys
from resolver.batch import Batch
from resolver.cli import _parser, session_from

owns, jobs, paths = sys.argv[1] == "owns", int(sys.argv[2]), sys.argv[3:]
args = _parser().parse_args(["--no-cache", "--no-config", "-j", str(jobs), *paths])
batch = Batch(jobs, owns_process=owns)
key = batch.session(session_from(args, "resolver", args.blueprints), args, "resolver")
for path in paths:
    batch.add(key, path)
results = batch.run()
print(json.dumps({"frozen": gc.get_freeze_count(), "enabled": gc.isenabled(),
                  "results": [[r.ok, r.plan] for r in results]}))
"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_command_s_batch_leaves_what_it_made_out_of_the_collector_s_sight_and_a_library_s_does_not(tmp_path, jobs):
    count = 1 + 2 * MIN_PER_WORKER  # with -j 2, two workers resolve all but the first
    tree = write_tree(tmp_path, {"types.yaml": BASIC_TYPES, **{
        f"b{i}.yaml": blueprint(f"node_templates:\n  n{i}: {{type: cloudify.nodes.Root}}\n")
        for i in range(count)}})
    paths = [os.fspath(tree / f"b{i}.yaml") for i in range(count)]
    answers = {}
    for mode in ("owns", "library"):
        done = subprocess.run([sys.executable, "-c", FREEZE_PROBE, mode, str(jobs), *paths], cwd=REPO, capture_output=True,
                              text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(REPO)))
        assert done.returncode == 0, done.stderr
        answers[mode] = json.loads(done.stdout)
    assert answers["owns"]["frozen"] > 1000 and answers["library"]["frozen"] == 0
    assert answers["owns"]["enabled"] and answers["library"]["enabled"]
    assert answers["owns"]["results"] == answers["library"]["results"]
    assert all(ok for ok, _ in answers["owns"]["results"])


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("keep_graph", [False, True])
def test_results_keep_their_node_graph_only_with_keep_graph_whichever_process_resolved_them(tmp_path, jobs,
                                                                                            keep_graph):
    count = 1 + 2 * MIN_PER_WORKER  # with -j 2, two workers resolve all but the first
    tree = write_tree(tmp_path, {"types.yaml": BASIC_TYPES, **{
        f"b{i}.yaml": blueprint(f"node_templates:\n  n{i}: {{type: cloudify.nodes.Root}}\n")
        for i in range(count)}})
    args = _parser().parse_args(["--no-cache", "--no-config", os.fspath(tree / "b0.yaml")])
    session = session_from(args, "resolver", args.blueprints)
    batch = Batch(jobs, keep_graph=keep_graph)
    key = batch.session(session, args, "resolver")
    for i in range(count):
        batch.add(key, os.fspath(tree / f"b{i}.yaml"))
    results = batch.run()
    assert all(r.ok for r in results) and len(results) == count
    if keep_graph:
        assert [list(r.graph.nodes) for r in results] == [[f"n{i}"] for i in range(count)]
        assert all(r.lifecycle("install") is not None for r in results)
    else:
        assert all(r.graph is None for r in results)


def test_a_worker_keeps_the_cyclic_collector_off_for_its_batch_as_j1_does():
    """... and claims its process for heap.py as the command's (a spawned worker has no Batch)."""
    probe = ("import gc; from resolver import batch, heap; batch._start_worker([], False); "
             "print(gc.isenabled(), gc.get_freeze_count() > 0, heap._claimed)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "True"]


def test_a_worker_sends_the_plan_as_plain_values_with_what_it_shared_still_shared(tmp_path):
    """What crosses from a worker is the plan's value: the loaded document's mappings and
    sequences (kept with their positions for the checks) arrive as plain dicts and lists, equal,
    with an object the plan holds twice still one object."""
    from resolver import Resolver
    from resolver.batch import _packed, _unpacked
    from resolver.load import Map, Seq

    tree = write_tree(tmp_path, {"types.yaml": BASIC_TYPES, "b.yaml": blueprint(
        "plugins:\n"
        "  p: {executor: central_deployment_agent, package_name: p, source: p}\n"
        "node_types:\n"
        "  my.T:\n"
        "    derived_from: cloudify.nodes.Root\n"
        "    interfaces:\n"
        "      cloudify.interfaces.lifecycle:\n"
        "        create: {implementation: p.tasks.create, inputs: {deep: {default: {k: [1, {j: 2}]}}}}\n"
        "node_templates:\n"
        "  a: {type: my.T}\n"
        "  b: {type: my.T}\n")})
    result = Resolver().resolve(os.fspath(tree / "b.yaml"))
    assert result.ok

    def census(value, seen, kinds):
        """How often each container is met (by identity), and the kinds of every value."""
        kinds.add(type(value))
        if not isinstance(value, (dict, list)):
            return
        if id(value) in seen:
            seen[id(value)] += 1
            return
        seen[id(value)] = 1
        for child in value.values() if isinstance(value, dict) else value:
            census(child, seen, kinds)

    before_seen, before_kinds = {}, set()
    census(result.plan, before_seen, before_kinds)
    assert {Map, Seq} <= before_kinds  # what the test is about is there to be sent

    [sent] = _unpacked(_packed([result]))
    after_seen, after_kinds = {}, set()
    census(sent.plan, after_seen, after_kinds)
    assert not after_kinds & {Map, Seq}
    assert (sent.ok, sent.plan, sent.problems, sent.blueprint) == (result.ok, result.plan, result.problems,
                                                                     result.blueprint)
    # as many containers, each met as often: sharing is neither lost nor made up
    shared = sorted(before_seen.values())
    assert max(shared) > 1 and sorted(after_seen.values()) == shared


@pytest.mark.parametrize("count, workers, per_worker", [(1, 1, 16), (7, 2, 16), (30, 2, 4), (1200, 2, 16), (101, 3, 4),
                                                       (64, 4, 16), (5, 4, 1)])
def test_the_schedule_gives_every_chunk_once_each_worker_its_own_neighbours_first(count, workers, per_worker):
    from resolver.batch import _Schedule

    schedule = _Schedule(count, workers, per_worker)
    chunks = schedule.chunks
    assert chunks[0][0] == 0 and chunks[-1][1] == count
    assert all(stop > start and stop == after for (start, stop), (after, _) in zip(chunks, chunks[1:] + [(count, 0)]))
    regions = [range(*region) for region in schedule.regions]
    taken, by_worker, worker = [], {w: [] for w in range(workers)}, 0
    while True:  # the workers ask in turn, as they would finish one chunk each
        index = schedule.next_for(worker)
        if index is None:
            break
        taken.append(index)
        by_worker[worker].append(index)
        worker = (worker + 1) % workers
    assert sorted(taken) == list(range(len(chunks)))
    for w, indexes in by_worker.items():
        own = [index for index in indexes if index in regions[w]]
        # a worker's own region comes first, front to back, and it takes no one else's chunk before its own are done
        assert own == list(regions[w])[:len(own)] and indexes[:len(own)] == own
    # once the regions run out, each remaining asker is told so
    assert all(schedule.next_for(w) is None for w in range(workers))


def test_a_worker_with_its_region_done_takes_the_last_chunk_of_the_fullest_region():
    from resolver.batch import _Schedule

    schedule = _Schedule(16, 2, per_worker=4)  # 8 chunks of 2: worker 0 has chunks 0-3, worker 1 chunks 4-7
    assert [schedule.next_for(0) for _ in range(4)] == [0, 1, 2, 3]
    assert schedule.next_for(1) == 4
    assert [schedule.next_for(0), schedule.next_for(0)] == [7, 6]  # from the end of worker 1's region
    assert [schedule.next_for(1), schedule.next_for(1), schedule.next_for(1)] == [5, None, None]


FAILING_WORKER = """
import os, sys
from resolver import batch as batch_module
from resolver.batch import Batch
from resolver.cli import _parser, session_from

how, paths = sys.argv[1], sys.argv[2:]
real = batch_module._resolve

def failing(task):
    if task[1] == paths[-2]:  # the parent resolved paths[0]; a worker meets this one
        if how == "raise":
            raise ValueError("a bug in resolving")
        os._exit(9)
    return real(task)

batch_module._resolve = failing  # forked workers inherit it
args = _parser().parse_args(["--no-cache", "--no-config", *paths])
batch = Batch(2)
key = batch.session(session_from(args, "resolver", args.blueprints), args, "resolver")
for path in paths:
    batch.add(key, path)
try:
    batch.run()
except RuntimeError as exc:
    print("RuntimeError:", exc)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the probe's patched function reaches workers by fork (Linux only)")
@pytest.mark.parametrize("how, said", [("raise", "a worker failed: ValueError: a bug in resolving"),
                                       ("exit", "a worker process stopped (exit code 9)")])
def test_a_worker_that_fails_or_dies_stops_the_batch_with_the_reason(tmp_path, how, said):
    count = 1 + 2 * MIN_PER_WORKER
    tree = write_tree(tmp_path, {"types.yaml": BASIC_TYPES, **{
        f"b{i}.yaml": blueprint(f"node_templates:\n  n{i}: {{type: cloudify.nodes.Root}}\n")
        for i in range(count)}})
    paths = [os.fspath(tree / f"b{i}.yaml") for i in range(count)]
    done = subprocess.run([sys.executable, "-c", FAILING_WORKER, how, *paths], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("RuntimeError: " + said)
    if how == "exit":  # the first blueprint of the chunk it was on is named
        named = done.stdout.split("while resolving ", 1)[1].split(" or the blueprints after it")[0]
        assert named in paths[1:] and paths.index(named) <= paths.index(paths[-2])


def _small_batch(tmp_path, jobs: int, count: int = 1 + 2 * MIN_PER_WORKER):
    """A batch of `count` one-node blueprints (with -j 2, two workers resolve all but the first),
    and a list of the paths its session was asked to resolve in this process."""
    tree = write_tree(tmp_path, {"types.yaml": BASIC_TYPES, **{
        f"b{i}.yaml": blueprint(f"node_templates:\n  n{i}: {{type: cloudify.nodes.Root}}\n")
        for i in range(count)}})
    args = _parser().parse_args(["--no-cache", "--no-config", os.fspath(tree / "b0.yaml")])
    session = session_from(args, "resolver", args.blueprints)
    asked: list[str] = []
    resolve = session.resolve

    def counted(path, **kwargs):
        asked.append(os.path.basename(path))
        return resolve(path, **kwargs)

    session.resolve = counted
    batch = Batch(jobs)
    key = batch.session(session, args, "resolver")
    for i in range(count):
        batch.add(key, os.fspath(tree / f"b{i}.yaml"))
    return batch, asked


def test_results_come_one_by_one_each_resolved_when_it_is_asked_for(tmp_path):
    batch, asked = _small_batch(tmp_path, jobs=1)
    results = batch.results()
    assert asked == []  # nothing is resolved before the first result is asked for
    first, second = next(results), next(results)
    assert [first.blueprint, second.blueprint] == [batch.tasks[0][1], batch.tasks[1][1]]
    assert asked == ["b0.yaml", "b1.yaml"]
    rest = list(results)
    assert [r.blueprint for r in rest] == [path for _, path, _ in batch.tasks[2:]]
    assert [(r.ok, r.plan) for r in [first, second, *rest]] == [(r.ok, r.plan) for r in batch.run()]


def test_results_from_workers_come_in_order_and_closing_early_stops_the_workers(tmp_path):
    import multiprocessing

    batch, asked = _small_batch(tmp_path, jobs=2)
    results = batch.results()
    taken = [next(results) for _ in range(3)]  # the parent's, then the first worker's
    assert [r.blueprint for r in taken] == [path for _, path, _ in batch.tasks[:3]]
    assert asked == ["b0.yaml"] and taken[1].imports is None  # the others came from the workers
    results.close()
    assert multiprocessing.active_children() == []
    again = batch.run()  # a batch runs again from the start, with new workers
    assert [(r.blueprint, r.ok, r.plan) for r in again[:3]] == [(r.blueprint, r.ok, r.plan) for r in taken]
    assert len(again) == len(batch.tasks) and multiprocessing.active_children() == []
