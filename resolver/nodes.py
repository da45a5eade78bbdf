"""Stage 5 (continued): node templates, relationships, workflows and plugins, mapped.

Builds, for every node template, its resolved type, merged properties, every operation
of every interface mapped (`mapping.Mapper`), its relationships with their source and
target operations, and its host. The builder only builds: it reports what stops it building
a part (an unknown type or target, a value it cannot merge, an operation it cannot map), and a
faulty node is still built as far as it can be; every other rule is a check over the built
model (`checks/`, run after it).
"""
from __future__ import annotations

import functools
import heapq
import operator
import sys
from typing import Any

from . import records
from .hierarchy import ResolvedType, TypeTable, is_contained_in, is_host
from .load import Map, mark_in, value_mark_in
from .mapping import NO_OPERATION, Mapper, MappingStrings, OpDef, Operation, hashable, merge_with_type, normalise
from .merge import Blueprint
from .problems import Mark, Problems
from .properties import PropertyChecker
from .shared import documents

PLUGIN_KEYS = ("source", "executor", "install", "install_arguments", "package_name", "package_version",
               "supported_platform", "distribution", "distribution_version", "distribution_release",
               "properties_description", "properties")


@records.mutable
class Relationship:
    type: str
    target_id: str
    type_hierarchy: tuple
    properties: dict
    source_operations: dict
    target_operations: dict
    mark: Mark | None = None


@records.mutable
class Node:
    id: str
    type: str
    type_hierarchy: tuple
    properties: dict
    operations: dict
    relationships: list
    mark: Mark | None = None
    host_id: str | None = None
    plugins: list = records.field(factory=list)
    plugins_to_install: list | None = None
    deployment_plugins_to_install: list = records.field(factory=list)


@records.mutable
class Workflow:
    name: str
    plugin: str
    operation: str
    parameters: dict
    is_cascading: bool | None  # None: written with no value, kept so as in the reference's plan


@records.mutable
class Model:
    nodes: list[Node]
    workflows: dict[str, Workflow]
    plugins: dict[str, dict]
    # the resolved types and the mapper, for the checks that validate values against schemas
    # and map the operations of types no template uses
    data_types: TypeTable | None = None
    relationship_types: TypeTable | None = None
    mapper: Mapper | None = None


@records.mutable
class _Pending:
    """One operation of a template on its way to a record (`NodeBuilder._map_all`). (A record,
    not a NamedTuple: typing compiles a NamedTuple's every annotation at import, a run's start.)"""

    full: str  # interface.operation
    iface: str
    op_name: str
    key: tuple | None  # `_definition_key` of the type's definition the template left unchanged
    op: Any  # the merged OpDef to map, or the shared Operation
    reports: int  # made while merging it


