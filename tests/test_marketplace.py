"""The marketplace API as a registry (REGISTRY.md §1.5, §4.2), against a stand-in on loopback.

Expected versions are worked out by hand from §1.5: among the versions inside the specifier with
a YAML URL, pass 1 keeps those with a wagon for the manager's distribution or manylinux, pass 2
(only when pass 1 keeps none) those with any wagon; the newest wins.
"""
from __future__ import annotations

import socket
import textwrap
import time

import pytest

from resolver import Options, Resolver
from resolver.cache import Cache
from resolver.net import Http, NetOptions
from resolver.registry import (DirectoryRegistry, PluginSpecError, RegistryError, choose_yaml, explain,
                               parse_plugin_import)
from resolver.registry.marketplace import MarketplaceRegistry
from resolver.registry.sources import SourceContext, open_source

from .conftest import BASIC_TYPES, plugin_yaml, write_tree
from . import test_version_choice as table
from .conformance import DEFAULT_CORPUS as CORPUS
from .corpus import corpus_plugin_imports
from .marketplace_server import CENTOS, MANYLINUX, Release, corpus_releases, marketplace
from .servers import json_reply, serve, text_reply

REDHAT = (("Redhat Maipo", "x86_64"),)
ONE = {"plugin.yaml": "plugins: {}\n"}


def http(tmp_path, online=True, **options) -> Http:
    options.setdefault("retries", 0)
    options.setdefault("timeout", 5.0)
    # the marketplace stand-in is on loopback, which only an explicit opt-in may reach
    return Http(Cache(tmp_path / "cache"), NetOptions(online=online, **{"allow_private": True, **options}))


def chosen(market, tmp_path, query, manager_distribution=None, package="demo-plugin"):
    registry = MarketplaceRegistry(market.url, http(tmp_path), manager_distribution)
    selection = registry.explain(parse_plugin_import(f"plugin:{package}{query}"))
    verdicts = {c.record.version: c.verdict for c in selection.candidates}
    return (selection.chosen.version if selection.chosen else None), verdicts


# --- which version: §1.5 ----------------------------------------------------------------------

