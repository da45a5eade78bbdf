"""Node templates: types, properties, relationships, hosts, plugin lists, plugins, gates, graph.

References: SPEC §1.3, §3, §4, §5.6 and §11 B1-B2, C9.
"""
from __future__ import annotations

import textwrap

import pytest

from resolver import Options, Resolver

from .conftest import blueprint, node, only, places, plugin_names


def nodes_of(body: str, version: str = "cloudify_dsl_1_4") -> dict:
    return {"blueprint.yaml": blueprint(body, version=version)}


# --- node types -------------------------------------------------------------------------------


def test_an_undefined_node_type(bp):
    result = bp(nodes_of("node_templates:\n  n:\n    type: cloudify.nodes.Nope\n"))
    assert places(result, bp.root) == [("node-type-unknown", "blueprint.yaml", 6, 11)]
    assert result.plan is None


def test_a_template_without_a_type(bp):
    result = bp(nodes_of("node_templates:\n  n:\n    properties: {}\n"))
    assert places(result, bp.root) == [("schema-missing-key", "blueprint.yaml", 5, 3)]


def test_an_unknown_template_key(bp):
    result = bp(nodes_of("node_templates:\n  n:\n    type: cloudify.nodes.Root\n    colour: red\n"))
    assert places(result, bp.root) == [("schema-unknown-key", "blueprint.yaml", 7, 5)]


def test_an_undefined_parent_type(bp):
    result = bp(nodes_of("node_types:\n  T:\n    derived_from: Nope\n"))
    assert places(result, bp.root) == [("type-parent-unknown", "blueprint.yaml", 6, 19)]


def test_a_derivation_cycle(bp):
    result = bp(nodes_of("node_types:\n  A:\n    derived_from: B\n  B:\n    derived_from: A\n"))
    assert [p.code for p in result.problems] == ["cycle"]
    assert places(result, bp.root)[0][1:3] in (("blueprint.yaml", 6), ("blueprint.yaml", 8))


def test_type_hierarchy_runs_from_the_root(bp):
    result = bp(nodes_of("node_templates:\n  web: {type: cloudify.nodes.WebServer}\n"))
    assert node(result.plan, "web")["type_hierarchy"] == [
        "cloudify.nodes.Root", "cloudify.nodes.SoftwareComponent", "cloudify.nodes.WebServer"]


def test_a_root_less_relationship_type_is_accepted(bp):
    result = bp(nodes_of("""\
        relationships:
          Free: {}
        node_templates:
          a: {type: cloudify.nodes.Root}
          b:
            type: cloudify.nodes.Root
            relationships:
              - {type: Free, target: a}
        """))
    assert result.ok, result.problems
    assert node(result.plan, "b")["relationships"][0]["type_hierarchy"] == ["Free"]


# --- properties -------------------------------------------------------------------------------

PROPERTY_TYPES = """\
data_types:
  Endpoint:
    properties:
      host: {type: string}
      port: {type: integer, default: 80}
node_types:
  T:
    derived_from: cloudify.nodes.Root
    properties:
      size: {type: integer}
      name: {type: string, default: x}
      optional: {type: string, required: false}
      endpoint: {type: Endpoint}
"""


def typed(template_properties: str) -> dict:
    body = PROPERTY_TYPES + "node_templates:\n  n:\n    type: T\n    properties:\n" + textwrap.indent(
        textwrap.dedent(template_properties), "      ")
    return nodes_of(body)


def test_valid_properties(bp):
    result = bp(typed("size: 3\nendpoint: {host: h}\n"))
    assert result.ok, result.problems


def test_an_unknown_property(bp):
    result = bp(typed("size: 3\nendpoint: {host: h}\ncolour: red\n"))
    assert places(result, bp.root) == [("property-unknown", "blueprint.yaml", 23, 7)]


def test_a_missing_mandatory_property(bp):
    result = bp(typed("endpoint: {host: h}\n"))
    assert [p.code for p in result.problems] == ["property-missing"]
    # at the template's properties key
    assert places(result, bp.root)[0][1:] == ("blueprint.yaml", 20, 5)


