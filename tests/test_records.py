"""records.py: the model's value classes (frozen and mutable records), as the model uses them."""
from __future__ import annotations

import copy
import pickle

import pytest

from resolver import records
from resolver.records import FrozenRecordError


@records.frozen
class Point:
    x: int
    y: int = 0
    tags: list = records.field(factory=list)
    note: str = records.field(default="", compare=False, repr=False)


@records.frozen
class Checked:
    count: int = records.field(default=1, validator=lambda name, value: _positive(name, value))
    names: tuple = records.field(default=(), converter=tuple)


def _positive(name, value):
    if value < 1:
        raise ValueError(f"{name} must be positive")


@records.mutable
class Box:
    content: object = None
    items: dict = records.field(factory=dict)


def test_fields_defaults_and_factories():
    point = Point(1)
    assert (point.x, point.y, point.tags, point.note) == (1, 0, [], "")
    assert Point(1).tags is not Point(1).tags  # a new list for each instance
    assert Point(x=2, y=3, tags=[1]).tags == [1]
    assert records.fields(Point) == ("x", "y", "tags", "note")
    with pytest.raises(TypeError):
        Point()  # x has no default


def test_equality_hash_and_repr_follow_the_compared_fields():
    assert Point(1, 2) == Point(1, 2, note="other")
    assert Point(1, 2) != Point(2, 1)
    assert hash(Point(1, 2, tags=())) == hash(Point(1, 2, tags=(), note="x"))
    assert Point(1, 2) != (1, 2)  # another class is never equal
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=[])"  # note is left out of the repr


def test_frozen_records_refuse_changes_and_mutable_ones_take_them():
    point = Point(1)
    with pytest.raises(FrozenRecordError):
        point.x = 2
    with pytest.raises(AttributeError):
        del point.y
    with pytest.raises(AttributeError):
        point.other = 1  # slots: no attribute outside the fields
    box = Box()
    box.content = "x"
    assert box == Box("x")
    with pytest.raises(TypeError):
        hash(box)  # mutable, so not hashable


def test_converters_and_validators_run_in_init_and_replace():
    assert Checked(names=["a", "b"]).names == ("a", "b")
    with pytest.raises(ValueError, match="count must be positive"):
        Checked(count=0)
    changed = records.replace(Checked(), names=["c"])
    assert changed == Checked(1, ("c",))
    with pytest.raises(ValueError):
        records.replace(Checked(), count=-1)
    with pytest.raises(TypeError, match="no field colour"):
        records.replace(Checked(), colour=1)


def test_as_dict_copies_and_pickles_keep_every_field():
    point = Point(1, 2, tags=[3], note="kept")
    assert records.as_dict(point) == {"x": 1, "y": 2, "tags": [3], "note": "kept"}
    for again in (pickle.loads(pickle.dumps(point)), copy.copy(point), copy.deepcopy(point)):
        assert again == point and again.note == "kept"
        with pytest.raises(FrozenRecordError):
            again.x = 5
    box = pickle.loads(pickle.dumps(Box("c", {"k": 1})))
    assert box == Box("c", {"k": 1})


def test_a_default_before_a_required_field_is_refused():
    with pytest.raises(TypeError, match="without a default follows"):
        @records.frozen
        class Wrong:
            a: int = 1
            b: int


# --- the kept __init__ bodies (resolver/_record_bodies.py) ------------------------------------------


def test_the_kept_bodies_module_is_the_one_the_record_classes_make_now():
    from . import record_bodies

    # after adding a record class of a new shape: python -m tests.record_bodies --write
    assert record_bodies.main(["--check"]) == 0
    shapes = {record_bodies.shape_of(cls) for cls in record_bodies.record_classes()}
    assert shapes == set(records._kept_bodies()) and len(shapes) > 10


def test_each_kept_body_is_what_compiling_its_source_makes():
    for shape, (source, code) in records._kept_bodies().items():
        assert source == records.body_source(shape)
        scope = {}
        exec(compile(source, "<records>", "exec"), scope)
        fresh = scope["__init__"].__code__
        assert (code.co_code, code.co_consts, code.co_names, code.co_varnames, code.co_argcount) == \
            (fresh.co_code, fresh.co_consts, fresh.co_names, fresh.co_varnames, fresh.co_argcount), shape


def test_a_kept_body_of_another_source_is_not_used(monkeypatch):
    """A stale module (the generator changed since it was written) is slow, never wrong."""
    shape = (records._ASSIGN,) * 3
    scope = {}
    exec(compile("def __init__(self, value0, value1, value2):\n    pass\n", "<stale>", "exec"), scope)
    monkeypatch.setattr(records, "_KEPT", {shape: ("an older source", scope["__init__"].__code__)})
    monkeypatch.setattr(records, "_BODIES", {})

    @records.mutable
    class Three:
        a: int
        b: int
        c: int = 3

    made = Three(1, b=2)
    assert (made.a, made.b, made.c) == (1, 2, 3)
    assert records._BODIES[shape].co_filename == "<records>"  # compiled, not the stale body


def test_a_run_of_the_command_compiles_no_record_body(tmp_path):
    """Every record a one-node run makes gets its __init__ body from the kept module."""
    import os
    import subprocess
    import sys
    import textwrap

    from .conftest import BASIC_TYPES, REPO, blueprint, write_tree

    write_tree(tmp_path, {"types.yaml": BASIC_TYPES,
                          "blueprint.yaml": blueprint("node_templates:\n  vm: {type: cloudify.nodes.Compute}\n")})
    code = textwrap.dedent(f"""
        import os
        from resolver import records, resolve
        result = resolve({str(tmp_path / "blueprint.yaml")!r})
        files = {{os.path.basename(code.co_filename) for code in records._BODIES.values()}}
        print(result.ok, len(records._BODIES) > 5, sorted(files))
        """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.stdout == "True True ['_record_bodies.py']\n", done.stderr