class _Tally:
    """The builder's problems, counting every report (a repeat the collector drops included), so
    that a part built without a word can be told from one whose every word was a repeat."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.reports = 0

    def add(self, *args, **kwargs):
        self.reports += 1
        return self.problems.add(*args, **kwargs)


class NodeBuilder:
    """Builds the model of one blueprint.

    What a template takes from its type unchanged is built once and shared: each operation (per
    definition, which derived types share with the type that wrote it), the whole operations
    dict of a template that overrides no interface, and the properties of a template that gives
    none. Only a part whose building reported nothing is shared, since a report names the node
    or relationship it was made for: a part that reports is built (and reports) again for each
    template, as it would be without the sharing. The operations of a type the session resolves
    once (`TypeTable.session_made`) are shared by the session's blueprints too: all of them
    (`_session_key`), or one by one for a template that overrides some (`_op_session_key`).
    """

    def __init__(self, blueprint: Blueprint, problems: Problems, script_exists, shared=None) -> None:
        """`shared` (shared.Shared): what the session's blueprints share (resolved types, the
        operations they give templates)."""
        self.bp = blueprint
        self.shared = shared
        problems = _Tally(problems)
        self.problems = problems
        self.node_types = TypeTable(blueprint, "node_types", problems, ("interfaces",), shared)
        self.rel_types = TypeTable(blueprint, "relationships", problems,
                                   ("source_interfaces", "target_interfaces"), shared)
        self.data_types = TypeTable(blueprint, "data_types", problems, (), shared)
        self.plugins = self._plugins()
        self.mapper = Mapper(self.plugins, script_exists, blueprint.namespaces_mapping, problems)
        self.checker = PropertyChecker(self.data_types, problems)
        self._type_ops: dict = {}  # id(definition) -> (definition, its OpDef, whether normalising it was quiet)
        # what a template takes unchanged from its type: the operations of an interface group (by
        # group and type name), one operation (by `_definition_key`), the properties (by section
        # and type name)
        self._shared_ops: dict[tuple, dict[str, Operation]] = {}
        self._shared_op: dict[tuple, Operation] = {_BLANK: NO_OPERATION}
        self._shared_properties: dict[tuple, dict] = {}
        self._names: dict[tuple, tuple] = {}  # (interface, id(its operations)) -> (them, `_operation_names`)

    # -- plugins --------------------------------------------------------------------------
    def _plugins(self) -> dict[str, dict]:
        """Every plugin declared as a mapping (checks/plugins.py judges the declarations); those of
        a kept document's section merged whole are read once per session (nothing writes into
        them)."""
        out = {}
        for held, names, bodies in documents(self.bp, "plugins", self.shared):
            if held is not None:
                out.update(self.shared.made(("plugin entries", id(held)), (held,),
                                            lambda: _plugin_entries(held.keys(), held.values())))
            else:
                out.update(_plugin_entries(names, bodies))
        return out

    def _check_types(self) -> None:
        # every type's chain is checked, used or not, so that a broken hierarchy is reported (as
        # the reference does); a type is resolved when the builder or a check first asks for it
        for table in (self.data_types, self.node_types, self.rel_types):
            table.check_all()

    def _normalised(self, type_ops: dict, op_name, where) -> OpDef:
        """The type's operation definition `type_ops[op_name]` normalised, a mapping once per
        blueprint (its place made only then: the templates of a type meet it again and again)."""
        raw = type_ops[op_name]
        key = id(raw) if isinstance(raw, dict) else None
        if key is not None and key in self._type_ops:
            return self._type_ops[key][1]
        reports = self.problems.reports
        op = normalise(raw, mark_in(type_ops, op_name), self.problems, where)
        if key is not None:  # raw kept alive so that its id stays unique
            self._type_ops[key] = (raw, op, self.problems.reports == reports)
        return op

    # -- nodes ------------------------------------------------------------------------------
    def build(self) -> Model:
        self._check_types()
        templates = self.bp.section("node_templates")
        nodes: list[Node] = []
        for name, body in templates.items():
            node = self._node(name, body)
            if node is not None:
                nodes.append(node)
        by_id = {node.id: node for node in nodes}
        for node in nodes:
            self._relationships(node, templates.get(node.id), by_id)
        self._hosts(nodes, by_id)
        workflows = self._workflows()
        return Model(nodes=nodes, workflows=workflows, plugins=self.plugins, data_types=self.data_types,
                     relationship_types=self.rel_types, mapper=self.mapper)

    def _node(self, name, body) -> Node | None:
        mark = self.bp.mark("node_templates", name)
        if not isinstance(body, dict):
            self.problems.add("schema-wrong-type", f"node template {name!r} must be a mapping", mark)
            return None
        type_name = body.get("type")
        if type_name is None:
            self.problems.add("schema-missing-key", f"node template {name!r} has no type", mark)
            return None
        if not isinstance(type_name, str):
            self.problems.add("schema-wrong-type", f"node template {name!r}: type must be a string",
                              value_mark_in(body, "type"))
            return None
        resolved = self.node_types.get(type_name) if isinstance(type_name, str) else None
        if resolved is None:
            if type_name not in self.node_types:
                self.problems.add("node-type-unknown", f"node template {name!r} has type {type_name!r}, which is "
                                  "not defined", value_mark_in(body, "type"),
                                  hint=self._hint(type_name, "node_types"), subject=str(type_name))
            return None
        given_at = body.own_key_mark("properties") if isinstance(body, Map) else None
        properties = self._properties(name, resolved, "node_types", body.get("properties"), given_at or mark)
        operations = self._operations(self.node_types, resolved, "interfaces", body.get("interfaces"),
                                      code="operation-unmapped", context=f"node {name!r} of type {type_name!r}",
                                      owner_mark=mark)
        # positional, as the fields are in order (by keywords: half as much again, for every node)
        return Node(name, type_name, resolved.hierarchy, properties, operations, [], mark)

    def _properties(self, owner: str, resolved: ResolvedType, section: str, given, mark, *, what="node") -> dict:
        """The properties given over the type's schema (`PropertyChecker.merge`)."""
        if given is not None:
            return self.checker.merge(owner, resolved.properties, given, mark, what=what)
        key = (section, resolved.name)
        if key in self._shared_properties:
            return self._shared_properties[key]
        reports = self.problems.reports
        merged = self.checker.merge(owner, resolved.properties, given, mark, what=what)
        if self.problems.reports == reports:
            self._shared_properties[key] = merged
        return merged

    def _operations(self, table: TypeTable, resolved: ResolvedType, group: str, template_ifaces, *, code,
                    context, owner_mark) -> dict:
        """Every operation of `resolved` (a type of `table`) in its interface `group` with the
        template's over it, mapped: full name -> record, and the short name too where it is unique."""
        template_ifaces = template_ifaces if isinstance(template_ifaces, dict) else {}
        owner = (group, resolved.name)
        session_made = False
        if not template_ifaces:
            if owner in self._shared_ops:
                return self._shared_ops[owner]
            session_made = self.shared is not None and table.session_made(resolved.name)
            if session_made:
                mappings = self.shared.found(_mappings_key(resolved, group))
                key = self._session_key(resolved, group, mappings) if mappings is not None else None
                found = self.shared.found(key) if key is not None else None
                if found is not None:
                    self._shared_ops[owner] = found
                    return found
        reports = self.problems.reports
        type_ifaces = resolved.interfaces.get(group, {})
        # what a template that overrides some of its type's operations takes unchanged: for a type
        # the session resolves once, each operation's record is the session's (`_op_session_key`)
        in_session = self.shared is not None and table.session_made(resolved.name)
        per_op = bool(template_ifaces) and in_session
        to_leave: dict[tuple, tuple] = {}  # `_definition_key` -> (its session key, the definition)
        # full name -> record, in order; an operation still to map holds its `_Pending` until then
        result: dict[str, Any] = {}
        shorts: dict[str, str | None] = {}  # short name -> the full name of its one operation (None: several)
        to_map: list[_Pending] = []
        shared_op = self._shared_op
        for iface in list(type_ifaces) + [i for i in template_ifaces if i not in type_ifaces]:
            type_ops = type_ifaces.get(iface) or {}
            tmpl_ops = template_ifaces.get(iface)
            tmpl_ops = tmpl_ops if isinstance(tmpl_ops, dict) else {}
            names = self._operation_names(iface, type_ops, in_session)
            if tmpl_ops:
                names = names + [(op_name, sys.intern(f"{iface}.{op_name}"), None)
                                 for op_name in tmpl_ops if op_name not in type_ops]
            for op_name, full, key in names:
                shorts[op_name] = full if op_name not in shorts else None
                if op_name in tmpl_ops:
                    key = None
                elif key in shared_op:
                    result[full] = shared_op[key]
                    continue
                if per_op and key is not None:
                    session_key = self._op_session_key(key, type_ops[op_name])
                    found = self.shared.found(session_key) if session_key is not None else None
                    if found is not None:
                        shared_op[key] = result[full] = found
                        continue
                    if session_key is not None:
                        to_leave[key] = (session_key, type_ops[op_name])
                before = self.problems.reports
                type_op = self._normalised(type_ops, op_name, full) if op_name in type_ops else None
                tmpl_op = None
                if op_name in tmpl_ops:
                    tmpl_op = normalise(tmpl_ops[op_name], mark_in(tmpl_ops, op_name), self.problems, full)
                missing: list = []
                merged = merge_with_type(type_op, tmpl_op, missing)
                if missing:
                    self.problems.add("operation-input-missing",
                                      f"{context}: operation '{full}' input(s) "
                                      f"{', '.join(repr(m) for m in missing)} have no value",
                                      (tmpl_op.mark if tmpl_op else None) or owner_mark,
                                      hint="Give the inputs under the template's interfaces, or defaults in the type.")
                pending = _Pending(full, iface, op_name, key, merged, self.problems.reports - before)
                result[full] = pending
                to_map.append(pending)
        self._map_all(to_map, result, code=code, context=context)
        for op_name, full in shorts.items():
            if full is not None:
                result[op_name] = result[full]
        for key, (session_key, raw) in to_leave.items():
            # left when built without a report, its definition's normalising included (which
            # reports only the first time a blueprint meets it)
            if key in self._shared_op and (not isinstance(raw, dict) or self._type_ops[id(raw)][2]):
                self.shared.keep(session_key, (raw,), self._shared_op[key])
        if not template_ifaces and self.problems.reports == reports:
            self._shared_ops[owner] = result
            if session_made:
                self._share(resolved, group, type_ifaces, result)
        return result

    def _operation_names(self, iface: str, type_ops: dict, in_session: bool) -> list[tuple]:
        """(name, full name, `_definition_key`) of each operation of a type's interface `iface`
        (`type_ops`), in order: made once per session for a type the session resolves once (whose
        interfaces the memo keeps alive with the type, and derived types share), else once per
        blueprint."""
        if not type_ops:  # an empty one may be a new dict made for this call
            return []
        if in_session:
            return self.shared.made(("operation names", iface, id(type_ops)), (type_ops,),
                                    lambda: _operation_names(iface, type_ops))
        # else once per blueprint: the templates of a type meet its interfaces again and again
        made = self._names.get((iface, id(type_ops)))
        if made is None:  # `type_ops` kept beside its names, so that its id stays unique
            made = self._names[iface, id(type_ops)] = (type_ops, _operation_names(iface, type_ops))
        return made[1]

    def _share(self, resolved: ResolvedType, group: str, type_ifaces: dict, result: dict) -> None:
        """Leaves `result`, the operations of the session's resolved type `resolved` in `group`,
        built without a report for a template that changes none, to the session's next blueprints
        (`_session_key`); unless normalising one of the definitions reported, earlier in this
        blueprint: each blueprint reports that once, which a replay would leave out."""
        mappings: dict[str, None] = {}  # the distinct mapping strings, in order
        for iface in type_ifaces:
            type_ops = type_ifaces.get(iface) or {}
            for op_name in type_ops:
                raw = type_ops[op_name]
                if isinstance(raw, dict) and raw:
                    if id(raw) not in self._type_ops:
                        # its record came from the session (`_op_session_key`), which keeps only
                        # those of definitions whose normalising is quiet: so it is here
                        self._normalised(type_ops, op_name, f"{iface}.{op_name}")
                    normalised = self._type_ops[id(raw)]
                    if not normalised[2]:
                        return
                    implementation = normalised[1].implementation
                else:
                    implementation = raw if isinstance(raw, str) else None
                if implementation:
                    mappings[implementation] = None
        mappings_key = _mappings_key(resolved, group)
        if self.shared.found(mappings_key) is None:
            self.shared.keep(mappings_key, (resolved,), tuple(mappings))
        key = self._session_key(resolved, group, tuple(mappings))
        if key is not None:
            self.shared.keep(key, (resolved,), result)

    def _session_key(self, resolved: ResolvedType, group: str, mappings: tuple[str, ...]) -> tuple | None:
        """What the operations a template takes unchanged from the session's resolved type
        `resolved` in `group` depend on, for this blueprint, given the mapping strings of those
        operations: the type (by identity) and what this blueprint's mapper makes of each mapping
        string (`Mapper.outcome`). None when that cannot be a key."""
        return hashable(("type operations", id(resolved), group, tuple(map(self.mapper.outcome, mappings))))

    def _op_session_key(self, key: tuple, raw) -> tuple | None:
        """What the record of a type's operation definition `raw` (known by `key`,
        `_definition_key`) depends on, for a template that leaves it unchanged, when the session
        resolves the type once (so that `raw` is a definition the session keeps): the definition
        and what this blueprint's mapper makes of its implementation (`Mapper.outcome`). None when
        that cannot be a key, or the implementation is no string (which `normalise` reports)."""
        implementation = raw if isinstance(raw, str) else raw.get("implementation") or ""
        if not isinstance(implementation, str):
            return None
        return hashable(("type operation", key, self.mapper.outcome(implementation) if implementation else None))

    def _map_all(self, to_map: list["_Pending"], result: dict, *, code, context) -> None:
        """Maps the operations `to_map`, in order, each into `result` in place of its `_Pending`
        (unless a later operation of the same full name took that place)."""
        for pending in to_map:
            full, iface, op_name, key, op, reports = (pending.full, pending.iface, pending.op_name, pending.key,
                                                      pending.op, pending.reports)
            before = self.problems.reports
            operation = self.mapper.map(op, op_name=op_name, code=code, context=f"{context}, interface {iface!r}")
            if operation is None or not operation.plugin:
                operation = NO_OPERATION
            if key is not None and reports == 0 and self.problems.reports == before:
                self._shared_op[key] = operation
            if result[full] is pending:
                result[full] = operation

    # -- relationships ----------------------------------------------------------------------
    def _relationships(self, node: Node, body, by_id) -> None:
        rels = body.get("relationships") if isinstance(body, dict) else None
        if rels is None:
            return
        if not isinstance(rels, list):
            self.problems.add("schema-wrong-type", f"node template {node.id!r}: relationships must be a list",
                              value_mark_in(body, "relationships"))
            return
        for index, rel in enumerate(rels):
            mark = mark_in(rels, index)
            if not isinstance(rel, dict):
                self.problems.add("schema-wrong-type", f"node {node.id!r}: a relationship must be a mapping", mark)
                continue
            rel_type, target = rel.get("type"), rel.get("target")
            if rel_type is None or target is None:
                self.problems.add("schema-missing-key",
                                  f"node {node.id!r}: a relationship needs both 'type' and 'target'", mark)
                continue
            if not isinstance(rel_type, str) or not isinstance(target, str):
                self.problems.add("schema-wrong-type",
                                  f"node {node.id!r}: a relationship's type and target must be strings", mark)
                continue
            resolved = self.rel_types.get(rel_type) if isinstance(rel_type, str) else None
            if resolved is None and rel_type not in self.rel_types:
                self.problems.add("relationship-type-unknown",
                                  f"node {node.id!r} declares a relationship of undefined type {rel_type!r}",
                                  value_mark_in(rel, "type"), hint=self._hint(rel_type, "relationships"),
                                  subject=str(rel_type))
            # the target is checked whatever the type: a second fault, independent of the first
            if target == node.id:
                self.problems.add("relationship-self-target",
                                  f"node {node.id!r}: relationship {rel_type!r} targets the node itself",
                                  value_mark_in(rel, "target"))
                continue
            if target not in by_id:
                if target not in self.bp.section("node_templates"):
                    self.problems.add("relationship-target-unknown",
                                      f"node {node.id!r}: relationship {rel_type!r} targets undefined node {target!r}",
                                      value_mark_in(rel, "target"),
                                      hint=self._hint(target, "node_templates"))
                continue
            if resolved is None:
                continue
            properties = self._properties(node.id, resolved, "relationships", rel.get("properties"), mark,
                                          what="relationship of node")
            context = f"relationship {rel_type!r} of node {node.id!r}"
            source_ops = self._operations(self.rel_types, resolved, "source_interfaces",
                                          rel.get("source_interfaces"), code="relationship-operation-unmapped",
                                          context=context, owner_mark=mark)
            target_ops = self._operations(self.rel_types, resolved, "target_interfaces",
                                          rel.get("target_interfaces"), code="relationship-operation-unmapped",
                                          context=context, owner_mark=mark)
            node.relationships.append(Relationship(rel_type, target, resolved.hierarchy, properties, source_ops,
                                                   target_ops, mark))  # positional, as `Node` in `_node`

    def _hint(self, name, section: str) -> str:
        """`_type_hint` for `name`, unknown among the entries of `section`, known by the file
        each comes from: a document imported by many blueprints gives them all the same names."""
        origins = self.bp.origins_of(section)
        groups: dict[int, list] = {}
        for known in self.bp.section(section):
            groups.setdefault(id(origins.get(known)), []).append(known)
        return _type_hint(name, groups.values())

    # -- hosts and plugins ------------------------------------------------------------------
    def _hosts(self, nodes: list[Node], by_id: dict) -> None:
        container = {}
        for node in nodes:
            for rel in node.relationships:
                if is_contained_in(rel.type_hierarchy):
                    container.setdefault(node.id, rel.target_id)
        host_of: dict[str, str | None] = {}
        for node in nodes:
            # walk up to the first node whose host is known, then fill the whole walk: linear overall
            walk, seen, current, found = [], set(), node, None
            while current is not None and current.id not in seen:
                if current.id in host_of:
                    found = host_of[current.id]
                    break
                seen.add(current.id)
                walk.append(current.id)
                if is_host(current.type_hierarchy):
                    found = current.id
                    break
                current = by_id.get(container.get(current.id))
            for node_id in walk:
                host_of[node_id] = found
            node.host_id = host_of[node.id]
        incoming: dict[str, list] = {node.id: [] for node in nodes}
        for node in nodes:
            for rel in node.relationships:
                incoming[rel.target_id].append(rel.target_operations)
        plugin_entries: dict[tuple, dict] = {}  # (plugin, executor) -> its entry, one for every node
        for node in nodes:
            entries: dict[tuple, dict] = {}
            for ops in [node.operations] + [rel.source_operations for rel in node.relationships] + incoming[node.id]:
                for op in ops.values():
                    if not op.plugin or op.plugin not in self.plugins:
                        continue
                    key = (op.plugin, op.executor)
                    if key not in entries:
                        if key not in plugin_entries:
                            plugin_entries[key] = dict(self.plugins[op.plugin], executor=op.executor)
                        entries[key] = plugin_entries[key]
            node.plugins = list(entries.values())
            deployment = {}
            for plugin in node.plugins:
                if plugin["executor"] == "central_deployment_agent":
                    deployment[plugin["name"]] = plugin
            node.deployment_plugins_to_install = list(deployment.values())
        hosted: dict[str, dict] = {}
        for node in nodes:
            if node.host_id is None:
                continue
            bucket = hosted.setdefault(node.host_id, {})
            for plugin in node.plugins:
                if plugin["executor"] == "host_agent":
                    bucket[plugin["name"]] = plugin
        for node in nodes:
            if is_host(node.type_hierarchy):
                node.plugins_to_install = list(hosted.get(node.id, {}).values())

    # -- workflows --------------------------------------------------------------------------
    def _workflows(self) -> dict[str, Workflow]:
        out = {}
        for held, names, bodies in documents(self.bp, "workflows", self.shared):
            kept = self._kept_workflows(held) if held is not None else None
            if kept is not None:
                out.update(kept)
                continue
            for name, body in zip(names, bodies):
                workflow = self._one_workflow(name, body)
                if workflow is not None:
                    out[name] = workflow
        return out

    def _kept_workflows(self, section: dict) -> dict[str, Workflow] | None:
        """The workflows of `section`, every workflow of a document the session keeps, merged
        whole: made once per session for the blueprints whose mappers see the section's mappings
        alike (`Mapper.view`) and which define none of the data types its parameters name. None
        when they are not shared (each workflow is then made on its own, `_one_workflow`)."""
        reading = self.shared.made(("workflows reading", id(section)), (section,),
                                   lambda: _WorkflowsReading(section))
        if self._defines_any(reading.typed):
            return None
        view = self.mapper.view(reading.mappings)
        if view is None:
            return None
        key = ("kept workflows", id(section), view)
        workflows = self.shared.found(key)
        if workflows is None:
            reports = self.problems.reports
            workflows = {}
            for name, body in section.items():
                workflow = self._workflow(name, body)
                if workflow is not None:
                    workflows[name] = workflow
            if self.problems.reports == reports:
                self.shared.keep(key, (section,), workflows)
        return workflows

    def _one_workflow(self, name, body) -> Workflow | None:
        """The workflow `name` defined by `body`, the session's when another blueprint made it so
        (`_workflow_key`)."""
        key = self._workflow_key(name, body)
        workflow = self.shared.found(key) if key is not None else None
        if workflow is None:
            reports = self.problems.reports
            workflow = self._workflow(name, body)
            if (key is not None and workflow is not None and self.problems.reports == reports
                    and self.shared.kept("workflows", name, body)):
                self.shared.keep(key, (body,), workflow)
        return workflow

    def _workflow_key(self, name, body) -> tuple | None:
        """What the workflow `name` depends on when the session's blueprints share it: its
        definition (by identity: one a document the session keeps holds), and what this
        blueprint's mapper makes of its mapping (`Mapper.outcome`); on condition that no
        parameter's default is completed from a data type (`_parameters`), which a blueprint may
        define its own way. None when the workflow is not shared.

        A definition whose reading the session holds is such a one, without the test: the memo
        keeps it alive, so its id is no other object's. (A mapping string may be that very object
        in another document too, the loader interning strings: the workflow it defines is then
        the same all the same; `_workflows` leaves the session only a kept one's.)"""
        if self.shared is None or not isinstance(body, (str, dict)):
            return None
        reading = self.shared.found(("workflow reading", id(body)))
        if reading is None:
            if not self.shared.kept("workflows", name, body):
                return None
            reading = self.shared.made(("workflow reading", id(body)), (body,), lambda: _workflow_reading(body))
        mapping, typed = reading
        if mapping is None or self._defines_any(typed):
            return None
        return hashable(("workflow", id(body), name, self.mapper.outcome(mapping)))

    def _defines_any(self, typed) -> bool:
        """Whether this blueprint defines a data type named in `typed` (the type names of workflow
        parameters): their defaults are then completed from its own data types, not shared."""
        return bool(typed) and not self.data_types.entries.keys().isdisjoint(typed)

    def _workflow(self, name, body) -> Workflow | None:
        """The workflow `name` defined by `body`, mapped; None (reported) when it cannot be."""
        section = self.bp.section("workflows")
        mark = mark_in(section, name) or self.bp.mark("workflows", name)
        if isinstance(body, str):
            if not body:  # what the reference's schema lets through and its mapping then refuses
                self.problems.add("schema-missing-key", f"workflow {name!r} has no mapping", mark)
                return None
            mapping, parameters, cascading = body, {}, False
            mapping_mark = self.bp.value_mark("workflows", name) or mark
        elif isinstance(body, dict):
            mapping = body.get("mapping")
            if not isinstance(mapping, str) or not mapping:
                self.problems.add("schema-missing-key", f"workflow {name!r} has no mapping", mark)
                return None
            parameters = self._parameters(body.get("parameters"))
            # written null it stays null in the reference's plan; absent, false
            cascading = body["is_cascading"] if "is_cascading" in body else False
            mapping_mark = value_mark_in(body, "mapping") or mark
        else:
            self.problems.add("schema-wrong-type", f"workflow {name!r} must be a string or a mapping", mark)
            return None
        # a mapping that names nothing is the mapping's fault: point at it
        op = OpDef(implementation=mapping, inputs=dict(parameters), mark=mapping_mark)
        mapped = self.mapper.map(op, op_name=name, code="workflow-unmapped", context=f"workflow {name!r}",
                                 workflow=True)
        if mapped is None:
            return None
        return Workflow(name=name, plugin=mapped.plugin, operation=mapped.operation, parameters=mapped.inputs,
                        is_cascading=cascading)

    def _parameters(self, parameters) -> dict:
        if not isinstance(parameters, dict):
            return {}
        out = {}
        for name, schema in parameters.items():
            if schema is None:
                schema = {}  # an empty schema, as the reference writes it in the plan
            elif isinstance(schema, dict) and "default" in schema and schema.get("type") in self.data_types:
                schema = dict(schema)
                schema["default"] = self.checker.fill(schema["type"], schema["default"])
            out[name] = schema
        return out


