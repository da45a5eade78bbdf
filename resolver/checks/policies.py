"""Policies: top-level scaling policies and the policies and triggers of groups
(SPEC §8.4; codes 41, 42, 204, 205, 206), with the properties of group policies and the
parameters of their triggers against their types' schemas (106, 107)."""
from __future__ import annotations

from ..load import mark_in, value_mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared
from ..properties import PropertyChecker
from .shapes import members, misshapen, names

SCALING_POLICY = "cloudify.policies.scaling"


def scaling_groups(blueprint: Blueprint) -> dict[str, list]:
    """The groups that scaling policies target, each with its members (as written)."""
    groups = blueprint.section("groups")
    out: dict[str, list] = {}
    for policy in blueprint.section("policies").values():
        if not isinstance(policy, dict) or policy.get("type") != SCALING_POLICY:
            continue
        for _, target in names(policy.get("targets")):
            if target in groups:
                out[target] = members(groups[target])
    return out


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    checker = PropertyChecker(model.data_types, problems) if model.data_types is not None else None
    _check_group_policies(blueprint, checker, problems)
    _check_policies(blueprint, problems)


def _schema(entries: dict, name, key: str) -> dict | None:
    body = entries.get(name) if isinstance(name, str) else None
    schema = body.get(key) if isinstance(body, dict) else None
    return schema if isinstance(schema, dict) else {} if isinstance(body, dict) else None


def _check_group_policies(blueprint, checker, problems) -> None:
    policy_types = blueprint.section("policy_types")
    policy_triggers = blueprint.section("policy_triggers")
    for name, group in blueprint.section("groups").items():
        policies = group.get("policies") if isinstance(group, dict) else None
        if not isinstance(policies, dict):
            continue
        for policy_name, policy in policies.items():
            if not isinstance(policy, dict):
                continue
            policy_type = policy.get("type")
            if misshapen(policy_type):
                continue
            if policy_type not in policy_types:
                problems.add("policy-type-unknown",
                             f"policy {policy_name!r} of group {name!r} has undefined policy type {policy_type!r}",
                             value_mark_in(policy, "type"), subject=str(policy_type))
            schema = _schema(policy_types, policy_type, "properties")
            if checker is not None and schema is not None:
                checker.merge(f"{name}.{policy_name}", schema, policy.get("properties"),
                              mark_in(policy, "properties") or mark_in(policies, policy_name), what="group policy")
            triggers = policy.get("triggers")
            if isinstance(triggers, dict):
                for trigger_name, trigger in triggers.items():
                    if trigger is None:
                        continue  # the reference skips a null trigger
                    trigger_type = trigger.get("type") if isinstance(trigger, dict) else None
                    if misshapen(trigger_type):
                        continue
                    if trigger_type not in policy_triggers:
                        problems.add("policy-trigger-unknown",
                                     f"trigger {trigger_name!r} of policy {policy_name!r} has undefined type "
                                     f"{trigger_type!r}", mark_in(triggers, trigger_name), subject=str(trigger_type))
                        continue
                    schema = _schema(policy_triggers, trigger_type, "parameters")
                    if checker is not None and schema is not None and isinstance(trigger, dict):
                        checker.merge(f"{name}.{policy_name}.{trigger_name}", schema, trigger.get("parameters"),
                                      mark_in(trigger, "parameters") or mark_in(triggers, trigger_name),
                                      what="policy trigger")


def _check_policies(blueprint, problems) -> None:
    groups = blueprint.section("groups")
    for name, policy in blueprint.section("policies").items():
        mark = blueprint.mark("policies", name)
        if policy is None:  # the reference reads its type and fails
            problems.add("schema-wrong-type", f"policy {name!r} is null", mark,
                         hint=f"Write `{{type: {SCALING_POLICY}, targets: [...]}}`, or remove the policy.")
            continue
        if not isinstance(policy, dict):
            continue
        if policy.get("type") != SCALING_POLICY:
            problems.add("policy-unsupported",
                         f"policy {name!r} has type {policy.get('type')!r}; only {SCALING_POLICY} is supported",
                         value_mark_in(policy, "type") or mark)
        targets = policy.get("targets")
        if not isinstance(targets, list) or not targets:
            problems.add("policy-without-targets", f"policy {name!r} names no target group", mark)
            continue
        for index, target in ((i, t) for i, t in enumerate(targets) if t is None or isinstance(t, str)):
            if target is None or target not in groups:
                problems.add("policy-target-not-group", f"policy {name!r} targets {target!r}, which is not a group",
                             mark_in(targets, index))
            elif groups[target] is None and policy.get("type") == SCALING_POLICY:
                # a scaling policy reads its groups' members, and fails on a null group
                problems.add("schema-wrong-type", f"policy {name!r} targets {target!r}, a null group with no members",
                             mark_in(targets, index), hint="Give the group its members.")
