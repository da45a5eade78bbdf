"""Every plugin source gives every corpus blueprint the plan the directory registry gives.

The registry-level claims (each source's test file) compare the version and YAML file one
`plugin:` import gets. Here the whole pipeline runs: each accepted corpus blueprint that imports a
`plugin:` is resolved once with the corpus folder as its registry and once with the same plugins
held by another kind of source (a wagon folder, an all-versions catalog, the marketplace API, a
manager's REST API), and the plans must be equal but for the fields that say where a file was
read (an import's `resolved`, `via`, `registry` and the registry names in `candidates`).
This covers the walker's side too: the 1_3 back-compatible YAML a manager would derive, the DSL
version's file a manager serves by `?dsl_version=`.

`make test` takes every SOURCES_STRIDE-th blueprint (default 5, about 140 of them);
`make conformance` runs all of them (SOURCES_STRIDE=1).
"""
from __future__ import annotations

import json
import os

import pytest

from resolver import Options, Resolver
from resolver.net import Http, NetOptions
from resolver.registry import DirectoryRegistry
from resolver.registry.catalog import CatalogRegistry
from resolver.registry.manager import ManagerRegistry
from resolver.registry.marketplace import MarketplaceRegistry
from resolver.registry.sources import ManagerAuth
from resolver.registry.wagon import WagonRegistry

from .corpus import CORPUS, PLUGINS, all_versions_catalog, manifest, plugin_target, wagon_folder, written_imports
from .manager_server import TOKENS, FakeManager, corpus_plugins
from .marketplace_server import corpus_releases, marketplace

LOCATION_FIELDS = ("resolved", "via", "registry", "candidates")


def _rows() -> list[dict]:
    out = []
    for row in manifest():
        if not any(plugin_target(w) for w in written_imports(row)):
            continue
        with open(CORPUS / "oracle" / f"{row['id']}.json", encoding="utf-8") as handle:
            if json.load(handle)["status"] != "ok":
                continue
        out.append(row)
    return out


STRIDE = int(os.environ.get("SOURCES_STRIDE", "5"))
ROWS = _rows()[::STRIDE]


def _session(registry) -> Resolver:
    return Resolver(registries=[registry], import_rules=CORPUS / "import-rules.yaml",
                    blueprint_catalog=CORPUS / "blueprint-catalog.yaml", search_paths=[CORPUS / "types"],
                    options=Options(root=str(CORPUS)))  # the corpus is the project root, as in tests/conformance.py


def _plans(session: Resolver) -> dict[str, dict | None]:
    out = {}
    for row in ROWS:
        search = [CORPUS / row["cwd"]] if row.get("cwd") else ()
        result = session.resolve(CORPUS / row["path"], search_paths=search)
        plan = result.plan
        if plan is not None:
            plan = dict(plan, imports=[{k: v for k, v in entry.items() if k not in LOCATION_FIELDS}
                                       for entry in plan["imports"]])
        out[row["id"]] = plan
    return out


@pytest.fixture(scope="module")
def expected():
    plans = _plans(_session(DirectoryRegistry(PLUGINS)))
    assert len(plans) >= 600 // STRIDE and all(plan is not None for plan in plans.values())
    assert {row["dsl_version"] for row in ROWS} == {"cloudify_dsl_1_3", "cloudify_dsl_1_4", "cloudify_dsl_1_5"}
    return plans


def _http() -> Http:
    return Http(None, NetOptions(online=True, retries=0, allow_private=True))  # the stand-ins are on loopback


def _wagons(tmp_path):
    yield WagonRegistry(wagon_folder(tmp_path / "wagons"))


def _catalog(tmp_path):
    releases = corpus_releases(PLUGINS)
    with marketplace(releases) as market:
        path = tmp_path / "plugins_allversions.json"
        path.write_text(json.dumps(all_versions_catalog(market, releases)), encoding="utf-8")
        yield CatalogRegistry(str(path), _http())


def _marketplace(tmp_path):
    with marketplace(corpus_releases(PLUGINS)) as market:
        yield MarketplaceRegistry(market.url, _http())


def _manager(tmp_path):
    with FakeManager(corpus_plugins(PLUGINS)).serve() as server:
        yield ManagerRegistry(server.url, _http(), ManagerAuth(token=next(iter(TOKENS))))


SOURCES = {"wagon": _wagons, "catalog": _catalog, "marketplace": _marketplace, "manager": _manager}


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_every_corpus_blueprint_gets_the_directory_registrys_plan(kind, expected, tmp_path):
    source = SOURCES[kind](tmp_path)
    registry = next(source)
    try:
        got = _plans(_session(registry))
    finally:
        source.close()
    differing = sorted(bid for bid in expected if got[bid] != expected[bid])
    assert differing == [], f"{len(differing)} of {len(expected)} differ, e.g. {differing[:5]}"
