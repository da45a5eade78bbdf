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

import argparse
import difflib
import sys
from pathlib import Path

from resolver import schema

MODULE = Path(schema.__file__).resolve().parent / "_schema_checks.py"


def generated() -> str:
    return schema.checks_module({kind: Path(schema.schema_path(kind)).read_bytes() for kind in schema.SCHEMA_FILES})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.schema_checks",
                                     description="Print, check or write resolver/_schema_checks.py.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 (printing a diff) when the module is stale")
    mode.add_argument("--write", action="store_true", help="write the module again")
    args = parser.parse_args(argv)
    text = generated()
    if args.write:
        MODULE.write_text(text, encoding="utf-8")
        return 0
    if args.check:
        kept = MODULE.read_text(encoding="utf-8") if MODULE.is_file() else ""
        if kept == text:
            return 0
        sys.stdout.writelines(difflib.unified_diff(kept.splitlines(True), text.splitlines(True),
                                                   str(MODULE), "generated"))
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
