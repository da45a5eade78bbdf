"""The core: one blueprint through every stage, with no I/O of its own.

Stages, in order (each a module): load (YAML with positions) -> imports (walk, registry
look-ups, cycles; each `ns--` import's names prefixed as it is read: namespaces) -> merge (sections
combined, conflicts) -> hierarchy (derived_from, interface
inheritance) -> mapping and nodes (operations -> plugin function / script / no-op,
relationships, hosts, plugin lists, workflows) -> graph (cycles and install order by graphlib;
the networkx graph built when read) -> plan. Files come from the injected loader, plugins from the injected registries.
"""
from __future__ import annotations

import os
from typing import Sequence

from .imports import ImportWalker, ParseCache
from .merge import merge
from .problems import Mark, Problems
from .registry import Registry
from .shared import Shared
from .sources import FetchError, Loader


def run(path: str, loader: Loader, registries: Sequence[Registry], cache: ParseCache, problems: Problems,
        *, failures=None, lock=None):
    """Resolve one blueprint; returns (plan or None, graph or None, imports or None).

    Problems go to `problems`. `imports` (imports.Imports) is what the walk read and answered,
    for the lock and for folding follow-on problems; `failures` and `lock` go to the walker.
    """
    try:
        main = loader.fetch(os.path.abspath(path), None, None)
    except FetchError as exc:
        problems.add(exc.code or "file-unreadable", exc.reason, Mark(path, 1, 1) if os.path.exists(path) else None,
                     hint="Check the path of the blueprint.")
        return None, None, None
    walker = ImportWalker(loader, registries, cache, problems, failures=failures, lock=lock)
    imports = walker.walk(main)
    blueprint_file = main.identity
    del main  # the text is parsed: it would be held, unused, through the stages below
    if not imports.files or imports.dsl_version is None:
        return None, None, imports
    blueprint = merge(imports.files, imports.dsl_version, problems, imports.namespaces_mapping)

    from .checks import check_all
    from .graph import build_graph, find_cycle, install_order
    from .nodes import NodeBuilder
    from .plan import build_plan

    if hasattr(loader, "resource_prober"):
        script_exists = loader.resource_prober(blueprint_file)
    else:
        def script_exists(relative: str) -> bool:
            return loader.resource_exists(blueprint_file, relative)

    shared = Shared(cache.memo, blueprint, cache.holds)
    model = NodeBuilder(blueprint, problems, script_exists, shared).build()
    check_all(blueprint, model, problems, shared)
    graph = build_graph(model)
    # The lifecycle plan (lifecycle.py) needs the built model and the merged blueprint.
    graph.graph.update(model=model, blueprint=blueprint)
    order = [] if find_cycle(graph, model, problems) else install_order(graph)
    return build_plan(model, imports, order), graph, imports