@pytest.mark.parametrize("value, column", [("three", 13), ("'3'", 13), ("true", 13), ("1.5", 13)])
def test_a_value_of_the_wrong_type(bp, value, column):
    result = bp(typed(f"size: {value}\nendpoint: {{host: h}}\n"))
    assert places(result, bp.root) == [("property-type-mismatch", "blueprint.yaml", 21, column)]


def test_functions_are_accepted_for_any_type(bp):
    result = bp(typed("size: {get_secret: s}\nendpoint: {get_secret: e}\n"))
    assert result.ok, result.problems


def test_data_type_values_are_checked_inside(bp):
    result = bp(typed("size: 1\nendpoint: {port: http, extra: 1}\n"))
    assert sorted(places(result, bp.root)) == [
        ("property-missing", "blueprint.yaml", 22, 17),
        ("property-type-mismatch", "blueprint.yaml", 22, 24),
        ("property-unknown", "blueprint.yaml", 22, 30),
    ]


EXTERNAL = """\
node_types:
  T:
    derived_from: cloudify.nodes.Root
    properties:
      use_external_resource: {default: false}
      resource_id: {type: string}
      size: {type: integer}
inputs:
  ext: {default: true}
node_templates:
  n:
    type: T
    properties:
"""


@pytest.mark.parametrize("value, expected", [
    ("true", []),
    ("false", [("property-missing", "blueprint.yaml", 16, 5), ("property-missing", "blueprint.yaml", 16, 5)]),
    ("{get_input: ext}", [("external-resource-function", "blueprint.yaml", 17, 30)]),
])
def test_use_external_resource_makes_every_property_optional(bp, value, expected):
    result = bp(nodes_of(EXTERNAL + f"      use_external_resource: {value}\n"))
    assert places(result, bp.root) == expected


def test_a_sub_type_property_schema_replaces_the_parent_one(bp):
    result = bp(nodes_of("""\
        node_types:
          Base:
            derived_from: cloudify.nodes.Root
            properties:
              x: {type: integer, description: a number}
          Derived:
            derived_from: Base
            properties:
              x: {default: 1}
        node_templates:
          base: {type: Base, properties: {x: not-a-number}}
          derived: {type: Derived, properties: {x: not-a-number}}
        """))
    # only the template of Base still has a typed x
    assert places(result, bp.root) == [("property-type-mismatch", "blueprint.yaml", 14, 38)]


def test_data_type_defaults_are_deep_merged_down_the_hierarchy(bp):
    body = """\
        data_types:
          Pair:
            properties:
              a: {type: integer}
              b: {type: integer}
        node_types:
          Base:
            derived_from: cloudify.nodes.Root
            properties:
              pair: {type: Pair, default: {a: 10}}
          Derived:
            derived_from: Base
            properties:
              pair: {type: Pair, default: {b: 20}}
        node_templates:
          n: {type: Derived}
        """
    assert bp(nodes_of(body)).ok
    result = bp(nodes_of(body.replace("n: {type: Derived}", "n: {type: Base}")))
    assert [p.code for p in result.problems] == ["property-missing"]


def test_templates_giving_no_properties_are_each_reported(bp):
    # what a type's schema alone yields is built once and shared, but only when it reports nothing
    result = bp(nodes_of("""\
        node_types:
          T:
            derived_from: cloudify.nodes.Root
            properties:
              size: {type: integer}
              colour: {type: string, default: red}
        node_templates:
          one: {type: T}
          two: {type: T}
        """))
    assert [(p.code, p.line) for p in result.problems] == [("property-missing", 11), ("property-missing", 12)]


def test_an_illegal_property_type_name(bp):
    result = bp(nodes_of("node_types:\n  T:\n    properties:\n      p: {type: strnig}\n"))
    assert places(result, bp.root) == [("type-name-illegal", "blueprint.yaml", 7, 17)]


def test_a_data_type_named_like_a_primitive(bp):
    result = bp(nodes_of("data_types:\n  string:\n    properties: {}\n"))
    assert places(result, bp.root) == [("primitive-redefined", "blueprint.yaml", 5, 3)]


