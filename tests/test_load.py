"""Stage 1, load: YAML values with 1-based positions; faults become problems, never exceptions."""
from __future__ import annotations

import pickle
import re

import pytest
import yaml

from resolver.limits import Limits
from resolver.load import MAX_DEPTH, Map, Seq, _Loader, load_yaml, mark_in, value_mark_in
from resolver.problems import Mark, Problems

from . import load_equivalence
from .conftest import blueprint, header, only, places


def load(text: str, source: str = "f.yaml", **limits):
    problems = Problems()
    value = load_yaml(text, source, problems, Limits(**limits))
    return value, list(problems)


def at(line, column):
    return Mark("f.yaml", line, column)


# --- positions --------------------------------------------------------------------------------


def test_top_level_keys_and_values_have_one_based_positions():
    doc, problems = load("alpha: 1\nbeta:   two\n")
    assert problems == []
    assert doc.key_mark("alpha") == at(1, 1)
    assert doc.value_mark("alpha") == at(1, 8)
    assert doc.key_mark("beta") == at(2, 1)
    assert doc.value_mark("beta") == at(2, 9)


def test_nested_mapping_positions_point_inside_the_file():
    doc, _ = load("outer:\n  inner:\n    leaf: x\n")
    outer = doc["outer"]
    assert isinstance(outer, Map)
    assert outer.mark == at(2, 3)
    assert doc.value_mark("outer") == at(2, 3)
    assert outer.key_mark("inner") == at(2, 3)
    assert outer["inner"].key_mark("leaf") == at(3, 5)
    assert outer["inner"].value_mark("leaf") == at(3, 11)


def test_sequence_items_have_their_own_positions():
    doc, _ = load("items:\n  - first\n  -   second\n  - {k: v}\n")
    items = doc["items"]
    assert isinstance(items, Seq)
    assert items == ["first", "second", {"k": "v"}]
    assert items.item_mark(0) == at(2, 5)
    assert items.item_mark(1) == at(3, 7)
    assert items.item_mark(2) == at(4, 5)
    assert items[2].key_mark("k") == at(4, 6)
    # an index past the end falls back to the sequence itself
    assert items.item_mark(7) == items.mark == at(2, 3)


def test_flow_mapping_positions():
    doc, _ = load("m: {a: 1, bb: [x, y]}\n")
    assert doc["m"].key_mark("a") == at(1, 5)
    assert doc["m"].key_mark("bb") == at(1, 11)
    assert doc["m"]["bb"].item_mark(1) == at(1, 19)


def test_mark_helpers_prefer_keys_for_maps_and_items_for_lists():
    doc, _ = load("a:\n  - 1\nb: 2\n")
    assert mark_in(doc, "b") == at(3, 1)
    assert value_mark_in(doc, "b") == at(3, 4)
    assert mark_in(doc["a"], 0) == at(2, 5)
    # an unknown key falls back to the mapping's own position
    assert mark_in(doc, "missing") == doc.mark == at(1, 1)


def test_derive_keeps_the_marks_of_the_old_keys():
    doc, _ = load("a: 1\nb: 2\n")
    renamed = doc.derive([("ns--a", 10, "a"), ("b", 2, "b")])
    assert renamed == {"ns--a": 10, "b": 2}
    assert renamed.key_mark("ns--a") == at(1, 1)
    assert renamed.value_mark("b") == at(2, 4)


def test_positions_far_to_the_right_or_far_below_the_key_are_kept_exactly():
    wide = "m: {" + ", ".join(f"k{i}: v{i}" for i in range(200)) + "}\n"
    long = "s: [" + ", ".join(f"i{i}" for i in range(300)) + "]\n"
    doc, _ = load(wide + long + "far:\n" + "\n" * 300 + "  below\n")
    assert wide.index("k199") > 1024 and long.index("i299") > 1024
    assert doc["m"].key_mark("k199") == at(1, wide.index("k199") + 1)
    assert doc["m"].value_mark("k199") == at(1, wide.index("v199") + 1)
    assert doc["s"].item_mark(299) == at(2, long.index("i299") + 1)
    assert doc.key_mark("far") == at(3, 1)
    assert doc.value_mark("far") == at(304, 3)


