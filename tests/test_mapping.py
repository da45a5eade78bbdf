"""Stage 5, mapping: implementation string -> plugin function, script or no-op; type/template merge.

References: SPEC §5.1-§5.5, §6 and §11 C1-C14, D1-D2.
"""
from __future__ import annotations

import textwrap

import pytest

from .conftest import BASIC_TYPES, blueprint, node, places, write_tree

PLUGINS = """\
plugins:
  p1: {executor: central_deployment_agent, install: false}
  p2: {executor: host_agent, install: false}
"""


def hosted(configure: str, extra: str = "") -> str:
    """A blueprint whose node `n` (hosted on `vm`) overrides lifecycle `configure` with `configure`.

    The override's first line is line 13 of the blueprint, column 9 for its key.
    """
    definition = textwrap.indent(configure, " " * 10).lstrip()
    return blueprint(PLUGINS + f"""\
node_templates:
  vm: {{type: cloudify.nodes.Compute}}
  n:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        configure: {definition}
    relationships:
      - {{type: cloudify.relationships.contained_in, target: vm}}
{extra}""")


def with_plugins(body: str, prefix: str = PLUGINS, version: str = "cloudify_dsl_1_4") -> str:
    """A blueprint declaring `prefix` (the test plugins by default) and then `body` (dedented)."""
    return blueprint(prefix + textwrap.dedent(body), version=version)


def configure_of(result) -> dict:
    assert result.ok, [(p.code, p.line, p.column, p.message) for p in result.problems]
    return node(result.plan, "n")["operations"]["cloudify.interfaces.lifecycle.configure"]


def subset(op: dict, **expected) -> dict:
    return {key: op[key] for key in expected}


NOOP = {"plugin": "", "operation": "", "executor": None, "inputs": {}}
SCRIPTS = {"scripts/ok.sh": "#!/bin/sh\necho ok\n"}


# --- SPEC §5.3 and C1-C3 ----------------------------------------------------------------------


@pytest.mark.parametrize("definition, expected", [
    # C1
    ("p1.mod.configure",
     {"plugin": "p1", "operation": "mod.configure", "executor": "central_deployment_agent", "inputs": {}}),
    ("{implementation: p1.mod.create, executor: host_agent, max_retries: 5}",
     {"plugin": "p1", "operation": "mod.create", "executor": "host_agent", "max_retries": 5}),
    ("p2.mod.fn", {"plugin": "p2", "operation": "mod.fn", "executor": "host_agent"}),
    # C2
    ("scripts/ok.sh", {"plugin": "script", "operation": "script_runner.tasks.run", "executor": "auto",
                       "inputs": {"script_path": "scripts/ok.sh"}}),
    ("{implementation: scripts/ok.sh, executor: central_deployment_agent}",
     {"plugin": "script", "operation": "script_runner.tasks.run", "executor": "central_deployment_agent",
      "inputs": {"script_path": "scripts/ok.sh"}}),
    ("{implementation: scripts/ok.sh, inputs: {level: 2}}",
     {"plugin": "script", "inputs": {"level": 2, "script_path": "scripts/ok.sh"}}),
    ("http://example.com/s.sh", {"plugin": "script", "operation": "script_runner.tasks.run", "executor": "auto",
                                 "inputs": {"script_path": "http://example.com/s.sh"}}),
    # anything with a scheme counts as a URL, even when it looks like a plugin
    ("'p1:tasks.x'", {"plugin": "script", "inputs": {"script_path": "p1:tasks.x"}}),
    # C3
    ("|\n  #!/bin/bash\n  echo hi\n", {"plugin": "script", "operation": "script_runner.tasks.run",
                                       "executor": "auto", "inputs": {"script_source": "#!/bin/bash\necho hi\n"}}),
    # no-ops
    ("{}", NOOP),
    ("''", NOOP),
    ("{inputs: {z: {default: 1}}}", NOOP),
    # the operation path may be empty
    ("p1.", {"plugin": "p1", "operation": ""}),
], ids=["plugin", "plugin-full", "host-plugin", "script", "script-executor", "script-inputs", "url",
        "scheme", "inline", "empty-map", "empty-string", "inputs-only", "trailing-dot"])
def test_spec_5_3_mappings(bp, definition, expected):
    result = bp({"blueprint.yaml": hosted(definition), **SCRIPTS})
    op = configure_of(result)
    assert subset(op, **expected) == expected
    # the short key is the same operation (configure exists in one interface only)
    assert node(result.plan, "n")["operations"]["configure"] == op


