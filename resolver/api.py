"""The library API: `resolve()` for one blueprint, `Resolver` for a batch sharing caches."""
from __future__ import annotations

import os
import traceback
from typing import Iterable, Sequence

import attrs

from .imports import ParseCache
from .load import paused_gc
from .problems import Problem, Problems, ResolverError, sort_key
from .registry import DirectoryRegistry, Registry
from .sources import FileLoader, load_blueprint_catalog, load_import_rules


@attrs.frozen
class Options:
    """Behaviour switches, in one place.

    strict: warnings count as errors (the result is not ok when any problem is reported).
    online: imports may be downloaded when no rule, cache or registry answers them.
    """

    strict: bool = False
    online: bool = False


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


def _registries(items: Iterable) -> list[Registry]:
    out = []
    for item in items:
        out.append(DirectoryRegistry(item) if isinstance(item, (str, os.PathLike)) else item)
    return out


class Resolver:
    """A session: registries, rules and catalog loaded once; parsed files shared by every call."""

    def __init__(self, *, registries: Iterable = (), import_rules=None, blueprint_catalog=None,
                 search_paths: Iterable = (), cache_dir=None, options: Options | None = None,
                 loader=None) -> None:
        self.options = options or Options()
        self.registries: Sequence[Registry] = _registries(registries)
        if loader is None:
            rules = load_import_rules(import_rules) if isinstance(import_rules, (str, os.PathLike)) \
                else list(import_rules or ())
            catalog = load_blueprint_catalog(blueprint_catalog) if blueprint_catalog is not None else {}
            loader = FileLoader(rules=rules, search_paths=[os.fspath(p) for p in search_paths], catalog=catalog,
                                cache_dir=os.fspath(cache_dir) if cache_dir else None, online=self.options.online)
        self.loader = loader
        self.cache = ParseCache()

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
                plan, graph = run(path, loader, self.registries, self.cache, problems)
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
