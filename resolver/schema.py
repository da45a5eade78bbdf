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

Two paths decide it. The fast path (`fast_checks`) is a boolean check generated as Python source
from the schema (kept compiled in `_schema_checks`): a function per mapping schema that says
whether jsonschema would yield any error that becomes a problem, without building one. Most files are clean, and for them that is the whole check. Only
a file the fast path finds at fault gets its detailed errors, which make the problems and their
messages: jsonschema's errors (`validators`, `check_detailed`), worked out the way jsonschema works
them out over the same inlined schema, without importing it (`own_faults`; its import alone costs
more than the fast check of a whole batch). Tests compare the two, problem for problem; `jsonschema`
and `referencing` are imported only for a schema that `own_faults` does not follow.

The schemas are read from the `schemas/` folder of the checkout this module runs from, or, in an
installed wheel, from where the package installed them (`share/resolver/schemas`, setup.cfg).
"""
from __future__ import annotations

import binascii
import functools
import json
import numbers
import os
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urljoin

from .load import Map, mark_in, value_mark_in
from .problems import Mark, Problems

BLUEPRINT = "blueprint"
PLUGIN = "plugin"
SCHEMA_FILES = {BLUEPRINT: "blueprint.schema.json", PLUGIN: "plugin.schema.json"}
DOCUMENT_NAMES = {BLUEPRINT: "blueprint", PLUGIN: "plugin YAML"}

# Read by the import walker, which reports their faults (dsl-version-*, import-*) itself; and by
# the merge, which judges only the description the blueprint keeps and the main file's
# dsl_definitions (an imported file's are dropped unread, as the reference drops them).
OWNED_BY_IMPORTS = frozenset({"tosca_definitions_version", "imports", "description", "dsl_definitions"})

_YAML_KINDS = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
               "number": "a number", "boolean": "a boolean", "null": "empty"}


def schema_path(kind: str) -> str:
    """The file of schema `kind`: in the checkout the package runs from (editable installs too),
    else where the wheel installed it (`<prefix>/share/resolver/schemas`, as the distribution's
    RECORD says, or beside the package for `pip install --target`).

    The checkout is looked at first, and `importlib.metadata` imported only when it has no
    schemas: that import alone costs many times what building the fast checks does.

    Raises FileNotFoundError when it is nowhere (a broken installation).
    """
    name = SCHEMA_FILES[kind]
    root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    in_checkout = os.path.join(root, "schemas", name)
    if os.path.isfile(in_checkout):
        return in_checkout
    import importlib.metadata

    candidates = [in_checkout]
    try:
        candidates += [os.path.realpath(entry.locate()) for entry in importlib.metadata.files("resolver") or ()
                       if entry.name == name and entry.parent.name == "schemas"]
    except importlib.metadata.PackageNotFoundError:
        pass
    candidates.append(os.path.join(root, "share", "resolver", "schemas", name))
    for candidate in candidates[1:]:
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(f"schema {name} not found; looked in: {', '.join(candidates)}")


def _read_bytes(path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def load_schema(kind: str) -> dict:
    return json.loads(_read_bytes(schema_path(kind)).decode("utf-8"))


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


# --- the fast path ---------------------------------------------------------------------------

Check = Callable[[Any], bool]

# What each JSON Schema type admits, by the value's class (jsonschema's checks, with our
# integer: a float is no integer, whatever its value). A class decides every type here, so the
# verdicts are kept per class.
_TYPE_TESTS: dict[str, Callable[[type], bool]] = {
    "array": lambda cls: issubclass(cls, list),
    "boolean": lambda cls: issubclass(cls, bool),
    "integer": lambda cls: issubclass(cls, int) and not issubclass(cls, bool),
    "null": lambda cls: cls is type(None),
    "number": lambda cls: issubclass(cls, numbers.Number) and not issubclass(cls, bool),
    "object": lambda cls: issubclass(cls, dict),
    "string": lambda cls: issubclass(cls, str),
}
# Keywords whose errors `_translate` drops: they matter only where a whole subschema's validity
# does (an `if`), and there they are checked too.
_VALIDITY_ONLY = frozenset({"enum", "const", "minimum", "minProperties", "maxProperties"})
_STRUCTURE = frozenset({"$schema", "$id", "$defs", "$ref", "type", "properties", "additionalProperties",
                        "required", "propertyNames", "items", "if", "then", "else"})


@functools.lru_cache(maxsize=None)
def fast_checks() -> dict[str, Check]:
    """One compiled check per schema kind: true when jsonschema's run over the document would yield
    no error that `check` turns into a problem (an error under a section the import walker owns
    included), false otherwise. Built once, from the schema files alone.

    The checks are Python source generated from the schemas (`checks_module`). Compiling it costs
    more than the checks of a whole batch save, so the source generated from the schemas this
    package ships is kept as the module `_schema_checks` (a test keeps it current), whose bytecode
    Python caches; only schema files that differ from those it was made from are compiled here.

    Raises ValueError when a schema uses a keyword the compiler does not know, so a schema edit
    cannot make the fast path judge differently from jsonschema without a test failing.
    """
    texts = {kind: _read_bytes(schema_path(kind)) for kind in SCHEMA_FILES}
    from . import _schema_checks as kept

    if kept.SCHEMAS == _fingerprints(texts):
        checks = kept.CHECKS
    else:
        namespace = {"__name__": f"{__package__}._schema_checks", "__package__": __package__}
        exec(compile(checks_module(texts), "<schema checks>", "exec"), namespace)
        checks = namespace["CHECKS"]
    return {kind: checks[kind] or _always for kind in SCHEMA_FILES}


def checks_module(texts: dict[str, bytes]) -> str:
    """The source of the module `_schema_checks`: the fast checks of the schemas whose files hold
    `texts` (by kind), `CHECKS` by kind (None: passes all), and `SCHEMAS`, the files' fingerprints."""
    documents = {kind: json.loads(text) for kind, text in texts.items()}
    compiler = _Compiler({document["$id"]: document for document in documents.values()})
    functions = {}
    for kind, document in documents.items():
        # The errors under the import walker's sections are dropped; the keys stay declared.
        root = dict(document, properties={name: ({} if name in OWNED_BY_IMPORTS else subschema)
                                          for name, subschema in document.get("properties", {}).items()})
        functions[kind] = compiler.function(root, document["$id"], full=False)
    checks = ", ".join(f"{kind!r}: {function or 'None'}" for kind, function in functions.items())
    return (f"{_GENERATED}\nfrom numbers import Number\n\nfrom .schema import _admitting\n\n"
            f"SCHEMAS = {_fingerprints(texts)!r}\n\n" + "\n".join(compiler.source)
            + f"\n\nCHECKS = {{{checks}}}\n")


