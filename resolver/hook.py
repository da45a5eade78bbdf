"""The pre-commit hook: `resolver-hook [OPTIONS] FILE...`.

pre-commit passes every staged file of the hook's types. Of those:

* a blueprint (a YAML mapping with top-level `tosca_definitions_version` and `node_templates`, or a
  file matching a `--blueprint-glob`) is resolved as it is;
* any other YAML file is an imported fragment: it is checked through every blueprint under `--root`
  (also the project root the blueprints' files are confined to, SECURITY.md) that imports it, directly or through other fragments (relative `imports:` entries are followed);
  a fragment that no blueprint imports is left alone;
* anything else is ignored.

Each blueprint is resolved once, in one `Resolver` session, however many passed files lead to it.
Only problems are printed. Exit 0 when no error (warnings are printed but pass unless --strict),
1 when any error, 2 on a usage or environment error.
"""
from __future__ import annotations

import argparse
import copy
import fnmatch
import os
import re
import subprocess
import sys
from collections import deque
from typing import Iterable, Sequence

from . import __version__
from .batch import Batch, add_jobs_option
from .cli import HelpFormatter, add_session_options, internal_errors, print_results, session_from

YAML_SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = frozenset({".git", ".venv", "node_modules"})

_TOP_KEY = r"^(?:'{0}'|\"{0}\"|{0})[ \t]*:"
_DSL_KEY = re.compile(_TOP_KEY.format("tosca_definitions_version"), re.M)
_NODES_KEY = re.compile(_TOP_KEY.format("node_templates"), re.M)
_IMPORTS_KEY = re.compile(_TOP_KEY.format("imports"), re.M)
_DSL_VALUE = re.compile(_TOP_KEY.format("tosca_definitions_version") + r"[ \t]*['\"]?cloudify_dsl_(\d+_\d+)", re.M)
# `plugin:x`, `blueprint:x`, `http://...`, `resource:...`: anything with a scheme is not a relative file
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
# namespaces.NAMESPACE_DELIMITER: the hook tells blueprints and fragments apart by these patterns,
# without importing the loader (and YAML) that namespaces.py needs
_NAMESPACE_DELIMITER = "--"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resolver-hook", formatter_class=HelpFormatter,
        description="pre-commit hook: resolve the blueprints among FILES, and the blueprints that import "
                    "the other YAML files among them; print the problems found.")
    parser.add_argument("files", nargs="*", metavar="FILE", help="files to check (as pre-commit passes them)")
    add_session_options(parser)
    add_jobs_option(parser)
    parser.add_argument("--blueprint-glob", action="append", default=[], metavar="PATTERN",
                        help="files matching PATTERN (relative to --root; a pattern without '/' also matches "
                             "the file name) are blueprints whatever their content (repeatable)")
    parser.add_argument("--version", action="version", version=f"resolver-hook {__version__}")
    return parser


# -- classification ------------------------------------------------------------------------------


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def looks_like_blueprint(text: str) -> bool:
    """The cheap check: both top-level keys present, without parsing."""
    return bool(_DSL_KEY.search(text) and _NODES_KEY.search(text))


def is_yaml(path: str) -> bool:
    return path.lower().endswith(YAML_SUFFIXES)


class _Globs:
    def __init__(self, patterns: Sequence[str], root: str) -> None:
        self.patterns = [p.replace(os.sep, "/") for p in patterns]
        self.root = root

    def match(self, real: str) -> bool:
        if not self.patterns:
            return False
        relative = os.path.relpath(real, self.root).replace(os.sep, "/")
        name = os.path.basename(real)
        for pattern in self.patterns:
            if fnmatch.fnmatch(relative, pattern):
                return True
            if "/" not in pattern and fnmatch.fnmatch(name, pattern):
                return True
        return False


# -- who imports what ------------------------------------------------------------------------------


