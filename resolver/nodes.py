"""Stage 5 (continued): node templates, relationships, workflows and plugins, mapped.

Builds, for every node template, its resolved type, merged properties, every operation
of every interface mapped (`mapping.Mapper`), its relationships with their source and
target operations, and its host. Problems are collected; a faulty node is still built
as far as it can be so later checks see it.
"""
from __future__ import annotations

from typing import Any

import attrs

from .functions import is_function
from .hierarchy import TypeTable, is_contained_in, is_host
from .load import Map, mark_in, value_mark_in
from .mapping import EXECUTORS, Mapper, OpDef, merge_with_type, normalise
from .merge import Blueprint
from .problems import Mark, Problems
from .properties import CONSTRAINT_ARGUMENTS, PropertyChecker, constraint_fault
from .versions import OBJECT_TYPES, PRIMITIVE_TYPES, at_least, type_minimum

PLUGIN_KEYS = ("source", "executor", "install", "install_arguments", "package_name", "package_version",
               "supported_platform", "distribution", "distribution_version", "distribution_release",
               "properties_description", "properties")
PLUGIN_GATES = {"install_arguments": "cloudify_dsl_1_1", "package_name": "cloudify_dsl_1_2",
                "package_version": "cloudify_dsl_1_2", "supported_platform": "cloudify_dsl_1_2",
                "distribution": "cloudify_dsl_1_2", "distribution_version": "cloudify_dsl_1_2",
                "distribution_release": "cloudify_dsl_1_2", "properties_description": "cloudify_dsl_1_5",
                "properties": "cloudify_dsl_1_5"}
INPUT_KEYS = ("required", "default", "description", "type", "item_type", "constraints", "display_label",
              "hidden", "display")
PARAMETER_KEYS = ("required", "default", "description", "type", "item_type", "constraints")
WORKFLOW_KEYS = ("mapping", "parameters", "is_cascading", "availability_rules")


@attrs.define
class Operation:
    plugin: str
    operation: str
    executor: str | None
    inputs: dict
    max_retries: Any = None
    retry_interval: Any = None
    timeout: Any = None
    timeout_recoverable: Any = None

    def as_dict(self) -> dict:
        return {"plugin": self.plugin, "operation": self.operation, "executor": self.executor,
                "inputs": self.inputs, "max_retries": self.max_retries, "retry_interval": self.retry_interval,
                "timeout": self.timeout, "timeout_recoverable": self.timeout_recoverable}


@attrs.define
class Relationship:
    type: str
    target_id: str
    type_hierarchy: tuple
    properties: dict
    source_operations: dict
    target_operations: dict
    mark: Mark | None = None


@attrs.define
class Node:
    id: str
    type: str
    type_hierarchy: tuple
    properties: dict
    operations: dict
    relationships: list
    mark: Mark | None = None
    host_id: str | None = None
    plugins: list = attrs.field(factory=list)
    plugins_to_install: list | None = None
    deployment_plugins_to_install: list = attrs.field(factory=list)


@attrs.define
class Workflow:
    name: str
    plugin: str
    operation: str
    parameters: dict
    is_cascading: bool


@attrs.define
class Model:
    nodes: list[Node]
    workflows: dict[str, Workflow]
    plugins: dict[str, dict]
    # the resolved data types, for the checks that validate values against schemas
    data_types: TypeTable | None = None