_GENERATED = ('"""The schema check\'s fast path, generated by resolver/schema.py (`checks_module`) from\n'
              'schemas/*.schema.json: do not edit; `python -m tests.schema_checks --write` makes it again."""')


def _fingerprints(texts: dict[str, bytes]) -> dict[str, tuple[int, int]]:
    """(length, CRC-32) of each schema file's text, by kind: binascii costs nothing to import, where
    hashlib's import costs more than the check of a batch."""
    return {kind: (len(text), binascii.crc32(text)) for kind, text in sorted(texts.items())}


def _always(_value) -> bool:
    return True


class _Code:
    """One subschema's check as Python source. `expression(variable)` is a boolean expression over
    the value in the local `variable` (evaluating it more than once costs nothing); `function` is
    the name of a generated function of one value computing the same, None until one is asked for;
    `types` is (the set of admitted classes, the test that adds to it) of a check that is one type
    test alone, else None."""

    __slots__ = ("expression", "function", "types")

    def __init__(self, expression: Callable[[str], str], function: str | None = None,
                 types: tuple[str, str] | None = None) -> None:
        self.expression, self.function, self.types = expression, function, types


def _calling(function: str) -> _Code:
    return _Code(lambda value: f"{function}({value})", function)


class _Compiler:
    """Subschemas to checks, generated as Python source, compiled once. `full=False` checks only
    what becomes a problem (type, additionalProperties: false, required, and whatever decides an
    `if`); `full=True` checks whole validity, as jsonschema's `is_valid` does for an `if`. A check
    of None means the subschema passes every value.

    A function per subschema would cost a call for every value of a blueprint and every key of its
    mappings. The generated code makes one function per mapping schema, which tests the keys and
    the scalar values of a mapping inline (`in` the mapping, a class in a set) and calls only the
    functions of the mappings and lists within it.

    `$ref`s resolve against the schemas by `$id` (a JSON pointer after '#'); a reference back into
    a subschema being compiled calls that subschema's function, defined once it is known.
    """

    def __init__(self, documents: dict[str, dict]) -> None:
        self.documents = documents
        self.done: dict[tuple, _Code | None] = {}
        self.building: dict[tuple, str] = {}  # (id, full) of a subschema being built -> its function's name
        self.called: set[str] = set()  # those of them a reference back into it calls
        self.type_tests: dict[frozenset, tuple[str, str]] = {}
        self.source: list[str] = []  # the constants and functions generated, in order
        self.count = 0
        self.namespace: dict[str, Any] = {"Number": numbers.Number, "_admitting": _admitting}
        self.run = 0  # how much of `source` `compile` has run in `namespace`

    def compile(self, schema, base: str, full: bool) -> Check | None:
        """The check of `schema`, a function (None: passes all)."""
        function = self.function(schema, base, full)
        if self.run < len(self.source):
            text, self.run = "\n".join(self.source[self.run:]), len(self.source)
            exec(compile(text, "<schema checks>", "exec"), self.namespace)
        return self.namespace[function] if function is not None else None

    def function(self, schema, base: str, full: bool) -> str | None:
        """The name of the function in `source` that checks `schema` (None: passes all)."""
        code = self._code(schema, base, full)
        return self._function(code) if code is not None else None

    def _name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def _constant(self, prefix: str, text: str) -> str:
        """The name of a new constant, the value of the expression `text`."""
        name = self._name(prefix)
        self.source.append(f"{name} = {text}")
        return name

    def _define(self, function: str, code: _Code | None) -> None:
        self.source.append(f"def {function}(value):\n"
                           f"    return {code.expression('value') if code is not None else 'True'}\n")

    def _function(self, code: _Code) -> str:
        if code.function is None:
            code.function = self._name("check")
            self._define(code.function, code)
        return code.function

    def _code(self, schema, base: str, full: bool) -> _Code | None:
        key = (id(schema), full)
        if key in self.done:
            return self.done[key]
        if key in self.building:
            self.called.add(self.building[key])
            return _calling(self.building[key])
        function = self.building[key] = self._name("check")
        code = self._build(schema, base, full)
        del self.building[key]
        if function in self.called:  # the references back into it call it by that name
            self._define(function, code)
            code = _calling(function) if code is not None else None
        self.done[key] = code
        return code

    def _build(self, schema, base: str, full: bool) -> _Code | None:
        if schema is True or schema is False:
            # A false subschema's error names no keyword: invalid, yet no problem.
            return _Code(lambda value: "False") if schema is False and full else None
        unknown = schema.keys() - _STRUCTURE - _VALIDITY_ONLY - _ANNOTATIONS
        if unknown:
            raise ValueError(f"no fast check for schema keywords {sorted(unknown)}")
        base = urljoin(base, schema["$id"]) if "$id" in schema else base
        parts = []
        if "$ref" in schema:
            target, target_base = self._resolve(schema["$ref"], base)
            parts.append(self._code(target, target_base, full))
        types = _listed(schema["type"]) if "type" in schema else None
        kind = self._type_code(types) if types is not None else None
        mapping = self._mapping_code(schema, base, full, kind, types)
        # a mapping check decides the type too
        parts.append(kind if mapping is None else mapping)
        if full:
            parts += [self._enum_code(schema["enum"]) if "enum" in schema else None,
                      self._enum_code([schema["const"]]) if "const" in schema else None,
                      self._minimum_code(schema["minimum"]) if "minimum" in schema else None]
        if "items" in schema:
            parts.append(self._items_code(self._code(schema["items"], base, full)))
        if "if" in schema:
            parts.append(_condition_code(self._code(schema["if"], base, True),
                                         self._code(schema.get("then", True), base, full),
                                         self._code(schema.get("else", True), base, full)))
        return _all_of([part for part in parts if part is not None])

    def _resolve(self, ref: str, base: str) -> tuple[Any, str]:
        return _resolve(self.documents, ref, base)

    def _type_code(self, names: list) -> _Code:
        """A value's class in the set of those admitted so far, else the test that adds it: a
        class decides every type (`_TYPE_TESTS`), and a file holds a handful of classes."""
        unknown = set(names) - _TYPE_TESTS.keys()
        if unknown:
            raise ValueError(f"no fast check for schema types {sorted(unknown)}")
        key = frozenset(names)
        if key not in self.type_tests:
            classes = self._constant("classes", "set()")
            self.type_tests[key] = (classes, self._constant("admits", f"_admitting({tuple(names)!r}, {classes})"))
        classes, admits = self.type_tests[key]
        return _Code(lambda value: f"(type({value}) in {classes} or {admits}({value}))", types=(classes, admits))

    def _every(self, code: _Code) -> Callable[[str], str]:
        """The expression that every value of an iterable (source text, read twice) passes `code`:
        for a type test, first whether all their classes are admitted ones, at C speed."""
        if code.types is not None:
            classes, admits = code.types
            return lambda values: f"({classes}.issuperset(map(type, {values})) or all(map({admits}, {values})))"
        function = self._function(code)
        return lambda values: f"all(map({function}, {values}))"

    def _mapping_code(self, schema: dict, base: str, full: bool, kind: _Code | None,
                      types: list | None) -> _Code | None:
        """The check of what `schema` says of a mapping's entries, None when it says nothing; with
        the schema's type check `kind` (of `types`; None: no type) applied to every value besides."""
        declared = {name: self._code(subschema, base, full)
                    for name, subschema in schema.get("properties", {}).items()}
        additional = schema.get("additionalProperties", True)
        closed = additional is False
        other = None if closed else self._code(additional, base, full)
        names = self._code(schema["propertyNames"], base, full) if "propertyNames" in schema else None
        required = tuple(schema.get("required", ()))
        least = schema.get("minProperties", 0) if full else 0
        most = schema.get("maxProperties") if full else None
        checked = {name: code for name, code in declared.items() if code is not None}
        if not (closed or required or names or other or least or most is not None or checked):
            return None

        function = self._name("mapping")
        lines = [f"def {function}(value):",
                 "    if not isinstance(value, dict):",
                 f"        return {kind.expression('value') if kind is not None else 'True'}"]
        if types is not None and not any(_TYPE_TESTS[name](dict) for name in types):
            lines.append("    return False")  # a type admits every mapping or none
        else:
            if least > 0:
                lines.append(f"    if len(value) < {least!r}: return False")
            if most is not None:
                lines.append(f"    if len(value) > {most!r}: return False")
            for name in required:
                lines.append(f"    if {_literal(name)} not in value: return False")
            if names is not None:
                lines.append(f"    if not {self._every(names)('value')}: return False")
            lines += self._values(declared, checked, other, closed)
            lines.append("    return True")
        self.source.append("\n".join(lines) + "\n")
        return _calling(function)

    def _values(self, declared: dict, checked: dict, other: _Code | None, closed: bool) -> list[str]:
        """The lines of a mapping's function that check its values: a declared name's by its own
        check (even none), any other's by `other`, or refused when the mapping is `closed`."""
        if closed and not declared:
            return ["    if value: return False"]
        if closed or (other is not None and declared):
            # A mapping holds few of the names its schema declares: each of its keys is compared
            # with them in turn, cheaper than looking each declared name up in it.
            lines = ["    for key, item in value.items():"]
            for name, code in declared.items():
                lines.append(f"        {'if' if len(lines) == 1 else 'elif'} key == {_literal(name)}:")
                lines.append(f"            if not {code.expression('item')}: return False" if code is not None
                             else "            pass")
            lines.append("        else:")
            lines.append("            return False" if closed
                         else f"            if not {other.expression('item')}: return False")
            return lines
        if other is None:
            # only declared names have values to check: each looked up
            lines = []
            for name, code in checked.items():
                key = _literal(name)
                lines += [f"    if {key} in value:",
                          f"        item = value[{key}]",
                          f"        if not {code.expression('item')}: return False"]
            return lines
        return [f"    if not {self._every(other)('value.values()')}: return False"]

    def _enum_code(self, allowed: list) -> _Code:
        """jsonschema's `equal` against strings and null: a string equals only an equal string, null
        only itself."""
        if not all(item is None or isinstance(item, str) for item in allowed):
            raise ValueError(f"no fast check for enum or const values {allowed!r}")
        texts = self._constant("texts", _names([item for item in allowed if item is not None]))
        if None in allowed:
            return _Code(lambda value: f"({value} is None or (isinstance({value}, str) and {value} in {texts}))")
        return _Code(lambda value: f"(isinstance({value}, str) and {value} in {texts})")

    def _minimum_code(self, least) -> _Code:
        bound = _literal(least)
        return _Code(lambda value: f"(not isinstance({value}, Number) or isinstance({value}, bool) "
                                   f"or not {value} < {bound})")

    def _items_code(self, item: _Code | None) -> _Code | None:
        if item is None:
            return None
        every = self._every(item)
        return _Code(lambda value: f"(not isinstance({value}, list) or {every(value)})")


