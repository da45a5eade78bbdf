"""Groups: names, members, scaling-group membership, containment and cycles
(SPEC §8.4; codes 40, 200, 201, 202, 211)."""
from __future__ import annotations

from itertools import combinations_with_replacement

from ..hierarchy import is_contained_in
from ..load import mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared
from .policies import scaling_groups


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
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
        for index, member in ((i, m) for i, m in enumerate(members) if m is None or isinstance(m, str)):
            if member is None or (member not in templates and member not in groups):
                problems.add("group-member-unknown",
                             f"member {member!r} of group {name!r} is neither a node template nor a group",
                             mark_in(members, index))
    scaling = scaling_groups(blueprint)
    _check_shared_members(blueprint, scaling, problems)
    _check_containment(blueprint, model, scaling, problems)
    # the reference looks for cycles among scaling groups only (a member of a group is linked to it
    # when the group is a scaling policy's target): other groups may contain each other
    _check_cycles(blueprint, scaling, problems)


def _check_shared_members(blueprint, scaling, problems) -> None:
    # a member may belong to one scaling group only
    owner: dict[str, str] = {}
    for group, members in scaling.items():
        for member in members:
            if member in owner and owner[member] != group:
                problems.add("group-member-shared",
                             f"{member!r} is a member of the scaling groups {owner[member]!r} and {group!r}",
                             blueprint.mark("groups", group))
            owner.setdefault(member, group)


def _check_containment(blueprint, model: Model, scaling: dict[str, list], problems: Problems) -> None:
    """Two nodes of one scaling group (members of its member groups included) must be contained,
    one in the other or both in a shared node, or one of their containers must pair so with the
    other: the manager scales a group as one unit of hosts."""
    container: dict[str, str] = {}
    for node in model.nodes:
        for rel in node.relationships:
            if is_contained_in(rel.type_hierarchy):
                container.setdefault(node.id, rel.target_id)
    known = {node.id for node in model.nodes}

    def chain(name: str) -> list[str]:
        out, seen = [], {name}
        while name in container and container[name] not in seen:
            name = container[name]
            seen.add(name)
            out.append(name)
        return out

    def nodes_of(group: str, seen: set) -> set[str]:
        out = set()
        for member in scaling.get(group, ()):
            if member in seen:
                continue
            seen.add(member)
            if member in known:
                out.add(member)
            else:
                out |= nodes_of(member, seen)
        return out

    ok: set[tuple[str, str]] = set()
    doubtful: dict[tuple[str, str], str] = {}
    for group in scaling:
        members = sorted(nodes_of(group, {group}))
        for pair in combinations_with_replacement(members, 2):
            if pair in ok or pair in doubtful:
                continue
            a, b = pair
            above_a, above_b = set(chain(a)), set(chain(b))
            if a == b or not (above_a or above_b) or b in above_a or a in above_b or above_a & above_b:
                ok.add(pair)
            else:
                doubtful[pair] = group
    for (a, b), group in sorted(doubtful.items()):
        if any(tuple(sorted((b, up))) in ok for up in [a] + chain(a)) or \
                any(tuple(sorted((a, up))) in ok for up in [b] + chain(b)):
            ok.add((a, b))
            continue
        problems.add("group-members-not-contained",
                     f"nodes {a!r} and {b!r} share the scaling group {group!r} but are not contained in a shared "
                     "node, nor is any node containing them", blueprint.mark("groups", group),
                     hint="Contain both in one host (contained_in), or put them in different scaling groups.")


def _check_cycles(blueprint, scaling: dict, problems) -> None:
    state: dict[str, int] = {}
    for start in scaling:
        if state.get(start):
            continue
        stack = [(start, iter(_group_members(scaling, start)))]
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
                stack.append((child, iter(_group_members(scaling, child))))


def _group_members(scaling, name):
    """The scaling groups among the members of the scaling group `name` (`scaling`: group -> members)."""
    return [member for member in scaling.get(name, ()) if isinstance(member, str) and member in scaling]