CHOICE_CASES = [
    # (id, releases [(version, wagons, has yaml)], query, manager distribution, expected, verdicts)
    ("pass 1 keeps manylinux over a newer foreign wagon",
     [("1.0", MANYLINUX, True), ("2.0", CENTOS, True)], "", None,
     "1.0", {"2.0": "wagon-distribution"}),
    ("the manager's distribution counts in pass 1",
     [("1.0", MANYLINUX, True), ("2.0", CENTOS, True)], "", "centos core", "2.0", {"1.0": "older"}),
    ("the manager's distribution in any case",
     [("1.0", MANYLINUX, True), ("2.0", CENTOS, True)], "", "Centos Core", "2.0", {}),
    ("another distribution than the manager's is pass 2 only",
     [("1.0", MANYLINUX, True), ("2.0", REDHAT, True)], "", "centos core", "1.0", {"2.0": "wagon-distribution"}),
    ("pass 2 when no version has the manager's wagon",
     [("1.0", CENTOS, True), ("2.0", REDHAT, True)], "", None, "2.0", {"1.0": "older"}),
    ("any manylinux tag",
     [("1.0", (("manylinux_2_28", "aarch64"),), True), ("2.0", CENTOS, True)], "", None, "1.0", {}),
    ("a version with no YAML URL is never taken",
     [("1.0", MANYLINUX, True), ("2.0", MANYLINUX, False)], "", None, "1.0", {"2.0": "no-yaml"}),
    ("a version with no wagon is never taken, even in pass 2",
     [("1.0", CENTOS, True), ("2.0", (), True)], "", None, "1.0", {"2.0": "no-wagon"}),
    ("the specifier applies in pass 1",
     [("1.0", MANYLINUX, True), ("1.5", MANYLINUX, True), ("2.0", MANYLINUX, True)], "?version=<2", None,
     "1.5", {"2.0": "specifier", "1.0": "older"}),
    ("pass 1 looks only inside the specifier",
     [("1.0", CENTOS, True), ("2.0", MANYLINUX, True)], "?version=<2", None, "1.0", {"2.0": "specifier"}),
    ("a bare version is the stored string",
     [("1.3", MANYLINUX, True), ("1.3.0", MANYLINUX, True)], "?version=1.3.0", None, "1.3.0", {"1.3": "specifier"}),
    ("ties go to the earliest listed",
     [("1.3", MANYLINUX, True), ("1.3.0", MANYLINUX, True)], "", None, "1.3", {"1.3.0": "tie"}),
    ("pre-releases are excluded",
     [("1.0", MANYLINUX, True), ("2.0.0rc1", MANYLINUX, True)], "", None, "1.0", {"2.0.0rc1": "prerelease"}),
    ("a pre-release named is taken",
     [("1.0", MANYLINUX, True), ("2.0.0rc1", MANYLINUX, True)], "?version=2.0.0rc1", None, "2.0.0rc1", {}),
    ("a range naming a pre-release admits it",
     [("1.0", MANYLINUX, True), ("2.0.0rc1", MANYLINUX, True)], "?version=>=2.0.0rc1", None, "2.0.0rc1", {}),
    ("?distribution= keeps the wagons of that distribution",
     [("1.0", CENTOS, True), ("2.0", MANYLINUX, True)], "?distribution=centos", None,
     "1.0", {"2.0": "distribution"}),
    ("?distribution= among several wagons of one version",
     [("1.0", CENTOS + REDHAT, True), ("2.0", CENTOS, True)], "?distribution=redhat", None,
     "1.0", {"2.0": "distribution"}),
    ("?distribution= with the manager's wagon: pass 1",
     [("1.0", CENTOS + MANYLINUX, True), ("2.0", REDHAT + MANYLINUX, True)], "?distribution=centos",
     "centos core", "1.0", {"2.0": "distribution"}),
    ("nothing matches", [("1.0", MANYLINUX, True)], "?version=>=2", None, None, {"1.0": "specifier"}),
    ("nothing installable", [("1.0", (), True), ("2.0", MANYLINUX, False)], "", None, None,
     {"1.0": "no-wagon", "2.0": "no-yaml"}),
]


@pytest.fixture(scope="module")
def choice_market():
    """One server for the whole table: case n is the package `case-n`."""
    releases = {f"case-{n}": [Release(v, ONE if has_yaml else {}, wagons=w) for v, w, has_yaml in case[1]]
                for n, case in enumerate(CHOICE_CASES)}
    with marketplace(releases) as market:
        yield market


@pytest.mark.parametrize("n", range(len(CHOICE_CASES)), ids=[case[0] for case in CHOICE_CASES])
def test_version_choice_is_the_auto_upload_rule(choice_market, tmp_path, n):
    _, _, query, distribution, expected, verdicts = CHOICE_CASES[n]
    got, seen = chosen(choice_market, tmp_path, query, distribution, package=f"case-{n}")
    assert got == expected
    if expected is not None:
        assert seen[expected] == "chosen"
    for version, verdict in verdicts.items():
        assert seen[version] == verdict


# The shared table of §1.3 cases (tests/test_version_choice.py), through the whole pipeline. Its
# wagons are Centos Core and Redhat Maipo builds and the manager's distribution is unknown, so no
# version passes §1.5's pass 1 and pass 2 takes every version: the §1.3 answers must hold.
TABLE_WAGONS = {"centos": ("Centos Core", "x86_64"), "redhat": ("Redhat Maipo", "x86_64")}


