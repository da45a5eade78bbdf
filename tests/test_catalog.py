"""Catalog files as a registry (REGISTRY.md §4.1, §4.3): both shapes, local and by URL.

The YAML URLs the catalogs list are served from loopback (tests/marketplace_server.py serves
files at `/files/<package>/<version>/<file>`).
"""
from __future__ import annotations

import json
import time

import pytest

from resolver.cache import Cache
from resolver.net import Http, NetOptions
from resolver.registry import (DirectoryRegistry, PluginSpecError, RegistryError, choose_yaml, explain,
                               parse_plugin_import)
from resolver.registry.catalog import ALL_VERSIONS, FLAT, CatalogRegistry
from resolver.registry.sources import SourceContext, open_source

from resolver import Options, Resolver

from . import test_version_choice as table
from .conformance import DEFAULT_CORPUS as CORPUS
from .conftest import BASIC_TYPES, write_tree
from .corpus import all_versions_catalog, corpus_plugin_imports
from .marketplace_server import Release, corpus_releases, marketplace
from .servers import serve, text_reply
from .test_marketplace import TABLE_WAGONS

TEXTS = {
    ("cloudify-aws-plugin", "3.0.10", "v2_plugin.yaml"): "# aws 3.0.10 v2\n",
    ("cloudify-openstack-plugin", "3.3.4", "v2_plugin.yaml"): "# openstack v3 3.3.4\n",
    ("cloudify-openstack-plugin", "2.14.7", "v2_plugin.yaml"): "# openstack v2 2.14.7\n",
    ("cloudify-serverless-plugin", "0.1.0", "plugin.yaml"): "# serverless\n",
    ("demo-plugin", "1.0", "plugin.yaml"): "# demo 1.0 v1\n",
    ("demo-plugin", "1.0", "v2_plugin.yaml"): "# demo 1.0 v2\n",
    ("demo-plugin", "2.0", "plugin.yaml"): "# demo 2.0 v1\n",
    ("demo-plugin", "2.0", "plugin_1_5.yaml"): "# demo 2.0 1_5\n",
}


def http(tmp_path, online=True, **options) -> Http:
    options.setdefault("retries", 0)
    # the catalog is served from loopback, which only an explicit opt-in may reach
    return Http(Cache(tmp_path / "cache"), NetOptions(online=online, **{"allow_private": True, **options}))


@pytest.fixture(scope="module")
def files():
    """A loopback server holding TEXTS; `files.yaml_url(package, version, file)`."""
    releases: dict[str, list[Release]] = {}
    for (package, version, name), text in TEXTS.items():
        held = releases.setdefault(package, [])
        if not held or held[-1].version != version:
            held.append(Release(version, {}))
        held[-1].files[name] = text
    with marketplace(releases) as market:
        yield market


def wagons(url: str, *names) -> list:
    return [None if name is None else {"name": name, "url": f"{url}/{name}.wgn", "md5url": f"{url}/{name}.wgn.md5"}
            for name in names]


def v2_catalog(files) -> list:
    """The shape of the official v2_plugins.json, with its duplicate openstack entry."""
    def entry(name, title, version, yaml_file, *wagon_names, key="yaml"):
        url = files.yaml_url(name, version, yaml_file)
        out = {"name": name, "title": title, "description": f"{title} plugin", "version": version,
               "releases": f"https://github.com/cloudify-cosmo/{name}/releases", "icon": f"{files.url}/icon.png",
               "link": url, "wagons": wagons(url.rsplit("/", 1)[0], *wagon_names)}
        if key == "yaml":
            out["yaml"] = url
        return out

    shadow = entry("cloudify-openstack-plugin", "OpenStack", "3.3.4", "v2_plugin.yaml", "Centos Core")
    shadow["yaml"] = shadow["link"] = files.url + "/files/elsewhere/v2_plugin.yaml"
    return [
        entry("cloudify-aws-plugin", "AWS", "3.0.10", "v2_plugin.yaml",
              "Centos Core", "Centos AltArch", None, "Redhat Maipo"),
        entry("cloudify-openstack-plugin", "OpenStackV3", "3.3.4", "v2_plugin.yaml", "Centos Core", None),
        shadow,
        entry("cloudify-openstack-plugin", "OpenStack v2", "2.14.7", "v2_plugin.yaml", "Redhat Maipo",
              key="link"),
        entry("cloudify-serverless-plugin", "Serverless", "0.1.0", "plugin.yaml"),
    ]