def test_positions_on_lines_past_what_one_packed_int_holds_are_kept_exactly():
    many = 1 << 22  # load keeps a value's line in 22 bits of a packed int, and a key's line above them
    doc, _ = load("a: &x top\nb:\n" + "\n" * many + "  v\nc: *x\n" + "\n" * many + "d: w\n")
    assert doc.value_mark("a") == doc.value_mark("c") == at(1, 4)
    assert doc.key_mark("b") == at(2, 1) and doc.value_mark("b") == at(many + 3, 3)
    assert doc.key_mark("c") == at(many + 4, 1)
    assert doc.key_mark("d") == at(2 * many + 5, 1) and doc.value_mark("d") == at(2 * many + 5, 4)


def test_positions_too_big_to_pack_stay_exact_when_derived_or_pickled():
    wide = "{" + ", ".join(f"k{i}: v{i}" for i in range(200)) + "}\n"
    doc, _ = load(wide)
    for copy in (doc.derive((key, value, key) for key, value in doc.items()), pickle.loads(pickle.dumps(doc))):
        assert copy.key_mark("k199") == at(1, wide.index("k199") + 1)
        assert copy.value_mark("k199") == at(1, wide.index("v199") + 1)
        assert copy.key_mark("k0") == at(1, 2) and copy.mark == at(1, 1)


def test_the_loader_holds_pyyaml_s_loader_rather_than_being_one():
    # an instance of a class built on libyaml's parser (a Cython type) has its attributes read
    # through a generic look-up, several times slower: the loader reads its own for every container
    loader = _Loader("a: 1\n", "f.yaml", Limits())
    assert not isinstance(loader, yaml._yaml.CParser) and isinstance(loader.parser, yaml._yaml.CParser)
    loader.dispose()
    # PyYAML's own events (the reference's reading) still go through libyaml's resolver and constructors
    pure = _Loader("a: 0x1f\nb: yes\n", "f.yaml", Limits(), events=yaml.SafeLoader("a: 0x1f\nb: yes\n"))
    assert pure.build() == {"a": 31, "b": True}
    pure.dispose()


def test_a_line_past_what_the_array_of_positions_holds_keeps_its_mapping_s_marks_as_marks():
    loader = _Loader("", "f.yaml", Limits())
    mapping = Map({"k": "v"}, mark=at(1, 1))  # of f.yaml, as the loader makes it
    far = 1 << 40  # no array item holds it: the mapping keeps its marks by key instead
    loader._keep_marks_by_key(mapping, [far, 0, far, 2, far + 1, 4])
    assert mapping.mark == at(far + 1, 1)
    assert mapping.key_mark("k") == at(far + 1, 3) and mapping.value_mark("k") == at(far + 2, 5)


def test_an_alias_gets_the_value_built_for_its_anchor_with_the_anchors_marks():
    doc, problems = load("a: &x {p: 1}\nb: *x\nc: [*x]\n")
    assert problems == []
    assert doc["b"] is doc["a"] and doc["c"][0] is doc["a"]
    assert doc["b"].key_mark("p") == at(1, 8)
    # an alias is placed where its anchored value starts, as libyaml places it
    assert doc.value_mark("b") == doc["c"].item_mark(0) == at(1, 4)


def test_copy_key_mark_takes_the_key_from_another_file_and_keeps_the_value_mark():
    own, _ = load("op: 1\n", "own.yaml")
    other, _ = load("\n  op: 2\n", "other.yaml")
    own.copy_key_mark("op", other, "op")
    assert own.key_mark("op") == Mark("other.yaml", 2, 3)
    assert own.value_mark("op") == Mark("own.yaml", 1, 5)
    own.copy_key_mark("new", other, "op")
    assert own.own_key_mark("new") == own.value_mark("new") == Mark("other.yaml", 2, 3)
    assert own.own_key_mark("missing") is None
    assert own.mark == Mark("own.yaml", 1, 1)  # the mapping keeps its own start, as loaded


def test_a_loaded_mapping_changed_by_code_keeps_the_marks_of_the_keys_it_was_loaded_with():
    # a loaded mapping finds its entries' marks through the keys it was loaded with, not the keys
    # it holds when asked: each change below would move the others' places among its keys
    text = "a: 1\nb: 2\nc: 3\nd: 4\n"
    for asked_first in (False, True):  # the look-up made before the change, or after it
        doc, _ = load(text)
        if asked_first:
            assert doc.key_mark("d") == at(4, 1)
        del doc["a"]
        doc["e"] = 5
        doc.pop("b")
        doc["a"] = 0
        doc.update(f=6)
        assert list(doc) == ["c", "d", "e", "a", "f"]
        assert doc.key_mark("c") == at(3, 1) and doc.value_mark("d") == at(4, 4)
        assert doc.own_key_mark("e") is None and doc.key_mark("f") == doc.mark == at(1, 1)
        assert doc.key_mark("a") == at(1, 1)  # its value is code's, its key was written there
        renamed = doc.derive((key, value, key) for key, value in doc.items())
        assert renamed.key_mark("d") == at(4, 1) and renamed.own_key_mark("e") is None
        copy = pickle.loads(pickle.dumps(doc))
        assert copy.key_mark("c") == at(3, 1) and copy.own_key_mark("f") is None and copy.mark == at(1, 1)


