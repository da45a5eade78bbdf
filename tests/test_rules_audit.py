"""Rules found by reading the reference's element code rule by rule, each case judged by the
reference itself in this run.

Every case is a small tree of files (`main.yaml` and what it imports). The reference
(cloudify-common 7.0.5's `parse_from_path`, from `.ref`, in one subprocess for all cases) and we
must agree on the verdict; where the reference refuses, we must refuse with the code given. The
cases are the ones where we once differed: null values that the reference's version gates skip
while `{}` and '' count, data types that contain themselves through their properties, a
depends_on_lifecycle_operation naming its operation with a function, and the others below.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from resolver import Options, Resolver

T = "node_types: {cloudify.nodes.Root: {}}\n"
P = "plugins: {p: {executor: central_deployment_agent, install: false}}\n"
LIFECYCLE_TYPES = """node_types:
  cloudify.nodes.Root:
    interfaces:
      cloudify.interfaces.lifecycle: {create: {}, configure: {}}
relationships:
  cloudify.relationships.depends_on: {}
  cloudify.relationships.depends_on_lifecycle_operation:
    derived_from: cloudify.relationships.depends_on
    properties: {operation: {default: ''}}
"""


SCRIPT = "plugins: {script: {executor: central_deployment_agent, install: false}}\n" + T + "node_templates: {n: {type: cloudify.nodes.Root, interfaces: {i: {op: '%s'}}}}\n"
PLUGIN_WITH_PROPERTIES = "plugins:\n  p: {executor: central_deployment_agent, install: false, properties: {k: {type: %s}}}\n"


def _v(version: str, body: str) -> str:
    return f"tosca_definitions_version: cloudify_dsl_{version}\n{body}"


def _lifecycle_operation(value: str) -> dict:
    return {"t.yaml": LIFECYCLE_TYPES, "main.yaml": _v("1_4", f"""imports: [t.yaml]
node_templates:
  m:
    type: cloudify.nodes.Root
    interfaces: {{cloudify.interfaces.lifecycle: {{create: {{}}}}}}
  n:
    type: cloudify.nodes.Root
    relationships:
      - {{type: cloudify.relationships.depends_on_lifecycle_operation, target: m, properties: {{operation: {value}}}}}
