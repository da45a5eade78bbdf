"""The schema check's fast path (resolver/schema.py `fast_checks`): the same verdict as jsonschema's
detailed path on every document; and its detailed errors worked out without jsonschema
(`own_faults`): the same problems as jsonschema's, and no jsonschema at all.

The whole corpus, with mutants, is `python -m tests.schema_equivalence`; here a sample of it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from resolver import schema
from resolver.load import load_yaml
from resolver.problems import Problems

from . import schema_checks, schema_equivalence
from .conftest import BASIC_TYPES, REPO, blueprint, write_tree
from .test_startup import imported_by


def verdicts(text: str, kind: str = schema.BLUEPRINT) -> tuple[bool, list[str]]:
    """The fast path's verdict on one YAML text, and the codes of the detailed path's problems."""
    doc = load_yaml(textwrap.dedent(text), "file.yaml", Problems())
    problems = Problems()
    schema.check_detailed(doc, kind, problems)
    return schema.fast_checks()[kind](doc), [problem.code for problem in problems]


OPERATION = "node_types:\n  T:\n    interfaces:\n      i:\n        op: {%s}\n"


@pytest.mark.parametrize("text, codes", [
    (OPERATION % "max_retries: 2", []),
    (OPERATION % "max_retries: 2.0", ["schema-wrong-type"]),  # a float is no integer, even 2.0
    (OPERATION % "max_retries: true", []),  # the schema admits booleans here
    (OPERATION % "max_retries: -7", []),  # minimum is for editors
    (OPERATION % "timeout: 2.5", []),
    (OPERATION % "timeout: '2'", ["schema-wrong-type"]),
    (OPERATION % "executor: nowhere", []),  # enum is for editors
    (OPERATION % "executor: 5", ["schema-wrong-type"]),
    ("node_templates:\n  n: {type: T, instances: {deploy: true}}\n", []),  # the schema admits booleans here too
    ("node_templates:\n  n: {type: T, instances: {deploy: 1.0}}\n", ["schema-wrong-type"]),
    ("node_templates:\n  n: {type: T, instances: {deploy: -1}}\n", []),
    ("node_templates:\n  n: {type: T, instances: {}}\n", ["schema-missing-key"]),
    ("inputs:\n  i: {type: textarea, display: {rows: false}}\n", []),  # a boolean is a number to the reference
    ("inputs:\n  i: {type: textarea, display: {rows: '2'}}\n", ["schema-wrong-type"]),
    ("node_templates:\n  n: {relationships: []}\n", []),  # `if` holds: no type needed
    ("node_templates:\n  n: {}\n", []),  # no name at all: `if` holds too
    ("node_templates:\n  n: {relationships: [], properties: {}}\n", ["schema-missing-key"]),
    ("node_templates:\n  n: {properties: {}}\n", ["schema-missing-key"]),
    ("node_templates:\n  n: {5: x}\n", ["schema-unknown-key", "schema-missing-key"]),
    ("node_templates:\n  n: ~\n", ["schema-wrong-type"]),
    ("node_templates:\n  5: {type: T}\n", ["schema-wrong-type"]),
    ("imports: [5, {a: 1, b: 2}]\ntosca_definitions_version: 13\n", []),  # the import walker's own
    ("imports: []\nbogus: 1\n", ["schema-unknown-key"]),
    ("outputs:\n  o: {value: ~}\n", ["schema-wrong-type"]),
    ("resource_tags: {a: [1, {b: c}]}\n", []),
    ("workflows:\n  w:\n    availability_rules: {node_instances_active: [some]}\n", []),
    ("workflows:\n  w:\n    availability_rules: {node_types_required: [5]}\n", ["schema-wrong-type"]),
    ("plugins:\n  p: {executor: host_agent, properties: {a: {value: [1]}, b: {colour: red}}}\n",
     ["schema-unknown-key"]),
])
def test_the_fast_verdict_is_the_detailed_paths(text, codes):
    clean, found = verdicts(text)
    assert sorted(found) == sorted(codes)
    assert clean == (not codes)


def test_the_plugin_schema_is_compiled_too():
    assert verdicts("plugins:\n  p: {executor: host_agent}\n", schema.PLUGIN) == (True, [])
    assert verdicts("node_templates: {}\n", schema.PLUGIN) == (False, ["schema-unknown-key"])


def test_check_reports_a_faulty_file_through_the_detailed_path():
    problems = Problems()
    schema.check(load_yaml("plugins:\n  p: {executor: host_agent, instal: false}\n", "f.yaml", Problems()),
                 schema.BLUEPRINT, problems)
    (problem,) = problems
    assert (problem.code, problem.line, problem.column) == ("schema-unknown-key", 2, 29)


def test_a_keyword_without_a_fast_check_stops_the_build():
    with pytest.raises(ValueError, match="pattern"):
        schema._Compiler({}).compile({"type": "string", "pattern": "^a"}, "x", full=False)
    with pytest.raises(ValueError, match="enum or const"):
        schema._Compiler({}).compile({"enum": [1, True]}, "x", full=True)


def test_a_recursive_reference_is_checked_at_every_depth():
    tree = {"$id": "https://resolver.invalid/tree.json", "type": "object",
            "properties": {"children": {"type": "array", "items": {"$ref": "#"}}},
            "additionalProperties": False}
    check = schema._Compiler({tree["$id"]: tree}).compile(tree, tree["$id"], full=False)
    assert check({"children": [{"children": []}, {}]})
    assert not check({"children": [{"children": [{"leaf": 1}]}]})
    assert not check({"children": [{"children": [5]}]})


def test_a_declared_entry_without_a_check_is_not_judged_as_an_undeclared_one():
    # additionalProperties applies to the names `properties` does not declare, whatever they say
    typed = {"$id": "https://resolver.invalid/typed.json", "type": "object",
             "properties": {"free": {}, "count": {"type": "integer"}}, "additionalProperties": {"type": "string"}}
    check = schema._Compiler({typed["$id"]: typed}).compile(typed, typed["$id"], full=False)
    assert check({"free": 1, "count": 2, "other": "x"})
    assert not check({"free": 1, "other": 3})
    assert not check({"count": "2"})


def test_a_closed_mapping_refuses_every_name_it_does_not_declare():
    # its keys are compared with the declared names one by one: a key of another class equals none
    empty = {"$id": "https://resolver.invalid/empty.json", "type": "object", "additionalProperties": False}
    check = schema._Compiler({empty["$id"]: empty}).compile(empty, empty["$id"], full=False)
    assert [check({}), check({"a": 1}), check({None: 1})] == [True, False, False]
    named = dict(empty, **{"$id": "https://resolver.invalid/named.json", "properties": {"1": {}, "a": {}}})
    check = schema._Compiler({named["$id"]: named}).compile(named, named["$id"], full=False)
    assert [check({"1": 0, "a": 0}), check({1: 0}), check({"a": 0, "b": 0}), check({True: 0})] == \
        [True, False, False, False]


def test_mappings_with_the_same_keys_are_judged_by_their_own_values():
    # a type test remembers the classes it admitted; the values, and the names check of keys
    # that are equal but of other classes (1 and True), are still judged each time
    closed = {"$id": "https://resolver.invalid/closed.json", "type": "object", "required": ["name"],
              "properties": {"name": {"type": "string"}, "count": {"type": "integer"}, "free": {}},
              "additionalProperties": False}
    check = schema._Compiler({closed["$id"]: closed}).compile(closed, closed["$id"], full=False)
    verdicts = [(value, check(value)) for value in (
        {"name": "a", "count": 1}, {"name": "a", "count": "1"}, {"name": 2, "count": 1}, {"count": 1},
        {"name": "a", "other": 1}, {"name": "a", "count": 1, "free": [1]}, {"free": 1, "name": "b"},
        {"name": "a", "count": 1})]
    assert [verdict for _, verdict in verdicts] == [True, False, False, False, False, True, True, True]
    numbered = {"$id": "https://resolver.invalid/numbered.json", "type": "object",
                "propertyNames": {"type": "integer"}}
    check = schema._Compiler({numbered["$id"]: numbered}).compile(numbered, numbered["$id"], full=False)
    assert [check({1: "x"}), check({True: "x"}), check({1.0: "x"}), check({1: "x"})] == [True, False, False, True]


def test_the_kept_checks_module_is_the_one_the_schemas_make_now():
    # after a schema edit: python -m tests.schema_checks --write
    assert schema_checks.main(["--check"]) == 0


def test_a_schema_file_other_than_the_kept_modules_is_compiled_as_read(tmp_path, monkeypatch):
    # the kept module is for the schemas it was made from: an edited file (here, the plugin YAML's
    # unknown keys allowed) is compiled from what it says, not judged by the kept checks
    edited = json.loads(Path(schema.schema_path(schema.PLUGIN)).read_text(encoding="utf-8"))
    edited["additionalProperties"] = True
    (tmp_path / "plugin.schema.json").write_text(json.dumps(edited), encoding="utf-8")
    shipped = schema.schema_path
    monkeypatch.setattr(schema, "schema_path",
                        lambda kind: tmp_path / "plugin.schema.json" if kind == schema.PLUGIN else shipped(kind))
    doc = load_yaml("plugins:\n  p: {executor: host_agent}\nnode_templates: {}\n", "file.yaml", Problems())
    schema.fast_checks.cache_clear()
    try:
        checks = schema.fast_checks()
        assert checks[schema.PLUGIN].__code__.co_filename == "<schema checks>"  # compiled here
        assert checks[schema.PLUGIN](doc)
        assert not checks[schema.BLUEPRINT](load_yaml("bogus: 1\n", "file.yaml", Problems()))
    finally:
        monkeypatch.undo()
        schema.fast_checks.cache_clear()
    assert not schema.fast_checks()[schema.PLUGIN](doc)
    assert schema.fast_checks()[schema.PLUGIN].__code__.co_filename.endswith("_schema_checks.py")


def test_a_resolve_imports_no_jsonschema_for_a_clean_blueprint_nor_a_faulty_one(tmp_path):
    write_tree(tmp_path, {"types.yaml": BASIC_TYPES,
                          "blueprint.yaml": blueprint("node_templates:\n  vm: {type: cloudify.nodes.Compute}\n"),
                          "broken.yaml": blueprint("node_templates:\n  vm: {type: cloudify.nodes.Compute, x: 1}\n")})
    code = f"import resolver\nprint([p.code for p in resolver.resolve({str(tmp_path / '%s')!r}).problems])\n"
    out, modules = imported_by(code % "blueprint.yaml")
    assert out == "[]\n"
    assert not modules & {"jsonschema", "referencing"}
    out, modules = imported_by(code % "broken.yaml")
    assert out == "['schema-unknown-key']\n"
    assert not modules & {"jsonschema", "referencing"}  # its errors worked out as jsonschema's (own_faults)


def test_own_faults_walks_the_schemas_jsonschema_validates_against():
    # the $refs inlined without referencing, as validators() inlines them with it
    for kind, validator in schema.validators().items():
        assert schema.own_faults()[kind] is not None, kind
        assert schema.own_faults()[kind].args[0] == validator.schema, kind


def test_the_schemas_are_found_in_the_checkout_without_asking_the_installed_distribution(monkeypatch):
    import importlib.metadata

    def refused(_name):
        raise AssertionError("the distribution's RECORD was read")

    monkeypatch.setattr(importlib.metadata, "files", refused)
    assert schema.schema_path(schema.PLUGIN) == str(REPO / "schemas" / "plugin.schema.json")


def test_an_installation_without_a_checkout_reads_the_installed_schemas(tmp_path):
    # `pip install --target DIR` lays the package beside share/resolver/schemas
    shutil.copytree(REPO / "resolver", tmp_path / "resolver", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "schemas", tmp_path / "share" / "resolver" / "schemas")
    code = textwrap.dedent("""
        from resolver import schema
        from resolver.load import load_yaml
        from resolver.problems import Problems
        problems = Problems()
        schema.check(load_yaml("inputs: {i: {colour: red}}\\n", "f.yaml", Problems()), schema.BLUEPRINT, problems)
        print(schema.schema_path(schema.BLUEPRINT))
        print([p.code for p in problems])
        """)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.stdout.splitlines() == [str(tmp_path / "share" / "resolver" / "schemas" / "blueprint.schema.json"),
                                        "['schema-unknown-key']"], done.stderr


# --- the corpus -------------------------------------------------------------------------------

needs_corpus = pytest.mark.skipif(not (schema_equivalence.CORPUS / "MANIFEST.tsv").is_file(),
                                  reason="no shared corpus beside the checkout")


@pytest.fixture(scope="module")
def corpus_sample():
    """The files checked while resolving every 60th corpus row (about 20 blueprints)."""
    return schema_equivalence.corpus_documents(stride=60)


@needs_corpus
def test_the_paths_agree_on_a_sample_of_the_corpus_as_read(corpus_sample):
    kinds = {kind for _, _, kind in corpus_sample}
    assert kinds == {schema.BLUEPRINT, schema.PLUGIN}
    for shown, doc, kind in corpus_sample:
        fast, detailed = schema_equivalence.agree(doc, kind)
        assert fast == detailed, shown


MUTATION = st.tuples(st.integers(0, 1 << 16), st.sampled_from(schema_equivalence.MUTATIONS),
                     st.integers(0, len(schema_equivalence.JUNK) - 1), st.integers(0, 1 << 16))


@needs_corpus
@settings(max_examples=150, deadline=None)
@given(data=st.data(), choices=st.lists(MUTATION, min_size=1, max_size=4))
def test_the_paths_agree_on_mutants_of_the_corpus(corpus_sample, data, choices):
    shown, doc, kind = corpus_sample[data.draw(st.integers(0, len(corpus_sample) - 1), label="file")]
    fast, detailed = schema_equivalence.agree(schema_equivalence.mutate(doc, choices), kind)
    assert fast == detailed, (shown, choices)


@needs_corpus
def test_check_reports_what_jsonschema_reports_on_a_sample_of_the_corpus_as_read(corpus_sample):
    for shown, doc, kind in corpus_sample:
        assert schema_equivalence.same_problems(doc, kind), shown


@needs_corpus
@settings(max_examples=150, deadline=None)
@given(data=st.data(), choices=st.lists(MUTATION, min_size=1, max_size=4))
def test_check_reports_what_jsonschema_reports_on_mutants_of_the_corpus(corpus_sample, data, choices):
    # problem for problem and in order: Problems keeps the first schema problem at a position
    shown, doc, kind = corpus_sample[data.draw(st.integers(0, len(corpus_sample) - 1), label="file")]
    assert schema_equivalence.same_problems(schema_equivalence.mutate(doc, choices), kind), (shown, choices)