def _literal(value) -> str:
    """`value`, a string or a number of a schema, as Python source."""
    if not isinstance(value, (str, int, float)) or value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"no fast check for schema value {value!r}")
    return repr(value)


def _names(names) -> str:
    """A frozenset of the strings `names` as Python source, the same text whatever the hash seed."""
    return "frozenset({" + ", ".join(sorted(map(_literal, names))) + "})" if names else "frozenset()"


def _admitting(names: tuple, admitted: set) -> Check:
    """The test of the type `names` for a value whose class is not in `admitted`: adds the class
    when the type admits it."""
    def admits(value) -> bool:
        cls = type(value)
        if any(_TYPE_TESTS[name](cls) for name in names):
            admitted.add(cls)
            return True
        return False

    return admits


def _all_of(parts: list) -> _Code | None:
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return _Code(lambda value: "(" + " and ".join(part.expression(value) for part in parts) + ")")


def _condition_code(condition: _Code | None, then: _Code | None, otherwise: _Code | None) -> _Code | None:
    if condition is None:
        return then
    if then is None and otherwise is None:
        return None

    def expression(value: str) -> str:
        yes = then.expression(value) if then is not None else "True"
        no = otherwise.expression(value) if otherwise is not None else "True"
        return f"({yes} if {condition.expression(value)} else {no})"

    return _Code(expression)


