"""What a session works out once from the documents it keeps parsed, for every blueprint using them.

Most blueprints of a batch import the same files (Cloudify's types, a handful of plugin YAMLs),
and the session keeps each parsed once (`imports.ParseCache`): the same `Map` objects reach every
blueprint that imports them. A finding about one definition of such a document (a type's
property defaults checked against their types, its schemas' keys) depends on that definition and
on little else of the blueprint (its DSL version, its data types); a session works it out for the
first blueprint and replays it for the next ones, which report exactly what they would have
reported themselves.

    shared = Shared(cache.memo, blueprint, cache.holds)      # one blueprint (pipeline.run)
    shared.each(("rule", dsl_version), "node_types", data_types, problems, run)

Definitions are known by identity. A memo entry keeps the objects its key names alive, so an
identity is never reused while the key is held; only definitions of documents the session keeps
are memoised (a namespaced copy, made for one blueprint, is not), and the session drops the whole
memo whenever it drops a document, so the memo is bounded as the parse cache is.
"""
from __future__ import annotations

from itertools import groupby, islice
from operator import is_
from typing import Any, Callable, Iterable, Iterator

from .load import Map
from .problems import Problems


_UNKNOWN = object()  # not worked out yet (None is an answer)


class SessionMemo:
    """A session's memo (see the module's docstring); `ParseCache` owns it and clears it."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: dict[tuple, Any] = {}

    def clear(self) -> None:
        self.values = {}  # a new dict: a thread replaying from the old one keeps a consistent view

    def made(self, key: tuple, keep: tuple, make: Callable[[], Any]) -> Any:
        """`make()`, once per session for `key`, whose identities (`id`) name the objects `keep`
        holds (kept alive with the value). `make` must give an equal value whenever those objects
        are the same, and report nothing."""
        found = self.values.get(key)
        if found is None:
            found = self.values[key] = (keep, make())
        return found[1]

    def latest(self, key: tuple, keep: tuple, make: Callable[[], Any]) -> Any:
        """`make()`, once for `key` while the objects `keep` holds stay the same ones (by identity);
        made again, in place of the old value, when they are others: one value per key however
        often they change. `make` must give an equal value whenever those objects are the same,
        and report nothing."""
        found = self.values.get(key)
        if found is None or len(found[0]) != len(keep) or not all(map(is_, found[0], keep)):
            found = self.values[key] = (keep, make())
        return found[1]


def documents(blueprint, section: str, shared: "Shared | None") -> Iterable[tuple[dict | None, Iterable, Iterable]]:
    """`shared.documents(section)`; for a blueprint resolved without a `Shared`, its merged
    `section` as one run of no kept document."""
    return shared.documents(section) if shared is not None else (_one_run(blueprint, section),)


def _one_run(blueprint, section: str) -> tuple[None, list, list]:
    entries = blueprint.section(section)
    return None, list(entries), list(entries.values())


class Shared:
    """One blueprint's access to its session's memo.

    `held(doc)` says whether the session keeps the parsed document `doc` (`ParseCache.holds`).
    """

    __slots__ = ("memo", "blueprint", "held", "_chains", "_held", "_runs_of", "_layout")

    # a definition whose findings differ with more sets of data types than this is no longer kept
    MAX_VARIANTS = 8
    # the findings about a kept section are known by this many layouts of data types at most
    MAX_LAYOUTS = 64

    def __init__(self, memo: SessionMemo | None, blueprint, held: Callable[[Any], bool]) -> None:
        self.memo = memo
        self.blueprint = blueprint
        self.held = held
        self._chains: dict[str, _Chain] = {}  # data type name -> what it stands for in this blueprint
        # (section, id(source file)) -> _held_entries; the blueprint keeps every source alive
        self._held: dict[tuple, dict | None] = {}
        self._runs_of: dict[str, tuple | None] = {}  # section -> _runs, for every rule alike
        self._layout: Any = _UNKNOWN  # _data_types_layout, once worked out

    def each(self, what: tuple, section: str, data_types, problems: Problems,
             run: Callable[[Any, Any, Any, Problems], None]) -> None:
        """`run(name, body, data_types, problems)` for every entry of the merged `section`, in
        order: report the findings about that one definition.

        `data_types` is the blueprint's `hierarchy.TypeTable` of its merged data types (None for
        none), and `what` names the rule and everything else the findings depend on (the DSL
        version): `run` must report the same problems, in the same order, whenever the entry,
        `what` and the data types it asks about (by `in` and `get`) are the same. For an entry
        that a document the session keeps holds, `run` gets a view of the data types that notes
        what it asks; the next blueprint whose data types answer the same (the same definitions,
        by identity, all along their `derived_from` chains) is given the problems again without
        running it. Where the merged section holds all of a kept document's entries together and
        in its order (the usual case), their findings are given again all at once."""
        runs = self._runs(section) if self.memo is not None else None
        if runs is None:
            for name, body in self.blueprint.section(section).items():
                run(name, body, data_types, problems)
            return
        layout = self._data_types_layout() if data_types is not None else None
        for held, whole, names, bodies in runs:
            if held is None:
                for name, body in zip(names, bodies):
                    run(name, body, data_types, problems)
                continue
            kept = self._kept(what, section, held)
            if whole:
                found = self._whole(kept, data_types, layout, run)
                if found:
                    problems.extend(found)
                continue
            for name, body in zip(names, bodies):
                if held.get(name) is body:
                    found = self._one(kept, name, body, data_types, run)[1]
                    if found:
                        problems.extend(found)
                else:
                    run(name, body, data_types, problems)

    def kept(self, section: str, name, body) -> bool:
        """Whether `body`, the entry `name` of the merged `section`, is the very object that a
        document the session keeps holds there (not a copy made for this blueprint)."""
        if self.memo is None:
            return False
        entries = self._held_entries(section, self.blueprint.origin(section, name))
        return entries is not None and entries.get(name) is body

    def documents(self, section: str) -> Iterator[tuple[dict | None, Iterable, Iterable]]:
        """The merged `section` in runs of entries that come from one file, in order: (that
        file's section, when the session keeps the document and the run is all of the section's
        entries in its order, else None; the run's names; its bodies, in the same order).
        Findings about such a section that depend on it alone are worked out once per session
        for all its entries (with `made`, keyed on its identity)."""
        runs = self._runs(section) if self.memo is not None else None
        if runs is None:
            yield _one_run(self.blueprint, section)
            return
        for held, whole, names, bodies in runs:
            yield (held if whole else None), names, bodies

    def made(self, key: tuple, keep: tuple, make: Callable[[], Any]) -> Any:
        """`SessionMemo.made` of the session's memo (`make()` when there is none)."""
        return make() if self.memo is None else self.memo.made(key, keep, make)

    def found(self, key: tuple) -> Any:
        """The value `keep` left for `key` in the session's memo; None when there is none."""
        entry = self.memo.values.get(key) if self.memo is not None else None
        return entry[1] if entry is not None else None

    def keep(self, key: tuple, keep: tuple, value: Any) -> None:
        """Leaves `value` for `key` in the session's memo (if any), with the objects `keep` whose
        identities the key names. For a value worth keeping only when making it reported nothing,
        which the maker knows afterwards (`made` is for values that never report)."""
        if self.memo is not None:
            self.memo.values[key] = (keep, value)

    def _runs(self, section: str) -> tuple | None:
        """The merged `section` cut into runs of entries that come from one file, in order, each
        (the entries of that file's section when the session keeps it, else None; whether the run
        is all of those entries in their order; its names; its bodies). None when merge did not
        record an origin beside every entry. Worked out once per blueprint for all the rules."""
        runs = self._runs_of.get(section, _UNKNOWN)
        if runs is not _UNKNOWN:
            return runs
        pieces = self.blueprint.pieces.get(section)
        if pieces is not None:
            # each file's section is a run, all of it in its order: nothing to compare
            cut = []
            for source, entries in pieces:
                held = self._held_entries(section, source)
                cut.append((held, held is entries, entries.keys(), entries.values()))
            runs = tuple(cut)
        else:
            runs = self._cut(section)
        self._runs_of[section] = runs
        return runs

    def _cut(self, section: str) -> tuple | None:
        """`_runs` of a section that merge did not give as whole pieces, found by reading every
        entry's origin."""
        entries = self.blueprint.section(section)
        # merge records the origins beside the entries, in their order
        origins = self.blueprint.origins_of(section)
        if len(origins) != len(entries):
            return None
        cut = []
        names, bodies = iter(entries), iter(entries.values())
        for _, sources in groupby(origins.values(), id):
            source = next(sources)
            count = 1 + len(list(sources))
            run_names, run_bodies = list(islice(names, count)), list(islice(bodies, count))
            held = self._held_entries(section, source)
            whole = (held is not None and len(run_names) == len(held) and run_names == list(held)
                     and all(map(is_, run_bodies, held.values())))
            cut.append((held, whole, run_names, run_bodies))
        return tuple(cut)

    def _data_types_layout(self) -> Any:
        """A token for what this blueprint's merged data types are when they are all of the
        data types of some documents the session keeps, whole and in order (the usual case):
        the session's blueprints whose data types are the same sections, by identity and in the
        same order, get the same token, and their data types answer alike. None otherwise."""
        if self._layout is _UNKNOWN:
            runs = self._runs("data_types")
            if runs is None or not all(whole for _, whole, _, _ in runs):
                self._layout = None
            else:
                sections = tuple(held for held, _, _, _ in runs)
                self._layout = self.memo.made(("data types layout",) + tuple(map(id, sections)), sections, object)
        return self._layout

    def _kept(self, what: tuple, section: str, entries: dict) -> "_Kept":
        """What the session found by the rule `what` about `entries`, the `section` of a
        document the session keeps."""
        key = (what, section, id(entries))
        kept = self.memo.values.get(key)
        if kept is None:
            kept = self.memo.values[key] = _Kept(entries)
        return kept

    def _held_entries(self, section: str, source) -> dict | None:
        """The entries of `section` in `source`'s document when the session keeps that document
        (and the section is a mapping); None otherwise."""
        if source is None:
            return None
        key = (section, id(source))
        entries = self._held.get(key, _UNKNOWN)
        if entries is _UNKNOWN:
            entries = source.doc.get(section) if self.held(source.doc) else None
            if not isinstance(entries, dict):
                entries = None
            self._held[key] = entries
        return entries

    def _known(self, variants: list, data_types) -> tuple | None:
        """The (data types asked about, findings) of `variants` that holds in this blueprint."""
        for variant in variants:
            if not variant[0] or self._alike(data_types, variant[0]):
                return variant
        return None

    def _one(self, kept: "_Kept", name, body, data_types, run) -> tuple:
        """(the data types asked about, the findings) of `run` about the kept entry `name`."""
        variants = kept.variants.get(name)
        if variants is None:
            variants = kept.variants[name] = []
        variant = self._known(variants, data_types)
        if variant is None:
            local = Problems()
            view = _Asking(data_types, self._chain) if data_types is not None else None
            run(name, body, view, local)
            variant = (view.asked if view is not None else {}, tuple(local))
            if len(variants) < self.MAX_VARIANTS:
                variants.append(variant)
        return variant

    def _whole(self, kept: "_Kept", data_types, layout, run) -> tuple:
        """The findings of `run` about every entry of `kept`, in order; `layout` is the
        blueprint's `_data_types_layout` (None for none or no data types)."""
        if layout is not None:
            found = kept.by_layout.get(layout)
            if found is not None:
                return found
        variant = self._known(kept.whole, data_types)
        if variant is None:
            asked: dict = {}
            found: list = []
            for name, body in kept.entries.items():
                one = self._one(kept, name, body, data_types, run)
                asked.update(one[0])  # a name two entries asked about stands for one thing here
                found.extend(one[1])
            variant = (asked, tuple(found))
            if len(kept.whole) < self.MAX_VARIANTS:
                kept.whole.append(variant)
        if layout is not None and len(kept.by_layout) < self.MAX_LAYOUTS:
            kept.by_layout[layout] = variant[1]
        return variant[1]

    def _alike(self, data_types, asked: dict) -> bool:
        """Whether every data type name in `asked` stands for the same definitions here."""
        met = list(map(self._chains.get, asked))  # what the names this blueprint met stand for
        if None not in met:
            return all(map(is_, met, asked.values()))
        for name, chain in asked.items():
            if self._chain(data_types, name) is not chain:
                return False
        return True

    def _chain(self, data_types, name: str) -> "_Chain":
        """What the data type `name` stands for in this blueprint: the definitions it is made of,
        its own, its parent's and so on up to a root, a parent that is not there, or a cycle (all
        that hierarchy.TypeTable reads to resolve it); one object for the session's every
        blueprint where they are the same definitions."""
        chain = self._chains.get(name)
        if chain is None:
            entries = data_types.entries
            bodies = []
            seen = set()
            current = name
            while isinstance(current, str) and current in entries and current not in seen:
                seen.add(current)
                body = entries[current]
                bodies.append(body)
                current = body.get("derived_from") if isinstance(body, Map) else None
            key = ("data type chain", name, tuple(map(id, bodies)))
            chain = self.memo.values.get(key)
            if chain is None:
                chain = self.memo.values[key] = _Chain(tuple(bodies))
            self._chains[name] = chain
        return chain


class _Kept:
    """What one rule found about the entries of one section of a document the session keeps."""

    __slots__ = ("entries", "variants", "whole", "by_layout")

    def __init__(self, entries: dict) -> None:
        self.entries = entries  # kept alive with the findings: the identity in the memo's key stays theirs
        # entry name -> [(the data types asked about, the findings)], most often one
        self.variants: dict[Any, list] = {}
        self.whole: list = []  # the same for all the entries at once, in their order
        # Shared._data_types_layout -> the findings about all the entries: the data types of a
        # blueprint of that layout answer as those of the blueprint that found them
        self.by_layout: dict = {}


class _Chain:
    """The definitions a data type name stands for (`Shared._chain`), kept alive by it."""

    __slots__ = ("bodies",)

    def __init__(self, bodies: tuple) -> None:
        self.bodies = bodies


class _Asking:
    """A blueprint's data types (`hierarchy.TypeTable`) as one rule sees them, noting each name
    asked about with what it stands for (`Shared._chain`)."""

    __slots__ = ("table", "chain", "asked")

    def __init__(self, table, chain) -> None:
        self.table = table
        self.chain = chain
        self.asked: dict = {}

    def _note(self, name) -> None:
        # a name that is no string is no data type in any blueprint: nothing to note
        if isinstance(name, str) and name not in self.asked:
            self.asked[name] = self.chain(self.table, name)

    def __contains__(self, name) -> bool:
        self._note(name)
        return name in self.table

    def get(self, name):
        self._note(name)
        return self.table.get(name)

