"""Records: the value classes of the model (a `Mark`, a `Problem`, `Options`...), made without attrs.

Why not attrs or dataclasses: a pre-commit hook starts a fresh Python for every commit, and
importing attrs (inspect, typing and platform come with it) and letting it write the methods of
~45 classes took about 40% of a one-node run (issue 10; dataclasses imports inspect too). A record
is a class with `__slots__`, one generated `__init__` (compiled once per class, a few tens of
microseconds) and the comparison, hash, repr and pickling below, shared by every record.

    @records.frozen
    class Mark:
        file: str
        line: int
        column: int = 1                       # a default
        notes: list = field(factory=list)     # a default made for each instance
        cached: dict = field(factory=dict, compare=False, repr=False)

Fields are the class's own annotations, in order; a field with a default may not come before one
without. `@records.frozen`: setting or deleting a field raises `FrozenRecordError` (an
`AttributeError`), and equal records hash alike. `@records.mutable`: fields may be set later;
like any mutable value it is not hashable. Records compare equal when they
are of the same class and their compared fields are equal; they have no order.

`replace(record, **changes)` is a copy with some fields changed, `fields(cls)` the field names,
`as_dict(record)` the fields by name (one level: records inside are not turned into dicts).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # lets type checkers read records as dataclass-like classes; nothing at run time
    from typing import dataclass_transform
else:
    def dataclass_transform(**_options):
        return lambda function: function

_NOTHING: Any = type("_Nothing", (), {"__repr__": lambda self: "NOTHING"})()


class FrozenRecordError(AttributeError):
    """A frozen record's field was set or deleted."""


class Field:
    """How one field is made: its default (or `factory` for a new default per instance), a
    `converter` applied to the value given, a `validator(name, value)` raising ValueError, and
    whether it takes part in equality and hashing (`compare`) and in the repr."""

    __slots__ = ("name", "default", "factory", "converter", "validator", "compare", "repr")

    def __init__(self, default: Any = _NOTHING, *, factory: Callable[[], Any] | None = None,
                 converter: Callable[[Any], Any] | None = None,
                 validator: Callable[[str, Any], None] | None = None, compare: bool = True,
                 repr: bool = True) -> None:
        if factory is not None and default is not _NOTHING:
            raise TypeError("a field has a default or a factory, not both")
        self.name = ""
        self.default, self.factory = default, factory
        self.converter, self.validator = converter, validator
        self.compare, self.repr = compare, repr

    @property
    def required(self) -> bool:
        return self.default is _NOTHING and self.factory is None


def field(default: Any = _NOTHING, *, factory: Callable[[], Any] | None = None,
          converter: Callable[[Any], Any] | None = None, validator: Callable[[str, Any], None] | None = None,
          compare: bool = True, repr: bool = True) -> Any:
    """A field with more than a plain default (see `Field`)."""
    return Field(default, factory=factory, converter=converter, validator=validator, compare=compare, repr=repr)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type) -> type:
    """The class decorator for a record whose fields are never set again (the module docstring)."""
    return _make(cls, frozen=True)


@dataclass_transform(field_specifiers=(field,))
def mutable(cls: type) -> type:
    """The class decorator for a record whose fields may be set after it is made."""
    return _make(cls, frozen=False)


def fields(cls: type) -> tuple[str, ...]:
    """The names of a record class's fields, in order."""
    return tuple(spec.name for spec in cls.__record_fields__)


def replace(value: Any, **changes: Any) -> Any:
    """A copy of the record `value` with the named fields changed (converters and validators run)."""
    unknown = set(changes).difference(fields(type(value)))
    if unknown:
        raise TypeError(f"{type(value).__name__} has no field {', '.join(sorted(unknown))}")
    return type(value)(**{name: changes.get(name, getattr(value, name)) for name in fields(type(value))})


def as_dict(value: Any) -> dict:
    """The record's fields by name, in order."""
    return {name: getattr(value, name) for name in fields(type(value))}