def test_a_file_named_like_the_mapping_wins_over_the_plugin(bp):
    result = bp({"blueprint.yaml": hosted("p1.mod.fn"), "p1.mod.fn": "#!/bin/sh\n"})
    assert subset(configure_of(result), plugin=1, inputs=1) == {"plugin": "script",
                                                               "inputs": {"script_path": "p1.mod.fn"}}


@pytest.mark.parametrize("definition", ["scripts/missing.sh", "nope.mod.fn", "p1", "scripts/ok.sh.bak"])
def test_c4_unmapped_node_operations_point_at_the_operation(bp, definition):
    result = bp({"blueprint.yaml": hosted(definition), **SCRIPTS})
    assert places(result, bp.root) == [("operation-unmapped", "blueprint.yaml", 13, 9)]
    assert result.plan is None


def test_scripts_are_looked_up_beside_the_main_blueprint_only(bp):
    lib = """\
        node_types:
          lib.T:
            derived_from: cloudify.nodes.Root
            interfaces:
              cloudify.interfaces.lifecycle:
                create: scripts/lib.sh
        """
    body = "node_templates:\n  n: {type: lib.T}\n"
    result = bp({"blueprint.yaml": blueprint(body, "lib/lib.yaml"), "lib/lib.yaml": lib,
                 "lib/scripts/lib.sh": "#!/bin/sh\n"})
    assert [p.code for p in result.problems] == ["operation-unmapped"]
    result = bp({"blueprint.yaml": blueprint(body, "lib/lib.yaml"), "lib/lib.yaml": lib,
                 "scripts/lib.sh": "#!/bin/sh\n"})
    assert result.ok, result.problems


# --- C5-C8 ------------------------------------------------------------------------------------


def test_c5_a_mapping_matching_two_plugins_is_ambiguous(bp):
    result = bp({"blueprint.yaml": blueprint("""\
        plugins:
          a: {executor: central_deployment_agent, install: false}
          a.b: {executor: central_deployment_agent, install: false}
        node_templates:
          n:
            type: cloudify.nodes.Root
            interfaces:
              cloudify.interfaces.lifecycle:
                configure: a.b.c
        """)})
    assert places(result, bp.root) == [("operation-ambiguous", "blueprint.yaml", 12, 9)]


@pytest.mark.parametrize("inputs_key", ["script_path", "script_source"])
def test_c6_a_script_operation_cannot_set_script_path(bp, inputs_key):
    result = bp({"blueprint.yaml": hosted(f"{{implementation: scripts/ok.sh, inputs: {{{inputs_key}: x}}}}"),
                 **SCRIPTS})
    assert places(result, bp.root) == [("script-path-reserved", "blueprint.yaml", 13, 9)]


MINIMAL_TYPES = """\
plugins:
  {name}: {{executor: host_agent, install: false}}
node_types:
  cloudify.nodes.Root: {{}}
  cloudify.nodes.Compute:
    derived_from: cloudify.nodes.Root
"""


def script_without_types(plugin_name: str) -> dict:
    return {"blueprint.yaml": """\
        tosca_definitions_version: cloudify_dsl_1_4
        imports: [mini.yaml]
        node_templates:
          vm:
            type: cloudify.nodes.Compute
            interfaces:
              custom:
                run: scripts/ok.sh
        """, "mini.yaml": MINIMAL_TYPES.format(name=plugin_name), **SCRIPTS}


def test_c7_a_script_operation_needs_a_plugin_named_script(bp):
    result = bp(script_without_types("runner"), types=False)
    assert places(result, bp.root) == [("script-plugin-missing", "blueprint.yaml", 8, 9)]


def test_c7_any_plugin_whose_name_ends_with_script_runs_scripts(bp):
    result = bp(script_without_types("javascript"), types=False)
    assert result.ok, result.problems
    run = node(result.plan, "vm")["operations"]["custom.run"]
    assert (run["plugin"], run["operation"]) == ("javascript", "script_runner.tasks.run")


def test_c8_an_illegal_operation_executor(bp):
    result = bp({"blueprint.yaml": hosted("{implementation: p1.mod.fn, executor: nowhere}")})
    assert places(result, bp.root) == [("operation-executor-invalid", "blueprint.yaml", 13, 58)]


