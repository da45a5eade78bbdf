"""Property values checked against schemas, data types included (SPEC §4.3, §4.4)."""
from __future__ import annotations

import re

from .functions import is_function
from .load import Map, value_mark_in
from .problems import Mark, Problems
from .versions import OBJECT_TYPES, TYPE_NAMES

_ANY_TEXT = frozenset(("string", "textarea") + OBJECT_TYPES)
_ABSENT = object()  # no value for a property, given or beneath
_UNSET = object()  # a property schema without a default


class Schemas(dict):
    """The property schemas of a resolved type (name -> schema, hierarchy.TypeTable's), which
    nobody writes into once made: what `PropertyChecker` reads of each schema is read once, the
    first time it is asked for (`_entries`), and kept with them, for every blueprint of the session
    that shares the type."""

    __slots__ = ("entries",)

    def __reduce__(self):
        # sent to another process (batch.py) as the schemas alone: the entries are read again there
        return Schemas, (dict(self),)


def _entries(schema: dict) -> tuple:
    """For each property of `schema`, in order: (its name, its schema (a dict), its type's name,
    whether that names no data type, its default or _UNSET, whether it is mandatory)."""
    if type(schema) is Schemas:
        try:
            return schema.entries
        except AttributeError:
            entries = schema.entries = _read_entries(schema)
            return entries
    return _read_entries(schema)


def _read_entries(schema: dict) -> tuple:
    entries = []
    for key, prop_schema in schema.items():
        prop_schema = prop_schema if isinstance(prop_schema, dict) else {}
        type_name = prop_schema.get("type")
        plain = not isinstance(type_name, str) or type_name in TYPE_NAMES
        entries.append((key, prop_schema, type_name, plain, prop_schema.get("default", _UNSET),
                        prop_schema.get("required", True)))
    return tuple(entries)


