"""Schema check: every loaded file against `schemas/blueprint.schema.json` or `plugin.schema.json`.

The two JSON Schemas (2020-12) are the DSL's shape as the reference parser enforces it (SPEC §1.1,
§3-§6, code 1): allowed keys, value types and required keys of every section. The import walker
calls `check` once per parsed file (main, imported, catalog blueprints with the blueprint schema,
registry plugin YAML with the plugin schema); each fault becomes one problem at the exact key or
value it concerns:

* an unknown key (`additionalProperties: false`) -> `schema-unknown-key` at the key;
* a value of the wrong YAML type, a non-string name -> `schema-wrong-type` at the value (the name);
* a missing required key -> `schema-missing-key` at the key naming the mapping that lacks it.

Other keywords of the schemas (`enum`, `minimum`, `minProperties`, ...) are hints for editors only:
the stages that own those faults report them with their own codes (`plugin-executor-invalid`,
`operation-value-invalid`, `import-properties-invalid`, ...). So are the two sections the import
walker reads before any file is checked (`tosca_definitions_version`, `imports`).

The schemas are read from the `schemas/` folder of the checkout this module runs from, or, in an
installed wheel, from where the package installed them (`share/resolver/schemas`, setup.cfg).
`jsonschema` is imported on first use, so `resolver --version` stays light.
"""
from __future__ import annotations

import difflib
import functools
import importlib.metadata
import json
from pathlib import Path
from typing import Iterator

from .load import Map, mark_in, value_mark_in
from .problems import Mark, Problems

BLUEPRINT = "blueprint"
PLUGIN = "plugin"
SCHEMA_FILES = {BLUEPRINT: "blueprint.schema.json", PLUGIN: "plugin.schema.json"}
DOCUMENT_NAMES = {BLUEPRINT: "blueprint", PLUGIN: "plugin YAML"}

# Read by the import walker, which reports their faults (dsl-version-*, import-*) itself.
OWNED_BY_IMPORTS = frozenset({"tosca_definitions_version", "imports"})

_YAML_KINDS = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
               "number": "a number", "boolean": "a boolean", "null": "empty"}


def schema_path(kind: str) -> Path:
    """The file of schema `kind`: in the checkout the package runs from (editable installs too),
    else where the wheel installed it (`<prefix>/share/resolver/schemas`, as the distribution's
    RECORD says, or beside the package for `pip install --target`).

    Raises FileNotFoundError when it is nowhere (a broken installation).
    """
    name = SCHEMA_FILES[kind]
    root = Path(__file__).resolve().parent.parent
    candidates = [root / "schemas" / name]
    try:
        candidates += [Path(entry.locate()).resolve() for entry in importlib.metadata.files("resolver") or ()
                       if entry.name == name and entry.parent.name == "schemas"]
    except importlib.metadata.PackageNotFoundError:
        pass
    candidates.append(root / "share" / "resolver" / "schemas" / name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"schema {name} not found; looked in: {', '.join(map(str, candidates))}")


def load_schema(kind: str) -> dict:
    return json.loads(schema_path(kind).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def validators() -> dict:
    """One Draft 2020-12 validator per schema kind, built once.

    `$ref`s, within a schema and from the plugin schema into the blueprint schema's `$defs`,
    resolve through a `referencing` registry keyed by the schemas' `$id`s. Non-recursive ones are
    resolved here, once, and inlined: a lookup per reference per value would make validating the
    corpus more than twice as slow.
    """
    from jsonschema import Draft202012Validator, validators as jsonschema_validators
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    schemas = {kind: load_schema(kind) for kind in SCHEMA_FILES}
    registry = Registry().with_resources(
        (schema["$id"], DRAFT202012.create_resource(schema)) for schema in schemas.values())
    # YAML, like the reference's isinstance checks, tells 2.0 from 2: a float is no integer.
    types = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool))
    strict = jsonschema_validators.extend(Draft202012Validator, type_checker=types,
                                          validators=_descending_keywords(Draft202012Validator.VALIDATORS))
    return {kind: strict(_inline(schema, registry.resolver(schema["$id"]), ()), registry=registry)
            for kind, schema in schemas.items()}


# Keywords that assert nothing, and keywords that apply to mappings only (JSON Schema objects).
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment"})
_MAPPING_KEYWORDS = frozenset({"properties", "additionalProperties", "required", "propertyNames",
                               "dependentRequired", "minProperties", "maxProperties"})


