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
from .batch import Batch, Verdicts, add_jobs_option


SUBCOMMANDS = ("lock", "registry", "lifecycle", "diff")


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help layout, at the terminal's width found without `shutil`: argparse makes a
    formatter for every option added and would import shutil (and its compression modules) for
    the width, a few milliseconds of every run for a layout only `--help` shows."""

    def __init__(self, prog: str, **options) -> None:
        options.setdefault("width", _terminal_width() - 2)  # argparse's own margin
        super().__init__(prog, **options)


def _terminal_width() -> int:
    """What `shutil.get_terminal_size().columns` says: $COLUMNS, else the terminal's, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


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
    add_safety_options(parser)


def add_safety_options(parser: argparse.ArgumentParser) -> None:
    """Confinement, the network's bounds and the limits on work (SECURITY.md)."""
    from . import records

    from .limits import DEFAULT_LIMITS, Limits

    group = parser.add_argument_group("hostile input (see SECURITY.md)")
    group.add_argument("--root", metavar="DIR",
                       help="the project root: files are read only inside it and the registries, cache, search "
                            "paths, import rules' and catalog targets (default: the nearest folder upward from "
                            "the blueprint holding .git or .resolver.yaml, else the blueprint's folder)")
    group.add_argument("--allow-outside", action="store_true", default=None,
                       help="read any file a blueprint names, wherever it is (trusted input only)")
    group.add_argument("--allow-host", action="append", default=None, metavar="HOST",
                       help="with --online, fetch only from these hosts (repeatable; *.example.com matches its "
                            "subdomains). Default: any public host")
    group.add_argument("--allow-private-addresses", action="store_true", default=None,
                       help="with --online, also fetch from hosts whose addresses are loopback, private or "
                            "link-local (a mirror on your network; refused by default)")
    for name in records.fields(Limits):
        default = getattr(DEFAULT_LIMITS, name)
        unit = "bytes, or with a k/M/G suffix; " if name == "max_file_size" else ""
        group.add_argument(Limits.option(name), type=_count, default=None, metavar="N",
                           help=f"{_LIMIT_HELP[name]} ({unit}default {default})")


_LIMIT_HELP = {
    "max_file_size": "largest file read",
    "max_depth": "deepest YAML nesting",
    "max_aliases": "values YAML aliases may add to one document",
    "max_files": "most files one blueprint's imports may bring in",
    "max_nodes": "most node templates in one blueprint",
    "max_type_depth": "longest derived_from chain",
}
_SUFFIXES = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def _count(text: str) -> int:
    """A positive integer, with an optional k/M/G (binary) suffix."""
    factor = _SUFFIXES.get(text[-1:].lower(), 1)
    digits = text[:-1] if factor != 1 else text
    try:
        value = int(digits) * factor
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def limits_from(args) -> Limits:
    """The limits the options (or the project config) set, the defaults for the rest."""
    from . import records

    from .limits import DEFAULT_LIMITS, Limits

    given = {name: getattr(args, name, None) for name in records.fields(Limits)}
    return records.replace(DEFAULT_LIMITS, **{name: value for name, value in given.items() if value is not None})


def add_session_options(parser: argparse.ArgumentParser) -> None:
    """The options that configure a `Resolver` and the output; shared with the pre-commit hook."""
    from .report import FORMATS

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


