"""Operations of types, used or not: an executor that is not an executor, and relationship-type
operations that map to nothing (the reference maps every operation of every relationship type
when it parses the blueprint; node types' are judged where templates use them)."""
from __future__ import annotations

from ..load import mark_in, value_mark_in
from ..mapping import EXECUTORS, normalise
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    for section, what, groups in (("node_types", "node type", ("interfaces",)),
                                  ("relationships", "relationship type", ("source_interfaces", "target_interfaces"))):
        # a definition's executors are judged by it alone
        shared.each(("operation executors",), section, None, problems,
                    lambda name, body, _, into: _executors(what, groups, name, body, into))
    if model.mapper is not None and model.relationship_types is not None:
        _relationship_type_mappings(blueprint, model, problems, shared)


def _executors(what: str, groups: tuple, name, body, problems: Problems) -> None:
    for group in groups:
        for iface, op_name, raw in _operations(body, group):
            executor = raw.get("executor") if isinstance(raw, dict) else None
            if executor is not None and executor not in EXECUTORS:
                problems.add("operation-executor-invalid",
                             f"{what} {name!r}: operation '{iface}.{op_name}' has executor {executor!r}",
                             value_mark_in(raw, "executor"))


def _operations(body, group: str):
    """(interface, operation, raw definition) of one interface group of a type body."""
    interfaces = body.get(group) if isinstance(body, dict) else None
    for iface, ops in interfaces.items() if isinstance(interfaces, dict) else ():
        for op_name, raw in ops.items() if isinstance(ops, dict) else ():
            yield iface, op_name, raw


def _relationship_type_mappings(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    # Scripts and executors are judged where a template uses the type; here only the mappings
    # that name nothing are faults, so the mapper reports into a scratch collector.
    quiet = Problems()
    mapper = model.mapper.sharing_probes(quiet)
    types = model.relationship_types
    for name, body in blueprint.section("relationships").items():
        if not isinstance(body, dict) or not types.check(name):
            continue  # its hierarchy (or its empty body) is at fault, reported where it was resolved
        if shared.kept("relationships", name, body):
            found, operations = shared.made(("relationship type operations", id(body)), (body,),
                                            lambda: _normalised(body))
        else:
            found, operations = _normalised(body)
        problems.extend(found)
        for iface, op_name, op in operations:
            if mapper.candidates(op.implementation):
                # it names a declared plugin: whether it runs a script or that plugin's function,
                # it names something (and the file probe, the costly part, is not needed to know)
                continue
            mapper.map(op, op_name=op_name, code="relationship-operation-unmapped",
                       context=f"relationship type {name!r}")
    problems.extend(p for p in quiet if p.code == "relationship-operation-unmapped")


def _normalised(body) -> tuple[tuple, tuple]:
    """(the problems normalising them reports, (interface, operation, OpDef) of every operation
    of a relationship type's body that has a mapping), all of them worked out from the body
    alone: once per session for a definition of a kept document."""
    found = Problems()
    operations = []
    for group in ("source_interfaces", "target_interfaces"):
        interfaces = body.get(group)
        for iface, op_name, raw in _operations(body, group):
            op = normalise(raw, mark_in(interfaces[iface], op_name), found, f"{iface}.{op_name}")
            if op.implementation:  # an operation without one maps to nothing, which is no fault
                operations.append((iface, op_name, op))
    return tuple(found), tuple(operations)
