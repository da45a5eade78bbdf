"""Bounds on the work one blueprint may cause, in one frozen record.

Hostile or broken input must fail fast with a coded problem, never run for minutes or fill the
memory: a limit hit is a problem at the position of what crossed it, naming the option that
raises the limit (`Limits.option`). The defaults sit far above what real blueprints need (the
~1,200 corpus blueprints use at most a small fraction of each) and far below what would hurt.
"""
from __future__ import annotations

from . import records


def _positive(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")


@records.frozen
class Limits:
    """How much one blueprint may make resolver read and build.

    max_file_size: bytes of one file (blueprint, import, plugin YAML), checked before it is read
        when it is a local file.
    max_depth: nesting depth of one YAML document (libyaml itself refuses documents deeper than
        1000 levels, whatever this says).
    max_aliases: values that YAML aliases may add to one document once expanded, counted on the
        document as it is built, from each anchor's size, never expanded (a "billion laughs" adds 10^9).
    max_files: files one blueprint's imports may bring in, the main blueprint included.
    max_nodes: node templates of one blueprint, all files together.
    max_type_depth: length of a `derived_from` chain (a type, its parent, its parent's parent...).
    """

    max_file_size: int = records.field(default=10 * 1024 * 1024, validator=_positive)
    max_depth: int = records.field(default=200, validator=_positive)
    max_aliases: int = records.field(default=100_000, validator=_positive)
    max_files: int = records.field(default=1_000, validator=_positive)
    max_nodes: int = records.field(default=10_000, validator=_positive)
    max_type_depth: int = records.field(default=100, validator=_positive)

    @staticmethod
    def option(field: str) -> str:
        """The command-line option (and, with `_`, the `.resolver.yaml` key) that sets `field`."""
        return "--" + field.replace("_", "-")


DEFAULT_LIMITS = Limits()
