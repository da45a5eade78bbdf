"""Stage 3, merge: namespaces applied to a file, sections combined, conflicts with positions.

References: SPEC §2.7, §2.11 and §11 A8-A12.
"""
from __future__ import annotations

import re

import pytest

from resolver.load import load_yaml
from resolver.namespaces import apply_namespace
from resolver.problems import Problems

from .conftest import blueprint, node, only, places


def ops(plan, node_id):
    return node(plan, node_id)["operations"]


# --- apply_namespace --------------------------------------------------------------------------

NAMESPACED_SOURCE = """\
inputs:
  size: {default: 1}
plugins:
  p: {executor: central_deployment_agent, install: false}
data_types:
  D:
    properties:
      a: {type: string}
node_types:
  T:
    derived_from: cloudify.nodes.Root
    properties:
      conf: {type: D}
      count: {type: integer}
      other: {type: cloudify.datatypes.Thing}
    interfaces:
      cloudify.interfaces.lifecycle:
        create: p.tasks.create
        start: {implementation: scripts/start.sh, inputs: {n: {get_input: size}}}
  cloudify.nodes.Special:
    derived_from: cloudify.nodes.Root
node_templates:
  one:
    type: T
    properties:
      count: {get_input: size}
      conf: {get_property: [two, x]}
      self_ref: {get_attribute: [SELF, ip]}
    relationships:
      - type: cloudify.relationships.depends_on
        target: two
      - type: my_rel
        target: two
  two:
    type: cloudify.nodes.Special
workflows:
  w1: p.wf.run
  w2: {mapping: p.wf.other}
"""


@pytest.fixture
def namespaced():
    doc = load_yaml(NAMESPACED_SOURCE, "lib.yaml", Problems())
    return apply_namespace(doc, "ns")


def test_definitions_are_prefixed_except_cloudify_names(namespaced):
    assert list(namespaced["inputs"]) == ["ns--size"]
    assert list(namespaced["plugins"]) == ["ns--p"]
    assert list(namespaced["data_types"]) == ["ns--D"]
    assert list(namespaced["node_types"]) == ["ns--T", "cloudify.nodes.Special"]
    assert list(namespaced["node_templates"]) == ["ns--one", "ns--two"]
    assert list(namespaced["workflows"]) == ["ns--w1", "ns--w2"]


def test_references_inside_the_file_are_prefixed(namespaced):
    thing = namespaced["node_types"]["ns--T"]
    assert thing["derived_from"] == "cloudify.nodes.Root"
    # property names stay; data type names are prefixed, primitives and cloudify. names are not
    assert thing["properties"]["conf"]["type"] == "ns--D"
    assert thing["properties"]["count"]["type"] == "integer"
    assert thing["properties"]["other"]["type"] == "cloudify.datatypes.Thing"
    lifecycle = thing["interfaces"]["cloudify.interfaces.lifecycle"]
    assert lifecycle["create"] == "ns--p.tasks.create"
    assert lifecycle["start"]["implementation"] == "ns--scripts/start.sh"
    # operation inputs keep their names; get_input names are prefixed
    assert lifecycle["start"]["inputs"] == {"n": {"get_input": "ns--size"}}


def test_template_references_are_prefixed(namespaced):
    one = namespaced["node_templates"]["ns--one"]
    assert one["type"] == "ns--T"
    assert one["properties"]["count"] == {"get_input": "ns--size"}
    assert one["properties"]["conf"] == {"get_property": ["ns--two", "x"]}
    assert one["properties"]["self_ref"] == {"get_attribute": ["SELF", "ip"]}
    assert [(r["type"], r["target"]) for r in one["relationships"]] == [
        ("cloudify.relationships.depends_on", "ns--two"), ("ns--my_rel", "ns--two")]
    assert namespaced["node_templates"]["ns--two"]["type"] == "cloudify.nodes.Special"


def test_workflow_mappings_are_prefixed(namespaced):
    assert namespaced["workflows"]["ns--w1"] == "ns--p.wf.run"
    assert namespaced["workflows"]["ns--w2"]["mapping"] == "ns--p.wf.other"


def test_renamed_entries_keep_their_positions(namespaced):
    assert namespaced["node_types"].key_mark("ns--T").line == 10
    assert namespaced["node_templates"]["ns--one"]["relationships"].item_mark(1).line == 32


def test_what_holds_no_function_is_shared_with_the_source_and_the_rest_is_new():
    source = load_yaml(NAMESPACED_SOURCE + "outputs:\n  o: {value: [1, {get_input: size}], description: [x]}\n",
                       "lib.yaml", Problems())
    namespaced = apply_namespace(source, "ns")
    # a parsed value is never changed: what namespacing leaves as it is stays the source's own
    output, source_output = namespaced["outputs"]["ns--o"], source["outputs"]["o"]
    assert output["description"] is source_output["description"]
    assert output["value"] is not source_output["value"] and output["value"][1] == {"get_input": "ns--size"}
    assert source_output["value"][1] == {"get_input": "size"} and output["value"].item_mark(1) == source_output["value"].item_mark(1)
    props = namespaced["node_templates"]["ns--one"]["properties"]
    assert props["count"] == {"get_input": "ns--size"} and props is not source["node_templates"]["one"]["properties"]


