"""The JSON Schemas in schemas/ and the schema check the loader runs on every file (resolver/schema.py)."""
from __future__ import annotations

import copy
import json
import random
import textwrap
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, validators as jsonschema_validators
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from resolver import MemoryRegistry, Resolver
from resolver import imports as imports_stage
from resolver import schema
from resolver.load import load_yaml
from resolver.problems import Problems

from .conftest import BASIC_TYPES, REPO, blueprint, places, write_tree

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def schema_problems(text: str, kind: str = schema.BLUEPRINT) -> list[tuple]:
    """(code, line, column) of the schema check's problems for one YAML text, in report order."""
    doc = load_yaml(textwrap.dedent(text), "file.yaml", Problems())
    problems = Problems()
    schema.check(doc, kind, problems)
    return [(p.code, p.line, p.column) for p in problems.sorted()]


def refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


# --- the schemas themselves -------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(schema.SCHEMA_FILES))
def test_the_schemas_are_valid_2020_12_schemas(kind):
    document = schema.load_schema(kind)
    assert document["$schema"] == DRAFT_2020_12
    Draft202012Validator.check_schema(document)
    assert schema.schema_path(kind) == str(REPO / "schemas" / schema.SCHEMA_FILES[kind])


def test_every_reference_resolves_through_a_registry_of_the_two_schemas():
    documents = [schema.load_schema(kind) for kind in schema.SCHEMA_FILES]
    registry = Registry().with_resources((d["$id"], DRAFT202012.create_resource(d)) for d in documents)
    for document in documents:
        resolver = registry.resolver(document["$id"])
        for ref in refs(document):
            assert isinstance(resolver.lookup(ref).contents, dict), ref


def test_the_plugin_schema_reuses_the_blueprint_definitions():
    plugin = schema.load_schema(schema.PLUGIN)
    assert not plugin.get("$defs")
    assert all(ref.startswith("blueprint.schema.json#/$defs/") for ref in refs(plugin))
    assert set(plugin["properties"]) == {
        "tosca_definitions_version", "description", "dsl_definitions", "plugins", "node_types", "relationships",
        "data_types", "workflows", "labels", "blueprint_labels", "resource_tags"}


def test_every_definition_has_a_title_and_a_description_for_editor_hovers():
    for name, definition in schema.load_schema(schema.BLUEPRINT)["$defs"].items():
        assert definition.get("title") and definition.get("description"), name


def test_the_top_level_keys_are_the_references():
    # SPEC §1.1, in the reference's order
    assert list(schema.load_schema(schema.BLUEPRINT)["properties"]) == [
        "tosca_definitions_version", "description", "imports", "dsl_definitions", "metadata", "inputs", "plugins",
        "node_types", "relationships", "data_types", "node_templates", "workflows", "outputs", "capabilities",
        "groups", "policies", "policy_types", "policy_triggers", "labels", "blueprint_labels", "resource_tags",
        "deployment_settings", "imported_blueprints", "namespaces_mapping"]


# --- files that are fine ----------------------------------------------------------------------


FIXTURE_FILES = sorted(path for folder in ("example", "cases") for path in (REPO / "fixtures" / folder).rglob("*.yaml")
                       if path.name != "expected.yaml")


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[str(p.relative_to(REPO / "fixtures")) for p in FIXTURE_FILES])
def test_the_fixture_files_validate(path: Path):
    kind = schema.PLUGIN if "registry" in path.parts else schema.BLUEPRINT
    assert schema_problems(path.read_text(encoding="utf-8"), kind) == []


def test_the_tests_basic_types_validate():
    assert schema_problems(BASIC_TYPES) == []