def _make(cls: type, frozen: bool) -> type:
    namespace = dict(cls.__dict__)
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    specs = []
    for name in namespace.get("__annotations__", {}):
        given = namespace.pop(name, _NOTHING)
        spec = given if isinstance(given, Field) else Field(given)
        spec.name = name
        specs.append(spec)
    namespace["__slots__"] = tuple(spec.name for spec in specs)
    namespace["__record_fields__"] = tuple(specs)
    namespace.setdefault("__repr__", _repr)
    namespace.setdefault("__eq__", _eq)
    namespace["__hash__"] = _hash if frozen else None
    namespace["__getstate__"] = _getstate
    namespace["__setstate__"] = _setstate
    if frozen:
        namespace["__setattr__"] = _refuse_set
        namespace["__delattr__"] = _refuse_delete
    made = type(cls)(cls.__name__, cls.__bases__, namespace)
    made.__init__ = _init(made, specs, frozen)
    made.__record_compared__ = tuple(spec.name for spec in specs if spec.compare)
    made.__record_shown__ = tuple(spec.name for spec in specs if spec.repr)
    return made


def _init(cls: type, specs: list[Field], frozen: bool) -> Callable:
    """`__init__` written out for the fields, as one would by hand, and compiled once. A frozen
    record's fields are set through their slots' descriptors (twice as fast as
    `object.__setattr__`, which looks the descriptor up on every call)."""
    scope: dict[str, Any] = {"_NOTHING": _NOTHING}
    parameters, body, optional = [], [], False
    for spec in specs:
        name = spec.name
        if spec.required:
            if optional:
                raise TypeError(f"{cls.__name__}: field {name!r} without a default follows one with a default")
            parameters.append(name)
        elif spec.factory is not None:
            optional = True
            scope[f"_factory_{name}"] = spec.factory
            parameters.append(f"{name}=_NOTHING")
            body.append(f"if {name} is _NOTHING: {name} = _factory_{name}()")
        else:
            optional = True
            scope[f"_default_{name}"] = spec.default
            parameters.append(f"{name}=_default_{name}")
        if spec.converter is not None:
            scope[f"_convert_{name}"] = spec.converter
            body.append(f"{name} = _convert_{name}({name})")
        if spec.validator is not None:
            scope[f"_validate_{name}"] = spec.validator
            body.append(f"_validate_{name}({name!r}, {name})")
        if frozen:
            scope[f"_set_{name}"] = cls.__dict__[name].__set__
            body.append(f"_set_{name}(self, {name})")
        else:
            body.append(f"self.{name} = {name}")
    source = f"def __init__(self, {', '.join(parameters)}):\n    " + "\n    ".join(body or ["pass"])
    exec(compile(source, f"<record {cls.__module__}.{cls.__qualname__}>", "exec"), scope)
    function = scope["__init__"]
    function.__qualname__ = f"{cls.__qualname__}.__init__"
    return function


def _repr(self) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_shown__)
    return f"{type(self).__name__}({shown})"


def _compared(self) -> tuple:
    return tuple(getattr(self, name) for name in self.__record_compared__)


def _eq(self, other: object):
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _compared(self) == _compared(other)


def _hash(self) -> int:
    return hash((self.__class__.__qualname__, *_compared(self)))


def _getstate(self) -> tuple:
    return tuple(getattr(self, name) for name in self.__slots__)


def _setstate(self, state: tuple) -> None:
    slots = type(self).__dict__
    for name, value in zip(self.__slots__, state):
        slots[name].__set__(self, value)


def _refuse_set(self, name: str, value: Any) -> None:
    raise FrozenRecordError(f"{type(self).__name__} is frozen: {name} cannot be set")


def _refuse_delete(self, name: str) -> None:
    raise FrozenRecordError(f"{type(self).__name__} is frozen: {name} cannot be deleted")