def test_c8_an_illegal_executor_in_an_unused_type_is_reported(bp):
    result = bp({"blueprint.yaml": with_plugins("""\
        node_types:
          unused.T:
            derived_from: cloudify.nodes.Root
            interfaces:
              i:
                op: {implementation: p1.x, executor: nowhere}
        """)})
    assert places(result, bp.root) == [("operation-executor-invalid", "blueprint.yaml", 12, 46)]


@pytest.mark.parametrize("definition, code, column", [
    ("{implementation: p1.x, max_retries: -2}", "operation-value-invalid", 56),
    ("{implementation: p1.x, retry_interval: -1}", "operation-value-invalid", 59),
    ("{implementation: p1.x, timeout: -5}", "operation-value-invalid", 52),
    ("{implementation: p1.x, max_retries: 1.5}", "schema-wrong-type", 56),
    ("{implementation: p1.x, timeout: soon}", "schema-wrong-type", 52),
    ("{implementation: p1.x, timeout_recoverable: 1}", "schema-wrong-type", 64),
    ("{implementation: p1.x, colour: red}", "schema-unknown-key", 43),
    ("{implementation: [p1.x]}", "schema-wrong-type", 37),
    ("5", "schema-wrong-type", 20),
])
def test_operation_field_faults(bp, definition, code, column):
    result = bp({"blueprint.yaml": hosted(definition)})
    assert places(result, bp.root) == [(code, "blueprint.yaml", 13, column)]


def test_max_retries_of_minus_one_means_forever(bp):
    result = bp({"blueprint.yaml": hosted("{implementation: p1.x, max_retries: -1, retry_interval: 0, timeout: 0}")})
    assert subset(configure_of(result), max_retries=1, retry_interval=1, timeout=1) == {
        "max_retries": -1, "retry_interval": 0, "timeout": 0}


def test_max_retries_in_a_type_is_gated_below_1_1(bp):
    result = bp({"blueprint.yaml": with_plugins("""\
        node_types:
          T:
            derived_from: cloudify.nodes.Root
            interfaces:
              i:
                op: {implementation: p1.x, max_retries: 2, retry_interval: 1}
        """, version="cloudify_dsl_1_0")})
    assert places(result, bp.root) == [("feature-version", "blueprint.yaml", 12, 36),
                                       ("feature-version", "blueprint.yaml", 12, 52)]


def test_max_retries_in_a_template_is_gated_below_1_1(bp):
    text = hosted("{implementation: p1.x, max_retries: 2}").replace("cloudify_dsl_1_4", "cloudify_dsl_1_0")
    result = bp({"blueprint.yaml": text})
    assert places(result, bp.root) == [("feature-version", "blueprint.yaml", 13, 43)]


# --- type and template merge (SPEC §5.4, C10-C13) ---------------------------------------------

WORKED_TYPE = PLUGINS + """\
inputs:
  inp: {default: v}
node_types:
  T:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create:
          implementation: p1.mod.create
          executor: host_agent
          max_retries: 5
          inputs:
            a: {default: 1}
            b: {type: string}
            c: {type: string, default: {get_input: inp}}
        start: {implementation: p1.mod.start, timeout: 30}
"""


def worked(create: str | None = None, start: str | None = None) -> str:
    lines = ["node_templates:", "  vm: {type: cloudify.nodes.Compute}", "  n:", "    type: T",
             "    relationships:", "      - {type: cloudify.relationships.contained_in, target: vm}",
             "    interfaces:", "      cloudify.interfaces.lifecycle:"]
    if create is not None:
        lines.append(f"        create: {create}")
    if start is not None:
        lines.append(f"        start: {start}")
    return blueprint(WORKED_TYPE + "\n".join(lines) + "\n")


def lifecycle(result, op_name):
    assert result.ok, [(p.code, p.line, p.column) for p in result.problems]
    return node(result.plan, "n")["operations"][f"cloudify.interfaces.lifecycle.{op_name}"]


def test_c11_template_inputs_merge_over_the_type_defaults(bp):
    op = lifecycle(bp({"blueprint.yaml": worked(create="{inputs: {b: bee, extra: e}}")}), "create")
    assert subset(op, plugin=1, operation=1, executor=1, max_retries=1) == {
        "plugin": "p1", "operation": "mod.create", "executor": "host_agent", "max_retries": 5}
    assert {k: op["inputs"][k] for k in ("a", "b", "extra")} == {"a": 1, "b": "bee", "extra": "e"}
    assert op["inputs"]["c"]["get_input"] == "inp"