@pytest.fixture(scope="module")
def table_session(tmp_path_factory):
    root = tmp_path_factory.mktemp("marketplace-table")
    write_tree(root, {"types.yaml": BASIC_TYPES})
    releases = {table.PACKAGE: [Release(v, {"plugin.yaml": table.plugin_yaml(v)}, wagons=(TABLE_WAGONS[d],))
                                for v, d in table.STORED]}
    with marketplace(releases) as market:
        registry = MarketplaceRegistry(market.url, http(root))
        yield root, Resolver(registries=[registry], options=Options(online=True))


@pytest.mark.parametrize("query, expected", table.CASES, ids=[q or "(none)" for q, _ in table.CASES])
def test_the_version_choice_table(table_session, tmp_path, query, expected):
    root, resolver = table_session
    table.check_case(resolver, root / "types.yaml", query, expected, tmp_path)


def test_an_unknown_plugin_has_no_versions(tmp_path):
    with marketplace({"demo-plugin": [Release("1.0", ONE)]}) as market:
        registry = MarketplaceRegistry(market.url, http(tmp_path))
        assert registry.versions("other-plugin") == ()
        assert registry.explain(parse_plugin_import("plugin:other-plugin")).chosen is None


def test_the_plugin_is_the_item_of_that_exact_name(tmp_path):
    # a marketplace whose name search is loose answers other plugins too; their files never count
    loose = json_reply({"items": [{"id": "x1", "name": "demo-plugin-extra"}, {"id": "x2", "name": "demo-plugin"}]})
    routes = {"/plugins": loose,
              "/plugins/x1/versions": json_reply({"items": [{"version": "9.0", "yaml_urls": [], "wagon_urls": []}]}),
              "/plugins/x2/versions": json_reply({"items": [{"version": "1.0", "yaml_urls": [], "wagon_urls": []}]})}
    with serve(routes) as server:
        registry = MarketplaceRegistry(server.url, http(tmp_path))
        assert [r.version for r in registry.versions("demo-plugin")] == ["1.0"]
        assert server.requests[0].query == {"name": ["demo-plugin"]}


# --- which YAML: the DSL version picks among every yaml_urls file ---------------------------------

FOUR = {name: f"# {name}\nplugins: {{}}\n"
        for name in ("plugin.yaml", "v2_plugin.yaml", "plugin_1_4.yaml", "plugin_1_5.yaml")}


YAML_CASES = [
    (FOUR, None, "plugin_1_5.yaml"),
    (FOUR, "1_5", "plugin_1_5.yaml"),
    (FOUR, "1_4", "plugin_1_4.yaml"),
    (FOUR, "1_3", "plugin.yaml"),             # no 1_3 file: the first unversioned in name order
    ({"plugin.yaml": "a: 1\n", "v2_plugin.yaml": "b: 1\n"}, "1_4", "plugin.yaml"),
    ({"v2_plugin.yaml": "b: 1\n"}, "1_5", "v2_plugin.yaml"),
    ({"plugin_1_4.yaml": "a: 1\n", "plugin_1_5.yaml": "b: 1\n"}, "1_4", "plugin_1_4.yaml"),
    # only newer versioned files: a manager's lookup finds none for 1_3 (REGISTRY.md §1.4)
    ({"plugin_1_4.yaml": "a: 1\n", "plugin_1_5.yaml": "b: 1\n"}, "1_3", None),
]


@pytest.fixture(scope="module")
def yaml_market():
    with marketplace({f"yaml-{n}": [Release("1.0", case[0])] for n, case in enumerate(YAML_CASES)}) as market:
        yield market


@pytest.mark.parametrize("n", range(len(YAML_CASES)),
                         ids=[f"{'+'.join(sorted(c[0]))}@{c[1]}" for c in YAML_CASES])
def test_the_yaml_for_the_dsl_version_comes_from_the_yaml_urls(yaml_market, tmp_path, n):
    files, dsl, expected = YAML_CASES[n]
    registry = MarketplaceRegistry(yaml_market.url, http(tmp_path))
    record = registry.explain(parse_plugin_import(f"plugin:yaml-{n}")).chosen
    assert record.yaml_files == tuple(sorted(files))
    name = choose_yaml(record.yaml_files, dsl)
    assert name == expected
    if name is not None:
        assert registry.read(record, name) == files[name]
        assert registry.yaml_url(record, name) == yaml_market.yaml_url(f"yaml-{n}", "1.0", name)


