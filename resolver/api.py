"""The library API: `resolve()` for one blueprint, `Resolver` for a batch sharing caches."""
from __future__ import annotations

import os
from typing import Iterable, Sequence

from . import records
from .imports import ParseCache
from .limits import DEFAULT_LIMITS, Limits
from .load import paused_gc
from .problems import Problem, Problems, ResolverError, sort_key
from .recent import DEFAULT_KEPT_CHARS
from .registry import Registry
from .sources import FileLoader, FolderFacts, Roots, load_blueprint_catalog, load_import_rules, project_root


@records.frozen
class Options:
    """Behaviour switches, in one place.

    strict: warnings count as errors (the result is not ok when any problem is reported).
    online: imports, catalogs, marketplace and manager answers may be downloaded (into the cache).
    refresh: online, fetch listings and files again even when the cache holds them.
    manager_version: which Cloudify version's types `cloudify/types/types.yaml` means (default:
        the newest one held).
    marketplace_url: the marketplace API's base URL.
    explain: keep, for every `plugin:` import, each candidate version and why it lost.
    all_problems: list every problem an unanswered import causes, instead of folding them into it.
    locked: resolve exactly from a lock file (see registry/lock.py): "auto" means
        `<blueprint>.lock` beside each blueprint, any other text the path of the lock file (for a
        session resolving one blueprint, or per call with `Resolver.resolve(..., lock=PATH)`); a
        source that no longer gives the same bytes is an error naming the file.

    Hostile input (SECURITY.md):
    root: the project root for every blueprint of the session; None finds it per blueprint (the
        nearest folder upward holding `.git` or `.resolver.yaml`, else the blueprint's folder).
        Files are read only inside it and the other allowed roots (registries, the cache, search
        paths, import rules' and catalog targets).
    allow_outside: read any file a blueprint names, wherever it is (trusted input only).
    allow_hosts: online, fetch only from these hosts (`example.com`, or `*.example.com` for its
        subdomains); empty means any host.
    allow_private_addresses: online, also fetch from hosts whose addresses are loopback,
        private, link-local or otherwise not public (a mirror on the local network, a test server).
    limits: bounds on the work one blueprint may cause (limits.Limits).

    Memory:
    parse_cache_chars: how much parsed YAML a session keeps for the blueprints after the first,
        counted in characters of text (the most recently used files are kept; 8 Mi by default, just
        over what the whole corpus reads; 0 keeps nothing), and as much of the texts read. Files
        shared by many blueprints stay parsed: past the bound, blueprints read once go first,
        and they hold a sixteenth of it at most (a batch's heap does not grow with its length).
    """

    strict: bool = False
    online: bool = False
    refresh: bool = False
    manager_version: str | None = None
    marketplace_url: str = "https://marketplace.cloudify.co"
    explain: bool = False
    all_problems: bool = False
    locked: str | None = None
    root: str | None = None
    allow_outside: bool = False
    allow_hosts: tuple[str, ...] = records.field(default=(), converter=tuple)
    allow_private_addresses: bool = False
    limits: Limits = DEFAULT_LIMITS
    parse_cache_chars: int = DEFAULT_KEPT_CHARS


@records.frozen
class Result:
    """One blueprint resolved: the plan (None when it has an error), every problem, sorted.

    `imports` is what the import walk read and answered (`imports.Imports`: every import entry,
    the sha256 of every file read); `registry.lock.lock_of(result)` makes a lock file of it.
    """

    blueprint: str
    plan: dict | None
    problems: tuple[Problem, ...]
    graph: object = records.field(default=None, compare=False, repr=False)
    strict: bool = False
    imports: object = records.field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        if self.strict:
            return not self.problems
        return not any(p.is_error for p in self.problems)

    def raise_for_problems(self) -> "Result":
        """Return self when ok; otherwise raise ResolverError carrying every problem."""
        if not self.ok:
            raise ResolverError(self.problems)
        return self

    def lifecycle(self, workflow: str, inputs: dict | None = None):
        """The plan of the `install` or `uninstall` workflow (lifecycle.Lifecycle: tasks, order,
        steps, `.graph` a networkx DiGraph), with deployment `inputs` over the defaults; None when
        there is no plan. Raises ValueError for another workflow name."""
        from .lifecycle import lifecycle_of

        return lifecycle_of(self, workflow, inputs)


def _registries(items: Iterable, context) -> list[Registry]:
    """Registry objects as given; strings and paths are opened as `-r` would open them."""
    from .registry.sources import open_source

    out = []
    for item in items:
        out.append(open_source(os.fspath(item), context) if isinstance(item, (str, os.PathLike)) else item)
    return out