def test_c11_the_same_implementation_written_again_also_merges(bp):
    op = lifecycle(bp({"blueprint.yaml": worked(create="{implementation: p1.mod.create, inputs: {b: x}}")}),
                   "create")
    assert (op["executor"], op["max_retries"], op["inputs"]["a"], op["inputs"]["b"]) == ("host_agent", 5, 1, "x")


def test_c12_another_implementation_drops_the_type_settings(bp):
    op = lifecycle(bp({"blueprint.yaml": worked(create="{implementation: p1.other.create, inputs: {q: 1}}")}),
                   "create")
    assert subset(op, plugin=1, operation=1, executor=1, max_retries=1, inputs=1) == {
        "plugin": "p1", "operation": "other.create", "executor": "central_deployment_agent", "max_retries": None,
        "inputs": {"q": 1}}


def test_c10_a_type_input_without_default_must_be_given(bp):
    result = bp({"blueprint.yaml": worked()})
    assert [p.code for p in result.problems] == ["operation-input-missing"]


def test_c10_missing_input_points_at_the_template_override(bp):
    result = bp({"blueprint.yaml": worked(create="{inputs: {a: 2}}")})
    assert places(result, bp.root) == [("operation-input-missing", "blueprint.yaml", 31, 9)]


def test_a_template_executor_alone_keeps_the_type_implementation(bp):
    op = lifecycle(bp({"blueprint.yaml": worked(create="{inputs: {b: x}}", start="{executor: host_agent}")}),
                   "start")
    assert subset(op, operation=1, executor=1, timeout=1) == {
        "operation": "mod.start", "executor": "host_agent", "timeout": 30}


@pytest.mark.parametrize("override", ["{}", "''", "{inputs: {}}"])
def test_an_empty_template_operation_removes_the_type_implementation(bp, override):
    op = lifecycle(bp({"blueprint.yaml": worked(create="{inputs: {b: x}}", start=override)}), "start")
    assert subset(op, **NOOP) == NOOP


def test_c13_a_derived_type_can_turn_an_operation_into_a_no_op(bp):
    result = bp({"blueprint.yaml": with_plugins("""\
        node_types:
          Base:
            derived_from: cloudify.nodes.Root
            interfaces:
              cloudify.interfaces.lifecycle:
                configure: p1.base.configure
                start: p1.base.start
          Derived:
            derived_from: Base
            interfaces:
              cloudify.interfaces.lifecycle:
                configure: {}
        node_templates:
          n: {type: Derived}
        """)})
    assert result.ok, result.problems
    operations = node(result.plan, "n")["operations"]
    assert subset(operations["cloudify.interfaces.lifecycle.configure"], **NOOP) == NOOP
    assert operations["cloudify.interfaces.lifecycle.start"]["operation"] == "base.start"


def test_a_derived_type_replaces_an_operation_whole(bp):
    result = bp({"blueprint.yaml": with_plugins("""\
        node_types:
          Base:
            derived_from: cloudify.nodes.Root
            interfaces:
              cloudify.interfaces.lifecycle:
                create:
                  implementation: p1.base.create
                  max_retries: 3
                  inputs:
                    x: {default: 1}
          Derived:
            derived_from: Base
            interfaces:
              cloudify.interfaces.lifecycle:
                create: p1.derived.create
        node_templates:
          n: {type: Derived}
        """)})
    assert result.ok, result.problems
    create = node(result.plan, "n")["operations"]["cloudify.interfaces.lifecycle.create"]
    assert subset(create, operation=1, max_retries=1, inputs=1) == {
        "operation": "derived.create", "max_retries": None, "inputs": {}}


def test_operations_only_in_the_template_are_used_as_written(bp):
    result = bp({"blueprint.yaml": hosted("{}").replace(
        "      cloudify.interfaces.lifecycle:\n        configure: {}",
        "      custom.iface:\n        go: {implementation: p1.go, inputs: {x: {default: 1}}}")})
    assert result.ok, result.problems
    go = node(result.plan, "n")["operations"]["custom.iface.go"]
    # schema-looking inputs written in a template are values, passed literally
    assert subset(go, plugin=1, operation=1, inputs=1) == {"plugin": "p1", "operation": "go",
                                                          "inputs": {"x": {"default": 1}}}


# --- the operations map (SPEC §5.5, C14) ------------------------------------------------------