def test_two_yaml_urls_with_one_file_name_are_both_kept(tmp_path):
    def served(text):
        return text_reply(text)

    routes = {"/a/plugin.yaml": served("first: 1\n"), "/b/plugin.yaml": served("second: 1\n")}
    with serve(routes) as files:
        urls = [{"dsl_version": "cloudify_dsl_1_3", "url": f"{files.url}/a/plugin.yaml"},
                {"dsl_version": "cloudify_dsl_1_4", "url": f"{files.url}/b/plugin.yaml"},
                {"dsl_version": "cloudify_dsl_1_5", "url": f"{files.url}/a/plugin.yaml"}]
        with marketplace({"demo-plugin": [Release("1.0", yaml_urls=urls)]}) as market:
            registry = MarketplaceRegistry(market.url, http(tmp_path))
            (record,) = registry.versions("demo-plugin")
            assert record.yaml_files == ("plugin-2.yaml", "plugin.yaml")
            assert registry.read(record, "plugin.yaml") == "first: 1\n"
            assert registry.read(record, "plugin-2.yaml") == "second: 1\n"
            with pytest.raises(OSError):
                registry.read(record, "plugin_1_5.yaml")


# --- paging and listing ---------------------------------------------------------------------------

def test_pages_are_followed_by_offset(tmp_path):
    versions = ["1.0", "1.1", "1.2", "2.0", "2.1"]
    releases = {f"plugin-{n}": [Release("1.0", ONE)] for n in "abc"}
    releases["demo-plugin"] = [Release(v, ONE) for v in versions]
    with marketplace(releases, page_size=2) as market:
        registry = MarketplaceRegistry(market.url, http(tmp_path))
        assert [r.version for r in registry.versions("demo-plugin")] == versions
        assert registry.packages() == ("demo-plugin", "plugin-a", "plugin-b", "plugin-c")
        offsets = sorted(r.query.get("_offset", ["0"])[0] for r in market.requests
                         if r.path.endswith("/versions"))
    assert offsets == ["0", "2", "4"]


# --- the cache ------------------------------------------------------------------------------------

def test_a_second_run_offline_gives_the_same_answer_from_the_cache(tmp_path):
    releases = {"demo-plugin": [Release("1.0", FOUR), Release("2.0", FOUR, wagons=CENTOS)]}
    request = parse_plugin_import("plugin:demo-plugin")
    with marketplace(releases) as market:
        online = MarketplaceRegistry(market.url, http(tmp_path))
        first = online.explain(request)
        text = online.read(first.chosen, "plugin_1_4.yaml")
        url = market.url
    offline = MarketplaceRegistry(url, http(tmp_path, online=False))
    again = offline.explain(request)
    assert again == first and first.chosen.version == "1.0"
    assert offline.read(again.chosen, "plugin_1_4.yaml") == text == FOUR["plugin_1_4.yaml"]


def test_listings_expire_after_the_ttl_files_do_not(tmp_path):
    request = parse_plugin_import("plugin:demo-plugin")
    with marketplace({"demo-plugin": [Release("1.0", ONE)]}) as market:
        def run(**options):
            registry = MarketplaceRegistry(market.url, http(tmp_path, **options))
            registry.read(registry.explain(request).chosen, "plugin.yaml")
            paths = [r.path for r in market.requests]
            market.requests.clear()
            return paths

        assert run() == ["/plugins", "/plugins/p1/versions", "/files/demo-plugin/1.0/plugin.yaml"]
        assert run() == []                                   # within the TTL: all from the cache
        time.sleep(0.05)
        assert run(listing_ttl=0.01) == ["/plugins", "/plugins/p1/versions"]   # listings expired
        assert run(refresh=True) == ["/plugins", "/plugins/p1/versions", "/files/demo-plugin/1.0/plugin.yaml"]


