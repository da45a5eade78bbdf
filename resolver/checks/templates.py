"""Node templates: only the keys a node template has (code 1)."""
from __future__ import annotations

from ..load import mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared

TEMPLATE_KEYS = ("type", "properties", "instances", "capabilities", "interfaces", "relationships")


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    for name, body in blueprint.section("node_templates").items():
        for key in body if isinstance(body, dict) else ():
            if key not in TEMPLATE_KEYS:
                problems.add("schema-unknown-key", f"node template {name!r}: {key!r} is not a node template key",
                             mark_in(body, key))
