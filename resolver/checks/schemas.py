"""Property schemas wherever they are written -- data types, node and relationship types, the
inputs of type operations, blueprint inputs, workflow parameters -- used or not: their keys,
the keys' version gates, constraint operators and arguments, item types and type names
(codes 1, 102, 103, 212 and the type-name rows of codes.py); data types that redefine a
primitive."""
from __future__ import annotations

from functools import lru_cache

from ..functions import is_function
from ..load import mark_in, value_mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared
from ..properties import CONSTRAINT_ARGUMENTS, PropertyChecker, operator_of
from ..versions import TYPE_NAMES, at_least, type_minimum
from .inputs import input_schema
from .shapes import misshapen, named, unknown_keys
from .versions import gate

DATA_TYPE_KEYS = ("required", "default", "description", "type", "item_type", "constraints", "display_label")
INPUT_KEYS = ("required", "default", "description", "type", "item_type", "constraints", "display_label",
              "hidden", "display")
PARAMETER_KEYS = ("required", "default", "description", "type", "item_type", "constraints")
KEY_GATES = (("required", "cloudify_dsl_1_2"), ("display_label", "cloudify_dsl_1_3"), ("hidden", "cloudify_dsl_1_3"),
             ("item_type", "cloudify_dsl_1_4"))


@lru_cache(maxsize=None)
def _gates(version: str) -> tuple[tuple, bool]:
    """(the schema keys `version` does not have yet, with the version that has them: none from
    1_4 on; whether it judges item types): one reckoning per version, not one per definition."""
    gated = tuple((key, minimum) for key, minimum in KEY_GATES if not at_least(version, minimum))
    return gated, at_least(version, "cloudify_dsl_1_4")