def test_an_input_default_violating_a_constraint(bp):
    result = bp(nodes_of("inputs:\n  port:\n    type: integer\n    default: 80\n    constraints:\n"
                         "      - in_range: [1024, 65535]\n"))
    assert places(result, bp.root) == [("input-constraint-violated", "blueprint.yaml", 7, 14)]


# --- relationships ----------------------------------------------------------------------------


def related(relationships: str) -> dict:
    return nodes_of("node_templates:\n  a: {type: cloudify.nodes.Root}\n  b: {type: cloudify.nodes.Compute}\n"
                    "  n:\n    type: cloudify.nodes.Root\n    relationships:\n"
                    + textwrap.indent(textwrap.dedent(relationships), "      "))


@pytest.mark.parametrize("relationships, expected", [
    ("- {type: cloudify.relationships.nope, target: a}\n", ("relationship-type-unknown", 10, 16)),
    ("- {type: cloudify.relationships.depends_on, target: zz}\n", ("relationship-target-unknown", 10, 59)),
    ("- {type: cloudify.relationships.depends_on, target: n}\n", ("relationship-self-target", 10, 59)),
    ("- {type: cloudify.relationships.depends_on}\n", ("schema-missing-key", 10, 9)),
    ("- just-a-string\n", ("schema-wrong-type", 10, 9)),
    ("- {type: cloudify.relationships.contained_in, target: a}\n"
     "- {type: cloudify.relationships.contained_in, target: b}\n", ("contained-in-multiple", 7, 3)),
], ids=["type-unknown", "target-unknown", "self-target", "no-target", "not-a-mapping", "contained-twice"])
def test_relationship_faults(bp, relationships, expected):
    result = bp(related(relationships))
    assert places(result, bp.root) == [(expected[0], "blueprint.yaml", expected[1], expected[2])]


def test_relationship_properties_are_checked_against_the_type(bp):
    result = bp(related("- type: cloudify.relationships.connected_to\n  target: a\n  properties:\n"
                        "    connection_type: all_to_one\n    colour: red\n"))
    assert places(result, bp.root) == [("property-unknown", "blueprint.yaml", 14, 11)]


def test_relationships_keep_declaration_order(bp):
    result = bp(related("- {type: cloudify.relationships.connected_to, target: b}\n"
                        "- {type: cloudify.relationships.depends_on, target: a}\n"))
    assert [(r["type"], r["target_id"]) for r in node(result.plan, "n")["relationships"]] == [
        ("cloudify.relationships.connected_to", "b"), ("cloudify.relationships.depends_on", "a")]


# --- hosts ------------------------------------------------------------------------------------

HOSTS = """\
node_types:
  my.Server:
    derived_from: cloudify.nodes.Compute
relationships:
  my.contained:
    derived_from: cloudify.relationships.contained_in
node_templates:
  vm: {type: my.Server}
  web:
    type: cloudify.nodes.WebServer
    relationships:
      - {type: cloudify.relationships.contained_in, target: vm}
  module:
    type: cloudify.nodes.Root
    relationships:
      - {type: my.contained, target: web}
  loose:
    type: cloudify.nodes.Root
    relationships:
      - {type: cloudify.relationships.connected_to, target: vm}
  floating:
    type: cloudify.nodes.Root
    relationships:
      - {type: cloudify.relationships.contained_in, target: loose}
"""


def test_host_id_follows_contained_in_chains_to_a_compute(bp):
    result = bp(nodes_of(HOSTS))
    assert result.ok, result.problems
    assert {n["id"]: n["host_id"] for n in result.plan["nodes"]} == {
        "vm": "vm", "web": "vm", "module": "vm", "loose": None, "floating": None}


def test_a_namespaced_type_derived_from_compute_is_a_host(bp):
    result = bp({
        "blueprint.yaml": blueprint("node_templates:\n  box: {type: lib--my.Box}\n", "lib--lib.yaml"),
        "lib.yaml": "node_types:\n  my.Box:\n    derived_from: cloudify.nodes.Compute\n",
    })
    assert result.ok, result.problems
    assert node(result.plan, "box")["type_hierarchy"] == ["cloudify.nodes.Root", "cloudify.nodes.Compute",
                                                          "lib--my.Box"]
    assert node(result.plan, "box")["host_id"] == "box"


