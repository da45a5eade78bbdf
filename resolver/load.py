"""Stage 1, load: YAML text -> plain values with 1-based positions kept beside them.

Mappings become `Map` (a dict) and sequences `Seq` (a list); each carries the mark of
the container and of every key and value, so any later stage can point at the exact
spot it is unhappy with. Scalars stay plain Python values. Loading never raises:
syntax errors, duplicate keys and non-ASCII text become problems.
"""
from __future__ import annotations

import bisect
import contextlib
import gc
import re
import sys
import threading
from array import array
from itertools import repeat

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
# A text libyaml refuses, or may read otherwise than PyYAML (_libyaml_may_differ), is read again by
# PyYAML's own parser (as the reference reads it) up to this many characters; PyYAML's pure-Python
# scanner takes about 6 s a megabyte (1.5 s for the biggest: tests/test_security.py), so a bigger
# text keeps libyaml's reading and message.
PYYAML_AGAIN_MAX = 256 * 1024
_FLOW_BRACKETS = re.compile(r"[\[\]{}]")

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
# as libyaml gives them. A Map entry packs the key's line and column and the value's line and
# column (the value's line in full, not as a distance below the key: an alias's value starts at
# its anchor, often far above the key); a Seq item packs its line and column. A position that
# does not fit (a column past 1023, a value on a line past 2**22) is kept as `Mark`s. A Map as
# loaded keeps its own and its entries' lines and columns as libyaml gives them, each an item of
# its file's array (see Map): packing them into ints for every entry of a file costs more than
# for the few entries asked.
_COLUMN_BITS = 10
_COLUMN_MASK = (1 << _COLUMN_BITS) - 1
_LINE_BITS = 22
_LINE_MASK = (1 << _LINE_BITS) - 1
_VALUE_LINE_SHIFT = _COLUMN_BITS
_KEY_COLUMN_SHIFT = _VALUE_LINE_SHIFT + _LINE_BITS  # the key's position above the value's whole
_KEY_LINE_SHIFT = _KEY_COLUMN_SHIFT + _COLUMN_BITS


class _Placed:
    """Where a container starts: kept as read (`_file` and one packed int in `_place`, or for a Map
    as loaded among its entries' ints) and made a `Mark` each time `mark` is asked for, not kept:
    most are asked for once, by a check that keeps the mark only when it reports a problem, so
    keeping them would hold one Mark per container checked. `_file` is also the file of its
    entries' ints."""

    __slots__ = ()

    @property
    def mark(self) -> Mark | None:
        place = self._place
        if place is None:
            place = self._start()
        if place.__class__ is int:
            return Mark(self._file, (place >> _COLUMN_BITS) + 1, (place & _COLUMN_MASK) + 1)
        return place

    @mark.setter
    def mark(self, mark: Mark | None) -> None:
        self._place = mark
        self._file = None if mark is None else mark.file

    def _start(self):
        """Where it starts when `_place` does not say: None, but for a Map as loaded."""
        return None

    def _place_like(self, other: "_Placed") -> None:
        """Start where `other` starts, without making its mark."""
        self._place = other._place if other._place is not None else other._start()
        self._file = other._file


class Map(_Placed, dict):
    """A YAML mapping with the marks of itself, its keys and its values.

    `mark` is the mapping's own `Mark`. Each entry's marks are kept as one int (both positions, in
    the file `_file`) or a pair (key mark, value mark or None), and are made into `Mark`s only when
    asked for: a blueprint has many more entries than problems. They are kept in one of two forms.
    As loaded: `_keys` holds the mapping's keys in the order loaded and `_at` where its positions
    start in `_records`, its file's array of them, each a 0-based line or column as libyaml gives
    it: the mapping's own start, line and column (so `_place` stays None until a mark is made),
    then for each key the line and column of the key and of its value, packed into the entry's int
    only when asked for (`_entry_of`), so an entry costs 16 bytes where a dict of ints by key cost
    over 60. `_keys` is a tuple until a mark of an entry is first asked for, then a dict of where
    each key's four positions start in `_records`: most mappings are never asked, and a dict once
    asked keeps the look-up of a big mapping's every key linear. Being the keys as loaded, not read
    from the mapping when asked, they stay right when code changes the mapping afterwards: a key
    added has no marks, a key removed leaves the others theirs. Built or changed by code
    (`derive`, merge keys, `copy_key_mark`) or with a line an array item cannot hold: `_keys` and
    `_records` are None and `_at` a dict by key.
    """

    __slots__ = ("_place", "_file", "_keys", "_at", "_records", "_stamped")

    def __init__(self, *args, mark: Mark | None = None) -> None:
        super().__init__(*args)
        self.mark = mark
        self._keys: tuple | dict | None = None
        self._at: dict | int = {}
        self._records: array | None = None

    def _entry(self, key):
        """The int or pair of marks kept for `key`, None when there is none."""
        places = self._keys
        if places is None:
            return self._at.get(key)
        if places.__class__ is tuple:  # the first mark asked of this mapping's entries (see Map)
            first = self._at + 2
            places = self._keys = dict(zip(places, range(first, first + 4 * len(places), 4)))
        at = places.get(key)
        if at is None:
            return None
        # read one by one: a slice of the array, unpacked into the call, made two objects more
        records = self._records
        return _entry_of(self._file, records[at], records[at + 1], records[at + 2], records[at + 3])

    def _start(self):
        records = self._records
        if records is None:
            return None
        at = self._at
        return _place_of(self._file, records[at], records[at + 1])

    def _marks_by_key(self) -> dict:
        """The entries' marks by key: `_at` itself, or a new dict for a Map as loaded."""
        keys, at = self._keys, self._at
        if keys is None:
            return at
        records = self._records[at + 2:at + 2 + 4 * len(keys)]
        return dict(zip(keys, map(_entry_of, repeat(self._file), records[::4], records[1::4], records[2::4],
                                  records[3::4])))

    def _entries(self) -> dict:
        """The entries' marks by key, in the form code may change: a Map as loaded turns to it,
        keeping its own start."""
        if self._keys is not None:
            self._place = self._place if self._place is not None else self._start()
            self._at = self._marks_by_key()
            self._keys = self._records = None
        return self._at

    def __getstate__(self):
        """Pickled (a batch's workers send back plans holding Maps) with the marks of its own
        entries by key, not its file's whole array of them."""
        return None, {"_place": self._place if self._place is not None else self._start(), "_file": self._file,
                      "_keys": None, "_at": self._marks_by_key(), "_records": None}

    def key_mark(self, key) -> Mark | None:
        entry = self._entry(key)
        return self.mark if entry is None else _key_mark(entry, self._file)

    def value_mark(self, key) -> Mark | None:
        entry = self._entry(key)
        if entry is None:
            return self.mark
        if entry.__class__ is int:
            return Mark(self._file, (entry >> _VALUE_LINE_SHIFT & _LINE_MASK) + 1, (entry & _COLUMN_MASK) + 1)
        return entry[1] or entry[0]

    def own_key_mark(self, key) -> Mark | None:
        """The mark of `key` itself, None when the key was not written in a file."""
        entry = self._entry(key)
        return None if entry is None else _key_mark(entry, self._file)

    def copy_key_mark(self, key, source: "Map", source_key) -> None:
        """Give `key` the mark that `source_key` has in `source`; the value mark `key` had stays."""
        entry = self._entry(key)
        if entry is None:
            kept = None
        elif entry.__class__ is int:
            kept = self.value_mark(key)
        else:
            kept = entry[1]
        self._entries()[key] = (source.key_mark(source_key), kept)

    def derive(self, items) -> "Map":
        """A new Map holding `items` (key, value, old_key) with the marks of the old keys."""
        out = Map()
        out._place_like(self)
        if getattr(self, "_stamped", False):
            out._stamped = True  # (a document holding a timestamp: see Stamp)
        at = out._at
        for key, value, old in items:
            out[key] = value
            entry = self._entry(old)
            if entry is not None:
                at[key] = entry
        return out


