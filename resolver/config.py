"""The project config `.resolver.yaml` (to be completed: see issue 6 item 8)."""
from __future__ import annotations


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the fault."""


def apply_config(args, blueprints=()) -> None:
    """Fill options the command line left unset from the project config (not yet read)."""
