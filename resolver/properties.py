"""Property values checked against schemas, data types included (SPEC §4.3, §4.4)."""
from __future__ import annotations

import re

from .functions import is_function
from .load import Map, value_mark_in
from .problems import Mark, Problems
from .versions import OBJECT_TYPES, PRIMITIVE_TYPES

_ANY_TEXT = frozenset(("string", "textarea") + OBJECT_TYPES)


class PropertyChecker:
    """Merges given values with schema defaults and validates them, data types recursively."""

    def __init__(self, data_types, problems: Problems) -> None:
        self.data_types = data_types  # hierarchy.TypeTable of data types
        self.problems = problems

    def merge(self, owner: str, schema: dict, given, mark: Mark | None, *, what: str = "node") -> dict:
        given = given if isinstance(given, dict) else {}
        result = {}
        for key in given:
            if key not in schema:
                self.problems.add("property-unknown",
                                  f"{what} {owner!r}: property {key!r} is not part of its type's schema",
                                  _key_mark(given, key, mark),
                                  hint="Remove it, fix its name, or declare it in the type.")
        merged = self.defaults(schema)
        merged.update(given)
        external = merged.get("use_external_resource")
        if external and is_function(external):
            self.problems.add("external-resource-function",
                              f"{what} {owner!r}: use_external_resource must be a boolean, not an intrinsic function",
                              _value_mark(given, "use_external_resource", mark))
        for key, prop_schema in schema.items():
            prop_schema = prop_schema if isinstance(prop_schema, dict) else {}
            if key not in merged:
                required = prop_schema.get("required", True) and not external
                if required:
                    self.problems.add("property-missing",
                                      f"{what} {owner!r} gives no value for mandatory property {key!r}",
                                      mark, hint=f"Set properties.{key}, or give the schema a default.")
                continue
            if key not in given and merged[key] is not None and prop_schema.get("type") in PRIMITIVE_TYPES + OBJECT_TYPES:
                # a default of the wrong primitive type is the type's fault, reported once where it
                # is written (checks/definitions.py), not at every template that inherits it
                result[key] = merged[key]
                continue
            result[key] = self.value(owner, key, merged[key], prop_schema.get("type"),
                                     _value_mark(given, key, mark), prop_schema.get("default"), what)
        return result

    def defaults(self, schema: dict) -> dict:
        """Schema defaults; a data-typed property without one defaults to an empty value of its type."""
        out = {}
        for key, prop in schema.items():
            if not isinstance(prop, dict):
                continue
            if "default" in prop:
                out[key] = prop["default"]
            elif prop.get("type") in self.data_types:  # TypeTable answers False for non-names
                out[key] = {}
        return out

    def fill(self, type_name, value):
        """A schema default completed with its data type's defaults (nothing is reported)."""
        resolved = self.data_types.get(type_name) if type_name in self.data_types else None
        if resolved is None or not isinstance(value, dict) or is_function(value):
            return value
        out = {}
        for key, default in self.defaults(resolved.properties).items():
            prop_type = resolved.properties[key].get("type")
            out[key] = self.fill(prop_type, default)
        for key, given in value.items():
            prop = resolved.properties.get(key)
            out[key] = self.fill(prop.get("type"), given) if isinstance(prop, dict) else given
        return out

    def value(self, owner: str, path: str, value, type_name, mark, derived_default=None, what="node",
              missing: bool = True):
        """`value` checked against `type_name` (data types recursively, with their defaults merged
        in); returns the merged value. `missing=False` leaves mandatory nested properties without a
        value unreported, as the reference does for schema defaults."""
        if not isinstance(type_name, str) or is_function(value):
            return value
        if type_name in PRIMITIVE_TYPES or type_name in OBJECT_TYPES:
            if not matches(value, type_name):
                self.problems.add("property-type-mismatch",
                                  f"{what} {owner!r}: property {path!r} is declared {type_name} "
                                  f"but its value is {value!r}", mark)
            return value
        resolved = self.data_types.get(type_name) if type_name in self.data_types else None
        if resolved is None or not isinstance(value, dict):
            if resolved is not None and value is not None:
                self.problems.add("property-type-mismatch",
                                  f"{what} {owner!r}: property {path!r} is of data type {type_name} "
                                  f"but its value is {value!r}", mark)
            return value
        schema = resolved.properties
        result = {}
        for key in value:
            if key not in schema:
                self.problems.add("property-unknown",
                                  f"{what} {owner!r}: property '{path}.{key}' is not part of data type {type_name}",
                                  _key_mark(value, key, mark))
        merged = self.defaults(schema)
        if isinstance(derived_default, dict):
            merged.update(derived_default)
        merged.update(value)
        for key, prop_schema in schema.items():
            prop_schema = prop_schema if isinstance(prop_schema, dict) else {}
            if key not in merged:
                if missing and prop_schema.get("required", True):
                    self.problems.add("property-missing",
                                      f"{what} {owner!r} gives no value for mandatory property '{path}.{key}'",
                                      mark, hint=f"Set {path}.{key}, or give the data type a default.")
                continue
            result[key] = self.value(owner, f"{path}.{key}", merged[key], prop_schema.get("type"),
                                     _value_mark(value, key, mark), None, what, missing)
        return result


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


def _key_mark(container, key, fallback):
    return (container.key_mark(key) if isinstance(container, Map) else None) or fallback


def _value_mark(container, key, fallback):
    return (value_mark_in(container, key) if isinstance(container, Map) else None) or fallback


def constraint_fault(value, constraints) -> str | None:
    """The first constraint (as text) that `value` violates; None when all hold or cannot be judged."""
    if not isinstance(constraints, list) or is_function(value):
        return None
    for constraint in constraints:
        operators = [key for key in constraint if key != "error_message"] if isinstance(constraint, dict) else []
        if not operators:
            continue
        operator = operators[0]
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
    "pattern": lambda v, a: isinstance(v, str) and re.fullmatch(a, v) is not None,
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