def _resolve(documents: dict[str, dict], ref: str, base: str) -> tuple[Any, str]:
    """(the subschema `ref` names, the `$id` of its document), `ref` written in the document `base`."""
    if ref.startswith("#"):  # within the document (most of them): what urljoin would say, at once
        uri, pointer = base.partition("#")[0], ref[1:]
    else:
        uri, _, pointer = urljoin(base, ref).partition("#")
    node = documents[uri]
    for step in filter(None, pointer.split("/")):
        step = step.replace("~1", "/").replace("~0", "~")
        node = node[int(step)] if isinstance(node, list) else node[step]
    return node, uri


# --- the detailed path without jsonschema -----------------------------------------------------

class _Fault:
    """One error as jsonschema's validator (`validators`) yields it, with what `_translate` reads
    of it: the keyword, its value and schema, the last two steps of its schema path, the path of
    its instance (a None key left out, as jsonschema leaves it out) and the instance."""

    __slots__ = ("validator", "validator_value", "schema", "schema_path", "absolute_path", "instance")

    def __init__(self, validator: str, schema: dict, via, path: tuple, instance) -> None:
        self.validator, self.validator_value, self.schema = validator, schema[validator], schema
        self.schema_path, self.absolute_path, self.instance = (via, validator), path, instance


# The keywords whose errors may become problems, and those with none or whose errors never do.
_FAULTING = frozenset({"type", "properties", "additionalProperties", "items", "propertyNames", "required", "if"})
_SILENT = _VALIDITY_ONLY | _ANNOTATIONS | {"$schema", "$id", "$defs", "then", "else"}