def _import_entries(text: str) -> list[str]:
    """The written entries of a file's top-level `imports:` list (strings; a 1_5 mapping's key)."""
    if not _IMPORTS_KEY.search(text):
        return []
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return _import_entries_by_lines(text)
    entries = doc.get("imports") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        return []
    out = []
    for entry in entries:
        if isinstance(entry, dict) and len(entry) == 1:
            entry = next(iter(entry))
        if isinstance(entry, str) and entry.strip():
            out.append(entry.strip())
    return out


def _import_entries_by_lines(text: str) -> list[str]:
    """For a file YAML cannot parse: the `- item` lines of its block-style `imports:` list."""
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        if _IMPORTS_KEY.match(line):
            inside = True
            continue
        if not inside or not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace() and not line.startswith("-"):
            break
        match = re.match(r"^\s*-\s*(['\"]?)([^'\"#]+?)\1\s*(?::.*)?(?:#.*)?$", line)
        if match:
            out.append(match.group(2).strip())
    return out


def _relative_target(written: str) -> str | None:
    """The file part of an import that names a local file, else None (the namespace split off as
    namespaces.split_namespace splits it)."""
    head, sep, tail = written.rpartition(_NAMESPACE_DELIMITER)
    if sep and "/" not in head and ":" not in head:  # (an empty namespace is none: `--file.yaml`)
        written = tail
    written = written.strip()
    if written.startswith("file:"):
        return written[len("file:"):]
    if _SCHEME.match(written) and not re.match(r"^[A-Za-z]:[\\/]", written):
        return None
    return written


class ImportIndex:
    """Blueprints under a root and the local files they import, scanned once, followed backwards."""

    def __init__(self, root: str, search_paths: Sequence[str], globs: _Globs) -> None:
        self.root = root
        self.search_paths = [os.path.realpath(p) for p in search_paths]
        self.globs = globs
        self.blueprints: set[str] = set()
        self.importers: dict[str, set[str]] = {}
        self._followed: set[str] = set()
        self._texts: dict[str, str] = {}  # blueprints' texts, read by the scan, used again to follow
        self._scan()

    def _scan(self) -> None:
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(files):
                path = os.path.realpath(os.path.join(folder, name))
                if self.globs.match(path):
                    self.blueprints.add(path)
                elif is_yaml(name):
                    text = _read(path)
                    if text is not None and looks_like_blueprint(text):
                        self.blueprints.add(path)
                        self._texts[path] = text
        for path in sorted(self.blueprints):
            self._follow(path, None)

    def _follow(self, path: str, dsl_short: str | None) -> None:
        pending = deque([(path, dsl_short)])
        while pending:
            current, dsl = pending.popleft()
            if current in self._followed:
                continue
            self._followed.add(current)
            text = self._texts.pop(current, None)
            if text is None:
                text = _read(current)
            if text is None:
                continue
            version = _DSL_VALUE.search(text)
            dsl = dsl or (version.group(1) if version else None)
            for written in _import_entries(text):
                target = self._locate(written, current, dsl)
                if target is not None:
                    self.importers.setdefault(target, set()).add(current)
                    pending.append((target, dsl))

    def _locate(self, written: str, importer: str, dsl_short: str | None) -> str | None:
        ref = _relative_target(written)
        if not ref:
            return None
        if os.path.isabs(ref):
            return os.path.realpath(ref) if os.path.isfile(ref) else None
        beside = os.path.join(os.path.dirname(importer), ref)
        if os.path.isfile(beside):
            return os.path.realpath(beside)
        stem, ext = os.path.splitext(ref)
        names = ([f"{stem}_{dsl_short}{ext}"] if dsl_short and ext else []) + [ref]
        for folder in self.search_paths:
            for name in names:
                candidate = os.path.join(folder, name)
                if os.path.isfile(candidate):
                    return os.path.realpath(candidate)
        return None

    def blueprints_importing(self, fragment: str) -> list[str]:
        """Every blueprint that imports `fragment`, directly or through other files, sorted."""
        found: set[str] = set()
        seen = {fragment}
        pending = deque([fragment])
        while pending:
            current = pending.popleft()
            for importer in self.importers.get(current, ()):
                if importer in seen:
                    continue
                seen.add(importer)
                if importer in self.blueprints:
                    found.add(importer)
                pending.append(importer)
        return sorted(found)


