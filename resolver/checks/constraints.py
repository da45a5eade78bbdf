"""Input defaults against their constraints and item types, as the reference judges them once the
blueprint is parsed (its `validate_input_defaults`; codes 105, 213 and uncoded errors).

The value judged is the default, or each of its items for a `list` with an `item_type` (an item
must be of the item type, and the constraints hold for each item, not for the list). For each:
- an intrinsic function cannot have constraints;
- a value of an object-based type (`node_id`, `deployment_id`, ...) is one the reference checks
  against the manager, which it cannot do while parsing: it refuses the default;
- every constraint holds (properties.constraint_fault);
- a data-based operator (`name_pattern`, `filter_id`, ...) asks the manager; the reference
  refuses one on a type it is not for (and the object-based types have been refused above).
A list with an item type and a null default fails in the reference (it reads the items of None).
A default that is not of its type is reported by checks/inputs.py; the reference stops there, so
nothing more is judged of it here.
"""
from __future__ import annotations

from ..load import mark_in, value_mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared
from ..properties import DATA_BASED, constraint_fault, matches, operator_of
from ..versions import OBJECT_TYPES, PRIMITIVE_TYPES
from .functions import call_of


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    # a default's place (value_mark_in) is made only for a problem: most defaults are fine
    for name, schema in blueprint.section("inputs").items():
        if isinstance(schema, dict) and "default" in schema:
            _default(name, schema, problems)


def _default(name, schema: dict, problems: Problems) -> None:
    default = schema["default"]
    type_name, item_type = schema.get("type"), schema.get("item_type")
    constraints = schema.get("constraints")
    if constraints is None and "constraints" in schema:
        # the reference reads the constraints of an input with a default as a list, and fails on null
        problems.add("schema-wrong-type", f"input {name!r}: constraints is null, and the input has a default to "
                     "judge against them", mark_in(schema, "constraints"),
                     hint="Remove the constraints key, or list the constraints.")
        return
    if type_name == "list" and item_type:
        if default is None:
            problems.add("property-type-mismatch",
                         f"input {name!r}: a list of {item_type} has a null default, whose items the reference "
                         "cannot read", value_mark_in(schema, "default"),
                         hint="Give a list as the default (`[]` for none), or remove the default.")
            return
        if not isinstance(default, list):
            return  # not of its type: checks/inputs.py reports it
        wrong = [item for item in default if not matches(item, item_type)] if item_type in PRIMITIVE_TYPES else []
        if wrong:
            problems.add("property-type-mismatch",
                         f"input {name!r}: item {wrong[0]!r} of the default is not of item_type {item_type}",
                         value_mark_in(schema, "default"))
        values, value_type, per_item = default, item_type, True
    else:
        values, value_type, per_item = [default], type_name, False
    if not values:
        return  # an empty list: no item to judge
    if constraints and any(call_of(value) is not None for value in values):
        problems.add("input-function-with-constraints",
                     f"input {name!r}: a default that is an intrinsic function cannot have constraints",
                     value_mark_in(schema, "default"),
                     hint="Give a literal default, or drop the constraints.")
        return
    if value_type in OBJECT_TYPES:
        of = f"a list of {value_type}" if per_item else f"of type {value_type}"
        problems.add("input-default-object-type",
                     f"input {name!r} ({of}) has a default, which the reference would check against the "
                     "manager's objects and refuses when it parses the blueprint", value_mark_in(schema, "default"),
                     hint="Remove the default: the value is given when a deployment is created.")
        return
    for value in values:
        fault = constraint_fault(value, constraints)
        if fault:
            problems.add("input-constraint-violated",
                         f"item {value!r} of the default of input {name!r} violates constraint {fault}" if per_item
                         else f"default of input {name!r} ({value!r}) violates constraint {fault}",
                         value_mark_in(schema, "default"))
            return
    operators = (operator_of(constraint, evaluated=True) for constraint in
                 (constraints if isinstance(constraints, list) else ()))
    asking = next((operator for operator in operators if operator in DATA_BASED), None)
    if asking is not None:
        problems.add("input-constraint-type-invalid",
                     f"input {name!r}: constraint {asking} is for the types {', '.join(DATA_BASED[asking])}, "
                     f"not {value_type}; with a default to judge, the reference refuses it",
                     value_mark_in(schema, "default"),
                     hint=f"Remove the {asking} constraint, or the default.")
