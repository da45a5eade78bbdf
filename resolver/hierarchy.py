"""Stage 4, hierarchy: `derived_from` chains, inherited properties and interfaces.

Every type's chain is checked; a type is resolved when first asked for, once (memoised), and
shares with its parent what it inherits unchanged, so the stage costs what the used types write,
not the number of types times their depth. A missing parent or a cycle is reported once, where
the `derived_from` is written.
"""
from __future__ import annotations

from typing import Any

from . import records
from .load import Map
from .merge import Blueprint
from .problems import Problems
from .properties import Schemas


@records.frozen
class ResolvedType:
    name: str
    hierarchy: tuple[str, ...]
    properties: dict[str, Any]
    interfaces: dict[str, dict[str, dict[str, Any]]]  # group ("interfaces", ...) -> iface -> op -> raw


class TypeTable:
    """Resolved node types, relationship types or data types of one blueprint."""

    def __init__(self, blueprint: Blueprint, section: str, problems: Problems,
                 interface_groups: tuple[str, ...], shared=None) -> None:
        """`shared` (shared.Shared): the session's blueprints share the resolved types that are
        definitions of kept documents all the way up."""
        self.blueprint = blueprint
        self.section = section
        self.entries = blueprint.section(section)
        self.problems = problems
        self.groups = interface_groups
        self._sound: dict[str, bool] = {}  # type name -> its chain reaches a root (`check`)
        self._done: dict[str, ResolvedType] = {}  # type name -> resolved, for the sound ones asked for
        self.shared = shared
        self._shared_names: set[str] = set()  # the types in _done that the session shares

    def __getstate__(self) -> dict:
        # A result sent from a worker process (batch.py) carries the model and so its tables; the
        # session's memo (and its parse cache's lock) stays in the session: what it resolved is
        # in `_done`, and anything else is resolved on its own.
        return dict(self.__dict__, shared=None)

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and name in self.entries

    def get(self, name: str) -> ResolvedType | None:
        """The resolved type; None for a name that is no type or whose chain is broken."""
        if not isinstance(name, str) or name not in self.entries:
            return None
        if name in self._done:
            return self._done[name]
        if not self.check(name):
            return None
        # Walk up to a resolved ancestor (or the root), then resolve downwards: the chain is sound.
        chain: list[str] = []
        current = name
        while current is not None and current not in self._done:
            chain.append(current)
            body = self.entries.get(current)
            current = body.get("derived_from") if isinstance(body, Map) else None
        base = self._done[current] if current is not None else None
        for type_name in reversed(chain):
            base = self._extended(base, type_name)
            self._done[type_name] = base
        return base

    def session_made(self, name: str) -> bool:
        """Whether the resolved type `name` (as `get` gave it) is the session's, made once for
        every blueprint whose definitions of it and its ancestors are the same (`_extended`)."""
        return name in self._shared_names

    def _extended(self, parent: ResolvedType | None, name: str) -> ResolvedType:
        """`_extend`, made once per session when `name` and all its ancestors are definitions of
        documents the session keeps: the same parent (a shared one) and the same definition extend
        alike, for every blueprint."""
        body = self.entries.get(name)
        if self.shared is None or (parent is not None and parent.name not in self._shared_names):
            return self._extend(parent, name)
        # by name too: an alias (*anchor) gives two types the very same definition
        key = ("resolved type", self.section, self.groups, name, id(parent), id(body))
        # Found, it was made from this very definition (the memo keeps it alive, so its id is no
        # other object's), which a kept document holds: a copy made for one blueprint is another
        # object. The test that it is kept is then already passed.
        resolved = self.shared.found(key)
        if resolved is None:
            if not self.shared.kept(self.section, name, body):
                return self._extend(parent, name)
            resolved = self.shared.made(key, (parent, body), lambda: self._extend(parent, name))
        self._shared_names.add(name)
        return resolved

    def check_all(self) -> None:
        """`check` every type, in the section's order, reporting what those checks would. Most
        types derive from one settled already (a section lists a parent before its children): a
        type is then as sound as its parent, without a walk; and a root (most data types) is
        sound, without one either. A kept document's section merged whole whose types reach a
        root within it or through parents outside it that are settled sound already (the usual
        case: a plugin's types derive from Cloudify's) is settled at once, from what the session
        worked out about it once (`_sound_within`)."""
        if self.shared is None:
            self._settle(self.entries.keys(), self.entries.values())
            return
        sound = self._sound
        for held, names, bodies in self.shared.documents(self.section):
            if held is not None:
                within = self.shared.made(("types sound within", id(held)), (held,), lambda: _sound_within(held))
                if within is not None and all(sound.get(parent) for parent in within[0]):
                    sound.update(within[1])  # none of them reports: nothing to keep in order
                    continue
            self._settle(names, bodies)

    def _settle(self, names, bodies) -> None:
        """`check_all` for entries of the section, in order (`names` with their `bodies`)."""
        sound = self._sound
        for name, body in zip(names, bodies):
            if name in sound:
                continue
            parent = body.get("derived_from") if isinstance(body, Map) else None
            if isinstance(name, str):
                if parent is None:
                    sound[name] = True
                    continue
                if isinstance(parent, str) and parent in sound:  # no cycle through `name`
                    sound[name] = sound[parent]
                    continue
            self.check(name)

    def check(self, name: str) -> bool:
        """Whether the `derived_from` chain of the type `name` reaches a root. A missing parent or a
        cycle is reported the first time a chain meets it; the type itself is resolved only when
        asked for (`get`)."""
        if not isinstance(name, str) or name not in self.entries:
            return False
        if name in self._sound:
            return self._sound[name]
        chain: list[str] = []
        on_chain: set[str] = set()
        current = name
        sound = True
        while True:
            if current in self._sound:
                sound = self._sound[current]
                break
            if current in on_chain:
                cycle = chain[chain.index(current):] + [current]
                self.problems.add("cycle", f"{self.section} form a cycle: {' --> '.join(cycle)}",
                                  self._derived_mark(current),
                                  hint="Remove one derived_from link of the cycle.")
                sound = False
                break
            chain.append(current)
            on_chain.add(current)
            body = self.entries.get(current)
            parent = body.get("derived_from") if isinstance(body, Map) else None
            if parent is None:
                break
            if not isinstance(parent, str) or parent not in self.entries:
                self.problems.add("type-parent-unknown",
                                  f"{self._kind()} {current!r} is derived from {parent!r}, which is not defined",
                                  self._derived_mark(current),
                                  hint="Import the file that defines it, or fix the name.", subject=str(parent))
                sound = False
                break
            current = parent
        for type_name in chain:
            self._sound[type_name] = sound
        return sound

    def _kind(self) -> str:
        return {"node_types": "node type", "relationships": "relationship type",
                "data_types": "data type"}.get(self.section, self.section)

    def _derived_mark(self, name):
        body = self.entries.get(name)
        if isinstance(body, Map) and "derived_from" in body:
            return body.value_mark("derived_from")
        return self.blueprint.mark(self.section, name)

    def _extend(self, parent: ResolvedType | None, name: str) -> ResolvedType:
        # What a type inherits unchanged is its parent's own dict, shared (nobody writes into a
        # resolved type): a deep hierarchy costs what its types write, not their depth times that.
        body = self.entries.get(name)
        body = body if isinstance(body, Map) else Map()
        properties = parent.properties if parent else Schemas()
        own = body.get("properties")
        if isinstance(own, dict) and own:
            properties = Schemas(properties)
            for prop, schema in own.items():
                properties[prop] = _inherit_property(properties.get(prop), schema)
        interfaces = {}
        for group in self.groups:
            inherited = parent.interfaces.get(group, {}) if parent else {}
            own_ifaces = body.get(group)
            interfaces[group] = (self._override(inherited, own_ifaces)
                                 if isinstance(own_ifaces, dict) and own_ifaces else inherited)
        hierarchy = (parent.hierarchy if parent else ()) + (name,)
        return ResolvedType(name=name, hierarchy=hierarchy, properties=properties, interfaces=interfaces)

    @staticmethod
    def _override(inherited: dict, own_ifaces: dict) -> dict:
        """The inherited interfaces with a type's own over them: each operation it writes replaces
        the parent's whole; an interface it leaves as it was stays the parent's."""
        merged = dict(inherited)
        for iface, ops in own_ifaces.items():
            ops = ops if isinstance(ops, dict) else {}
            parent_ops = merged.get(iface)
            if parent_ops is None:
                target = Map()
            elif ops:
                target = parent_ops.derive((op, value, op) for op, value in parent_ops.items())
            else:
                continue
            for op, value in ops.items():
                target[op] = value
                if isinstance(ops, Map):
                    target.copy_key_mark(op, ops, op)
            merged[iface] = target
        return merged


