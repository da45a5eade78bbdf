"""`resolver diff OLD NEW`: what changed between two resolved blueprints.

OLD and NEW are blueprints, or lock files (`<blueprint>.lock`, registry/lock.py): a lock stands
for its blueprint resolved exactly from the lock, so `resolver diff app.yaml.lock app.yaml` shows
what resolving afresh changes. Changes, in this order:

- `node-added`, `node-removed`, `type-changed`;
- `operation-changed`, `operation-added`, `operation-removed`: a node's or a relationship's
  operation (full `interface.operation` names) whose plugin, function, executor or inputs differ;
  operations with no implementation on both sides are not listed;
- `relationship-added`, `relationship-removed` (by source, target and type);
- `plugin-version-changed`, `plugin-added`, `plugin-removed` (plugin imports answered by a registry);
- `install-order-changed`, `uninstall-order-changed`: the lifecycle plans' order pairs (lifecycle.py).

Text for people, JSON (`resolver-diff`) for programs. Exit 0 when nothing changed, 1 when
something did, 2 when either side cannot be resolved or on a usage error.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from . import records

DIFF_FORMAT = "resolver-diff"
DIFF_VERSION = 1
OP_FIELDS = ("plugin", "operation", "executor", "inputs")


@records.frozen
class Change:
    """One change: `kind` (see the module docstring), `path` (what changed), old and new values."""

    kind: str
    path: str
    old: object = None
    new: object = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "path": self.path, "old": self.old, "new": self.new}


def _op(op: dict) -> dict:
    return {key: op.get(key) for key in OP_FIELDS}


def _operations(plan: dict) -> dict[str, dict]:
    """Every implemented operation by a stable path: `node op` or `node -> target (type) side op`."""
    out = {}
    for node in plan["nodes"]:
        for name, op in node["operations"].items():
            if "." in name and op.get("operation"):
                out[f"{node['id']} {name}"] = _op(op)
        for rel in node["relationships"]:
            for side in ("source", "target"):
                for name, op in rel[f"{side}_operations"].items():
                    if "." in name and op.get("operation"):
                        out[f"{node['id']} -> {rel['target_id']} ({rel['type']}) {side} {name}"] = _op(op)
    return out


def _plugins(plan: dict) -> dict[str, str]:
    return {entry["package_name"]: entry["package_version"] for entry in plan["imports"] if "package_name" in entry}


def _keyed(old: dict, new: dict, added: str, removed: str, changed: str | None) -> list[Change]:
    out = [Change(removed, key, old[key], None) for key in sorted(set(old) - set(new))]
    out += [Change(added, key, None, new[key]) for key in sorted(set(new) - set(old))]
    if changed:
        out += [Change(changed, key, old[key], new[key]) for key in sorted(set(old) & set(new))
                if old[key] != new[key]]
    return out


def diff_plans(old: dict, new: dict, old_lifecycles: dict | None = None,
               new_lifecycles: dict | None = None) -> list[Change]:
    """The changes from `old` to `new` (plans as api.Result.plan); lifecycles: workflow -> as_dict(),
    or None where a manager would refuse the deployment."""
    old_nodes = {n["id"]: n for n in old["nodes"]}
    new_nodes = {n["id"]: n for n in new["nodes"]}
    changes = _keyed({k: n["type"] for k, n in old_nodes.items()}, {k: n["type"] for k, n in new_nodes.items()},
                     "node-added", "node-removed", "type-changed")
    changes += _keyed(_operations(old), _operations(new), "operation-added", "operation-removed",
                      "operation-changed")

    def rels(plan):
        return {f"{n['id']} -> {r['target_id']} ({r['type']})": None for n in plan["nodes"] for r in n["relationships"]}

    changes += _keyed(rels(old), rels(new), "relationship-added", "relationship-removed", None)
    changes += _keyed(_plugins(old), _plugins(new), "plugin-added", "plugin-removed", "plugin-version-changed")
    for workflow in ("install", "uninstall"):
        if old_lifecycles is None or new_lifecycles is None:
            continue
        # a plan a manager would not deploy (None) runs nothing: every pair of the other is a change
        before = {tuple(p) for p in (old_lifecycles[workflow] or {"order": ()})["order"]}
        after = {tuple(p) for p in (new_lifecycles[workflow] or {"order": ()})["order"]}
        if before != after:
            changes.append(Change(f"{workflow}-order-changed", workflow,
                                  [list(p) for p in sorted(before - after)], [list(p) for p in sorted(after - before)]))
    return changes


def _show(value) -> str:
    if isinstance(value, dict) and set(value) == set(OP_FIELDS):
        text = f"{value['plugin']}: {value['operation']} [{value['executor']}]"
        return text + (f" inputs {json.dumps(value['inputs'], sort_keys=True)}" if value["inputs"] else "")
    return json.dumps(value, sort_keys=True) if not isinstance(value, str) else value


def to_text(changes: list[Change], old: str, new: str) -> str:
    if not changes:
        return f"{old} -> {new}: nothing changed\n"
    lines = [f"{old} -> {new}: {len(changes)} change(s)"]
    for change in changes:
        if change.kind.endswith("-order-changed"):
            lines.append(f"  {change.kind}")
            lines += [f"    - {a} before {b}" for a, b in change.old]
            lines += [f"    + {a} before {b}" for a, b in change.new]
        elif change.old is not None and change.new is not None:
            lines.append(f"  {change.kind} {change.path}\n    - {_show(change.old)}\n    + {_show(change.new)}")
        elif change.new is not None:
            lines.append(f"  {change.kind} {change.path}: {_show(change.new)}")
        elif change.old is not None:
            lines.append(f"  {change.kind} {change.path}: {_show(change.old)}")
        else:
            lines.append(f"  {change.kind} {change.path}")
    return "\n".join(lines) + "\n"


def to_json(changes: list[Change], old: str, new: str) -> str:
    document = {"format": DIFF_FORMAT, "version": DIFF_VERSION, "old": old, "new": new,
                "changed": bool(changes), "changes": [c.as_dict() for c in changes]}
    from .jsontext import dumps

    return dumps(document) + "\n"


def _side(session, path: str):
    """Resolve one side: a blueprint, or a lock file's blueprint exactly from the lock."""
    if path.endswith(".lock"):
        with open(path, encoding="utf-8") as handle:
            lock = json.load(handle)
        blueprint = os.path.join(os.path.dirname(path), lock.get("blueprint") or "")
        return session.resolve(blueprint, lock=path)
    return session.resolve(path)


