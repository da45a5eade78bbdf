"""Stage 1, load: YAML text -> plain values with 1-based positions kept beside them.

Mappings become `Map` (a dict) and sequences `Seq` (a list); each carries the mark of
the container and of every key and value, so any later stage can point at the exact
spot it is unhappy with. Scalars stay plain Python values. Loading never raises:
syntax errors, duplicate keys and non-ASCII text become problems.
"""
from __future__ import annotations

import contextlib
import gc
import threading

import yaml

from .limits import DEFAULT_LIMITS, Limits
from .problems import Mark, Problems

try:  # the C parser is several times faster; the constructors below are ours either way
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader

MAX_DEPTH = DEFAULT_LIMITS.max_depth
# libyaml's scanner refuses documents nested deeper than this, whatever --max-depth says.
LIBYAML_DEPTH = 1000

_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextlib.contextmanager
def paused_gc():
    """Pause the cyclic garbage collector while building big acyclic structures.

    Loading and resolving allocate many containers and create no reference cycles; the
    collector would rescan the growing heap again and again, making big blueprints
    superlinear. Reference counting still frees everything as usual. Counted across threads:
    the collector is switched back on (if it was on) when the last thread leaves, not when the
    first one does.
    """
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


# How `Map` and `Seq` keep a position read from their own file: one int, 0-based line and column
# as libyaml gives them. A Map entry packs the key's line and column, how many lines below it
# its value starts, and the value's column; a Seq item packs its line and column. A position
# that does not fit (a column past 1023, a value 256 lines below its key) is kept as `Mark`s.
_COLUMN_BITS = 10
_COLUMN_MASK = (1 << _COLUMN_BITS) - 1
_GAP_BITS = 8
_GAP_MASK = (1 << _GAP_BITS) - 1
_GAP_SHIFT = _COLUMN_BITS
_KEY_COLUMN_SHIFT = _GAP_SHIFT + _GAP_BITS
_KEY_LINE_SHIFT = _KEY_COLUMN_SHIFT + _COLUMN_BITS


class Map(dict):
    """A YAML mapping with the marks of itself, its keys and its values.

    `mark` is the mapping's own `Mark`. The marks of its entries are kept by key in `_at`, each
    one int (both positions, in the file of `mark`) or a pair (key mark, value mark or None), and
    are made into `Mark`s only when asked for: a blueprint has many more entries than problems.
    """

    __slots__ = ("mark", "_at")

    def __init__(self, *args, mark: Mark | None = None) -> None:
        super().__init__(*args)
        self.mark = mark
        self._at: dict = {}

    def key_mark(self, key) -> Mark | None:
        entry = self._at.get(key)
        if entry is None:
            return self.mark
        if entry.__class__ is int:
            return Mark(self.mark.file, (entry >> _KEY_LINE_SHIFT) + 1,
                        (entry >> _KEY_COLUMN_SHIFT & _COLUMN_MASK) + 1)
        return entry[0]

    def value_mark(self, key) -> Mark | None:
        entry = self._at.get(key)
        if entry is None:
            return self.mark
        if entry.__class__ is int:
            return Mark(self.mark.file, (entry >> _KEY_LINE_SHIFT) + (entry >> _GAP_SHIFT & _GAP_MASK) + 1,
                        (entry & _COLUMN_MASK) + 1)
        return entry[1] or entry[0]

    def own_key_mark(self, key) -> Mark | None:
        """The mark of `key` itself, None when the key was not written in a file."""
        return self.key_mark(key) if key in self._at else None

    def copy_key_mark(self, key, source: "Map", source_key) -> None:
        """Give `key` the mark that `source_key` has in `source`; the value mark `key` had stays."""
        entry = self._at.get(key)
        if entry is None:
            kept = None
        elif entry.__class__ is int:
            kept = self.value_mark(key)
        else:
            kept = entry[1]
        self._at[key] = (source.key_mark(source_key), kept)

    def derive(self, items) -> "Map":
        """A new Map holding `items` (key, value, old_key) with the marks of the old keys."""
        out = Map(mark=self.mark)
        at = self._at
        for key, value, old in items:
            out[key] = value
            if old in at:
                out._at[key] = at[old]
        return out

    def _take_marks(self, key, source: "Map") -> None:
        """Give `key` the marks it has in `source` (a mapping merged into this one with `<<`)."""
        entry = source._at.get(key)
        if entry.__class__ is int and self.mark is not None and source.mark.file == self.mark.file:
            self._at[key] = entry
        else:
            self._at[key] = (source.key_mark(key), source.value_mark(key))