def test_a_big_loaded_mapping_gives_every_key_its_marks_asked_in_any_order():
    keys = [f"k{i}" for i in range(300)]
    doc, _ = load("".join(f"{key}: v\n" for key in keys))
    for line, key in reversed(list(enumerate(keys, 1))):
        assert doc.key_mark(key) == at(line, 1) and doc.value_mark(key) == at(line, len(key) + 3)
    assert doc.own_key_mark("k300") is None


def test_joined_sequences_keep_the_files_of_their_items():
    first, _ = load("- a\n", "one.yaml")
    second, _ = load("\n- b\n", "two.yaml")
    joined = Seq.joined(first, second)
    assert joined == ["a", "b"]
    assert joined.item_mark(0) == Mark("one.yaml", 1, 3)
    assert joined.item_mark(1) == Mark("two.yaml", 2, 3)
    assert Seq.joined(["x"], second).item_mark(0) is None
    assert first.derive(["A"]).item_mark(0) == Mark("one.yaml", 1, 3)


def test_marks_survive_pickling():
    doc, _ = load("a:\n  b: [x, y]\n")
    copy = pickle.loads(pickle.dumps(doc))
    assert copy == doc
    assert copy["a"].value_mark("b") == at(2, 6)
    assert copy["a"]["b"].item_mark(1) == at(2, 10)


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_an_empty_document_is_an_empty_mapping(text):
    doc, problems = load(text)
    assert doc == {} and isinstance(doc, Map)
    assert problems == []


def test_timestamps_stay_text():
    doc, _ = load("day: 2020-01-31\nwhen: 2001-12-14t21:59:43.10-05:00\n")
    assert doc == {"day": "2020-01-31", "when": "2001-12-14t21:59:43.10-05:00"}


def test_scalars_keep_their_yaml_types():
    doc, _ = load("i: 3\nf: 1.5\nb: true\nn: null\ns: '3'\n")
    assert doc == {"i": 3, "f": 1.5, "b": True, "n": None, "s": "3"}


def test_long_plain_texts_are_typed_as_pyyaml_types_them_whatever_their_first_character():
    # texts past what load._PLAIN_TAGS keeps are typed afresh each time; most (a first character
    # no implicit resolver claims) are strings without asking the resolver, the others are asked
    digits, sexagesimal = "1" * 80, "1:" * 40 + "1"
    texts = {"a": "A" + "x" * 80, "t": "T" + "x" * 80, "d": digits, "m": "-" + digits, "s": sexagesimal,
             "f": digits + ".5", "n": "N" + "o" * 79}
    doc, problems = load("".join(f"{key}: {text}\n" for key, text in texts.items()))
    assert not problems
    assert doc == yaml.load("".join(f"{key}: {text}\n" for key, text in texts.items()), Loader=yaml.SafeLoader)
    assert [type(doc[key]) for key in texts] == [str, str, int, int, int, float, str]


# A text once read as a plain string is kept for the process (load._PLAIN_STRINGS) and read back
# without resolving its tag: each test learns the text first, then writes it where it is not that.


def test_the_known_texts_are_looked_up_in_the_dicts_the_loader_fills_and_clears():
    # the loader looks them up through their `get`s, taken once: a dict put in their place would
    # be filled and cleared while the look-ups still read the old one
    from resolver import load as module

    assert module._plain_tag.__self__ is module._PLAIN_TAGS
    assert module._plain_string.__self__ is module._PLAIN_STRINGS


def test_a_text_known_as_a_string_is_not_one_when_plain_it_resolves_otherwise():
    load("a: '3'\nb: \"yes\"\n")  # strings when quoted, never learned as plain strings
    doc, _ = load("3: 3\nb: yes\nc: [3, yes]\n")
    assert doc == {3: 3, "b": True, "c": [3, True]}


def test_a_text_known_as_a_string_keeps_the_tag_written_on_it():
    load("word: word\nlist: [word]\n")
    for text in ("a: !!map word\n", "!!seq word: 1\n", "a: [!!map word]\n"):
        doc, problems = load(text)
        assert doc is None and [p.code for p in problems] == ["yaml-syntax"], text


