"""What a manager refuses when it creates a deployment of a blueprint it accepted on upload.

The reference parses a blueprint first (`parse_from_path`: the verdict) and only builds the node
instances when a deployment is created (`tasks.prepare_deployment_plan`, `rel_graph.py`). There
it refuses three shapes that parsing lets through, each a warning here (the upload succeeds; the
first `cfy deployments create` fails), and the lifecycle plan (lifecycle.py) is not built for them:

- `deployment-relationship-unsupported`: a relationship whose type derives from none of
  cloudify.relationships.depends_on, connected_to and contained_in (`UnsupportedRelationship`);
- `deployment-connection-type-invalid`: a relationship that is not containment whose
  `connection_type` property is neither all_to_all nor all_to_one (`IllegalConnectedToConnectionType`);
- `deployment-all-to-one-in-group`: an all_to_one relationship between two nodes that lie in the
  same scaling group, themselves or through their containers, both with instances
  (`UnsupportedAllToOneInGroup`).

As in the reference's instance graph, of several relationships from one node to the same target
only the last declared counts. Values written with `get_input` are read from the inputs (the
defaults, when resolving); one that cannot be known (an input with no default, another function)
is not judged. The instance counts the lifecycle plan uses live here too, so both read a
blueprint the same way.
"""
from __future__ import annotations

from typing import Any

from ..merge import Blueprint
from ..nodes import Model
from ..problems import Mark, Problems
from ..shared import Shared

DEPENDS_ON = "cloudify.relationships.depends_on"
CONNECTED_TO = "cloudify.relationships.connected_to"
CONTAINED_IN = "cloudify.relationships.contained_in"
SCALING_POLICY = "cloudify.policies.scaling"
ALL_TO_ALL, ALL_TO_ONE = "all_to_all", "all_to_one"
SUPPORTED = (DEPENDS_ON, CONNECTED_TO, CONTAINED_IN)


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    for code, message, mark, hint in faults(model, blueprint, input_values(blueprint, None)):
        problems.add(code, message, mark, hint=hint)


def faults(model: Model, blueprint: Blueprint, inputs: dict) -> list[tuple[str, str, Mark | None, str]]:
    """(code, message, mark, hint) of each refusal, for these input values (`input_values`)."""
    out = []
    nodes = {node.id: node for node in model.nodes}
    sizes, parents = scaling_groups(blueprint, inputs)
    templates = blueprint.section("node_templates") or {}
    for node in model.nodes:
        for rel in collapsed(node):
            where = f"node {node.id!r}: relationship {rel.type!r} to {rel.target_id!r}"
            if not any(name in rel.type_hierarchy for name in SUPPORTED):
                out.append(("deployment-relationship-unsupported",
                            f"{where}: its type derives from none of {', '.join(SUPPORTED)}, so a manager "
                            "refuses to create a deployment of this blueprint", rel.mark or node.mark,
                            f"Derive the relationship type from {CONNECTED_TO} (or {DEPENDS_ON})."))
                continue
            if CONTAINED_IN in rel.type_hierarchy:
                continue
            connection = evaluate(rel.properties.get("connection_type"), inputs)
            if isinstance(connection, (dict, list)):
                continue  # a function whose value is known only when the deployment is created
            if connection not in (ALL_TO_ALL, ALL_TO_ONE):
                out.append(("deployment-connection-type-invalid",
                            f"{where}: connection_type is {connection!r}, neither {ALL_TO_ALL!r} nor "
                            f"{ALL_TO_ONE!r}, so a manager refuses to create a deployment of this blueprint",
                            rel.mark or node.mark, f"Set connection_type to {ALL_TO_ALL} or {ALL_TO_ONE}."))
                continue
            if connection != ALL_TO_ONE or rel.target_id not in nodes:
                continue
            shared = [group for group in groups_of(node.id, nodes, parents)
                      if group in groups_of(rel.target_id, nodes, parents)]
            if shared and all(has_instances(name, nodes, templates, sizes, parents, inputs)
                              for name in (node.id, rel.target_id)):
                out.append(("deployment-all-to-one-in-group",
                            f"{where}: connection_type all_to_one, but both nodes lie in the scaling group "
                            f"{shared[0]!r}, where a manager refuses it when it creates a deployment",
                            rel.mark or node.mark,
                            "Use all_to_all inside a scaling group, or move the target out of the group."))
    return out


def groups_of(node_id: str, nodes: dict, parents: dict[str, list[str]]) -> list[str]:
    """The scaling groups a node lies in, itself or through its containers, innermost first."""
    found: list[str] = []
    seen = set()
    while node_id is not None and node_id not in seen:
        seen.add(node_id)
        for group in reversed(groups_outward(node_id, parents)):
            if group not in found:
                found.append(group)
        node = nodes.get(node_id)
        node_id = container(node) if node is not None else None
    return found


