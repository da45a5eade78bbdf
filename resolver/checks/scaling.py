"""Scaling: `instances`, `capabilities.scalable` and the numbers of scaling policies
(SPEC §8.6; codes 1, 207-210)."""
from __future__ import annotations

from ..functions import is_function
from ..load import mark_in, value_mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared

UNBOUNDED = "UNBOUNDED"
_INSTANCE_DEFAULTS = {"default_instances": 1, "min_instances": 0, "max_instances": -1}


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    for name, body in blueprint.section("node_templates").items():
        if isinstance(body, dict):
            _check_instances(name, body, problems)
    for name, policy in blueprint.section("policies").items():
        # the reference checks the numbers of every policy, whatever its type and targets
        properties = policy.get("properties") if isinstance(policy, dict) else None
        if isinstance(properties, dict):
            _check_numbers(f"policy {name!r}", properties, blueprint.mark("policies", name), problems)


def _check_instances(name: str, body: dict, problems: Problems) -> None:
    instances = body.get("instances")
    capabilities = body.get("capabilities")
    scalable = capabilities.get("scalable") if isinstance(capabilities, dict) else None
    if isinstance(instances, dict) and "deploy" in instances:
        deploy = instances["deploy"]
        if isinstance(deploy, int) and not isinstance(deploy, bool) and deploy < 0:
            problems.add("instances-deploy-negative", f"node {name!r}: instances.deploy must not be negative",
                         value_mark_in(instances, "deploy"))
        # the reference refuses any capabilities beside a deploy count, even empty ones (not null)
        if capabilities is not None and deploy is not None:
            where = (mark_in(capabilities, "scalable") if isinstance(capabilities, dict) and "scalable" in capabilities
                     else mark_in(body, "capabilities"))
            problems.add("instances-and-scalable",
                         f"node {name!r} sets both instances.deploy and capabilities.scalable",
                         where, hint="Keep capabilities.scalable only.")
    if isinstance(scalable, dict) and isinstance(scalable.get("properties"), dict):
        _check_numbers(f"node {name!r}", scalable["properties"], mark_in(scalable, "properties"), problems)


def _check_numbers(owner: str, props: dict, mark, problems: Problems) -> None:
    values = {}
    for key, default in _INSTANCE_DEFAULTS.items():
        value = props.get(key, default)
        where = value_mark_in(props, key) or mark
        if isinstance(value, dict):
            if not is_function(value):
                problems.add("instances-not-a-function",
                             f"{owner}: {key} must be a number or an intrinsic function", where)
            continue
        if key == "max_instances" and isinstance(value, str):
            if value != UNBOUNDED:
                problems.add("instances-literal-invalid", f"{owner}: the only string max_instances takes is "
                             f"{UNBOUNDED}, not {value!r}", where)
                continue
            value = -1
        if not isinstance(value, int):
            continue
        value = int(value)  # the reference counts true and false as 1 and 0 (Python's bool is an int)
        if key == "max_instances":
            if value != -1 and value < 1:
                problems.add("instances-invalid", f"{owner}: max_instances must be at least 1 (or UNBOUNDED)",
                             where)
                continue
        elif value < 0:
            problems.add("instances-invalid", f"{owner}: {key} must not be negative", where)
            continue
        values[key] = value
    low, high, default = values.get("min_instances"), values.get("max_instances"), values.get("default_instances")
    if low is not None and default is not None and default < low:
        problems.add("instances-invalid", f"{owner}: default_instances ({default}) is below min_instances ({low})",
                     mark)
    if high is not None and high != -1:
        if low is not None and low > high:
            problems.add("instances-invalid", f"{owner}: min_instances ({low}) is above max_instances ({high})",
                         mark)
        if default is not None and default > high:
            problems.add("instances-invalid",
                         f"{owner}: default_instances ({default}) is above max_instances ({high})", mark)