def _workflow_reading(body) -> tuple[str | None, tuple[str, ...]]:
    """What `_workflow_key` reads of a workflow's definition `body`: its mapping (None when it has
    none to map), and the type names of its parameters whose defaults `_parameters` completes when
    the blueprint defines a data type of that name, each once."""
    mapping = body if isinstance(body, str) else body.get("mapping")
    parameters = body.get("parameters") if isinstance(body, dict) else None
    named = (schema.get("type") for schema in (parameters.values() if isinstance(parameters, dict) else ())
             if isinstance(schema, dict) and "default" in schema)
    typed = tuple(dict.fromkeys(name for name in named if isinstance(name, str)))  # no other names a data type
    return (mapping if isinstance(mapping, str) and mapping else None), typed


def _plugin_entries(names, bodies) -> dict[str, dict]:
    """The plugins `names` declared by `bodies` as the model holds them (`NodeBuilder._plugins`),
    those declared as a mapping."""
    out = {}
    for name, body in zip(names, bodies):
        if not isinstance(body, dict):
            continue
        plugin = {key: body.get(key) for key in PLUGIN_KEYS}
        install = body.get("install")
        plugin["install"] = True if install is None else install  # null: installed, as the reference reads it
        plugin["properties"] = body.get("properties") or {}
        plugin["name"] = name
        out[name] = plugin
    return out


