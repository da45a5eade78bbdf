"""The library API: `resolve()` for one blueprint, `Resolver` for a batch sharing caches."""
from __future__ import annotations

import os
import traceback
from typing import Iterable, Sequence

import attrs

from .imports import ParseCache
from .load import paused_gc
from .problems import Problem, Problems, ResolverError, sort_key
from .registry import Registry
from .sources import FileLoader, load_blueprint_catalog, load_import_rules


@attrs.frozen
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
    locked: resolve exactly from this lock file (see registry/lock.py); a source that no longer
        gives the same bytes is an error naming the file.
    """

    strict: bool = False
    online: bool = False
    refresh: bool = False
    manager_version: str | None = None
    marketplace_url: str = "https://marketplace.cloudify.co"
    explain: bool = False
    all_problems: bool = False
    locked: str | None = None


@attrs.frozen
class Result:
    blueprint: str
    plan: dict | None
    problems: tuple[Problem, ...]
    graph: object = attrs.field(default=None, eq=False, repr=False)
    strict: bool = False

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
        self.http = Http(self.cache, NetOptions(online=self.options.online, refresh=self.options.refresh))
        self.context = SourceContext(http=self.http, cache=self.cache, marketplace_url=self.options.marketplace_url,
                                     manager_auth=manager_auth or ManagerAuth.from_env())
        self.registries: Sequence[Registry] = (default_sources(self.context) if registries is None
                                               else _registries(registries, self.context))
        if loader is None:
            rules = load_import_rules(import_rules) if isinstance(import_rules, (str, os.PathLike)) \
                else list(import_rules or ())
            catalog = load_blueprint_catalog(blueprint_catalog) if blueprint_catalog is not None else {}
            loader = FileLoader(rules=rules, search_paths=[os.fspath(p) for p in search_paths], catalog=catalog,
                                http=self.http)
        self.loader = loader
        self.parsed = ParseCache()

    def resolve(self, path, *, search_paths: Iterable = ()) -> Result:
        """Resolve one blueprint. Never raises for bad input: faults are in `Result.problems`."""
        from .pipeline import run

        path = os.fspath(path)
        loader = self.loader
        extra = [os.fspath(p) for p in search_paths]
        if extra and hasattr(loader, "with_search_paths"):
            loader = loader.with_search_paths(extra)
        problems = Problems()
        try:
            with paused_gc():
                plan, graph = run(path, loader, self.registries, self.parsed, problems)
        except Exception as exc:  # a bug of ours must not become the caller's traceback
            where = traceback.extract_tb(exc.__traceback__)[-1]
            problems.add("internal-error",
                         f"{type(exc).__name__}: {exc} (at {os.path.basename(where.filename)}:{where.lineno})",
                         hint="This is a bug in resolver; please report it with the blueprint.")
            plan, graph = None, None
        ordered = tuple(sorted(problems, key=sort_key))
        failed = problems.has_errors or (self.options.strict and problems.count() > 0)
        return Result(blueprint=path, plan=None if failed else plan, problems=ordered,
                      graph=None if failed else graph, strict=self.options.strict)


def resolve(path, *, registries: Iterable = (), import_rules=None, blueprint_catalog=None,
            search_paths: Iterable = (), options: Options | None = None) -> Result:
    """Resolve one blueprint with a fresh session. See `Resolver` for batches."""
    session = Resolver(registries=registries, import_rules=import_rules, blueprint_catalog=blueprint_catalog,
                       search_paths=search_paths, options=options)
    return session.resolve(path)