# --- plugin lists (SPEC §5.6) -----------------------------------------------------------------

PLUGIN_LISTS = """\
plugins:
  central: {executor: central_deployment_agent, package_name: central-plugin}
  onhost: {executor: host_agent, source: http://example.com/onhost.zip}
  unused: {executor: central_deployment_agent, install: false}
relationships:
  r.t:
    derived_from: cloudify.relationships.connected_to
    source_interfaces:
      cloudify.interfaces.relationship_lifecycle:
        establish: central.s.establish
    target_interfaces:
      cloudify.interfaces.relationship_lifecycle:
        establish: onhost.t.establish
node_templates:
  vm: {type: cloudify.nodes.Compute}
  vm2: {type: cloudify.nodes.Compute}
  db:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: central.db.create
        configure: {implementation: central.db.configure, executor: host_agent}
    relationships:
      - {type: cloudify.relationships.contained_in, target: vm2}
  app:
    type: cloudify.nodes.WebServer
    interfaces:
      cloudify.interfaces.lifecycle:
        configure: scripts/c.sh
        start: onhost.app.start
    relationships:
      - {type: cloudify.relationships.contained_in, target: vm}
      - {type: r.t, target: db}
workflows:
  scripted: scripts/c.sh
  custom: central.wf.run
"""


@pytest.fixture
def lists(bp):
    result = bp({"blueprint.yaml": blueprint(PLUGIN_LISTS), "scripts/c.sh": "#!/bin/sh\n"})
    assert result.ok, result.problems
    return result.plan


def pairs(entries):
    return sorted((entry["name"], entry["executor"]) for entry in entries)


def test_node_plugins_are_resolved_plugin_executor_pairs(lists):
    # own operations, source operations of its relationships
    assert pairs(node(lists, "app")["plugins"]) == [
        ("central", "central_deployment_agent"), ("onhost", "host_agent"), ("script", "auto")]
    # and target operations of relationships that target it
    assert pairs(node(lists, "db")["plugins"]) == [
        ("central", "central_deployment_agent"), ("central", "host_agent"), ("onhost", "host_agent")]
    assert pairs(node(lists, "vm")["plugins"]) == [("agent", "central_deployment_agent")]


def test_hosts_install_the_host_agent_plugins_of_what_they_host(lists):
    assert plugin_names(node(lists, "vm")["plugins_to_install"]) == ["onhost"]
    assert plugin_names(node(lists, "vm2")["plugins_to_install"]) == ["central", "onhost"]
    assert node(lists, "app")["plugins_to_install"] == []


def test_plan_level_plugin_lists(lists):
    assert plugin_names(lists["deployment_plugins_to_install"]) == ["agent", "central"]
    assert plugin_names(lists["host_agent_plugins_to_install"]) == ["central", "onhost"]
    assert plugin_names(lists["workflow_plugins_to_install"]) == ["central", "default_workflows", "script"]
    every = lists["deployment_plugins_to_install"] + lists["host_agent_plugins_to_install"]
    assert "unused" not in plugin_names(every)


def test_plugin_entries_carry_the_declaration(lists):
    (central,) = [p for p in lists["deployment_plugins_to_install"] if p["name"] == "central"]
    assert (central["package_name"], central["install"], central["executor"]) == (
        "central-plugin", True, "central_deployment_agent")
    (script,) = [p for p in lists["workflow_plugins_to_install"] if p["name"] == "script"]
    assert (script["executor"], script["install"]) == ("host_agent", False)


def test_c9_host_agent_operation_on_a_node_without_host(bp):
    result = bp(nodes_of("""\
        plugins:
          onhost: {executor: host_agent, install: false}
        node_templates:
          n:
            type: cloudify.nodes.Root
            interfaces:
              cloudify.interfaces.lifecycle:
                create: onhost.x
        """))
    assert places(result, bp.root) == [("host-agent-without-host", "blueprint.yaml", 7, 3)]


