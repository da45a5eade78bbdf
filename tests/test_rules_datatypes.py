"""Issue 7 item 6: values of data types completed from nested defaults, and defaults of the wrong
type reported once, where they are written.

Each verdict, code and merged value below is the reference's (cloudify-common 7.0.5 dsl_parser),
read from running it on the same snippet (a node type `T` with one property `conf`); the
differential run's `constraints` probe family keeps comparing generated variants with it.
"""
from __future__ import annotations

import pytest

from tests.conftest import blueprint, codes, places

INNER_OUTER = """\
data_types:
  Inner:
    properties:
      a: {type: integer}
      b: {type: string}
      m: {type: dict, default: {x: 1}}
  Outer:
    properties:
      nested: {type: Inner, default: {a: 1}}
"""

TWO_LEVELS = """\
data_types:
  Inner2:
    properties:
      c: {type: string}
      d: {type: integer, required: false}
  Inner:
    properties:
      deep: {type: Inner2, default: {c: x}}
      e: {type: integer, default: 3}
  Outer:
    properties:
      nested: {type: Inner}
"""

TWO_LEVELS_FROM_ABOVE = """\
data_types:
  Inner2:
    properties:
      c: {type: string}
      d: {type: integer, required: false}
  Inner:
    properties:
      deep: {type: Inner2}
  Outer:
    properties:
      nested: {type: Inner, default: {deep: {c: x}}}
"""

REQUIRED_INSIDE = """\
data_types:
  Inner:
    properties:
      a: {type: integer}
      b: {type: string, default: s}
  Outer:
    properties:
      nested: {type: Inner}
"""


def _tree(data_types: str, conf_schema: str, given: str) -> str:
    return blueprint(data_types + f"""\
node_types:
  T:
    derived_from: cloudify.nodes.Root
    properties:
      conf: {conf_schema}
node_templates:
  n: {{type: T, properties: {given}}}
""")


def _conf(result) -> dict:
    model = result.graph.graph["model"]
    return next(node for node in model.nodes if node.id == "n").properties["conf"]


@pytest.mark.parametrize("data_types, conf_schema, given, expected", [
    # the type's nested default and the node type's default for the whole value both fill in
    (INNER_OUTER, "{type: Outer, default: {nested: {b: y}}}", "{conf: {nested: {}}}",
     {"nested": {"a": 1, "b": "y", "m": {"x": 1}}}),
    (INNER_OUTER, "{type: Outer, default: {nested: {b: y}}}", "{conf: {nested: {a: 7}}}",
     {"nested": {"a": 7, "b": "y", "m": {"x": 1}}}),
    # the enclosing default wins over the data type's own
    (INNER_OUTER, "{type: Outer, default: {nested: {a: 2, b: z}}}", "{}",
     {"nested": {"a": 2, "b": "z", "m": {"x": 1}}}),
    # a property of type dict is replaced, not merged
    (INNER_OUTER, "{type: Outer, default: {nested: {b: z}}}", "{conf: {nested: {m: {y: 2}}}}",
     {"nested": {"a": 1, "b": "z", "m": {"y": 2}}}),
    # two levels deep: the nested type's default, and the outer type's default for the nested one
    (TWO_LEVELS, "{type: Outer}", "{conf: {nested: {deep: {d: 1}}}}",
     {"nested": {"deep": {"c": "x", "d": 1}, "e": 3}}),
    (TWO_LEVELS_FROM_ABOVE, "{type: Outer}", "{conf: {nested: {deep: {d: 1}}}}",
     {"nested": {"deep": {"c": "x", "d": 1}}}),
    # a null given to a string is kept; the default supplies the rest
    (REQUIRED_INSIDE, "{type: Outer, default: {nested: {a: 1}}}", "{conf: {nested: {b: null}}}",
     {"nested": {"a": 1, "b": None}}),
])
def test_partial_values_take_nested_defaults(bp, data_types, conf_schema, given, expected):
    result = bp({"blueprint.yaml": _tree(data_types, conf_schema, given)})
    assert result.ok, [(p.code, p.message) for p in result.problems]
    assert _conf(result) == expected