class PropertyChecker:
    """Merges given values with schema defaults and validates them, data types recursively.

    A value of a data type is completed from layers of defaults, nearest first: the value given,
    then the defaults written for the enclosing property (a node type's default for the whole
    value, a data type's default for a nested one), then the data type's own property defaults.
    The layers are merged key by key down every data-typed level, as the reference does, so a
    value that sets only part of a nested property keeps the rest from the defaults. Only what
    was given is type-checked here: a default is checked once where it is written
    (checks/definitions.py). A property still without a value is reported missing.

    A null default of a primitive type is the exception, judged where the reference meets it: in
    a template's own properties at the template (`merge`), and nested in a data type where the
    data-typed value is defined (`value`: a schema's default, an input's default).
    """

    def __init__(self, data_types, problems: Problems) -> None:
        self.data_types = data_types  # hierarchy.TypeTable of data types
        self.problems = problems
        # the data types being completed, outermost first: one met again inside itself (a cycle
        # through property types, which checks/definitions.py reports) is left as it is
        self._open: list[str] = []

    def merge(self, owner: str, schema: dict, given, mark: Mark | None, *, what: str = "node") -> dict:
        given = given if isinstance(given, dict) else {}
        for key in given:
            if key not in schema:
                self.problems.add("property-unknown",
                                  f"{what} {owner!r}: property {key!r} is not part of its type's schema",
                                  _key_mark(given, key, mark),
                                  hint="Remove it, fix its name, or declare it in the type.")
        if "use_external_resource" in given:
            external = given["use_external_resource"]
        else:  # the default (a data-typed one without a default would be empty: false all the same)
            prop = schema.get("use_external_resource")
            external = prop.get("default") if isinstance(prop, dict) else None
        if external and is_function(external):
            self.problems.add("external-resource-function",
                              f"{what} {owner!r}: use_external_resource must be a boolean, not an intrinsic function",
                              _value_mark(given, "use_external_resource", mark))
        return self._complete(owner, "", given, True, [], schema, mark, what, True, False, required=not external)

    def fill(self, type_name, value, layers=()):
        """A schema default completed from its data type's layers of defaults, as `merge`
        completes a value; keys the data type does not declare are kept (nothing is reported)."""
        resolved = self.data_types.get(type_name)  # None for a name that is no data type
        if resolved is None or not isinstance(value, dict) or is_function(value):
            return value
        out = {}
        layers = _usable(layers)
        for key, prop in resolved.properties.items():
            prop = prop if isinstance(prop, dict) else {}
            beneath = self._beneath(key, prop, layers)
            if key in value:
                first = value[key]
            elif beneath:
                first = beneath.pop(0)
                if first is None:
                    first = {}  # a null default stands for none (as in `_value`)
            else:
                continue
            out[key] = self.fill(prop.get("type"), first, beneath)
        out.update((key, given) for key, given in value.items() if key not in resolved.properties)
        return out

    def value(self, owner: str, path: str, value, type_name, mark, what="node", missing: bool = True,
              given: bool = True):
        """`value` checked against `type_name` (data types recursively, with their defaults merged
        in); returns the merged value. `missing=False` leaves mandatory nested properties without a
        value unreported, as the reference does for schema defaults; `given=False` checks only the
        null defaults nested in it (a data-typed schema property written without a default)."""
        return self._value(owner, path, value, given, [], type_name, mark, what, missing, True)

    def _value(self, owner, path, value, given, layers, type_name, mark, what, missing, nulls, nested=False):
        if not isinstance(type_name, str) or (isinstance(value, dict) and is_function(value)):
            return value
        if type_name in TYPE_NAMES:
            judged = given or (value is None and (nulls or not nested))
            if judged and not matches(value, type_name):
                self.problems.add("property-type-mismatch",
                                  f"{what} {owner!r}: property {path!r} is declared {type_name} "
                                  f"but its value is {value!r}", mark)
            return value
        resolved = self.data_types.get(type_name)  # None for a name that is no data type
        if resolved is None:
            return value
        if value is None and not given:
            value = {}  # a null default stands for none: the data type's own defaults fill it
        if not isinstance(value, dict):
            if given:
                self.problems.add("property-type-mismatch",
                                  f"{what} {owner!r}: property {path!r} is of data type {type_name} "
                                  f"but its value is {value!r}", mark)
            return value
        if given:
            for key in value:
                if key not in resolved.properties:
                    self.problems.add("property-unknown",
                                      f"{what} {owner!r}: property '{path}.{key}' is not part of data type "
                                      f"{type_name}", _key_mark(value, key, mark))
        if type_name in self._open:
            return value
        self._open.append(type_name)
        try:
            return self._complete(owner, path + ".", value, given, layers, resolved.properties, mark, what, missing,
                                  nulls)
        finally:
            self._open.pop()

    def _complete(self, owner, prefix, value, given, layers, schema, mark, what, missing, nulls, *, required=True):
        """Every property of `schema` from `value` (written by the user when `given`), else from
        the first of `layers` (dicts of defaults, nearest first) that has it, else from its own
        default; data-typed properties recurse with the remaining layers beneath."""
        result = {}
        if layers:
            layers = _usable(layers)
        nested = bool(prefix)
        for key, prop_schema, type_name, plain, default, mandatory in _entries(schema):
            if key in value:
                first, first_given = value[key], given
                if plain:
                    # a value of no data type is the value, whatever lies beneath it: judged (by
                    # `_value`, at its mark) only when `_value` may find fault with it
                    if (given or first is None) and isinstance(type_name, str) and not matches(first, type_name):
                        where = _value_mark(value, key, mark) if given else mark
                        self._value(owner, prefix + key, first, given, [], type_name, where, what, missing, nulls,
                                    nested=nested)
                    result[key] = first
                    continue
                beneath = self._beneath(key, prop_schema, layers)
            elif layers:
                beneath = self._beneath(key, prop_schema, layers)
                first, first_given = beneath.pop(0) if beneath else _ABSENT, False
            # no layers: what `_beneath` would give is the schema's default alone, written out here
            # for the most common properties of all
            elif default is not _UNSET:
                first, first_given, beneath = default, False, []
                if first is not None and plain:
                    result[key] = first  # the value, unjudged (what `_value` would find, sooner)
                    continue
            elif isinstance(type_name, str) and type_name in self.data_types:  # (no string names no data type)
                first, first_given, beneath = {}, False, []  # empty, then filled
            else:
                first = _ABSENT
            if first is _ABSENT:
                if missing and required and mandatory:
                    self._missing(owner, prefix, key, mark, what)
                continue
            where = _value_mark(value, key, mark) if first_given else mark
            result[key] = self._value(owner, prefix + key, first, first_given, beneath, type_name, where, what,
                                      missing, nulls, nested=nested)
        return result

    def _beneath(self, key, prop_schema: dict, layers: list) -> list:
        """The values for `key` beneath a given one, nearest first: each of `layers`' (`_usable`),
        then the schema's default (an empty value for a data-typed property without one)."""
        found = [layer[key] for layer in layers if key in layer]
        if "default" in prop_schema:
            found.append(prop_schema["default"])
        elif prop_schema.get("type") in self.data_types:
            found.append({})  # a data-typed property always has a value: empty, then filled
        return found

    def _missing(self, owner, prefix, key, mark, what) -> None:
        if prefix:  # nested in a data type
            self.problems.add("property-missing", f"{what} {owner!r} gives no value for mandatory property "
                              f"'{prefix}{key}'", mark, hint=f"Set {prefix}{key}, or give the data type a default.")
        else:
            self.problems.add("property-missing", f"{what} {owner!r} gives no value for mandatory property {key!r}",
                              mark, hint=f"Set properties.{key}, or give the schema a default.")


def may_be_at_fault(value, type_name) -> bool:
    """Whether `PropertyChecker.value` may find a fault in the given `value` (not None) of a
    schema's `type_name`: not when no type is declared (or a misshapen one), nor in a value of
    its primitive type. Asked first, so that the value's place is made only for the others."""
    return isinstance(type_name, str) and not (type_name in TYPE_NAMES and matches(value, type_name))


