"""Intrinsic functions: recognising them and checking the names they refer to."""
from __future__ import annotations

from typing import Iterator

FUNCTION_NAMES = frozenset({
    "get_input", "get_property", "get_attribute", "get_attributes_list", "get_attributes_dict",
    "get_secret", "concat", "merge", "get_capability", "get_group_capability", "get_label",
    "get_environment_capability", "get_sys", "get_consumers", "string_find", "string_replace",
    "string_split", "string_lower", "string_upper",
})
NODE_REFERENCES = frozenset({"get_property", "get_attribute"})
SELF, SOURCE, TARGET = "SELF", "SOURCE", "TARGET"


def function_name(value) -> str | None:
    """The function's name when `value` is a call as the reference sees one (`get_function`): a
    mapping of one function key, or of a function key and `type` (the value's type); of two
    function keys, the last."""
    if not isinstance(value, dict):
        return None
    size = len(value)
    if size == 1:  # the common call: one key (most one-key mappings are no call at all)
        for key in value:
            return key if key in FUNCTION_NAMES else None
    if size != 2:
        return None
    found = None
    for key in value:
        if key == "type":
            continue
        if key not in FUNCTION_NAMES:
            return None
        found = key
    return found


def is_function(value) -> bool:
    return function_name(value) is not None


def iter_functions(value, path: tuple = ()) -> Iterator[tuple[str, object, tuple, object]]:
    """Every function call inside `value`, nested ones included: (name, args, path, call).

    `call` is the one-key mapping itself, so a caller can take its position (`.mark`)
    when it came from YAML.
    """
    stack = [(value, path)]
    while stack:
        current, where = stack.pop()
        name = function_name(current)
        if name is not None:
            args = current[name]
            yield name, args, where, current
            stack.append((args, where + (name,)))
        elif isinstance(current, dict):
            stack.extend((child, where + (key,)) for key, child in reversed(list(current.items())))
        elif isinstance(current, list):
            stack.extend((child, where + (i,)) for i, child in reversed(list(enumerate(current))))


def input_reference(args) -> str | None:
    """The input name `get_input` refers to, or None when computed by another function."""
    first = args[0] if isinstance(args, list) and args else args
    return first if isinstance(first, str) else None


def node_reference(args) -> str | None:
    """The node a `get_property`/`get_attribute` names, or None for SELF/SOURCE/TARGET or computed."""
    if isinstance(args, list) and args and isinstance(args[0], str):
        if args[0] not in (SELF, SOURCE, TARGET):
            return args[0]
    return None
