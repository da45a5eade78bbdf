"""Groups, policies, scaling, lifecycle-operation dependencies and item_type (SPEC §4.3, §8.4, §8.6)."""
from __future__ import annotations

import pytest

from tests.conftest import blueprint, codes, only, places

NODES = """\
node_templates:
  vm:
    type: cloudify.nodes.Compute
  app:
    type: cloudify.nodes.WebServer
    relationships:
      - type: cloudify.relationships.contained_in
        target: vm
"""


@pytest.mark.parametrize("extra, code, at", [
    ("groups:\n  g1:\n    members: [vm, ghost]\n", "group-member-unknown", (14, 19)),
    ("groups:\n  vm:\n    members: [app]\n", "group-name-taken", (13, 3)),
    ("groups:\n  g1:\n    members: [g2]\n  g2:\n    members: [g1]\npolicies:\n"
     "  p: {type: cloudify.policies.scaling, targets: [g1, g2]}\n", "group-cycle", None),
    ("groups:\n  g1:\n    members: [vm]\npolicies:\n  p:\n    type: my.policy\n    targets: [g1]\n",
     "policy-unsupported", (17, 11)),
    ("groups:\n  g1:\n    members: [vm]\npolicies:\n  p:\n    type: cloudify.policies.scaling\n"
     "    targets: [vm]\n", "policy-target-not-group", (18, 15)),
    ("groups:\n  g1:\n    members: [vm]\npolicies:\n  p:\n    type: cloudify.policies.scaling\n"
     "    targets: []\n", "policy-without-targets", (16, 3)),
    ("groups:\n  g1:\n    members: [vm]\n  g2:\n    members: [vm]\npolicies:\n  p:\n"
     "    type: cloudify.policies.scaling\n    targets: [g1, g2]\n", "group-member-shared", None),
    ("groups:\n  g1:\n    members: [vm]\n    policies:\n      pol:\n        type: nope\n",
     "policy-type-unknown", (17, 15)),
])
def test_group_and_policy_faults(bp, extra, code, at):
    result = bp({"blueprint.yaml": blueprint(NODES + extra)})
    assert not result.ok
    problem = only(result, code)
    if at is not None:
        assert (problem.line, problem.column) == at
    assert problem.ref_code is not None


def test_a_valid_scaling_group_is_accepted(bp):
    extra = ("groups:\n  g1:\n    members: [vm]\npolicies:\n  p:\n    type: cloudify.policies.scaling\n"
             "    targets: [g1]\n    properties: {default_instances: 2, max_instances: UNBOUNDED}\n")
    result = bp({"blueprint.yaml": blueprint(NODES + extra)})
    assert result.ok, codes(result)


@pytest.mark.parametrize("scalable, code", [
    ("{default_instances: -1}", "instances-invalid"),
    ("{min_instances: 3, default_instances: 2}", "instances-invalid"),
    ("{max_instances: 0}", "instances-invalid"),
    ("{max_instances: 2, default_instances: 3}", "instances-invalid"),
    ("{max_instances: lots}", "instances-literal-invalid"),
    ("{default_instances: {a: 1}}", "instances-not-a-function"),
])
def test_scalable_numbers(bp, scalable, code):
    body = NODES.replace("    type: cloudify.nodes.Compute\n",
                         f"    type: cloudify.nodes.Compute\n    capabilities:\n      scalable:\n"
                         f"        properties: {scalable}\n")
    result = bp({"blueprint.yaml": blueprint(body)})
    assert code in codes(result)


def test_scalable_numbers_that_are_functions_or_unbounded_pass(bp):
    body = NODES.replace("    type: cloudify.nodes.Compute\n",
                         "    type: cloudify.nodes.Compute\n    capabilities:\n      scalable:\n"
                         "        properties: {default_instances: {get_input: n}, max_instances: UNBOUNDED}\n")
    result = bp({"blueprint.yaml": blueprint("inputs:\n  n: {default: 2}\n" + body)})
    assert result.ok, codes(result)


@pytest.mark.parametrize("deploy, expected", [
    # the reference reads a boolean as a number here (Python's bool is an int): true is 1 instance
    ("true", []), ("false", []), ("2", []),
    ("-1", ["instances-deploy-negative"]), ("x", ["schema-wrong-type"]), ("1.5", ["schema-wrong-type"]),
])
def test_instances_deploy(bp, deploy, expected):
    body = NODES.replace("    type: cloudify.nodes.Compute\n",
                         f"    type: cloudify.nodes.Compute\n    instances: {{deploy: {deploy}}}\n")
    assert codes(bp({"blueprint.yaml": blueprint(body)})) == expected