class Seq(list):
    """A YAML sequence with the marks of itself and of its items.

    `mark` is the sequence's own `Mark`; the items' marks are kept by index in `_at` (never changed
    once set), each one int (in the file of `mark`), a `Mark`, or None.
    """

    __slots__ = ("mark", "_at")

    def __init__(self, *args, mark: Mark | None = None) -> None:
        super().__init__(*args)
        self.mark = mark
        self._at: tuple = ()

    def item_mark(self, index: int) -> Mark | None:
        if 0 <= index < len(self._at):
            entry = self._at[index]
            if entry.__class__ is int:
                return Mark(self.mark.file, (entry >> _COLUMN_BITS) + 1, (entry & _COLUMN_MASK) + 1)
            return entry
        return self.mark

    def derive(self, items) -> "Seq":
        """A new Seq holding `items`, one for each of this one's, with the same marks."""
        out = Seq(items, mark=self.mark)
        out._at = self._at
        return out

    @staticmethod
    def joined(first, second) -> "Seq":
        """`first` then `second` (Seqs or plain lists) in one Seq, every item keeping its mark."""
        mark = getattr(first, "mark", None) or getattr(second, "mark", None)
        out = Seq(list(first) + list(second), mark=mark)
        out._at = _item_marks_in(first, mark) + _item_marks_in(second, mark)
        return out


def _item_marks_in(items, mark: Mark | None) -> tuple:
    """The item marks of `items` as a Seq marked `mark` keeps them (None for a plain list's)."""
    if not isinstance(items, Seq):
        return (None,) * len(items)
    if items.mark is not None and mark is not None and items.mark.file == mark.file:
        return items._at
    return tuple(items.item_mark(index) for index in range(len(items._at)))


def mark_in(container, key) -> Mark | None:
    """Best mark for `container[key]` (the key's position for a Map)."""
    if isinstance(container, Map):
        return container.key_mark(key)
    if isinstance(container, Seq) and isinstance(key, int):
        return container.item_mark(key)
    return getattr(container, "mark", None)


