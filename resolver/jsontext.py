"""JSON text as `json.dumps(value, indent=2, ensure_ascii=False)` writes it, byte for byte, faster
and in pieces: the JSON report of a big plan is written as it is made, not held whole.

With an indent, the standard library encodes in Python (its C encoder knows no indent before
3.13), a generator per container level that every piece passes up through, and `json.dumps` holds
the whole text and the list of its pieces: rendering the JSON report of the corpus took as long
as resolving it (2.7 s), and one of a 10,000-node blueprint (181 MB of text) 6.8 s at a peak of
1 GB. Here each container's text is made by one call that joins its items' texts, scalars are
written by the same C functions `json` uses, and a container met again at the same depth (the
plan shares one operation's record between the nodes of a type) is written once: the corpus's
report in a third of the time. `pieces` writes the top `STREAM_DEPTH` levels item by item, so only
one item of them (a node of a plan) is held as text at a time.

The same types as `json` (a dict, list or tuple subclass as its base; keys str, int, float, bool
or None; anything else a TypeError), the same order of keys, the same floats (`NaN`, `Infinity`).
A value that contains itself is not detected as `json` detects it: the plans written here cannot.
Nesting costs one frame a level, as in json's encoder: what json.dumps writes under the recursion
limit (some 980 levels), this writes too.
"""
from __future__ import annotations

from json.encoder import INFINITY, encode_basestring
from typing import Iterator

STREAM_DEPTH = 3  # a report's result, its plan, the plan's node list: written item by item
PIECE_CHARS = 1 << 16  # what `pieces` gathers before giving a piece
MEMO_MIN_ITEMS = 4  # containers this big are remembered by identity (smaller ones cost less to write)
MEMO_MAX = 1 << 20  # containers remembered at once, at most; then forgotten all and met anew


def dumps(value, level: int = 0) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`; `level`: as if nested that many levels
    deep (every line after the first indented by two spaces more per level)."""
    return _Writer().text(value, level)


def pieces(value, level: int = 0) -> Iterator[str]:
    """`dumps(value, level)` in pieces of about `PIECE_CHARS` characters, made as they are given."""
    writer = _Writer()
    gathered: list[str] = []
    size = 0
    for piece in writer.stream(value, level, STREAM_DEPTH):
        gathered.append(piece)
        size += len(piece)
        if size >= PIECE_CHARS:
            yield "".join(gathered)
            gathered, size = [], 0
    if gathered:
        yield "".join(gathered)


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == INFINITY:
        return "Infinity"
    if value == -INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def _key(key) -> str:
    """A key that is no str, as `json` writes it."""
    if isinstance(key, float):
        return encode_basestring(_float(key))
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, int):
        return encode_basestring(int.__repr__(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


class _Writer:
    """One document's writing: the indents met, and the texts of the containers met more than
    once, by identity and depth (kept alive by the value being written, so no identity is reused
    while it lasts)."""

    __slots__ = ("_indents", "_seen")

    def __init__(self) -> None:
        self._indents: list[str] = ["\n"]
        self._seen: dict[int, object] = {}  # id << 10 | level -> 1 once met, then the text

    def _indent(self, level: int) -> str:
        indents = self._indents
        while len(indents) <= level:
            indents.append("\n" + "  " * len(indents))
        return indents[level]

    def text(self, value, level: int) -> str:
        # the scalars written here as `_key` writes a key's text (unquoted), inline: every value
        # of a report passes here, most of them scalars
        if isinstance(value, str):
            return encode_basestring(value)
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if isinstance(value, int):
            return int.__repr__(value)
        if isinstance(value, float):
            return _float(value)
        if isinstance(value, (list, tuple)):
            if not value:
                return "[]"
            pairs = False
        elif isinstance(value, dict):
            if not value:
                return "{}"
            pairs = True
        else:
            raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")
        memo = len(value) >= MEMO_MIN_ITEMS and level < 1024
        if memo:
            key = id(value) << 10 | level
            known = self._seen.get(key)
            if known.__class__ is str:
                return known
        # the container's text, made here rather than in a method or a comprehension of its own:
        # one frame for each level of nesting, so a document nested as deep as json writes it
        # (some 980 levels under the default recursion limit) is written here too
        deeper = level + 1
        inner = self._indent(deeper)
        parts = []
        add = parts.append
        if pairs:
            for name, item in value.items():
                add((encode_basestring(name) if isinstance(name, str) else _key(name)) + ": " + self.text(item, deeper))
            made = "{" + inner + ("," + inner).join(parts) + self._indent(level) + "}"
        else:
            for item in value:
                add(self.text(item, deeper))
            made = "[" + inner + ("," + inner).join(parts) + self._indent(level) + "]"
        if memo:
            seen = self._seen
            if len(seen) >= MEMO_MAX:
                seen.clear()
            seen[key] = 1 if known is None else made  # kept from the second meeting on
        return made

    def stream(self, value, level: int, depth: int) -> Iterator[str]:
        """`text(value, level)` in pieces: a container's items one by one down `depth` levels."""
        if depth <= 0 or not value or not isinstance(value, (dict, list, tuple)):
            yield self.text(value, level)
            return
        inner = self._indent(level + 1)
        if isinstance(value, dict):
            yield "{"
            first = True
            for key, item in value.items():
                name = encode_basestring(key) if isinstance(key, str) else _key(key)
                yield (inner if first else "," + inner) + name + ": "
                yield from self.stream(item, level + 1, depth - 1)
                first = False
            yield self._indent(level) + "}"
        else:
            yield "["
            first = True
            for item in value:
                yield inner if first else "," + inner
                yield from self.stream(item, level + 1, depth - 1)
                first = False
            yield self._indent(level) + "]"
