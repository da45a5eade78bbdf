"""Records: the value classes of the model (a `Mark`, a `Problem`, `Options`...), made without attrs.

Why not attrs or dataclasses: a pre-commit hook starts a fresh Python for every commit, and
importing attrs (inspect, typing and platform come with it) and letting it write the methods of
~45 classes took about 40% of a one-node run (issue 10; dataclasses imports inspect too). A record
is a class with `__slots__`, an `__init__` made from code shared by every record with as many
fields (`_init`), and the comparison, hash, repr and pickling below, shared by every record.

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

import operator
from types import CodeType, FunctionType
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
    made.__init__ = _first_init(made, specs, frozen)
    made.__record_compared__ = tuple(spec.name for spec in specs if spec.compare)
    made.__record_values__ = _values_of(made.__record_compared__)
    made.__record_shown__ = tuple(spec.name for spec in specs if spec.repr)
    return made


def _first_init(cls: type, specs: list[Field], frozen: bool) -> Callable:
    """The `__init__` of `cls` until its first record is made: it makes the class's own (`_init`),
    puts it in its place and hands it that record. A short run (a pre-commit hook's) makes a few
    of the ~45 kinds of record, and compiles the bodies of those alone."""
    optional = False
    for spec in specs:  # a fault of the class is told when it is made, not at its first record
        if spec.required and optional:
            raise TypeError(f"{cls.__name__}: field {spec.name!r} without a default follows one with a default")
        optional = optional or not spec.required

    def __init__(self, *args, **kwargs):
        init = cls.__init__ = _init(cls, specs, frozen)
        init(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__module__ = cls.__module__
    return __init__


def _init(cls: type, specs: list[Field], frozen: bool) -> Callable:
    """`__init__(self, <the fields>)`: each value stored in its field's slot.

    Compiling an `__init__` per class cost ~0.2 ms each, a tenth of a one-node run for the ~45
    records; so one body is compiled per shape (how each field is stored, `_how`) and each class
    gets that code with its field names as the parameters' names (keywords work, and errors
    name the fields) and as the names of the attributes it sets, its own setters and factories
    as the function's globals."""
    defaults, scope = [], {"NOTHING": _NOTHING}
    for index, spec in enumerate(specs):
        if not spec.required:
            defaults.append(spec.default if spec.factory is None else _NOTHING)
        if _how(spec, frozen) == _CALL:
            scope[f"setter{index}"] = _setter(cls.__dict__[spec.name].__set__, spec)
        else:
            scope[f"factory{index}"] = spec.factory
    names = {f"field{index}": spec.name for index, spec in enumerate(specs)}
    code = _body(tuple(_how(spec, frozen) for spec in specs))
    code = code.replace(co_varnames=("self", *(spec.name for spec in specs)),
                        co_names=tuple(names.get(name, name) for name in code.co_names))
    function = FunctionType(code, scope, "__init__", tuple(defaults) or None)
    function.__qualname__ = f"{cls.__qualname__}.__init__"
    function.__module__ = cls.__module__
    return function


# How `__init__` stores one field (`_how`): a mutable record's assigned as an attribute (the
# interpreter's own slot store, several times faster than a call), from its factory when none is
# given; a frozen record's (whose `__setattr__` refuses), and one with a converter or a validator,
# handed to its setter (`_setter`). Every frozen record of as many fields shares one body (each
# body costs a compile when its first record is made).
_ASSIGN, _ASSIGN_MADE, _CALL = range(3)


def _how(spec: Field, frozen: bool) -> int:
    if frozen or spec.converter is not None or spec.validator is not None:
        return _CALL
    return _ASSIGN if spec.factory is None else _ASSIGN_MADE


_BODIES: dict[tuple[int, ...], CodeType] = {}
_KEPT: dict | None = None  # resolver/_record_bodies.py's bodies, once looked at


def _body(shape: tuple[int, ...]) -> CodeType:
    """The code of `__init__(self, value0, ...)` storing each field as `shape` says (`_how`): in
    attribute `field<i>` (from `factory<i>()` when it is given NOTHING) or through `setter<i>`.

    Taken from `resolver/_record_bodies.py` when it holds the shape with the very source
    `body_source` writes (so a stale module is slow, never wrong): that module's bytecode is
    cached by Python, where compiling the ~14 bodies a one-node run meets cost 2.3 ms of it.
    Compiled here otherwise."""
    code = _BODIES.get(shape)
    if code is None:
        source = body_source(shape)
        kept = _kept_bodies().get(shape)
        if kept is not None and kept[0] == source:
            code = kept[1]
        else:
            scope: dict[str, Any] = {}
            exec(compile(source, "<records>", "exec"), scope)
            code = scope["__init__"].__code__
        _BODIES[shape] = code
    return code


def body_source(shape: tuple[int, ...]) -> str:
    """The source of the `__init__` body of `shape` (`_body`)."""
    lines = []
    for i, how in enumerate(shape):
        value = f"factory{i}() if value{i} is NOTHING else value{i}" if how == _ASSIGN_MADE else f"value{i}"
        lines.append(f"    self.field{i} = {value}\n" if how in (_ASSIGN, _ASSIGN_MADE)
                     else f"    setter{i}(self, {value})\n")
    parameters = "".join(f", value{i}" for i in range(len(shape)))
    return f"def __init__(self{parameters}):\n{''.join(lines) or '    pass'}\n"


def _kept_bodies() -> dict:
    """shape -> (its source, its code) of resolver/_record_bodies.py; empty without it."""
    global _KEPT
    if _KEPT is None:
        try:
            from . import _record_bodies
        except ImportError:
            _KEPT = {}
        else:
            _KEPT = _record_bodies.BODIES
    return _KEPT


def bodies_module(shapes) -> str:
    """The text of resolver/_record_bodies.py for `shapes` (`python -m tests.record_bodies`)."""
    out = ['"""The `__init__` bodies of the record shapes resolver\'s classes have (records._body), kept as',
           "a module so that Python caches their bytecode and a run compiles none. Generated by",
           "`python -m tests.record_bodies --write`; do not edit. A body whose source is not what",
           'records.body_source writes now is not used (it is compiled instead)."""',
           "# flake8: noqa", "BODIES = {}", ""]
    for shape in sorted(set(map(tuple, shapes)), key=lambda shape: (len(shape), shape)):
        source = body_source(shape)
        out += ["", source.rstrip("\n"), f"BODIES[{shape!r}] = ({source!r}, __init__.__code__)", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _setter(store: Callable[[Any, Any], None], spec: Field) -> Callable[[Any, Any], None]:
    """How `__init__` hands a field to its setter: the slot's own (`store`: twice as fast as
    `object.__setattr__`, which looks the slot up on every call, and the way past a frozen
    record's refusal), behind the field's factory, converter and validator when it has them."""
    factory, converter, validator, name = spec.factory, spec.converter, spec.validator, spec.name
    if factory is None and converter is None and validator is None:
        return store

    def set_field(self, value):
        if value is _NOTHING:
            value = factory()
        if converter is not None:
            value = converter(value)
        if validator is not None:
            validator(name, value)
        store(self, value)

    return set_field


def _repr(self) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_shown__)
    return f"{type(self).__name__}({shown})"


def _values_of(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """A function giving a record's values of the fields `names`, as a tuple: operator.attrgetter
    (one call reading every field), which gives a lone value for a single name."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        one = operator.attrgetter(names[0])
        return lambda record: (one(record),)
    return lambda record: ()


def _compared(self) -> tuple:
    return self.__record_values__(self)


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
