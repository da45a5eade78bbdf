"""depends_on_lifecycle_operation relationships (codes 215, 216 of the reference's relationship checks)."""
from __future__ import annotations

from ..load import mark_in, value_mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared

LIFECYCLE_DEPENDENCY = "cloudify.relationships.depends_on_lifecycle_operation"


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    templates = blueprint.section("node_templates")
    for name, body in templates.items():
        rels = body.get("relationships") if isinstance(body, dict) else None
        if not isinstance(rels, list):
            continue
        for index, rel in enumerate(rels):
            if not isinstance(rel, dict) or rel.get("type") != LIFECYCLE_DEPENDENCY:
                continue
            props = rel.get("properties") if isinstance(rel.get("properties"), dict) else {}
            operation = props.get("operation")
            if not operation:
                problems.add("lifecycle-dependency-without-operation",
                             f"node {name!r}: {LIFECYCLE_DEPENDENCY} needs the property 'operation'",
                             mark_in(rels, index), hint="Name the target's lifecycle operation to wait for.")
                continue
            target = templates.get(rel.get("target"))
            interfaces = target.get("interfaces") if isinstance(target, dict) else None
            lifecycle = interfaces.get("cloudify.interfaces.lifecycle") if isinstance(interfaces, dict) else None
            # a mapping or list (a function, say) names no operation: the reference's look-up misses too
            if not isinstance(lifecycle, dict) or isinstance(operation, (dict, list)) or operation not in lifecycle:
                problems.add("lifecycle-dependency-unknown-operation",
                             f"node {name!r}: target {rel.get('target')!r} does not define lifecycle operation "
                             f"{operation!r} in its template", value_mark_in(props, "operation") or mark_in(rels, index),
                             hint="Define the operation under the target template's cloudify.interfaces.lifecycle.")
