"""Definitions nobody uses: every property default of every node type, relationship type, data
type, policy type and policy trigger is checked against its declared type, once, at the default
(codes 105, 106), as the reference parses them all whether a template uses them or not. A
data-typed property without a default is checked too: the null defaults nested in its data type
are faults there (the reference fills the value from them and checks it)."""
from __future__ import annotations

from ..load import mark_in, value_mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..properties import PropertyChecker
from .shapes import misshapen

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
                if not isinstance(definition, dict):
                    continue
                default = definition.get("default")
                if default is not None:
                    checker.value(name, prop, default, definition.get("type"), value_mark_in(definition, "default"),
                                  what=_WHAT[section], missing=False)
                elif not misshapen(definition.get("type")) and definition.get("type") in model.data_types:
                    # no default: the reference still builds one from the data type's defaults, and
                    # checks the null ones it meets there
                    checker.value(name, prop, None, definition["type"], mark_in(schema, prop),
                                  what=_WHAT[section], missing=False, given=False)


_WHAT = {"node_types": "node type", "relationships": "relationship type", "data_types": "data type",
         "policy_types": "policy type", "policy_triggers": "policy trigger"}