# --- sections across files --------------------------------------------------------------------


def test_a8_inputs_in_two_files_below_1_3(bp):
    result = bp({"blueprint.yaml": blueprint("inputs:\n  a: {}\n", "i.yaml", version="cloudify_dsl_1_2"),
                 "i.yaml": "inputs:\n  b: {}\n"})
    assert places(result, bp.root) == [("import-not-mergeable", "i.yaml", 1, 1)]


@pytest.mark.parametrize("section", ["inputs", "outputs", "node_templates", "capabilities"])
def test_a8_mergeable_from_1_3_but_not_below(bp, section):
    bodies = {"inputs": ("a: {}", "b: {}"),
              "outputs": ("a: {value: 1}", "b: {value: 2}"),
              "node_templates": ("a: {type: cloudify.nodes.Root}", "b: {type: cloudify.nodes.Root}"),
              "capabilities": ("a: {value: 1}", "b: {value: 2}")}[section]
    files = {"blueprint.yaml": blueprint(f"{section}:\n  {bodies[0]}\n", "i.yaml", version="cloudify_dsl_1_3"),
             "i.yaml": f"{section}:\n  {bodies[1]}\n"}
    assert bp(files).ok
    files["blueprint.yaml"] = files["blueprint.yaml"].replace("cloudify_dsl_1_3", "cloudify_dsl_1_2")
    assert places(bp(files), bp.root) == [("import-not-mergeable", "i.yaml", 1, 1)]


def test_a_section_in_only_one_file_is_fine_below_1_3(bp):
    result = bp({"blueprint.yaml": blueprint("", "i.yaml", version="cloudify_dsl_1_2"),
                 "i.yaml": "inputs:\n  b: {}\n"})
    assert result.ok, result.problems


def test_a9_deployment_settings_in_two_files(bp):
    result = bp({"blueprint.yaml": blueprint("deployment_settings: {}\n", "i.yaml"),
                 "i.yaml": "deployment_settings: {}\n"})
    assert places(result, bp.root) == [("import-not-mergeable", "i.yaml", 1, 1)]


def test_a10_the_same_type_in_two_files_conflicts_even_when_identical(bp):
    same = "node_types:\n  my.T:\n    derived_from: cloudify.nodes.Root\n"
    result = bp({"blueprint.yaml": blueprint("", "one.yaml", "two.yaml"), "one.yaml": same, "two.yaml": same})
    assert places(result, bp.root) == [("merge-conflict", "two.yaml", 2, 3)]
    # the first definition's position travels with the problem
    assert re.search(r"one\.yaml:2:3", only(result, "merge-conflict").message)


@pytest.mark.parametrize("section, entry", [
    ("plugins", "p: {executor: central_deployment_agent, install: false}"),
    ("relationships", "my.rel: {}"),
    ("data_types", "my.D: {}"),
    ("inputs", "i: {}"),
])
def test_the_same_name_in_two_files_conflicts(bp, section, entry):
    result = bp({"blueprint.yaml": blueprint(f"{section}:\n  {entry}\n", "i.yaml"),
                 "i.yaml": f"{section}:\n  {entry}\n"})
    assert places(result, bp.root) == [("merge-conflict", "i.yaml", 2, 3)]


CUSTOM_MAIN = """\
plugins:
  p: {executor: central_deployment_agent, install: false}
node_types:
  cloudify.nodes.Custom:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: p.main.create
node_templates:
  n: {type: cloudify.nodes.Custom}
"""

CUSTOM_IMPORT = """\
node_types:
  cloudify.nodes.Custom:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: p.imported.create
"""


def test_a11_a_cloudify_type_from_an_import_replaces_the_main_definition(bp):
    result = bp({"blueprint.yaml": blueprint(CUSTOM_MAIN, "custom.yaml"), "custom.yaml": CUSTOM_IMPORT})
    assert result.ok
    assert ops(result.plan, "n")["cloudify.interfaces.lifecycle.create"]["operation"] == "imported.create"
    # the project reports what the reference does silently, as a warning
    assert places(result, bp.root) == [("type-shadowed", "custom.yaml", 2, 3)]
    assert only(result, "type-shadowed").severity == "warning"


def test_the_basic_types_replace_a_cloudify_type_silently(bp):
    result = bp({"blueprint.yaml": blueprint("""\
        node_types:
          cloudify.nodes.WebServer:
            derived_from: cloudify.nodes.Root
        node_templates:
          web: {type: cloudify.nodes.WebServer}
        """)})
    assert result.ok and result.problems == ()
    assert node(result.plan, "web")["type_hierarchy"] == [
        "cloudify.nodes.Root", "cloudify.nodes.SoftwareComponent", "cloudify.nodes.WebServer"]


def test_a_top_level_key_outside_the_schema(bp):
    result = bp({"blueprint.yaml": blueprint("foo: bar\n")})
    assert places(result, bp.root) == [("schema-unknown-key", "blueprint.yaml", 4, 1)]


