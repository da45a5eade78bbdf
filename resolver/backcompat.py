"""The `plugin_1_3.yaml` a manager derives on upload for DSL 1_3 blueprints (REGISTRY.md §5.3).

Object-based types become `string` (their constraints go with them), `item_type` entries
are dropped and workflows lose `availability_rules`. Works on loaded values and keeps
their marks, so problems still point into the original file.
"""
from __future__ import annotations

from .load import Map, Seq
from .versions import OBJECT_TYPES


def derive_plugin_1_3(doc):
    return _walk(doc, parent_key=None)


def _walk(value, parent_key):
    if isinstance(value, Map):
        items = []
        retyped = isinstance(value.get("type"), str) and value.get("type") in OBJECT_TYPES
        for key, child in value.items():
            if key == "item_type":
                continue
            if key == "availability_rules" and parent_key == "workflow":
                continue
            if retyped and key == "constraints":
                continue
            if retyped and key == "type":
                items.append((key, "string", key))
                continue
            child_context = "workflow" if parent_key == "workflows" else key
            items.append((key, _walk(child, child_context), key))
        return value.derive(items)
    if isinstance(value, Seq):
        return value.derive([_walk(item, parent_key) for item in value])
    return value
