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