def session_from(args, prog: str, blueprints=(), default_root: str | None = None):
    """A `Resolver` for parsed options (merged with the project config), or None after printing why.

    None is an environment error: the caller exits 2. `default_root` is the project root when
    neither the options nor the config name one (else it is found per blueprint).
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
    for folder in [*(args.search_path or ()), *([args.root] if args.root else [])]:
        if not os.path.isdir(folder):
            print(f"{prog}: error: {folder}: not a folder", file=sys.stderr)
            return None
    cache_dir = None
    if not args.no_cache:
        from .cache import default_root as default_cache

        cache_dir = args.cache or default_cache()
    options = Options(strict=bool(args.strict), online=bool(args.online), refresh=bool(args.refresh),
                      manager_version=args.manager_version,
                      marketplace_url=args.marketplace_url or Options().marketplace_url,
                      explain=bool(getattr(args, "explain", False)),
                      all_problems=bool(getattr(args, "all_problems", False)),
                      locked=getattr(args, "lock_file", None) or ("auto" if getattr(args, "locked", False) else None),
                      root=os.path.abspath(args.root) if args.root else default_root,
                      allow_outside=bool(args.allow_outside), allow_hosts=tuple(args.allow_host or ()),
                      allow_private_addresses=bool(args.allow_private_addresses), limits=limits_from(args))
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
        prog="resolver", formatter_class=HelpFormatter,
        description="Resolve Cloudify blueprints offline into a lifecycle plan. "
                    "Also: 'resolver lock BLUEPRINT...', 'resolver registry sync|list'.")
    parser.add_argument("blueprints", nargs="+", metavar="BLUEPRINT")
    add_session_options(parser)
    add_jobs_option(parser)
    parser.add_argument("--version", action="version", version=f"resolver {__version__}")
    return parser


def main(argv=None) -> int:
    """Run the command line; a bug of ours is reported (exit 2), never a traceback."""
    with internal_errors("resolver") as outcome:
        outcome.status = _main(argv)
    return outcome.status


class _Outcome:
    status = 2


class internal_errors:
    """`with internal_errors(prog) as outcome:` turns an exception escaping the block into a short
    report on stderr, with what a bug report needs, and leaves `outcome.status` at 2.

    SystemExit (argparse's usage errors, --help) and KeyboardInterrupt pass through.
    """

    def __init__(self, prog: str) -> None:
        self.prog = prog
        self.outcome = _Outcome()

    def __enter__(self) -> _Outcome:
        return self.outcome

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        import platform
        import traceback

        where = traceback.extract_tb(tb)[-1] if tb is not None else None
        place = f" (at {os.path.basename(where.filename)}:{where.lineno})" if where else ""
        print(f"{self.prog}: internal error: {type(exc).__name__}: {exc}{place}\n"
              f"  This is a bug in resolver {__version__}; please report it to the project's issue tracker with "
              f"the command line, the blueprint (or the smallest one that fails) and these lines:\n"
              f"  python {platform.python_version()} on {platform.platform()}\n"
              + "".join("  " + line for line in traceback.format_exception(kind, exc, tb)[-6:]),
              file=sys.stderr)
        self.outcome.status = 2
        return True


def _main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:  # answered before the parser is built: start-up stays Python's own
        print(f"resolver {__version__}")
        return 0
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
    from .report import PICTURES, use_color

    if args.format in PICTURES and len(args.blueprints) != 1:
        print(f"resolver: error: -f {args.format} draws one blueprint; {len(args.blueprints)} were given",
              file=sys.stderr)
        return 2
    batch = Batch(args.jobs, keep_graph=args.lifecycle, owns_process=True)
    key = batch.session(session, args, "resolver")
    for path in args.blueprints:
        batch.add(key, path)
    from .pictures import PictureError

    try:
        return print_results(batch.results(), args.format, color=use_color(sys.stdout), explain=args.explain,
                             lifecycle=args.lifecycle)
    except PictureError as exc:
        print(f"resolver: error: {exc.message}\n  hint: {exc.hint}", file=sys.stderr)
        return 2


def print_results(results, fmt: str, **options) -> int:
    """Print `results` (an iterable: `Batch.results()`) in `fmt` to stdout, each result's text as it
    comes, the result let go after it (`report.render_pieces`; `options` are its own), and return
    the exit status: 0 when every result is ok, 1 when one is not, BROKEN_PIPE_STATUS when the reader
    went away."""
    from .report import render_pieces

    verdicts = Verdicts(results)
    try:
        for piece in render_pieces(fmt, verdicts, **options):
            sys.stdout.write(piece)
        sys.stdout.flush()
    except BrokenPipeError:
        return reader_gone()
    return 0 if verdicts.ok else 1


# The exit status of a command whose reader went away, as a process killed by SIGPIPE has it.
BROKEN_PIPE_STATUS = 141


def reader_gone() -> int:
    """What a command does when the reader of its output went away (`resolver ... | head`): it
    stops, quietly, with BROKEN_PIPE_STATUS. The rest of its output goes nowhere, so the flush at
    the interpreter's exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return BROKEN_PIPE_STATUS
