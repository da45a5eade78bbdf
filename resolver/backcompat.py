"""The `plugin_1_3.yaml` a manager derives on upload for DSL 1_3 blueprints (REGISTRY.md §5.3).

Object-based types become `string` (their constraints go with them), `item_type` entries
are dropped and workflows lose `availability_rules`. Works on loaded values and keeps
their marks, so problems still point into the original file.
"""
from __future__ import annotations

from operator import is_not

from .load import Map, Seq
from .versions import OBJECT_TYPES


def derive_plugin_1_3(doc):
    """`doc` as a manager derives it for DSL 1_3, a new document. What it leaves as it was is
    `doc`'s own (the same objects: a parsed document is never changed), so only the mappings and
    sequences above a change are new (the derived copy of a plugin's YAML cost as much as reading
    it)."""
    derived = _walk(doc, parent_key=None)
    if derived is doc:  # still a document of its own: the parse cache knows each by its identity
        derived = doc.derive([(key, value, key) for key, value in doc.items()])
    return derived


def _walk(value, parent_key):
    """`value` derived, or `value` itself when nothing beneath it changes."""
    if isinstance(value, Map):
        items = []
        retyped = isinstance(value.get("type"), str) and value.get("type") in OBJECT_TYPES
        changed = False
        for key, child in value.items():
            if key == "item_type" or (key == "availability_rules" and parent_key == "workflow") \
                    or (retyped and key == "constraints"):
                changed = True
                continue
            if retyped and key == "type":
                items.append((key, "string", key))
                changed = True
                continue
            derived = _walk(child, "workflow" if parent_key == "workflows" else key)
            changed = changed or derived is not child
            items.append((key, derived, key))
        return value.derive(items) if changed else value
    if isinstance(value, Seq):
        items = [_walk(item, parent_key) for item in value]
        return value.derive(items) if any(map(is_not, items, value)) else value
    return value