def has_instances(node_id: str, nodes: dict, templates: dict, sizes: dict[str, int],
                  parents: dict[str, list[str]], inputs: dict) -> bool:
    """Whether the node has any instance: its own count, its groups' and its containers' all above 0."""
    seen = set()
    while node_id is not None and node_id not in seen:
        seen.add(node_id)
        if deploy_count(templates.get(node_id), inputs) == 0:
            return False
        if any(sizes.get(group, 1) == 0 for group in groups_outward(node_id, parents)):
            return False
        node = nodes.get(node_id)
        node_id = container(node) if node is not None else None
    return True


# -- instance counts, as the reference reads them (the lifecycle plan's too) ----------------------


def evaluate(value: Any, inputs: dict, _within: frozenset = frozenset()) -> Any:
    """`get_input` replaced by the input's value (with attribute paths); other values as given,
    and so is a `get_input` met again inside the value of the input it names."""
    if isinstance(value, dict):
        if set(value) == {"get_input"}:
            ref = value["get_input"]
            path = ref if isinstance(ref, list) else [ref]
            if not path or not isinstance(path[0], str) or path[0] not in inputs or path[0] in _within:
                return value
            found = evaluate(inputs[path[0]], inputs, _within | {path[0]})
            for step in path[1:]:
                try:
                    found = found[step]
                except (KeyError, IndexError, TypeError):
                    return value
            return found
        return {key: evaluate(item, inputs, _within) for key, item in value.items()}
    if isinstance(value, list):
        return [evaluate(item, inputs, _within) for item in value]
    return value


def count(value: Any, default: int = 1) -> int:
    # a boolean counts as the reference counts it (Python's bool is an int): false is none, true one
    return int(value) if isinstance(value, int) and value >= 0 else default


def input_values(blueprint: Blueprint, given: dict | None) -> dict:
    """The deployment's inputs: `given` over the blueprint's defaults."""
    values = {}
    for name, definition in (blueprint.section("inputs") or {}).items():
        if isinstance(definition, dict) and "default" in definition:
            values[name] = definition["default"]
    values.update(given or {})
    return values


def deploy_count(template: Any, inputs: dict) -> int:
    """A node template's own number of instances (default 1)."""
    if not isinstance(template, dict):
        return 1
    capabilities = evaluate(template.get("capabilities"), inputs)
    if isinstance(capabilities, dict):
        scalable = capabilities.get("scalable")
        props = scalable.get("properties") if isinstance(scalable, dict) else None
        if isinstance(props, dict) and "default_instances" in props:
            return count(props["default_instances"])
    instances = evaluate(template.get("instances"), inputs)
    if isinstance(instances, dict) and "deploy" in instances:
        return count(instances["deploy"])
    return 1


def scaling_groups(blueprint: Blueprint, inputs: dict) -> tuple[dict[str, int], dict[str, list[str]]]:
    """(group -> default instances, member -> the scaling groups listing it directly)."""
    sizes: dict[str, int] = {}
    for policy in (blueprint.section("policies") or {}).values():
        if not isinstance(policy, dict) or policy.get("type") != SCALING_POLICY:
            continue
        props = evaluate(policy.get("properties") or {}, inputs)
        size = count(props.get("default_instances", 1)) if isinstance(props, dict) else 1
        targets = policy.get("targets")
        for target in targets if isinstance(targets, list) else ():
            if isinstance(target, str):
                sizes[target] = size
    parents: dict[str, list[str]] = {}
    for name, group in (blueprint.section("groups") or {}).items():
        if name not in sizes or not isinstance(group, dict):
            continue
        members = group.get("members")
        for member in members if isinstance(members, list) else ():
            if isinstance(member, str):
                parents.setdefault(member, []).append(name)
    return sizes, parents


def groups_outward(node_id: str, parents: dict[str, list[str]]) -> list[str]:
    """The scaling groups containing the node directly or through other groups, outermost first."""
    chain: list[str] = []
    frontier = list(parents.get(node_id, ()))
    while frontier:
        group = frontier.pop(0)
        if group not in chain:
            chain.append(group)
            frontier.extend(parents.get(group, ()))
    return list(reversed(chain))


def collapsed(node) -> list:
    """The node's relationships, one per target node (the last declared), in that one's order."""
    last = {}
    for position, rel in enumerate(node.relationships):
        last[rel.target_id] = (position, rel)
    return [rel for _, rel in sorted(last.values(), key=lambda pair: pair[0])]


def container(node) -> str | None:
    """The node a node is contained in (its first containment, of `collapsed`), if any."""
    for rel in collapsed(node):
        if CONTAINED_IN in rel.type_hierarchy:
            return rel.target_id
    return None