""")}


# name -> (files, the code we report when the reference refuses; None when it accepts)
CASES: dict[str, tuple[dict[str, str], str | None]] = {
    # a version gate counts a key whose value is not null: null stands for no key, {} and '' count
    "description null below 1_2": ({"main.yaml": _v("1_1", "description:\n")}, None),
    "dsl_definitions null below 1_2": ({"main.yaml": _v("1_1", "dsl_definitions:\n")}, None),
    "required null below 1_2": ({"main.yaml": _v("1_1", "node_types: {t: {properties: {a: {required: }}}}\n")}, None),
    "display_label null below 1_3": ({"main.yaml": _v("1_2", "inputs: {a: {display_label: }}\n")}, None),
    "hidden null below 1_3": ({"main.yaml": _v("1_2", "inputs: {a: {hidden: }}\n")}, None),
    "item_type null below 1_4": ({"main.yaml": _v("1_3", "inputs: {a: {type: list, item_type: }}\n")}, None),
    "availability_rules null below 1_4": (
        {"main.yaml": _v("1_3", P + "workflows: {w: {mapping: p.a.b, availability_rules: }}\n")}, None),
    "import properties null below 1_5": ({"main.yaml": _v("1_4", "imports: [{t.yaml: null}]\n"), "t.yaml": T}, None),
    "plugin package_name null below 1_2": (
        {"main.yaml": _v("1_1", "plugins: {q: {executor: central_deployment_agent, source: x, package_name: }}\n")},
        None),
    "data_types empty below 1_2": ({"main.yaml": _v("1_1", "data_types: {}\n")}, "feature-version"),
    "resource_tags empty below 1_3": ({"main.yaml": _v("1_2", "resource_tags: {}\n")}, "feature-version"),
    "policies empty below 1_3": ({"main.yaml": _v("1_2", "policies: {}\n")}, "feature-version"),
    "data_types in an import below 1_2": (
        {"main.yaml": _v("1_1", "imports: [d.yaml]\n"), "d.yaml": "data_types: {d: {properties: {a: {}}}}\n"},
        "feature-version"),
    # data types containing themselves through property types (and derived_from)
    "data type property of its own type": (
        {"main.yaml": _v("1_3", "data_types: {x: {properties: {a: {type: x}}}}\n")}, "cycle"),
    "data types containing each other": (
        {"main.yaml": _v("1_3", "data_types: {x: {properties: {a: {type: y}}}, y: {properties: {b: {type: x}}}}\n")},
        "cycle"),
    "data type derived from one holding it": (
        {"main.yaml": _v("1_3", "data_types: {x: {derived_from: y}, y: {properties: {b: {type: x}}}}\n")}, "cycle"),
    "data type holding one derived from it": (
        {"main.yaml": _v("1_3", "data_types: {x: {properties: {a: {type: z}}}, z: {derived_from: x}}\n")}, "cycle"),
    "data type holding another, no cycle": (
        {"main.yaml": _v("1_3", "data_types: {x: {properties: {a: {type: y, required: false}}}, "
                                "y: {properties: {b: {type: string, default: s}}}}\n")}, None),
    # depends_on_lifecycle_operation's operation written as a function or a list names no operation
    "lifecycle operation as a function": (_lifecycle_operation("{get_input: o}"),
                                          "lifecycle-dependency-unknown-operation"),
    "lifecycle operation as a list": (_lifecycle_operation("[create]"), "lifecycle-dependency-unknown-operation"),
    "lifecycle operation named": (_lifecycle_operation("create"), None),
    # a plugin whose install is null is installed (PluginInstall.parse): it needs a source
    "plugin install null without source": (
        {"main.yaml": _v("1_4", "plugins: {q: {executor: central_deployment_agent, install: null}}\n")},
        "plugin-source-missing"),
    "plugin install null with source": (
        {"main.yaml": _v("1_4", "plugins: {q: {executor: central_deployment_agent, install: null, source: x}}\n")},
        None),
    # any capabilities beside instances.deploy, even {} or a null scalable; capabilities gated whole
    "capabilities empty beside deploy": (
        {"main.yaml": _v("1_4", T + "node_templates: {n: {type: cloudify.nodes.Root, instances: {deploy: 1}, "
                                    "capabilities: {}}}\n")}, "instances-and-scalable"),
    "scalable null beside deploy": (
        {"main.yaml": _v("1_4", T + "node_templates: {n: {type: cloudify.nodes.Root, instances: {deploy: 1}, "
                                    "capabilities: {scalable: null}}}\n")}, "instances-and-scalable"),
    "capabilities null beside deploy": (
        {"main.yaml": _v("1_4", T + "node_templates: {n: {type: cloudify.nodes.Root, instances: {deploy: 1}, "
                                    "capabilities: null}}\n")}, None),
    "capabilities empty below 1_3": (
        {"main.yaml": _v("1_2", T + "node_templates: {n: {type: cloudify.nodes.Root, capabilities: {}}}\n")},
        "feature-version"),
    # a property schema that is null: the reference finds no default element in it
    "node type property schema null": ({"main.yaml": _v("1_4", "node_types: {t: {properties: {a: null}}}\n")},
                                       "schema-wrong-type"),
    "relationship property schema null": (
        {"main.yaml": _v("1_4", "relationships: {r: {properties: {a: null}}}\n")}, "schema-wrong-type"),
    "data type property schema null": ({"main.yaml": _v("1_4", "data_types: {d: {properties: {a: null}}}\n")},
                                       "schema-wrong-type"),
    "node type property schema empty": ({"main.yaml": _v("1_4", "node_types: {t: {properties: {a: {}}}}\n")}, None),
    # a node type's runtime_properties (1_5) are property schemas: types, version gates, defaults
    "runtime property schema null": (
        {"main.yaml": _v("1_5", "node_types: {t: {runtime_properties: {a: null}}}\n")}, "schema-wrong-type"),
    "runtime property type unknown": (
        {"main.yaml": _v("1_5", "node_types: {t: {runtime_properties: {a: {type: nosuch}}}}\n")},
        "type-name-illegal"),
    "runtime property default of the wrong type": (
        {"main.yaml": _v("1_5", "node_types: {t: {runtime_properties: {a: {type: integer, default: x}}}}\n")},
        "property-type-mismatch"),
    # the input schemas of type operations are read as blueprint inputs, used or not
    "type operation input default of the wrong type": (
        {"main.yaml": _v("1_4", P + "node_types: {t: {interfaces: {i: {op: {implementation: p.a, "
                                    "inputs: {x: {type: integer, default: abc}}}}}}}\n")}, "property-type-mismatch"),
    "relationship operation input default of the wrong type": (
        {"main.yaml": _v("1_4", P + "relationships: {r: {source_interfaces: {i: {op: {implementation: p.a, "
                                    "inputs: {x: {type: integer, default: '5'}}}}}}}\n")}, "property-type-mismatch"),
    "type operation input default missing a data type's property": (
        {"main.yaml": _v("1_4", P + "data_types: {d: {properties: {a: {type: string}}}}\n"
                                    "node_types: {t: {interfaces: {i: {op: {implementation: p.a, "
                                    "inputs: {x: {type: d, default: {}}}}}}}}\n")}, "property-missing"),
    "type operation input hidden and required": (
        {"main.yaml": _v("1_4", P + "node_types: {t: {interfaces: {i: {op: {implementation: p.a, "
                                    "inputs: {x: {hidden: true}}}}}}}\n")}, "input-hidden-required"),
    "type operation input display on a string": (
        {"main.yaml": _v("1_5", P + "node_types: {t: {interfaces: {i: {op: {implementation: p.a, "
                                    "inputs: {x: {type: string, default: a, display: {rows: 2}}}}}}}}\n")},
        "input-display-invalid"),
    "type operation input default of its type": (
        {"main.yaml": _v("1_4", P + "node_types: {t: {interfaces: {i: {op: {implementation: p.a, "
                                    "inputs: {x: {type: integer, default: 5}}}}}}}\n")}, None),
    # operation settings out of range in a node type nobody uses, or in an ancestor's overridden operation
    "unused node type max_retries below -1": (
        {"main.yaml": _v("1_4", "node_types: {t: {interfaces: {i: {op: {max_retries: -2}}}}}\n")},
        "operation-value-invalid"),
    "unused node type negative timeout": (
        {"main.yaml": _v("1_4", "node_types: {t: {interfaces: {i: {op: {timeout: -1}}}}}\n")},
        "operation-value-invalid"),
    "overridden ancestor operation with negative retry_interval": (
        {"main.yaml": _v("1_4", P + "node_types: {t0: {interfaces: {i: {op: {implementation: p.a, "
                                    "retry_interval: -1}}}}, t: {derived_from: t0, interfaces: {i: {op: p.b}}}}\n"
                                    "node_templates: {n: {type: t}}\n")}, "operation-value-invalid"),
    # every operation of every relationship type is mapped: scripts and ambiguous mappings too
    "unused relationship type script with script_path": (
        {"main.yaml": _v("1_4", "plugins: {script: {executor: central_deployment_agent, install: false}}\n"
                                "relationships: {r: {source_interfaces: {i: {op: {implementation: x.sh, "
                                "inputs: {script_path: {default: a}}}}}}}\n"), "x.sh": "#!/bin/sh\n"},
        "script-path-reserved"),
    "unused relationship type script without a script plugin": (
        {"main.yaml": _v("1_4", P + "relationships: {r: {target_interfaces: {i: {op: x.sh}}}}\n"), "x.sh": "#!/bin/sh\n"},
        "script-plugin-missing"),
    "unused relationship type ambiguous mapping": (
        {"main.yaml": _v("1_4", "plugins: {p: {executor: central_deployment_agent, install: false}, "
                                "p.x: {executor: central_deployment_agent, install: false}}\n"
                                "relationships: {r: {source_interfaces: {i: {op: p.x.y}}}}\n")}, "operation-ambiguous"),
    "unused relationship type script with a script plugin": (
        {"main.yaml": _v("1_4", "plugins: {script: {executor: central_deployment_agent, install: false}}\n"
                                "relationships: {r: {source_interfaces: {i: {op: x.sh}}}}\n"), "x.sh": "#!/bin/sh\n"},
        None),
    # nulls the reference reads into and fails on; and the null trigger it skips
    "label null": ({"main.yaml": _v("1_4", "labels: {k: }\n")}, "schema-wrong-type"),
    "blueprint label null": ({"main.yaml": _v("1_4", "blueprint_labels: {k: }\n")}, "schema-wrong-type"),
    "policy null": ({"main.yaml": _v("1_4", "policies: {p: }\n")}, "schema-wrong-type"),
    "null group a scaling policy targets": (
        {"main.yaml": _v("1_4", "groups: {g: }\npolicies: {p: {type: cloudify.policies.scaling, targets: [g]}}\n")},
        "schema-wrong-type"),
    "data type null": ({"main.yaml": _v("1_4", "data_types: {x: }\n")}, "schema-wrong-type"),
    "group policy trigger null": (
        {"main.yaml": _v("1_4", T + "node_templates: {n: {type: cloudify.nodes.Root}}\npolicy_types: {pt: {source: s}}\n"
                                    "groups: {g: {members: [n], policies: {p1: {type: pt, triggers: {t1: }}}}}\n")},
         None),
    "workflow mapping empty string": ({"main.yaml": _v("1_4", P + "workflows: {w: ''}\n")}, "schema-missing-key"),
    # an input's empty type is read only to build its default
    "input type empty, no default": ({"main.yaml": _v("1_4", "inputs: {a: {type: ''}}\n")}, None),
    "workflow parameter type empty, no default": (
        {"main.yaml": _v("1_4", P + "workflows: {w: {mapping: p.a.b, parameters: {x: {type: ''}}}}\n")}, None),
    "input type empty with a default": ({"main.yaml": _v("1_4", "inputs: {a: {type: '', default: 1}}\n")},
                                        "type-name-illegal"),
    "node type property type empty": ({"main.yaml": _v("1_4", "node_types: {t: {properties: {a: {type: ''}}}}\n")},
                                      "type-name-illegal"),
    # policy types' properties and policy triggers' parameters are property schemas
    "policy type property of an unknown type": (
        {"main.yaml": _v("1_4", "policy_types: {pt: {source: s, properties: {a: {type: nope}}}}\n")},
        "type-name-illegal"),
    "policy trigger parameter of a type newer than the blueprint": (
        {"main.yaml": _v("1_3", "policy_triggers: {t: {source: s, parameters: {x: {type: node_id}}}}\n")},
        "feature-version"),
    # constraints: an empty one, error_message alone, several operators (1_5: the last is evaluated);
    # a workflow parameter's constraint is one operator, in every version
    "constraint empty": ({"main.yaml": _v("1_4", "inputs: {a: {constraints: [{}]}}\n")}, "constraint-unknown"),
    "constraint with error_message alone": (
        {"main.yaml": _v("1_5", "inputs: {a: {constraints: [{error_message: bad}]}}\n")}, "constraint-unknown"),
    "constraint with two operators, the last violated": (
        {"main.yaml": _v("1_5", "inputs: {a: {default: abcdef, constraints: [{min_length: 1, max_length: 3}]}}\n")},
        "input-constraint-violated"),
    "constraint with two operators, the first violated": (
        {"main.yaml": _v("1_5", "inputs: {a: {default: ab, constraints: [{min_length: 3, max_length: 5}]}}\n")}, None),
    "workflow parameter constraint with an error_message": (
        {"main.yaml": _v("1_5", P + "workflows: {w: {mapping: p.a.b, parameters: {x: {constraints: "
                                    "[{min_length: 1, error_message: m}]}}}}\n")}, "constraint-unknown"),
    "workflow parameter constraint empty": (
        {"main.yaml": _v("1_5", P + "workflows: {w: {mapping: p.a.b, parameters: {x: {constraints: [{}]}}}}\n")},
        "constraint-unknown"),
    # display hints: `{}` counts; rows may be a boolean (a number to the reference)
    "display empty on a string input": ({"main.yaml": _v("1_5", "inputs: {a: {type: string, display: {}}}\n")},
                                        "input-display-invalid"),
    "display rows true on a textarea": (
        {"main.yaml": _v("1_5", "inputs: {a: {type: textarea, display: {rows: true}}}\n")}, None),
    # imports: blanks around a file name are part of it; an empty namespace is none; an imported
    # file's version written with no value is judged; a namespaced file's deployment settings are prefixed too
    "import with a leading blank": ({"main.yaml": _v("1_4", "imports: [' t.yaml']\n"), "t.yaml": T},
                                    "import-not-found"),
    "import with an empty namespace": ({"main.yaml": _v("1_4", "imports: [--t.yaml]\n"), "t.yaml": T}, None),
    "imported file's version null": (
        {"main.yaml": _v("1_4", "imports: [a.yaml]\n"), "a.yaml": "tosca_definitions_version:\n" + T},
        "dsl-version-unsupported"),
    "namespaced file's deployment settings": (
        {"main.yaml": _v("1_3", "imports: [n--a.yaml]\n"), "a.yaml": "deployment_settings: {id_template: x}\n"},
        "schema-unknown-key"),
    # only the description the blueprint keeps is read, and only the main file's dsl_definitions
    "imported description not a string, main's kept": (
        {"main.yaml": _v("1_4", "description: ok\nimports: [a.yaml]\n"), "a.yaml": "description: 5\n"}, None),
    "imported description not a string, the one kept": (
        {"main.yaml": _v("1_4", "imports: [a.yaml]\n"), "a.yaml": "description: 5\n"}, "schema-wrong-type"),
    "imported dsl_definitions a string": (
        {"main.yaml": _v("1_4", "imports: [a.yaml]\n"), "a.yaml": "dsl_definitions: abc\n"}, None),
    "main dsl_definitions a string": ({"main.yaml": _v("1_4", "dsl_definitions: abc\n")}, "schema-wrong-type"),
    # group cycles are looked for among scaling groups only
    "group member of itself, no policy": ({"main.yaml": _v("1_4", "groups: {g: {members: [g]}}\n")}, None),
    "groups containing each other, no policy": (
        {"main.yaml": _v("1_4", "groups: {g: {members: [h]}, h: {members: [g]}}\n")}, None),
    "scaling groups containing each other": (
        {"main.yaml": _v("1_4", "groups: {g: {members: [h]}, h: {members: [g]}}\n"
                                "policies: {p: {type: cloudify.policies.scaling, targets: [g, h]}}\n")}, "group-cycle"),
    # a node template merges with a later definition only when it has a relationships key
    "template with a type, then relationships only": (
        {"main.yaml": _v("1_4", "imports: [t.yaml, a.yaml]\nnode_templates:\n  app: {type: cloudify.nodes.Root}\n"
                                "  b: {type: cloudify.nodes.Root}\n"),
         "t.yaml": T + "relationships: {cloudify.relationships.depends_on: {}}\n",
         "a.yaml": "node_templates:\n  app: {relationships: [{type: cloudify.relationships.depends_on, target: b}]}\n"},
        "merge-conflict"),
    "template with a type and relationships, then relationships only": (
        {"main.yaml": _v("1_4", "imports: [t.yaml, a.yaml]\nnode_templates:\n  app: {type: cloudify.nodes.Root, "
                                "relationships: []}\n  b: {type: cloudify.nodes.Root}\n"),
         "t.yaml": T + "relationships: {cloudify.relationships.depends_on: {}}\n",
         "a.yaml": "node_templates:\n  app: {relationships: [{type: cloudify.relationships.depends_on, target: b}]}\n"},
        None),
    "template empty, then a type": (
        {"main.yaml": _v("1_4", "imports: [t.yaml, a.yaml]\nnode_templates:\n  app: {}\n"), "t.yaml": T,
         "a.yaml": "node_templates:\n  app: {type: cloudify.nodes.Root}\n"}, "merge-conflict"),
    "template of relationships only, then a type": (
        {"main.yaml": _v("1_4", "imports: [t.yaml, a.yaml]\nnode_templates:\n  app: {relationships: []}\n"),
         "t.yaml": T, "a.yaml": "node_templates:\n  app: {type: cloudify.nodes.Root}\n"}, None),
    # a null item of a list of names: an unknown member (code 40); a required node type passed over
    "group member null": ({"main.yaml": _v("1_4", T + "node_templates: {n: {type: cloudify.nodes.Root}}\n"
                                                  "groups: {g: {members: [n, null]}}\n")}, "group-member-unknown"),
    "workflow's required node type null": (
        {"main.yaml": _v("1_4", P + "workflows: {w: {mapping: p.a.b, availability_rules: "
                                    "{node_types_required: [null]}}}\n")}, None),
    # a null section: the first file's is taken; a later one, or entries merged into a null one, fail
    "null section in two imports": (
        {"main.yaml": _v("1_4", "imports: [a.yaml, b.yaml]\n"), "a.yaml": "inputs:\n", "b.yaml": "inputs:\n"},
        "section-null"),
    "null section, then an empty one": (
        {"main.yaml": _v("1_4", "imports: [a.yaml, b.yaml]\n"), "a.yaml": "inputs:\n", "b.yaml": "inputs: {}\n"},
        None),
    "main's null section, then an empty one": (
        {"main.yaml": _v("1_4", "workflows:\nimports: [a.yaml]\n"), "a.yaml": "workflows: {}\n"}, None),
    "main's null section, then entries": (
        {"main.yaml": _v("1_4", "outputs:\nimports: [a.yaml]\n"), "a.yaml": "outputs: {o: {value: 1}}\n"},
        "section-null"),
    # import properties (1_5): values of the main file's lines, types as the reference's checks
    # take them (a boolean is an int), a schema with no type; a file imported again is passed over
    "import property a mapping": ({"main.yaml": _v("1_5", "imports: [{t.yaml: {a: {b: 1}}}]\n"), "t.yaml": T},
                                  "import-properties-invalid"),
    "import property null": ({"main.yaml": _v("1_5", "imports: [{t.yaml: {a: null}}]\n"), "t.yaml": T},
                             "import-properties-invalid"),
    "import property named by a number": ({"main.yaml": _v("1_5", "imports: [{t.yaml: {5: 1}}]\n"), "t.yaml": T},
                                          "schema-wrong-type"),
    "import property true for an integer": (
        {"main.yaml": _v("1_5", "imports: [{p.yaml: {k: true}}]\n"), "p.yaml": PLUGIN_WITH_PROPERTIES % "integer"},
        None),
    "import property for a schema with no type": (
        {"main.yaml": _v("1_5", "imports: [{p.yaml: {k: 1}}]\n"),
         "p.yaml": PLUGIN_WITH_PROPERTIES.replace("{type: %s}", "{description: x}")}, "import-properties-mismatch"),
    "import properties of a file imported again": (
        {"main.yaml": _v("1_5", "imports: [p.yaml, a.yaml]\n"), "a.yaml": "imports: [{p.yaml: {zz: 1}}]\n",
         "p.yaml": PLUGIN_WITH_PROPERTIES % "string"}, None),
    # an imported file's import list is read raw: a mapping's keys, an entry's first item, no gate
    "imported file's imports a mapping": ({"main.yaml": _v("1_4", "imports: [a.yaml]\n"),
                                           "a.yaml": "imports: {t.yaml: x}\n", "t.yaml": T}, None),
    "imported file's import line of two entries": (
        {"main.yaml": _v("1_4", "imports: [a.yaml]\n"), "a.yaml": "imports: [{t.yaml: {}, u.yaml: {}}]\n",
         "t.yaml": T}, None),
    "imported file's import properties below 1_5": (
        {"main.yaml": _v("1_3", "imports: [a.yaml]\n"), "a.yaml": "imports: [{t.yaml: {a: 1}}]\n", "t.yaml": T},
        None),
    "main file's import line of two entries": (
        {"main.yaml": _v("1_5", "imports: [{t.yaml: {}, u.yaml: {}}]\n"), "t.yaml": T, "u.yaml": "{}\n"},
        "import-properties-invalid"),
    # a plugin's property schemas: a null one, an unknown type; null properties
    "plugin property schema null": (
        {"main.yaml": _v("1_5", "plugins: {q: {executor: central_deployment_agent, source: x, "
                                "properties: {a: null}}}\n")}, "schema-wrong-type"),
    "plugin property of an unknown type": (
        {"main.yaml": _v("1_5", "plugins: {q: {executor: central_deployment_agent, source: x, "
                                "properties: {a: {type: nosuch}}}}\n")}, "type-name-illegal"),
    "plugin properties null": (
        {"main.yaml": _v("1_4", "plugins: {q: {executor: central_deployment_agent, source: x, properties: null}}\n")},
        "schema-wrong-type"),
    # an input with a default has its constraints read as a list
    "input constraints null with a default": (
        {"main.yaml": _v("1_4", "inputs: {a: {default: abc, constraints: null}}\n")}, "schema-wrong-type"),
    "input constraints null without a default": ({"main.yaml": _v("1_4", "inputs: {a: {constraints: null}}\n")}, None),
    # a function may carry its value's type beside it: {get_input: x, type: integer}
    "input default a typed function": (
        {"main.yaml": _v("1_4", "inputs: {a: {type: integer, default: {get_secret: x, type: integer}}}\n")}, None),
    "scaling default a typed function": (
        {"main.yaml": _v("1_4", T + "inputs: {x: {default: 2}}\nnode_templates: {n: {type: cloudify.nodes.Root, "
                                    "capabilities: {scalable: {properties: {default_instances: "
                                    "{get_input: x, type: integer}}}}}}\n")}, None),
    "constraint argument a typed function": (
        {"main.yaml": _v("1_4", "inputs: {b: {default: 1}, a: {constraints: [{min_length: "
                                "{get_input: b, type: integer}}]}}\n")}, None),
    # metadata.cloudify_types marks Cloudify's types file: one with no node types is refused
    "cloudify_types mark without node types": ({"main.yaml": _v("1_4", "metadata: {cloudify_types: false}\n")},
                                                "schema-missing-key"),
    "cloudify_types mark in an import without node types": (
        {"main.yaml": _v("1_4", "imports: [a.yaml]\n"), "a.yaml": "metadata: {cloudify_types: ''}\n"},
        "schema-missing-key"),
    "cloudify_types mark with node types": (
        {"main.yaml": _v("1_4", "imports: [a.yaml]\n"), "a.yaml": "metadata: {cloudify_types: 1}\n" + T}, None),
    # a script path is opened as the system opens it: a query is part of the name, a trailing
    # "/" or "/." names a folder, ".." climbs out of a folder that must exist
    "script with a query": ({"main.yaml": _v("1_4", SCRIPT % "scripts/x.sh?a=1"), "scripts/x.sh": "#!/bin/sh\n"},
                            "operation-unmapped"),
    "script with a trailing slash": ({"main.yaml": _v("1_4", SCRIPT % "scripts/x.sh/"), "scripts/x.sh": "#!/bin/sh\n"},
                                     "operation-unmapped"),
    "script through a missing folder": (
        {"main.yaml": _v("1_4", SCRIPT % "nosuchdir/../scripts/x.sh"), "scripts/x.sh": "#!/bin/sh\n"},
        "operation-unmapped"),
    "script through an existing folder": (
        {"main.yaml": _v("1_4", SCRIPT % "scripts/../scripts/x.sh"), "scripts/x.sh": "#!/bin/sh\n"}, None),
    "script with a fragment": ({"main.yaml": _v("1_4", SCRIPT % "scripts/x.sh#top"), "scripts/x.sh": "#!/bin/sh\n"},
                               None),
    # an unquoted date is a YAML timestamp: refused where the reference checks a value's type,
    # taken inside the values it does not look into
    "timestamp as an input default": ({"main.yaml": _v("1_4", "inputs: {d: {default: 2024-01-01}}\n")},
                                      "yaml-timestamp-typed"),
    "timestamp as a type property default": (
        {"main.yaml": _v("1_4", "node_types: {t: {properties: {p: {default: 2024-01-01}}}}\n")},
        "yaml-timestamp-typed"),
    "timestamp as an output value": ({"main.yaml": _v("1_4", "outputs: {o: {value: 2024-01-01}}\n")},
                                     "yaml-timestamp-typed"),
    "timestamp as a description": ({"main.yaml": _v("1_4", "description: 2024-01-01\n")}, "yaml-timestamp-typed"),
    "timestamp as a node template's name": (
        {"main.yaml": _v("1_4", T + "node_templates: {2024-01-01: {type: cloudify.nodes.Root}}\n")},
        "yaml-timestamp-typed"),
    "timestamp as a deployment setting": ({"main.yaml": _v("1_4", "deployment_settings: {display_name: 2024-01-01}\n")},
                                          "yaml-timestamp-typed"),
    "timestamp in a template's properties": (
        {"main.yaml": _v("1_4", "node_types: {T: {properties: {p: {required: false}}}}\n"
                                "node_templates: {n: {type: T, properties: {p: 2024-01-01}}}\n")}, None),
    "timestamp in a template's operation inputs": (
        {"main.yaml": _v("1_4", T + "node_templates: {n: {type: cloudify.nodes.Root, interfaces: {i: {op: "
                                    "{implementation: '', inputs: {x: [2024-01-01]}}}}}}\n")}, None),
    "timestamp inside an output value": ({"main.yaml": _v("1_4", "outputs: {o: {value: [2024-01-01]}}\n")}, None),
    "timestamp in the metadata": ({"main.yaml": _v("1_4", "metadata: {when: 2024-01-01}\n")}, None),
    "set as an interface": (
        {"main.yaml": _v("1_4", T + "node_templates: {n: {type: cloudify.nodes.Root, interfaces: {i: !!set {x: null}}}}\n")},
        "yaml-timestamp-typed"),
    "set as a property default": ({"main.yaml": _v("1_4", "node_types: {t: {properties: {a: {default: !!set {x: null}}}}}\n")},
                                  "yaml-timestamp-typed"),
    "set in a template's properties": (
        {"main.yaml": _v("1_4", "node_types: {T: {properties: {p: {required: false}}}}\n"
                                "node_templates: {n: {type: T, properties: {p: !!set {x: null}}}}\n")}, None),
    # a null import is no import statement (code 220), an empty one names no file (code 13); import
    # properties that are no mapping (code 1), or hold a mapping (220, before the version gate);
    # a null policy target is no group (code 205)
    "import entry null": ({"main.yaml": _v("1_4", "imports: [t.yaml, null]\n"), "t.yaml": T},
                          "import-properties-invalid"),
    "import property a mapping below 1_5": ({"main.yaml": _v("1_4", "imports: [{t.yaml: {a: {b: 1}}}]\n"),
                                             "t.yaml": T}, "import-properties-invalid"),
    "import entry empty": ({"main.yaml": _v("1_4", "imports: [t.yaml, '']\n"), "t.yaml": T}, "import-not-found"),
    "import properties a string": ({"main.yaml": _v("1_5", "imports: [{t.yaml: x}]\n"), "t.yaml": T},
                                   "schema-wrong-type"),
    "policy target null": (
        {"main.yaml": _v("1_4", T + "node_templates: {n: {type: cloudify.nodes.Root}}\ngroups: {g: {members: [n]}}\n"
                                    "policies: {p: {type: cloudify.policies.scaling, targets: [null]}}\n")},
        "policy-target-not-group"),
    "timestamp quoted": ({"main.yaml": _v("1_4", "inputs: {d: {default: '2024-01-01'}}\n")}, None),
    "default schedule null": ({"main.yaml": _v("1_4", "deployment_settings: {default_schedules: {a: null}}\n")},
                              "schedule-invalid"),
    "runtime property default of its type": (
        {"main.yaml": _v("1_5", "node_types: {t: {runtime_properties: {a: {type: integer, default: 3}}}}\n")}, None),
}

DRIVER = r"""
import json, sys
from dsl_parser.parser import parse_from_path
for path in sys.argv[1:]:
    try:
        parse_from_path(path)
        print(json.dumps({"path": path, "ok": True}))
    except Exception as exc:
        print(json.dumps({"path": path, "ok": False, "error": type(exc).__name__ + ": " + str(exc)[:300]}))
