"""What a check may take from a document whose shape may be wrong.

The checks run over every blueprint, also one the schema check has already faulted (a list where
a mapping belongs, a mapping where a name belongs), so that one run reports every fault; the
schema check reports the wrong shape, at its position. A check therefore never trusts a shape:
it takes lists of names and mapping bodies through these helpers, which pass over whatever is
not a name or not a mapping, instead of each check guarding its own lookups (an unhashable
mapping looked up as a name was an internal error, found by fuzzing, three times).
"""
from __future__ import annotations

from typing import Iterator

from ..load import mark_in
from ..problems import Problems


def names(items) -> Iterator[tuple[int, str]]:
    """(index, name) of every string of the list `items`; nothing when `items` is no list."""
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, str):
                yield index, item


def misshapen(value) -> bool:
    """Whether `value`, where a name belongs, is a mapping or a list (the schema check's fault: no
    check looks it up)."""
    return isinstance(value, (dict, list))


def body(value) -> dict:
    """`value` when it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def members(group) -> list[str]:
    """The member names a group lists (a group that is no mapping, or lists none, has none)."""
    return [name for _, name in names(body(group).get("members"))]


def unknown_keys(problems: Problems, body: dict, allowed, owner, kind: str) -> None:
    """A `schema-unknown-key` at every key of `body` not in `allowed`, for the `kind` of mapping
    `owner` names (a text, or a function making it: it is made only when a key is wrong)."""
    for key in body:
        if key not in allowed:
            problems.add("schema-unknown-key", f"{named(owner)}: {key!r} is not a {kind} key", mark_in(body, key),
                         hint="Valid keys: " + ", ".join(allowed))


def named(owner) -> str:
    """The text naming a mapping's owner: `owner` itself, or what the function `owner` makes."""
    return owner() if callable(owner) else owner
