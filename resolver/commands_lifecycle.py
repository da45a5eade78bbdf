"""`resolver lifecycle install|uninstall BLUEPRINT...`: what a workflow runs, for people and programs.

Formats: text (the steps, each task with its node, operation and `plugin: function`), json (the
`resolver-lifecycle` report, schemas/lifecycle.schema.json), dot, mermaid and svg (the task graph,
see pictures.py; one picture per blueprint, so one blueprint only). Exit 0 when every blueprint
resolved, 1 when one has problems, 2 on a usage or environment error (such as no Graphviz).
"""
from __future__ import annotations

import argparse
import sys

from . import records
from .lifecycle import WORKFLOWS, lifecycle_of, refusals
from .problems import sort_key

LIFECYCLE_FORMAT = "resolver-lifecycle"
LIFECYCLE_VERSION = 1
FORMATS = ("text", "json", "dot", "mermaid", "svg")
PICTURES = ("dot", "mermaid", "svg")


def task_line(task: dict) -> str:
    where = task["node"]
    rel = task.get("relationship")
    if rel is not None:
        where = f"{rel['source']} -> {rel['target']} ({rel['side']})"
    elif task["instance"] != task["node"]:
        where = task["instance"]
    return f"{where}  {task['operation']}  {task['plugin']}: {task['function']}"


def to_text(results, workflow: str) -> str:
    """`results`: (Result, plan dict or None) pairs."""
    from .report import to_text as problems_text

    lines = [problems_text([r], show_plan=False).rstrip("\n") for r, _ in results if r.problems]
    for result, plan in results:
        if plan is None:
            continue
        tasks = {t["id"]: t for t in plan["tasks"]}
        lines.append(f"{result.blueprint}: {workflow}, {len(plan['instances'])} instances, {len(tasks)} tasks "
                     f"in {len(plan['steps'])} steps")
        for number, step in enumerate(plan["steps"], 1):
            lines.append(f"  step {number}")
            lines += [f"    {task_line(tasks[tid])}" for tid in step]
    return "\n".join(line for line in lines if line) + "\n"


def lifecycle_report(results, workflow: str) -> dict:
    """The JSON document: {"format", "version", "results": [{"blueprint", "ok", "problems", workflow}]}."""
    from .report import problem_dict

    return {"format": LIFECYCLE_FORMAT, "version": LIFECYCLE_VERSION,
            "results": [{"blueprint": r.blueprint, "ok": r.ok, "problems": [problem_dict(p) for p in r.problems],
                         workflow: plan} for r, plan in results]}


def picture(fmt: str, plan: dict, title: str) -> str:
    """The task graph of one plan in a picture format; PictureError for svg without Graphviz."""
    from . import pictures

    if fmt == "mermaid":
        return pictures.task_mermaid(plan)
    dot = pictures.task_dot(plan, title)
    return pictures.svg(dot) if fmt == "svg" else dot


def _parser() -> argparse.ArgumentParser:
    from .cli import add_source_options

    parser = argparse.ArgumentParser(prog="resolver lifecycle",
                                     description="Show what the install or uninstall workflow runs, step by step.")
    parser.add_argument("workflow", choices=WORKFLOWS)
    parser.add_argument("blueprints", nargs="+", metavar="BLUEPRINT")
    add_source_options(parser)
    parser.add_argument("-f", "--format", choices=FORMATS, default="text",
                        help="text (default), json (resolver-lifecycle), or the task graph as dot, mermaid or svg "
                             "(svg needs Graphviz's dot)")
    parser.add_argument("--strict", action="store_true", default=None, help="treat warnings as errors")
    parser.add_argument("--inputs", metavar="FILE", help="deployment inputs (YAML or JSON mapping) over the defaults")
    return parser


def read_inputs(path: str | None) -> dict:
    """The inputs file as a mapping; ValueError (with the reason) when it is not one."""
    if path is None:
        return {}
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read inputs: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: inputs must be a mapping of input names to values")
    return data


def refused(result, inputs: dict):
    """`result` with the reasons a manager would refuse to create its deployment with these
    inputs as errors, in place of the deployment-* warnings the resolve gave for the defaults;
    as it was when it would not (or has no plan)."""
    reasons = refusals(result, inputs)
    if not reasons:
        return result
    kept = [p for p in result.problems if not p.code.startswith("deployment-")]
    return records.replace(result, problems=tuple(sorted(kept + reasons, key=sort_key)))


def main(argv=None) -> int:
    from .cli import session_from
    from .pictures import PictureError

    args = _parser().parse_args(argv)
    if args.format in PICTURES and len(args.blueprints) != 1:
        print(f"resolver lifecycle: error: -f {args.format} draws one blueprint; {len(args.blueprints)} given",
              file=sys.stderr)
        return 2
    try:
        inputs = read_inputs(args.inputs)
    except ValueError as exc:
        print(f"resolver lifecycle: error: {exc}", file=sys.stderr)
        return 2
    session = session_from(args, "resolver lifecycle", args.blueprints)
    if session is None:
        return 2
    results = []
    for path in args.blueprints:
        result = session.resolve(path)
        plan = lifecycle_of(result, args.workflow, inputs)
        if plan is None:
            result = refused(result, inputs)
        results.append((result, plan.as_dict() if plan is not None else None))
    status = 0 if all(r.ok for r, _ in results) else 1
    if args.format == "json":
        from .jsontext import pieces

        for piece in pieces(lifecycle_report(results, args.workflow)):
            sys.stdout.write(piece)
        sys.stdout.write("\n")
    elif args.format in PICTURES:
        (result, plan), = results
        if plan is None:
            sys.stdout.write(to_text(results, args.workflow))
            return status
        try:
            sys.stdout.write(picture(args.format, plan, f"{args.workflow} {result.blueprint}"))
        except PictureError as exc:
            print(f"resolver lifecycle: error: {exc.message}\n  hint: {exc.hint}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(to_text(results, args.workflow))
    return status
