"""Checks of groups, policies, scaling and lifecycle-operation dependencies (SPEC §4.3, §8.4, §8.6).

These do not change the plan; they only report. They run after the nodes are built, so they
can look at relationships and hosts.
"""
from __future__ import annotations

from .functions import is_function
from .load import mark_in, value_mark_in
from .merge import Blueprint
from .nodes import Model
from .problems import Problems

SCALING_POLICY = "cloudify.policies.scaling"
LIFECYCLE_DEPENDENCY = "cloudify.relationships.depends_on_lifecycle_operation"
UNBOUNDED = "UNBOUNDED"
_INSTANCE_DEFAULTS = {"default_instances": 1, "min_instances": 0, "max_instances": -1}


def check_all(blueprint: Blueprint, model: Model, problems: Problems) -> None:
    templates = blueprint.section("node_templates")
    groups = blueprint.section("groups")
    _check_groups(blueprint, groups, templates, problems)
    scaling_groups = _check_policies(blueprint, groups, problems)
    _check_group_membership(blueprint, groups, scaling_groups, problems)
    for name, body in templates.items():
        if isinstance(body, dict):
            _check_instances(name, body, problems)
    _check_lifecycle_dependencies(templates, problems)


def _check_groups(blueprint, groups, templates, problems) -> None:
    policy_types = blueprint.section("policy_types")
    policy_triggers = blueprint.section("policy_triggers")
    for name, group in groups.items():
        mark = blueprint.mark("groups", name)
        if name in templates:
            problems.add("group-name-taken", f"group {name!r} has the name of a node template", mark,
                         hint="Rename the group or the node template.")
        if not isinstance(group, dict):
            continue
        members = group.get("members")
        if not isinstance(members, list) or not members:
            problems.add("schema-missing-key", f"group {name!r} needs at least one member", mark)
            members = members if isinstance(members, list) else []
        for index, member in enumerate(members):
            if member not in templates and member not in groups:
                problems.add("group-member-unknown",
                             f"member {member!r} of group {name!r} is neither a node template nor a group",
                             mark_in(members, index))
        policies = group.get("policies")
        if not isinstance(policies, dict):
            continue
        for policy_name, policy in policies.items():
            if not isinstance(policy, dict):
                continue
            policy_type = policy.get("type")
            if policy_type not in policy_types:
                problems.add("policy-type-unknown",
                             f"policy {policy_name!r} of group {name!r} has undefined policy type {policy_type!r}",
                             value_mark_in(policy, "type"), subject=str(policy_type))
            triggers = policy.get("triggers")
            if isinstance(triggers, dict):
                for trigger_name, trigger in triggers.items():
                    trigger_type = trigger.get("type") if isinstance(trigger, dict) else None
                    if trigger_type not in policy_triggers:
                        problems.add("policy-trigger-unknown",
                                     f"trigger {trigger_name!r} of policy {policy_name!r} has undefined type "
                                     f"{trigger_type!r}", mark_in(triggers, trigger_name), subject=str(trigger_type))


def _check_policies(blueprint, groups, problems) -> dict[str, list]:
    """Check top-level policies; return the scaling groups with the members they scale."""
    scaling: dict[str, list] = {}
    policies = blueprint.section("policies")
    for name, policy in policies.items():
        mark = blueprint.mark("policies", name)
        if not isinstance(policy, dict):
            continue
        if policy.get("type") != SCALING_POLICY:
            problems.add("policy-unsupported",
                         f"policy {name!r} has type {policy.get('type')!r}; only {SCALING_POLICY} is supported",
                         value_mark_in(policy, "type") or mark)
            continue
        targets = policy.get("targets")
        if not isinstance(targets, list) or not targets:
            problems.add("policy-without-targets", f"policy {name!r} names no target group", mark)
            continue
        for index, target in enumerate(targets):
            if target not in groups:
                problems.add("policy-target-not-group", f"policy {name!r} targets {target!r}, which is not a group",
                             mark_in(targets, index))
            else:
                group = groups[target]
                scaling[target] = list(group.get("members") or []) if isinstance(group, dict) else []
        properties = policy.get("properties")
        if isinstance(properties, dict):
            _check_scaling_numbers(f"policy {name!r}", properties, mark, problems)
    return scaling


