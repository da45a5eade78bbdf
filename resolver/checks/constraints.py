"""Input defaults against their constraints and item types, as the reference checks them when the
blueprint is parsed (codes 105, 213)."""
from __future__ import annotations

from ..load import value_mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared
from ..properties import matches
from ..versions import PRIMITIVE_TYPES
from .functions import call_of


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    # a default's place (value_mark_in) is made only for a problem: most defaults are fine
    for name, schema in blueprint.section("inputs").items():
        if not isinstance(schema, dict) or "default" not in schema:
            continue
        default = schema["default"]
        constraints = schema.get("constraints")
        item_type = schema.get("item_type")
        if schema.get("type") == "list" and item_type in PRIMITIVE_TYPES and isinstance(default, list):
            for item in default:
                if not matches(item, item_type):
                    problems.add("property-type-mismatch",
                                 f"input {name!r}: item {item!r} of the default is not of item_type {item_type}",
                                 value_mark_in(schema, "default"))
                    break
            values = default
        else:
            values = [default]
        if constraints and any(call_of(value) is not None for value in values):
            problems.add("input-function-with-constraints",
                         f"input {name!r}: a default that is an intrinsic function cannot have constraints",
                         value_mark_in(schema, "default"),
                         hint="Give a literal default, or drop the constraints.")