def test_a_section_that_is_not_a_mapping(bp):
    result = bp({"blueprint.yaml": blueprint("node_types: [a, b]\n")})
    assert places(result, bp.root) == [("schema-wrong-type", "blueprint.yaml", 4, 13)]


# --- node templates across files (A12) --------------------------------------------------------

DBS = """\
node_templates:
  db:
    type: cloudify.nodes.Root
  db2:
    type: cloudify.nodes.Root
"""


def rels(plan, node_id):
    return [(r["type"], r["target_id"]) for r in node(plan, node_id)["relationships"]]


def test_a12_an_import_adds_relationships_to_a_main_template(bp):
    result = bp({
        "blueprint.yaml": blueprint(DBS + (
            "  app:\n"
            "    type: cloudify.nodes.Root\n"
            "    relationships:\n"
            "      - {type: cloudify.relationships.depends_on, target: db2}\n"), "more.yaml",
            version="cloudify_dsl_1_3"),
        "more.yaml": """\
            node_templates:
              app:
                relationships:
                  - {type: cloudify.relationships.connected_to, target: db}
            """,
    })
    assert result.ok, result.problems
    assert rels(result.plan, "app") == [("cloudify.relationships.depends_on", "db2"),
                                        ("cloudify.relationships.connected_to", "db")]


def test_a12_relationships_first_then_the_type_from_an_import(bp):
    result = bp({
        "blueprint.yaml": blueprint(DBS + (
            "  app:\n"
            "    relationships:\n"
            "      - {type: cloudify.relationships.depends_on, target: db2}\n"), "more.yaml"),
        "more.yaml": """\
            node_templates:
              app:
                type: cloudify.nodes.WebServer
                relationships:
                  - {type: cloudify.relationships.connected_to, target: db}
            """,
    })
    assert result.ok, result.problems
    assert node(result.plan, "app")["type"] == "cloudify.nodes.WebServer"
    assert rels(result.plan, "app") == [("cloudify.relationships.depends_on", "db2"),
                                        ("cloudify.relationships.connected_to", "db")]


def test_two_full_templates_of_one_name_conflict(bp):
    result = bp({
        "blueprint.yaml": blueprint("node_templates:\n  app: {type: cloudify.nodes.Root}\n", "more.yaml"),
        "more.yaml": "node_templates:\n  app: {type: cloudify.nodes.Root}\n",
    })
    assert places(result, bp.root) == [("merge-conflict", "more.yaml", 2, 3)]


# --- workflows across files -------------------------------------------------------------------


def test_workflows_merge_field_by_field_and_the_earlier_file_wins(bp):
    result = bp({
        "blueprint.yaml": blueprint("""\
            plugins:
              p: {executor: central_deployment_agent, install: false}
            workflows:
              w:
                mapping: p.main.run
            """, "more.yaml"),
        "more.yaml": """\
            workflows:
              w:
                mapping: p.imported.run
                parameters:
                  level: {default: 3}
            """,
    })
    assert result.ok, result.problems
    workflow = result.plan["workflows"]["w"]
    assert (workflow["plugin"], workflow["operation"]) == ("p", "main.run")
    assert workflow["parameters"] == {"level": {"default": 3}}


def test_string_workflows_in_two_files_conflict(bp):
    result = bp({
        "blueprint.yaml": blueprint("workflows:\n  w: default_workflows.a\n", "more.yaml"),
        "more.yaml": "workflows:\n  w: default_workflows.b\n",
    })
    assert places(result, bp.root) == [("merge-conflict", "more.yaml", 2, 3)]


def test_each_entry_is_known_by_its_file_with_or_without_pieces():
    # a section of new names only is kept as its files' pieces, whose origins are read off them
    # when asked; one where a file replaces an entry records each entry's file as it is merged
    from resolver.imports import SourceFile
    from resolver.merge import merge

    def source(name: str, text: str) -> SourceFile:
        return SourceFile(identity=name, shown=name, namespace=None, doc=load_yaml(text, name, Problems()), via=name,
                          resolved=name)

    main = source("main.yaml", "node_types:\n  a: {}\ndata_types:\n  d: {}\n")
    first = source("first.yaml", "node_types:\n  b: {}\n  c: {}\ndata_types:\n  cloudify.e: {}\n")
    second = source("second.yaml", "node_types:\n  x: {}\ndata_types:\n  cloudify.e: {}\n  f: {}\n")
    merged = merge([main, first, second], "cloudify_dsl_1_4", Problems(), {})
    assert merged.pieces["node_types"] is not None and merged.pieces["data_types"] is None
    assert {name: origin.shown for name, origin in merged.origins_of("node_types").items()} == {
        "a": "main.yaml", "b": "first.yaml", "c": "first.yaml", "x": "second.yaml"}
    assert {name: origin.shown for name, origin in merged.origins_of("data_types").items()} == {
        "d": "main.yaml", "cloudify.e": "second.yaml", "f": "second.yaml"}
    assert merged.origin("node_types", "c") is first and merged.origin("policies", "p") is None