def test_a_text_known_as_a_string_keeps_the_anchor_written_on_it():
    load("word: word\nlist: [word]\n")
    doc, problems = load("a: &v word\n&k word: 1\nlist: [&i word]\nb: [*v, *k, *i]\n")
    assert problems == []
    assert doc["b"] == ["word", "word", "word"]
    assert doc.value_mark("b") == at(4, 4) and doc["b"].item_mark(1) == at(2, 1)


def test_a_non_ascii_text_is_reported_each_time_it_is_read():
    for _ in range(2):
        _, problems = load("caf\u00e9: caf\u00e9\nl: [caf\u00e9]\n")
        assert [(p.code, p.line, p.column) for p in problems] == [
            ("yaml-non-ascii", 1, 1), ("yaml-non-ascii", 1, 7), ("yaml-non-ascii", 2, 5)]


def test_merge_keys_merge_and_explicit_keys_win():
    doc, problems = load("base: &b {p: 1, q: 1}\nuse:\n  <<: *b\n  q: 2\n")
    assert problems == []
    assert doc["use"] == {"p": 1, "q": 2}
    # the explicit key keeps its own position, the merged one the anchor's
    assert doc["use"].key_mark("q") == at(4, 3)
    assert doc["use"].key_mark("p") == at(1, 11)


# Merge keys the reference's PyYAML merges its own way: of two merged mappings naming a key, the
# last one's value, unless the key is the same written key met twice (an alias) or is written with
# one character (Python keeps one object for it, and PyYAML tells keys apart by object).
MERGES = {
    "explicit key at its merged place": "b: &b {q: 1, p: 1}\nuse: {<<: *b, q: 2}\n",
    "two merge keys": "a: &a {xx: 1, zz: 1}\nb: &b {xx: 2, yy: 2}\nc: {<<: *a, <<: *b}\nd: {<<: [*a, *b]}\n",
    "one-character keys": "a: &a {x: 1, z: 1}\nb: &b {x: 2, y: 2}\nc: {<<: *a, <<: *b}\nd: {<<: [*a, *b]}\n",
    "an anchor merged twice": "a: &a {xx: 1}\nb: &b {xx: 2}\nd: {<<: [*a, *b, *a]}\n",
    "merged mappings that merged": ("base: &base {xx: 0, k: 0}\na: &a {<<: *base, yy: 1}\nb: &b {xx: 2}\n"
                                    "c: {<<: [*a, *b]}\ne: {<<: [*b, *a]}\nf: {<<: [*a, *base]}\n"),
    "an override merged on": ("base: &base {xx: 0, k: 0}\na: &a {<<: *base, xx: 5}\nc: {<<: [*a, *base]}\n"
                              "d: {<<: [*base, *a], k: 9}\n"),
    "numbers as keys": "a: &a {1: a, 10: a}\nb: &b {1: b, 10: b}\nc: {<<: [*a, *b]}\n",
    "a number and a text written alike": "a: &a {1: int, '2': s}\nb: &b {'1': text, 2: int2}\nc: {<<: [*a, *b]}\n",
    "null keys": "a: &a {~: 1}\nb: &b {null: 2}\nc: {<<: [*a, *b]}\nd: {<<: [*b, *a]}\n",
    "quoted keys": "a: &a {\"x\": 1, 'yy': 1}\nb: &b {x: 2, yy: 2}\nc: {<<: [*a, *b]}\n",
}

MERGES_BY_THE_REFERENCE = """
import json, sys
from dsl_parser import yaml_loader

def plain(held):
    value = getattr(held, "value", held)
    if isinstance(value, dict):
        return [[plain(key), plain(item)] for key, item in value.items()]
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value

cases = json.load(sys.stdin)
print(json.dumps({name: plain(yaml_loader.load(text, "f.yaml")) for name, text in cases.items()}))
"""


def _as_pairs(value):
    if isinstance(value, dict):
        return [[_as_pairs(key), _as_pairs(item)] for key, item in value.items()]
    if isinstance(value, list):
        return [_as_pairs(item) for item in value]
    return value


