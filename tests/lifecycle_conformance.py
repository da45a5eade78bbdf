"""Lifecycle conformance: our install and uninstall plans against the reference's own task graphs.

For every accepted corpus blueprint (oracle status `ok`), resolve it as tests/conformance.py
does and build our lifecycle plans (resolver/lifecycle.py) with the inputs the oracle supplied;
have the reference build its graphs (tests/reference_lifecycle.py: its parser and its workflow
code, in a subprocess) with the same imports answered from the same files; compare the tasks
(id, node, instance, operation, plugin, function, executor, relationship ends and side) and the
order (transitive reduction) for each workflow.

    python -m tests.lifecycle_conformance [ID ...] [--only SUBSTRING] [--sample N] [--jobs N]
                                          [--json FILE]

Exit status: 0 when every blueprint the reference builds graphs for is identical, 1 when not,
2 on a usage or setup error.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import sys
import tempfile
from pathlib import Path

from resolver.lifecycle import WORKFLOWS, build_lifecycle
from tests.conformance import ACCEPTED, DEFAULT_CORPUS, load_rows, make_session
from tests.reference_lifecycle import ReferenceUnavailable, job_for, project, reference_python, run_jobs

DERIVED = "plugin (manager back-compat"
# Ids whose difference from the reference is understood: id -> reason. Still run and shown.
KNOWN_DIFFERENCES = {
    "cloudify-cosmo__cloudify-manager__tests__integration_tests__resources__dsl__multi_instance_large_scale":
        "all_to_one onto a node of 100 instances: the reference links the instance whose random id is the "
        "smallest (rel_graph.py: min of the ids), so its choice changes from run to run; we link the first "
        "instance, middle[0]. The graphs are the same up to that choice.",
}
COMPARED = ("node", "instance", "operation", "plugin", "function", "executor")


def job_of(corpus: Path, row, empty_dir: Path) -> dict:
    """The reference job for a corpus row: imports answered as the oracle's `resolved_imports` say."""
    imports, derive = {}, []
    for entry in row.oracle.get("resolved_imports") or ():
        written = entry["import"]
        url = written.split("--", 1)[1] if "--" in written and "://" not in written.split("--", 1)[0] else written
        path = str(corpus / entry["resolved"])
        imports[url] = imports[written] = path
        if entry["via"].startswith(DERIVED):
            derive += [url, written]
    return job_for(row.id, corpus / row.path, cwd=corpus / row.cwd if row.cwd else empty_dir,
                   resources=corpus / "types", imports=imports, derive_1_3=derive,
                   inputs=row.oracle.get("inputs_supplied") or {})


def ours_for(session, corpus: Path, row) -> dict:
    """Our plans for a row: {workflow: {"tasks": {id: task}, "order": [...]}}, or {"error": text}."""
    result = session.resolve(corpus / row.path, search_paths=[corpus / row.cwd] if row.cwd else ())
    if not result.ok or result.graph is None:
        return {"error": "we do not accept it: " + "; ".join(p.code for p in result.problems if p.is_error)}
    model, blueprint = result.graph.graph["model"], result.graph.graph["blueprint"]
    out = {}
    for workflow in WORKFLOWS:
        plan = build_lifecycle(model, blueprint, workflow, row.oracle.get("inputs_supplied") or {})
        out[workflow] = {"tasks": {t.id: t.as_dict() for t in plan.tasks}, "order": plan.order}
    return out


def _task_view(task: dict) -> dict:
    view = {key: task.get(key) for key in COMPARED}
    rel = task.get("relationship")
    if rel:
        view["relationship"] = {k: rel[k] for k in ("source", "target", "side")}
    return view