def test_every_section_in_its_richest_form_validates():
    assert schema_problems("""\
        tosca_definitions_version: cloudify_dsl_1_5
        description: everything
        imports:
          - types.yaml
          - plugin:cloudify-demo-plugin?version=>=2: {region: {get_secret: region}}
        dsl_definitions:
          common: &common {size: 1}
        metadata: {owner: me}
        inputs:
          port:
            type: integer
            default: 8080
            description: the port
            required: false
            constraints: [{in_range: [1, 65535]}]
            display_label: Port
            hidden: false
          text: {type: textarea, display: {rows: 4}}
          ports: {type: list, item_type: integer, default: []}
        plugins:
          p:
            executor: central_deployment_agent
            source: https://example.com/p.zip
            install: true
            install_arguments: -U
            package_name: demo
            package_version: '1.0'
            supported_platform: any
            distribution: centos
            distribution_version: '7'
            distribution_release: core
            properties_description: settings
            properties:
              region: {type: string, description: where, display_label: Region, value: eu}
        data_types:
          Size:
            derived_from: Base
            description: a size
            version: '1'
            properties:
              gb: {type: integer, default: 1, required: true, description: gigabytes}
        node_types:
          T:
            derived_from: cloudify.nodes.Root
            properties:
              size: {type: Size, default: *common}
              free: {}
              empty:
            runtime_properties:
              ip: {type: string}
            interfaces:
              cloudify.interfaces.lifecycle:
                create: p.tasks.create
                configure: {}
                start: ''
                stop:
                delete:
                  implementation: p.tasks.delete
                  inputs:
                    force: {type: boolean, default: false, constraints: [{valid_values: [true, false]}]}
                  executor: host_agent
                  max_retries: -1
                  retry_interval: 2.5
                  timeout: 60
                  timeout_recoverable: true
        relationships:
          R:
            derived_from: cloudify.relationships.depends_on
            properties: {mode: {default: fast}}
            source_interfaces:
              cloudify.interfaces.relationship_lifecycle: {establish: p.rel.link}
            target_interfaces:
              cloudify.interfaces.relationship_lifecycle:
                unlink: {implementation: p.rel.unlink, executor: central_deployment_agent}
        node_templates:
          vm:
            type: T
            properties: {size: {gb: 2}, anything: [1, {get_input: port}]}
            capabilities:
              scalable:
                properties: {default_instances: 2, min_instances: 0, max_instances: UNBOUNDED}
            interfaces:
              cloudify.interfaces.lifecycle:
                create: {inputs: {x: {get_input: port}}}
                start: scripts/start.sh
          old:
            type: T
            instances: {deploy: 2}
          app:
            type: T
            relationships:
              - type: R
                target: vm
                properties: {mode: slow}
                source_interfaces:
                  cloudify.interfaces.relationship_lifecycle: {establish: {inputs: {a: 1}}}
                target_interfaces: {}
          extra_wiring:
            relationships:
              - {type: R, target: vm}
        workflows:
          simple: p.wf.run
          full:
            mapping: p.wf.full
            parameters:
              level: {type: integer, default: 2, description: d, required: false, constraints: []}
              names: {type: list, item_type: string}
            is_cascading: true
            availability_rules:
              available: true
              node_instances_active: [all, partial]
              node_types_required: [T]
        outputs:
          ip: {description: the ip, value: {get_attribute: [vm, ip]}}
        capabilities:
          endpoint: {value: {concat: [http://, {get_attribute: [vm, ip]}]}}
        groups:
          g:
            members: [vm]
            policies:
              scale:
                type: cloudify.policies.types.threshold
                properties: {metric: cpu}
                triggers:
                  t: {type: cloudify.policies.triggers.execute_workflow, parameters: {workflow: heal}}
        policies:
          scale_g: {type: cloudify.policies.scaling, targets: [g], properties: {default_instances: 1}}
        policy_types:
          cloudify.policies.types.threshold: {source: riemann/threshold.clj, properties: {metric: {default: x}}}
        policy_triggers:
          cloudify.policies.triggers.execute_workflow:
            source: riemann/execute_workflow.clj
            parameters: {workflow: {description: which}}
        labels:
          env: {values: [prod, {get_input: port}]}
        blueprint_labels:
          team: {values: [a, b]}
        resource_tags:
          owner: me
          cost: {get_input: port}
        deployment_settings:
          id_template: app-{uuid}
          display_name: {get_input: port}
          default_groups: [g1]
          default_schedules:
            nightly:
              workflow: heal
              since: '+1h'
              until: '2030-01-01 00:00'
              recurrence: 1 day
              timezone: UTC
              weekdays: [mo, tu]
              count: 5
              default_enabled: true
              stop_after_fail: false
              slip: 10
              workflow_parameters: {a: 1}
              execution_arguments: {force: true, is_dry_run: false, wait_after_fail: 60,
                                    allow_custom_parameters: true}
        """) == []


