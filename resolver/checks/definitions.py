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
from ..shared import Shared
from ..properties import PropertyChecker, may_be_at_fault
from .shapes import misshapen

SCHEMAS = (("node_types", "properties"), ("relationships", "properties"), ("data_types", "properties"),
           ("policy_types", "properties"), ("policy_triggers", "parameters"))


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    if model.data_types is None:
        return
    for section, key in SCHEMAS:
        shared.each(("definitions", key), section, model.data_types, problems,
                    lambda name, body, data_types, into: _defaults(data_types, section, key, name, body, into))


def _defaults(data_types, section: str, key: str, name, body, problems: Problems) -> None:
    """Every default of one definition's property schema (`key` of `body`), checked against its type."""
    schema = body.get(key) if isinstance(body, dict) else None
    if not isinstance(schema, dict):
        return
    checker = PropertyChecker(data_types, problems)
    for prop, definition in schema.items():
        if not isinstance(definition, dict):
            continue
        default = definition.get("default")
        if default is not None:
            type_name = definition.get("type")
            if not may_be_at_fault(default, type_name):
                continue  # most defaults: nothing to find, no place to make
            checker.value(name, prop, default, type_name, value_mark_in(definition, "default"),
                          what=_WHAT[section], missing=False)
        elif not misshapen(definition.get("type")) and definition.get("type") in data_types:
            # no default: the reference still builds one from the data type's defaults, and
            # checks the null ones it meets there
            checker.value(name, prop, None, definition["type"], mark_in(schema, prop),
                          what=_WHAT[section], missing=False, given=False)


_WHAT = {"node_types": "node type", "relationships": "relationship type", "data_types": "data type",
         "policy_types": "policy type", "policy_triggers": "policy trigger"}