def compare(ours: dict, theirs: dict) -> list[str]:
    """The differences of one workflow's plans, as short lines (empty when identical)."""
    out = []
    mine, refs = ours["tasks"], theirs["tasks"]
    for tid in sorted(set(refs) - set(mine)):
        out.append(f"missing task {tid} ({refs[tid]['function']})")
    for tid in sorted(set(mine) - set(refs)):
        out.append(f"extra task {tid} ({mine[tid]['function']})")
    for tid in sorted(set(mine) & set(refs)):
        if _task_view(mine[tid]) != _task_view(refs[tid]):
            out.append(f"task {tid}: ours {_task_view(mine[tid])} theirs {_task_view(refs[tid])}")
    a, b = set(map(tuple, ours["order"])), set(map(tuple, theirs["order"]))
    for pair in sorted(b - a):
        out.append(f"missing order {pair[0]} -> {pair[1]}")
    for pair in sorted(a - b):
        out.append(f"extra order {pair[0]} -> {pair[1]}")
    return out


def run(corpus: Path, rows, jobs: int = 2) -> dict:
    """Compare every row; returns the figures and each row's outcome."""
    session = make_session(corpus)
    python = reference_python()
    with tempfile.TemporaryDirectory() as empty:
        batches = [[job_of(corpus, row, Path(empty)) for row in rows[i::jobs]] for i in range(jobs)]
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            futures = [pool.submit(run_jobs, batch, python, 3600) for batch in batches if batch]
            ours = {row.id: ours_for(session, corpus, row) for row in rows}
            answers = {}
            for future in futures:
                answers.update(future.result())
    outcomes = {}
    for row in rows:
        answer, mine = answers[row.id], ours[row.id]
        if not answer["ok"]:
            outcomes[row.id] = {"status": "reference-failed", "stage": answer["stage"], "error": answer["error"]}
        elif "error" in mine:
            outcomes[row.id] = {"status": "differs", "differences": [mine["error"]]}
        else:
            differences = [f"{w}: {line}" for w in WORKFLOWS for line in compare(mine[w], project(answer, w))]
            tasks = sum(len(mine[w]["tasks"]) for w in WORKFLOWS)
            status = "known" if differences and row.id in KNOWN_DIFFERENCES else "differs"
            outcomes[row.id] = ({"status": "identical", "tasks": tasks} if not differences
                                else {"status": status, "differences": differences,
                                      "reason": KNOWN_DIFFERENCES.get(row.id)})
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome["status"]] = counts.get(outcome["status"], 0) + 1
    return {"compared": len(rows), "counts": counts, "outcomes": outcomes}


def render(report: dict, max_lines: int = 8) -> str:
    lines = []
    for rid, outcome in sorted(report["outcomes"].items()):
        if outcome["status"] == "identical":
            continue
        if outcome["status"] == "reference-failed":
            lines.append(f"{rid}: the reference fails at {outcome['stage']}: {outcome['error']}")
            continue
        known = f" (known: {outcome['reason']})" if outcome["status"] == "known" else ""
        lines.append(f"{rid}: {len(outcome['differences'])} difference(s){known}")
        lines += [f"    {d}" for d in outcome["differences"][:max_lines]]
    counts = report["counts"]
    lines.append(f"compared {report['compared']} accepted blueprints: {counts.get('identical', 0)} identical, "
                 f"{counts.get('differs', 0)} differing, {counts.get('known', 0)} known differences, "
                 f"{counts.get('reference-failed', 0)} where the reference builds no graph")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lifecycle_conformance", description=__doc__.split("\n")[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", help="only ids containing this")
    parser.add_argument("--sample", type=int, help="every n-th accepted row only")
    parser.add_argument("--jobs", type=int, default=2, help="reference processes (default 2)")
    parser.add_argument("--json", type=Path, help="write the full report here")
    args = parser.parse_args(argv)
    try:
        rows = [row for row in load_rows(args.corpus, args.ids, args.only) if row.verdict == ACCEPTED]
    except (KeyError, OSError) as exc:
        print(f"lifecycle_conformance: {exc}", file=sys.stderr)
        return 2
    if args.sample:
        rows = rows[::args.sample]
    try:
        report = run(args.corpus, rows, max(1, args.jobs))
    except ReferenceUnavailable as exc:
        print(f"lifecycle_conformance: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0 if report["counts"].get("differs", 0) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
