"""Workflow declarations: their keys and the values of availability_rules.node_instances_active
(codes 1 and workflow-availability-invalid). The availability_rules gate is in checks/versions.py."""
from __future__ import annotations

from ..load import mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared
from .shapes import unknown_keys

WORKFLOW_KEYS = ("mapping", "parameters", "is_cascading", "availability_rules")
NODE_INSTANCES_ACTIVE = ("all", "partial", "none")


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    # a declaration is judged by itself alone
    shared.each(("workflow declarations",), "workflows", None, problems, _declaration)


def _declaration(name, workflow, _, problems: Problems) -> None:
    if not isinstance(workflow, dict):
        return
    unknown_keys(problems, workflow, WORKFLOW_KEYS, f"workflow {name!r}", "workflow")
    rules = workflow.get("availability_rules")
    active = rules.get("node_instances_active") if isinstance(rules, dict) else None
    for index, value in enumerate(active if isinstance(active, list) else ()):
        if value not in NODE_INSTANCES_ACTIVE:
            problems.add("workflow-availability-invalid",
                         f"workflow {name!r}: node_instances_active value {value!r} is not one of "
                         f"{', '.join(NODE_INSTANCES_ACTIVE)}", mark_in(active, index))