def _descending_keywords(base: dict) -> dict:
    """`properties`, `additionalProperties`, `items` and `propertyNames` that skip values which
    certainly pass.

    Descending into a subschema builds a validator object per value, and most values of a
    blueprint are scalars that only a `type` checks, or that nothing checks. Those are decided on
    the spot; every other value is descended into as jsonschema does, so errors are the same.
    """
    deciders: dict[int, tuple | None] = {}

    def passes(validator, subschema, value) -> bool:
        key = id(subschema)
        if key not in deciders:
            assertions = subschema.keys() - _ANNOTATIONS if isinstance(subschema, dict) else {"?"}
            simple = not (assertions - _MAPPING_KEYWORDS - {"type", "items"})
            deciders[key] = (assertions, _listed(subschema.get("type", ()))) if simple else None
        decider = deciders[key]
        if decider is None:
            return False
        assertions, types = decider
        if isinstance(value, dict) and assertions & _MAPPING_KEYWORDS:
            return False
        if isinstance(value, list) and "items" in assertions:
            return False
        return "type" not in assertions or any(validator.is_type(value, name) for name in types)

    def properties(validator, properties, instance, schema):
        if not validator.is_type(instance, "object"):
            return
        for name, subschema in properties.items():
            if name in instance and not passes(validator, subschema, instance[name]):
                yield from validator.descend(instance[name], subschema, path=name, schema_path=name)

    def additional_properties(validator, additional, instance, schema):
        if not isinstance(additional, dict) or "patternProperties" in schema:
            yield from base["additionalProperties"](validator, additional, instance, schema)
            return
        if not validator.is_type(instance, "object"):
            return
        declared = schema.get("properties", {})
        for name, value in instance.items():
            if name not in declared and not passes(validator, additional, value):
                yield from validator.descend(value, additional, path=name)

    def items(validator, subschema, instance, schema):
        if not isinstance(subschema, dict) or "prefixItems" in schema:
            yield from base["items"](validator, subschema, instance, schema)
            return
        if not validator.is_type(instance, "array"):
            return
        for index, value in enumerate(instance):
            if not passes(validator, subschema, value):
                yield from validator.descend(value, subschema, path=index)

    def property_names(validator, subschema, instance, schema):
        if not validator.is_type(instance, "object"):
            return
        for name in instance:
            if not passes(validator, subschema, name):
                yield from validator.descend(instance=name, schema=subschema)

    return {"properties": properties, "additionalProperties": additional_properties, "items": items,
            "propertyNames": property_names}


def _inline(node, resolver, expanding: tuple):
    """`node` with every `$ref` replaced by its target (annotations beside it kept), except a
    reference back into one being expanded, which stays for the registry to resolve."""
    if isinstance(node, list):
        return [_inline(item, resolver, expanding) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        resolved = resolver.lookup(ref)
        target = id(resolved.contents)
        if target not in expanding:
            inlined = dict(_inline(resolved.contents, resolved.resolver, expanding + (target,)))
            inlined.update((key, _inline(value, resolver, expanding))
                           for key, value in node.items() if key != "$ref")
            return inlined
    return {key: _inline(value, resolver, expanding) for key, value in node.items()}


def check(doc: Map, kind: str, problems: Problems) -> None:
    """Add one problem per schema fault of `doc`, a loaded file of `kind` (BLUEPRINT or PLUGIN)."""
    missing_seen: set = set()
    for error in validators()[kind].iter_errors(doc):
        path = tuple(error.absolute_path)
        if path and path[0] in OWNED_BY_IMPORTS:
            continue
        for code, message, mark, hint in _translate(error, path, doc, kind, missing_seen):
            problems.add(code, message, mark, hint=hint)


def _translate(error, path: tuple, doc: Map, kind: str, missing_seen: set) -> Iterator[tuple]:
    keyword = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    if keyword == "type" and tuple(error.schema_path)[-2:] == ("propertyNames", "type"):
        container = _at(doc, path)
        yield ("schema-wrong-type",
               f"a name in {_where(path, kind)} must be a string, not {_kind(error.instance)} "
               f"({error.instance!r})",
               mark_in(container, error.instance), "Quote the name.")
    elif keyword == "type":
        expected = [t for t in _listed(error.validator_value) if t != "null"]
        wanted = " or ".join(_YAML_KINDS[t] for t in expected)
        yield ("schema-wrong-type",
               f"{_where(path, kind)} must be {wanted}, not {_kind(error.instance)}",
               _value_mark(doc, path), schema.get("description"))
    elif keyword == "additionalProperties" and error.validator_value is False:
        allowed = list(schema.get("properties", ()))
        container = _at(doc, path)
        for key in error.instance:
            if key in allowed:
                continue
            if path:
                message = f"{key!r} is not a valid {_title(schema, path)} key (at {_where(path, kind)})"
            else:
                message = f"{key!r} is not a top-level key of a {DOCUMENT_NAMES[kind]}"
            yield "schema-unknown-key", message, mark_in(container, key), _valid_keys(key, allowed)
    elif keyword == "required":
        for key in error.validator_value:
            if key in error.instance or (path, key) in missing_seen:
                continue
            missing_seen.add((path, key))
            declared = schema.get("properties", {}).get(key)
            about = declared.get("description") if isinstance(declared, dict) else None
            yield ("schema-missing-key",
                   f"{_title(schema, path)} at {_where(path, kind)} has no {key!r}",
                   _key_mark(doc, path), f"Add '{key}'" + (f": {about}" if about else "."))


def _at(doc, path: tuple):
    value = doc
    for step in path:
        value = value[step]
    return value


def _key_mark(doc, path: tuple) -> Mark | None:
    """Where the value at `path` is named: its key, or its list item."""
    if not path:
        return doc.mark
    return mark_in(_at(doc, path[:-1]), path[-1])


def _value_mark(doc, path: tuple) -> Mark | None:
    if not path:
        return doc.mark
    return value_mark_in(_at(doc, path[:-1]), path[-1])


def _where(path: tuple, kind: str) -> str:
    if not path:
        return f"the {DOCUMENT_NAMES[kind]}"
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _title(schema: dict, path: tuple) -> str:
    return schema.get("title") or (str(path[-1]) if path else "document")


def _listed(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _kind(value) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _valid_keys(key, allowed: list) -> str:
    close = difflib.get_close_matches(str(key), allowed, n=1)
    prefix = f"Did you mean {close[0]!r}? " if close else ""
    return prefix + "Valid keys: " + ", ".join(allowed)
