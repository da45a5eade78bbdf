"""Stage 7, plan: the JSON-ready plan of the contract (reference names and shapes, plus ours)."""
from __future__ import annotations

from .imports import Imports, PluginChoice
from .nodes import Model, Node

PLAN_PLUGIN_KEYS = ("name", "executor", "install", "package_name", "package_version", "source",
                    "install_arguments", "supported_platform", "distribution", "distribution_version",
                    "distribution_release")


def _plugin(plugin: dict) -> dict:
    return {key: plugin.get(key) for key in PLAN_PLUGIN_KEYS}


class _Shown:
    """The plan's dicts of the model's records, each made once: a record the model shares (an
    operation under its full and short names, the operations a type gives every template that
    leaves them unchanged, a plugin entry, a type's hierarchy) is one dict or list in the plan
    too, so the plan's size follows the model's. The plan is read, never written, by everything
    after it. Records are known by their id: the model holds every one of them while the plan is
    built."""

    def __init__(self) -> None:
        self._made: dict[int, dict] = {}

    def _once(self, record, make) -> dict:
        shown = self._made.get(id(record))
        if shown is None:
            shown = self._made[id(record)] = make(record)
        return shown

    def ops(self, ops: dict) -> dict:
        shown = self._made.get(id(ops))
        if shown is None:
            # `_once` for each record, written out: a plan shows some 30 operations per node
            made = self._made
            shown = made[id(ops)] = {}
            for name, op in ops.items():
                op_shown = made.get(id(op))
                if op_shown is None:
                    op_shown = made[id(op)] = op.as_dict()
                shown[name] = op_shown
        return shown

    def plugin(self, plugin: dict) -> dict:
        return self._once(plugin, _plugin)

    def hierarchy(self, hierarchy: tuple) -> list:
        """A type's hierarchy (the tuple every node or relationship of the type shares) as a list."""
        return self._once(hierarchy, list)

    def node(self, node: Node) -> dict:
        return {
            "id": node.id,
            "type": node.type,
            "type_hierarchy": self.hierarchy(node.type_hierarchy),
            "host_id": node.host_id,
            "operations": self.ops(node.operations),
            "relationships": [
                {"type": rel.type, "target_id": rel.target_id, "type_hierarchy": self.hierarchy(rel.type_hierarchy),
                 "source_operations": self.ops(rel.source_operations),
                 "target_operations": self.ops(rel.target_operations)}
                for rel in node.relationships
            ],
            "plugins": [self.plugin(p) for p in node.plugins],
            "plugins_to_install": [self.plugin(p) for p in node.plugins_to_install or ()],
        }


def _union(lists, shown: _Shown) -> list[dict]:
    by_name: dict[str, dict] = {}
    for plugins in lists:
        for plugin in plugins:
            by_name[plugin["name"]] = plugin
    return [shown.plugin(p) for p in by_name.values()]


def choice_of(choice: PluginChoice) -> dict:
    """How a `plugin:` import was answered (the `--explain` data): the specifier as the manager reads
    it, the distributions asked for, the registry that answered and every candidate it weighed."""
    return {"specifier": choice.specifier, "distributions": list(choice.distributions),
            "registry": choice.registry,
            "candidates": [c.as_dict() for c in choice.candidates]}


def imports_of(imports: Imports) -> list[dict]:
    out = []
    for source in imports.files[1:]:
        spec = source.spec
        entry = {"import": spec.written if spec else None, "namespace": source.namespace,
                 "resolved": source.resolved, "via": source.via}
        if source.plugin is not None:
            entry.update(package_name=source.plugin.package_name, package_version=source.plugin.version,
                         yaml_file=source.yaml_file)
        if source.blueprint_id is not None:
            entry["blueprint_id"] = source.blueprint_id
        if source.types_version is not None:
            entry["types_version"] = source.types_version
        if source.choice is not None:
            entry.update(choice_of(source.choice))
        out.append(entry)
    return out


def build_plan(model: Model, imports: Imports, order: list[str]) -> dict:
    shown = _Shown()
    workflow_plugins: dict[str, dict] = {}
    for workflow in model.workflows.values():
        if workflow.plugin not in workflow_plugins and workflow.plugin in model.plugins:
            workflow_plugins[workflow.plugin] = model.plugins[workflow.plugin]
    return {
        "dsl_version": imports.dsl_version,
        "imports": imports_of(imports),
        "nodes": [shown.node(node) for node in model.nodes],
        "workflows": {
            name: {"plugin": w.plugin, "operation": w.operation, "parameters": w.parameters,
                   "is_cascading": w.is_cascading}
            for name, w in model.workflows.items()
        },
        "deployment_plugins_to_install": _union((n.deployment_plugins_to_install for n in model.nodes), shown),
        "host_agent_plugins_to_install": _union((n.plugins_to_install or () for n in model.nodes), shown),
        "workflow_plugins_to_install": [shown.plugin(p) for p in workflow_plugins.values()],
        "install_order": order,
    }