def write_catalog(tmp_path, data, name="v2_plugins.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- the flat shape --------------------------------------------------------------------------------

def test_the_flat_shape_one_record_per_name_and_version(tmp_path, files):
    catalog = CatalogRegistry(write_catalog(tmp_path, v2_catalog(files)), http(tmp_path))
    assert catalog.packages() == ("cloudify-aws-plugin", "cloudify-openstack-plugin", "cloudify-serverless-plugin")
    assert catalog.shape == FLAT
    (aws,) = catalog.versions("cloudify-aws-plugin")
    assert (aws.version, aws.yaml_files) == ("3.0.10", ("v2_plugin.yaml",))
    assert aws.wagons == ("Centos Core", "Centos AltArch", "Redhat Maipo")   # empty slots skipped
    assert catalog.read(aws, "v2_plugin.yaml") == "# aws 3.0.10 v2\n"
    (serverless,) = catalog.versions("cloudify-serverless-plugin")
    assert serverless.wagons == () and serverless.yaml_files == ("plugin.yaml",)


def test_the_duplicate_openstack_entry_the_first_of_a_version_wins(tmp_path, files):
    catalog = CatalogRegistry(write_catalog(tmp_path, v2_catalog(files)), http(tmp_path))
    openstack = catalog.versions("cloudify-openstack-plugin")
    assert [r.version for r in openstack] == ["3.3.4", "2.14.7"]
    assert catalog.read(openstack[0], "v2_plugin.yaml") == "# openstack v3 3.3.4\n"
    assert catalog.read(openstack[1], "v2_plugin.yaml") == "# openstack v2 2.14.7\n"   # `link` alone
    chosen = catalog.explain(parse_plugin_import("plugin:cloudify-openstack-plugin")).chosen
    assert chosen == openstack[0]
    older = catalog.explain(parse_plugin_import("plugin:cloudify-openstack-plugin?version=<3")).chosen
    assert older == openstack[1]


def test_the_marketplace_form_of_a_flat_entry(tmp_path, files):
    entry = {"name": "demo-plugin", "display_name": "Demo", "version": "2.0",
             "yaml_urls": [{"dsl_version": "cloudify_dsl_1_3", "url": files.yaml_url("demo-plugin", "2.0", "plugin.yaml")},
                           {"dsl_version": "cloudify_dsl_1_5",
                            "url": files.yaml_url("demo-plugin", "2.0", "plugin_1_5.yaml")}],
             "wagon_urls": [{"release": "manylinux", "arch": "x86_64", "url": "x", "file_size": 1}]}
    catalog = CatalogRegistry(write_catalog(tmp_path, [entry]), http(tmp_path))
    (record,) = catalog.versions("demo-plugin")
    assert record.yaml_files == ("plugin.yaml", "plugin_1_5.yaml") and record.wagons == ("manylinux",)
    assert catalog.read(record, choose_yaml(record.yaml_files, "1_5")) == "# demo 2.0 1_5\n"
    assert catalog.read(record, choose_yaml(record.yaml_files, "1_4")) == "# demo 2.0 v1\n"


# --- the all-versions shape ----------------------------------------------------------------------

def all_versions(files) -> list:
    def url(version, name):
        return files.yaml_url("demo-plugin", version, name)

    return [{"name": "demo-plugin", "icon": "icon.png", "versions": {
        "1.0": {"yaml": url("1.0", "plugin.yaml"), "v2_yaml": url("1.0", "v2_plugin.yaml"),
                "wagons": [{"name": "Centos Core", "url": "a.wgn"}, {"name": "Redhat Maipo", "url": "b.wgn"}]},
        "2.0": {"yaml": url("2.0", "plugin.yaml"), "yaml_urls": [{"url": url("2.0", "plugin_1_5.yaml")}],
                "wagons": [{"name": "Redhat Ootpa", "url": "c.wgn"}]},
        "2.1rc1": {"yaml": url("2.0", "plugin.yaml"), "wagons": []},
    }}]


def test_the_all_versions_shape(tmp_path, files):
    catalog = CatalogRegistry(write_catalog(tmp_path, all_versions(files), "plugins_allversions.json"),
                              http(tmp_path))
    assert catalog.shape == ALL_VERSIONS
    assert [r.version for r in catalog.versions("demo-plugin")] == ["1.0", "2.0", "2.1rc1"]
    one, two, _ = catalog.versions("demo-plugin")
    assert one.yaml_files == ("plugin.yaml", "v2_plugin.yaml")
    assert two.yaml_files == ("plugin.yaml", "plugin_1_5.yaml")
    # every listed YAML is a file of the version; the DSL version picks as a manager does
    assert catalog.read(one, choose_yaml(one.yaml_files, "1_4")) == "# demo 1.0 v1\n"
    assert catalog.read(one, "v2_plugin.yaml") == "# demo 1.0 v2\n"
    selection = catalog.explain(parse_plugin_import("plugin:demo-plugin"))
    assert selection.chosen == two
    assert [c.verdict for c in selection.candidates] == ["older", "chosen", "prerelease"]


@pytest.mark.parametrize("query, expected", [
    ("?distribution=centos", "1.0"),                         # meets "Centos Core"
    ("?distribution=redhat", "2.0"),                         # "Redhat Maipo" and "Redhat Ootpa"
    ("?distribution=redhat&version=<2", "1.0"),
    ("?distribution=ubuntu", None),
    ("?distribution=Centos", None),                          # compared with the lowercase first word
    ("?version=2.1rc1", "2.1rc1"),
    ("?version=2.1rc1&distribution=centos", None),           # a version without wagons meets none
])
def test_distribution_is_the_first_word_of_a_wagon_name(tmp_path, files, query, expected):
    catalog = CatalogRegistry(write_catalog(tmp_path, all_versions(files)), http(tmp_path))
    selection = catalog.explain(parse_plugin_import("plugin:demo-plugin" + query))
    assert (selection.chosen.version if selection.chosen else None) == expected
    if "distribution" in query and expected is None:
        assert "distribution" in {c.verdict for c in selection.candidates}


# --- the shared table of §1.3 cases (tests/test_version_choice.py), through the whole pipeline ----

@pytest.fixture(scope="module")
def table_session(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalog-table")
    write_tree(root, {"types.yaml": BASIC_TYPES})
    releases = {table.PACKAGE: [Release(v, {"plugin.yaml": table.plugin_yaml(v)}) for v, _ in table.STORED]}
    with marketplace(releases) as market:
        versions = {v: {"yaml": market.yaml_url(table.PACKAGE, v, "plugin.yaml"),
                        "wagons": [{"name": TABLE_WAGONS[d][0], "url": f"{v}.wgn"}]} for v, d in table.STORED}
        path = write_catalog(root, [{"name": table.PACKAGE, "icon": "icon.png", "versions": versions}])
        yield root, Resolver(registries=[CatalogRegistry(path, http(root))], options=Options(online=True))


@pytest.mark.parametrize("query, expected", table.CASES, ids=[q or "(none)" for q, _ in table.CASES])
def test_the_version_choice_table(table_session, tmp_path, query, expected):
    root, resolver = table_session
    table.check_case(resolver, root / "types.yaml", query, expected, tmp_path)


# --- a catalog by URL ------------------------------------------------------------------------------

def test_a_catalog_url_is_a_cached_listing(tmp_path, files):
    body = json.dumps(v2_catalog(files))
    request = parse_plugin_import("plugin:cloudify-aws-plugin")
    with serve({"/wagons/v2_plugins.json": text_reply(body)}) as site:
        url = site.url + "/wagons/v2_plugins.json"

        def run(**options):
            catalog = CatalogRegistry(url, http(tmp_path, **options))
            record = catalog.explain(request).chosen
            text = catalog.read(record, "v2_plugin.yaml")
            fetched = len(site.requests)
            site.requests.clear()
            return record, text, fetched

        first = run()
        assert first[:2] == (run()[:2]) and first[2] == 1
        assert run()[2] == 0                                  # within the TTL: from the cache
        time.sleep(0.05)
        assert run(listing_ttl=0.01)[2] == 1                  # expired: fetched again
        assert run(refresh=True)[2] == 1
    offline = CatalogRegistry(url, http(tmp_path, online=False))
    record = offline.explain(request).chosen
    assert (record, offline.read(record, "v2_plugin.yaml")) == first[:2]


def test_an_unreachable_catalog_url_is_a_coded_error(tmp_path):
    with serve({}) as site:
        catalog = CatalogRegistry(site.url + "/plugins.json", http(tmp_path))
        with pytest.raises(RegistryError) as caught:
            catalog.packages()
    assert caught.value.code == "registry-not-found" and "/plugins.json" in caught.value.message
    offline = CatalogRegistry("https://example.invalid/plugins.json", http(tmp_path, online=False))
    with pytest.raises(RegistryError) as caught:
        offline.versions("demo-plugin")
    assert caught.value.code == "registry-offline"


def test_json_files_and_urls_open_as_catalogs(tmp_path, files):
    path = write_catalog(tmp_path, v2_catalog(files))
    context = SourceContext(http=http(tmp_path))
    assert isinstance(open_source(str(path), context), CatalogRegistry)
    assert open_source("https://example.invalid/v2_plugins.json", context).location == \
        "https://example.invalid/v2_plugins.json"


# --- malformed files ----------------------------------------------------------------------------------

GOOD = {"name": "demo-plugin", "version": "1.0", "yaml": "http://x/plugin.yaml"}


@pytest.mark.parametrize("content, where", [
    ("{not json", "not JSON"),
    (json.dumps({"plugins": []}), "not an array"),
    (json.dumps([GOOD, 3]), "entry 1: a JSON int"),
    (json.dumps([{"version": "1.0", "yaml": "http://x/plugin.yaml"}]), "entry 0: no 'name'"),
    (json.dumps([GOOD, {"name": "b", "yaml": "http://x/plugin.yaml"}]), "entry 1: b: no 'version'"),
    (json.dumps([GOOD, {"name": "b", "versions": {}}]), "entry 1: b: the file is in the flat shape"),
    (json.dumps([{"name": "b", "versions": {}}, GOOD]), "entry 1: demo-plugin: the file is in the all-versions"),
    (json.dumps([{**GOOD, "yaml": 3}]), "entry 0: demo-plugin 1.0: 'yaml' is not a URL"),
    (json.dumps([{**GOOD, "yaml": None}]), "entry 0: demo-plugin 1.0: no plugin YAML URL"),
    (json.dumps([{**GOOD, "yaml": "http://x/"}]), "names no file"),
    (json.dumps([{**GOOD, "wagons": {"name": "x"}}]), "'wagons' is not an array"),
    (json.dumps([{**GOOD, "wagons": [{"url": "x"}]}]), "a 'wagons' item has no 'name'"),
    (json.dumps([{**GOOD, "yaml_urls": [{"dsl_version": "cloudify_dsl_1_4"}]}]), "a 'yaml_urls' item has no 'url'"),
    (json.dumps([{"name": "b", "versions": []}]), "entry 0: b: 'versions' is not an object"),
    (json.dumps([{"name": "b", "versions": {"1.0": "http://x/plugin.yaml"}}]), "entry 0: b 1.0: not an object"),
    (json.dumps([{"name": "b", "versions": {" ": {"yaml": "http://x/plugin.yaml"}}}]), "an empty name"),
], ids=["not-json", "object", "entry-int", "no-name", "no-version", "mixed-flat", "mixed-all", "yaml-int",
        "no-yaml", "url-no-file", "wagons-object", "wagon-no-name", "yaml-urls-no-url", "versions-list",
        "version-string", "version-empty"])
def test_a_malformed_catalog_is_registry_bad_response(tmp_path, content, where):
    path = tmp_path / "plugins.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        CatalogRegistry(path, http(tmp_path)).versions("demo-plugin")
    assert caught.value.code == "registry-bad-response"
    assert str(path) in caught.value.message and where in caught.value.message


def test_a_missing_catalog_file_is_registry_not_found(tmp_path):
    with pytest.raises(RegistryError) as caught:
        CatalogRegistry(tmp_path / "nothing.json", http(tmp_path)).packages()
    assert caught.value.code == "registry-not-found" and "nothing.json" in caught.value.message


def test_a_file_the_catalog_does_not_list_is_an_os_error(tmp_path, files):
    catalog = CatalogRegistry(write_catalog(tmp_path, v2_catalog(files)), http(tmp_path))
    (aws,) = catalog.versions("cloudify-aws-plugin")
    with pytest.raises(OSError):
        catalog.read(aws, "plugin_1_5.yaml")


# --- the corpus claim ----------------------------------------------------------------------------------

def test_every_corpus_plugin_import_gets_what_the_directory_registry_gives(tmp_path):
    directory = DirectoryRegistry(CORPUS / "plugins")
    imports = corpus_plugin_imports()
    releases = corpus_releases(CORPUS / "plugins")
    differences, answered = [], 0
    with marketplace(releases) as market:
        path = write_catalog(tmp_path, all_versions_catalog(market, releases), "plugins_allversions.json")
        catalog = CatalogRegistry(path, http(tmp_path))
        assert sum(len(catalog.versions(name)) for name in catalog.packages()) == \
            sum(len(held) for held in releases.values())
        for text, dsl in imports:
            try:
                request = parse_plugin_import(text)
            except PluginSpecError:
                continue  # refused before any source is asked
            want = explain(request, directory.versions(request.package_name)).chosen
            got = catalog.explain(request).chosen
            if want is None or got is None:
                if want != got:
                    differences.append((text, dsl, want, got))
                continue
            yaml_file = choose_yaml(want.yaml_files, dsl)
            mine = (got.version, choose_yaml(got.yaml_files, dsl), got.yaml_files)
            if (want.version, yaml_file, want.yaml_files) != mine:
                differences.append((text, dsl, want.version, yaml_file, mine))
                continue
            answered += 1
            name = yaml_file or sorted(want.yaml_files)[0]
            with open(f"{want.location}/{name}", encoding="utf-8", newline="") as handle:
                if catalog.read(got, name) != handle.read():
                    differences.append((text, dsl, name, "text differs"))
    assert differences == []
    assert answered > 100