def matches(value, type_name: str) -> bool:
    """Whether `value` is of the primitive type `type_name` (any value for the textual ones)."""
    if type_name in _ANY_TEXT:
        return True
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "list":
        return isinstance(value, list)
    if type_name == "dict":
        return isinstance(value, dict)
    if type_name == "regex":
        if not isinstance(value, str):
            return False
        try:
            re.compile(value)
        except re.error:
            return False
        return True
    return True


def _usable(layers) -> list:
    # a layer that is not a mapping (or is a function call) has no defaults to give
    return [layer for layer in layers if isinstance(layer, dict) and not is_function(layer)]


def _key_mark(container, key, fallback):
    return (container.key_mark(key) if isinstance(container, Map) else None) or fallback


def _value_mark(container, key, fallback):
    return (value_mark_in(container, key) if isinstance(container, Map) else None) or fallback


# The operators that ask the manager (the reference's data-based constraints), each with the types it
# is for: never judged against a value when a blueprint is parsed. (valid_values asks the manager
# too, but only on object-based types, whose defaults the reference refuses before any constraint.)
DATA_BASED = {
    "filter_id": ("deployment_id", "blueprint_id"),
    "labels": ("deployment_id", "blueprint_id"),
    "tenants": ("deployment_id", "blueprint_id"),
    "name_pattern": ("deployment_id", "blueprint_id", "secret_key", "capability_value", "scaling_group", "node_id",
                     "node_type", "node_instance", "operation_name"),
    "deployment_id": ("capability_value", "scaling_group", "node_id", "node_type", "node_instance", "operation_name"),
}
def operator_of(constraint, *, evaluated: bool = False) -> str | None:
    """The operator of one constraint: its first key but `error_message`, which the reference
    validates; with `evaluated`, its last such key, which the reference evaluates (its `parse` pops
    error_message, then an item: the last). None for a constraint that is no mapping or names none."""
    if not isinstance(constraint, dict):
        return None
    keys = reversed(constraint) if evaluated else iter(constraint)
    return next((key for key in keys if key != "error_message"), None)


def constraint_fault(value, constraints) -> str | None:
    """The first constraint (as text) that `value` violates; None when all hold or cannot be judged
    (data-based operators, which ask the manager, among them)."""
    if not isinstance(constraints, list) or is_function(value):
        return None
    for constraint in constraints:
        operator = operator_of(constraint, evaluated=True)
        if operator is None:
            continue
        argument = constraint[operator]
        check = _CONSTRAINTS.get(operator)
        shape = CONSTRAINT_ARGUMENTS.get(operator)
        if shape is None or is_function(argument) or not shape(argument):
            continue  # an unknown operator or a bad argument is reported on its own
        try:
            if check is not None and not check(value, argument):
                return f"{operator}({argument!r})"
        except TypeError:
            # the reference refuses a value its operator cannot compare or measure
            return f"{operator}({argument!r}), which cannot be applied to {value!r}"
        except re.error:
            continue
    return None


def _length(value):
    return len(value) if isinstance(value, (str, list, dict)) else None


_CONSTRAINTS = {
    "equal": lambda v, a: v == a,
    "greater_than": lambda v, a: v > a,
    "greater_or_equal": lambda v, a: v >= a,
    "less_than": lambda v, a: v < a,
    "less_or_equal": lambda v, a: v <= a,
    "in_range": lambda v, a: a[0] <= v <= a[1],
    "valid_values": lambda v, a: v in a,
    "length": lambda v, a: _length(v) == a,
    "min_length": lambda v, a: _length(v) >= a,
    "max_length": lambda v, a: _length(v) <= a,
    # as the reference's `re.match`: anchored at the start only, so `^a` admits 'abc'
    "pattern": lambda v, a: isinstance(v, str) and re.match(a, v) is not None,
}


def _scalar(arg) -> bool:
    return isinstance(arg, (int, float)) and not isinstance(arg, bool)


def _regex(arg) -> bool:
    if not isinstance(arg, str):
        return False
    try:
        re.compile(arg)
    except re.error:
        return False
    return True


# Each operator with the shape its argument must have (the reference's argument checks).
CONSTRAINT_ARGUMENTS = {
    "equal": _scalar, "greater_than": _scalar, "greater_or_equal": _scalar, "less_than": _scalar,
    "less_or_equal": _scalar, "length": _scalar, "min_length": _scalar, "max_length": _scalar,
    "in_range": lambda a: isinstance(a, list) and len(a) == 2 and all(_scalar(x) for x in a),
    "valid_values": lambda a: isinstance(a, list), "labels": lambda a: isinstance(a, list),
    "tenants": lambda a: isinstance(a, list), "pattern": _regex,
    "filter_id": lambda a: isinstance(a, str), "deployment_id": lambda a: isinstance(a, str),
    "name_pattern": lambda a: isinstance(a, dict),
}
