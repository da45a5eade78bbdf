"""Issue 7 item 8: YAML null where an operation's input schema or a workflow parameter is written.

Each verdict and value below is the reference's (cloudify-common 7.0.5), from running it on the
same snippet; the `empty` probe family of tests/probes.py writes null in every place an
operation, interface, property or input can be written and compares with it.
"""
from __future__ import annotations

import pytest

from tests.conftest import blueprint, codes, places

TYPE_WITH_INPUT = """\
node_types:
  T:
    derived_from: cloudify.nodes.Root
    interfaces:
      i:
        run:
          implementation: ''
          inputs:
            a: {schema}
node_templates:
  n: {{type: T}}
  m: {{type: T, interfaces: {{i: {{run: {{inputs: {{a: 1}}}}}}}}}}
"""


@pytest.mark.parametrize("schema, expected", [
    ("null", [("operation-input-missing", 14, 3)]),  # an empty schema: no default, so n gives no value
    ("{}", [("operation-input-missing", 14, 3)]),
    ("{default: null}", []),
])
def test_a_null_operation_input_schema_has_no_default(bp, schema, expected):
    result = bp({"blueprint.yaml": blueprint(TYPE_WITH_INPUT.format(schema=schema))})
    assert [(code, line, column) for code, _, line, column in places(result, bp.root)] == expected


def test_a_null_workflow_parameter_is_an_empty_schema(bp):
    body = """\
plugins:
  wf: {executor: central_deployment_agent, install: false}
workflows:
  go:
    mapping: wf.tasks.go
    parameters:
      a: null
      b: {default: 1}
"""
    result = bp({"blueprint.yaml": blueprint(body)})
    assert codes(result) == []
    assert result.plan["workflows"]["go"]["parameters"] == {"a": {}, "b": {"default": 1}}