"""


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("audit")
    out = {}
    for index, (name, (files, _)) in enumerate(CASES.items()):
        folder = root / f"case{index}"
        folder.mkdir()
        for relative, text in files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(text, encoding="utf-8")
        out[name] = folder / "main.yaml"
    return out


@pytest.fixture(scope="module")
def verdicts(written, reference_python) -> dict[str, dict]:
    """The reference's verdict on every case, from one process."""
    done = subprocess.run([str(reference_python), "-c", DRIVER, *map(str, written.values())],
                          capture_output=True, text=True, timeout=600)
    by_path = {}
    for line in done.stdout.splitlines():
        answer = json.loads(line)
        by_path[answer["path"]] = answer
    return {name: by_path.get(str(path), {"ok": None, "error": done.stderr[-300:]}) for name, path in written.items()}


@pytest.mark.parametrize("name", CASES)
def test_verdict_is_the_references(name, written, verdicts):
    _, code = CASES[name]
    theirs = verdicts[name]
    assert theirs["ok"] is (code is None), f"the reference: {theirs}; the case expects {code or 'acceptance'}"
    result = Resolver(options=Options(allow_outside=True)).resolve(written[name])
    errors = [p.code for p in result.problems if p.is_error]
    assert "internal-error" not in errors
    if code is None:
        assert result.ok, result.problems
    else:
        assert not result.ok and code in errors, result.problems


