"""The command line shared by the tools that keep a generated module in resolver/ (so that Python
caches its bytecode): print the module's text as it would be generated now, `--check` it against
the kept file (exit 1, printing a diff, when stale), or `--write` it again."""
from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from typing import Callable


def main(argv, *, prog: str, module: Path, generated: Callable[[], str]) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=f"Print, check or write resolver/{module.name}.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 (printing a diff) when the module is stale")
    mode.add_argument("--write", action="store_true", help="write the module again")
    args = parser.parse_args(argv)
    text = generated()
    if args.write:
        module.write_text(text, encoding="utf-8")
        return 0
    if args.check:
        kept = module.read_text(encoding="utf-8") if module.is_file() else ""
        if kept == text:
            return 0
        sys.stdout.writelines(difflib.unified_diff(kept.splitlines(True), text.splitlines(True), str(module), "generated"))
        return 1
    sys.stdout.write(text)
    return 0
