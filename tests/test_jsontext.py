"""jsontext writes what `json.dumps(value, indent=2, ensure_ascii=False)` writes, byte for byte:
generated values (hypothesis), containers met again at the same and at other depths, every
scalar `json` knows, the errors it raises, and the report of real plans."""
from __future__ import annotations

import json
import math

import pytest

from resolver import jsontext

hypothesis = pytest.importorskip("hypothesis", reason="the test extra installs hypothesis (pip install -e '.[test]')")
from hypothesis import given, settings, strategies as st  # noqa: E402


def reference(value, level: int = 0) -> str:
    """What json writes, moved `level` levels deeper as a report nests a result."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * level)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    st.text())
KEYS = st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=6), st.lists(inner, max_size=6).map(tuple),
    st.dictionaries(KEYS, inner, max_size=6)), max_leaves=40)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(VALUES, st.integers(min_value=0, max_value=4))
def test_generated_values_are_written_as_json_writes_them(value, level):
    assert jsontext.dumps(value, level) == reference(value, level)
    assert "".join(jsontext.pieces(value, level)) == reference(value, level)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(VALUES, min_size=1, max_size=4), st.lists(st.integers(min_value=0, max_value=3), max_size=12))
def test_a_container_met_again_is_written_for_its_depth(shared, where):
    """The same objects placed again and again at several depths, as a plan shares an operation's
    record between nodes: the text remembered for one depth is never given at another."""
    document = {"a": [], "b": {"c": []}}
    for index, depth in enumerate(where):
        piece = shared[index % len(shared)]
        if depth == 0:
            document[f"k{index}"] = piece
        elif depth == 1:
            document["a"].append(piece)
        else:
            document["b"]["c"].append({"x": piece, "y": [piece, piece]})
    assert jsontext.dumps(document) == reference(document)
    assert "".join(jsontext.pieces(document, 2)) == reference(document, 2)


def test_shared_records_of_every_size_at_one_and_at_several_depths():
    small, big = {"a": 1}, {"plugin": "p", "operation": "m.f", "inputs": {}, "executor": None, "max_retries": 3}
    listed = ["x", "y", "z", "w"]
    document = {"nodes": [{"ops": {"create": big, "start": big, "stop": small}, "tags": listed}
                          for _ in range(5)], "again": big, "deeper": [[[big, listed]]]}
    assert jsontext.dumps(document) == reference(document)
    assert "".join(jsontext.pieces(document)) == reference(document)


def test_scalars_subclasses_and_keys_as_json_writes_them():
    class Map(dict):
        pass

    class Seq(list):
        pass

    class Count(int):
        def __repr__(self):
            return "not this"

    value = Map({"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "float": 0.1, "big": 10 ** 30,
                 "count": Count(3), 1: "int key", 2.5: "float key", True: "bool key", None: "none key",
                 "seq": Seq([(), {}, [], "é\u2028\"\\\n\t\x00"]), "tuple": (1, (2, 3))})
    assert jsontext.dumps(value) == reference(value)
    assert jsontext.dumps("text") == reference("text") and jsontext.dumps(None) == "null"


@pytest.mark.parametrize("value, message", [
    ({"a": {1, 2}}, "Object of type set is not JSON serializable"),
    ({(1, 2): "a"}, "keys must be str, int, float, bool or None, not tuple"),
    ([b"bytes"], "Object of type bytes is not JSON serializable"),
])
def test_what_json_refuses_is_refused_with_its_words(value, message):
    with pytest.raises(TypeError) as ours:
        jsontext.dumps(value)
    with pytest.raises(TypeError) as theirs:
        json.dumps(value, indent=2, ensure_ascii=False)
    assert str(ours.value) == str(theirs.value) == message


def test_pieces_are_bounded_and_a_big_document_is_given_in_many(monkeypatch):
    monkeypatch.setattr(jsontext, "PIECE_CHARS", 1000)
    document = {"plan": {"nodes": [{"id": f"n{i}", "ops": {"a": i, "b": [i] * 5}} for i in range(300)]}}
    given_pieces = list(jsontext.pieces(document, 2))
    assert "".join(given_pieces) == reference(document, 2)
    assert len(given_pieces) > 10
    # each piece stops once past the bound: by at most one item of the streamed levels (a node)
    assert max(map(len, given_pieces)) < 1000 + max(len(jsontext.dumps(n, 4)) for n in document["plan"]["nodes"]) + 50


def test_the_memo_forgets_everything_at_its_bound_and_stays_right(monkeypatch):
    monkeypatch.setattr(jsontext, "MEMO_MAX", 3)
    records = [{"k": i, "a": 1, "b": 2, "c": 3} for i in range(10)]
    document = [records[i % 10] for i in range(100)] + [records]
    assert jsontext.dumps(document) == reference(document)


def test_the_report_of_corpus_plans_is_what_json_dumps_writes(tmp_path):
    """Real plans, with the records they share between nodes: every 8th corpus blueprint resolved
    in one session, as a batch would, its JSON report (and with lifecycle plans, a few) written
    by pieces and compared with json.dumps of the whole report."""
    from resolver import report
    from resolver.cli import _parser, session_from

    from .corpus import CORPUS, manifest

    options = ["--no-cache", "--no-config", "-r", str(CORPUS / "plugins"), "--import-rules",
               str(CORPUS / "import-rules.yaml"), "--blueprint-catalog", str(CORPUS / "blueprint-catalog.yaml"),
               "--search-path", str(CORPUS / "types"), "blueprint.yaml"]
    session = session_from(_parser().parse_args(options), "test", ())
    results = [session.resolve(CORPUS / row["path"], search_paths=[CORPUS / row["cwd"]] if row["cwd"] else [])
               for row in manifest()[::8]]
    assert sum(r.plan is not None for r in results) > 50
    whole = json.dumps(report.report_dict(results), indent=2, ensure_ascii=False) + "\n"
    assert report.to_json(results) == whole
    planned = [r for r in results if r.plan is not None][:6]
    whole = json.dumps(report.report_dict(planned, lifecycle=True), indent=2, ensure_ascii=False) + "\n"
    assert report.to_json(planned, lifecycle=True) == whole


def test_a_value_nested_as_deep_as_json_writes_it_is_written():
    """One frame per level of nesting, as json's encoder about: a blueprint loaded with a raised
    --max-depth (libyaml reads up to 1,000 levels) is written where json.dumps wrote it."""
    value = 1
    for _ in range(800):
        value = {"a": [value]} if len(str(_)) == 2 else {"a": value}
    document = {"results": [{"plan": {"nodes": [{"operations": {"create": {"inputs": {"x": value}}}}]}}]}
    assert jsontext.dumps(document) == reference(document)
    assert "".join(jsontext.pieces(document, 2)) == reference(document, 2)
