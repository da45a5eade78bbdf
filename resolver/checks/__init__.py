"""Checks over the built model, one module per rule family, run in order by `check_all`.

The builder (`nodes.py`) only builds; every rule that reports without changing the plan lives
here. Each module offers `check(blueprint, model, problems, shared)`, looks at the merged
blueprint and the built model, and adds problems; none raises, none depends on another's
findings. `shared` (shared.py) lets a rule work out its findings about a definition of a document
the session keeps (Cloudify's types, plugin YAML) once per session instead of once per blueprint.
"""
from __future__ import annotations

from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared
from . import (constraints, definitions, deployment, functions, groups, hosts, inputs, labels, lifecycle, operations, plugins,
               policies, scaling, schedules, schemas, templates, timestamps, versions, workflows)

RULES = (plugins.check, versions.check, timestamps.check, schemas.check, operations.check, inputs.check, templates.check,
         hosts.check, workflows.check, definitions.check, constraints.check, groups.check, policies.check,
         scaling.check, lifecycle.check, deployment.check, labels.check, schedules.check, functions.check)


def check_all(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    """Run every rule family over one blueprint; problems go to `problems`."""
    for rule in RULES:
        rule(blueprint, model, problems, shared)
