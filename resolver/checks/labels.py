"""Label values: deployment labels take strings and functions other than get_attribute (their
value must be known when the deployment is created); blueprint labels take strings only (code 1)."""
from __future__ import annotations

from ..load import mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    for section in ("labels", "blueprint_labels"):
        for key, label in blueprint.section(section).items():
            if label is None:  # the reference reads its values and fails
                problems.add("schema-wrong-type", f"{section[:-1].replace('_', ' ')} {key!r} is null; a label is "
                             "a mapping with values", blueprint.mark(section, key),
                             hint="Write `{values: [...]}`, or remove the label.")
                continue
            values = label.get("values") if isinstance(label, dict) else None
            if not isinstance(values, list):
                continue  # the schema reports a missing or misshapen `values`
            for index, value in enumerate(values):
                fault = _fault(section, key, value)
                if fault is not None:  # the place made only for a problem
                    message, hint = fault
                    problems.add("label-value-invalid", message, mark_in(values, index) or blueprint.mark(section, key),
                                 hint=hint)


def _fault(section: str, key, value) -> tuple[str, str | None] | None:
    """(what is wrong with one value of the label `key` of `section`, a hint), or None."""
    if section == "blueprint_labels" and not isinstance(value, str):
        return (f"blueprint label {key!r}: value {value!r} is not a string",
                "Blueprint labels are set at upload, before any function is evaluated.")
    if section == "labels" and not isinstance(value, (dict, str)):
        return f"label {key!r}: value {value!r} is neither a string nor a function", None
    if section == "labels" and isinstance(value, dict) and "get_attribute" in value:
        return (f"label {key!r}: a value cannot be get_attribute (a runtime property)",
                "Labels are set when the deployment is created, before any node runs.")
    return None