def test_merge_keys_merge_as_the_reference_merges_them(reference_python):
    import json
    import subprocess

    done = subprocess.run([str(reference_python), "-c", MERGES_BY_THE_REFERENCE], input=json.dumps(MERGES),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    ours = {}
    for name, text in MERGES.items():
        value, problems = load(text)
        assert problems == [], name
        ours[name] = json.loads(json.dumps(_as_pairs(value)))  # as JSON carried the reference's
    assert ours == theirs
    # and the cases tell the rules apart: the last value wins, or the first where a key is met again
    assert theirs["two merge keys"][2] == ["c", [["xx", 2], ["zz", 1], ["yy", 2]]]
    assert theirs["one-character keys"][2] == ["c", [["x", 1], ["z", 1], ["y", 2]]]
    assert theirs["explicit key at its merged place"][1] == ["use", [["q", 2], ["p", 1]]]


def test_merged_keys_keep_the_marks_of_the_entry_whose_value_they_hold():
    doc, _ = load("a: &a {xx: 1}\nb: &b {xx: 2}\nc: {<<: [*a, *b]}\nd:\n  <<: *a\n  xx: 3\n")
    assert doc["c"]["xx"] == 2 and doc["c"].key_mark("xx") == at(2, 8) and doc["c"].value_mark("xx") == at(2, 12)
    assert doc["d"]["xx"] == 3 and doc["d"].key_mark("xx") == at(6, 3)


def test_merge_key_naming_a_scalar_is_a_wrong_type():
    _, problems = load("s: &s text\nm:\n  <<: *s\n")
    assert [(p.code, p.line, p.column) for p in problems] == [("schema-wrong-type", 1, 4)]


def test_a_non_scalar_mapping_key_is_a_wrong_type_and_skipped():
    doc, problems = load("? [1, 2]\n: value\nok: 1\n")
    assert doc == {"ok": 1}
    assert [(p.code, p.line, p.column) for p in problems] == [("schema-wrong-type", 1, 3)]


# --- faults -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, line, column", [
    ("a: b: c\n", 1, 5),                    # a mapping value where none is allowed
    ("a: 1\n  b: 2\n", 2, 4),               # bad indentation
    ("a:\n\tb: 1\n", 2, 1),                 # a tab as indentation (a scanner error)
    ("a: 'open\n", 2, 1),                   # an unclosed quote
    ("- a\nb: 1\n", 2, 1),                  # a list, then a mapping key
    ("--- a\n--- b\n", 2, 1),               # two documents
], ids=["value-in-value", "indentation", "tab", "open-quote", "list-then-map", "two-documents"])
def test_syntax_errors_become_yaml_syntax_with_a_position(text, line, column):
    doc, problems = load(text)
    assert doc is None
    assert [(p.code, p.severity, p.file, p.line, p.column) for p in problems] == [
        ("yaml-syntax", "error", "f.yaml", line, column)]


def test_duplicate_key_is_a_warning_at_the_second_key_and_the_last_value_wins():
    doc, problems = load("name: first\nother: 1\nname: second\n")
    assert doc["name"] == "second"
    assert doc.key_mark("name") == at(3, 1)
    assert doc.value_mark("name") == at(3, 7)
    assert [(p.code, p.severity, p.line, p.column) for p in problems] == [
        ("yaml-duplicate-key", "warning", 3, 1)]
    # the first occurrence's position travels with the problem as well
    assert re.findall(r"\d+", problems[0].message)[:2] == ["1", "1"]


def test_duplicate_key_in_a_nested_mapping():
    doc, problems = load("outer:\n  k: 1\n  j: 0\n  k: 2\n")
    assert doc["outer"]["k"] == 2
    (problem,) = problems
    assert (problem.code, problem.line, problem.column) == ("yaml-duplicate-key", 4, 3)
    assert re.findall(r"\d+", problem.message)[:2] == ["2", "3"]


def test_non_ascii_text_is_an_error_at_the_value():
    doc, problems = load("ok: plain\nbad: caf\u00e9\n")
    assert doc["bad"] == "caf\u00e9"
    assert [(p.code, p.severity, p.line, p.column) for p in problems] == [("yaml-non-ascii", "error", 2, 6)]


def test_nesting_beyond_the_limit_is_too_complex_not_a_crash():
    depth = MAX_DEPTH + 50
    doc, problems = load("[" * depth + "]" * depth)
    assert doc is None
    assert [p.code for p in problems] == ["yaml-too-complex"]


def test_nesting_within_the_limit_loads():
    depth = 50
    doc, problems = load("[" * depth + "]" * depth)
    assert problems == []
    for _ in range(depth - 1):
        doc = doc[0]
    assert doc == []


