"""The module `resolver/_schema_checks.py`: the schema check's fast path as generated from the
schemas (`resolver.schema.checks_module`), kept so that Python caches its bytecode and a run does
not compile it.

    python -m tests.schema_checks            # print the module's text as the schemas make it now
    python -m tests.schema_checks --check    # exit 1 (printing a diff) when the module is stale
    python -m tests.schema_checks --write    # write the module again

Run `--write` after editing `schemas/blueprint.schema.json`, `schemas/plugin.schema.json` or the
generator. Until then a run compiles the checks itself (`fast_checks` compares the schema files'
fingerprints), so a stale module is slow, never wrong.
"""
from __future__ import annotations

import sys
from pathlib import Path

from resolver import schema

from . import kept_module

MODULE = Path(schema.__file__).resolve().parent / "_schema_checks.py"


def generated() -> str:
    return schema.checks_module({kind: Path(schema.schema_path(kind)).read_bytes() for kind in schema.SCHEMA_FILES})


def main(argv=None) -> int:
    return kept_module.main(argv, prog="python -m tests.schema_checks", module=MODULE, generated=generated)


if __name__ == "__main__":
    sys.exit(main())
