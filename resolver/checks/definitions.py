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
from ..shared import Shared, documents
from ..properties import TYPE_NAMES, PropertyChecker, may_be_at_fault
from .shapes import misshapen

SCHEMAS = (("node_types", "properties"), ("node_types", "runtime_properties"), ("relationships", "properties"), ("data_types", "properties"),
           ("policy_types", "properties"), ("policy_triggers", "parameters"))


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    if model.data_types is None:
        return
    _property_cycles(blueprint, problems, shared)
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


def _property_cycles(blueprint: Blueprint, problems: Problems, shared: Shared) -> None:
    """Data types that contain themselves: a property typed with the data type itself, or with
    one that leads back to it through its own properties' types or its derived_from (code 100, as
    the reference's element graph finds it; a cycle of derived_from alone is hierarchy.py's). What
    each definition may lead to is read once per session for a document the session keeps."""
    data_types = blueprint.section("data_types")
    if not data_types:
        return
    edges: dict = {}  # data type -> [(next data type, through a property? (its name) or None)]
    for held, names, bodies in documents(blueprint, "data_types", shared):
        if held is not None:
            leads = shared.made(("data type leads", id(held)), (held,),
                                lambda held=held: _leads(held.keys(), held.values()))
        else:
            leads = _leads(names, bodies)
        for name, out in leads.items():
            known = [(target, prop) for target, prop in out if target in data_types]
            if known:
                edges[name] = known
    state: dict = {}  # name -> 1 on the path, 2 done
    for start in edges:
        if start in state:
            continue
        path: list = [(start, None)]  # (data type, the property that led to it)
        stack = [iter(edges.get(start, ()))]
        state[start] = 1
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                state[path.pop()[0]] = 2
                continue
            target, prop = step
            if state.get(target) == 1:
                names_on_path = [n for n, _ in path]
                cycle = path[names_on_path.index(target):] + [(target, prop)]
                if any(p is not None for _, p in cycle[1:]):  # a derived_from cycle alone is reported already
                    shown = " --> ".join(n if p is None else f"{p} --> {n}" for n, p in cycle[1:])
                    problems.add("cycle", f"data type {target!r} contains itself: {target} --> {shown}",
                                 mark_in(data_types, target),
                                 hint="A data type cannot hold a property of its own type, directly or through others.")
                continue
            if target not in state:
                state[target] = 1
                path.append((target, prop))
                stack.append(iter(edges.get(target, ())))


def _leads(names, bodies) -> dict:
    """The data types each definition may lead to: {name: [(a name its derived_from or one of its
    properties' types gives, the property or None)]}, for those that name any (a primitive's name
    is the primitive, data type or not)."""
    out = {}
    for name, body in zip(names, bodies):
        if not isinstance(body, dict):
            continue
        found = []
        parent = body.get("derived_from")
        if isinstance(parent, str):
            found.append((parent, None))
        properties = body.get("properties")
        for prop, definition in properties.items() if isinstance(properties, dict) else ():
            type_name = definition.get("type") if isinstance(definition, dict) else None
            if isinstance(type_name, str) and type_name not in TYPE_NAMES:
                found.append((type_name, prop))
        if found:
            out[name] = found
    return out
