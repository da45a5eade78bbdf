"""Checks over the built model, one module per rule family, run in order by `check_all`.

The builder (`nodes.py`) only builds; every rule that reports without changing the plan lives
here. Each module offers `check(blueprint, model, problems)`, looks at the merged blueprint and
the built model, and adds problems; none raises, none depends on another's findings.
"""
from __future__ import annotations

from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from . import functions, groups, lifecycle, policies, scaling

RULES = (groups.check, policies.check, scaling.check, lifecycle.check, functions.check)


def check_all(blueprint: Blueprint, model: Model, problems: Problems) -> None:
    """Run every rule family over one blueprint; problems go to `problems`."""
    for rule in RULES:
        rule(blueprint, model, problems)
