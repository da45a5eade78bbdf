"""Issue 7: rule families beyond the corpus, and many independent faults reported in one run.

The verdicts below are the reference's (cloudify-common 7.0.5 dsl_parser), read from its source
and confirmed by running it on each snippet; tests/differential.py (with tests/probes.py) keeps
comparing generated variants with it.
"""
from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import blueprint, codes, places
from tests.test_checks import NODES



@pytest.mark.parametrize("call, ok", [
    ("{concat: [a, b]}", True),
    ("{concat: ab}", False),
    ("{merge: [{a: 1}, {get_input: m}]}", True),
    ("{merge: [{a: 1}, b]}", False),
    ("{get_sys: [tenant, name]}", True),
    ("{get_sys: [tenant, id]}", False),
    ("{get_sys: [planet, name]}", False),
    ("{get_consumers: ids}", True),
    ("{get_consumers: all}", False),
    ("{get_secret: [s]}", False),
    ("{get_secret: [s, key]}", True),
    ("{get_label: [env, '1']}", True),
    ("{get_label: [env, x]}", False),
    ("{get_capability: [dep]}", False),
    ("{get_group_capability: [grp, [a, b]]}", True),
    ("{get_environment_capability: [cap]}", False),
    ("{get_attributes_dict: [vm, ip, ip]}", False),
    ("{get_attributes_dict: [vm, ip, [a, b]]}", True),
    ("{string_find: [abc, b]}", True),
    ("{string_find: [abc, 3]}", False),
    ("{string_replace: [abc, b, c, '1']}", False),
    ("{string_split: ['a,b', ',', 0]}", True),
    ("{string_upper: [abc]}", False),
    ("{string_lower: {get_input: m}}", True),
    ("{get_property: [vm, ip]}", True),
    ("{get_property: [vm, nothing]}", False),
    ("{get_property: [vm]}", False),
    ("{get_attribute: [SELF, ip]}", False),
    ("{get_attribute: [ghost, ip]}", False),
])
def test_function_arguments_in_outputs(bp, call, ok):
    body = NODES + "inputs:\n  m: {default: {}}\noutputs:\n  out:\n    value: " + call + "\n"
    result = bp({"blueprint.yaml": blueprint(body)})
    assert result.ok == ok, codes(result)
    if not ok:
        assert codes(result)[0] in ("function-arguments-invalid", "property-reference-unknown",
                                    "function-scope-invalid", "node-reference-unknown")
        assert (result.problems[0].line, result.problems[0].column) == (16, 12)  # at the call


def test_merge_needs_1_3(bp):
    body = NODES + "outputs:\n  out:\n    value: {merge: [{a: 1}]}\n"
    assert "feature-version" in codes(bp({"blueprint.yaml": blueprint(body, version="cloudify_dsl_1_2")}))
    assert bp({"blueprint.yaml": blueprint(body, version="cloudify_dsl_1_3")}).ok


@pytest.mark.parametrize("section, ok", [
    ("outputs", True), ("inputs", True), ("groups", True), ("labels", True), ("plugins", False), ("metadata", False),
])
def test_empty_sections(bp, section, ok):
    result = bp({"blueprint.yaml": blueprint(f"{section}:\n" + NODES)})
    assert result.ok == ok, codes(result)


def test_an_empty_section_beside_a_defined_one_in_another_file(bp):
    files = {"blueprint.yaml": blueprint("outputs:\n" + NODES, "more.yaml"),
             "more.yaml": "outputs:\n  o: {value: 1}\n"}
    assert codes(bp(files)) == ["section-null"]


def test_many_independent_faults_in_every_family_each_reported_once_in_place(bp):
    """One run finds every fault, each once, at the key or value to edit (issue 7, item 10)."""
    files = {
        "blueprint.yaml": blueprint("""\
            inputs:
              secret_size:
                type: integer
                default: {get_secret: size}
                constraints:
                  - greater_than: 1
              name:
                default: x
                constraints:
                  - min_length: 1
                    error_message: too short
            node_templates:
              vm:
                type: cloudify.nodes.Compute
                capabilities:
                  scalable:
                    properties: {max_instances: lots}
              db1:
                type: lib.Database
                relationships:
                  - type: lib.relationships.nothing
                    target: nowhere
              db2:
                type: lib.Database
            groups:
              g:
                members: [vm]
                policies:
                  watch:
                    type: lib.policies.watch
                    properties: {treshold: 3, limit: 1}
            labels:
              tier:
                values: [{get_attribute: [vm, ip]}]
            deployment_settings:
              default_schedules:
                nightly:
                  workflow: install
                  since: '2030-01-01 02:00'
                  recurrence: every night
            outputs:
              address:
                value: {get_property: [vm, address]}
            """, "lib/lib.yaml", version="cloudify_dsl_1_4"),
        "lib/lib.yaml": """\
            imports:
              - ops.yaml
            node_types:
              lib.Database:
                derived_from: cloudify.nodes.Root
                properties:
                  port: {type: integer, default: eighty}
              lib.Unused:
                derived_from: cloudify.nodes.Root
                properties:
                  enabled: {type: boolean, default: 1}
            policy_types:
              lib.policies.watch:
                source: policies/watch.clj
                properties:
                  limit: {type: integer}
            data_types:
              lib.Endpoint:
                properties:
                  port: {type: integer}
              lib.Service:
                properties:
                  endpoint: {type: lib.Endpoint, default: {port: eighty}}
            """,
        "lib/ops.yaml": """\
            plugins:
            workflows:
              backup: nope.workflows.backup
            capabilities:
              greeting:
                value: {concat: hello}
            """,
    }
    result = bp(files)
    found = Counter(places(result, bp.root))
    expected = {
        ("input-function-with-constraints", "blueprint.yaml", 8, 14),
        ("feature-version", "blueprint.yaml", 14, 9),
        ("instances-literal-invalid", "blueprint.yaml", 21, 37),
        ("relationship-type-unknown", "blueprint.yaml", 25, 15),
        ("relationship-target-unknown", "blueprint.yaml", 26, 17),
        ("property-unknown", "blueprint.yaml", 35, 22),
        ("label-value-invalid", "blueprint.yaml", 38, 14),
        ("schedule-invalid", "blueprint.yaml", 44, 19),
        ("property-reference-unknown", "blueprint.yaml", 47, 12),
        ("property-type-mismatch", "lib/lib.yaml", 7, 38),
        ("property-type-mismatch", "lib/lib.yaml", 11, 41),
        ("property-type-mismatch", "lib/lib.yaml", 23, 54),
        ("section-null", "lib/ops.yaml", 1, 1),
        ("workflow-unmapped", "lib/ops.yaml", 3, 11),
        ("function-arguments-invalid", "lib/ops.yaml", 6, 12),
    }
    missing = expected - set(found)
    assert not missing, f"missing {sorted(missing)}; found {sorted(found)}"
    assert all(found[place] == 1 for place in expected), found
    # the default of lib.Database is blamed at the default, not at db1 and db2 that inherit it
    assert not [p for p in found if p[0] == "property-type-mismatch" and p[1] == "blueprint.yaml"]
    assert len({place[1] for place in expected}) == 3
