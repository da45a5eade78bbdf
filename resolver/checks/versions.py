"""Version gates: keys and sections written below the DSL version that introduced them (code 102).

The schema keys' own gates (`required`, `display_label`, `hidden`, `item_type`, newer types) are
judged with the schemas (checks/schemas.py), through `gate`.
"""
from __future__ import annotations

from functools import lru_cache

from ..load import mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared
from ..versions import at_least

SECTIONS = (("data_types", "cloudify_dsl_1_2"), ("policies", "cloudify_dsl_1_3"), ("resource_tags", "cloudify_dsl_1_3"))
OPERATION_KEYS = ("max_retries", "retry_interval")
OPERATION_KEYS_SINCE = "cloudify_dsl_1_1"
SCALABLE_SINCE = "cloudify_dsl_1_3"
AVAILABILITY_RULES_SINCE = "cloudify_dsl_1_4"
PLUGIN_GATES = {"install_arguments": "cloudify_dsl_1_1", "package_name": "cloudify_dsl_1_2",
                "package_version": "cloudify_dsl_1_2", "supported_platform": "cloudify_dsl_1_2",
                "distribution": "cloudify_dsl_1_2", "distribution_version": "cloudify_dsl_1_2",
                "distribution_release": "cloudify_dsl_1_2", "properties_description": "cloudify_dsl_1_5",
                "properties": "cloudify_dsl_1_5"}


def gate(problems: Problems, version: str, what: str, minimum: str, mark) -> None:
    """Report `what` (at `mark`) when `version` is below `minimum`."""
    if not at_least(version, minimum):
        problems.add("feature-version", f"{what} is not supported in {version}; it was added in {minimum}", mark,
                     hint=f"Raise tosca_definitions_version to {minimum} or remove it.")


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    version = blueprint.dsl_version
    # a gate counts a key whose value is not null, as the reference's elements do (`{}` and ''
    # included): a null value stands for no key
    if blueprint.scalars.get("description") is not None:
        origin = next(f for f in blueprint.files if f.doc.get("description") is not None)
        gate(problems, version, "description", "cloudify_dsl_1_2", origin.doc.key_mark("description"))
    if blueprint.main.doc.get("dsl_definitions") is not None:
        gate(problems, version, "dsl_definitions", "cloudify_dsl_1_2", blueprint.main.doc.key_mark("dsl_definitions"))
    # what a version has already is not looked for (the marks would be made for nothing)
    for section, minimum in SECTIONS:
        if not at_least(version, minimum):
            origin = next((f for f in blueprint.files if f.doc.get(section) is not None), None)
            if origin is not None:
                written = origin.doc[section]
                first = next(iter(written), None) if isinstance(written, dict) else None
                gate(problems, version, section, minimum,
                     mark_in(written, first) if first is not None else origin.doc.key_mark(section))
    plugin_gates = _plugin_gates(version)
    for body in blueprint.section("plugins").values() if plugin_gates else ():
        for key in body if isinstance(body, dict) else ():
            # an unknown key is reported by checks/plugins.py
            if key in plugin_gates and body[key] is not None:
                gate(problems, version, f"plugin key {key!r}", plugin_gates[key], mark_in(body, key))
    operation_keys = not at_least(version, OPERATION_KEYS_SINCE)
    for section, groups in (("node_types", ("interfaces",)),
                            ("relationships", ("source_interfaces", "target_interfaces"))) if operation_keys else ():
        # a definition's operation keys are judged by it and the version alone
        shared.each(("operation keys", version), section, None, problems,
                    lambda name, body, _, into: _type_operation_keys(body, groups, version, into))
    scalable = not at_least(version, SCALABLE_SINCE)
    for body in blueprint.section("node_templates").values() if operation_keys or scalable else ():
        if not isinstance(body, dict):
            continue
        if operation_keys:
            _operation_keys(body.get("interfaces"), version, problems)
            relationships = body.get("relationships")
            for rel in relationships if isinstance(relationships, list) else ():
                for group in ("source_interfaces", "target_interfaces"):
                    _operation_keys(rel.get(group) if isinstance(rel, dict) else None, version, problems)
        capabilities = body.get("capabilities")
        if scalable and capabilities is not None:  # the reference gates capabilities whole
            if isinstance(capabilities, dict) and "scalable" in capabilities:
                gate(problems, version, "capabilities.scalable", SCALABLE_SINCE, mark_in(capabilities, "scalable"))
            else:
                gate(problems, version, "capabilities", SCALABLE_SINCE, mark_in(body, "capabilities"))
    if not at_least(version, AVAILABILITY_RULES_SINCE):
        for workflow in blueprint.section("workflows").values():
            if isinstance(workflow, dict) and workflow.get("availability_rules") is not None:
                gate(problems, version, "availability_rules", AVAILABILITY_RULES_SINCE,
                     mark_in(workflow, "availability_rules"))


@lru_cache(maxsize=None)
def _plugin_gates(version: str) -> dict[str, str]:
    """The plugin keys `version` does not have yet, with the version that has each (none from 1_5
    on): one reckoning per version."""
    return {key: minimum for key, minimum in PLUGIN_GATES.items() if not at_least(version, minimum)}


def _type_operation_keys(body, groups: tuple, version: str, problems: Problems) -> None:
    for group in groups:
        _operation_keys(body.get(group) if isinstance(body, dict) else None, version, problems)


def _operation_keys(interfaces, version: str, problems: Problems) -> None:
    for ops in interfaces.values() if isinstance(interfaces, dict) else ():
        for raw in ops.values() if isinstance(ops, dict) else ():
            for key in OPERATION_KEYS:
                if isinstance(raw, dict) and raw.get(key) is not None:
                    gate(problems, version, key, OPERATION_KEYS_SINCE, mark_in(raw, key))