# -- the run -----------------------------------------------------------------------------------------


def _git_toplevel() -> str | None:
    try:
        completed = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True,
                                   timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    top = completed.stdout.strip()
    return top if completed.returncode == 0 and top and os.path.isdir(top) else None


def _shown(real: str) -> str:
    """A path as the resolver shows it: relative to the working folder when inside it."""
    relative = os.path.relpath(real, os.getcwd())
    return real if relative == ".." or relative.startswith(".." + os.sep) else relative


def select(files: Iterable[str], root: str, search_paths: Sequence[str], globs: Sequence[str]) -> list[str]:
    """The blueprints to resolve for `files`, each once: passed blueprints first (as given), then the
    importers of passed fragments."""
    matcher = _Globs(globs, root)
    chosen: list[str] = []
    seen: set[str] = set()
    fragments: list[str] = []

    def take(shown: str, real: str) -> None:
        if real not in seen:
            seen.add(real)
            chosen.append(shown)

    for path in files:
        if not os.path.isfile(path):
            continue
        real = os.path.realpath(path)
        if matcher.match(real):
            take(path, real)
            continue
        if not is_yaml(path):
            continue
        text = _read(path)
        if text is None:
            continue
        if looks_like_blueprint(text):
            take(path, real)
        else:
            fragments.append(real)
    if fragments:
        index = ImportIndex(root, search_paths, matcher)
        importers: set[str] = set()
        for fragment in fragments:
            importers.update(index.blueprints_importing(fragment))
        for real in sorted(importers, key=_shown):
            take(_shown(real), real)
    return chosen


def _config_groups(args) -> list[tuple[argparse.Namespace, list[str]]]:
    """(options, files) per project config: pre-commit passes files from the whole repository, and
    each is checked with the `.resolver.yaml` nearest to it (one session per config). With
    `--config` or `--no-config`, or when no file is passed, there is one group.

    A blueprint reached through a fragment is resolved with the fragment's config.
    """
    files = list(args.files)
    if args.config or args.no_config or not files:
        return [(args, files)]
    from .config import group_by_config

    return [(copy.copy(args), members) for _, members in group_by_config(files)]


def _problems_only(results):
    """Each result without its plan and graph, as it comes: the hook prints problems, never a plan,
    and holds no plan while the batch goes on."""
    from . import records

    for result in results:
        yield records.replace(result, plan=None, graph=None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the hook; a bug of ours is reported (exit 2), never a traceback."""
    with internal_errors("resolver-hook") as outcome:
        outcome.status = _main(argv)
    return outcome.status


def _main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # usage errors (2), --help and --version (0)
        return exc.code if isinstance(exc.code, int) else 2

    from .report import PICTURES

    if args.format in PICTURES:  # the hook prints problems only; a picture is of one plan
        print(f"resolver-hook: error: -f {args.format} draws a plan; the hook prints problems "
              "(text, json, sarif or github)", file=sys.stderr)
        return 2
    if args.root is not None and not os.path.isdir(args.root):
        print(f"resolver-hook: error: {args.root}: not a folder", file=sys.stderr)
        return 2
    root = os.path.realpath(args.root or _git_toplevel() or os.getcwd())

    batch = Batch(args.jobs, owns_process=True)
    resolved: set[str] = set()
    for group_args, files in _config_groups(args):
        # the folder scanned for importers is the project root too, unless --root or the config says
        session = session_from(group_args, "resolver-hook", files, default_root=root)
        if session is None:
            return 2
        key = batch.session(session, group_args, "resolver-hook", default_root=root)
        for path in select(files, root, group_args.search_path or (), args.blueprint_glob):
            real = os.path.realpath(path)
            if real not in resolved:
                resolved.add(real)
                batch.add(key, path)
    from .report import use_color

    return print_results(_problems_only(batch.results()), args.format, color=use_color(sys.stdout))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
