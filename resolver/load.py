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


class Map(dict):
    """A YAML mapping with the marks of itself, its keys and its values."""

    __slots__ = ("mark", "key_marks", "value_marks")

    def __init__(self, *args, mark: Mark | None = None) -> None:
        super().__init__(*args)
        self.mark = mark
        self.key_marks: dict = {}
        self.value_marks: dict = {}

    def key_mark(self, key) -> Mark | None:
        return self.key_marks.get(key, self.mark)

    def value_mark(self, key) -> Mark | None:
        return self.value_marks.get(key) or self.key_marks.get(key, self.mark)

    def own_key_mark(self, key) -> Mark | None:
        """The mark of `key` itself, None when the key was not written in a file."""
        return self.key_marks.get(key)

    def copy_key_mark(self, key, source: "Map", source_key) -> None:
        """Give `key` the mark that `source_key` has in `source` (the marks stay in this module)."""
        self.key_marks[key] = source.key_mark(source_key)

    def derive(self, items) -> "Map":
        """A new Map holding `items` (key, value, old_key) with the marks of the old keys."""
        out = Map(mark=self.mark)
        for key, value, old in items:
            out[key] = value
            if old in self.key_marks:
                out.key_marks[key] = self.key_marks[old]
            if old in self.value_marks:
                out.value_marks[key] = self.value_marks[old]
        return out


class Seq(list):
    """A YAML sequence with the marks of itself and of its items."""

    __slots__ = ("mark", "item_marks")

    def __init__(self, *args, mark: Mark | None = None) -> None:
        super().__init__(*args)
        self.mark = mark
        self.item_marks: list = []

    def item_mark(self, index: int) -> Mark | None:
        if 0 <= index < len(self.item_marks):
            return self.item_marks[index]
        return self.mark


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


class _Loader(_BaseLoader):
    def __init__(self, text: str, source: str, problems: Problems) -> None:
        super().__init__(text)
        self.source = source
        self.problems = problems

    def mark(self, node) -> Mark:
        return Mark(self.source, node.start_mark.line + 1, node.start_mark.column + 1)


def _scalar_string(loader: _Loader, node):
    value = loader.construct_scalar(node)
    if not value.isascii():
        _report_non_ascii(loader, node, value)
    return value


def _report_non_ascii(loader: _Loader, node, value: str) -> None:
    offset = next(i for i, ch in enumerate(value) if not ch.isascii())
    mark = loader.mark(node)
    loader.problems.add(
        "yaml-non-ascii",
        f"non-ASCII character {value[offset]!r} in {value[:40]!r}",
        mark,
        hint="The reference parser accepts only ASCII text; replace the character or escape it.",
    )


def _timestamp_as_text(loader: _Loader, node):
    return loader.construct_scalar(node)


def _construct_seq(loader: _Loader, node):
    seq = Seq(mark=loader.mark(node))
    for child in node.value:
        seq.append(loader.construct_object(child, deep=True))
        seq.item_marks.append(loader.mark(child))
    return seq


def _construct_map(loader: _Loader, node):
    result = Map(mark=loader.mark(node))
    merged: list = []
    seen_at: dict = {}
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            merged.append(value_node)
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            loader.problems.add("schema-wrong-type", "a mapping key must be a scalar",
                                loader.mark(key_node))
            continue
        if key in seen_at:
            first = seen_at[key]
            loader.problems.add(
                "yaml-duplicate-key",
                f"duplicate key {key!r} (first at line {first.line}, column {first.column}); "
                "the last value is kept",
                loader.mark(key_node),
                hint="Remove one of the two entries: the reference parser silently keeps the last.",
            )
        seen_at[key] = loader.mark(key_node)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_marks[key] = loader.mark(key_node)
        result.value_marks[key] = loader.mark(value_node)
    if merged:
        result = _apply_merge_keys(loader, result, merged)
    return result


def _apply_merge_keys(loader: _Loader, explicit: Map, merged_nodes: list) -> Map:
    """YAML `<<` merge keys: merged entries first, explicit keys override them."""
    out = Map(mark=explicit.mark)
    for value_node in merged_nodes:
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source_node in sources:
            source = loader.construct_object(source_node, deep=True)
            if not isinstance(source, Map):
                loader.problems.add("schema-wrong-type", "a merge key (<<) must name a mapping",
                                    loader.mark(source_node))
                continue
            for key, value in source.items():
                if key not in out:
                    out[key] = value
                    out.key_marks[key] = source.key_mark(key)
                    out.value_marks[key] = source.value_mark(key)
    for key, value in explicit.items():
        out.pop(key, None)
        out[key] = value
        out.key_marks[key] = explicit.key_marks[key]
        out.value_marks[key] = explicit.value_marks[key]
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:omap", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:str", _scalar_string)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
_Loader.add_constructor("tag:yaml.org,2002:binary", _timestamp_as_text)
_Loader.add_constructor("tag:yaml.org,2002:set", _construct_map)