class _WorkflowsReading:
    """What `NodeBuilder._kept_workflows` reads of a kept workflows section: its workflows'
    mapping strings, and the type names of their parameters whose defaults `_parameters` completes
    when the blueprint defines a data type of that name."""

    __slots__ = ("mappings", "typed")

    def __init__(self, section: dict) -> None:
        readings = [_workflow_reading(body) for body in section.values() if isinstance(body, (str, dict))]
        self.mappings = MappingStrings(mapping for mapping, _ in readings if mapping is not None)
        self.typed = frozenset(name for _, typed in readings for name in typed)


def _mappings_key(resolved: ResolvedType, group: str) -> tuple:
    """Where the session keeps the distinct mapping strings of the operations of its resolved type
    `resolved` in `group` (`NodeBuilder._share`), which `_session_key` is made from."""
    return ("operation mappings", id(resolved), group)


def _operation_names(iface: str, type_ops: dict) -> list[tuple]:
    """`NodeBuilder._operation_names`, made (one full name string per name, not one per node)."""
    return [(op_name, sys.intern(f"{iface}.{op_name}"), _definition_key(raw)) for op_name, raw in type_ops.items()]


# what every blank operation definition (none, '' or {}) is known by: it maps to no operation, and
# reports nothing, whatever the blueprint
_BLANK = ("blank",)