@functools.lru_cache(maxsize=None)
def own_faults() -> dict[str, Callable[[Any], Iterator[_Fault]] | None]:
    """Per schema kind, the errors jsonschema's validator would yield for a document that become
    problems (`_translate`), in its order, worked out without jsonschema (whose import alone
    costs several times the fast check of a whole batch): the schema with its `$ref`s inlined as
    `validators` inlines them, walked keyword by keyword as jsonschema walks it. None for a kind
    whose inlined schema holds what this walk does not follow (a recursive `$ref`, another
    keyword): jsonschema then reports. Tests compare the two on the corpus and its mutants."""
    schemas = {kind: load_schema(kind) for kind in SCHEMA_FILES}
    documents = {document["$id"]: document for document in schemas.values()}
    compiler = _Compiler(documents)
    made: dict[str, Callable | None] = {}
    for kind, document in schemas.items():
        inlined = _inline(document, _Lookup(documents, document["$id"]), ())
        if all(_followed(node) for node in _subschemas(inlined)):
            made[kind] = functools.partial(_faults, inlined, via=None, path=(), compiler=compiler,
                                           base=document["$id"])
        else:
            made[kind] = None
    return made


class _Lookup:
    """What `_inline` asks of a `referencing` resolver, over the schema documents by `$id`."""

    __slots__ = ("documents", "base", "contents", "resolver")

    def __init__(self, documents: dict[str, dict], base: str, contents=None) -> None:
        self.documents, self.base, self.contents, self.resolver = documents, base, contents, self

    def lookup(self, ref: str) -> "_Lookup":
        contents, uri = _resolve(self.documents, ref, self.base)
        return _Lookup(self.documents, uri, contents)


