"""The command line: a thin layer over `Resolver`. Exit 0 clean, 1 problems, 2 usage/environment.

    resolver [OPTIONS] BLUEPRINT...          resolve blueprints and print problems and plans
    resolver lock [OPTIONS] BLUEPRINT...     write <blueprint>.lock (registry/lock.py)
    resolver registry sync SOURCE [--to DIR] copy a source into a directory registry (sync.py)
    resolver registry list                   what the cache's registry (or --to DIR) holds
"""
from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .report import FORMATS

SUBCOMMANDS = ("lock", "registry", "lifecycle", "diff")


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """Where plugins, types and imports come from, and how the network is used."""
    parser.add_argument("-r", "--registry", action="append", default=None, metavar="SOURCE",
                        help="a plugin source, searched in order (repeatable): a folder <package>/<version>/*.yaml, "
                             "a folder of wagons or an upload bundle (.zip/.tgz), a catalog (FILE.json or "
                             "https://.../plugins.json), 'marketplace', or a manager (https://HOST, "
                             "manager+http://HOST). Default: the cache's registry, then the marketplace")
    parser.add_argument("--import-rules", metavar="FILE", help="import-resolver rules (YAML)")
    parser.add_argument("--blueprint-catalog", metavar="PATH",
                        help="folder <id>/blueprint.yaml, or a YAML file mapping id -> path")
    parser.add_argument("--search-path", action="append", default=None, metavar="DIR",
                        help="folder tried for relative imports not found beside the importer (repeatable)")
    parser.add_argument("--cache", metavar="DIR",
                        help="the cache folder (default: $RESOLVER_CACHE, else the user cache folder)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor fill the cache")
    parser.add_argument("--online", action="store_true", default=None,
                        help="allow the network: downloads go to the cache, so later runs are offline")
    parser.add_argument("--offline", dest="online", action="store_false", default=None,
                        help="no network, even when the project config says online: true")
    parser.add_argument("--refresh", action="store_true", default=None,
                        help="with --online, fetch listings and files again even when cached")
    parser.add_argument("--marketplace-url", metavar="URL", help="the marketplace API's base URL")
    parser.add_argument("--manager-version", metavar="VER",
                        help="which Cloudify version's types cloudify/types/types.yaml means "
                             "(default: the newest held)")
    parser.add_argument("--manager-tenant", metavar="NAME", help="the manager tenant (or CLOUDIFY_TENANT)")
    parser.add_argument("--manager-user", metavar="NAME", help="the manager user (or CLOUDIFY_USERNAME; "
                                                               "the password only from CLOUDIFY_PASSWORD)")
    parser.add_argument("--config", metavar="FILE", help="the project config (default: the nearest "
                                                         ".resolver.yaml from the blueprint's folder up)")
    parser.add_argument("--no-config", action="store_true", help="read no .resolver.yaml")


def add_session_options(parser: argparse.ArgumentParser) -> None:
    """The options that configure a `Resolver` and the output; shared with the pre-commit hook."""
    add_source_options(parser)
    parser.add_argument("-f", "--format", choices=FORMATS, default="text",
                        help="text (default; coloured on a terminal unless NO_COLOR is set), json (the "
                             "resolver-report), sarif (SARIF 2.1.0 for code scanning) or github "
                             "(GitHub Actions annotations)")
    parser.add_argument("--strict", action="store_true", default=None, help="treat warnings as errors")
    parser.add_argument("--lifecycle", action="store_true",
                        help="with -f json: add lifecycle {install, uninstall} (what those workflows run) to each plan")
    parser.add_argument("--explain", action="store_true",
                        help="for each plugin: import, show every candidate version and why it lost")
    parser.add_argument("--all-problems", action="store_true",
                        help="list every problem an unanswered import causes, one line each")
    parser.add_argument("--locked", action="store_true",
                        help="resolve exactly from <blueprint>.lock; a changed source is an error")
    parser.add_argument("--lock-file", metavar="PATH",
                        help="with one blueprint: resolve exactly from this lock file (implies --locked)")


def session_from(args, prog: str, blueprints=()):
    """A `Resolver` for parsed options (merged with the project config), or None after printing why.

    None is an environment error: the caller exits 2.
    """
    from .api import Options, Resolver
    from .config import ConfigError, apply_config
    from .registry import RegistryError
    from .registry.sources import ManagerAuth

    try:
        apply_config(args, blueprints)
    except ConfigError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return None
    for folder in args.search_path or ():
        if not os.path.isdir(folder):
            print(f"{prog}: error: {folder}: not a folder", file=sys.stderr)
            return None
    cache_dir = None
    if not args.no_cache:
        from .cache import default_root

        cache_dir = args.cache or default_root()
    options = Options(strict=bool(args.strict), online=bool(args.online), refresh=bool(args.refresh),
                      manager_version=args.manager_version,
                      marketplace_url=args.marketplace_url or Options().marketplace_url,
                      explain=bool(getattr(args, "explain", False)),
                      all_problems=bool(getattr(args, "all_problems", False)),
                      locked=getattr(args, "lock_file", None) or ("auto" if getattr(args, "locked", False) else None))
    try:
        return Resolver(registries=args.registry, import_rules=args.import_rules,
                        blueprint_catalog=args.blueprint_catalog, search_paths=args.search_path or (),
                        cache_dir=cache_dir, options=options,
                        manager_auth=ManagerAuth.from_env(username=args.manager_user, tenant=args.manager_tenant))
    except RegistryError as exc:
        print(f"{prog}: error: {exc.message}" + (f"\n  hint: {exc.hint}" if exc.hint else ""), file=sys.stderr)
        return None
    except (OSError, ValueError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resolver",
        description="Resolve Cloudify blueprints offline into a lifecycle plan. "
                    "Also: 'resolver lock BLUEPRINT...', 'resolver registry sync|list'.")
    parser.add_argument("blueprints", nargs="+", metavar="BLUEPRINT")
    add_session_options(parser)
    parser.add_argument("--version", action="version", version=f"resolver {__version__}")
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        if argv[0] == "lock":
            from .registry.lock import main as lock_main

            return lock_main(argv[1:])
        if argv[0] == "lifecycle":
            from .commands_lifecycle import main as lifecycle_main

            return lifecycle_main(argv[1:])
        if argv[0] == "diff":
            from .diff import main as diff_main

            return diff_main(argv[1:])
        from .sync import main as registry_main

        return registry_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if args.lock_file and len(args.blueprints) != 1:
        parser.error("--lock-file takes one blueprint (--locked reads <blueprint>.lock for each)")
    session = session_from(args, "resolver", args.blueprints)
    if session is None:
        return 2
    from .report import PICTURES, render, use_color

    if args.format in PICTURES and len(args.blueprints) != 1:
        print(f"resolver: error: -f {args.format} draws one blueprint; {len(args.blueprints)} were given",
              file=sys.stderr)
        return 2
    results = [session.resolve(path) for path in args.blueprints]
    from .pictures import PictureError

    try:
        out = render(args.format, results, color=use_color(sys.stdout), explain=args.explain,
                     lifecycle=args.lifecycle)
    except PictureError as exc:
        print(f"resolver: error: {exc.message}\n  hint: {exc.hint}", file=sys.stderr)
        return 2
    sys.stdout.write(out)
    return 0 if all(r.ok for r in results) else 1
