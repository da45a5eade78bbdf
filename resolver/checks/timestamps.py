"""YAML timestamps (and sets) where the reference takes a typed value (`yaml-timestamp-typed`).

A plain scalar that YAML 1.1 reads as a date or a time (`2024-01-01`) is a `datetime` to the
reference, whose element checks then fail on it (with a raw ValueError) wherever they check a
value's type: a name, a description, a plugin key, a default, an output's value, a label. Only
inside the values it does not look into is it accepted: a template's properties and operation
inputs, a relationship's, what a default, an output's or a capability's value holds, policy
properties and trigger parameters, metadata and the like. The loader keeps such a text as written
(load.Stamp) and marks the documents that hold one, so only those are walked. A mapping tagged
`!!set` (load.YamlSet) is a Python set to the reference, and judged the same way.
"""
from __future__ import annotations

from ..load import Map, Seq, Stamp, YamlSet
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared

ANY = object()  # one step of any name or index
INTERFACES = ("source_interfaces", "target_interfaces")
# Paths below which values are taken as they are (their own value is still checked: a timestamp
# where the mapping goes is refused).
FREE = (
    ("node_templates", ANY, "properties"),
    ("node_templates", ANY, "interfaces", ANY, ANY, "inputs"),
    ("node_templates", ANY, "relationships", ANY, "properties"),
    ("node_templates", ANY, "relationships", ANY, INTERFACES, ANY, ANY, "inputs"),
    ("outputs", ANY, "value"),
    ("capabilities", ANY, "value"),
    ("policies", ANY, "properties"),
    ("groups", ANY, "policies", ANY, "properties"),
    ("groups", ANY, "policies", ANY, "triggers", ANY, "parameters"),
    ("metadata",),
    ("dsl_definitions",),
    ("deployment_settings", "default_schedules", ANY, "workflow_parameters"),
    ("plugins", ANY, "properties", ANY, "value"),
)


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    for source in blueprint.files:
        if getattr(source.doc, "_stamped", False):
            _walk(source.doc, (), problems)


def _free(path: tuple) -> bool:
    """Whether the values below `path` are taken as they are."""
    if len(path) >= 2 and path[-1] == "default":  # a default's own value is checked, not what it holds
        return True
    for pattern in FREE:
        if len(path) >= len(pattern) and all(
                step is ANY or (step == name if isinstance(step, str) else name in step)
                for step, name in zip(pattern, path)):
            return True
    return False


def _walk(container, path: tuple, problems: Problems) -> None:
    if _free(path):
        return
    if isinstance(container, Map):
        for key, value in container.items():
            if isinstance(key, Stamp):
                _report(problems, key, "a name", container.key_mark(key))
            if isinstance(value, (Stamp, YamlSet)):
                _report(problems, value, f"the value of {key!r}", container.value_mark(key))
            elif isinstance(value, (Map, Seq)):
                _walk(value, path + (key,), problems)
    elif isinstance(container, Seq):
        for index, value in enumerate(container):
            if isinstance(value, (Stamp, YamlSet)):
                _report(problems, value, "a list item", container.item_mark(index))
            elif isinstance(value, (Map, Seq)):
                _walk(value, path + (index,), problems)


def _report(problems: Problems, value, what: str, mark) -> None:
    if isinstance(value, YamlSet):
        problems.add("yaml-timestamp-typed", f"{what} is a YAML set (!!set), which the reference cannot take here",
                     mark, hint="Drop the !!set tag: a mapping (or a list) is what goes here.")
        return
    problems.add("yaml-timestamp-typed", f"{what}, {value}, is a YAML timestamp (a date or time), which the "
                 "reference cannot take here", mark, hint=f"Quote it ('{value}') to make it a string.")