def test_deploy_and_scalable_together(bp):
    body = NODES.replace("    type: cloudify.nodes.Compute\n",
                         "    type: cloudify.nodes.Compute\n    instances: {deploy: 2}\n    capabilities:\n"
                         "      scalable:\n        properties: {default_instances: 2}\n")
    result = bp({"blueprint.yaml": blueprint(body)})
    assert "instances-and-scalable" in codes(result)


LIFECYCLE_TYPES = """\
  cloudify.relationships.depends_on_lifecycle_operation:
    derived_from: cloudify.relationships.depends_on
    properties:
      operation: {default: ''}
"""


@pytest.mark.parametrize("operation, target_ops, code", [
    ("''", "", "lifecycle-dependency-without-operation"),
    ("start", "    interfaces:\n      cloudify.interfaces.lifecycle:\n        create: {}\n",
     "lifecycle-dependency-unknown-operation"),
    ("create", "    interfaces:\n      cloudify.interfaces.lifecycle:\n        create: {}\n", None),
])
def test_lifecycle_operation_dependency(bp, operation, target_ops, code):
    body = ("relationships:\n" + LIFECYCLE_TYPES + "node_templates:\n  db:\n    type: cloudify.nodes.Root\n"
            + target_ops + "  app:\n    type: cloudify.nodes.Root\n    relationships:\n"
            "      - type: cloudify.relationships.depends_on_lifecycle_operation\n        target: db\n"
            f"        properties: {{operation: {operation}}}\n")
    result = bp({"blueprint.yaml": blueprint(body)})
    if code is None:
        assert result.ok, codes(result)
    else:
        assert code in codes(result)


@pytest.mark.parametrize("schema, code", [
    ("{type: string, item_type: string}", "item-type-not-list"),
    ("{type: list, item_type: nope}", "item-type-invalid"),
    ("{type: list, item_type: integer}", None),
])
def test_item_type(bp, schema, code):
    result = bp({"blueprint.yaml": blueprint(f"inputs:\n  things: {schema}\n")})
    if code is None:
        assert result.ok, codes(result)
    else:
        assert code in codes(result)


def test_ten_independent_faults_in_three_files_are_all_reported(bp):
    """Every fault is found in one run, each at its own file, line and column."""
    files = {
        "blueprint.yaml": blueprint("""\
            inputs:
              size: {type: integer, default: big}
            node_templates:
              vm:
                type: cloudify.nodes.Compute
                properties: {ipp: 1.2.3.4}
              app:
                type: cloudify.nodes.WebSrver
              db:
                type: lib.Database
                relationships:
                  - type: cloudify.relationships.connected_to
                    target: nowhere
            """, "lib/lib.yaml"),
        "lib/lib.yaml": """\
            imports:
              - ops.yaml
            node_types:
              lib.Database:
                derived_from: cloudify.nodes.Root
                properties:
                  port: {type: integr}
                interfaces:
                  cloudify.interfaces.lifecycle:
                    create: nodb.tasks.create
            """,
        "lib/ops.yaml": """\
            plugins:
              broken:
                executor: nowhere
                install: false
            workflows:
              backup: nope.workflows.backup
            outputs:
              endpoint: {value: {get_input: missing}}
            """,
    }
    result = bp(files)
    found = set(places(result, bp.root))
    expected = {
        ("property-type-mismatch", "blueprint.yaml", 6, 34),
        ("property-unknown", "blueprint.yaml", 10, 18),
        ("node-type-unknown", "blueprint.yaml", 12, 11),
        ("relationship-target-unknown", "blueprint.yaml", 17, 17),
        ("type-name-illegal", "lib/lib.yaml", 7, 20),
        ("property-missing", "blueprint.yaml", 13, 3),
        ("operation-unmapped", "lib/lib.yaml", 10, 9),
        ("plugin-executor-invalid", "lib/ops.yaml", 3, 15),
        ("workflow-unmapped", "lib/ops.yaml", 6, 11),
        ("input-unknown", "lib/ops.yaml", 8, 21),
    }
    missing = expected - found
    assert not missing, f"missing {sorted(missing)}; found {sorted(found)}"
    assert len({p[1] for p in expected}) == 3