def _check_group_membership(blueprint, groups, scaling_groups, problems) -> None:
    # a member may belong to one scaling group only; groups may not contain each other in a cycle
    owner: dict[str, str] = {}
    for group, members in scaling_groups.items():
        for member in members:
            if not isinstance(member, str):
                continue
            if member in owner and owner[member] != group:
                problems.add("group-member-shared",
                             f"{member!r} is a member of the scaling groups {owner[member]!r} and {group!r}",
                             blueprint.mark("groups", group))
            owner.setdefault(member, group)
    state: dict[str, int] = {}
    for start in groups:
        if state.get(start):
            continue
        stack = [(start, iter(_group_members(groups, start)))]
        state[start] = 1
        path = [start]
        while stack:
            current, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[current] = 2
                stack.pop()
                path.pop()
                continue
            if state.get(child) == 1:
                cycle = path[path.index(child):] + [child]
                problems.add("group-cycle", f"groups contain each other: {' --> '.join(cycle)}",
                             blueprint.mark("groups", child))
                continue
            if not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(_group_members(groups, child))))


def _group_members(groups, name):
    group = groups.get(name)
    members = group.get("members") if isinstance(group, dict) else None
    return [m for m in members or () if isinstance(m, str) and m in groups]


def _check_instances(name: str, body: dict, problems: Problems) -> None:
    instances = body.get("instances")
    capabilities = body.get("capabilities")
    scalable = capabilities.get("scalable") if isinstance(capabilities, dict) else None
    if isinstance(instances, dict) and "deploy" in instances:
        deploy = instances["deploy"]
        if isinstance(deploy, int) and not isinstance(deploy, bool) and deploy < 0:
            problems.add("instances-invalid", f"node {name!r}: instances.deploy must not be negative",
                         value_mark_in(instances, "deploy"))
        if isinstance(scalable, dict):
            problems.add("instances-and-scalable",
                         f"node {name!r} sets both instances.deploy and capabilities.scalable",
                         mark_in(capabilities, "scalable"), hint="Keep capabilities.scalable only.")
    if isinstance(scalable, dict) and isinstance(scalable.get("properties"), dict):
        _check_scaling_numbers(f"node {name!r}", scalable["properties"], mark_in(scalable, "properties"), problems)


def _check_scaling_numbers(owner: str, props: dict, mark, problems: Problems) -> None:
    values = {}
    for key, default in _INSTANCE_DEFAULTS.items():
        value = props.get(key, default)
        where = value_mark_in(props, key) or mark
        if isinstance(value, dict):
            if not is_function(value):
                problems.add("instances-not-a-function",
                             f"{owner}: {key} must be a number or an intrinsic function", where)
            continue
        if key == "max_instances" and isinstance(value, str):
            if value != UNBOUNDED:
                problems.add("instances-literal-invalid", f"{owner}: the only string max_instances takes is "
                             f"{UNBOUNDED}, not {value!r}", where)
                continue
            value = -1
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        if key == "max_instances":
            if value != -1 and value < 1:
                problems.add("instances-invalid", f"{owner}: max_instances must be at least 1 (or UNBOUNDED)",
                             where)
                continue
        elif value < 0:
            problems.add("instances-invalid", f"{owner}: {key} must not be negative", where)
            continue
        values[key] = value
    low, high, default = values.get("min_instances"), values.get("max_instances"), values.get("default_instances")
    if low is not None and default is not None and default < low:
        problems.add("instances-invalid", f"{owner}: default_instances ({default}) is below min_instances ({low})",
                     mark)
    if high is not None and high != -1:
        if low is not None and low > high:
            problems.add("instances-invalid", f"{owner}: min_instances ({low}) is above max_instances ({high})",
                         mark)
        if default is not None and default > high:
            problems.add("instances-invalid",
                         f"{owner}: default_instances ({default}) is above max_instances ({high})", mark)


def _check_lifecycle_dependencies(templates: dict, problems: Problems) -> None:
    for name, body in templates.items():
        rels = body.get("relationships") if isinstance(body, dict) else None
        if not isinstance(rels, list):
            continue
        for index, rel in enumerate(rels):
            if not isinstance(rel, dict) or rel.get("type") != LIFECYCLE_DEPENDENCY:
                continue
            props = rel.get("properties") if isinstance(rel.get("properties"), dict) else {}
            operation = props.get("operation")
            if not operation:
                problems.add("lifecycle-dependency-without-operation",
                             f"node {name!r}: {LIFECYCLE_DEPENDENCY} needs the property 'operation'",
                             mark_in(rels, index), hint="Name the target's lifecycle operation to wait for.")
                continue
            target = templates.get(rel.get("target"))
            interfaces = target.get("interfaces") if isinstance(target, dict) else None
            lifecycle = interfaces.get("cloudify.interfaces.lifecycle") if isinstance(interfaces, dict) else None
            if not isinstance(lifecycle, dict) or operation not in lifecycle:
                problems.add("lifecycle-dependency-unknown-operation",
                             f"node {name!r}: target {rel.get('target')!r} does not define lifecycle operation "
                             f"{operation!r} in its template", value_mark_in(props, "operation") or mark_in(rels, index),
                             hint="Define the operation under the target template's cloudify.interfaces.lifecycle.")
