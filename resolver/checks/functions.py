"""Intrinsic functions: their arguments and the names they refer to, wherever a function may stand.

The reference parses every function it meets while scanning the plan and validates it there:
node properties (type defaults included) and capability properties, the inputs of every node
and relationship operation, outputs, policies, top-level capabilities, labels and deployment
settings. It reports the faults as uncoded Python errors; ours are `function-arguments-invalid`,
`input-unknown`, `node-reference-unknown`, `function-scope-invalid`,
`property-reference-unknown` and, for a function newer than the DSL version, `feature-version`.
Every problem is placed at the call.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

from ..functions import FUNCTION_NAMES, SELF, SOURCE, TARGET, function_name
from ..merge import Blueprint
from ..nodes import Model, Node
from ..problems import Mark, Problems
from ..shared import Shared
from ..versions import at_least

NODE, RELATIONSHIP, OUTPUTS, OTHER = "node", "relationship", "outputs", "other"
# Where each of SELF, SOURCE and TARGET has a meaning; anywhere else the reference refuses it.
_MEANINGFUL = {SELF: (NODE,), SOURCE: (RELATIONSHIP,), TARGET: (RELATIONSHIP,)}
_SYS_PROPERTIES = {"tenant": ("name",), "deployment": ("id", "name", "blueprint", "owner")}
_CONSUMER_PROPERTIES = ("ids", "names", "count")
_MINIMUM_VERSION = {"concat": "cloudify_dsl_1_1", "merge": "cloudify_dsl_1_3"}
_ATTRIBUTE_FUNCTIONS = ("get_attribute", "get_attributes_list", "get_attributes_dict")


class Site:
    """One value the reference scans for functions, and what its functions may refer to: the
    `node` SELF stands for (and SOURCE, in a relationship's operations) and the relationship's
    `target`. What a problem says of it (`where`) and where it is placed (`mark`) are worked out
    by `place` only when a problem asks: most values hold no call, or only sound ones."""

    __slots__ = ("value", "scope", "place", "node", "target")

    def __init__(self, value, scope: str, place: Callable[[], tuple[str, Mark | None]],
                 node: Node | None = None, target: Node | None = None) -> None:
        self.value, self.scope, self.place, self.node, self.target = value, scope, place, node, target

    @property
    def where(self) -> str:
        return self.place()[0]

    @property
    def mark(self) -> Mark | None:
        return self.place()[1]


def call_of(value) -> tuple[str, Any] | None:
    """(name, args) when `value` is a function call as the reference sees one (functions.function_name)."""
    name = function_name(value)
    return (name, value[name]) if name is not None else None


def calls_in(value) -> list[tuple[str, Any, Any]]:
    """Every call inside `value`, nested ones included, outermost first: (name, args, call)."""
    found: list = []
    _gather_calls((value,), found)
    return found


def _gather_calls(values, found: list) -> None:
    # Recursive, one frame per level of nesting (the loader, recursive too, reads no deeper);
    # scalars, most of what a value holds, are passed over where they are met, not stacked.
    for value in values:
        if isinstance(value, dict):
            # a call has one or two keys, one a function's name: most mappings are ruled out here
            if len(value) < 3 and not FUNCTION_NAMES.isdisjoint(value):
                name = function_name(value)
                if name is not None:
                    found.append((name, value[name], value))
            if value:
                _gather_calls(value.values(), found)
        elif isinstance(value, list):
            if value:
                _gather_calls(value, found)


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    checker = _Checker(blueprint, model, problems)
    for value, scope, place, node, target in sites(blueprint, model, checker.call_free):
        checker.scan(value, scope, place, node, target)


def sites(blueprint: Blueprint, model: Model, call_free=frozenset()) -> Iterator[tuple]:
    """Every value the reference scans, in its order: (value, scope, place, node, target), as
    `Site` has them; but operation inputs that are empty (most operations have none) or whose id
    is in `call_free` (values known to hold no call: the nodes of one type share their
    operations' records, whose inputs are met again and again) are passed over."""
    templates = blueprint.section("node_templates")
    by_id = {node.id: node for node in model.nodes}
    for node in model.nodes:
        place = _node_place(node, "")
        yield node.properties, NODE, place, node, None
        body = templates.get(node.id)
        capabilities = body.get("capabilities") if isinstance(body, dict) else None
        if isinstance(capabilities, dict):
            for capability in capabilities.values():
                if isinstance(capability, dict):
                    yield capability.get("properties"), NODE, place, node, None
        inputs = _inputs_of((node.operations,), call_free)
        if inputs:
            op_place = _node_place(node, ", operation inputs")
            for value in inputs:
                yield value, NODE, op_place, node, None
        for rel in node.relationships:
            inputs = _inputs_of((rel.source_operations, rel.target_operations), call_free)
            if inputs:
                rel_place, target = _relationship_place(rel, node), by_id.get(rel.target_id)
                for value in inputs:
                    yield value, RELATIONSHIP, rel_place, node, target
    for name, output in blueprint.section("outputs").items():
        yield output, OUTPUTS, _entry_place(blueprint, "outputs", "output", name), None, None
    for name, policy in blueprint.section("policies").items():
        if isinstance(policy, dict):
            yield policy.get("properties"), OTHER, _entry_place(blueprint, "policies", "policy", name), None, None
    for section, what in (("capabilities", "capability"), ("labels", "label")):
        for name, entry in blueprint.section(section).items():
            yield entry, OTHER, _entry_place(blueprint, section, what, name), None, None
    settings = blueprint.scalars.get("deployment_settings")
    yield settings, OTHER, lambda: ("deployment_settings", getattr(settings, "mark", None)), None, None


def _inputs_of(groups, call_free) -> list:
    """The inputs of the operations of `groups` (operations dicts of one site), in order, each
    once (an operation is met under its full and short names, and the same value at the same
    site holds the same problems), save those that are empty or in `call_free`."""
    found = {}
    for ops in groups:
        for op in ops.values():
            inputs = op.inputs
            if inputs and id(inputs) not in call_free:
                found[id(inputs)] = inputs
    return list(found.values())


# A site's place (`Site.place`): what a problem says of it and where it is placed.

def _node_place(node: Node, what: str) -> Callable[[], tuple[str, Mark | None]]:
    return lambda: (f"node {node.id!r}{what}", node.mark)


def _relationship_place(rel, node: Node) -> Callable[[], tuple[str, Mark | None]]:
    return lambda: (f"relationship {rel.type!r} of node {node.id!r}", rel.mark)


def _entry_place(blueprint: Blueprint, section: str, what: str, name) -> Callable[[], tuple[str, Mark | None]]:
    return lambda: (f"{what} {name!r}", blueprint.mark(section, name))


class _Checker:
    def __init__(self, blueprint: Blueprint, model: Model, problems: Problems) -> None:
        self.version = blueprint.dsl_version
        self.inputs = blueprint.section("inputs")
        self.templates = blueprint.section("node_templates")
        self.nodes = {node.id: node for node in model.nodes}
        self.problems = problems
        # The values already scanned: the nodes of one type share their operations' inputs, and
        # an operation is met under its full and short names (the model keeps every value alive
        # while the checks run, so ids are not reused). Those holding no call, and the calls in
        # the others.
        self.call_free: set[int] = set()
        self.calls: dict[int, list] = {}

    def scan(self, value, scope: str, place, node: Node | None, target: Node | None) -> None:
        """Judges the calls in one value the reference scans (`Site` names the arguments)."""
        calls = self.calls.get(id(value))
        if calls is None:
            if id(value) in self.call_free:
                return
            calls = calls_in(value)
            if isinstance(value, (dict, list)):
                if not calls:
                    self.call_free.add(id(value))
                else:
                    self.calls[id(value)] = calls
            if not calls:
                return
        site = Site(value, scope, place, node, target)
        for name, args, call in calls:
            fault = ARGUMENTS[name](args)
            if fault is not None:
                self.problems.add("function-arguments-invalid", f"{site.where}: {name}: {fault}", _at(site, call),
                                  hint=_HINTS.get(name))
                continue
            minimum = _MINIMUM_VERSION.get(name)
            if minimum is not None and not at_least(self.version, minimum):
                self.problems.add("feature-version", f"{site.where}: {name} is not supported in {self.version}; "
                                  f"it was added in {minimum}", _at(site, call),
                                  hint=f"Raise tosca_definitions_version to {minimum} or remove it.")
                continue
            refer = _REFERENCES.get(name)
            if refer is not None:
                refer(self, site, args, call)

    # -- what the arguments refer to --------------------------------------------------------
    def _input(self, site: Site, args, call) -> None:
        name = args[0] if isinstance(args, list) else args
        if call_of(name) is not None or name in self.inputs:
            return
        self.problems.add("input-unknown", f"{site.where}: get_input names undeclared input {name!r}", _at(site, call),
                          hint=_close(name, self.inputs.keys(), "Declare it under inputs."))

    def _node(self, site: Site, name: str, function: str, call) -> Node | None | bool:
        """The node `name` designates at this site; None when unknown to the model; False on a fault."""
        if name in _MEANINGFUL:
            if site.scope not in _MEANINGFUL[name]:
                self.problems.add("function-scope-invalid", f"{site.where}: {function} cannot use {name} here",
                                  _at(site, call),
                                  hint="SELF is for node scope; SOURCE and TARGET for relationship operations.")
                return False
            return site.target if name == TARGET else site.node
        if not isinstance(name, str) or name not in self.templates:
            self.problems.add("node-reference-unknown",
                              f"{site.where}: {function} names node {name!r}, which does not exist", _at(site, call),
                              hint=_close(name, self.templates.keys(), "Check the name."))
            return False
        return self.nodes.get(name)

    def _property(self, site: Site, args, call) -> None:
        if any(call_of(arg) is not None for arg in args):
            return
        node = self._node(site, args[0], "get_property", call)
        if not node:
            return
        fault = _path_fault(node.properties, args[1:])
        if fault is not None:
            self.problems.add("property-reference-unknown",
                              f"{site.where}: get_property: node {node.id!r} has no property "
                              f"{'.'.join(str(a) for a in args[1:])!r} ({fault})", _at(site, call),
                              hint=_close(args[1], node.properties.keys(), "Check the property path."))

    def _attribute(self, site: Site, args, call) -> None:
        if any(call_of(arg) is not None for arg in args):
            return
        self._node(site, args[0], "get_attribute", call)

    def _attributes_dict(self, site: Site, args, call) -> None:
        if call_of(args[0]) is None:
            self._node(site, args[0], "get_attributes_dict", call)

    def _sys(self, site: Site, args, call) -> None:
        entity, prop = args[0], args[1]
        if call_of(entity) is not None:
            return
        if not isinstance(entity, str) or entity not in _SYS_PROPERTIES:
            self.problems.add("function-arguments-invalid",
                              f"{site.where}: get_sys: unknown entity {entity!r} (tenant or deployment)",
                              _at(site, call))
        elif call_of(prop) is None and (not isinstance(prop, str) or prop not in _SYS_PROPERTIES[entity]):
            self.problems.add("function-arguments-invalid",
                              f"{site.where}: get_sys: {entity} has no property {prop!r} (one of "
                              f"{', '.join(_SYS_PROPERTIES[entity])})", _at(site, call))


def _at(site: Site, call) -> Mark | None:
    """Where a problem about `call` is placed: at the call, else at the site. Made only for a
    problem: most calls are fine, and a mark is made each time it is asked for."""
    return getattr(call, "mark", None) or site.mark


def _path_fault(properties, path) -> str | None:
    """Why `path` leads nowhere in `properties` (the reference's walk), or None when it leads somewhere."""
    value: Any = properties
    for step in path:
        if call_of(value) is not None:
            # the reference cannot look inside a function: it pairs it with the step and walks on
            value = [value, step]
        elif isinstance(value, dict):
            if step not in value:
                return f"no key {step!r}"
            value = value[step]
        elif isinstance(value, list):
            if not isinstance(step, int):
                return f"{step!r} indexes a list"
            if not -len(value) <= step < len(value):
                return f"index {step} is out of range"
            value = value[step]
        else:
            return f"{step!r} looks inside a {type(value).__name__}"
    return None


# --- the shapes of the arguments, one function each: a fault as text, or None -----------------

def _is_call(value) -> bool:
    return call_of(value) is not None


def _path_items(items) -> bool:
    # most items are names: the call is looked for only in the others
    return all(isinstance(x, (str, int)) or _is_call(x) for x in items)


def _nested_path(args) -> str | None:
    if isinstance(args, list) and len(args) >= 2 and _path_items(args):
        return None
    return "expects a list [node, name, key or index...] of two or more strings, integers or functions"


def _get_input(args) -> str | None:
    if isinstance(args, str) or _is_call(args):
        return None
    if isinstance(args, list) and args and _path_items(args):
        return None
    return "expects an input name, a function, or a list [input, key or index...]"


def _get_sys(args) -> str | None:
    if isinstance(args, list) and len(args) >= 2 and _path_items(args):
        return None
    return "expects a list [entity, property], such as [tenant, name] or [deployment, id]"


def _get_consumers(args) -> str | None:
    if isinstance(args, str) and args in _CONSUMER_PROPERTIES:
        return None
    return f"expects one of {', '.join(_CONSUMER_PROPERTIES)}, not {args!r}"


def _get_attributes_dict(args) -> str | None:
    if not isinstance(args, list) or not args:
        return "expects a list [node, attribute or [attribute, key...], ...]"
    paths = [p if isinstance(p, list) else [p] for p in args[1:]]
    seen = set()
    for path in paths:
        if _nested_path([args[0]] + path) is not None:
            return "each attribute path must be a name or a list of names, keys or indexes"
        if not all(isinstance(step, str) for step in path):
            # the reference joins the steps with dots to name the result, which only strings survive
            return "attribute paths may hold only names (strings)"
        identifier = ".".join(path)
        if identifier in seen:
            return f"the attribute path {identifier!r} is given twice"
        seen.add(identifier)
    return None


def _get_secret(args) -> str | None:
    if isinstance(args, str) or _is_call(args) or (isinstance(args, list) and len(args) > 1):
        return None
    return "expects a secret name, a function, or a list [secret, key or index...] of two or more items"


def _a_list(args) -> str | None:
    return None if isinstance(args, list) else "expects a list of arguments"


def _merge(args) -> str | None:
    if not isinstance(args, list):
        return "expects a list of mappings"
    if not all(isinstance(item, dict) for item in args):
        return "every item to merge must be a mapping (or a function)"
    return None


def _capability(args, list_at: int | None = None) -> str | None:
    if not isinstance(args, list) or len(args) < 2:
        return "expects a list [deployment or group, capability, key or index...] of two or more items"
    for index, arg in enumerate(args):
        if index == list_at and isinstance(arg, list):
            continue
        if not (isinstance(arg, (str, int)) or _is_call(arg)):
            return f"item {index} must be a string, an integer or a function"
    return None


def _get_environment_capability(args) -> str | None:
    if isinstance(args, str):
        return None
    if not isinstance(args, list) or len(args) < 2:
        return "expects a capability name or a list [capability, key or index...] of two or more items"
    return _capability(args)


def _get_label(args) -> str | None:
    if isinstance(args, str) or _is_call(args):
        return None
    if isinstance(args, list) and len(args) == 2:
        key, index = args
        if not (isinstance(key, str) or _is_call(key)):
            return "the label key must be a string or a function"
        if isinstance(index, int) or (isinstance(index, str) and index.isdigit()):
            return None
        return "the index into the label's values must be a number"
    return "expects a label key, a function, or a list [label key, index]"


def _strings(count: range, *, last_int: int | None = None) -> Callable[[Any], str | None]:
    """Arguments for the string functions: a list of `count` strings or functions, the optional
    argument at `last_int` an integer (or a function) instead."""
    def shape(args) -> str | None:
        if not isinstance(args, list) or len(args) not in count:
            low, high = count.start, count.stop - 1
            return f"expects {low} arguments" if low == high else f"expects {low} to {high} arguments"
        for index, arg in enumerate(args):
            if _is_call(arg):
                continue
            if index == last_int:
                if arg is not None and not isinstance(arg, int):
                    return f"argument {index + 1} must be an integer"
            elif not isinstance(arg, str):
                return f"argument {index + 1} must be a string"
        return None
    return shape


def _one_string(args) -> str | None:
    # a call with a `type` key is two keys long, which the reference refuses here
    if isinstance(args, str) or (_is_call(args) and len(args) == 1):
        return None
    return "expects one string (or a function)"


ARGUMENTS: dict[str, Callable[[Any], str | None]] = {
    "get_input": _get_input, "get_sys": _get_sys, "get_consumers": _get_consumers,
    "get_property": _nested_path, "get_attribute": _nested_path, "get_attributes_list": _nested_path,
    "get_attributes_dict": _get_attributes_dict, "get_secret": _get_secret, "concat": _a_list,
    "merge": _merge, "get_capability": _capability,
    "get_group_capability": lambda args: _capability(args, list_at=1),
    "get_label": _get_label, "get_environment_capability": _get_environment_capability,
    "string_find": _strings(range(2, 3)), "string_replace": _strings(range(3, 5), last_int=3),
    "string_split": _strings(range(2, 4), last_int=2), "string_lower": _one_string, "string_upper": _one_string,
}
_REFERENCES = {
    "get_input": _Checker._input, "get_property": _Checker._property, "get_attribute": _Checker._attribute,
    "get_attributes_list": _Checker._attribute, "get_attributes_dict": _Checker._attributes_dict,
    "get_sys": _Checker._sys,
}
_HINTS = {
    "get_property": "Write [node, property, key or index...]; the node is a template name, SELF, SOURCE or TARGET.",
    "get_attribute": "Write [node, attribute, key or index...]; the node is a template name, SELF, SOURCE or TARGET.",
    "concat": "Write the parts as a list: {concat: [a, b]}.",
    "merge": "Write the mappings as a list: {merge: [{a: 1}, {b: 2}]}.",
}


def _close(name, known, fallback: str) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=3)
    return f"Did you mean {', '.join(repr(c) for c in close)}?" if close else fallback