def test_empty_values_count_as_absent_as_in_the_reference():
    assert schema_problems("""\
        description:
        inputs: {a: }
        node_types:
          T:
            properties:
            interfaces: {i: }
        outputs: {o: }
        """) == []


# --- one problem per fault, at the key or value at fault ---------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("foo: 1\nbar: 2\n", [("schema-unknown-key", 1, 1), ("schema-unknown-key", 2, 1)]),
    ("node_types: [a]\n", [("schema-wrong-type", 1, 13)]),
    ("node_types:\n  5: {}\n", [("schema-wrong-type", 2, 3)]),
    ("plugins:\n  p: {install: false}\n", [("schema-missing-key", 2, 3)]),
    ("plugins:\n  p: {executor: ~, install: false}\n", [("schema-wrong-type", 2, 17)]),
    ("plugins:\n  p: {executor: host_agent, package_version: 1.2, colour: red}\n",
     [("schema-wrong-type", 2, 46), ("schema-unknown-key", 2, 51)]),
    ("plugins:\n  p: [executor]\n", [("schema-wrong-type", 2, 6)]),
    ("node_templates:\n  n:\n    properties: {}\n", [("schema-missing-key", 2, 3)]),
    ("node_templates:\n  n:\n    type: T\n    colour: red\n", [("schema-unknown-key", 4, 5)]),
    ("node_templates:\n  n: {type: [T]}\n", [("schema-wrong-type", 2, 13)]),
    ("node_templates:\n  n:\n    type: T\n    relationships:\n      - {type: R}\n      - just-a-string\n",
     [("schema-missing-key", 5, 9), ("schema-wrong-type", 6, 9)]),
    ("node_templates:\n  n:\n    type: T\n    relationships: {type: R, target: m}\n", [("schema-wrong-type", 4, 20)]),
    ("node_templates:\n  n:\n    type: T\n    instances: {deploy: many}\n", [("schema-wrong-type", 4, 25)]),
    ("node_types:\n  T:\n    interfaces:\n      i:\n        op: {implementation: p.x, colour: red}\n",
     [("schema-unknown-key", 5, 35)]),
    ("node_types:\n  T:\n    interfaces:\n      i:\n        op: 5\n", [("schema-wrong-type", 5, 13)]),
    ("node_types:\n  T:\n    interfaces:\n      i:\n        op: {implementation: p.x, max_retries: 1.5}\n",
     [("schema-wrong-type", 5, 48)]),
    ("node_types:\n  T:\n    interfaces:\n      i:\n        op: {timeout: soon, timeout_recoverable: 1}\n",
     [("schema-wrong-type", 5, 23), ("schema-wrong-type", 5, 50)]),
    ("node_types:\n  T:\n    properties:\n      p: {type: string, display_label: P}\n",
     [("schema-unknown-key", 4, 25)]),
    ("node_types:\n  T:\n    properties:\n      p: {type: 5}\n", [("schema-wrong-type", 4, 17)]),
    ("node_types:\n  T:\n    colour: red\n", [("schema-unknown-key", 3, 5)]),
    ("inputs:\n  i: {type: string, colour: red}\n", [("schema-unknown-key", 2, 21)]),
    ("workflows:\n  w:\n    mapping: p.x\n    parameters:\n      a: {display_label: A}\n",
     [("schema-unknown-key", 5, 11)]),
    ("workflows:\n  w: {mapping: p.x, colour: red}\n", [("schema-unknown-key", 2, 21)]),
    ("workflows:\n  w: 5\n", [("schema-wrong-type", 2, 6)]),
    ("workflows:\n  w: ~\n", [("schema-wrong-type", 2, 6)]),
    ("outputs:\n  o: {description: d}\n", [("schema-missing-key", 2, 3)]),
    ("blueprint_labels:\n  team: {values: [a, 5]}\n", [("schema-wrong-type", 2, 22)]),
    ("groups:\n  g: {policies: {}}\n", [("schema-missing-key", 2, 3)]),
    # jsonschema leaves a None key out of the paths beneath it: the faults there are found where they are
    ("node_types:\n  T:\n    interfaces:\n      ~:\n        op: {zz: 1}\n",
     [("schema-wrong-type", 4, 7), ("schema-unknown-key", 5, 14)]),
    ("node_types:\n  T:\n    properties:\n      ~: {colour: red}\n      p: {colour: blue}\n",
     [("schema-wrong-type", 4, 7), ("schema-unknown-key", 4, 11), ("schema-unknown-key", 5, 11)]),
    ("node_types:\n  T:\n    properties:\n      null: 5\n", [("schema-wrong-type", 4, 7), ("schema-wrong-type", 4, 13)]),
], ids=["unknown-top-level-keys", "section-not-a-mapping", "name-not-a-string", "plugin-without-executor",
        "plugin-executor-empty", "plugin-version-float-and-unknown-key", "plugin-not-a-mapping",
        "template-without-type", "template-unknown-key", "template-type-not-a-string", "relationship-items",
        "relationships-not-a-list", "instances-deploy-not-a-number", "operation-unknown-key",
        "operation-not-a-string-or-mapping", "max-retries-float", "timeout-types", "property-schema-unknown-key",
        "property-type-not-a-string", "node-type-unknown-key", "input-unknown-key",
        "workflow-parameter-unknown-key", "workflow-unknown-key", "workflow-not-a-string-or-mapping",
        "workflow-empty", "output-without-value", "blueprint-label-value", "group-without-members",
        "none-named-interface", "none-named-property-beside-another", "none-named-property-not-a-mapping"])