def test_c9_also_through_target_operations(bp):
    result = bp(nodes_of("""\
        plugins:
          onhost: {executor: host_agent, install: false}
        relationships:
          r.t:
            derived_from: cloudify.relationships.depends_on
            target_interfaces:
              cloudify.interfaces.relationship_lifecycle:
                establish: onhost.t.establish
        node_templates:
          vm: {type: cloudify.nodes.Compute}
          target: {type: cloudify.nodes.Root}
          source:
            type: cloudify.nodes.Root
            relationships:
              - {type: cloudify.relationships.contained_in, target: vm}
              - {type: r.t, target: target}
        """))
    assert places(result, bp.root) == [("host-agent-without-host", "blueprint.yaml", 14, 3)]


def test_script_operations_run_anywhere(bp):
    result = bp({"blueprint.yaml": blueprint("""\
        node_templates:
          n:
            type: cloudify.nodes.Root
            interfaces:
              cloudify.interfaces.lifecycle:
                create: scripts/c.sh
        """), "scripts/c.sh": ""})
    assert result.ok, result.problems
    assert pairs(node(result.plan, "n")["plugins"]) == [("script", "auto")]


def test_each_type_names_its_own_operations(bp):
    # a type's operation names are made once per blueprint, known by the interface and the
    # type's operations in it: two types with an interface of one name keep their own
    result = bp({"blueprint.yaml": blueprint("""\
        node_types:
          A:
            derived_from: cloudify.nodes.Root
            interfaces:
              custom: {run: scripts/c.sh}
          B:
            derived_from: cloudify.nodes.Root
            interfaces:
              custom: {go: scripts/c.sh}
        node_templates:
          a:
            type: A
            interfaces:
              custom: {extra: scripts/c.sh}
          b:
            type: B
            interfaces:
              custom: {extra: scripts/c.sh}
        """), "scripts/c.sh": ""})
    assert result.ok, result.problems
    assert {"custom.run", "custom.extra"} <= set(node(result.plan, "a")["operations"])
    assert "custom.go" not in node(result.plan, "a")["operations"]
    assert {"custom.go", "custom.extra"} <= set(node(result.plan, "b")["operations"])
    assert "custom.run" not in node(result.plan, "b")["operations"]


# --- the plugins section (SPEC §3, B1-B2) -----------------------------------------------------


@pytest.mark.parametrize("declaration, expected", [
    ("p: {install: false}", ("schema-missing-key", 5, 3)),
    ("p: {executor: nowhere, install: false}", ("plugin-executor-invalid", 5, 17)),
    ("p: {executor: central_deployment_agent}", ("plugin-source-missing", 5, 3)),
    ("p: {executor: central_deployment_agent, install: false, colour: red}", ("schema-unknown-key", 5, 59)),
    ("p: {executor: central_deployment_agent, package_name: x, package_version: 1.2}",
     ("schema-wrong-type", 5, 77)),
], ids=["no-executor", "bad-executor", "no-source", "unknown-key", "float-version"])
def test_b1_plugin_declarations(bp, declaration, expected):
    result = bp(nodes_of(f"plugins:\n  {declaration}\n"))
    assert places(result, bp.root) == [(expected[0], "blueprint.yaml", expected[1], expected[2])]


def test_b2_package_name_needs_1_2(bp):
    text = "plugins:\n  p: {executor: central_deployment_agent, package_name: x}\n"
    assert places(bp(nodes_of(text, "cloudify_dsl_1_1")), bp.root) == [("feature-version", "blueprint.yaml", 5, 43)]
    assert bp(nodes_of(text, "cloudify_dsl_1_2")).ok


# --- feature gates (SPEC §1.3) ----------------------------------------------------------------