@pytest.mark.parametrize("text, column", [
    ("a: !!map text\n", 4), ("a: !!seq text\n", 4), ("a: !!omap [{b: 1}]\n", 4), ("a: !!seq {b: 1}\n", 4),
    ("a: !!pairs {b: 1}\n", 4), ("a: !!python/tuple [1]\n", 4),
])
def test_a_tag_on_the_wrong_kind_of_node_is_a_syntax_problem_not_a_crash(text, column):
    doc, problems = load(text)
    assert doc is None
    assert [(p.code, p.line, p.column) for p in problems] == [("yaml-syntax", 1, column)]


def test_pairs_stay_a_list_of_tuples():
    doc, problems = load("p: !!pairs [{a: 1}, {b: [2]}]\n")
    assert problems == [] and doc["p"] == [("a", 1), ("b", [2])]


def test_depth_is_bounded_as_the_document_is_built_at_the_first_container_too_deep():
    doc, problems = load("a: [[[]]]\nb: [[[[[x]]]]]\n", max_depth=4)
    assert doc is None
    assert [(p.code, p.line, p.column) for p in problems] == [("yaml-too-complex", 2, 7)]


def test_depth_counts_what_an_alias_brings_in_at_the_alias():
    doc, problems = load("a: &a [[[x]]]\nb: [[*a]]\n", max_depth=5)
    assert doc is None
    assert [(p.code, p.line, p.column) for p in problems] == [("yaml-too-complex", 2, 6)]
    assert load("a: &a [[[x]]]\nb: [*a]\n", max_depth=5)[1] == []


def test_aliases_are_counted_without_being_expanded():
    text = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    doc, problems = load(text)
    assert doc is None
    ((code, line, column, message),) = [(p.code, p.line, p.column, p.message) for p in problems]
    assert (code, line, column) == ("yaml-alias-expansion", 1, 4)
    # 9 aliases of a (10 values each), 9 of b (91 each)...: the same total as expanding them
    assert "expand to 490329036 more values" in message


@pytest.mark.parametrize("text, limits, code", [
    ("caf\u00e9: 1\nd: 1\nd: 2\nx: " + "[" * 10 + "]" * 10 + "\n", {"max_depth": 5}, "yaml-too-complex"),
    ("caf\u00e9: 1\na: &a [x, x]\nb: [*a, *a, *a]\n", {"max_aliases": 5}, "yaml-alias-expansion"),
    ("caf\u00e9: 1\na: &a [1, *a]\n", {}, "yaml-alias-expansion"),
], ids=["depth", "aliases", "recursive-alias"])
def test_a_limit_crossed_is_the_only_problem_of_the_document(text, limits, code):
    doc, problems = load(text, **limits)
    assert doc is None
    assert [p.code for p in problems] == [code]



@pytest.mark.parametrize("text, limits, line, column", [
    ("a: [[[[[[x]]]]]]\nb: [unclosed\n", {"max_depth": 3}, 3, 1),
    ("caf\u00e9: 1\nb: !!foo x\nc: *nope\n", {}, 3, 4),
    ("a: &x [1, *x]\nb: &x 2\n", {}, 2, 4),
    ("d: 1\nd: 2\n--- second\n", {}, 3, 1),
], ids=["syntax-after-a-limit", "undefined-alias-after-a-refused-tag", "duplicate-anchor-after-a-loop",
        "a-second-document"])
def test_a_fault_of_the_text_itself_is_reported_alone_wherever_it_is(text, limits, line, column):
    doc, problems = load(text, **limits)
    assert doc is None
    assert [(p.code, p.line, p.column) for p in problems] == [("yaml-syntax", line, column)]

# --- against PyYAML, over the corpus ----------------------------------------------------------


# Texts libyaml reads and PyYAML's own scanner (the reference's) refuses, and their neighbours both read.
STRICTER_THAN_LIBYAML = [
    ("a:\tb\n", (1, 3)),                     # a tab between tokens
    ("a: b\tc\n", (1, 5)),                   # a tab inside a plain scalar
    ("a: [b,\tc]\n", (1, 7)),
    ("a: [b?c]\n", (1, 6)),                   # a question mark inside a plain scalar in a flow collection
    ("x: 1\na: {k: [1, {b: x?y}]}\n", (2, 17)),
    ("a: b\n\ufeff# c\nd: e\n", (3, 1)),     # a byte order mark past the start (white space to libyaml)
]
READ_BY_BOTH = ["a: \"b\tc\"\n", "a: |\n  x\ty\n", "a: b # c\td\n", "a: b?c\n", "a: [\"b?c\"]\n", "a: [?b]\n",
                "\ufeffa: b\n", "imports: [plugin:p?version=1]\n".replace("[", "").replace("]", "")]