def test_each_fault_is_one_problem_at_its_position(text, expected):
    assert schema_problems(text) == expected


def test_a_template_that_only_adds_relationships_needs_no_type_in_its_own_file():
    # DSL >= 1_3 merges it with the template of the same name from another file; once merged,
    # a template still without a type is reported by the nodes stage.
    assert schema_problems("node_templates:\n  n:\n    relationships: []\n  m: {}\n") == []


def test_editor_only_keywords_leave_their_faults_to_the_stages_that_own_them():
    # enum, minimum and the single-entry import rule have their own codes elsewhere
    # (plugin-executor-invalid, operation-value-invalid, import-properties-invalid)
    assert schema_problems("""\
        plugins:
          p: {executor: nowhere, install: false}
        node_types:
          T:
            interfaces:
              i:
                op: {executor: elsewhere, max_retries: -5, timeout: -1}
        """) == []


@pytest.mark.parametrize("text", [
    "tosca_definitions_version: 13\n",
    "imports: types.yaml\n",
    "imports: [5, {a: 1, b: 2}, {plugin:x: 5}]\n",
])
def test_the_import_walkers_sections_are_left_to_it(text):
    assert schema_problems(text) == []


def test_the_plugin_schema_admits_only_plugin_sections():
    text = "plugins:\n  p: {executor: host_agent, install: false}\nnode_templates: {}\ninputs: {}\n"
    assert schema_problems(text, schema.PLUGIN) == [("schema-unknown-key", 3, 1), ("schema-unknown-key", 4, 1)]
    assert schema_problems(text, schema.BLUEPRINT) == []


def test_problems_say_where_and_what_is_valid():
    problems = Problems()
    doc = load_yaml("plugins:\n  p: {executor: host_agent, instal: false}\n", "file.yaml", Problems())
    schema.check(doc, schema.BLUEPRINT, problems)
    (problem,) = problems
    assert problem.message == "'instal' is not a valid plugin key (at plugins.p)"
    assert problem.hint.startswith("Did you mean 'install'? Valid keys: executor, source, install,")
    assert problem.ref_code == 1


# --- through the pipeline -----------------------------------------------------------------------