@pytest.mark.parametrize("body, last_refused, position", [
    ("description: hi\n", "cloudify_dsl_1_1", (4, 1)),
    ("dsl_definitions:\n  a: &a {x: 1}\n", "cloudify_dsl_1_1", (4, 1)),
    ("data_types:\n  D: {properties: {}}\n", "cloudify_dsl_1_1", (5, 3)),
    ("inputs:\n  i: {required: false}\n", "cloudify_dsl_1_1", (5, 7)),
    ("inputs:\n  i: {display_label: I}\n", "cloudify_dsl_1_2", (5, 7)),
    ("node_templates:\n  n:\n    type: cloudify.nodes.Root\n    capabilities:\n      scalable: {}\n",
     "cloudify_dsl_1_2", (8, 7)),
    ("inputs:\n  i: {type: list, item_type: string}\n", "cloudify_dsl_1_3", (5, 19)),
    ("inputs:\n  i: {type: node_id}\n", "cloudify_dsl_1_3", (5, 13)),
    ("inputs:\n  i: {type: operation_name}\n", "cloudify_dsl_1_4", (5, 13)),
    ("plugins:\n  p: {executor: central_deployment_agent, install: false, properties: {}}\n",
     "cloudify_dsl_1_4", (5, 59)),
], ids=["description", "dsl_definitions", "data_types", "required", "display_label", "scalable", "item_type",
        "node_id", "operation_name", "plugin-properties"])
def test_feature_gates(bp, body, last_refused, position):
    versions = ["cloudify_dsl_1_0", "cloudify_dsl_1_1", "cloudify_dsl_1_2", "cloudify_dsl_1_3", "cloudify_dsl_1_4",
                "cloudify_dsl_1_5"]
    cut = versions.index(last_refused)
    refused = bp(nodes_of(body, last_refused))
    assert places(refused, bp.root) == [("feature-version", "blueprint.yaml", *position)]
    accepted = bp(nodes_of(body, versions[cut + 1]))
    assert accepted.ok, accepted.problems


def test_gates_apply_to_content_of_imported_files_by_the_main_version(bp):
    result = bp({"blueprint.yaml": blueprint("", "lib.yaml", version="cloudify_dsl_1_3"),
                 "lib.yaml": "inputs:\n  i: {type: node_id}\n"})
    assert places(result, bp.root) == [("feature-version", "lib.yaml", 2, 13)]


def test_a_gated_description_from_an_import_points_into_the_import(bp):
    result = bp({"blueprint.yaml": blueprint("", "lib.yaml", version="cloudify_dsl_1_0"),
                 "lib.yaml": "description: from the library\n"})
    assert places(result, bp.root) == [("feature-version", "lib.yaml", 1, 1)]


# --- intrinsic functions ----------------------------------------------------------------------


def test_get_input_of_an_undeclared_input(bp):
    result = bp(nodes_of("""\
        inputs:
          known: {default: 1}
        node_templates:
          n:
            type: cloudify.nodes.WebServer
            properties:
              port: {get_input: unknown}
        """))
    (code, file, line, _), = places(result, bp.root)
    # somewhere in the template that uses it (lines 7-10)
    assert (code, file) == ("input-unknown", "blueprint.yaml") and 7 <= line <= 10


def test_get_input_in_operation_inputs_and_outputs(bp):
    result = bp(nodes_of("""\
        node_templates:
          n:
            type: cloudify.nodes.Root
            interfaces:
              cloudify.interfaces.lifecycle:
                create: {implementation: '', inputs: {a: {get_input: [missing_a, key]}}}
                configure:
                  implementation: scripts/c.sh
                  inputs:
                    b: {concat: [x, {get_input: missing_b}]}
        outputs:
          o:
            value: {get_input: missing_c}
        """) | {"scripts/c.sh": ""})
    assert sorted(p.code for p in result.problems) == ["input-unknown", "input-unknown"]
    # each problem points at the get_input call itself
    assert places(result, bp.root)[-1] == ("input-unknown", "blueprint.yaml", 16, 12)


def test_get_input_of_a_declared_input_is_fine(bp):
    result = bp(nodes_of("inputs:\n  p: {default: 81}\nnode_templates:\n  n:\n    type: cloudify.nodes.WebServer\n"
                         "    properties: {port: {get_input: p}}\n"))
    assert result.ok, result.problems