def _entry_of(file: str, key_line: int, key_column: int, value_line: int, value_column: int):
    """A Map entry's marks (see Map) from the 0-based positions of its key and value in `file`."""
    if key_column <= _COLUMN_MASK and value_column <= _COLUMN_MASK and value_line <= _LINE_MASK:
        return (key_line << _KEY_LINE_SHIFT | key_column << _KEY_COLUMN_SHIFT | value_line << _VALUE_LINE_SHIFT
                | value_column)
    return Mark(file, key_line + 1, key_column + 1), Mark(file, value_line + 1, value_column + 1)


def _place_of(file: str, line: int, column: int):
    """A container's own place (see _Placed) from its 0-based position in `file`."""
    return line << _COLUMN_BITS | column if column <= _COLUMN_MASK else Mark(file, line + 1, column + 1)


def _key_spot(entry) -> tuple:
    """Where the key of an entry (an int or a pair of marks, see Map) is written, 0-based line and
    column: equal for two entries exactly when they came from the same key in the text."""
    if entry.__class__ is int:
        return entry >> _KEY_LINE_SHIFT, entry >> _KEY_COLUMN_SHIFT & _COLUMN_MASK
    return (entry[0].line - 1, entry[0].column - 1) if entry is not None else (object(),)  # none written: its own


def _key_mark(entry, file: str | None) -> Mark | None:
    """The key's mark in a Map entry's marks (see Map)."""
    if entry.__class__ is int:
        return Mark(file, (entry >> _KEY_LINE_SHIFT) + 1, (entry >> _KEY_COLUMN_SHIFT & _COLUMN_MASK) + 1)
    return entry[0]


class YamlSet(Map):
    """A mapping tagged `!!set`: a Map (its keys the set's items, each null), marked so that
    checks/timestamps.py can refuse it where the reference takes a typed value (its element check
    fails on a Python set), as it refuses a timestamp (`Stamp`)."""

    __slots__ = ()


class Seq(_Placed, list):
    """A YAML sequence with the marks of itself and of its items.

    `mark` is the sequence's own `Mark`; the items' marks are kept by index in `_at` (never changed
    once set), each one int (in the file `_file`), a `Mark`, or None.
    """

    __slots__ = ("_place", "_file", "_at")

    def __init__(self, *args, mark: Mark | None = None) -> None:
        super().__init__(*args)
        self.mark = mark
        self._at: tuple = ()

    def item_mark(self, index: int) -> Mark | None:
        if 0 <= index < len(self._at):
            entry = self._at[index]
            if entry.__class__ is int:
                return Mark(self._file, (entry >> _COLUMN_BITS) + 1, (entry & _COLUMN_MASK) + 1)
            return entry
        return self.mark

    def derive(self, items) -> "Seq":
        """A new Seq holding `items`, one for each of this one's, with the same marks."""
        out = Seq(items)
        out._place_like(self)
        out._at = self._at
        return out

    @staticmethod
    def joined(first, second) -> "Seq":
        """`first` then `second` (Seqs or plain lists) in one Seq, every item keeping its mark."""
        out = Seq(list(first) + list(second))
        placed = first if getattr(first, "mark", None) else second if getattr(second, "mark", None) else None
        if placed is not None:
            out._place_like(placed)
        out._at = _item_marks_in(first, out._file) + _item_marks_in(second, out._file)
        return out


def _item_marks_in(items, file: str | None) -> tuple:
    """The item marks of `items` as a Seq of `file` keeps them (None for a plain list's)."""
    if not isinstance(items, Seq):
        return (None,) * len(items)
    if items._file is not None and items._file == file:
        return items._at
    return tuple(items.item_mark(index) for index in range(len(items._at)))


