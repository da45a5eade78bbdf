"""The module `resolver/_record_bodies.py`: the `__init__` body of every record shape resolver's
classes have (`resolver.records.bodies_module`), kept so that Python caches their bytecode and a
run compiles none (records._body).

    python -m tests.record_bodies            # print the module's text as the classes make it now
    python -m tests.record_bodies --check    # exit 1 (printing a diff) when the module is stale
    python -m tests.record_bodies --write    # write the module again

Run `--write` after adding a record class of a new shape (or changing `records.body_source`).
Until then a run compiles the bodies the module lacks or holds with another source, so a stale
module is slow, never wrong.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import resolver
from resolver import records

from . import kept_module

MODULE = Path(records.__file__).resolve().parent / "_record_bodies.py"


def record_classes() -> list[type]:
    """Every record class a module of the package defines (importing them all, but `__main__`)."""
    found = {}
    for info in pkgutil.walk_packages(resolver.__path__, "resolver."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and "__record_fields__" in value.__dict__:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def shape_of(cls: type) -> tuple[int, ...]:
    frozen = cls.__dict__.get("__setattr__") is records._refuse_set
    return tuple(records._how(spec, frozen) for spec in cls.__record_fields__)


def generated() -> str:
    return records.bodies_module(map(shape_of, record_classes()))


def main(argv=None) -> int:
    return kept_module.main(argv, prog="python -m tests.record_bodies", module=MODULE, generated=generated)


if __name__ == "__main__":
    sys.exit(main())