def test_get_property_of_an_unknown_node(bp):
    result = bp(nodes_of("node_templates:\n  n: {type: cloudify.nodes.Root}\noutputs:\n"
                         "  o: {value: {get_property: [nope, x]}}\n  s: {value: {get_attribute: [SELF, x]}}\n"))
    assert sorted(places(result, bp.root)) == [("function-scope-invalid", "blueprint.yaml", 8, 14),
                                               ("node-reference-unknown", "blueprint.yaml", 7, 14)]


# --- the plan's operations ---------------------------------------------------------------------


def test_the_plan_shows_each_operation_once_and_shares_it_with_no_other_plan(bp):
    """A plan shows each record of the model once (`plan._Shown`): an operation under its full and
    its short name, and the operations of templates of one type, are one dict in the plan; a
    second plan of the same session shares none of them (a caller may change its plan)."""
    files = nodes_of("""\
        node_templates:
          a: {type: cloudify.nodes.Compute}
          b: {type: cloudify.nodes.Compute}
          c:
            type: cloudify.nodes.Compute
            interfaces:
              cloudify.interfaces.lifecycle:
                start: script.tasks.start
        """)
    session = Resolver(options=Options())
    first, second = (bp(files, resolver=session).plan for _ in range(2))
    assert first == second
    a, b, c = (node["operations"] for node in first["nodes"])
    agent = "cloudify.interfaces.cloudify_agent.create"
    assert a[agent]["operation"] == "cloudify_agent.installer.operations.create"
    assert a is b and a[agent] is b[agent]
    assert c[agent] is a[agent] and c["start"] is c["cloudify.interfaces.lifecycle.start"]
    assert c["start"]["operation"] == "tasks.start"
    # blank operations are one record, shown once
    assert a["cloudify.interfaces.lifecycle.stop"] is a["cloudify.interfaces.validation.delete"] is c["stop"]
    shown = {id(op) for node in first["nodes"] for op in node["operations"].values()}
    assert not shown & {id(op) for node in second["nodes"] for op in node["operations"].values()}


# --- graph: cycles and the install order ------------------------------------------------------


def test_relationship_cycles_are_reported_once(bp):
    result = bp(nodes_of("""\
        node_templates:
          a:
            type: cloudify.nodes.Root
            relationships: [{type: cloudify.relationships.depends_on, target: b}]
          b:
            type: cloudify.nodes.Root
            relationships: [{type: cloudify.relationships.connected_to, target: c}]
          c:
            type: cloudify.nodes.Root
            relationships: [{type: cloudify.relationships.depends_on, target: a}]
        """))
    assert [p.code for p in result.problems] == ["cycle"]
    assert only(result, "cycle").file is not None and result.plan is None


def test_a_long_relationship_cycle_is_fast(bp):
    count = 300
    lines = ["node_templates:"]
    for i in range(count):
        lines += [f"  n{i}:", "    type: cloudify.nodes.Root",
                  f"    relationships: [{{type: cloudify.relationships.depends_on, target: n{(i + 1) % count}}}]"]
    result = bp(nodes_of("\n".join(lines) + "\n"))
    assert [p.code for p in result.problems] == ["cycle"]


ORDER = """\
node_templates:
  zeta: {type: cloudify.nodes.Root}
  app:
    type: cloudify.nodes.WebServer
    relationships:
      - {type: cloudify.relationships.contained_in, target: vm}
      - {type: cloudify.relationships.connected_to, target: db}
  db:
    type: cloudify.nodes.Root
    relationships:
      - {type: cloudify.relationships.contained_in, target: vm2}
  vm2: {type: cloudify.nodes.Compute}
  vm: {type: cloudify.nodes.Compute}
  alpha:
    type: cloudify.nodes.Root
    relationships:
      - {type: cloudify.relationships.depends_on, target: app}
"""