def _placed_seq(start, file: str) -> "Seq":
    """An empty Seq of `file` starting at libyaml's (0-based) `start` (a Map as loaded keeps its
    start among its entries' ints instead)."""
    container = Seq.__new__(Seq)  # no __init__: every slot is set here or by the caller
    container._file = file
    container._place = _place_of(file, start.line, start.column)
    return container


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
_MAP = "tag:yaml.org,2002:map"
_PAIRS = "tag:yaml.org,2002:pairs"
_MERGE = "tag:yaml.org,2002:merge"
_SET = "tag:yaml.org,2002:set"
_MAP_TAGS = frozenset((_MAP, "tag:yaml.org,2002:omap", _SET))
# Timestamps and binaries stay the text written: a plan holds neither datetimes nor bytes.
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_TEXT_TAGS = frozenset((_TIMESTAMP, "tag:yaml.org,2002:binary"))


class Stamp(str):
    """The text of a scalar YAML types as a timestamp (`2024-01-01`), kept as written, marked so
    that checks/timestamps.py can refuse it where the reference takes a typed value (its element
    check fails on a date). Everywhere else it is the string it looks like."""

    __slots__ = ()
_SCALARS = {tag: _BaseLoader.yaml_constructors[tag] for tag in (
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")}
_SCALAR_TAGS = frozenset(_SCALARS) | _TEXT_TAGS | {_STR}
_BUILDING = object()  # what an anchor names while the value it is on is built

# The tag of a plain scalar depends on its text alone: resolving it tries a few regular
# expressions, for every scalar of every file, and blueprints repeat the same short texts.
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_MAX = 20_000
_PLAIN_TAG_LENGTH = 64
# The first characters of the plain texts some implicit resolver may type (YAML 1.1's booleans,
# numbers, null, timestamps, merge and value keys); any other plain text is a string. (A resolver
# registered for any first character, None, would leave no text to pass over.)
_IMPLICIT = (True, False)  # a plain scalar's `implicit`, as `resolve` takes it
_RESOLVED_FIRST = (frozenset(first for first in _BaseLoader.yaml_implicit_resolvers if first is not None)
                   if None not in _BaseLoader.yaml_implicit_resolvers else None)
# The texts among those that resolve to a string and are ASCII, each to its interned self. A scalar
# without tag or anchor whose text is here is that string in any style (quoted, it is a string
# too), so one look-up stands for resolving the tag, testing for non-ASCII and interning. Only a
# plain text's resolving adds to it: a quoted "yes" is a string but a plain yes is not.
_PLAIN_STRINGS: dict[str, str] = {}
# Keys and short texts repeat across a blueprint (type names, `implementation`, `string`): each
# is kept once (interned) instead of once per place it is written.
_SHARED_TEXT_LENGTH = 64
_intern = sys.intern
# Their look-ups, made once: reading `.get` of a dict makes a new bound method each time, which
# cost more than the look-up itself when made for every mapping. (Both dicts are cleared, never
# replaced, so these stay theirs.)
_plain_tag = _PLAIN_TAGS.get
_plain_string = _PLAIN_STRINGS.get

_Scalar = yaml.ScalarEvent
_Alias = yaml.AliasEvent
_MapStart = yaml.MappingStartEvent
_MapEnd = yaml.MappingEndEvent
_SeqEnd = yaml.SequenceEndEvent


_new_map = Map.__new__  # a Map without __init__ (see _map); reading it from the class is a generic look-up


class _Loader:
    """Builds Map, Seq and scalars straight from libyaml's events, in one pass over the text.

    No node graph is composed first: each event is turned into its value as it comes and then
    dropped, so loading holds little more than the values it returns. The walk bounds nesting
    depth as it goes down. An anchor remembers the value built for it (an alias gets that same
    value, at the anchored value's position, as PyYAML gave it), how many values it holds once
    its own aliases are expanded and how deep it nests; each alias adds that count, so aliases
    are counted against `max_aliases` without expanding anything. Problems wait in `found` until
    the whole text is read; a fault the text itself has (syntax, an undefined or duplicate
    anchor) is reported before a limit crossed or a value refused earlier in it, as when the
    text was composed whole before anything was built.

    PyYAML's loader (`parser`: libyaml's parser, its resolver and its scalar constructors) is held,
    not inherited from: an attribute of an instance of a class built on libyaml's parser (a Cython
    type) is read through a generic look-up, several times slower than a plain instance's, and the
    walk reads the loader's attributes for every container.
    """

    def __init__(self, text: str, source: str, limits: Limits, events=None) -> None:
        """`events`: a PyYAML loader to take the events from (its pure-Python scanner and parser,
        as the reference's), instead of libyaml's."""
        self.parser = _BaseLoader(text)
        self.get_event = (events or self.parser).get_event
        self.text = text
        self.source = source
        self.max_depth = limits.max_depth
        self.max_aliases = limits.max_aliases
        self.found: list[tuple] = []
        # anchor -> (value, start, values held once expanded, containers deep)
        self.anchors: dict[str, tuple] = {}
        self.count = 0  # values built so far, each alias counting as the values it stands for
        self.deepest = 0  # the deepest nesting reached since the innermost open anchor began
        self.added = 0
        self.first_alias = None
        self.stamped = False  # a timestamp was read (Stamp): the document is marked so
        # the positions of the mappings and their entries (see Map)
        self.records = array("I")  # lines and columns; a line past what an item holds is kept otherwise
        # id of a mapping built with merge keys -> (that mapping, its entries as merged): a later
        # merge of it brings them all (see `_merge`); the mapping is held so its id stays its own
        self.flattened: dict[int, tuple] = {}
        # where a key that is not text was written with one character or none -> that text
        self.short_keys: dict[tuple, str] = {}
        # (start, end) of each flow collection holding a question mark (see _libyaml_may_differ)
        self.flows_with_question: list[tuple[int, int]] = []
        if _counted_unlike_an_editor(text):
            self.get_event = _on_editor_lines(self.get_event, text)

    def dispose(self) -> None:
        self.parser.dispose()

    def mark(self, start) -> Mark:
        """The `Mark` of a libyaml position (0-based)."""
        return Mark(self.source, start.line + 1, start.column + 1)

    def report(self, code: str, message: str, mark: Mark, hint: str | None = None) -> None:
        self.found.append((code, message, mark, hint))

    def build(self):
        """The value of the text's one document, None when it has none.

        Raises _Exceeded when the document crosses a limit, a MarkedYAMLError when it is not YAML
        (or holds a value PyYAML cannot build).
        """
        get = self.get_event
        get()  # the stream's start
        if get().__class__ is yaml.StreamEndEvent:
            return None
        first = get()
        try:
            value = self._value(first, 1)
        except (_Exceeded, yaml.constructor.ConstructorError, RecursionError):
            self._drain(first)
            raise
        get()  # the document's end
        self._single(first, get())
        if self.stamped and value.__class__ is Map:
            value._stamped = True
        if self.added > self.max_aliases:
            raise _Exceeded("yaml-alias-expansion",
                            f"the aliases of this anchored value and others expand to {self.added} more "
                            f"values, over the limit of {self.max_aliases}", self.mark(self.first_alias),
                            f"Remove the aliases that multiply each other, or raise the limit with "
                            f"{Limits.option('max_aliases')}.")
        return value

    def _single(self, first, event) -> None:
        if event.__class__ is not yaml.StreamEndEvent:
            raise yaml.composer.ComposerError("expected a single document in the stream", first.start_mark,
                                              "but found another document", event.start_mark)

    def _drain(self, first) -> None:
        """Read the rest of the text, raising the first fault of the text itself."""
        get = self.get_event
        while True:
            event = get()
            kind = event.__class__
            if kind is yaml.StreamEndEvent:
                return
            if kind is yaml.DocumentStartEvent:
                self._single(first, event)
            elif kind is _Alias:
                self._anchored(event)
            elif getattr(event, "anchor", None) is not None:
                self._anchor(event, None)

    def _anchor(self, event, record) -> None:
        """Let the anchor on `event` name `record`; an anchor is named once in a document."""
        held = self.anchors.get(event.anchor)
        if held is not None:
            raise yaml.composer.ComposerError("found duplicate anchor; first occurrence", held[1],
                                              "second occurrence", event.start_mark)
        self.anchors[event.anchor] = record or (None, event.start_mark, 0, 0)

    def _anchored(self, event) -> tuple:
        record = self.anchors.get(event.anchor)
        if record is None:
            raise yaml.composer.ComposerError(None, None, "found undefined alias", event.start_mark)
        return record

    def _start(self, event):
        """Where the value of `event` starts: an alias is placed at its anchored value."""
        return self.anchors[event.anchor][1] if event.__class__ is _Alias else event.start_mark

    def _value(self, event, level: int):
        """The value that starts with `event`, a container at nesting `level` if it is one."""
        kind = type(event)
        if kind is _Scalar:
            return self._scalar(event, self._tag(event))
        if kind is _Alias:
            return self._alias(event, level)
        tag = event.tag
        if tag is None or tag == "!":
            tag = _MAP if kind is _MapStart else _SEQ
        anchor = event.anchor
        if anchor is not None:
            self._anchor(event, (_BUILDING, event.start_mark, 0, 0))
            before, outer = self.count, self.deepest
            self.deepest = 0
        if kind is _MapStart:
            if tag not in _MAP_TAGS:
                raise self._wrong_kind(event, tag, "mapping")
            value = self._map(event, level)
            if tag == _SET:
                value.__class__ = YamlSet  # (the same layout: a Map, marked)
                self.stamped = True
        elif tag == _SEQ:
            value = self._seq(event, level)
        elif tag == _PAIRS:
            value = self._pairs(event, level)
        else:
            raise self._wrong_kind(event, tag, "sequence")
        if anchor is not None:
            inner = self.deepest
            self.anchors[anchor] = (value, event.start_mark, self.count - before, max(0, inner - level + 1))
            self.deepest = max(outer, inner)
        return value

    def _tag(self, event) -> str:
        """The tag of a scalar: its own, else the one its text resolves to (text when quoted)."""
        tag = event.tag
        if tag is not None and tag != "!":
            return tag
        # PyYAML's parser makes a scalar tagged with the non-specific `!` implicit, as libyaml does,
        # but for an empty one (`key: !`) which libyaml leaves not implicit: PyYAML types its text
        # (the empty text: null)
        if tag is None and not event.implicit[0]:
            return _STR
        text = event.value
        tag = _plain_tag(text)
        if tag is None:
            # a text no implicit resolver can claim (by its first character) is a string: what
            # `resolve` answers, without its look-ups (most long texts, never kept in _PLAIN_TAGS)
            if text and _RESOLVED_FIRST is not None and text[0] not in _RESOLVED_FIRST:
                tag = _STR
            else:
                tag = self.parser.resolve(yaml.ScalarNode, text, _IMPLICIT)
            if len(text) <= _PLAIN_TAG_LENGTH:
                if len(_PLAIN_TAGS) >= _PLAIN_TAGS_MAX:
                    _PLAIN_TAGS.clear()
                    _PLAIN_STRINGS.clear()
                _PLAIN_TAGS[text] = tag
                if tag == _STR and text.isascii():
                    _PLAIN_STRINGS[text] = _intern(text)
        return tag

    def _scalar(self, event, tag: str):
        anchor = event.anchor
        if anchor is not None:
            self._anchor(event, None)
        value = event.value
        if tag == _STR:
            if not value.isascii():
                self._non_ascii(event, value)
        elif tag in _SCALARS:
            try:
                node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
                value = _SCALARS[tag](self.parser, node)
            except (ValueError, KeyError, IndexError, OverflowError) as exc:
                # a text tagged as what it cannot be (`!!int 60 x`, `!!bool maybe`), or an integer
                # longer than Python converts: PyYAML's constructor raises, ours reports it
                shown = value if len(value) <= 40 else value[:37] + "..."
                why = (f": {sum(map(str.isdigit, value))} digits, more than the {sys.get_int_max_str_digits()} "
                       "Python reads" if "digits" in str(exc) else "")
                raise yaml.constructor.ConstructorError(
                    None, None, f"{shown!r} cannot be read as {tag.rsplit(':', 1)[-1]}{why}", event.start_mark) from None
        elif tag == _TIMESTAMP:
            value = Stamp(value)
            self.stamped = True
        elif tag not in _TEXT_TAGS:
            raise self._wrong_kind(event, tag, "scalar")
        self.count += 1
        if anchor is not None:
            self.anchors[anchor] = (value, event.start_mark, 1, 0)
        return value

    def _alias(self, event, level: int):
        value, start, size, height = self._anchored(event)
        if value is _BUILDING:
            raise _Exceeded("yaml-alias-expansion", "an alias refers to a node that contains it, so the "
                            "document would expand forever", self.mark(start),
                            "Remove the alias, or point it at a node outside the one it is in.")
        self.added += size
        self.count += size
        if self.first_alias is None:
            self.first_alias = start
        reach = level - 1 + height
        if reach > self.max_depth:
            raise self._too_deep(event)
        if reach > self.deepest:
            self.deepest = reach
        return value

    def _map(self, event, level: int) -> Map:
        if level > self.max_depth:
            raise self._too_deep(event)
        if level > self.deepest:
            self.deepest = level
        get = self.get_event
        plain_tag = _plain_tag
        plain_string = _plain_string
        result = _new_map(Map)  # no __init__: every slot is set here
        result._file = self.source
        result._place = None
        start = event.start_mark
        # the mapping's start, then each entry's key and value positions in the order of the keys (see Map)
        places = [start.line, start.column]
        merges = None  # (value, start) of each merge key (<<), once there is one
        built = 1  # this mapping and the plain text scalars of it built here
        while True:
            key_event = get()
            kind = type(key_event)  # a call the interpreter specialises; reading __class__ is a generic look-up
            if kind is _MapEnd:
                break
            if (kind is _Scalar and key_event.tag is None and key_event.anchor is None
                    and (key := plain_string(key_event.value)) is not None):
                built += 1  # the most common key by far: a string already seen (_PLAIN_STRINGS)
                key_at = key_event.start_mark
            elif kind is _Scalar:
                # a plain key's tag is most often known from its text (_PLAIN_TAGS), as a value's is below
                tag = (key_event.tag is None and key_event.implicit[0] and plain_tag(key_event.value)
                       or self._tag(key_event))
                if tag == _MERGE:
                    if key_event.anchor is not None:
                        self._anchor(key_event, ("<<", key_event.start_mark, 1, 0))
                    built += 1
                    value_event = get()
                    if merges is None:
                        merges = []
                    merges.append((self._value(value_event, level + 1), self._start(value_event)))
                    continue
                if tag == _STR and key_event.anchor is None:
                    key = _intern(key_event.value)
                    if not key.isascii():
                        self._non_ascii(key_event, key)
                    built += 1
                else:
                    key = self._scalar(key_event, tag)
                    if len(key_event.value) <= 1:  # a merge tells such keys by their text (see _merge)
                        self.short_keys[key_event.start_mark.line, key_event.start_mark.column] = key_event.value
                key_at = key_event.start_mark
            else:
                key = self._value(key_event, level + 1)
                if key.__class__ is not str:
                    try:
                        hash(key)
                    except TypeError:
                        self.report("schema-wrong-type", "a mapping key must be a scalar", self.mark(self._start(key_event)))
                        kept = len(self.found)
                        self._value(get(), level + 1)
                        del self.found[kept:]  # the value of a refused key is not built, nor judged
                        continue
                key_at = self._start(key_event)
            duplicate = key in result
            if duplicate:
                first_at = 2 + 4 * list(result).index(key)
                first = Mark(self.source, places[first_at] + 1, places[first_at + 1] + 1)
                self.report("yaml-duplicate-key",
                            f"duplicate key {key!r} (first at line {first.line}, column {first.column}); "
                            "the last value is kept", self.mark(key_at),
                            "Remove one of the two entries: the reference parser silently keeps the last.")
            value_event = get()
            value_kind = type(value_event)
            if value_kind is _Scalar and value_event.tag is None and value_event.anchor is None:
                value = plain_string(value_event.value)
                if value is not None:
                    built += 1
                    value_at = value_event.start_mark
                else:
                    value = value_event.value
                    tag = (plain_tag(value) or self._tag(value_event)) if value_event.implicit[0] else _STR
                    if tag == _STR:
                        if not value.isascii():
                            self._non_ascii(value_event, value)
                        if len(value) <= _SHARED_TEXT_LENGTH:
                            value = _intern(value)
                        built += 1
                        value_at = value_event.start_mark
                    else:
                        value = self._scalar(value_event, tag)
                        value_at = value_event.start_mark
                        if value is None and event.flow_style and not value_event.value:
                            value_at = self._after_colon(key_event, value_at)
            elif value_kind is _MapStart and value_event.tag is None and value_event.anchor is None:
                value = self._map(value_event, level + 1)  # what _value would do, one call less
                value_at = value_event.start_mark
            else:
                value = self._value(value_event, level + 1)
                value_at = value_event.start_mark if value_kind is not _Alias else self._start(value_event)
            result[key] = value
            if duplicate:  # the key keeps its first place in the mapping, with the last one's marks
                places[first_at:first_at + 4] = key_at.line, key_at.column, value_at.line, value_at.column
            else:
                places += key_at.line, key_at.column, value_at.line, value_at.column
        self.count += built
        if event.flow_style and self.text.find("?", start.index, key_event.end_mark.index) >= 0:
            self.flows_with_question.append((start.index, key_event.end_mark.index))
        # the positions join the file's records (see Map): done here, not in a method, as it is
        # for every mapping
        records = self.records
        at = len(records)
        try:
            records.fromlist(places)
        except OverflowError:  # a line past what an array item holds (2**32 on most machines)
            self._keep_marks_by_key(result, places)
        else:
            result._keys = tuple(result)
            result._at = at
            result._records = records
        return result if merges is None else self._merge(result, merges)

    def _after_colon(self, key_event, at):
        """Where PyYAML places a value left empty in a flow mapping (`{k: }`): right after its
        colon, where libyaml places it at the next token (`at`)."""
        colon = self.text.rfind(":", key_event.end_mark.index, at.index)
        if colon < 0:
            return at
        index = colon + 1
        line_start = self.text.rfind("\n", 0, index) + 1
        return yaml.error.Mark(None, index, at.line - self.text.count("\n", index, at.index), index - line_start,
                               None, None)

    def _keep_marks_by_key(self, result: Map, places: list) -> None:
        """Give `result` its start and entries' marks by key, from `places` (the start's line and
        column, then four for each key in order, see Map) that its file's records cannot hold."""
        file = self.source
        result._place = _place_of(file, places[0], places[1])
        result._keys = result._records = None
        result._at = dict(zip(result, map(_entry_of, repeat(file), places[2::4], places[3::4], places[4::4],
                                          places[5::4])))

    def _merge(self, explicit: Map, merges: list) -> Map:
        """YAML `<<` merge keys, as the reference's PyYAML (6.0) merges them.

        The merged entries come first, in the order written: each `<<` in turn, a list's mappings
        in turn, a mapping that had merge keys of its own with the entries it merged (`_flat`).
        A key written in one place (met again through an alias) counts once, where it was first
        met; PyYAML tells such keys apart by the identity of their text, so keys written with the
        same one character or none (`x`, `1`, `~`, `''`), which Python keeps as one object, count
        as one too, even a number and a text. Of the other entries with equal keys the last one's
        value wins, at the place of the first. The explicit keys come last and override them all,
        also at the place of a merged one. One case differs from PyYAML: a merged mapping that
        repeats a key of one character brings its last value (PyYAML's first); the repeated key is
        reported (yaml-duplicate-key).
        """
        out = Map()
        out._place_like(explicit)
        entries = out._at
        flat, met = [], set()
        for value, start in merges:
            if isinstance(value, Seq):
                sources = [(item, value.item_mark(index)) for index, item in enumerate(value)]
            else:
                sources = [(value, self.mark(start))]
            for source, mark in sources:
                if not isinstance(source, Map):
                    self.report("schema-wrong-type", "a merge key (<<) must name a mapping", mark)
                    continue
                for key, item, entry in self._flat(source):
                    if key.__class__ is str:
                        written = key if len(key) <= 1 else _key_spot(entry)
                    else:
                        spot = _key_spot(entry)
                        written = self.short_keys.get(spot, spot)
                    if written in met:
                        continue
                    met.add(written)
                    flat.append((key, item, entry))
                    out[key] = item
                    entries[key] = entry
        for key, value in explicit.items():
            entry = explicit._entry(key)
            flat.append((key, value, entry))
            out[key] = value
            entries[key] = entry
        self.flattened[id(out)] = (out, flat)
        return out

    def _flat(self, source: Map) -> list:
        """The entries a mapping brings to a merge, each (key, value, its entry's marks): those it
        was built from if it had merge keys (the overridden ones too), else its own."""
        held = self.flattened.get(id(source))
        if held is not None and held[0] is source:
            return held[1]
        return [(key, item, source._entry(key)) for key, item in source.items()]

    def _seq(self, event, level: int) -> Seq:
        if level > self.max_depth:
            raise self._too_deep(event)
        if level > self.deepest:
            self.deepest = level
        get = self.get_event
        seq = _placed_seq(event.start_mark, self.source)
        append = seq.append
        marks = []
        built = 1
        while True:
            item_event = get()
            kind = type(item_event)
            if kind is _SeqEnd:
                break
            if kind is _Scalar and item_event.tag is None and item_event.anchor is None:
                text = item_event.value
                value = _plain_string(text)
                if value is not None:
                    built += 1
                elif not item_event.implicit[0] or (_plain_tag(text) or self._tag(item_event)) == _STR:
                    value = text
                    if not value.isascii():
                        self._non_ascii(item_event, value)
                    if len(value) <= _SHARED_TEXT_LENGTH:
                        value = _intern(value)
                    built += 1
                else:
                    value = self._scalar(item_event, self._tag(item_event))
                at = item_event.start_mark
            else:
                value = self._value(item_event, level + 1)
                at = self._start(item_event)
            append(value)
            column = at.column
            marks.append(at.line << _COLUMN_BITS | column if column <= _COLUMN_MASK else self.mark(at))
        self.count += built
        if event.flow_style and self.text.find("?", event.start_mark.index, item_event.end_mark.index) >= 0:
            self.flows_with_question.append((event.start_mark.index, item_event.end_mark.index))
        seq._at = tuple(marks)
        return seq

    def _pairs(self, event, level: int) -> list:
        """YAML `!!pairs`: a plain list of (key, value) tuples, without marks."""
        if level > self.max_depth:
            raise self._too_deep(event)
        if level + 1 > self.deepest:
            self.deepest = level + 1
        get = self.get_event
        pairs = []
        self.count += 1
        while True:
            item = get()
            if item.__class__ is _SeqEnd:
                return pairs
            if item.__class__ is not _MapStart:
                raise yaml.constructor.ConstructorError(
                    "while constructing pairs", event.start_mark,
                    f"expected a mapping of length 1, but found {'sequence' if item.__class__ is yaml.SequenceStartEvent else 'scalar'}",
                    self._start(item))
            if item.anchor is not None:
                self._anchor(item, None)
            if level + 1 > self.max_depth:
                raise self._too_deep(item)
            self.count += 1
            entries = []
            while (key_event := get()).__class__ is not _MapEnd:
                entries.append((self._value(key_event, level + 2), self._value(get(), level + 2)))
            if len(entries) != 1:
                raise yaml.constructor.ConstructorError("while constructing pairs", event.start_mark,
                                                        f"expected a single mapping item, but found "
                                                        f"{len(entries)} items", item.start_mark)
            pairs.append(entries[0])

    def _wrong_kind(self, event, tag: str, kind: str) -> Exception:
        """PyYAML's error for a tag it cannot build, or builds from another kind of node."""
        start = event.start_mark
        if tag in _MAP_TAGS:
            return yaml.constructor.ConstructorError(None, None, f"expected a mapping node, but found {kind}", start)
        if tag == _SEQ:
            return yaml.constructor.ConstructorError(None, None, f"expected a sequence node, but found {kind}", start)
        if tag == _PAIRS:
            return yaml.constructor.ConstructorError("while constructing pairs", start,
                                                     f"expected a sequence, but found {kind}", start)
        if tag in _SCALAR_TAGS:
            return yaml.constructor.ConstructorError(None, None, f"expected a scalar node, but found {kind}", start)
        return yaml.constructor.ConstructorError(None, None, f"could not determine a constructor for the tag {tag!r}",
                                                 start)

    def _too_deep(self, event) -> "_Exceeded":
        return _Exceeded("yaml-too-complex", f"the document nests deeper than {self.max_depth} levels here",
                         self.mark(event.start_mark),
                         f"Flatten the document, or raise the limit with {Limits.option('max_depth')}.")

    def _non_ascii(self, event, value: str) -> None:
        offset = next(i for i, ch in enumerate(value) if not ch.isascii())
        self.report("yaml-non-ascii", f"non-ASCII character {value[offset]!r} in {value[:40]!r}",
                    self.mark(event.start_mark),
                    "The reference parser accepts only ASCII text; replace the character or escape it.")


class _Exceeded(Exception):
    """A limit crossed while building the document: the problem to report."""

    def __init__(self, code: str, message: str, mark: Mark, hint: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.mark = mark
        self.hint = hint


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
        refused = None
        try:
            value = loader.build()
            again = _libyaml_may_differ(text, loader.flows_with_question)
        except (yaml.scanner.ScannerError, yaml.parser.ParserError) as exc:
            refused, again = exc, True  # PyYAML's own parser may read it, or says where it does not
        if again and _pyyaml_may_read_again(text, limits):
            # read as the reference reads it, from PyYAML's own (pure-Python) scanner and parser
            loader.dispose()
            loader = _Loader(text, source, limits, events=yaml.SafeLoader(text))
            value = loader.build()
        elif refused is not None:
            raise refused
        _add_found(loader, problems)
        return Map(mark=Mark(source, 1, 1)) if value is None else value
    except _Exceeded as exc:
        problems.add(exc.code, exc.message, exc.mark, hint=exc.hint)
    except yaml.MarkedYAMLError as exc:
        if isinstance(exc, yaml.constructor.ConstructorError):
            _add_found(loader, problems)
        where = exc.problem_mark or exc.context_mark
        if where is not None and _counted_unlike_an_editor(text):
            where = _editor_position(text, where)
        mark = _within_text(text, source, where.line + 1, where.column + 1) if where else Mark(source, 1, 1)
        detail = exc.problem or exc.context or "invalid YAML"
        if "maximum nesting depth" in detail:
            # libyaml's own bound, met before ours could be
            problems.add("yaml-too-complex", f"the document nests deeper than {LIBYAML_DEPTH} levels, "
                                             "the YAML parser's own limit", mark,
                         hint="Flatten the document.")
        elif "'\\t'" in detail:
            problems.add("yaml-syntax", f"invalid YAML: {detail}", mark,
                         hint="Put spaces in place of the tab (or quote the text): the reference's YAML reader "
                              "takes a tab only inside quotes, block texts and comments.")
        else:
            problems.add("yaml-syntax", f"invalid YAML: {detail}", mark,
                         hint="Fix the YAML syntax at this position (indentation, quoting, a missing colon).")
    except yaml.YAMLError as exc:
        problems.add("yaml-syntax", f"invalid YAML: {exc}", Mark(source, 1, 1))
    except RecursionError:
        _add_found(loader, problems)
        problems.add("yaml-too-complex", "the document nests too deep to build", Mark(source, 1, 1),
                     hint=f"Flatten the document, or lower {Limits.option('max_depth')}.")
    finally:
        loader.dispose()
    return None


def _pyyaml_may_read_again(text: str, limits: Limits) -> bool:
    """Whether PyYAML's own parser may read `text` again (see `_load`): at most PYYAML_AGAIN_MAX
    characters, and flow collections (brackets and braces, counted in quoted texts too) nested no
    deeper than the limit. Its scanner keeps a possible key open for every open flow collection and
    revisits them all at each token, so a text nested thousands deep would take it minutes; such a
    text is refused for its depth anyway (by our limit or libyaml's)."""
    if len(text) > PYYAML_AGAIN_MAX:
        return False
    bound = min(limits.max_depth, LIBYAML_DEPTH)
    depth = 0
    for found in _FLOW_BRACKETS.finditer(text):
        if found.group() in "[{":
            depth += 1
            if depth > bound:
                return False
        else:
            depth -= 1
    return True


def _libyaml_may_differ(text: str, flows_with_question: list) -> bool:
    """Whether `text`, which libyaml read, holds what PyYAML's own scanner and parser (pure Python:
    the reference reads blueprints with them) may read otherwise, or refuse; such a text is read
    again from PyYAML's events (see `_load`):

    - a tab outside quotes, block texts and comments: libyaml takes it as white space between
      tokens and inside a plain scalar (`key:<tab>value`, `a<tab>b`), as YAML 1.2 does; PyYAML
      takes only spaces there ("found character '\\t' that cannot start any token");
    - a byte order mark past the start of the text: white space to libyaml, a character of a
      plain scalar to PyYAML (which the reference then refuses as not ASCII);
    - a question mark inside a plain scalar in a flow collection (`[a?b]`): libyaml keeps it in
      the scalar, PyYAML ends the scalar there and reads an explicit key. The loader notes each
      flow collection holding a `?` (`flows_with_question`, start and end in the text); PyYAML
      parses each of those alone first, a few characters most often.

    - a tag holding `,`, `[` or `]` (`[!, x]`, `[!a,b]`): PyYAML reads those as characters of the
      tag anywhere, libyaml ends a tag at them inside a flow collection. A text with a flow
      collection and such a run after a `!` where a token may start (a quoted string's `' !,'`
      too) is read again; in the corpus, none.

    A tab inside a quoted or block text or a comment is read alike by both, and most tabs are
    there (scripts written in a block text): only a text with a tab elsewhere is read again
    (`_tab_outside_texts`). Of the corpus's 1,709 YAML files, 3 hold a tab, each in a block text,
    and none the others.
    """
    if text.find("\ufeff", 1) >= 0 or ("\t" in text and _tab_outside_texts(text)):
        return True
    if "!" in text and ("[" in text or "{" in text) and _flow_tag_read_apart(text):
        return True
    for start, end in flows_with_question:
        try:
            for _ in yaml.parse(text[start:end], Loader=yaml.SafeLoader):
                pass
        except yaml.YAMLError:
            return True
    return False


# A `!` and the characters PyYAML's scanner takes into a tag (YAML's URI characters) up to a `,`, `[`
# or `]`, which libyaml does not take into a tag inside a flow collection (`_flow_tag_read_apart`).
# Written to start with the `!` itself, which the regex engine finds at the speed of a plain search.
_TAG_WITH_FLOW_INDICATOR = re.compile(r"![-;/?:@&=+$_.!~*'()%\w]*[,\[\]]")
_TOKEN_BEFORE = frozenset(" \t\r\n[]{},")  # what may precede a token's start, a tag's included

def _flow_tag_read_apart(text: str) -> bool:
    """Whether `text` has a tag holding a `,`, `[` or `]` (see `_libyaml_may_differ`): such a run
    after a `!` where a token may start (the text's start, after white space or a flow indicator;
    within a plain scalar a `!` is a character)."""
    for found in _TAG_WITH_FLOW_INDICATOR.finditer(text):
        at = found.start()
        if at == 0 or text[at - 1] in _TOKEN_BEFORE:
            return True
    return False


_TEXT_STYLES = frozenset("|>'\"")  # the scalars a tab may be inside for PyYAML too: block and quoted


def _tab_outside_texts(text: str) -> bool:
    """Whether a tab of `text` lies outside every quoted and block scalar and every comment,
    where PyYAML may refuse it; libyaml's tokens tell where the scalars are."""
    starts, spans = [], []  # each scalar token's start; its (start, end, style)
    scanner = yaml._yaml.CParser(text)
    try:
        token = scanner.get_token()
        while token is not None and type(token) is not yaml.StreamEndToken:
            if type(token) is yaml.ScalarToken:
                starts.append(token.start_mark.index)
                spans.append((token.start_mark.index, token.end_mark.index, token.style))
            token = scanner.get_token()
    except yaml.YAMLError:
        return True
    finally:
        scanner.dispose()

    def scalar_at(index: int):
        found = bisect.bisect_right(starts, index) - 1
        return spans[found] if found >= 0 and index < spans[found][1] else None

    tab = text.find("\t")
    while tab >= 0:
        inside = scalar_at(tab)
        if inside is None or inside[2] not in _TEXT_STYLES:
            line = text.rfind("\n", 0, tab) + 1
            if not any(text[at] == "#" and (at == line or text[at - 1] in " \t") and scalar_at(at) is None
                       for at in range(line, tab)):
                return True  # not in a comment either
        tab = text.find("\t", tab + 1)
    return False


def _counted_unlike_an_editor(text: str) -> bool:
    """Whether YAML's parsers count the lines and columns of `text` otherwise than an editor: it
    holds a line break that YAML 1.1 counts and editors do not (NEL U+0085, the line and paragraph
    separators U+2028 and U+2029, a carriage return not followed by a line feed), or a byte order
    mark past the start, which they do not count as a column."""
    if "\x85" in text or "\u2028" in text or "\u2029" in text or text.find("\ufeff", 1) >= 0:
        return True
    return "\r" in text and "\r" in text.replace("\r\n", "")


def _editor_position(text: str, where):
    """libyaml's position `where` (0-based, counted on YAML's line breaks) as a 0-based line and
    column counted on line feeds alone, as an editor shows the file."""
    index = min(where.index, len(text))
    line_start = text.rfind("\n", 0, index) + 1
    return yaml.error.Mark(where.name, index, text.count("\n", 0, index), index - line_start, None, None)


def _on_editor_lines(get_event, text: str):
    """`get_event` whose events carry their positions on an editor's lines (_editor_position): a
    text with a break only YAML counts would otherwise get positions past its last line."""
    def get_editor_event():
        event = get_event()
        event.start_mark = _editor_position(text, event.start_mark)
        return event

    return get_editor_event


def _add_found(loader: _Loader, problems: Problems) -> None:
    """The problems found while building, in the order found."""
    for code, message, mark, hint in loader.found:
        problems.add(code, message, mark, hint=hint)
