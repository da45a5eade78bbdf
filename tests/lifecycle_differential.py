"""Lifecycle differential: our install and uninstall plans of generated blueprints against the
reference's own task graphs.

The corpus comparison (tests/lifecycle_conformance.py) sees only the shapes real blueprints have:
mostly one instance of each node, few scaling groups. Here the seeded generator of
tests/differential.py writes the blueprints (node and relationship type chains, contained_in
chains, connected_to and depends_on with either connection type, relationship operations on both
sides, scripts, hosts with agents), with a share of them given one probe of the `scaling` family
(tests/probes.py: `instances.deploy`, the scalable capability's properties, scaling groups and
policies over nodes and their hosts). Every blueprint both sides accept, and that the reference
can also prepare a deployment of, is planned by both: ours with resolver/lifecycle.py, theirs by
the reference's own `install` and `uninstall` workflow code (tests/reference_lifecycle.py, no
task run). Tasks (node, instance, operation, plugin, function, executor, relationship ends) and
their order are compared as the corpus comparison compares them (`compare`).

    python -m tests.lifecycle_differential [--count N] [--seed S] [--probe-share F] [--family F]
                                           [--jobs N] [--keep DIR] [--only I[,J...]]

Blueprint `I` of seed `S` is the blueprint tests/differential.py writes for the same seed, index
and shares (`--keep DIR --only I` writes it again for a look). Exit status: 0 when every plan
both built is identical, 1 when one differs, 2 without a reference Python.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from resolver import Options, Resolver
from resolver.lifecycle import WORKFLOWS, build_lifecycle, refusals
from tests import differential
from tests.lifecycle_conformance import compare
from tests.reference_lifecycle import ReferenceUnavailable, job_for, project, reference_python, run_jobs

PROBE_SHARE = 0.6
FAMILY = "scaling"


@dataclass
class Outcome:
    """What became of one generated blueprint."""

    name: str
    status: str  # identical | deployment-refused | differs | ours-refused | reference-refused | reference-failed
    detail: list[str] = field(default_factory=list)
    tasks: int = 0


# The reference's refusals when it creates a deployment (prepare), as our deployment-* codes.
REFUSALS = {"UnsupportedRelationship": "deployment-relationship-unsupported",
            "IllegalConnectedToConnectionType": "deployment-connection-type-invalid",
            "UnsupportedAllToOneInGroup": "deployment-all-to-one-in-group"}


def ours_plans(session: Resolver, path: Path) -> dict | str | set:
    """Our plans of each workflow ({workflow: {"tasks", "order"}}); the codes of the reasons a
    manager would refuse the deployment (a set, checks/deployment.py); or why we refuse the blueprint."""
    result = session.resolve(path)
    if not result.ok or result.graph is None:
        return "we refuse it: " + ", ".join(sorted({p.code for p in result.problems if p.is_error}))
    refused = {problem.code for problem in refusals(result)}
    if refused:
        return refused
    model, blueprint = result.graph.graph["model"], result.graph.graph["blueprint"]
    plans = {}
    for workflow in WORKFLOWS:
        plan = build_lifecycle(model, blueprint, workflow, {})
        plans[workflow] = {"tasks": {task.id: task.as_dict() for task in plan.tasks}, "order": plan.order}
    return plans


def judge(name: str, ours: dict | str | set, answer: dict) -> Outcome:
    """One blueprint's outcome from our plans (or refusal) and the reference's answer."""
    if not answer.get("ok"):
        stage, error = answer.get("stage"), answer.get("error", "")
        if stage == "parse":
            # a verdict difference is tests/differential.py's to report; here only plans count
            if isinstance(ours, str):
                return Outcome(name, "reference-refused")
            return Outcome(name, "differs", [f"the reference refuses what we accept: {error}"])
        if isinstance(ours, str):
            return Outcome(name, "ours-refused", [ours])
        code = REFUSALS.get(error.split(":", 1)[0])
        if code is not None:  # the reference refuses the deployment: so must we, for that reason
            if isinstance(ours, set) and code in ours:
                return Outcome(name, "deployment-refused")
            return Outcome(name, "differs", [f"the reference refuses the deployment ({error}); we "
                                             + (f"refuse it for {sorted(ours)}" if isinstance(ours, set) else "plan it")])
        # it parses but cannot be prepared or planned for a reason of its inputs (a value that
        # is not of its declared type), or its workflow code fails: nothing said of our plans
        return Outcome(name, "reference-failed", [f"{stage}: {error}"])
    if isinstance(ours, str):
        return Outcome(name, "differs", [f"{ours} (the reference plans it)"])
    if isinstance(ours, set):
        return Outcome(name, "differs", [f"we say a manager refuses the deployment ({sorted(ours)}); the reference plans it"])
    lines = [f"{workflow}: {line}" for workflow in WORKFLOWS
             for line in compare(ours[workflow], project(answer, workflow))]
    tasks = sum(len(ours[workflow]["tasks"]) for workflow in WORKFLOWS)
    return Outcome(name, "differs" if lines else "identical", lines, tasks)


def run(root: Path, count: int, seed, *, probe_share: float = PROBE_SHARE, family: str | None = FAMILY,
        only: Sequence[int] | None = None, jobs: int = 2, python: Path | None = None,
        timeout: float = 1800) -> list[Outcome]:
    """Generate, plan with both, compare. Raises ReferenceUnavailable without a reference Python."""
    python = python or reference_python()
    root.mkdir(parents=True, exist_ok=True)
    indexes = list(only) if only else list(range(count))
    cases = [differential.generate(seed, index, root, invalid_share=0.0, probe_share=probe_share, family=family)
             for index in indexes]
    reference_jobs = [job_for(case.name, case.path, cwd=case.path.parent, resources=case.path.parent)
                      for case in cases]
    shards = [reference_jobs[k::jobs] for k in range(max(1, jobs))]
    with concurrent.futures.ThreadPoolExecutor(len(shards)) as pool:
        futures = [pool.submit(run_jobs, shard, python, timeout) for shard in shards if shard]
        session = Resolver(options=Options())
        ours = {case.name: ours_plans(session, case.path) for case in cases}
        answers = {}
        for future in futures:
            answers.update(future.result())
    return [judge(case.name, ours[case.name], answers[case.name]) for case in cases]


def render(outcomes: Sequence[Outcome], seed, max_lines: int = 8) -> str:
    lines = []
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        if outcome.status == "differs":
            index = int(outcome.name.rsplit("-", 1)[1])
            lines.append(f"{outcome.name}: {len(outcome.detail)} difference(s) "
                         f"(--seed {seed} --only {index} --keep DIR writes it)")
            lines += [f"    {line}" for line in outcome.detail[:max_lines]]
    failures: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.status == "reference-failed":
            failures[outcome.detail[0][:160]] = failures.get(outcome.detail[0][:160], 0) + 1
    lines += [f"the reference cannot plan {n}: {why}" for why, n in sorted(failures.items())]
    tasks = sum(outcome.tasks for outcome in outcomes)
    lines.append(f"{len(outcomes)} generated blueprints: {counts.get('identical', 0)} planned identically "
                 f"({tasks} tasks), {counts.get('deployment-refused', 0)} whose deployment both refuse, "
                 f"{counts.get('differs', 0)} differing, "
                 f"{counts.get('reference-refused', 0)} refused by both, "
                 f"{counts.get('reference-failed', 0)} the reference cannot plan, "
                 f"{counts.get('ours-refused', 0)} we refuse after the reference parsed them")
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.lifecycle_differential",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="blueprints to generate (default 200)")
    parser.add_argument("--seed", default="0", help="generator seed (default 0)")
    parser.add_argument("--probe-share", type=float, default=PROBE_SHARE,
                        help=f"share of blueprints given a probe (default {PROBE_SHARE})")
    parser.add_argument("--family", default=FAMILY, choices=sorted(differential.probes.FAMILIES),
                        help=f"the probe family (default {FAMILY})")
    parser.add_argument("--jobs", type=int, default=2, help="reference processes (default 2)")
    parser.add_argument("--only", default="", metavar="I[,J...]", help="only these blueprint indexes")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the blueprints here and keep them")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    only = [int(part) for part in args.only.split(",") if part.strip()] or None
    root = args.keep or Path(tempfile.mkdtemp(prefix="lifecycle-differential-"))
    try:
        outcomes = run(root, args.count, args.seed, probe_share=args.probe_share, family=args.family,
                       only=only, jobs=max(1, args.jobs))
    except ReferenceUnavailable as exc:
        print(f"lifecycle_differential: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    sys.stdout.write(render(outcomes, args.seed))
    return 1 if any(outcome.status == "differs" for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