class Resolver:
    """A session: registries, rules and catalog loaded once; parsed files shared by every call."""

    def __init__(self, *, registries: Iterable | None = (), import_rules=None, blueprint_catalog=None,
                 search_paths: Iterable = (), cache_dir=None, options: Options | None = None,
                 loader=None, manager_auth=None) -> None:
        """`registries`: Registry objects, or strings and paths opened as the CLI's `-r` opens them
        (a folder, wagons, a catalog file or URL, `marketplace`, a manager URL); None means the
        default registries (the cache's folder, then the marketplace). `cache_dir`: the cache
        folder (see cache.py); without it nothing is cached and only the sources given answer.
        Raises RegistryError when a registry string names no source.
        """
        from .cache import Cache
        from .net import Http, NetOptions
        from .registry.sources import ManagerAuth, SourceContext, default_sources

        self.options = options or Options()
        self.cache = Cache(cache_dir) if cache_dir is not None else None
        self.http = Http(self.cache, NetOptions(online=self.options.online, refresh=self.options.refresh,
                                                allow_hosts=self.options.allow_hosts,
                                                allow_private=self.options.allow_private_addresses))
        self.context = SourceContext(http=self.http, cache=self.cache, marketplace_url=self.options.marketplace_url,
                                     manager_auth=manager_auth or ManagerAuth.from_env(),
                                     kept_chars=self.options.parse_cache_chars)
        self.registries: Sequence[Registry] = (default_sources(self.context) if registries is None
                                               else _registries(registries, self.context))
        if self.cache is not None:
            from .keep import keeping

            # what a network source answers is kept in the cache's folder, for offline runs (keep.py)
            self.registries = keeping(self.registries, self.cache.registry_root)
        if loader is None:
            rules = load_import_rules(import_rules) if isinstance(import_rules, (str, os.PathLike)) \
                else list(import_rules or ())
            catalog = load_blueprint_catalog(blueprint_catalog) if blueprint_catalog is not None else {}
            from .types import CloudifyTypes

            loader = FileLoader(rules=rules, search_paths=[os.fspath(p) for p in search_paths], catalog=catalog,
                                http=self.http, types=CloudifyTypes(self.registries, self.cache, self.http,
                                                                    self.options.manager_version),
                                limits=self.options.limits, kept_chars=self.options.parse_cache_chars)
        self.loader = loader
        # Allowed roots every blueprint of the session shares: the local registries, the cache,
        # the blueprint catalog (the loader adds its own search paths, rules' and catalog targets).
        self.roots = [os.path.dirname(name) if os.path.isfile(name) else name
                      for name in (getattr(r, "name", "") for r in self.registries) if os.path.isabs(name)]
        if self.cache is not None:
            self.roots.append(self.cache.root)
        if blueprint_catalog is not None:
            where = os.path.abspath(os.fspath(blueprint_catalog))
            self.roots.append(where if os.path.isdir(where) else os.path.dirname(where))
        self.parsed = ParseCache(self.options.limits, self.options.parse_cache_chars)
        # the folders blueprints are confined to, with their links followed once a session (roots_of)
        self.folder_facts = FolderFacts()
        # registry name -> the source-wide fault it raised: a failed source is asked once a session
        self.registry_failures: dict = {}

    def resolve(self, path, *, search_paths: Iterable = (), lock=None) -> Result:
        """Resolve one blueprint. Never raises for bad input: faults are in `Result.problems`.

        `lock`: the path of a lock file to resolve exactly from, for this call; without it,
        `Options.locked` says ("auto": `<blueprint>.lock`). A lock that cannot be read is a
        `lock-unreadable` problem and nothing is resolved.
        """
        from .fold import fold
        from .pipeline import run

        path = os.fspath(path)
        loader = self.loader
        extra = [os.fspath(p) for p in search_paths]
        if extra and hasattr(loader, "with_search_paths"):
            loader = loader.with_search_paths(extra)
        if not self.options.allow_outside and hasattr(loader, "confined"):
            loader = loader.confined(self.roots_of(path, loader))
        problems = Problems()
        plan = graph = imports = None
        locked, fault = self._lock(path, lock)
        if fault is not None:
            problems.add("lock-unreadable", fault.message, fault.mark, hint=fault.hint)
        else:
            if locked is not None and locked.types_version and hasattr(loader, "with_types_version"):
                loader = loader.with_types_version(locked.types_version)
            try:
                with paused_gc():
                    plan, graph, imports = run(path, loader, self.registries, self.parsed, problems,
                                               failures=self.registry_failures, lock=locked)
            except Exception as exc:  # a bug of ours must not become the caller's traceback
                import traceback

                where = traceback.extract_tb(exc.__traceback__)[-1]
                problems.add("internal-error",
                             f"{type(exc).__name__}: {exc} (at {os.path.basename(where.filename)}:{where.lineno})",
                             hint="This is a bug in resolver; please report it with the blueprint.")
                plan, graph = None, None
        ordered = sorted(problems, key=sort_key)
        if not self.options.all_problems and imports is not None:
            ordered = fold(ordered, imports.failures)
        failed = problems.has_errors or (self.options.strict and problems.count() > 0)
        return Result(blueprint=path, plan=None if failed else plan, problems=tuple(ordered),
                      graph=None if failed else graph, strict=self.options.strict, imports=imports)

    def _lock(self, path: str, lock) -> tuple:
        """(the lock to resolve `path` from, None); (None, None) when no lock is asked for, and the
        lock module is not even imported; (None, the LockError) when the lock cannot be read."""
        wanted = os.fspath(lock) if lock is not None else self.options.locked
        if wanted is None:
            return None, None
        from .registry.lock import LockError, lock_path, read_lock

        try:
            return read_lock(lock_path(path, wanted), path), None
        except LockError as exc:
            return None, exc

    def roots_of(self, path, loader=None) -> Roots:
        """The allowed roots for the blueprint at `path` (see Options.root)."""
        loader = loader or self.loader
        project = self.options.root or project_root(os.fspath(path), self.folder_facts)
        folders = [*self.roots, *(loader.allowed_folders() if hasattr(loader, "allowed_folders") else ())]
        return Roots.of(os.fspath(project), folders, files=[os.fspath(path)], facts=self.folder_facts)


def resolve(path, *, registries: Iterable = (), import_rules=None, blueprint_catalog=None,
            search_paths: Iterable = (), options: Options | None = None) -> Result:
    """Resolve one blueprint with a fresh session. See `Resolver` for batches."""
    session = Resolver(registries=registries, import_rules=import_rules, blueprint_catalog=blueprint_catalog,
                       search_paths=search_paths, options=options)
    return session.resolve(path)
