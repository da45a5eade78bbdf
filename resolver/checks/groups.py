"""Groups: names, members, scaling-group membership and cycles (SPEC §8.4; codes 40, 200, 201, 211)."""
from __future__ import annotations

from ..load import mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from .policies import scaling_groups


def check(blueprint: Blueprint, model: Model, problems: Problems) -> None:
    templates = blueprint.section("node_templates")
    groups = blueprint.section("groups")
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
    _check_shared_members(blueprint, scaling_groups(blueprint), problems)
    _check_cycles(blueprint, groups, problems)


def _check_shared_members(blueprint, scaling, problems) -> None:
    # a member may belong to one scaling group only
    owner: dict[str, str] = {}
    for group, members in scaling.items():
        for member in members:
            if not isinstance(member, str):
                continue
            if member in owner and owner[member] != group:
                problems.add("group-member-shared",
                             f"{member!r} is a member of the scaling groups {owner[member]!r} and {group!r}",
                             blueprint.mark("groups", group))
            owner.setdefault(member, group)


def _check_cycles(blueprint, groups, problems) -> None:
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