class _Schemas:
    def __init__(self, version: str, data_types, problems: Problems, *, workflow: bool = False) -> None:
        """`workflow`: the schemas are a workflow's parameters."""
        self.version = version
        self.data_types = data_types
        self.problems = problems
        self.workflow = workflow
        self.checker: PropertyChecker | None = None  # made when an operation input schema needs one
        self.gated, self.item_types = _gates(version)

    def properties(self, schema, owner: str, allowed, *, null_refused: bool = True, inputs: bool = False) -> None:
        if not isinstance(schema, dict):
            return
        for prop, definition in schema.items():
            if definition is None and null_refused:
                # the reference builds a property's default from its schema, and finds none in null
                self.problems.add("schema-wrong-type", f"{owner} property {prop!r} has a null schema",
                                  mark_in(schema, prop), hint="Write {} for a property with no type and no default.")
                continue
            self.one(definition, lambda: f"{owner} property {prop!r}", allowed, inputs=inputs)

    def operation_inputs(self, interfaces, owner: str) -> None:
        """The input schemas of a type's operations: their keys and types, and what checks/inputs.py
        judges of an input (`input_schema`), in one pass."""
        for iface, ops in interfaces.items() if isinstance(interfaces, dict) else ():
            for op_name, raw in ops.items() if isinstance(ops, dict) else ():
                inputs = raw.get("inputs") if isinstance(raw, dict) else None
                for input_name, definition in inputs.items() if isinstance(inputs, dict) else ():
                    self.one(definition, lambda: f"{owner} operation '{iface}.{op_name}' input {input_name!r}", None,
                             inputs=True)
                    if isinstance(definition, dict):
                        if self.checker is None:
                            self.checker = PropertyChecker(self.data_types, self.problems)
                        input_schema(f"operation '{iface}.{op_name}' input", inputs, input_name, definition,
                                     self.checker, self.problems,
                                     lambda inputs=inputs, input_name=input_name: mark_in(inputs, input_name))

    def one(self, definition, owner, allowed, *, inputs: bool = False) -> None:
        """One schema (`allowed` keys, or any when None). `owner` is the text naming it, or a
        function making that text (shapes.named): most schemas are fine, and their names are never written.
        `inputs`: an input's schema (blueprint inputs, workflow parameters, type operation inputs)."""
        if not isinstance(definition, dict):
            return
        if allowed is not None:
            unknown_keys(self.problems, definition, allowed, owner, "schema")
        for key, minimum in self.gated:
            if definition.get(key) is not None:  # a null value stands for no key (checks/versions.py)
                what = "'required' in a schema" if key == "required" else f"{key!r} in a schema"
                gate(self.problems, self.version, what, minimum, mark_in(definition, key))
        constraints = definition.get("constraints")
        if constraints:  # most schemas have none
            self.constraints(constraints, owner, self.workflow)
        self.type_names(definition, owner, inputs)

    def type_names(self, definition: dict, owner: str, inputs: bool = False) -> None:
        type_name = definition.get("type")
        item_type = definition.get("item_type")
        if item_type and self.item_types:
            if type_name != "list":
                self.problems.add("item-type-not-list",
                                  f"{named(owner)}: item_type is only for type list, not {type_name!r}",
                                  mark_in(definition, "item_type"))
            elif misshapen(item_type) or item_type not in TYPE_NAMES:
                self.problems.add("item-type-invalid",
                                  f"{named(owner)}: item_type {item_type!r} is not a primitive type",
                                  value_mark_in(definition, "item_type"))
        if type_name is None or (type_name == "" and inputs and definition.get("default") is None):
            # an input's empty type with no default is never read (a property's is: its default is built)
            return
        if not isinstance(type_name, str):
            self.problems.add("schema-wrong-type", f"{named(owner)}: type must be a string",
                              value_mark_in(definition, "type"))
            return
        minimum = type_minimum(type_name)
        if minimum and not at_least(self.version, minimum):
            gate(self.problems, self.version, f"type {type_name!r}", minimum, value_mark_in(definition, "type"))
        elif type_name not in TYPE_NAMES and type_name not in self.data_types:
            self.problems.add("type-name-illegal", f"{named(owner)}: type {type_name!r} is neither a primitive "
                              "nor a defined data type", value_mark_in(definition, "type"),
                              hint="Import the file that defines the data type, or use a primitive type.",
                              subject=str(type_name))

    def constraints(self, constraints, owner: str, workflow: bool = False) -> None:
        """`workflow`: a workflow parameter's, whose constraints are one operator each (no
        error_message, in any version)."""
        for index, constraint in enumerate(constraints if isinstance(constraints, list) else ()):
            if not isinstance(constraint, dict):
                continue
            if not constraint:
                self.problems.add("constraint-unknown", f"{named(owner)}: an empty constraint names no operator",
                                  mark_in(constraints, index),
                                  hint="Operators: " + ", ".join(sorted(CONSTRAINT_ARGUMENTS)))
                continue
            if len(constraint) > 1 and workflow:
                self.problems.add("constraint-unknown", f"{named(owner)}: a workflow parameter's constraint names "
                                  "one operator and nothing else", mark_in(constraints, index),
                                  hint="Write each operator as its own item of the list.")
                continue
            if len(constraint) > 1 and not at_least(self.version, "cloudify_dsl_1_5"):
                gate(self.problems, self.version, "a constraint's error_message", "cloudify_dsl_1_5",
                     mark_in(constraints, index))
                continue
            operator = next(iter(constraint)) if workflow else operator_of(constraint)
            if operator is None:
                self.problems.add("constraint-unknown", f"{named(owner)}: a constraint with an error_message "
                                  "names no operator", mark_in(constraints, index),
                                  hint="Operators: " + ", ".join(sorted(CONSTRAINT_ARGUMENTS)))
                continue
            argument = constraint[operator]
            shape = CONSTRAINT_ARGUMENTS.get(operator)
            if shape is None:
                self.problems.add("constraint-unknown", f"{named(owner)}: no constraint operator {operator!r}",
                                  mark_in(constraint, operator),
                                  hint="Operators: " + ", ".join(sorted(CONSTRAINT_ARGUMENTS)))
            elif not is_function(argument) and not shape(argument):
                self.problems.add("constraint-argument-invalid",
                                  f"{named(owner)}: {argument!r} is not a valid argument of constraint {operator!r}",
                                  value_mark_in(constraint, operator))


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    if model.data_types is None:
        return
    version = blueprint.dsl_version

    def data_type(name, body, data_types, into: Problems) -> None:
        if name in TYPE_NAMES:
            into.add("primitive-redefined", f"data type {name!r} redefines a primitive type",
                     blueprint.mark("data_types", name))
        if body is None:  # the reference reads its keys and fails
            into.add("schema-wrong-type", f"data type {name!r} is null", blueprint.mark("data_types", name),
                     hint="Write `{}` for a data type with no properties, or remove it.")
        if isinstance(body, dict):
            _Schemas(version, data_types, into).properties(body.get("properties"), f"data type {name!r}",
                                                           DATA_TYPE_KEYS)

    def typed(what: str, groups: tuple):
        def run(name, body, data_types, into: Problems) -> None:
            if isinstance(body, dict):
                schemas = _Schemas(version, data_types, into)
                schemas.properties(body.get("properties"), f"{what} {name!r}", None)
                if "runtime_properties" in body:  # a node type's (DSL 1_5), schemas as its properties'
                    schemas.properties(body["runtime_properties"], f"{what} {name!r} runtime", None)
                for group in groups:
                    schemas.operation_inputs(body.get(group), f"{what} {name!r}")
        return run

    def workflow(name, body, data_types, into: Problems) -> None:
        if isinstance(body, dict):
            _Schemas(version, data_types, into, workflow=True).properties(
                body.get("parameters"), f"workflow {name!r}", PARAMETER_KEYS, null_refused=False, inputs=True)

    def policy(section: str, key: str, what: str):
        def run(name, body, data_types, into: Problems) -> None:
            if isinstance(body, dict):
                _Schemas(version, data_types, into).properties(body.get(key), f"{what} {name!r}", None,
                                                               null_refused=False)
        return run

    # the findings about one definition depend on it, the DSL version and the data types alone
    what = ("schemas", version)
    shared.each(what, "data_types", model.data_types, problems, data_type)
    shared.each(what, "node_types", model.data_types, problems, typed("node type", ("interfaces",)))
    shared.each(what, "relationships", model.data_types, problems,
                typed("relationship type", ("source_interfaces", "target_interfaces")))
    schemas = _Schemas(version, model.data_types, problems)
    for name, schema in blueprint.section("inputs").items():
        schemas.one(schema, f"input {name!r}", INPUT_KEYS, inputs=True)
    shared.each(what, "workflows", model.data_types, problems, workflow)
    shared.each(what, "policy_types", model.data_types, problems, policy("policy_types", "properties", "policy type"))
    shared.each(what, "policy_triggers", model.data_types, problems,
                policy("policy_triggers", "parameters", "policy trigger"))
