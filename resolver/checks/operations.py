"""Operations of types, used or not: an executor that is not an executor, retries, retry interval or
timeout below their least value (the reference validates every element it reads, whether a
template uses the type or not), and relationship-type operations that map to nothing (the reference maps every operation of every relationship type
when it parses the blueprint; node types' are judged where templates use them)."""
from __future__ import annotations

from ..load import mark_in, value_mark_in
from ..mapping import EXECUTORS, NUMBERS, heads, normalise
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    for section, what, groups in (("node_types", "node type", ("interfaces",)),
                                  ("relationships", "relationship type", ("source_interfaces", "target_interfaces"))):
        # a definition's executors are judged by it alone
        shared.each(("operation settings",), section, None, problems,
                    lambda name, body, _, into: _settings(what, groups, name, body, into))
    if model.mapper is not None and model.relationship_types is not None:
        _relationship_type_mappings(blueprint, model, problems, shared)


def _settings(what: str, groups: tuple, name, body, problems: Problems) -> None:
    for group in groups:
        for iface, op_name, raw in _operations(body, group):
            if not isinstance(raw, dict):
                continue
            executor = raw.get("executor")
            if executor is not None and executor not in EXECUTORS:
                problems.add("operation-executor-invalid",
                             f"{what} {name!r}: operation '{iface}.{op_name}' has executor {executor!r}",
                             value_mark_in(raw, "executor"))
            for key, minimum in NUMBERS:
                value = raw.get(key)
                # (a value of another type is the schema's to report; the words are mapping.normalise's,
                # so that a used type's operation, which it judges too, is reported once)
                if isinstance(value, (int, float)) and value < minimum:
                    problems.add("operation-value-invalid",
                                 f"{key} of {iface}.{op_name} must be at least {minimum}, not {value}",
                                 value_mark_in(raw, key))


def _operations(body, group: str):
    """(interface, operation, raw definition) of one interface group of a type body."""
    interfaces = body.get(group) if isinstance(body, dict) else None
    for iface, ops in interfaces.items() if isinstance(interfaces, dict) else ():
        for op_name, raw in ops.items() if isinstance(ops, dict) else ():
            yield iface, op_name, raw


TYPE_MAPPING_CODES = frozenset(("relationship-operation-unmapped", "script-plugin-missing", "script-path-reserved",
                                "operation-ambiguous"))


def _relationship_type_mappings(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    # Executors are judged where a template uses the type; here the mappings that name no
    # declared plugin (unmapped, or scripts: a script plugin missing, script_path among the
    # inputs) or several (ambiguous), as the reference maps every operation of every relationship
    # type. The mapper reports into a scratch collector, whose other findings are dropped, and a
    # fault the node builder already reported at the same place (a used type's) is not repeated.
    quiet = Problems()
    mapper = model.mapper.sharing_probes(quiet)
    types = model.relationship_types
    for section, names, bodies in shared.documents("relationships"):
        if section is not None:
            kept = shared.made(("relationship type mappings", id(section)), (section,),
                               lambda: _Kept(*_definitions(None, section.keys(), section.values())))
            reported, unnamed = kept.reported, kept.unnamed(mapper)
        else:
            reported, operations = _definitions(shared, names, bodies)
            unnamed = _unnamed(operations, mapper)
        # a type whose hierarchy (or empty body) is at fault is passed over: it was reported
        # where it was resolved
        for name, found in reported:
            if types.check(name):
                problems.extend(found)
        for name, op_name, op in unnamed:
            if types.check(name):
                mapper.map(op, op_name=op_name, code="relationship-operation-unmapped",
                           context=f"relationship type {name!r}")
    reported = {(p.code, p.file, p.line, p.column) for p in problems if p.code in TYPE_MAPPING_CODES}
    problems.extend(p for p in quiet
                    if p.code in TYPE_MAPPING_CODES and (p.code, p.file, p.line, p.column) not in reported)


def _definitions(shared: Shared | None, names, bodies) -> tuple[list, list]:
    """(name, what normalising reported) of the relationship types `names` (with `bodies`) whose
    normalising reported, and (name, operation, OpDef) of every operation of theirs that has a
    mapping, in order. With `shared`, a definition of a kept document is normalised once per
    session."""
    reported, operations = [], []
    for name, body in zip(names, bodies):
        if not isinstance(body, dict):
            continue
        if shared is not None and shared.kept("relationships", name, body):
            found, normalised = shared.made(("relationship type operations", id(body)), (body,),
                                            lambda: _normalised(body))
        else:
            found, normalised = _normalised(body)
        if found:
            reported.append((name, found))
        operations.extend((name, op_name, op) for _, op_name, op in normalised)
    return reported, operations


def _unnamed(operations, mapper) -> tuple:
    """The `operations` whose mappings name none of `mapper`'s declared plugins, or several. One
    that names one declared plugin names something, whether it runs a script or that plugin's
    function (and the file probe, the costly part, is not needed to know)."""
    return tuple(entry for entry in operations if len(mapper.candidates(entry[2].implementation)) != 1)


class _Kept:
    """`_definitions` of all the relationship types of a kept document's section, worked out once
    per session from the section alone; and the operations among them naming no declared plugin,
    which depend on no more than which of the names their mappings could give a plugin are
    declared (kept for a few sets of such names)."""

    __slots__ = ("reported", "operations", "names", "by_plugins")

    MAX_PLUGIN_SETS = 32

    def __init__(self, reported: list, operations: list) -> None:
        self.reported = reported
        self.operations = operations
        # the names a declared plugin of any of these mappings may have
        self.names = frozenset(name for _, _, op in operations for name in heads(op.implementation))
        self.by_plugins: dict[frozenset, tuple] = {}  # the declared plugins among `names` -> `_unnamed`

    def unnamed(self, mapper) -> tuple:
        """`_unnamed` of the operations for `mapper`'s declared plugins."""
        declared = self.names.intersection(mapper.names)
        found = self.by_plugins.get(declared)
        if found is None:
            found = _unnamed(self.operations, mapper)
            if len(self.by_plugins) < self.MAX_PLUGIN_SETS:
                self.by_plugins[declared] = found
        return found


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
