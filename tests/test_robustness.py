"""Hostile and broken input: always problems with codes, never a traceback or a hang."""
from __future__ import annotations

import copy
import random
import shutil
from pathlib import Path

import pytest
import yaml

from resolver import Resolver

EXAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "example"


def _resolve_text(tmp_path: Path, text: str):
    path = tmp_path / "blueprint.yaml"
    path.write_text(text, encoding="utf-8")
    return Resolver(registries=[EXAMPLE / "registry"]).resolve(path)


HOSTILE = {
    "deep-nesting": "tosca_definitions_version: cloudify_dsl_1_3\nnode_templates: " + "[" * 5000 + "]" * 5000,
    "alias-bomb": "tosca_definitions_version: cloudify_dsl_1_3\n"
                  "a: &a [x, x, x, x, x, x, x, x, x]\n"
                  + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                            for p, c in zip("abcdefgh", "bcdefghi"))
                  + "node_templates: *i\n",
    "tab-indent": "tosca_definitions_version: cloudify_dsl_1_3\nnode_templates:\n\tvm: {}\n",
    "binary-junk": "\x00\x01\x02tosca: [",
    "scalar-document": "just a string",
    "list-document": "- a\n- b\n",
    "non-ascii": "tosca_definitions_version: cloudify_dsl_1_3\ndescription: caf\u00e9\n",
    "null-sections": "tosca_definitions_version: cloudify_dsl_1_3\nimports:\nnode_types:\nplugins:\n"
                     "node_templates:\nworkflows:\n",
    # found by make fuzz: a group member that is a mapping once reached a dict lookup unhashed
    "group-member-mapping": "tosca_definitions_version: cloudify_dsl_1_4\nnode_types:\n  x: {}\n"
                            "node_templates:\n  a: {type: x}\ngroups:\n  g:\n    members: [{x: 1}]\n",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_gives_problems_not_tracebacks(tmp_path, case):
    result = _resolve_text(tmp_path, HOSTILE[case])
    codes = {p.code for p in result.problems}
    assert "internal-error" not in codes
    assert not result.ok
    assert result.plan is None
    assert all(p.code for p in result.problems if p.is_error)


def test_null_sections_are_refused_where_the_reference_fails_and_empty_elsewhere(tmp_path):
    # the reference fails (uncoded TypeError/ValueError) on empty imports, node_types and plugins:
    # refused with section-null at each key; the other empty sections are empty
    result = _resolve_text(tmp_path, HOSTILE["null-sections"])
    assert sorted((p.code, p.line) for p in result.problems) == [
        ("section-null", 2), ("section-null", 3), ("section-null", 4)]
    fine = _resolve_text(tmp_path, "tosca_definitions_version: cloudify_dsl_1_3\nnode_templates:\nworkflows:\n"
                                   "relationships:\ninputs:\noutputs:\n")
    assert fine.ok and fine.plan["nodes"] == []


def _mutations(doc, rnd: random.Random, count: int):
    spots = []

    def walk(value, depth):
        if depth > 6:
            return
        if isinstance(value, dict):
            for key in list(value):
                spots.append((value, key))
                walk(value[key], depth + 1)
        elif isinstance(value, list):
            for index in range(len(value)):
                spots.append((value, index))
                walk(value[index], depth + 1)

    walk(doc, 0)
    for _ in range(count):
        container, key = rnd.choice(spots)
        container[key] = rnd.choice([5, None, "x", [], {}, {"a": 1}, [1, 2], True, "plugin:nope",
                                     {"get_input": "zz"}, "a.b.c", "scripts/none.sh"])
    return doc


@pytest.mark.parametrize("seed", range(40))
def test_random_breakage_of_the_example_is_reported_not_raised(tmp_path, seed):
    original = yaml.safe_load((EXAMPLE / "blueprint.yaml").read_text())
    broken = _mutations(copy.deepcopy(original), random.Random(seed), 3)
    for item in ("types", "scripts"):
        # copied, not linked: a link to outside the blueprint's folder is refused (import-outside-root)
        shutil.copytree(EXAMPLE / item, tmp_path / item)
    result = _resolve_text(tmp_path, yaml.safe_dump(broken))
    codes = [p.code for p in result.problems]
    assert "internal-error" not in codes, [p.message for p in result.problems if p.code == "internal-error"]
    assert "import-outside-root" not in codes
    if not result.ok:
        assert any(p.is_error and p.code for p in result.problems)
        assert result.plan is None