@pytest.mark.parametrize("data_types, conf_schema, given, code", [
    # a null given where a data type is expected, at the top and nested
    (REQUIRED_INSIDE, "{type: Outer}", "{conf: null}", "property-type-mismatch"),
    (INNER_OUTER, "{type: Outer, default: {nested: {b: z}}}", "{conf: {nested: null}}", "property-type-mismatch"),
    (INNER_OUTER, "{type: Outer, default: {nested: {b: z}}}", "{conf: {nested: {a: null}}}",
     "property-type-mismatch"),
    # a required nested property that no layer gives: given empty, not given, not required, or a
    # default that sets another key or is null
    (REQUIRED_INSIDE, "{type: Outer}", "{conf: {}}", "property-missing"),
    (REQUIRED_INSIDE, "{type: Outer}", "{}", "property-missing"),
    (REQUIRED_INSIDE, "{type: Outer, required: false}", "{}", "property-missing"),
    (REQUIRED_INSIDE, "{type: Outer, default: {nested: {b: t}}}", "{}", "property-missing"),
    (REQUIRED_INSIDE, "{type: Outer, default: null}", "{}", "property-missing"),
    # an unknown key is the one fault: the defaults supply every required property
    (INNER_OUTER, "{type: Outer, default: {nested: {b: y}}}", "{conf: {nested: {c: 5}}}", "property-unknown"),
    (INNER_OUTER, "{type: Outer, default: {nested: {a: 2}}}", "{conf: {nested: {b: k}, extra: 1}}",
     "property-unknown"),
])
def test_faults_in_data_type_values(bp, data_types, conf_schema, given, code):
    result = bp({"blueprint.yaml": _tree(data_types, conf_schema, given)})
    assert codes(result) == [code]


def test_a_nested_default_of_the_wrong_type_is_reported_once_at_the_default(bp):
    body = """\
data_types:
  Inner2:
    properties:
      c: {type: integer}
  Inner:
    properties:
      deep: {type: Inner2}
  Outer:
    properties:
      nested: {type: Inner, default: {deep: {c: x}}}
node_types:
  T:
    derived_from: cloudify.nodes.Root
    properties:
      conf: {type: Outer, required: false}
node_templates:
  n: {type: T}
  m: {type: T}
"""
    result = bp({"blueprint.yaml": blueprint(body)})
    # line 13 of the file (the header has three lines), the value of `c` inside the default
    assert places(result, bp.root) == [("property-type-mismatch", "blueprint.yaml", 13, 49)]


def test_an_input_of_a_data_type_takes_its_nested_defaults(bp):
    body = REQUIRED_INSIDE + """\
  O2:
    properties:
      nested: {type: Inner, default: {a: 1}}
inputs:
  i: {type: O2, default: {nested: {b: y}}}
  k: {type: Outer, default: {}}
"""
    result = bp({"blueprint.yaml": blueprint(body)})
    # `i` is complete with O2's nested default; `k` lacks nested.a
    assert places(result, bp.root) == [("property-missing", "blueprint.yaml", 17, 29)]


@pytest.mark.parametrize("schema, expected", [
    # a null default is no default to the reference's type check, of a primitive or a data type
    ("{type: integer, default: null}", []),
    ("{type: Inner, default: null}", []),
    # ... but its constraints still judge it
    ("{type: integer, default: null, constraints: [{valid_values: [1]}]}", ["input-constraint-violated"]),
])
def test_a_null_input_default(bp, schema, expected):
    body = "data_types:\n  Inner:\n    properties:\n      a: {type: integer}\ninputs:\n  k: " + schema + "\n"
    assert codes(bp({"blueprint.yaml": blueprint(body)})) == expected


@pytest.mark.parametrize("pattern, value, expected", [
    # the reference matches a pattern from the value's start (re.match), not the whole value
    ("^a", "abc", []),
    ("ab", "abc", []),
    ("abc", "abc", []),
    ("b", "abc", ["input-constraint-violated"]),
    ("c$", "abc", ["input-constraint-violated"]),
    ("^abcd", "abc", ["input-constraint-violated"]),
])
def test_a_pattern_constraint_matches_from_the_start(bp, pattern, value, expected):
    body = f"inputs:\n  k:\n    type: string\n    constraints: [{{pattern: '{pattern}'}}]\n    default: {value}\n"
    assert codes(bp({"blueprint.yaml": blueprint(body)})) == expected