def main(argv=None) -> int:
    from .cli import add_source_options, session_from
    from .lifecycle import WORKFLOWS, lifecycle_of
    from .report import to_text as problems_text

    parser = argparse.ArgumentParser(prog="resolver diff", description="What changed between two blueprints "
                                     "(or a blueprint and its lock file). Exit 0: nothing; 1: something changed.")
    parser.add_argument("old", metavar="OLD")
    parser.add_argument("new", metavar="NEW")
    add_source_options(parser)
    parser.add_argument("-f", "--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    args.strict = False
    for path in (args.old, args.new):
        if not os.path.isfile(path):
            print(f"resolver diff: error: {path}: no such file", file=sys.stderr)
            return 2
    session = session_from(args, "resolver diff", [args.old, args.new])
    if session is None:
        return 2
    try:
        results = [_side(session, path) for path in (args.old, args.new)]
    except (OSError, ValueError) as exc:
        print(f"resolver diff: error: {exc}", file=sys.stderr)
        return 2
    failed = [r for r in results if r.plan is None]
    if failed:
        sys.stderr.write(problems_text(failed, show_plan=False))
        print(f"resolver diff: error: {', '.join(r.blueprint for r in failed)}: cannot be resolved", file=sys.stderr)
        return 2
    plans = [{w: lifecycle_of(r, w) for w in WORKFLOWS} for r in results]
    lifecycles = [{w: plan.as_dict() if plan is not None else None for w, plan in side.items()} for side in plans]
    changes = diff_plans(results[0].plan, results[1].plan, *lifecycles)
    render = to_json if args.format == "json" else to_text
    sys.stdout.write(render(changes, args.old, args.new))
    return 1 if changes else 0