@pytest.mark.parametrize("section, name", [("relationships", "my.rel"), ("node_types", "t")])
def test_an_empty_type_definition_is_refused_not_a_crash(tmp_path, section, name):
    # found by make fuzz (an internal error); the reference fails on it too (an uncoded KeyError)
    text = (f"tosca_definitions_version: cloudify_dsl_1_3\n{section}:\n  {name}:\n"
            "node_types:\n  x: {}\nnode_templates:\n  a: {type: x}\n" if section == "relationships" else
            f"tosca_definitions_version: cloudify_dsl_1_3\n{section}:\n  {name}:\n"
            "node_templates:\n  a: {type: t}\n")
    result = _resolve_text(tmp_path, text)
    assert [(p.code, p.line) for p in result.problems if p.is_error] == [("schema-wrong-type", 3)]


@pytest.mark.parametrize("members", ["ab", "{a: 1, b: 2}", "[[a], {b: 1}]"])
def test_names_of_the_wrong_shape_are_the_schema_check_s_alone(tmp_path, members):
    """Group members and policy targets that are not names (a string for the list, a mapping, a
    nested list) are reported by the schema check, at the value, and by no group or policy check:
    those never read a string's letters or a mapping's keys as members (checks/shapes.py)."""
    text = ("tosca_definitions_version: cloudify_dsl_1_4\nnode_types:\n  x: {}\n"
            "node_templates:\n  a: {type: x}\n  b: {type: x}\n"
            f"groups:\n  g:\n    members: {members}\n  h:\n    members: {members}\n"
            "policies:\n  p:\n    type: cloudify.policies.scaling\n    targets: [g, h, [g]]\n")
    result = _resolve_text(tmp_path, text)
    errors = [(p.code, p.line) for p in result.problems if p.is_error]
    assert "internal-error" not in {code for code, _ in errors}
    assert not [code for code, _ in errors if code.startswith(("group-", "policy-"))], errors
    assert ("schema-wrong-type", 15) in errors  # the nested target
    assert {line for code, line in errors if code == "schema-wrong-type"} >= {9, 11}


SHAPED = ("tosca_definitions_version: cloudify_dsl_1_4\n"
          "inputs:\n  j: {type: list, item_type: ITEM}\n"
          "node_types:\n  x: {}\nnode_templates:\n  a: {type: x}\n"
          "groups:\n  g:\n    members: [a]\n    policies:\n      p:\n        type: POLICY\n"
          "        triggers:\n          t: {type: TRIGGER}\n"
          "policy_types:\n  pt: {source: s}\npolicy_triggers:\n  tt: {source: s}\n")


@pytest.mark.parametrize("spot", ["ITEM", "POLICY", "TRIGGER"])
@pytest.mark.parametrize("shape", ["{a: 1}", "[a]"])
def test_a_mapping_or_list_where_a_type_name_belongs_is_reported_not_looked_up(tmp_path, spot, shape):
    """Found by the exhaustive shape sweep: a group policy's or trigger's type, or an item_type,
    written as a mapping or a list reached a set or dict lookup unhashed."""
    text = SHAPED.replace(spot, shape)
    for name, value in (("ITEM", "string"), ("POLICY", "pt"), ("TRIGGER", "tt")):
        text = text.replace(name, value)
    result = _resolve_text(tmp_path, text)
    codes = [p.code for p in result.problems if p.is_error]
    assert "internal-error" not in codes
    assert not result.ok and codes


def test_every_spot_of_a_blueprint_of_every_section_in_every_wrong_shape(tmp_path):
    """The shape sweep (tests/shape_sweep.py) over a blueprint that uses every section: each key's
    value and each item replaced in turn by a mapping, a list, a number, null, a string, a nested
    list and a function call; none may give an exception or an internal error."""
    from .shape_sweep import SWAPS, spots, sweep

    blueprint_path = EXAMPLE.parent / "shapes" / "every-section.yaml"
    count, faults = sweep(blueprint_path, Resolver(), folder=tmp_path)
    document = yaml.safe_load(blueprint_path.read_text(encoding="utf-8"))
    assert count == len(list(spots(document))) * len(SWAPS) > 1000
    assert faults == {}