def test_c14_short_keys_only_for_names_used_in_one_interface(bp):
    result = bp({"blueprint.yaml": hosted("p1.mod.configure")})
    operations = node(result.plan, "n")["operations"]
    assert "cloudify.interfaces.lifecycle.create" in operations
    assert "cloudify.interfaces.validation.create" in operations
    assert "create" not in operations and "delete" not in operations
    for short in ("configure", "start", "stop"):
        assert operations[short] == operations[f"cloudify.interfaces.lifecycle.{short}"]
    # no-ops are listed as well
    assert subset(operations["start"], **NOOP) == NOOP


def test_the_host_gets_the_agent_operation_from_compute(bp):
    result = bp({"blueprint.yaml": hosted("p1.x")})
    agent = node(result.plan, "vm")["operations"]["cloudify.interfaces.cloudify_agent.create"]
    assert subset(agent, plugin=1, operation=1, executor=1) == {
        "plugin": "agent", "operation": "cloudify_agent.installer.operations.create",
        "executor": "central_deployment_agent"}


# --- relationship operations ------------------------------------------------------------------

REL_TYPES = PLUGINS + """\
relationships:
  my.rel:
    derived_from: cloudify.relationships.connected_to
    source_interfaces:
      cloudify.interfaces.relationship_lifecycle:
        preconfigure:
          implementation: p1.src.pre
          inputs:
            path: {default: /etc/x}
    target_interfaces:
      cloudify.interfaces.relationship_lifecycle:
        establish: p2.tgt.establish
"""


def test_relationship_source_and_target_operations(bp):
    result = bp({"blueprint.yaml": with_plugins(prefix=REL_TYPES, body="""\
        node_templates:
          vm: {type: cloudify.nodes.Compute}
          db:
            type: cloudify.nodes.Root
            relationships:
              - {type: cloudify.relationships.contained_in, target: vm}
          app:
            type: cloudify.nodes.Root
            relationships:
              - {type: cloudify.relationships.contained_in, target: vm}
              - type: my.rel
                target: db
                source_interfaces:
                  cloudify.interfaces.relationship_lifecycle:
                    preconfigure: {inputs: {path: /opt/y}}
        """)})
    assert result.ok, result.problems
    rel = node(result.plan, "app")["relationships"][1]
    assert (rel["type"], rel["target_id"]) == ("my.rel", "db")
    assert rel["type_hierarchy"] == ["cloudify.relationships.depends_on", "cloudify.relationships.connected_to",
                                     "my.rel"]
    pre = rel["source_operations"]["cloudify.interfaces.relationship_lifecycle.preconfigure"]
    assert subset(pre, plugin=1, operation=1, executor=1, inputs=1) == {
        "plugin": "p1", "operation": "src.pre", "executor": "central_deployment_agent", "inputs": {"path": "/opt/y"}}
    establish = rel["target_operations"]["establish"]
    assert subset(establish, plugin=1, operation=1, executor=1) == {
        "plugin": "p2", "operation": "tgt.establish", "executor": "host_agent"}
    assert subset(rel["source_operations"]["unlink"], **NOOP) == NOOP


def test_c4_relationship_types_are_validated_even_when_unused(bp):
    result = bp({"blueprint.yaml": blueprint("""\
        relationships:
          unused.rel:
            derived_from: cloudify.relationships.depends_on
            target_interfaces:
              cloudify.interfaces.relationship_lifecycle:
                establish: nope.x
        """)})
    assert [p.code for p in result.problems] == ["relationship-operation-unmapped"]


def test_c4_unmapped_relationship_instance_operation(bp):
    result = bp({"blueprint.yaml": blueprint("""\
        node_templates:
          a: {type: cloudify.nodes.Root}
          b:
            type: cloudify.nodes.Root
            relationships:
              - type: cloudify.relationships.depends_on
                target: a
                source_interfaces:
                  cloudify.interfaces.relationship_lifecycle:
                    establish: nope.x
        """)})
    assert places(result, bp.root) == [("relationship-operation-unmapped", "blueprint.yaml", 13, 13)]


def test_unmapped_type_operation_points_at_the_type(bp):
    result = bp({"blueprint.yaml": blueprint("""\
        node_types:
          T:
            derived_from: cloudify.nodes.Root
            interfaces:
              cloudify.interfaces.lifecycle:
                create: nope.x
        node_templates:
          n: {type: T}
        """)})
    assert places(result, bp.root) == [("operation-unmapped", "blueprint.yaml", 9, 9)]