def value_mark_in(container, key) -> Mark | None:
    if isinstance(container, Map):
        return container.value_mark(key)
    return mark_in(container, key)


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_PAIRS = "tag:yaml.org,2002:pairs"
_MERGE = "tag:yaml.org,2002:merge"
_MAP_TAGS = frozenset(("tag:yaml.org,2002:map", "tag:yaml.org,2002:omap", "tag:yaml.org,2002:set"))
# Timestamps and binaries stay the text written: a plan holds neither datetimes nor bytes.
_TEXT_TAGS = frozenset(("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"))
_SCALARS = {tag: _BaseLoader.yaml_constructors[tag] for tag in (
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")}
_UNBUILT = object()
_BUILDING = object()  # what a container's node maps to while its children are built

# The tag of a plain scalar depends on its text alone: resolving it tries a few regular
# expressions, for every scalar of every file, and blueprints repeat the same short texts.
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_MAX = 20_000
_PLAIN_TAG_LENGTH = 64


class _Loader(_BaseLoader):
    """libyaml composes the document's node graph; `build` walks it once into Map, Seq and scalars.

    The walk bounds nesting depth as it goes down. Only aliases make nodes shared, and the text
    can hold an alias only where it holds a '*': then every node built is remembered, an alias
    gets the value built for its anchored node (as PyYAML gives it), and what each alias would
    add once expanded is counted from a measure of the anchored node, so nothing is expanded to
    count it. Problems wait in `found` until the document is built within its limits.
    """

    def __init__(self, text: str, source: str, limits: Limits) -> None:
        super().__init__(text)
        self.source = source
        self.max_depth = limits.max_depth
        self.max_aliases = limits.max_aliases
        self.found: list[tuple] = []
        self.built: dict | None = {} if "*" in text else None
        self.measured: dict = {}
        self.added = 0
        self.first_alias = None

    def resolve(self, kind, value, implicit):
        if kind is not yaml.ScalarNode or not implicit[0] or len(value) > _PLAIN_TAG_LENGTH:
            return super().resolve(kind, value, implicit)
        tag = _PLAIN_TAGS.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_PLAIN_TAGS) >= _PLAIN_TAGS_MAX:
                _PLAIN_TAGS.clear()
            _PLAIN_TAGS[value] = tag
        return tag

    def mark(self, node) -> Mark:
        return Mark(self.source, node.start_mark.line + 1, node.start_mark.column + 1)

    def report(self, code: str, message: str, node, hint: str | None = None) -> None:
        self.found.append((code, message, self.mark(node), hint))

    def build(self, root):
        """The value of the document `root`; raises _Exceeded when it crosses a limit."""
        value = self._value(root, 1)
        if self.added > self.max_aliases:
            raise _Exceeded("yaml-alias-expansion",
                            f"the aliases of this anchored value and others expand to {self.added} more values, "
                            f"over the limit of {self.max_aliases}", self.mark(self.first_alias),
                            f"Remove the aliases that multiply each other, or raise the limit with "
                            f"{Limits.option('max_aliases')}.")
        return value

    def _value(self, node, level: int):
        """The value of `node`, a container at nesting `level` if it is one."""
        built = self.built
        if built is not None:
            value = built.get(node, _UNBUILT)
            if value is not _UNBUILT:
                return self._again(node, value, level)
        kind = node.__class__
        tag = node.tag
        if kind is yaml.ScalarNode:
            if tag == _STR:
                value = node.value
                if not value.isascii():
                    self._non_ascii(node, value)
            elif tag in _SCALARS:
                value = _SCALARS[tag](self, node)
            elif tag in _TEXT_TAGS:
                value = node.value
            else:
                value = self._odd(node, level)
        elif kind is yaml.MappingNode and tag in _MAP_TAGS:
            value = self._map(node, level)
        elif kind is yaml.SequenceNode and tag == _SEQ:
            value = self._seq(node, level)
        else:
            value = self._odd(node, level)
        if built is not None:
            built[node] = value
        return value

    def _map(self, node, level: int) -> Map:
        if level > self.max_depth:
            raise self._too_deep(node)
        built = self.built
        if built is not None:
            built[node] = _BUILDING
        start = node.start_mark
        result = Map(mark=Mark(self.source, start.line + 1, start.column + 1))
        at = result._at
        merges = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append((value_node, self._value(value_node, level + 1)))
                continue
            if built is None and key_node.__class__ is yaml.ScalarNode and key_node.tag == _STR:
                key = key_node.value
                if not key.isascii():
                    self._non_ascii(key_node, key)
            else:
                key = self._value(key_node, level + 1)
                if key.__class__ is not str:
                    try:
                        hash(key)
                    except TypeError:
                        self.report("schema-wrong-type", "a mapping key must be a scalar", key_node)
                        continue
            if key in at:
                first = result.key_mark(key)
                self.report("yaml-duplicate-key",
                            f"duplicate key {key!r} (first at line {first.line}, column {first.column}); "
                            "the last value is kept", key_node,
                            "Remove one of the two entries: the reference parser silently keeps the last.")
            if built is None and value_node.__class__ is yaml.ScalarNode and value_node.tag == _STR:
                value = value_node.value
                if not value.isascii():
                    self._non_ascii(value_node, value)
            else:
                value = self._value(value_node, level + 1)
            result[key] = value
            key_at = key_node.start_mark
            value_at = value_node.start_mark
            gap = value_at.line - key_at.line
            if key_at.column <= _COLUMN_MASK and value_at.column <= _COLUMN_MASK and 0 <= gap <= _GAP_MASK:
                at[key] = (key_at.line << _KEY_LINE_SHIFT | key_at.column << _KEY_COLUMN_SHIFT
                           | gap << _GAP_SHIFT | value_at.column)
            else:
                at[key] = (self.mark(key_node), self.mark(value_node))
        return self._merge(result, merges) if merges else result

    def _merge(self, explicit: Map, merges: list) -> Map:
        """YAML `<<` merge keys: merged entries first (the first mapping naming a key wins), then
        the explicit keys, which override them."""
        out = Map(mark=explicit.mark)
        for value_node, value in merges:
            sources = zip(value_node.value, value) if isinstance(value_node, yaml.SequenceNode) else [(value_node, value)]
            for source_node, source in sources:
                if not isinstance(source, Map):
                    self.report("schema-wrong-type", "a merge key (<<) must name a mapping", source_node)
                    continue
                for key, item in source.items():
                    if key not in out:
                        out[key] = item
                        out._take_marks(key, source)
        for key, value in explicit.items():
            out.pop(key, None)
            out[key] = value
            out._at[key] = explicit._at[key]
        return out

    def _seq(self, node, level: int) -> Seq:
        if level > self.max_depth:
            raise self._too_deep(node)
        built = self.built
        if built is not None:
            built[node] = _BUILDING
        items = []
        marks = []
        for child in node.value:
            if built is None and child.__class__ is yaml.ScalarNode and child.tag == _STR:
                value = child.value
                if not value.isascii():
                    self._non_ascii(child, value)
            else:
                value = self._value(child, level + 1)
            items.append(value)
            at = child.start_mark
            marks.append(at.line << _COLUMN_BITS | at.column if at.column <= _COLUMN_MASK else self.mark(child))
        start = node.start_mark
        seq = Seq(items, mark=Mark(self.source, start.line + 1, start.column + 1))
        seq._at = tuple(marks)
        return seq

    def _odd(self, node, level: int):
        """A tag the walk does not take, or on a node of the wrong kind: PyYAML's value or error."""
        tag = node.tag
        if tag in _MAP_TAGS:
            raise yaml.constructor.ConstructorError(None, None, f"expected a mapping node, but found {node.id}",
                                                    node.start_mark)
        if tag == _SEQ:
            raise yaml.constructor.ConstructorError(None, None, f"expected a sequence node, but found {node.id}",
                                                    node.start_mark)
        if tag == _PAIRS:
            return self._pairs(node, level)
        if tag == _STR or tag in _TEXT_TAGS:
            value = self.construct_scalar(node)  # a mapping's `=` value, or PyYAML's error
            if tag == _STR and not value.isascii():
                self._non_ascii(node, value)
            return value
        if tag in _SCALARS:
            return _SCALARS[tag](self, node)
        return self.construct_undefined(node)

    def _pairs(self, node, level: int) -> list:
        """YAML `!!pairs`: a plain list of (key, value) tuples, without marks."""
        if not isinstance(node, yaml.SequenceNode):
            raise yaml.constructor.ConstructorError("while constructing pairs", node.start_mark,
                                                    f"expected a sequence, but found {node.id}", node.start_mark)
        if level > self.max_depth:
            raise self._too_deep(node)
        if self.built is not None:
            self.built[node] = _BUILDING
        pairs = []
        for item in node.value:
            if not isinstance(item, yaml.MappingNode):
                raise yaml.constructor.ConstructorError("while constructing pairs", node.start_mark,
                                                        f"expected a mapping of length 1, but found {item.id}",
                                                        item.start_mark)
            if len(item.value) != 1:
                raise yaml.constructor.ConstructorError("while constructing pairs", node.start_mark,
                                                        f"expected a single mapping item, but found "
                                                        f"{len(item.value)} items", item.start_mark)
            if level + 1 > self.max_depth:
                raise self._too_deep(item)
            key_node, value_node = item.value[0]
            pairs.append((self._value(key_node, level + 2), self._value(value_node, level + 2)))
        return pairs

    def _again(self, node, value, level: int):
        """`value`, built for `node` before and met again through an alias at nesting `level`."""
        if value is _BUILDING:
            raise _Exceeded("yaml-alias-expansion", "an alias refers to a node that contains it, so the "
                            "document would expand forever", self.mark(node),
                            "Remove the alias, or point it at a node outside the one it is in.")
        size, height = self._measure(node)
        self.added += size
        if self.first_alias is None:
            self.first_alias = node
        if level - 1 + height > self.max_depth:
            raise self._too_deep(_at_level(node, self.measured, self.max_depth + 2 - level))
        return value

    def _measure(self, node) -> tuple[int, int]:
        """How many values `node` holds once its aliases are expanded (itself included), and how many
        containers deep it nests; computed once per node, bottom up, on the node graph."""
        measured = self.measured
        stack = [(node, False)]
        while stack:
            current, done = stack.pop()
            if done:
                size, height = 1, 0
                for child in _children(current):
                    child_size, child_height = measured[child]
                    size += child_size
                    height = max(height, child_height)
                measured[current] = (size, height + (current.__class__ is not yaml.ScalarNode))
            elif current not in measured:
                stack.append((current, True))
                stack.extend((child, False) for child in _children(current) if child not in measured)
        return measured[node]

    def _too_deep(self, node) -> "_Exceeded":
        return _Exceeded("yaml-too-complex", f"the document nests deeper than {self.max_depth} levels here",
                         self.mark(node), f"Flatten the document, or raise the limit with {Limits.option('max_depth')}.")

    def _non_ascii(self, node, value: str) -> None:
        offset = next(i for i, ch in enumerate(value) if not ch.isascii())
        self.report("yaml-non-ascii", f"non-ASCII character {value[offset]!r} in {value[:40]!r}", node,
                    "The reference parser accepts only ASCII text; replace the character or escape it.")


class _Exceeded(Exception):
    """A limit crossed while building the document: the problem to report."""

    def __init__(self, code: str, message: str, mark: Mark, hint: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.mark = mark
        self.hint = hint


def _children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    return []


def _at_level(root, measured: dict, level: int):
    """The first container at nesting `level` on the deepest path from `root` (at level 1)."""
    node = root
    for _ in range(level - 1):
        node = max(_children(node), key=lambda child: measured[child][1])
    return node


def _within_text(text: str, source: str, line: int, column: int) -> Mark:
    """A parser's position, kept on the text's last line: at the end of a text without a final
    line break libyaml reports the line after it, which no editor can show."""
    lines = text.count("\n") + 1
    if line <= lines:
        return Mark(source, line, column)
    return Mark(source, lines, len(text) - text.rfind("\n"))


def load_yaml(text: str, source: str, problems: Problems, limits: Limits = DEFAULT_LIMITS):
    """Parse one YAML document; return its value (an empty document is an empty Map).

    Returns None when the text is not YAML or crosses one of `limits` (`max_depth`,
    `max_aliases`, `max_file_size` in characters); the reason is added to `problems` with its
    position, and a limit crossed is the only problem of the document. Never raises for bad input.
    """
    if len(text) > limits.max_file_size:
        problems.add("file-too-large", f"the file holds {len(text)} characters, over the limit of "
                                       f"{limits.max_file_size} bytes", Mark(source, 1, 1),
                     hint=f"Split the file, or raise the limit with {Limits.option('max_file_size')}.")
        return None
    with paused_gc():
        return _load(text, source, problems, limits)


def _load(text: str, source: str, problems: Problems, limits: Limits):
    loader = _Loader(text, source, limits)
    try:
        node = loader.get_single_node()
        if node is None:
            return Map(mark=Mark(source, 1, 1))
        value = loader.build(node)
        _add_found(loader, problems)
        return Map(mark=Mark(source, 1, 1)) if value is None else value
    except _Exceeded as exc:
        problems.add(exc.code, exc.message, exc.mark, hint=exc.hint)
    except yaml.MarkedYAMLError as exc:
        _add_found(loader, problems)
        where = exc.problem_mark or exc.context_mark
        mark = _within_text(text, source, where.line + 1, where.column + 1) if where else Mark(source, 1, 1)
        detail = exc.problem or exc.context or "invalid YAML"
        if "maximum nesting depth" in detail:
            # libyaml's own bound, met before ours could be
            problems.add("yaml-too-complex", f"the document nests deeper than {LIBYAML_DEPTH} levels, "
                                             "the YAML parser's own limit", mark,
                         hint="Flatten the document.")
        else:
            problems.add("yaml-syntax", f"invalid YAML: {detail}", mark,
                         hint="Fix the YAML syntax at this position (indentation, quoting, a missing colon).")
    except yaml.YAMLError as exc:
        _add_found(loader, problems)
        problems.add("yaml-syntax", f"invalid YAML: {exc}", Mark(source, 1, 1))
    except RecursionError:
        _add_found(loader, problems)
        problems.add("yaml-too-complex", "the document nests too deep to build", Mark(source, 1, 1),
                     hint=f"Flatten the document, or lower {Limits.option('max_depth')}.")
    finally:
        loader.dispose()
    return None


def _add_found(loader: _Loader, problems: Problems) -> None:
    """The problems found while building, in the order found."""
    for code, message, mark, hint in loader.found:
        problems.add(code, message, mark, hint=hint)
