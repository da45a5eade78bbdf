"""`resolver registry sync SOURCE` and `resolver registry list`: a source copied into a folder, for
offline and CI use, and what a folder (or any source) holds.

    resolver registry sync SOURCE [--to DIR] [--package NAME]... [--jobs N] [source options]
    resolver registry list [--to DIR | -r SOURCE] [-f text|json] [source options]

SOURCE is anything `-r` accepts (registry/sources.py). The copy is a directory registry
(registry/directory.py): `<package>/<version>/<yaml files>`, plus the wagon's `package.json`
(package_name, package_version, archive_name, supported_platform, build_server_os_properties)
when the source gives that metadata, so that `?distribution=` still works on the copy. The
default target is the cache's registry folder, which every run reads.

The contract of a sync:

* **Atomic per version.** A version is written into a hidden folder beside its final place
  (`<package>/.partial@<version>@...`; the `@` keeps directory registries from ever listing it)
  and renamed into place, so an interrupted sync leaves whole versions or none. Leftovers of a
  killed sync are removed by the next sync of that package once they are an hour old (a younger
  one may belong to a sync still running).
* **Resumable.** A version already held with the same file names and contents (sha256) as the
  source gives, and the same `package.json`, is skipped; when the source publishes checksums for
  every file, without reading the source at all. A version held with other contents is replaced.
* **Checked.** Where the source gives a file's sha256 (`PluginRecord.checksums`), the bytes read
  must match it, or the version fails and is not written. Names that cannot be one folder or
  file name (`/`, `..`, ...; `directory.safe_name`) fail and are never written, so nothing lands
  outside the target. A YAML file must be named `*.yaml`, the only files a directory registry reads.
* **One folder per version.** A directory registry holds one copy of a version; when a source
  lists a version twice (a manager holding builds for two distributions), the first listed is
  kept and the others are reported as notes.

Exit status: 0 when every version is held, 1 when some failed (each listed with its code), 2 for
usage and environment errors (a source that cannot be opened or listed, a target that cannot be
written).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Callable, Sequence, TextIO

from . import records
from .cache import sha256
from .net import NetError
from .registry.base import PluginRecord, Registry, RegistryError
from .registry.directory import safe_name
from .types import TYPES_PACKAGE

WAGON_METADATA = "package.json"
PARTIAL_MARK = ".partial@"
REPLACED_MARK = ".replaced@"
STALE_PARTIAL_SECONDS = 3600.0
DEFAULT_JOBS = 4
WRITTEN = "written"
SKIPPED = "skipped"


@records.frozen
class Failure:
    """A package or version that was not copied. `version` is None when the whole package failed."""

    package: str
    version: str | None
    code: str
    message: str

    def line(self) -> str:
        what = self.package if self.version is None else f"{self.package} {self.version}"
        return f"{what}: {self.code}: {self.message}"


@records.frozen
class SyncReport:
    """What one sync did. `written` and `skipped` are (package, version) pairs, sorted."""

    target: str
    packages: int
    written: tuple[tuple[str, str], ...]
    skipped: tuple[tuple[str, str], ...]
    failures: tuple[Failure, ...]
    notes: tuple[str, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        return (f"{self.packages} packages, {len(self.written)} versions written, {len(self.skipped)} skipped, "
                f"{len(self.failures)} failed, in {self.seconds:.1f} s")


class TargetError(Exception):
    """The target folder cannot be written (permissions, disk full): an environment error."""


class _VersionFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- progress --------------------------------------------------------------------------------------


class Progress:
    """Progress of a sync: told the number of versions, then each version done. This one is silent."""

    def start(self, total: int) -> None:
        """`total` versions are about to be copied."""

    def advance(self, label: str) -> None:
        """One more version is done (written, skipped or failed); `label` names it."""

    def close(self) -> None:
        """The sync is over: leave the terminal as it was."""


class TerminalProgress(Progress):
    """One self-overwriting line on a terminal: `[#####.....] 12/300 package version`.

    Written by hand rather than taken from a library: one line, no rate or time estimate needed,
    and no dependency for every user of a CLI whose main job is elsewhere. Redraws at most every
    `interval` seconds so that thousands of skipped versions do not flood a slow terminal.
    """

    def __init__(self, stream: TextIO, width: int | None = None, interval: float = 0.1) -> None:
        self.stream = stream
        self.width = width or shutil.get_terminal_size((80, 24)).columns
        self.interval = interval
        self.total = 0
        self.done = 0
        self._drawn_at = 0.0
        self._shown = False

    def start(self, total: int) -> None:
        self.total = total
        self._draw("", force=True)

    def advance(self, label: str) -> None:
        self.done += 1
        self._draw(label, force=self.done == self.total)

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * (self.width - 1) + "\r")
            self.stream.flush()

    def _draw(self, label: str, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._drawn_at < self.interval:
            return
        self._drawn_at = now
        cells = 20
        filled = cells * self.done // self.total if self.total else cells
        line = f"[{'#' * filled}{'.' * (cells - filled)}] {self.done}/{self.total} {label}"
        line = line[:self.width - 1].ljust(self.width - 1)
        self.stream.write("\r" + line)
        self.stream.flush()
        self._shown = True


def progress_for(stream: TextIO) -> Progress:
    """A progress line on a terminal, nothing in a pipe, a file or CI logs."""
    isatty = getattr(stream, "isatty", None)
    try:
        tty = bool(isatty and isatty())
    except (OSError, ValueError):
        tty = False
    return TerminalProgress(stream) if tty else Progress()


# -- the sync --------------------------------------------------------------------------------------


def sync(source: Registry, target: str, *, packages: Sequence[str] = (), jobs: int = DEFAULT_JOBS,
         progress: Progress | None = None, clock: Callable[[], float] = time.monotonic) -> SyncReport:
    """Copy every version `source` holds (or of `packages` only) into the directory registry `target`.

    Raises RegistryError or NetError when the source cannot list its packages, TargetError when
    `target` cannot be written; everything else that goes wrong is a `Failure` of one package or
    version in the report (see the module doc for the contract).
    """
    started = clock()
    progress = progress or Progress()
    target = os.path.abspath(target)
    names = list(dict.fromkeys(packages)) if packages else list(source.packages())
    failures: list[Failure] = []
    notes: list[str] = []
    tasks: list[PluginRecord] = []
    for name in names:
        tasks.extend(_listed(source, name, bool(packages), failures, notes))
    outcomes: dict[tuple[str, str], str] = {}
    progress.start(len(tasks))
    try:
        for record, outcome in _run(source, target, tasks, max(1, jobs)):
            key = (record.package_name, record.version)
            if isinstance(outcome, _VersionFailed):
                failures.append(Failure(*key, outcome.code, outcome.message))
            else:
                outcomes[key] = outcome
            progress.advance(f"{record.package_name} {record.version}")
    finally:
        progress.close()
    return SyncReport(
        target=target, packages=len(names),
        written=tuple(sorted(k for k, v in outcomes.items() if v == WRITTEN)),
        skipped=tuple(sorted(k for k, v in outcomes.items() if v == SKIPPED)),
        failures=tuple(sorted(failures, key=lambda f: (f.package, f.version or "", f.code, f.message))),
        notes=tuple(notes), seconds=clock() - started)


def _listed(source: Registry, name: str, asked: bool, failures: list[Failure], notes: list[str]):
    """The versions of `name` to copy, first listed first; faults go to `failures` and `notes`."""
    if not safe_name(name):
        failures.append(Failure(name, None, "registry-bad-response",
                                "the source gives a package name that cannot be a folder name"))
        return []
    try:
        records = list(source.versions(name))
    except (RegistryError, NetError) as exc:
        failures.append(Failure(name, None, exc.code, exc.message))
        return []
    if not records and asked:
        failures.append(Failure(name, None, "plugin-not-found", f"{source.name} holds no version of {name}"))
    kept: dict[str, PluginRecord] = {}
    for record in records:
        if record.package_name != name:
            failures.append(Failure(name, record.version, "registry-bad-response",
                                    f"listed under {name} but named {record.package_name!r}"))
        elif record.version in kept:
            notes.append(f"{name} {record.version} is listed again"
                         f"{f' (distribution {record.distribution})' if record.distribution else ''}; "
                         "a folder holds one copy of a version: the first listed is kept")
        else:
            kept[record.version] = record
    return list(kept.values())


def _run(source: Registry, target: str, tasks: list[PluginRecord], jobs: int):
    """(record, outcome) for every task as it completes; an outcome is WRITTEN, SKIPPED or _VersionFailed."""
    for package in sorted({record.package_name for record in tasks}):
        _remove_stale_partials(os.path.join(target, package))
    if jobs == 1 or len(tasks) < 2:
        for record in tasks:
            yield record, _outcome(source, target, record)
        return
    # The network sources spend their time waiting for answers; a few at once make a remote sync
    # several times faster. Each version is written to its own folder, so workers never share a file.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="sync")
    try:
        futures = {pool.submit(_outcome, source, target, record): record for record in tasks}
        for future in concurrent.futures.as_completed(futures):
            yield futures[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _outcome(source: Registry, target: str, record: PluginRecord):
    try:
        return sync_version(source, record, target)
    except _VersionFailed as exc:
        return exc


def sync_version(source: Registry, record: PluginRecord, target: str) -> str:
    """Copy one version into `target`; return WRITTEN or SKIPPED (already held, identical).

    Raises _VersionFailed for a fault of the source or its data, TargetError when writing fails.
    """
    package, version = record.package_name, record.version
    if not safe_name(version):
        raise _VersionFailed("registry-bad-response", "the source gives a version that cannot be a folder name")
    files = record.yaml_files
    for name in files:
        if not safe_name(name) or not name.endswith(".yaml") or name == WAGON_METADATA:
            raise _VersionFailed("registry-bad-response",
                                 f"the source gives a YAML file named {name!r}: not a plain *.yaml file name")
    if len(set(files)) != len(files):
        raise _VersionFailed("registry-bad-response", "the source lists a YAML file twice")
    final = os.path.join(target, package, version)
    meta = wagon_metadata(record)
    expected = dict(record.checksums)
    if files and all(name in expected for name in files) and _holds(final, {n: expected[n] for n in files}, meta):
        return SKIPPED
    contents = _contents(source, record)
    for name, data in contents.items():
        digest = sha256(data)
        if name in expected and expected[name].lower() != digest:
            raise _VersionFailed("registry-bad-response",
                                 f"{name}: sha256 {digest} differs from the source's checksum {expected[name]}")
    digests = {name: sha256(data) for name, data in contents.items()}
    if _holds(final, digests, meta):
        return SKIPPED
    try:
        return _install(final, contents, meta, digests)
    except OSError as exc:
        raise TargetError(f"cannot write {final}: {exc}") from None


def _contents(source: Registry, record: PluginRecord) -> dict[str, bytes]:
    """{file name: bytes} of the version's YAML files, as the source gives them.

    A source that serves YAML only by DSL version (a manager: `read_for_dsl`) cannot single out
    every stored file; the files copied are the ones it gives for some DSL version, which answer
    every DSL version on the copy as the source does (choice.choose_yaml over the files given
    picks what it picks over all of them).
    """
    out: dict[str, bytes] = {}
    by_dsl = getattr(source, "read_for_dsl", None)
    if by_dsl is None:
        for name in record.yaml_files:
            with _failing_version(name):
                out[name] = source.read(record, name).encode("utf-8")
        return out
    if not record.yaml_files:
        raise _VersionFailed("registry-bad-response", "the source does not list this version's YAML files "
                                                      "(an older manager), so they cannot be copied by name")
    from .registry.choice import choose_yaml
    from .versions import SUPPORTED, short

    for dsl in (None, *(short(version) for version in SUPPORTED)):
        name = choose_yaml(record.yaml_files, dsl)
        if name is None or name in out:
            continue
        with _failing_version(name):
            given = by_dsl(record, dsl)
        if given is not None:
            out[given[0]] = given[1].encode("utf-8")
    return out


@contextlib.contextmanager
def _failing_version(name: str):
    """A source's refusal to give file `name` becomes this version's failure, with its code."""
    try:
        yield
    except (RegistryError, NetError) as exc:
        raise _VersionFailed(exc.code, exc.message) from None
    except (OSError, UnicodeError) as exc:
        raise _VersionFailed("file-unreadable", f"{name}: {exc}") from None


def wagon_metadata(record: PluginRecord) -> bytes | None:
    """The `package.json` to keep beside the YAML files, or None when the source gives no wagon data.

    Holds what a directory registry reads back into the record (see directory.py), in the
    wagon's own key names; keys sorted, so the same record always gives the same bytes.
    """
    meta: dict = {}
    if record.archive_name:
        meta["archive_name"] = record.archive_name
    if record.supported_platform:
        meta["supported_platform"] = record.supported_platform
    props = {key: value for key, value in (("distribution", record.distribution),
                                           ("distribution_release", record.distribution_release)) if value}
    if props:
        meta["build_server_os_properties"] = props
    if not meta:
        return None
    meta.update(package_name=record.package_name, package_version=record.version)
    return (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _file_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return sha256(handle.read())
    except OSError:
        return None


def _holds(final: str, digests: dict[str, str], meta: bytes | None) -> bool:
    """Whether `final` holds exactly these YAML files (by sha256) and this package.json."""
    try:
        held = sorted(name for name in os.listdir(final) if name.endswith(".yaml"))
    except OSError:
        return False
    if held != sorted(digests):
        return False
    if any(_file_digest(os.path.join(final, name)) != digest.lower() for name, digest in digests.items()):
        return False
    meta_path = os.path.join(final, WAGON_METADATA)
    if meta is None:
        return not os.path.exists(meta_path)
    try:
        with open(meta_path, "rb") as handle:
            return handle.read() == meta
    except OSError:
        return False


def _install(final: str, contents: dict[str, bytes], meta: bytes | None, digests: dict[str, str]) -> str:
    """Write the version beside `final` and rename it into place; no reader ever sees half of it."""
    parent, version = os.path.split(final)
    os.makedirs(parent, exist_ok=True)
    temp = tempfile.mkdtemp(prefix=f"{PARTIAL_MARK}{version}@", dir=parent)
    try:
        for name, data in sorted(contents.items()):
            with open(os.path.join(temp, name), "xb") as handle:
                handle.write(data)
        if meta is not None:
            with open(os.path.join(temp, WAGON_METADATA), "xb") as handle:
                handle.write(meta)
        if os.path.isdir(final):
            # A folder cannot be renamed over a non-empty one: move the old copy aside first. For
            # that instant the version is absent, never half there.
            old = tempfile.mkdtemp(prefix=f"{REPLACED_MARK}{version}@", dir=parent)
            os.replace(final, os.path.join(old, version))
            os.rename(temp, final)
            shutil.rmtree(old, ignore_errors=True)
            return WRITTEN
        try:
            os.rename(temp, final)
        except OSError:
            # Another sync put the same version in place meanwhile: identical is as good as ours.
            if _holds(final, digests, meta):
                shutil.rmtree(temp, ignore_errors=True)
                return SKIPPED
            raise
        return WRITTEN
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _remove_stale_partials(folder: str) -> None:
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    now = time.time()
    for name in entries:
        if not name.startswith((PARTIAL_MARK, REPLACED_MARK)):
            continue
        path = os.path.join(folder, name)
        try:
            if now - os.path.getmtime(path) > STALE_PARTIAL_SECONDS:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


# -- listing ---------------------------------------------------------------------------------------


def _version_key(record: PluginRecord) -> tuple:
    parsed = record.parsed_version
    return (0, parsed, record.version) if parsed is not None else (1, record.version)


def holdings(source: Registry) -> dict:
    """What `source` holds, for `registry list`: plugin packages and the Cloudify types versions,
    each version list sorted by version (unparsable versions last, by text).

    Raises RegistryError or NetError when the source cannot be listed.
    """
    packages = []
    types: list[dict] = []
    for name in source.packages():
        records = sorted(source.versions(name), key=_version_key)
        entries = [{"version": r.version, "yaml_files": list(r.yaml_files), "distribution": r.distribution}
                   for r in records]
        if name == TYPES_PACKAGE:
            types = entries
        elif entries:
            packages.append({"name": name, "versions": entries})
    return {"source": source.name, "packages": packages, "types": types}


def render_holdings(held: dict) -> str:
    """The text of `registry list`: one line per package with its versions, the types last."""
    rows = [(entry["name"], [v["version"] for v in entry["versions"]]) for entry in held["packages"]]
    if held["types"]:
        rows.append((f"{TYPES_PACKAGE} (Cloudify types)", [v["version"] for v in held["types"]]))
    width = max((len(name) for name, _ in rows), default=0)
    lines = [f"{name.ljust(width)}  {', '.join(versions)}" for name, versions in rows]
    count = sum(len(entry["versions"]) for entry in held["packages"])
    lines.append(f"{len(held['packages'])} packages, {count} versions, {len(held['types'])} types versions "
                 f"in {held['source']}")
    return "\n".join(lines) + "\n"


# -- the command line ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    from .cli import add_source_options

    parser = argparse.ArgumentParser(prog="resolver registry",
                                     description="Copy a plugin source into a directory registry, or list one.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{sync,list}")
    sync_parser = commands.add_parser(
        "sync", help="copy a source into a directory registry (default: the cache's)",
        description="Copy every plugin version SOURCE holds into a directory registry "
                    "<package>/<version>/*.yaml: atomic per version, resumable, checksums verified.")
    sync_parser.add_argument("source", metavar="SOURCE",
                             help="anything -r accepts: a folder, wagons, a catalog file or URL, "
                                  "'marketplace', a manager URL")
    sync_parser.add_argument("--to", metavar="DIR", help="the target folder (default: the cache's registry folder)")
    sync_parser.add_argument("--package", action="append", default=[], metavar="NAME",
                             help="copy only this package (repeatable)")
    sync_parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, metavar="N",
                             help=f"versions fetched at once (default {DEFAULT_JOBS})")
    add_source_options(sync_parser)
    list_parser = commands.add_parser(
        "list", help="what a directory registry (default: the cache's) or a source holds",
        description="One line per package with its versions, and the Cloudify types versions held.")
    list_parser.add_argument("--to", metavar="DIR", help="the directory registry to list "
                                                          "(default: the cache's registry folder)")
    list_parser.add_argument("-f", "--format", choices=("text", "json"), default="text")
    add_source_options(list_parser)
    return parser


def _context(args, prog: str):
    """(cache, SourceContext) for the parsed options, with the project config applied."""
    from .cache import Cache, default_root
    from .config import apply_config
    from .net import Http, NetOptions
    from .registry.sources import DEFAULT_MARKETPLACE_URL, ManagerAuth, SourceContext

    apply_config(args)
    cache = None if args.no_cache else Cache(args.cache or default_root())
    http = Http(cache, NetOptions(online=bool(args.online), refresh=bool(args.refresh),
                                  allow_hosts=tuple(args.allow_host or ()),
                                  allow_private=bool(args.allow_private_addresses)))
    context = SourceContext(http=http, cache=cache, marketplace_url=args.marketplace_url or DEFAULT_MARKETPLACE_URL,
                            manager_auth=ManagerAuth.from_env(username=args.manager_user,
                                                              tenant=args.manager_tenant))
    return cache, context


def _error(prog: str, exc) -> None:
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc)
    print(f"{prog}: error: {f'{code}: ' if code else ''}{message}", file=sys.stderr)
    hint = getattr(exc, "hint", None)
    if hint:
        print(f"  hint: {hint}", file=sys.stderr)


def main(argv: Sequence[str] | None = None, *, stderr: TextIO | None = None) -> int:
    """`resolver registry sync|list ...`; returns the exit status (see the module doc)."""
    from .config import ConfigError
    from .registry.sources import open_source

    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # usage errors (2), --help (0)
        return exc.code if isinstance(exc.code, int) else 2
    prog = f"resolver registry {args.command}"
    named = list(args.registry or ())  # before the config fills -r: list only what the user names here
    try:
        cache, context = _context(args, prog)
    except ConfigError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "sync":
        if named:
            print(f"{prog}: error: name the source as SOURCE, not with -r", file=sys.stderr)
            return 2
        if args.jobs < 1:
            print(f"{prog}: error: --jobs must be at least 1", file=sys.stderr)
            return 2
        target = args.to or (cache.registry_root if cache is not None else None)
        if target is None:
            print(f"{prog}: error: --no-cache needs --to DIR", file=sys.stderr)
            return 2
        try:
            source = open_source(args.source, context)
        except RegistryError as exc:
            _error(prog, exc)
            return 2
        return _sync_command(prog, source, target, args, stderr or sys.stderr)
    if args.to and named:
        print(f"{prog}: error: give --to DIR or -r SOURCE, not both", file=sys.stderr)
        return 2
    if len(named) > 1:
        print(f"{prog}: error: list one source at a time", file=sys.stderr)
        return 2
    try:
        if named:
            source = open_source(named[0], context)
        else:
            from .registry.directory import DirectoryRegistry

            target = args.to or (cache.registry_root if cache is not None else None)
            if target is None:
                print(f"{prog}: error: --no-cache needs --to DIR or -r SOURCE", file=sys.stderr)
                return 2
            source = DirectoryRegistry(target)
        held = holdings(source)
    except (RegistryError, NetError) as exc:
        _error(prog, exc)
        return 2
    if args.format == "json":
        sys.stdout.write(json.dumps(held, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(render_holdings(held))
    return 0


def _sync_command(prog: str, source: Registry, target: str, args, stderr: TextIO) -> int:
    try:
        report = sync(source, target, packages=args.package, jobs=args.jobs, progress=progress_for(stderr))
    except (RegistryError, NetError) as exc:
        _error(prog, exc)
        return 2
    except TargetError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; the versions written are whole, run it again to finish", file=sys.stderr)
        return 130
    for note in report.notes:
        print(f"{prog}: note: {note}", file=sys.stderr)
    for failure in report.failures:
        print(f"{prog}: failed: {failure.line()}", file=sys.stderr)
    print(f"{report.summary()} -> {report.target}")
    return 0 if report.ok else 1