# --- a type's operations built once, reported for each template ------------------------------


def test_a_type_operation_left_unchanged_is_the_same_for_every_template(bp):
    result = bp({"blueprint.yaml": with_plugins("""\
        node_types:
          T:
            derived_from: cloudify.nodes.Root
            interfaces:
              cloudify.interfaces.lifecycle:
                create: {implementation: p1.mod.create, inputs: {a: {default: 1}}}
                start: p1.mod.start
        node_templates:
          first: {type: T}
          changed:
            type: T
            interfaces:
              cloudify.interfaces.lifecycle:
                create: {implementation: p1.other.create, inputs: {b: 2}}
          last: {type: T}
        """)})
    assert result.ok, [(p.code, p.message) for p in result.problems]
    ops = {name: node(result.plan, name)["operations"] for name in ("first", "changed", "last")}
    create = "cloudify.interfaces.lifecycle.create"
    assert ops["first"] == ops["last"]
    assert subset(ops["last"][create], plugin=1, operation=1, inputs=1) == {
        "plugin": "p1", "operation": "mod.create", "inputs": {"a": 1}}
    assert subset(ops["changed"][create], plugin=1, operation=1, inputs=1) == {
        "plugin": "p1", "operation": "other.create", "inputs": {"b": 2}}
    assert ops["changed"]["start"] == ops["first"]["start"] != NOOP


def test_the_plan_shows_a_shared_operation_once(bp):
    # the plan's size follows the model's: one dict for a record under both its names, one
    # operations dict for the templates that take all of their type's unchanged, and one record
    # for a definition that derived types inherit
    result = bp({"blueprint.yaml": with_plugins("""\
        node_templates:
          a: {type: cloudify.nodes.Root}
          b: {type: cloudify.nodes.Root}
          c:
            type: cloudify.nodes.Root
            interfaces:
              cloudify.interfaces.lifecycle:
                start: p1.mod.start
          d: {type: cloudify.nodes.WebServer}
        """)})
    a, b, c, d = (node(result.plan, name)["operations"] for name in "abcd")
    assert a is b and a is not c and a is not d
    assert c["start"] is c["cloudify.interfaces.lifecycle.start"]
    assert c["configure"] is a["configure"] is d["configure"]
    assert c["start"]["operation"] == "mod.start" and a["start"]["operation"] == ""


def test_an_unmapped_type_operation_is_reported_for_each_template(bp):
    result = bp({"blueprint.yaml": blueprint("""\
        node_types:
          T:
            derived_from: cloudify.nodes.Root
            interfaces:
              cloudify.interfaces.lifecycle:
                create: nope.x
        node_templates:
          one: {type: T}
          two: {type: T}
        """)})
    assert places(result, bp.root) == [("operation-unmapped", "blueprint.yaml", 9, 9)] * 2
    assert sorted(p.message.split(" of type")[0] for p in result.problems) == ["node 'one'", "node 'two'"]


def test_a_missing_type_input_is_reported_for_each_template(bp):
    result = bp({"blueprint.yaml": with_plugins("""\
        node_types:
          T:
            derived_from: cloudify.nodes.Root
            interfaces:
              cloudify.interfaces.lifecycle:
                create: {implementation: p1.mod.create, inputs: {a: {type: string}}}
        node_templates:
          one: {type: T}
          two: {type: T}
        """)})
    assert [p.code for p in result.problems] == ["operation-input-missing"] * 2
    assert {p.line for p in result.problems} == {14, 15}


def test_a_relationship_type_fault_repeated_in_one_node_is_still_reported_for_the_next(bp):
    # node a's second relationship repeats its first one's report word for word (dropped as a
    # repeat); that repeat must not let the type's operations be shared with node c unreported
    result = bp({"blueprint.yaml": blueprint("""\
        relationships:
          R:
            derived_from: cloudify.relationships.depends_on
            source_interfaces:
              cloudify.interfaces.relationship_lifecycle:
                establish: nope.x
        node_templates:
          t1: {type: cloudify.nodes.Root}
          t2: {type: cloudify.nodes.Root}
          a:
            type: cloudify.nodes.Root
            relationships:
              - {type: R, target: t1}
              - {type: R, target: t2}
          c:
            type: cloudify.nodes.Root
            relationships:
              - {type: R, target: t1}
        """)})
    owners = [p.message.split(",")[0] for p in result.problems if p.code == "relationship-operation-unmapped"]
    assert sorted(o for o in owners if "of node" in o) == ["relationship 'R' of node 'a'",
                                                           "relationship 'R' of node 'c'"]