def _subschemas(schema) -> Iterator[dict]:
    """`schema` and every subschema in it that validation may reach (not `$defs`)."""
    if not isinstance(schema, dict):
        return
    yield schema
    for keyword, value in schema.items():
        if keyword == "properties":
            for subschema in value.values():
                yield from _subschemas(subschema)
        elif keyword in ("additionalProperties", "items", "propertyNames", "if", "then", "else"):
            yield from _subschemas(value)


def _followed(schema: dict) -> bool:
    return schema.keys() <= _FAULTING | _SILENT


def _faults(schema, instance, via, path: tuple, compiler: "_Compiler", base: str) -> Iterator[_Fault]:
    """The errors of `instance` under the inlined `schema` that may become problems, in
    jsonschema's order (its keywords in the schema's order); `via` is the last step of the schema
    path to `schema`, `path` the path to `instance`."""
    if not isinstance(schema, dict):
        return  # true passes all; false's error names no keyword
    for keyword, value in schema.items():
        if keyword == "type":
            if not any(_TYPE_TESTS[name](type(instance)) for name in _listed(value)):
                yield _Fault(keyword, schema, via, path, instance)
        elif keyword == "required":
            if isinstance(instance, dict):
                for name in value:
                    if name not in instance:
                        yield _Fault(keyword, schema, via, path, instance)
        elif keyword == "properties":
            if isinstance(instance, dict):
                for name, subschema in value.items():
                    if name in instance:
                        yield from _faults(subschema, instance[name], name, path + (name,), compiler, base)
        elif keyword == "additionalProperties":
            if isinstance(instance, dict):
                declared = schema.get("properties", {})
                if value is False:
                    if any(name not in declared for name in instance):
                        yield _Fault(keyword, schema, via, path, instance)
                elif isinstance(value, dict):
                    for name, item in instance.items():
                        if name not in declared:
                            yield from _faults(value, item, keyword, _below(path, name), compiler, base)
        elif keyword == "items":
            if isinstance(instance, list):
                for index, item in enumerate(instance):
                    yield from _faults(value, item, keyword, path + (index,), compiler, base)
        elif keyword == "propertyNames":
            if isinstance(instance, dict):
                for name in instance:
                    yield from _faults(value, name, keyword, path, compiler, base)
        elif keyword == "if":
            holds = compiler.compile(value, base, True)
            branch = "then" if holds is None or holds(instance) else "else"
            if branch in schema:
                yield from _faults(schema[branch], instance, branch, path, compiler, base)


