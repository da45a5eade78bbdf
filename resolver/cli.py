"""The command line: a thin layer over `Resolver`. Exit 0 clean, 1 problems, 2 usage/environment."""
from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .report import FORMATS


def add_session_options(parser: argparse.ArgumentParser) -> None:
    """The options that configure a `Resolver` and the output; shared with the pre-commit hook."""
    parser.add_argument("-r", "--registry", action="append", default=[], metavar="DIR",
                        help="plugin registry folder <package>/<version>/*.yaml (repeatable, searched in order)")
    parser.add_argument("--import-rules", metavar="FILE", help="import-resolver rules (YAML)")
    parser.add_argument("--blueprint-catalog", metavar="PATH",
                        help="folder <id>/blueprint.yaml, or a YAML file mapping id -> path")
    parser.add_argument("--search-path", action="append", default=[], metavar="DIR",
                        help="folder tried for relative imports not found beside the importer (repeatable)")
    parser.add_argument("--cache", metavar="DIR", help="local copies of URLs, laid out <host>/<path>")
    parser.add_argument("-f", "--format", choices=FORMATS, default="text",
                        help="text (default; coloured on a terminal unless NO_COLOR is set), json (the "
                             "resolver-report), sarif (SARIF 2.1.0 for code scanning) or github "
                             "(GitHub Actions annotations)")
    parser.add_argument("--online", action="store_true", help="allow downloading imports")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")


def session_from(args, prog: str):
    """A `Resolver` for parsed options, or None after printing why (an environment error, exit 2)."""
    from .api import Options, Resolver

    for folder in args.registry + args.search_path:
        if not os.path.isdir(folder):
            print(f"{prog}: error: {folder}: not a folder", file=sys.stderr)
            return None
    try:
        return Resolver(registries=args.registry, import_rules=args.import_rules,
                        blueprint_catalog=args.blueprint_catalog, search_paths=args.search_path,
                        cache_dir=args.cache, options=Options(strict=args.strict, online=args.online))
    except (OSError, ValueError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resolver",
        description="Resolve Cloudify blueprints offline into a lifecycle plan.")
    parser.add_argument("blueprints", nargs="+", metavar="BLUEPRINT")
    add_session_options(parser)
    parser.add_argument("--version", action="version", version=f"resolver {__version__}")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    session = session_from(args, "resolver")
    if session is None:
        return 2
    results = [session.resolve(path) for path in args.blueprints]
    from .report import render, use_color

    sys.stdout.write(render(args.format, results, color=use_color(sys.stdout)))
    return 0 if all(r.ok for r in results) else 1
