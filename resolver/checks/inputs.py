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
        if not isinstance(schema, dict):
            continue
        if schema.get("hidden") and schema.get("required", True) and "default" not in schema:
            problems.add("input-hidden-required", f"input {name!r} is hidden and required, so it needs a default",
                         mark_in(inputs, name) or blueprint.mark("inputs", name),  # made only for a problem
                         hint="Give it a default, or make it required: false or not hidden.")
        if schema.get("display") and schema.get("type") != "textarea":
            problems.add("input-display-invalid",
                         f"input {name!r}: display hints are only for type textarea, not {schema.get('type')!r}",
                         mark_in(schema, "display"))
        if "default" in schema:
            _default(name, schema, checker, problems)
    if checker is None:
        return
    # a workflow's parameters are judged by it and the data types they name alone
    shared.each(("workflow parameters",), "workflows", model.data_types, problems, _parameters)


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


def _default(name: str, schema: dict, checker: PropertyChecker | None, problems: Problems) -> None:
    default, type_name = schema["default"], schema.get("type")
    # a null default is no default to the reference's type check (its constraints still judge it)
    if checker is not None and default is not None and may_be_at_fault(default, type_name):
        checker.value(name, name, default, type_name, value_mark_in(schema, "default"), what="input")