def test_a_fault_in_an_imported_file_is_reported_there(bp):
    result = bp({"blueprint.yaml": blueprint("", "lib.yaml"),
                 "lib.yaml": "node_types:\n  T:\n    properties:\n      p: {type: string, hidden: true}\n"})
    assert places(result, bp.root) == [("schema-unknown-key", "lib.yaml", 4, 25)]
    assert result.plan is None


def test_registry_files_are_checked_with_the_plugin_schema(bp):
    plugin = "plugins:\n  demo: {executor: central_deployment_agent, install: false}\ninputs: {}\n"
    registry = MemoryRegistry({"demo-plugin": {"1.0": {"plugin.yaml": plugin}}})
    result = bp({"blueprint.yaml": blueprint("", "plugin:demo-plugin")}, registries=[registry])
    (problem,) = result.problems
    assert (problem.code, problem.line, problem.column) == ("schema-unknown-key", 3, 1)
    assert problem.file.endswith("plugin.yaml") and "plugin YAML" in problem.message
    # the same text imported as a plain file is a blueprint file, where inputs belong
    result = bp({"blueprint.yaml": blueprint("", "plugin.yaml"), "plugin.yaml": plugin})
    assert result.ok and result.problems == ()


def test_each_file_is_checked_once_per_session_and_reported_for_every_blueprint(tmp_path, monkeypatch):
    calls = []

    def counting(doc, kind, problems):
        calls.append(kind)
        schema.check(doc, kind, problems)

    monkeypatch.setattr(imports_stage, "check_schema", counting)
    write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "shared.yaml": "node_types:\n  S:\n    colour: red\n",
        "a.yaml": blueprint("", "shared.yaml"),
        "b.yaml": blueprint("", "shared.yaml"),
    })
    session = Resolver()
    results = [session.resolve(tmp_path / name) for name in ("a.yaml", "b.yaml")]
    assert len(calls) == 4  # types.yaml, shared.yaml, a.yaml, b.yaml
    for result in results:
        assert places(result, tmp_path) == [("schema-unknown-key", "shared.yaml", 3, 5)]


# --- the shortcut keywords ------------------------------------------------------------------------


def test_the_shortcut_keywords_report_exactly_what_jsonschemas_own_do():
    """Our `properties`, `additionalProperties`, `items` and `propertyNames` skip values that
    certainly pass; on broken documents they must yield jsonschema's errors, no more, no fewer."""
    fast = schema.validators()
    plain_class = jsonschema_validators.extend(Draft202012Validator, type_checker=fast[schema.BLUEPRINT].TYPE_CHECKER)
    plain = {kind: plain_class(v.schema, registry=v._registry) for kind, v in fast.items()}
    junk = [5, 1.5, True, None, "text", [1, "a"], {"zz": 1}, {"implementation": 3}, {5: "x"}]
    rng = random.Random(20261125)

    def containers(value, out):
        if isinstance(value, (dict, list)):
            out.append(value)
            for child in (value.values() if isinstance(value, dict) else value):
                containers(child, out)
        return out

    def signature(validator, doc):
        return sorted((json.dumps(list(e.absolute_path), default=str), list(e.absolute_schema_path).__repr__(),
                       e.validator, e.message) for e in validator.iter_errors(doc))

    compared = 0
    for path in FIXTURE_FILES:
        kind = schema.PLUGIN if "registry" in path.parts else schema.BLUEPRINT
        original = load_yaml(path.read_text(encoding="utf-8"), str(path), Problems())
        for _ in range(6):
            doc = copy.deepcopy(original)
            for _ in range(rng.randint(1, 5)):
                target = rng.choice(containers(doc, []))
                if isinstance(target, dict) and target:
                    key = rng.choice(list(target))
                    if rng.random() < 0.6:
                        target[key] = copy.deepcopy(rng.choice(junk))
                    else:
                        target[f"bogus_{rng.randint(0, 9)}"] = copy.deepcopy(rng.choice(junk))
                elif isinstance(target, list) and target:
                    target[rng.randrange(len(target))] = copy.deepcopy(rng.choice(junk))
            expected = signature(plain[kind], doc)
            assert signature(fast[kind], doc) == expected, path
            compared += len(expected)
    assert compared > 100