def test_a_used_relationship_types_fault_is_reported_once(tmp_path):
    # the node builder reports it for the template, the type's own mapping for the type: one
    # problem at that place, not two
    (tmp_path / "main.yaml").write_text(_v("1_4", P + """node_types: {t: {}}
relationships: {r: {source_interfaces: {i: {op: nowhere.a.b, op2: p.x.y}}}}
node_templates:
  m: {type: t}
  n: {type: t, relationships: [{type: r, target: m}]}
""").replace("plugins: {p:", "plugins: {p.x: {executor: central_deployment_agent, install: false}, p:"),
                                        encoding="utf-8")
    result = Resolver(options=Options(allow_outside=True)).resolve(tmp_path / "main.yaml")
    codes = sorted(p.code for p in result.problems if p.is_error)
    assert codes == ["operation-ambiguous", "relationship-operation-unmapped"]


def test_a_workflow_cascading_written_null_stays_null(tmp_path):
    # the reference's plan keeps is_cascading: null as written (differential seed 23); absent, false
    (tmp_path / "main.yaml").write_text(_v("1_4", P + "workflows: {w: {mapping: p.a.b, is_cascading: null}, "
                                                    "v: {mapping: p.a.b}}\n"), encoding="utf-8")
    result = Resolver(options=Options(allow_outside=True)).resolve(tmp_path / "main.yaml")
    assert result.ok, result.problems
    assert result.plan["workflows"]["w"]["is_cascading"] is None
    assert result.plan["workflows"]["v"]["is_cascading"] is False