class _Exceeded(Exception):
    """A limit crossed while measuring the composed document: the problem to report."""

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


def _measure(root, source: str, limits: Limits) -> None:
    """Check the composed document against `max_depth` and `max_aliases`; raises _Exceeded.

    Composing is linear in the text, however the aliases nest: an alias is one more reference to
    a node already composed. Expanding them is what explodes, so each node's expanded size and
    nesting depth are computed once (by identity) on the node graph, before anything is built
    from it; the values aliases add are the expanded total less the nodes actually written.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in children)
            own = 0 if isinstance(node, yaml.ScalarNode) else 1
            depth[key] = own + max((depth[id(c)] for c in children), default=0)
            on_path.discard(key)
            continue
        if key in size:
            continue
        if key in on_path:
            raise _Exceeded("yaml-alias-expansion", "an alias refers to a node that contains it, so the "
                            "document would expand forever", _node_mark(source, node),
                            "Remove the alias, or point it at a node outside the one it is in.")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)
    if depth[id(root)] > limits.max_depth:
        raise _Exceeded("yaml-too-complex", f"the document nests deeper than {limits.max_depth} levels here",
                        _node_mark(source, _at_level(root, depth, limits.max_depth + 1)),
                        f"Flatten the document, or raise the limit with {Limits.option('max_depth')}.")
    added = size[id(root)] - len(size)
    if added > limits.max_aliases:
        raise _Exceeded("yaml-alias-expansion",
                        f"the aliases of this anchored value and others expand to {added} more values, over "
                        f"the limit of {limits.max_aliases}", _node_mark(source, _first_repeated(root)),
                        f"Remove the aliases that multiply each other, or raise the limit with "
                        f"{Limits.option('max_aliases')}.")


def _within_text(text: str, source: str, line: int, column: int) -> Mark:
    """A parser's position, kept on the text's last line: at the end of a text without a final
    line break libyaml reports the line after it, which no editor can show."""
    lines = text.count("\n") + 1
    if line <= lines:
        return Mark(source, line, column)
    return Mark(source, lines, len(text) - text.rfind("\n"))


def _node_mark(source: str, node) -> Mark:
    return Mark(source, node.start_mark.line + 1, node.start_mark.column + 1)


def _at_level(root, depth: dict, level: int):
    """The first container at nesting `level` on the deepest path from `root`."""
    node = root
    for _ in range(level - 1):
        node = max(_children(node), key=lambda child: depth[id(child)])
    return node


def _first_repeated(root):
    """The first node reached a second time in document order: the first alias's anchored value."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        stack.extend(reversed(_children(node)))
    return root


def load_yaml(text: str, source: str, problems: Problems, limits: Limits = DEFAULT_LIMITS):
    """Parse one YAML document; return its value (an empty document is an empty Map).

    Returns None when the text is not YAML or crosses one of `limits` (`max_depth`,
    `max_aliases`, `max_file_size` in characters); the reason is added to `problems` with its
    position. Never raises for bad input.
    """
    if len(text) > limits.max_file_size:
        problems.add("file-too-large", f"the file holds {len(text)} characters, over the limit of "
                                       f"{limits.max_file_size} bytes", Mark(source, 1, 1),
                     hint=f"Split the file, or raise the limit with {Limits.option('max_file_size')}.")
        return None
    with paused_gc():
        return _load(text, source, problems, limits)


def _load(text: str, source: str, problems: Problems, limits: Limits):
    loader = _Loader(text, source, problems)
    try:
        node = loader.get_single_node()
        if node is None:
            return Map(mark=Mark(source, 1, 1))
        _measure(node, source, limits)
        value = loader.construct_document(node)
        return Map(mark=Mark(source, 1, 1)) if value is None else value
    except _Exceeded as exc:
        problems.add(exc.code, exc.message, exc.mark, hint=exc.hint)
    except yaml.MarkedYAMLError as exc:
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
        problems.add("yaml-syntax", f"invalid YAML: {exc}", Mark(source, 1, 1))
    except RecursionError:
        problems.add("yaml-too-complex", "the document nests too deep to build", Mark(source, 1, 1),
                     hint=f"Flatten the document, or lower {Limits.option('max_depth')}.")
    finally:
        loader.dispose()
    return None