def _definition_key(raw) -> tuple | None:
    """What a type's operation definition is known by when its record is shared: `_BLANK`, the
    mapping itself (by id: `_normalised` keeps it alive) or the text; None for anything else."""
    if raw is None or (isinstance(raw, (str, dict)) and not raw):
        return _BLANK
    if isinstance(raw, dict):
        return ("mapping", id(raw))
    if isinstance(raw, str):
        return ("text", raw)
    return None


def _type_hint(name, groups) -> str:
    """A hint naming the (up to three) known names closest to `name`, as difflib's
    get_close_matches finds them among all the names of `groups` (lists of known names)."""
    word = str(name)
    scored = [found for group in groups for found in _closest(word, tuple(str(k) for k in group))]
    # the three closest of all are among the three closest of each group, and ranked alike
    close = [known for _, known in heapq.nlargest(_HINT_COUNT, scored)]
    if close:
        return f"Did you mean {', '.join(repr(c) for c in close)}?"
    return "Check the name and the imports."


# difflib.get_close_matches' defaults: how many names a hint offers, and how close each must be
_HINT_COUNT = 3
_HINT_CUTOFF = 0.6


@functools.lru_cache(maxsize=256)
def _closest(word: str, names: tuple[str, ...]) -> tuple[tuple[float, str], ...]:
    """(score, name) of the names of `names` difflib's get_close_matches finds close to `word`
    (up to three, the closest first). Remembered: the same unknown name meets the same names
    again (the templates of one blueprint, blueprints importing the same documents), and each
    look compares it with every name.

    Its very ranking, with fewer of its costly scores (`SequenceMatcher.ratio`, `word` the second
    sequence): the blocks a score counts are a common subsequence of the two names, so the ratio
    of their longest common subsequence bounds the score from above. Names are scored in the
    order of that bound, until the bound falls below the third best score so far: no name left
    can then enter the three (one whose bound equals that score still can, by its name)."""
    import difflib

    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    subsequences = _Subsequences(word)
    bounded = []
    for known in names:
        total = len(known) + len(word)
        if _ratio(min(len(known), len(word)), total) < _HINT_CUTOFF:
            continue  # get_close_matches' first filter: the lengths alone bound the score, more loosely
        bound = _ratio(subsequences.longest(known), total)
        if bound >= _HINT_CUTOFF:
            bounded.append((bound, known))
    bounded.sort(key=operator.itemgetter(0), reverse=True)
    best: list[tuple[float, str]] = []  # a heap of the closest so far, the least close first
    for bound, known in bounded:
        if len(best) == _HINT_COUNT and bound < best[0][0]:
            break
        matcher.set_seq1(known)
        score = matcher.ratio()
        if score >= _HINT_CUTOFF:
            if len(best) < _HINT_COUNT:
                heapq.heappush(best, (score, known))
            else:
                heapq.heappushpop(best, (score, known))
    return tuple(sorted(best, reverse=True))


def _ratio(matches: int, total: int) -> float:
    """A similarity from `matches` of `total` characters, as difflib computes it."""
    return 2.0 * matches / total if total else 1.0


class _Subsequences:
    """The length of the longest common subsequence of a word and other strings, by Hyyro's
    bit-parallel algorithm: a pass over the other string with a few integer operations per
    character, the word's positions as the bits of one integer."""

    def __init__(self, word: str) -> None:
        self.width = len(word)
        self.positions: dict[str, int] = {}  # character -> a bit for each of its places in the word
        for at, char in enumerate(word):
            self.positions[char] = self.positions.get(char, 0) | 1 << at

    def longest(self, other: str) -> int:
        full = (1 << self.width) - 1
        row, positions = full, self.positions
        for char in other:
            matched = row & positions.get(char, 0)
            row = ((row + matched) | (row - matched)) & full
        return self.width - bin(row).count("1")  # int.bit_count is Python 3.10's