# --- workflows (SPEC §6, D1-D2) ---------------------------------------------------------------


def workflows(body: str) -> str:
    return blueprint(PLUGINS + "workflows:\n" + textwrap.indent(textwrap.dedent(body), "  "))


def test_d1_an_unmapped_workflow(bp):
    result = bp({"blueprint.yaml": workflows("w: nope.x.y\n")})
    assert places(result, bp.root) == [("workflow-unmapped", "blueprint.yaml", 8, 6)]


def test_d1_a_workflow_mapping_is_required(bp):
    result = bp({"blueprint.yaml": workflows("w:\n  parameters: {a: {default: 1}}\n")})
    assert places(result, bp.root) == [("schema-missing-key", "blueprint.yaml", 8, 3)]


def test_d2_a_script_workflow(bp):
    result = bp({"blueprint.yaml": workflows("w: scripts/ok.sh\n"), **SCRIPTS})
    assert result.ok, result.problems
    workflow = result.plan["workflows"]["w"]
    assert (workflow["plugin"], workflow["operation"], workflow["is_cascading"]) == (
        "script", "script_runner.tasks.execute_workflow", False)
    assert workflow["parameters"]["script_path"]["default"] == "scripts/ok.sh"
    assert set(workflow["parameters"]["script_path"]) == {"default", "description"}


def test_plugin_workflows_in_both_forms(bp):
    result = bp({"blueprint.yaml": workflows("""\
        simple: p1.wf.run
        full:
          mapping: p1.wf.full
          parameters:
            level: {type: integer, default: 2}
          is_cascading: true
        """)})
    assert result.ok, result.problems
    flows = result.plan["workflows"]
    assert flows["simple"] == {"plugin": "p1", "operation": "wf.run", "parameters": {}, "is_cascading": False}
    assert flows["full"] == {"plugin": "p1", "operation": "wf.full",
                             "parameters": {"level": {"type": "integer", "default": 2}}, "is_cascading": True}
    assert flows["install"]["plugin"] == "default_workflows"


def test_an_unknown_workflow_key(bp):
    result = bp({"blueprint.yaml": workflows("w:\n  mapping: p1.x\n  colour: red\n")})
    assert places(result, bp.root) == [("schema-unknown-key", "blueprint.yaml", 10, 5)]


def test_availability_rules_need_1_4(bp):
    text = workflows("w:\n  mapping: p1.x\n  availability_rules: {available: true}\n")
    result = bp({"blueprint.yaml": text.replace("cloudify_dsl_1_4", "cloudify_dsl_1_3")})
    assert places(result, bp.root) == [("feature-version", "blueprint.yaml", 10, 5)]
    assert bp({"blueprint.yaml": text}).ok


def test_a_workflow_script_parameter_cannot_be_given(bp):
    result = bp({"blueprint.yaml": workflows("w:\n  mapping: scripts/ok.sh\n  parameters: {script_path: {}}\n"),
                 **SCRIPTS})
    assert places(result, bp.root) == [("script-path-reserved", "blueprint.yaml", 9, 14)]


# --- scripts of catalog blueprints ------------------------------------------------------------


def test_scripts_of_a_catalog_blueprint_stay_namespaced_without_an_existence_check(bp, tmp_path):
    write_tree(tmp_path / "catalog", {
        "shared/types.yaml": BASIC_TYPES,
        "shared/blueprint.yaml": """\
            tosca_definitions_version: cloudify_dsl_1_4
            imports: [types.yaml]
            node_templates:
              db:
                type: cloudify.nodes.Root
                interfaces:
                  cloudify.interfaces.lifecycle:
                    create: scripts/conf.sh
            """,
    })
    result = bp({"blueprint.yaml": blueprint("", "sh--blueprint:shared")}, blueprint_catalog=tmp_path / "catalog")
    assert result.ok, result.problems
    create = node(result.plan, "sh--db")["operations"]["cloudify.interfaces.lifecycle.create"]
    assert subset(create, plugin=1, operation=1, inputs=1) == {
        "plugin": "script", "operation": "script_runner.tasks.run", "inputs": {"script_path": "sh--scripts/conf.sh"}}