@pytest.mark.parametrize("schema, expected", [
    # a list with an item_type: the reference judges each item, not the list
    ("{type: list, item_type: string, constraints: [{max_length: 2}], default: [aaa, b]}",
     ["input-constraint-violated"]),
    ("{type: list, item_type: string, constraints: [{valid_values: [a, b]}], default: [a, b]}", []),
    ("{type: list, item_type: string, constraints: [{min_length: 1}], default: []}", []),
    ("{type: list, item_type: integer, constraints: [{greater_than: 1}], default: [2, 3]}", []),
    ("{type: list, item_type: integer, constraints: [{greater_than: 1}], default: [2, 1]}",
     ["input-constraint-violated"]),
    ("{type: list, item_type: list, constraints: [{min_length: 2}], default: [[a, b], [c]]}",
     ["input-constraint-violated"]),
    # ... the list itself, without an item_type
    ("{type: list, constraints: [{min_length: 3}], default: [a, b]}", ["input-constraint-violated"]),
    # ... which it cannot read when it is null
    ("{type: list, item_type: string, default: null}", ["property-type-mismatch"]),
    # a value of an object-based type is checked against the manager: refused while parsing
    ("{type: node_id, default: x}", ["input-default-object-type"]),
    ("{type: node_id, default: null}", ["input-default-object-type"]),
    ("{type: list, item_type: node_id, default: [x]}", ["input-default-object-type"]),
    ("{type: list, item_type: deployment_id, default: []}", []),
    ("{type: deployment_id}", []),
    # an operator that asks the manager, on a type it is not for, with a default to judge
    ("{type: string, constraints: [{name_pattern: {starts_with: a}}], default: abc}",
     ["input-constraint-type-invalid"]),
    ("{type: string, constraints: [{name_pattern: {starts_with: a}}]}", []),
    ("{type: integer, constraints: [{deployment_id: x}], default: 1}", ["input-constraint-type-invalid"]),
    ("{type: list, item_type: string, constraints: [{labels: [a]}], default: [a]}",
     ["input-constraint-type-invalid"]),
    ("{type: list, item_type: string, constraints: [{labels: [a]}], default: []}", []),
    ("{type: blueprint_id, constraints: [{name_pattern: {starts_with: a}}]}", []),
])
def test_an_input_default_is_judged_as_the_reference_judges_it(bp, schema, expected):
    # each row's verdict was the reference's (cloudify-common 7.0.5, parse_from_path)
    body = "inputs:\n  k: " + schema + "\n"
    assert codes(bp({"blueprint.yaml": blueprint(body, version="cloudify_dsl_1_5")})) == expected


@pytest.mark.parametrize("body, expected", [
    # a data-typed schema property without a default is filled from its data type, whose null
    # integer default is then a fault -- in a data type, and in a node type no template uses
    ("  Outer:\n    properties:\n      nested: {type: Inner}\n", [("property-type-mismatch", 10, 7)]),
    ("node_types:\n  T:\n    derived_from: cloudify.nodes.Root\n    properties:\n      conf: {type: Inner}\n",
     [("property-type-mismatch", 12, 7)]),
    # a default that sets the integer hides the null one
    ("  Outer:\n    properties:\n      nested: {type: Inner, default: {a: 3}}\n", []),
    # alone, the data type's null default is no fault
    ("", []),
])
def test_null_defaults_nested_in_a_data_type(bp, body, expected):
    text = blueprint("data_types:\n  Inner:\n    properties:\n      a: {type: integer, default: null}\n" + body)
    result = bp({"blueprint.yaml": text})
    assert [(code, line, column) for code, _, line, column in places(result, bp.root)] == expected


def test_a_workflow_parameter_default_takes_nested_defaults(bp):
    body = """\
plugins:
  wf: {executor: central_deployment_agent, install: false}
data_types:
  Inner:
    properties:
      a: {type: integer}
      b: {type: string}
  Outer:
    properties:
      nested: {type: Inner, default: {b: x}}
workflows:
  go:
    mapping: wf.tasks.go
    parameters:
      p: {type: Outer, default: {nested: {a: 5}}}
"""
    result = bp({"blueprint.yaml": blueprint(body)})
    assert result.ok, codes(result)
    assert result.plan["workflows"]["go"]["parameters"] == {
        "p": {"type": "Outer", "default": {"nested": {"a": 5, "b": "x"}}}}


@pytest.mark.parametrize("parameter, code", [
    ("{type: integer, default: x}", "property-type-mismatch"),
    ("{type: Outer, default: {}}", "property-missing"),
    ("{type: Outer, default: {nested: {a: 1, c: 2}}}", "property-unknown"),
    ("{type: Outer, default: {nested: {a: one}}}", "property-type-mismatch"),
    ("{type: Outer, default: {nested: null}}", "property-type-mismatch"),
    # neither constraints nor item types are checked there, and a null default is none
    ("{type: integer, default: 5, constraints: [{valid_values: [1]}]}", None),
    ("{type: list, item_type: integer, default: [a]}", None),
    ("{default: {get_input: x}, constraints: [{valid_values: [1]}]}", None),
    ("{type: Outer}", None),
    ("{type: Outer, default: null}", None),
    ("{type: integer, default: null}", None),
])
def test_workflow_parameter_defaults_against_their_types(bp, parameter, code):
    body = """\
plugins:
  wf: {executor: central_deployment_agent, install: false}
inputs:
  x: {default: 1}
data_types:
  Inner:
    properties:
      a: {type: integer}
  Outer:
    properties:
      nested: {type: Inner}
workflows:
  go:
    mapping: wf.tasks.go
    parameters:
      p: """ + parameter + "\n"
    result = bp({"blueprint.yaml": blueprint(body)})
    assert codes(result) == ([code] if code else [])