def test_install_order_puts_each_node_after_its_host_and_targets(bp):
    result = bp(nodes_of(ORDER))
    assert result.ok, result.problems
    order = result.plan["install_order"]
    assert sorted(order) == sorted(n["id"] for n in result.plan["nodes"])
    for entry in result.plan["nodes"]:
        for rel in entry["relationships"]:
            assert order.index(rel["target_id"]) < order.index(entry["id"])
        if entry["host_id"]:
            assert order.index(entry["host_id"]) <= order.index(entry["id"])
    # ties are broken by name, so the order is fixed
    assert order == ["vm", "vm2", "db", "app", "alpha", "zeta"]


def reversed_templates(text: str) -> str:
    """`text` (a node_templates section) with its templates in reverse order."""
    head, *lines = text.splitlines(keepends=True)
    blocks: list[list[str]] = []
    for line in lines:
        if line.startswith("  ") and not line.startswith("   "):
            blocks.append([])
        blocks[-1].append(line)
    return head + "".join("".join(block) for block in reversed(blocks))


def test_install_order_does_not_depend_on_declaration_order(bp):
    first = bp(nodes_of(ORDER)).plan["install_order"]
    shuffled = reversed_templates(ORDER)
    assert shuffled != ORDER
    again = bp(nodes_of(shuffled))
    assert [n["id"] for n in again.plan["nodes"]][0] == "alpha"
    assert again.plan["install_order"] == first


def test_the_graph_holds_nodes_and_relationship_edges(bp):
    result = bp(nodes_of(ORDER))
    graph = result.graph
    assert set(graph.nodes) == {"zeta", "app", "db", "vm2", "vm", "alpha"}
    assert graph.has_edge("app", "vm") and graph.has_edge("app", "db") and not graph.has_edge("vm", "app")
    assert graph.edges["app", "vm"]["type"] == "cloudify.relationships.contained_in"
    assert graph.nodes["app"]["host_id"] == "vm"


# --- the names a hint offers ------------------------------------------------------------------


def _hint_cases():
    """(word, names): names alike in many ways (shared prefixes, equal lengths, anagrams, so that
    scores tie), and words near some of them, all of them or none."""
    import random

    rng = random.Random(7)
    stems = ["cloudify.nodes.", "cloudify.relationships.", "aws.ec2.", "tosca.", ""]
    parts = ["Compute", "Root", "Volume", "Network", "Subnet", "Port", "Server", "Router", "Vpc", "abc", "bca",
             "cab", "ab", "ba", "x", ""]
    for _ in range(400):
        names = tuple(dict.fromkeys(rng.choice(stems) + rng.choice(parts) + rng.choice(["", "s", "2", "Group"])
                                    for _ in range(rng.randint(0, 40))))
        base = rng.choice(names) if names and rng.random() < 0.8 else rng.choice(parts)
        letters = list(base)
        for _ in range(rng.randint(0, 3)):  # a typo or three: a letter dropped, doubled or changed
            if letters:
                at = rng.randrange(len(letters))
                letters[at:at + 1] = rng.choice([[], [letters[at]] * 2, [rng.choice("aeiousx.")]])
        yield "".join(letters), names


def test_the_names_a_hint_offers_are_those_get_close_matches_finds():
    import difflib

    from resolver.nodes import _closest

    for word, names in _hint_cases():
        found = _closest.__wrapped__(word, names)
        assert [name for _, name in found] == difflib.get_close_matches(word, names), (word, names)
        assert [score for score, _ in found] == [difflib.SequenceMatcher(None, name, word).ratio()
                                                 for _, name in found]


def test_the_longest_common_subsequence_bounding_a_hint_score():
    import random

    from resolver.nodes import _Subsequences

    def longest(a, b):  # the textbook table
        above = [0] * (len(b) + 1)
        for char in a:
            row = [0]
            for j, other in enumerate(b):
                row.append(above[j] + 1 if char == other else max(above[j + 1], row[j]))
            above = row
        return above[-1]

    rng = random.Random(3)
    for _ in range(3000):
        a, b = ("".join(rng.choice("abc.") for _ in range(rng.randint(0, 14))) for _ in range(2))
        assert _Subsequences(b).longest(a) == longest(a, b), (a, b)