def _sound_within(entries: dict) -> tuple[tuple, dict] | None:
    """What the types of one section of a document say of their soundness alone: (the parents
    they name outside it, {every type: True}), which `check` would find too in a merged section
    holding these very entries when those parents are sound; None when a name or a parent is no
    string or a chain loops, for `check` to walk and report."""
    outside: dict = {}
    settled: dict = {}
    for name in entries:
        walked = []
        current = name
        while current not in settled:
            if not isinstance(current, str) or current in walked:
                return None
            walked.append(current)
            body = entries[current]
            parent = body.get("derived_from") if isinstance(body, Map) else None
            if parent is None:
                break
            if not isinstance(parent, str):
                return None
            if parent not in entries:
                outside[parent] = None
                break
            current = parent
        settled.update(dict.fromkeys(walked, True))
    return tuple(outside), settled


def _inherit_property(parent_schema, schema):
    """A sub-type's schema replaces the parent's; data-type defaults are deep-merged."""
    if (isinstance(parent_schema, dict) and isinstance(schema, dict)
            and parent_schema.get("type") == schema.get("type")
            and isinstance(parent_schema.get("default"), dict) and isinstance(schema.get("default"), dict)
            and schema.get("type") not in (None, "dict")):
        merged = dict(schema)
        merged["default"] = _deep_merge(parent_schema["default"], schema["default"])
        return merged
    return schema


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def is_host(hierarchy) -> bool:
    # the reference's rule: a substring test, so namespaced Compute types count too
    return any("cloudify.nodes.Compute" in name for name in hierarchy)


def is_contained_in(hierarchy) -> bool:
    return "cloudify.relationships.contained_in" in hierarchy