@pytest.mark.parametrize("text, at", STRICTER_THAN_LIBYAML)
def test_what_the_reference_s_yaml_reader_refuses_is_refused_where_it_refuses_it(text, at):
    value, problems = load(text)
    assert value is None and [(p.code, (p.line, p.column)) for p in problems] == [("yaml-syntax", at)]
    with pytest.raises(yaml.MarkedYAMLError):
        yaml.load(text, Loader=yaml.SafeLoader)  # the pure-Python reader the reference uses
    assert yaml.load(text, Loader=yaml.CSafeLoader) is not None  # and libyaml reads it


@pytest.mark.parametrize("text", READ_BY_BOTH)
def test_tabs_question_marks_and_byte_order_marks_where_the_reference_reads_them(text):
    value, problems = load(text)
    assert problems == [] and value == yaml.load(text, Loader=yaml.SafeLoader)


@pytest.mark.parametrize("text", [
    "a: { k:  }\n", "a: { k: ,x }\n", "a: {k: }\n", "a: [k: ]\n", "a: {k}\n",  # empty values in flow mappings
    "\ufeffa: 1\nb: [1, 2]\n",  # a byte order mark that starts the text is no column
    "a: { g: [SELF:, d] }\n",  # libyaml refuses this one
    "outputs:\n\ufeff custom: 1\n",  # libyaml skips this byte order mark, PyYAML reads it
    "a: !\n", "a: [x, !]\n", "{a: !}\n",  # empty with the non-specific tag: null to PyYAML, '' to libyaml
    "a: [!, ! 1]\n", "a: [!a,b]\n", "a: {k: !x]}\n",  # PyYAML takes , [ ] into a tag, libyaml in flows not
])
def test_values_and_positions_where_libyaml_and_pyyaml_part_are_pyyamls(text):
    assert load_equivalence.compare_text(text, "f.yaml") == []


@pytest.mark.parametrize("text, said", [
    ("a: !!int 60 x\n", "'60 x' cannot be read as int"),
    ("a: !!bool maybe\n", "'maybe' cannot be read as bool"),
    ("a: !!int ''\n", "'' cannot be read as int"),
    ("a: !!float abc\n", "'abc' cannot be read as float"),
    ("a: " + "7" * 5000 + "\n", "cannot be read as int: 5000 digits, more than the 4300 Python reads"),
])
def test_a_scalar_its_tag_cannot_build_is_a_syntax_problem_not_a_crash(text, said):
    value, problems = load(text)
    assert value is None and [(p.code, p.line, p.column) for p in problems] == [("yaml-syntax", 1, 4)]
    assert said in problems[0].message and len(problems[0].message) < 200


@pytest.mark.skipif(not load_equivalence.CORPUS.is_dir(), reason="no shared corpus beside the checkout")
def test_corpus_texts_with_random_edits_load_as_pyyaml_loads_them():
    """200 mutants (`python -m tests.load_equivalence --mutants N` for more): refused by both, or
    loaded by both into the same values at the same positions; never an exception."""
    texts = list(load_equivalence.mutants(200, seed=11))
    assert [difference for name, text in texts for difference in load_equivalence.compare_text(text, name)] == []


@pytest.mark.skipif(not load_equivalence.CORPUS.is_dir(), reason="no shared corpus beside the checkout")
def test_values_and_positions_are_pyyamls_on_a_sample_of_the_corpus():
    """80 of the corpus's YAML files; `python -m tests.load_equivalence` compares them all."""
    files = load_equivalence.corpus_files(sample=80)
    assert [difference for path in files for difference in load_equivalence.compare(path)] == []


# --- through the pipeline ---------------------------------------------------------------------


def test_syntax_error_in_an_imported_file_points_into_that_file(bp):
    result = bp({
        "blueprint.yaml": header("cloudify_dsl_1_4", "lib/broken.yaml"),
        "lib/broken.yaml": "node_types:\n  x: [unclosed\n",
    })
    assert not result.ok and result.plan is None
    assert places(result, bp.root) == [("yaml-syntax", "lib/broken.yaml", 3, 1)]


def test_syntax_error_in_the_main_blueprint(bp):
    result = bp({"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports: [types.yaml\n"})
    assert [where[:2] for where in places(result, bp.root)] == [("yaml-syntax", "blueprint.yaml")]
    assert result.plan is None