class NodeBuilder:
    def __init__(self, blueprint: Blueprint, problems: Problems, script_exists) -> None:
        self.bp = blueprint
        self.problems = problems
        self.version = blueprint.dsl_version
        self.node_types = TypeTable(blueprint, "node_types", problems, ("interfaces",))
        self.rel_types = TypeTable(blueprint, "relationships", problems,
                                   ("source_interfaces", "target_interfaces"))
        self.data_types = TypeTable(blueprint, "data_types", problems, ())
        self.plugins = self._plugins()
        self.mapper = Mapper(self.plugins, script_exists, blueprint.namespaces_mapping, problems)
        self.checker = PropertyChecker(self.data_types, problems)
        self._type_ops: dict = {}

    # -- plugins --------------------------------------------------------------------------
    def _plugins(self) -> dict[str, dict]:
        out = {}
        for name, body in self.bp.section("plugins").items():
            mark = self.bp.mark("plugins", name)
            if not isinstance(body, dict):
                self.problems.add("schema-wrong-type", f"plugin {name!r} must be a mapping", mark)
                continue
            for key in body:
                if key not in PLUGIN_KEYS:
                    self.problems.add("schema-unknown-key", f"plugin {name!r}: {key!r} is not a plugin key",
                                      mark_in(body, key), hint="Valid keys: " + ", ".join(PLUGIN_KEYS))
                elif key in PLUGIN_GATES and not at_least(self.version, PLUGIN_GATES[key]):
                    self._gate(f"plugin key {key!r}", PLUGIN_GATES[key], mark_in(body, key))
            executor = body.get("executor")
            if executor is None:
                self.problems.add("schema-missing-key", f"plugin {name!r} has no executor", mark,
                                  hint="Add 'executor: central_deployment_agent' or 'executor: host_agent'.")
            elif executor not in EXECUTORS:
                self.problems.add("plugin-executor-invalid",
                                  f"plugin {name!r} has executor {executor!r}; use central_deployment_agent "
                                  "or host_agent", value_mark_in(body, "executor"))
            install = body.get("install", True)
            if install and not body.get("source") and not body.get("package_name"):
                self.problems.add("plugin-source-missing",
                                  f"plugin {name!r} is to be installed but declares neither source nor package_name",
                                  mark, hint="Add package_name (a managed plugin) or source, or set install: false.")
            for key in ("package_version", "package_name", "source", "distribution"):
                if body.get(key) is not None and not isinstance(body.get(key), str):
                    self.problems.add("schema-wrong-type",
                                      f"plugin {name!r}: {key} must be a string (quote it)", value_mark_in(body, key))
            plugin = {key: body.get(key) for key in PLUGIN_KEYS}
            plugin["install"] = install
            plugin["properties"] = body.get("properties") or {}
            plugin["name"] = name
            out[name] = plugin
        return out

    def _gate(self, what: str, minimum: str, mark) -> None:
        self.problems.add("feature-version",
                          f"{what} is not supported in {self.version}; it was added in {minimum}", mark,
                          hint=f"Raise tosca_definitions_version to {minimum} or remove it.")

    # -- schemas and gates --------------------------------------------------------------
    def check_definitions(self) -> None:
        """Checks that apply to every definition, used or not (as the reference does)."""
        if "description" in self.bp.scalars and not at_least(self.version, "cloudify_dsl_1_2"):
            origin = next(f for f in self.bp.files if "description" in f.doc)
            self._gate("description", "cloudify_dsl_1_2", origin.doc.key_mark("description"))
        for key, minimum in (("dsl_definitions", "cloudify_dsl_1_2"),):
            if key in self.bp.main.doc and not at_least(self.version, minimum):
                self._gate(key, minimum, self.bp.main.doc.key_mark(key))
        for section, minimum in (("data_types", "cloudify_dsl_1_2"), ("policies", "cloudify_dsl_1_3"),
                                 ("resource_tags", "cloudify_dsl_1_3")):
            if self.bp.section(section) and not at_least(self.version, minimum):
                first = next(iter(self.bp.section(section)))
                self._gate(section, minimum, self.bp.mark(section, first))
        for name in list(self.data_types.names()):
            if name in PRIMITIVE_TYPES + OBJECT_TYPES:
                self.problems.add("primitive-redefined", f"data type {name!r} redefines a primitive type",
                                  self.bp.mark("data_types", name))
            self.data_types.get(name)
            body = self.data_types.entries.get(name)
            if isinstance(body, dict):
                self._check_schema(body.get("properties"), f"data type {name!r}", ("required", "default",
                                   "description", "type", "item_type", "constraints", "display_label"))
        for name in list(self.node_types.names()):
            self.node_types.get(name)
            body = self.node_types.entries.get(name)
            if isinstance(body, dict):
                self._check_schema(body.get("properties"), f"node type {name!r}", None)
                self._check_type_ops(body.get("interfaces"), f"node type {name!r}")
        for name in list(self.rel_types.names()):
            resolved = self.rel_types.get(name)
            body = self.rel_types.entries.get(name)
            if isinstance(body, dict):
                self._check_schema(body.get("properties"), f"relationship type {name!r}", None)
                for group in ("source_interfaces", "target_interfaces"):
                    self._check_type_ops(body.get(group), f"relationship type {name!r}")
            if resolved is not None and body is not None:
                self._validate_relationship_type_ops(name)
        inputs = self.bp.section("inputs")
        for name, schema in inputs.items():
            self._check_one_schema(schema, f"input {name!r}", INPUT_KEYS, mark_in(inputs, name))
        for name, workflow in self.bp.section("workflows").items():
            if isinstance(workflow, dict):
                self._check_schema(workflow.get("parameters"), f"workflow {name!r}", PARAMETER_KEYS)
                if "availability_rules" in workflow and not at_least(self.version, "cloudify_dsl_1_4"):
                    self._gate("availability_rules", "cloudify_dsl_1_4", mark_in(workflow, "availability_rules"))
                rules = workflow.get("availability_rules")
                active = rules.get("node_instances_active") if isinstance(rules, dict) else None
                if isinstance(active, list):
                    for index, value in enumerate(active):
                        if value not in ("all", "partial", "none"):
                            self.problems.add("workflow-availability-invalid",
                                              f"workflow {name!r}: node_instances_active value {value!r} is not "
                                              "one of all, partial, none", mark_in(active, index))

    def _check_schema(self, schema, owner: str, allowed) -> None:
        if not isinstance(schema, dict):
            return
        for prop, definition in schema.items():
            self._check_one_schema(definition, f"{owner} property {prop!r}", allowed, mark_in(schema, prop))

    def _check_one_schema(self, definition, owner: str, allowed, mark) -> None:
        if not isinstance(definition, dict):
            return
        if allowed is not None:
            for key in definition:
                if key not in allowed:
                    self.problems.add("schema-unknown-key", f"{owner}: {key!r} is not a schema key",
                                      mark_in(definition, key), hint="Valid keys: " + ", ".join(allowed))
        if "required" in definition and not at_least(self.version, "cloudify_dsl_1_2"):
            self._gate("'required' in a schema", "cloudify_dsl_1_2", mark_in(definition, "required"))
        for key, minimum in (("display_label", "cloudify_dsl_1_3"), ("hidden", "cloudify_dsl_1_3"),
                             ("item_type", "cloudify_dsl_1_4")):
            if key in definition and not at_least(self.version, minimum):
                self._gate(f"{key!r} in a schema", minimum, mark_in(definition, key))
        self._check_constraints(definition.get("constraints"), owner)
        type_name = definition.get("type")
        item_type = definition.get("item_type")
        if item_type and at_least(self.version, "cloudify_dsl_1_4"):
            if type_name != "list":
                self.problems.add("item-type-not-list", f"{owner}: item_type is only for type list, not {type_name!r}",
                                  mark_in(definition, "item_type"))
            elif item_type not in PRIMITIVE_TYPES + OBJECT_TYPES:
                self.problems.add("item-type-invalid", f"{owner}: item_type {item_type!r} is not a primitive type",
                                  value_mark_in(definition, "item_type"))
        if type_name is None:
            return
        if not isinstance(type_name, str):
            self.problems.add("schema-wrong-type", f"{owner}: type must be a string", value_mark_in(definition, "type"))
            return
        minimum = type_minimum(type_name)
        if minimum and not at_least(self.version, minimum):
            self._gate(f"type {type_name!r}", minimum, value_mark_in(definition, "type"))
        elif type_name not in PRIMITIVE_TYPES + OBJECT_TYPES and type_name not in self.data_types:
            self.problems.add("type-name-illegal", f"{owner}: type {type_name!r} is neither a primitive "
                              "nor a defined data type", value_mark_in(definition, "type"),
                              hint="Import the file that defines the data type, or use a primitive type.",
                              subject=str(type_name))

    def _check_constraints(self, constraints, owner: str) -> None:
        if not isinstance(constraints, list):
            return
        for index, constraint in enumerate(constraints):
            if not isinstance(constraint, dict) or not constraint:
                continue
            if len(constraint) > 1 and not at_least(self.version, "cloudify_dsl_1_5"):
                self._gate("a constraint's error_message", "cloudify_dsl_1_5", mark_in(constraints, index))
                continue
            operators = [key for key in constraint if key != "error_message"]
            if not operators:
                continue
            operator = operators[0]  # the reference reads the first operator only
            argument = constraint[operator]
            check = CONSTRAINT_ARGUMENTS.get(operator)
            if check is None:
                self.problems.add("constraint-unknown", f"{owner}: no constraint operator {operator!r}",
                                  mark_in(constraint, operator),
                                  hint="Operators: " + ", ".join(sorted(CONSTRAINT_ARGUMENTS)))
            elif not is_function(argument) and not check(argument):
                self.problems.add("constraint-argument-invalid",
                                  f"{owner}: {argument!r} is not a valid argument of constraint {operator!r}",
                                  value_mark_in(constraint, operator))

    def _check_inputs(self) -> None:
        inputs = self.bp.section("inputs")
        for name, schema in inputs.items():
            if not isinstance(schema, dict):
                continue
            mark = mark_in(inputs, name) or self.bp.mark("inputs", name)
            if schema.get("hidden") and schema.get("required", True) and "default" not in schema:
                self.problems.add("input-hidden-required",
                                  f"input {name!r} is hidden and required, so it needs a default", mark,
                                  hint="Give it a default, or make it required: false or not hidden.")
            if schema.get("display") and schema.get("type") != "textarea":
                self.problems.add("input-display-invalid",
                                  f"input {name!r}: display hints are only for type textarea, not "
                                  f"{schema.get('type')!r}", mark_in(schema, "display"))

    def _check_type_ops(self, interfaces, owner: str) -> None:
        if not isinstance(interfaces, dict):
            return
        for iface, ops in interfaces.items():
            if not isinstance(ops, dict):
                continue
            for op_name, raw in ops.items():
                if isinstance(raw, dict):
                    self._gate_op_keys(raw)
                    executor = raw.get("executor")
                    if executor is not None and executor not in EXECUTORS:
                        self.problems.add("operation-executor-invalid",
                                          f"{owner}: operation '{iface}.{op_name}' has executor {executor!r}",
                                          value_mark_in(raw, "executor"))
                    inputs = raw.get("inputs")
                    if isinstance(inputs, dict):
                        for input_name, definition in inputs.items():
                            self._check_one_schema(definition, f"{owner} operation input {input_name!r}",
                                                   None, mark_in(inputs, input_name))

    def _gate_op_keys(self, raw) -> None:
        if isinstance(raw, dict):
            for key in ("max_retries", "retry_interval"):
                if key in raw and not at_least(self.version, "cloudify_dsl_1_1"):
                    self._gate(key, "cloudify_dsl_1_1", mark_in(raw, key))

    def _validate_relationship_type_ops(self, name: str) -> None:
        # the reference maps every operation of every relationship type, used or not; only
        # the unmapped ones are faults here (scripts and executors are judged where used)
        body = self.rel_types.entries.get(name)
        quiet = Problems()
        mapper = Mapper(self.plugins, self.mapper.script_exists, self.bp.namespaces_mapping, quiet)
        mapper._exists = self.mapper._exists  # one file probe per mapping string per blueprint
        for group in ("source_interfaces", "target_interfaces"):
            own = body.get(group) if isinstance(body, dict) else None
            if not isinstance(own, dict):
                continue
            for iface, ops in own.items():
                if not isinstance(ops, dict):
                    continue
                for op_name, raw in ops.items():
                    op = self._normalised(raw, mark_in(ops, op_name), f"{iface}.{op_name}")
                    mapper.map(op, op_name=op_name, code="relationship-operation-unmapped",
                               context=f"relationship type {name!r}")
        self.problems.extend(p for p in quiet if p.code == "relationship-operation-unmapped")

    def _normalised(self, raw, mark, where) -> OpDef:
        key = id(raw) if isinstance(raw, dict) else None
        if key is not None and key in self._type_ops:
            return self._type_ops[key][1]
        op = normalise(raw, mark, self.problems, where)
        if key is not None:
            self._type_ops[key] = (raw, op)  # keep raw alive so its id stays unique
        return op

    # -- nodes ------------------------------------------------------------------------------
    def build(self) -> Model:
        self.check_definitions()
        self._check_inputs()
        self._check_input_defaults()
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
        return Model(nodes=nodes, workflows=workflows, plugins=self.plugins, data_types=self.data_types)

    def _node(self, name, body) -> Node | None:
        mark = self.bp.mark("node_templates", name)
        if not isinstance(body, dict):
            self.problems.add("schema-wrong-type", f"node template {name!r} must be a mapping", mark)
            return None
        for key in body:
            if key not in ("type", "properties", "instances", "capabilities", "interfaces", "relationships"):
                self.problems.add("schema-unknown-key", f"node template {name!r}: {key!r} is not a node template key",
                                  mark_in(body, key))
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
                                  hint=_type_hint(type_name, self.node_types.names()), subject=str(type_name))
            return None
        given_at = body.key_marks.get("properties") if isinstance(body, Map) else None
        properties = self.checker.merge(name, resolved.properties, body.get("properties"), given_at or mark)
        capabilities = body.get("capabilities")
        if isinstance(capabilities, dict) and "scalable" in capabilities and \
                not at_least(self.version, "cloudify_dsl_1_3"):
            self._gate("capabilities.scalable", "cloudify_dsl_1_3", mark_in(capabilities, "scalable"))
        operations = self._operations(resolved.interfaces.get("interfaces", {}), body.get("interfaces"),
                                      code="operation-unmapped",
                                      context=f"node {name!r} of type {type_name!r}", owner_mark=mark)
        return Node(id=name, type=type_name, type_hierarchy=resolved.hierarchy, properties=properties,
                    operations=operations, relationships=[], mark=mark)

    def _operations(self, type_ifaces: dict, template_ifaces, *, code, context, owner_mark) -> dict:
        ops: dict[str, tuple[str, str, OpDef]] = {}
        template_ifaces = template_ifaces if isinstance(template_ifaces, dict) else {}
        for iface in list(type_ifaces) + [i for i in template_ifaces if i not in type_ifaces]:
            type_ops = type_ifaces.get(iface) or {}
            tmpl_ops = template_ifaces.get(iface)
            tmpl_ops = tmpl_ops if isinstance(tmpl_ops, dict) else {}
            for op_name in list(type_ops) + [o for o in tmpl_ops if o not in type_ops]:
                type_op = (self._normalised(type_ops[op_name], mark_in(type_ops, op_name), f"{iface}.{op_name}")
                           if op_name in type_ops else None)
                tmpl_op = None
                if op_name in tmpl_ops:
                    self._gate_op_keys(tmpl_ops[op_name])
                    tmpl_op = normalise(tmpl_ops[op_name], mark_in(tmpl_ops, op_name), self.problems,
                                        f"{iface}.{op_name}")
                missing: list = []
                merged = merge_with_type(type_op, tmpl_op, missing)
                if missing:
                    self.problems.add("operation-input-missing",
                                      f"{context}: operation '{iface}.{op_name}' input(s) "
                                      f"{', '.join(repr(m) for m in missing)} have no value",
                                      (tmpl_op.mark if tmpl_op else None) or owner_mark,
                                      hint="Give the inputs under the template's interfaces, or defaults in the type.")
                ops[f"{iface}.{op_name}"] = (iface, op_name, merged)
        return self._map_all(ops, code=code, context=context)

    def _map_all(self, ops: dict, *, code, context) -> dict:
        result: dict[str, Operation] = {}
        short_count: dict[str, int] = {}
        for _, op_name, _ in ops.values():
            short_count[op_name] = short_count.get(op_name, 0) + 1
        for full, (iface, op_name, op) in ops.items():
            mapped = self.mapper.map(op, op_name=op_name, code=code, context=f"{context}, interface {iface!r}")
            if mapped is None or not mapped.plugin:
                # a no-op carries no settings, whatever its definition wrote (as the reference)
                operation = Operation(plugin="", operation="", executor=None, inputs={})
            else:
                operation = Operation(plugin=mapped.plugin, operation=mapped.operation, executor=mapped.executor,
                                      inputs=mapped.inputs, max_retries=op.max_retries,
                                      retry_interval=op.retry_interval, timeout=op.timeout,
                                      timeout_recoverable=op.timeout_recoverable)
            result[full] = operation
        for full, (iface, op_name, op) in ops.items():
            if short_count[op_name] == 1:
                result[op_name] = result[full]
        return result

    # -- relationships ----------------------------------------------------------------------
    def _relationships(self, node: Node, body, by_id) -> None:
        rels = body.get("relationships") if isinstance(body, dict) else None
        if rels is None:
            return
        if not isinstance(rels, list):
            self.problems.add("schema-wrong-type", f"node template {node.id!r}: relationships must be a list",
                              value_mark_in(body, "relationships"))
            return
        contained = []
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
                                  value_mark_in(rel, "type"), hint=_type_hint(rel_type, self.rel_types.names()),
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
                                      hint=_type_hint(target, self.bp.section("node_templates").keys()))
                continue
            if resolved is None:
                continue
            if is_contained_in(resolved.hierarchy):
                contained.append((rel_type, target))
            properties = self.checker.merge(node.id, resolved.properties, rel.get("properties"), mark,
                                            what="relationship of node")
            context = f"relationship {rel_type!r} of node {node.id!r}"
            source_ops = self._operations(resolved.interfaces.get("source_interfaces", {}),
                                          rel.get("source_interfaces"), code="relationship-operation-unmapped",
                                          context=context, owner_mark=mark)
            target_ops = self._operations(resolved.interfaces.get("target_interfaces", {}),
                                          rel.get("target_interfaces"), code="relationship-operation-unmapped",
                                          context=context, owner_mark=mark)
            node.relationships.append(Relationship(type=rel_type, target_id=target, type_hierarchy=resolved.hierarchy,
                                                   properties=properties, source_operations=source_ops,
                                                   target_operations=target_ops, mark=mark))
        if len(contained) > 1:
            self.problems.add("contained-in-multiple",
                              f"node {node.id!r} is contained in more than one node: "
                              f"{', '.join(t for _, t in contained)}", node.mark,
                              hint="A node lives in one host; keep one contained_in relationship.")

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
        for node in nodes:
            entries: dict[tuple, dict] = {}
            for ops in [node.operations] + [rel.source_operations for rel in node.relationships] + incoming[node.id]:
                for op in ops.values():
                    if not op.plugin or op.plugin not in self.plugins:
                        continue
                    key = (op.plugin, op.executor)
                    if key not in entries:
                        entries[key] = dict(self.plugins[op.plugin], executor=op.executor)
            node.plugins = list(entries.values())
            deployment = {}
            for plugin in node.plugins:
                if plugin["executor"] == "central_deployment_agent":
                    deployment[plugin["name"]] = plugin
            node.deployment_plugins_to_install = list(deployment.values())
            if node.host_id is None:
                for plugin in node.plugins:
                    if plugin["executor"] == "host_agent":
                        self.problems.add("host-agent-without-host",
                                          f"node {node.id!r} is not contained in a host but runs plugin "
                                          f"{plugin['name']!r} with executor host_agent", node.mark,
                                          hint="Add a contained_in relationship to a Compute node, or use "
                                               "executor: central_deployment_agent.", subject=plugin["name"])
                        break
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
        section = self.bp.section("workflows")
        for name, body in section.items():
            mark = mark_in(section, name) or self.bp.mark("workflows", name)
            if isinstance(body, str):
                mapping, parameters, cascading = body, {}, False
                mapping_mark = self.bp.value_mark("workflows", name) or mark
            elif isinstance(body, dict):
                for key in body:
                    if key not in WORKFLOW_KEYS:
                        self.problems.add("schema-unknown-key", f"workflow {name!r}: {key!r} is not a workflow key",
                                          mark_in(body, key), hint="Valid keys: " + ", ".join(WORKFLOW_KEYS))
                mapping = body.get("mapping")
                if not isinstance(mapping, str) or not mapping:
                    self.problems.add("schema-missing-key", f"workflow {name!r} has no mapping", mark)
                    continue
                parameters = self._parameters(body.get("parameters"))
                cascading = bool(body.get("is_cascading", False))
                mapping_mark = value_mark_in(body, "mapping") or mark
            else:
                self.problems.add("schema-wrong-type", f"workflow {name!r} must be a string or a mapping", mark)
                continue
            # a mapping that names nothing is the mapping's fault: point at it
            op = OpDef(implementation=mapping, inputs=dict(parameters), mark=mapping_mark)
            mapped = self.mapper.map(op, op_name=name, code="workflow-unmapped", context=f"workflow {name!r}",
                                     workflow=True)
            if mapped is None:
                continue
            out[name] = Workflow(name=name, plugin=mapped.plugin, operation=mapped.operation,
                                 parameters=mapped.inputs, is_cascading=cascading)
        return out

    def _parameters(self, parameters) -> dict:
        if not isinstance(parameters, dict):
            return {}
        out = {}
        for name, schema in parameters.items():
            if isinstance(schema, dict) and "default" in schema and schema.get("type") in self.data_types:
                schema = dict(schema)
                schema["default"] = self.checker.fill(schema["type"], schema["default"])
            out[name] = schema
        return out

    def _check_input_defaults(self) -> None:
        inputs = self.bp.section("inputs")
        for name, schema in inputs.items():
            if not isinstance(schema, dict) or "default" not in schema:
                continue
            default = schema["default"]
            mark = value_mark_in(schema, "default")
            self.checker.value(name, name, default, schema.get("type"), mark, what="input")
            fault = constraint_fault(default, schema.get("constraints"))
            if fault:
                self.problems.add("input-constraint-violated",
                                  f"default of input {name!r} ({default!r}) violates constraint {fault}", mark)


def _type_hint(name, known, prefix="Known") -> str:
    import difflib

    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=3)
    if close:
        return f"Did you mean {', '.join(repr(c) for c in close)}?"
    return f"{prefix}: none close to {name!r}." if prefix != "Known" else "Check the name and the imports."