def test_offline_with_nothing_cached_is_registry_offline(tmp_path):
    registry = MarketplaceRegistry("http://127.0.0.1:9", http(tmp_path, online=False))
    with pytest.raises(RegistryError) as caught:
        registry.versions("demo-plugin")
    assert caught.value.code == "registry-offline"


# --- failures -------------------------------------------------------------------------------------

@pytest.mark.parametrize("status, code", [(401, "registry-auth-failed"), (403, "registry-forbidden"),
                                          (404, "registry-not-found"), (500, "registry-server-error"),
                                          (503, "registry-server-error")])
def test_http_refusals_are_coded_errors_naming_the_marketplace(tmp_path, status, code):
    with serve({"/plugins": json_reply({"message": "no"}, status=status)}) as server:
        registry = MarketplaceRegistry(server.url, http(tmp_path))
        with pytest.raises(RegistryError) as caught:
            registry.versions("demo-plugin")
    assert caught.value.code == code
    assert server.url in caught.value.message


def test_an_unreachable_marketplace_is_registry_unreachable(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    registry = MarketplaceRegistry(f"http://127.0.0.1:{port}", http(tmp_path, timeout=2.0))
    with pytest.raises(RegistryError) as caught:
        registry.explain(parse_plugin_import("plugin:demo-plugin"))
    assert caught.value.code == "registry-unreachable"
    assert f"127.0.0.1:{port}" in caught.value.message


@pytest.mark.parametrize("routes, where", [
    ({"/plugins": text_reply("<html>a proxy page</html>")}, "JSON"),
    ({"/plugins": json_reply([{"id": 1}])}, "'items'"),
    ({"/plugins": json_reply({"items": ["demo-plugin"]})}, "item 0"),
    ({"/plugins": json_reply({"items": [{"id": None, "name": "demo-plugin"}]})}, "'id'"),
    ({"/plugins": json_reply({"items": [{"id": 7, "name": "demo-plugin"}]}),
      "/plugins/7/versions": json_reply({"items": [{"yaml_urls": []}]})}, "item 0: no 'version'"),
    ({"/plugins": json_reply({"items": [{"id": 7, "name": "demo-plugin"}]}),
      "/plugins/7/versions": json_reply({"items": [{"version": "1.0", "yaml_urls": "plugin.yaml"}]})}, "'yaml_urls'"),
    ({"/plugins": json_reply({"items": [{"id": 7, "name": "demo-plugin"}]}),
      "/plugins/7/versions": json_reply({"items": [{"version": "1.0", "wagon_urls": [{"release": 3}]}]})},
     "'wagon_urls'"),
], ids=["not-json", "no-items", "item-not-object", "no-id", "no-version", "yaml-urls-not-list", "bad-release"])
def test_a_malformed_answer_is_registry_bad_response(tmp_path, routes, where):
    with serve(routes) as server:
        registry = MarketplaceRegistry(server.url, http(tmp_path))
        with pytest.raises(RegistryError) as caught:
            registry.versions("demo-plugin")
    assert caught.value.code == "registry-bad-response"
    assert where in caught.value.message and server.url in caught.value.message


def test_marketplace_is_what_dash_r_marketplace_opens(tmp_path):
    context = SourceContext(http=http(tmp_path), marketplace_url="http://127.0.0.1:9/api/",
                            manager_distribution="Redhat Maipo")
    registry = open_source("marketplace", context)
    assert isinstance(registry, MarketplaceRegistry)
    assert registry.base_url == "http://127.0.0.1:9/api"
    assert registry.installable("REDHAT MAIPO") and registry.installable("manylinux")
    assert not registry.installable("Centos Core")


# --- end to end ------------------------------------------------------------------------------------


def test_a_blueprint_resolves_through_the_marketplace_then_offline(tmp_path):
    releases = {"demo-plugin": [
        Release(version, {"plugin.yaml": plugin_yaml(version, task="old"),
                          "plugin_1_4.yaml": plugin_yaml(version, task="create_1_4")},
                wagons=wagons)
        for version, wagons in (("1.0", MANYLINUX), ("1.5", MANYLINUX), ("2.0", CENTOS))]}
    write_tree(tmp_path, {"types.yaml": BASIC_TYPES, "blueprint.yaml": textwrap.dedent("""\
        tosca_definitions_version: cloudify_dsl_1_4
        imports:
          - types.yaml
          - plugin:demo-plugin?version=>=1.0
        node_templates:
          thing:
            type: demo.nodes.Thing
        """)})
    cache = tmp_path / "cache"
    with marketplace(releases) as market:
        url = market.url
        online = Resolver(registries=[MarketplaceRegistry(url, Http(Cache(cache), NetOptions(online=True, allow_private=True)))],
                          cache_dir=cache, options=Options(online=True))
        first = online.resolve(tmp_path / "blueprint.yaml")
    assert first.ok, [p.message for p in first.problems]
    plugins = {p["name"]: p for p in first.plan["deployment_plugins_to_install"]}
    assert plugins["demo"]["package_version"] == "1.5"          # 2.0 has no manylinux wagon
    (entry,) = [i for i in first.plan["imports"] if i.get("package_name") == "demo-plugin"]
    assert (entry["package_version"], entry["yaml_file"]) == ("1.5", "plugin_1_4.yaml")
    (node,) = first.plan["nodes"]
    assert node["operations"]["cloudify.interfaces.lifecycle.create"]["operation"] == "tasks.create_1_4"

    offline = Resolver(registries=[MarketplaceRegistry(url, Http(Cache(cache), NetOptions(online=False)))],
                       cache_dir=cache, options=Options())
    again = offline.resolve(tmp_path / "blueprint.yaml")
    assert again.ok, [p.message for p in again.problems]
    assert again.plan == first.plan


# --- the corpus claim -----------------------------------------------------------------------------

def exact_text(record, yaml_file: str) -> str:
    """The file as stored, line ends included (a directory registry reads in text mode)."""
    with open(f"{record.location}/{yaml_file}", encoding="utf-8", newline="") as handle:
        return handle.read()


def answer(selection, dsl):
    record = selection.chosen
    if record is None:
        return None
    return record.version, choose_yaml(record.yaml_files, dsl), record.yaml_files


def test_every_corpus_plugin_import_gets_what_the_directory_registry_gives(tmp_path):
    # Every version gets a manylinux wagon: §1.5 is the auto-upload rule and would otherwise
    # (rightly) differ from §1.3 wherever the newest matching version has no wagon for the manager.
    directory = DirectoryRegistry(CORPUS / "plugins")
    imports = corpus_plugin_imports()
    assert len(imports) > 100
    differences, answered, refused = [], 0, 0
    with marketplace(corpus_releases(CORPUS / "plugins")) as market:
        registry = MarketplaceRegistry(market.url, http(tmp_path))
        for text, dsl in imports:
            try:
                request = parse_plugin_import(text)
            except PluginSpecError:
                refused += 1  # refused before any source is asked
                continue
            want = explain(request, directory.versions(request.package_name))
            got = registry.explain(request)
            if answer(want, dsl) != answer(got, dsl):
                differences.append((text, dsl, answer(want, dsl),
                                    answer(got, dsl)))
                continue
            if want.chosen is None:
                continue
            answered += 1
            yaml_file = choose_yaml(want.chosen.yaml_files, dsl) or sorted(want.chosen.yaml_files)[0]
            if registry.read(got.chosen, yaml_file) != exact_text(want.chosen, yaml_file):
                differences.append((text, dsl, yaml_file, "text differs"))
    assert differences == []
    assert answered > 100 and refused < 5