def test_duplicate_key_warning_keeps_the_result_ok_and_the_last_value(bp):
    result = bp({"blueprint.yaml": blueprint("""\
        node_templates:
          app:
            type: cloudify.nodes.WebServer
            properties:
              port: 81
              port: 82
        """)})
    assert result.ok
    assert places(result, bp.root) == [("yaml-duplicate-key", "blueprint.yaml", 9, 7)]
    assert only(result, "yaml-duplicate-key").severity == "warning"
    assert result.plan is not None


@pytest.mark.parametrize("text", ["---\n", "~\n"], ids=["explicit-empty-document", "null"])
def test_a_null_main_document_is_not_silently_ok(bp, text):
    result = bp({"blueprint.yaml": text}, types=False)
    assert not result.ok
    assert "dsl-version-missing" in [p.code for p in result.problems]


@pytest.mark.parametrize("text, lines", [
    ('a: "x\x85y"\nb: 2\nc: {d: 3}\n', {"a": 1, "b": 2, "c": 3}),
    ('a: "x\u2028y"\nb: [1, 2]\nc: 3\n', {"a": 1, "b": 2, "c": 3}),
    ('a: "x\u2029y"\nb: 2\nc: 3\n', {"a": 1, "b": 2, "c": 3}),
    ("a: 1\rb: 2\nc: 3\n", {"a": 1, "b": 1, "c": 2}),
])
def test_positions_count_line_feeds_as_an_editor_does(text, lines):
    """YAML 1.1 also breaks lines at NEL, U+2028, U+2029 and a lone carriage return; an editor does
    not, so libyaml's line numbers are mapped back onto line feeds (found by make fuzz: a problem
    placed past the file's last line)."""
    problems = Problems()
    value = load_yaml(text, "f.yaml", problems)
    assert {key: value.key_mark(key).line for key in value} == lines
    assert all(p.line <= text.count("\n") for p in problems)
    broken = text.replace("c: ", "c: [")  # a syntax error after the break: placed on its editor line
    problems = Problems()
    assert load_yaml(broken, "f.yaml", problems) is None
    assert [(p.code, p.line <= broken.count("\n") + 1) for p in problems] == [("yaml-syntax", True)]


def _merge_documents(seed: int, count: int) -> dict[str, str]:
    """`count` YAML documents full of anchors and merge keys: keys from a small pool that holds
    one-character keys, numbers and nulls written alike, quoted keys; several `<<` in a mapping, a
    list of aliases, anchored mappings that merge in their turn, explicit keys overriding."""
    import random

    chance = random.Random(seed)
    pool = ["x", "y", "xx", "yy", "k", "kk", "1", "10", "'1'", "~", "null", "'x'", '"yy"', "2", "'22'", "22"]
    same = {"'x'": "x", '"yy"': "yy", "null": "~"}  # written apart, one key: never both in one mapping
    documents = {}
    for number in range(count):
        lines, anchors = [], []
        for index in range(chance.randint(2, 6)):
            keys = list({same.get(key, key): key for key in chance.sample(pool, chance.randint(1, 4))}.values())
            entries = [f"{key}: {chance.randint(0, 99)}" for key in keys]
            merged = []
            if anchors and chance.random() < 0.7:
                for _ in range(chance.randint(1, 3)):
                    picked = [f"*{chance.choice(anchors)}" for _ in range(chance.randint(1, 3))]
                    merged.append(f"<<: {picked[0]}" if len(picked) == 1 and chance.random() < 0.5
                                  else f"<<: [{', '.join(picked)}]")
            chance.shuffle(merged)
            body = merged + entries if chance.random() < 0.6 else entries + merged
            anchor = f"a{index}"
            anchors.append(anchor)
            lines.append(f"m{index}: &{anchor} {{{', '.join(body)}}}")
        documents[f"doc{number}"] = "\n".join(lines) + "\n"
    return documents


def test_generated_merge_keys_merge_as_the_reference_merges_them(reference_python):
    """Hundreds of generated documents of merge keys, loaded by ours and by the reference's loader."""
    import json
    import subprocess

    documents = _merge_documents(seed=20261130, count=400)
    done = subprocess.run([str(reference_python), "-c", MERGES_BY_THE_REFERENCE], input=json.dumps(documents),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    differ = []
    for name, text in documents.items():
        value, problems = load(text)
        ours = json.loads(json.dumps(_as_pairs(value)))
        if ours != theirs[name] or problems:
            differ.append((text, ours, theirs[name], problems))
    assert not differ, differ[:2]
    # the generator does write lists of aliases and mappings with several merge keys
    assert any("<<: [" in text for text in documents.values())
    assert any(text.count("<<") > text.count("\n") for text in documents.values())
