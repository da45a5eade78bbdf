"""The lock file: what a blueprint resolved to, byte for byte, so a later run can insist on it.

`resolver lock BLUEPRINT...` writes `<blueprint>.lock` beside each blueprint (or `--output PATH`
for one blueprint); `resolver --locked BLUEPRINT` (library: `Options(locked="auto")`, or
`Resolver.resolve(path, lock=PATH)`) resolves exactly from it. The format, version 1 (JSON,
UTF-8, keys sorted, 2-space indent, a final newline; written atomically, never a partial file;
schemas/lock.schema.json):

    {
      "format": "resolver-lock",
      "version": 1,
      "blueprint": "blueprint.yaml",            # the main file's name
      "dsl_version": "cloudify_dsl_1_4",
      "imports": [                               # every import entry answered, in walk order
        {
          "import": "plugin:cloudify-aws-plugin?version=>=3",   # as written
          "importer": "blueprint.yaml",          # the file that wrote it (a file key, see below)
          "namespace": null,                     # the namespace it was merged under
          "resolved": "...",                     # the file key it resolved to; for a registry
                                                 #   plugin, where the registry held its YAML
          "via": "registry",                     # file, rule, types, catalog, cache, network, registry
          "package_name": "cloudify-aws-plugin", # these four: null unless answered by a registry
          "package_version": "3.2.4",
          "yaml_file": "plugin_1_5.yaml",        # the YAML file read
          "registry": "...",                     # the registry that answered
          "types_version": null,                 # for Cloudify's types: the version that answered
          "sha256": "..."                        # of the text read
        }
      ],
      "files": {"<file key>": "<sha256>"}        # every file read: the blueprint, every import,
    }                                            #   every plugin YAML

File keys: a local file is named by its path relative to the blueprint's folder (`/`-separated,
`..` when outside it), so a lock committed beside its blueprint holds in any checkout; a URL (or
an identity such as `resource:cloudify/types/types.yaml`) as it is; a plugin YAML from a
registry as `registry:<package>/<version>/<yaml file>`, whichever source gives it, so that a
mirror giving the same bytes satisfies the lock. Hashes are the sha256 of each text as read,
encoded UTF-8 (what the resolver parsed, whatever the transport's encoding was).

Under a lock, a `plugin:` import is answered with the locked package version and YAML file from
the first registry that gives them (no version choice); every other import is resolved as usual
and must resolve to the locked file; every text read is compared with the lock. Faults, each
naming the file: `lock-unreadable` (the lock is missing, not JSON, or of another format or
version), `lock-missing-entry` (an import or file the lock does not list: the blueprint changed),
`lock-mismatch` (different bytes, or an import now resolves elsewhere), `lock-unavailable` (no
source gives the locked plugin version and file any more). A lock whose sources are unchanged
gives the plan of the unlocked run, byte for byte. `cloudify/types/types.yaml` means the types of
the locked `types_version` under a lock (unless `--manager-version` says otherwise), so types
fetched or synced later do not change a locked blueprint.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from .. import records
from ..problems import Mark

LOCK_FORMAT = "resolver-lock"
LOCK_VERSION = 1
LOCK_SUFFIX = ".lock"
ENTRY_KEYS = ("import", "importer", "namespace", "resolved", "via", "package_name", "package_version",
              "yaml_file", "registry", "sha256")
_REFRESH = "Write it again with `resolver lock BLUEPRINT`."


class LockError(Exception):
    """A lock file that cannot be used; `mark` points at it (and at the fault when JSON says where)."""

    def __init__(self, message: str, mark: Mark | None, hint: str | None = _REFRESH) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.hint = hint


@records.frozen
class LockEntry:
    """One locked import entry (see the module docstring for the fields)."""

    written: str
    importer: str
    namespace: str | None
    resolved: str
    via: str
    package_name: str | None
    package_version: str | None
    yaml_file: str | None
    registry: str | None
    sha256: str
    types_version: str | None = None


@records.frozen
class Lock:
    """A lock file as read: `shown` is its path as problems print it."""

    path: str
    shown: str
    blueprint: str
    dsl_version: str | None
    entries: tuple[LockEntry, ...]
    files: dict = records.field(factory=dict)

    @property
    def types_version(self) -> str | None:
        """The Cloudify types version locked for `cloudify/types/*.yaml` imports, if any."""
        for entry in self.entries:
            if entry.via == "types" and entry.types_version:
                return entry.types_version
        return None

    def entry(self, importer: str, written: str) -> LockEntry | None:
        """The locked entry for the import `written` in the file keyed `importer`, or None."""
        for entry in self.entries:
            if entry.importer == importer and entry.written == written:
                return entry
        return None


def lock_path(blueprint: str, locked: str | None) -> str | None:
    """Where the lock of `blueprint` is for `Options.locked`: None (no lock), "auto" or a path."""
    if locked is None:
        return None
    return blueprint + LOCK_SUFFIX if locked == "auto" else locked


def _shown(path: str) -> str:
    from ..report import shown_path

    return shown_path(os.path.abspath(path))


def read_lock(path: str, blueprint: str) -> Lock:
    """Read and check the lock at `path` for `blueprint`. Raises LockError saying what is wrong."""
    shown = _shown(path)
    whole = Mark(shown, None, None)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise LockError(f"no lock file {shown} for {os.path.basename(blueprint)}", whole,
                        hint="Write one with `resolver lock BLUEPRINT`, or run without --locked.") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise LockError(f"cannot read the lock file {shown}: {reason}", whole) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
        raise LockError(f"the lock file {shown} is not JSON: {getattr(exc, 'msg', exc)}",
                        Mark(shown, line, column) if line else whole) from None
    if not isinstance(data, dict) or data.get("format") != LOCK_FORMAT:
        raise LockError(f"{shown} is not a resolver lock file (no \"format\": \"{LOCK_FORMAT}\")", whole)
    if data.get("version") != LOCK_VERSION:
        raise LockError(f"{shown} is a lock file of version {data.get('version')!r}; this resolver reads version "
                        f"{LOCK_VERSION}", whole)
    name = os.path.basename(blueprint)
    if data.get("blueprint") != name:
        raise LockError(f"{shown} locks {data.get('blueprint')!r}, not {name!r}", whole,
                        hint="Pass the lock of this blueprint, or write one with `resolver lock`.")
    files, raw_entries = data.get("files"), data.get("imports")
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise LockError(f"{shown}: \"files\" must map file keys to sha256 strings", whole)
    if not isinstance(raw_entries, list):
        raise LockError(f"{shown}: \"imports\" must be a list", whole)
    entries = []
    for index, raw in enumerate(raw_entries):
        if not isinstance(raw, dict) or not set(ENTRY_KEYS) <= set(raw) or not all(
                isinstance(raw[key], str) for key in ("import", "importer", "resolved", "via", "sha256")):
            raise LockError(f"{shown}: imports[{index}] must hold {', '.join(ENTRY_KEYS)}", whole)
        optional = {key: raw[key] if isinstance(raw[key], str) else None
                    for key in ("namespace", "package_name", "package_version", "yaml_file", "registry")}
        optional["types_version"] = raw.get("types_version") if isinstance(raw.get("types_version"), str) else None
        entries.append(LockEntry(written=raw["import"], importer=raw["importer"], resolved=raw["resolved"],
                                 via=raw["via"], sha256=raw["sha256"], **optional))
    dsl = data.get("dsl_version")
    return Lock(path=path, shown=shown, blueprint=name, dsl_version=dsl if isinstance(dsl, str) else None,
                entries=tuple(entries), files=dict(files))


def lock_of(result) -> dict:
    """The lock document of a resolved blueprint (an `api.Result` with no error).

    Raises ValueError when the result has an error (nothing trustworthy to lock).
    """
    imports = result.imports
    if not result.ok or imports is None:
        raise ValueError(f"{result.blueprint} has errors; a lock is written only for a blueprint that resolves")
    entries: list[dict[str, Any]] = []
    seen = set()
    for answer in imports.answers:
        entry = {"import": answer.written, "importer": answer.importer, "namespace": answer.namespace,
                 "resolved": answer.resolved, "via": answer.via, "package_name": answer.package_name,
                 "package_version": answer.package_version, "yaml_file": answer.yaml_file,
                 "registry": answer.registry, "sha256": answer.sha256, "types_version": answer.types_version}
        # the same file walked under two namespaces answers its imports twice, identically
        key = (answer.importer, answer.written, answer.namespace)
        if key not in seen:
            seen.add(key)
            entries.append(entry)
    return {"format": LOCK_FORMAT, "version": LOCK_VERSION, "blueprint": os.path.basename(result.blueprint),
            "dsl_version": imports.dsl_version, "imports": entries, "files": dict(imports.reads)}


def dumps(document: dict) -> bytes:
    """The lock file's bytes: JSON, keys sorted, 2-space indent, a final newline."""
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_lock(path: str, document: dict) -> None:
    """Write `document` to `path` atomically: a reader sees the old lock or the new one, never a part."""
    from ..cache import write_atomic

    write_atomic(os.path.abspath(path), dumps(document))


