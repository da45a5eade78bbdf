"""Definitions nobody uses: every property default of every node type, relationship type, data
type, policy type and policy trigger is checked against its declared type, once, at the default
(codes 105, 106), as the reference parses them all whether a template uses them or not."""
from __future__ import annotations

from ..load import value_mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..properties import PropertyChecker

SCHEMAS = (("node_types", "properties"), ("relationships", "properties"), ("data_types", "properties"),
           ("policy_types", "properties"), ("policy_triggers", "parameters"))


def check(blueprint: Blueprint, model: Model, problems: Problems) -> None:
    if model.data_types is None:
        return
    checker = PropertyChecker(model.data_types, problems)
    for section, key in SCHEMAS:
        for name, body in blueprint.section(section).items():
            schema = body.get(key) if isinstance(body, dict) else None
            if not isinstance(schema, dict):
                continue
            for prop, definition in schema.items():
                if not isinstance(definition, dict) or definition.get("default") is None:
                    continue
                checker.value(name, prop, definition["default"], definition.get("type"),
                              value_mark_in(definition, "default"), what=_WHAT[section], missing=False)


_WHAT = {"node_types": "node type", "relationships": "relationship type", "data_types": "data type",
         "policy_types": "policy type", "policy_triggers": "policy trigger"}