def _below(path: tuple, key) -> tuple:
    """The path to the entry `key` of the mapping at `path`, as jsonschema writes it: a None key
    is left out."""
    return path if key is None else path + (key,)


def check(doc: Map, kind: str, problems: Problems) -> None:
    """Add one problem per schema fault of `doc`, a loaded file of `kind` (BLUEPRINT or PLUGIN)."""
    if not fast_checks()[kind](doc):
        faults = own_faults()[kind]
        _report(doc, kind, problems, faults(doc) if faults is not None else validators()[kind].iter_errors(doc))


def check_detailed(doc: Map, kind: str, problems: Problems) -> None:
    """`check` through jsonschema alone, the fast check skipped: what `check` reports of a file the
    fast check finds at fault (tests compare the two, and jsonschema's errors with `own_faults`)."""
    _report(doc, kind, problems, validators()[kind].iter_errors(doc))


def _report(doc: Map, kind: str, problems: Problems, errors: Iterable) -> None:
    """A problem for each of `errors` (jsonschema's, or `own_faults`' alike) that becomes one."""
    missing_seen: set = set()
    for error in errors:
        path = _real_path(doc, tuple(error.absolute_path), error.instance)
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
               f"a name in {_where(path, kind)} must be a string, not {kind_of(error.instance)} "
               f"({error.instance!r})",
               mark_in(container, error.instance), "Quote the name.")
    elif keyword == "type":
        expected = [t for t in _listed(error.validator_value) if t != "null"]
        wanted = " or ".join(_YAML_KINDS[t] for t in expected)
        yield ("schema-wrong-type",
               f"{_where(path, kind)} must be {wanted}, not {kind_of(error.instance)}",
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


def _real_path(doc, path: tuple, instance) -> tuple:
    """The path of an error's `instance` in `doc`. jsonschema leaves a key that is None (YAML `~:`
    or `null:`, which a name check reports on its own) out of the paths of the errors beneath it,
    so such a path may lead nowhere, or elsewhere: the None keys are put back where `instance`
    really is. A path that leads to `instance` is kept as it is."""
    try:
        if _at(doc, path) is instance:
            return path
    except (KeyError, IndexError, TypeError):
        pass
    found = _leading_to(doc, path, instance)
    return path if found is None else found


def _leading_to(value, path: tuple, instance) -> tuple | None:
    """`path` with None keys put in where `value` has them, so that it leads to `instance`; None
    when no such path exists. Depth-first: the written step before the None key at each level."""
    if not path and value is instance:
        return ()
    if isinstance(value, dict):
        if path and path[0] in value:
            rest = _leading_to(value[path[0]], path[1:], instance)
            if rest is not None:
                return (path[0], *rest)
        if None in value:
            rest = _leading_to(value[None], path, instance)
            if rest is not None:
                return (None, *rest)
    elif isinstance(value, list) and path and isinstance(path[0], int) and 0 <= path[0] < len(value):
        rest = _leading_to(value[path[0]], path[1:], instance)
        if rest is not None:
            return (path[0], *rest)
    return None


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


def kind_of(value) -> str:
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
    import difflib  # for a hint, when a key is wrong

    close = difflib.get_close_matches(str(key), allowed, n=1)
    prefix = f"Did you mean {close[0]!r}? " if close else ""
    return prefix + "Valid keys: " + ", ".join(allowed)
