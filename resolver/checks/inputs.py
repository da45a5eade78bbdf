"""Blueprint inputs: hidden inputs need a default, display hints only on textareas, and a
default must match its type (codes 105, and those of codes.py's input rows). Its constraints, its
items' types and defaults that are functions are judged in checks/constraints.py.

Workflow parameters' defaults are judged against their types as input defaults are (105, 106,
107), and only so: the reference checks neither their constraints nor their item types."""
from __future__ import annotations

from ..load import mark_in, value_mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared
from ..properties import PropertyChecker, may_be_at_fault


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    inputs = blueprint.section("inputs")
    checker = PropertyChecker(model.data_types, problems) if model.data_types is not None else None
    for name, schema in inputs.items():
        if isinstance(schema, dict):
            input_schema("input", inputs, name, schema, checker, problems,
                    lambda name=name: mark_in(inputs, name) or blueprint.mark("inputs", name))
    if checker is None:
        return
    # a workflow's parameters are judged by it and the data types they name alone
    shared.each(("workflow parameters",), "workflows", model.data_types, problems, _parameters)


def input_schema(what: str, inputs: dict, name, schema: dict, checker: PropertyChecker | None,
                 problems: Problems, place) -> None:
    """One input schema (`inputs[name]`): hidden needs a default, display only on a textarea, the
    default of its type. `place()` is the schema's mark, made only for a problem. Also for the
    input schemas of types' operations, used or not (checks/schemas.py calls it for them): the
    reference reads them as blueprint inputs (`NodeTypeOperationInputs` is its `Inputs`)."""
    if schema.get("hidden") and schema.get("required", True) and "default" not in schema:
        problems.add("input-hidden-required", f"{what} {name!r} is hidden and required, so it needs a default",
                     place(), hint="Give it a default, or make it required: false or not hidden.")
    if schema.get("display") is not None and schema.get("type") != "textarea":  # `{}` too, as the reference has it
        problems.add("input-display-invalid",
                     f"{what} {name!r}: display hints are only for type textarea, not {schema.get('type')!r}",
                     mark_in(schema, "display"))
    if "default" in schema:
        _default(name, schema, checker, problems, what)


def _parameters(workflow, body, data_types, problems: Problems) -> None:
    """The defaults of one workflow's parameters, against their types."""
    parameters = body.get("parameters") if isinstance(body, dict) else None
    checker = PropertyChecker(data_types, problems)
    for name, schema in parameters.items() if isinstance(parameters, dict) else ():
        if not isinstance(schema, dict):
            continue
        default, type_name = schema.get("default"), schema.get("type")
        if default is not None and may_be_at_fault(default, type_name):
            checker.value(name, name, default, type_name, value_mark_in(schema, "default"),
                          what=f"workflow {workflow!r} parameter")


def _default(name: str, schema: dict, checker: PropertyChecker | None, problems: Problems, what: str = "input") -> None:
    default, type_name = schema["default"], schema.get("type")
    # a null default is no default to the reference's type check (its constraints still judge it)
    if checker is not None and default is not None and may_be_at_fault(default, type_name):
        checker.value(name, name, default, type_name, value_mark_in(schema, "default"), what=what)