# -- resolver lock -----------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    from ..cli import add_session_options

    parser = argparse.ArgumentParser(
        prog="resolver lock",
        description="Resolve each blueprint and write <blueprint>.lock beside it: every import as written, "
                    "what it resolved to, package versions and YAML files, and the sha256 of every file read.")
    parser.add_argument("blueprints", nargs="+", metavar="BLUEPRINT")
    parser.add_argument("-o", "--output", metavar="PATH", help="write the lock here (one blueprint only)")
    add_session_options(parser)
    return parser


def main(argv=None) -> int:
    """`resolver lock`: exit 0 when every lock was written, 1 when a blueprint has errors, 2 on usage."""
    from ..cli import session_from
    from ..report import to_text

    parser = _parser()
    args = parser.parse_args(argv)
    if args.output and len(args.blueprints) != 1:
        parser.error("--output takes one blueprint")
    if args.locked or args.lock_file:
        parser.error("--locked and --lock-file check a lock; `resolver lock` writes one (--output says where)")
    session = session_from(args, "resolver lock", args.blueprints)
    if session is None:
        return 2
    status = 0
    for path in args.blueprints:
        result = session.resolve(path)
        sys.stdout.write(to_text([result], show_plan=False))
        if not result.ok:
            print(f"resolver lock: {path}: not locked, it has errors", file=sys.stderr)
            status = 1
            continue
        target = args.output or path + LOCK_SUFFIX
        try:
            write_lock(target, lock_of(result))
        except OSError as exc:
            print(f"resolver lock: error: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"wrote {_shown(target)}")
    return status
