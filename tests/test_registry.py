"""Plugin registries: `plugin:` import grammar, version choice, YAML choice, legacy URLs, 1_3 back-compat.

References: REGISTRY.md §1.1-1.4 and SPEC §2.5, §11 A17/A18.
"""
from __future__ import annotations

import os

import pytest

from resolver import DirectoryRegistry, MemoryRegistry
from resolver import registry as reg
from resolver.backcompat import derive_plugin_1_3
from resolver.load import load_yaml
from resolver.problems import Problems

from .conftest import blueprint, node, places, plugin_yaml, write_tree

# --- the import line --------------------------------------------------------------------------


def records(*versions, distribution=None):
    return [reg.PluginRecord("demo-plugin", v, ("plugin.yaml",), f"loc/{v}", distribution=distribution)
            for v in versions]


def pick(query: str, versions) -> str | None:
    chosen = reg.select(reg.parse_plugin_import("plugin:demo-plugin" + query), records(*versions))
    return chosen.version if chosen else None


@pytest.mark.parametrize("query, versions, expected", [
    # SPEC §11 A17
    ("?version=<2", ["1.0.0", "2.1.0"], "1.0.0"),
    ("?version=>=2.0,!=2.0.5", ["1.0.0", "2.1.0"], "2.1.0"),
    ("?version=>=9", ["1.0.0", "2.1.0"], None),
    # no version: the newest
    ("", ["1.0.0", "2.1.0", "1.5"], "2.1.0"),
    # an empty value is dropped by query parsing: no filter
    ("?version=", ["1.3", "1.5"], "1.5"),
    # a leading space (as the official examples write it) is harmless
    ("?version= >=2", ["1.0", "2.5"], "2.5"),
    ("?version= <=2.14.25", ["2.14.25", "2.14.26", "3.0"], "2.14.25"),
    # a bare version is ===: the stored string, not an equal version
    ("?version=1.3", ["1.3", "1.3.0"], "1.3"),
    ("?version=1.3", ["1.3.0"], None),
    ("?version===1.3", ["1.3.0"], "1.3.0"),
    ("?version=1.0-custom_build", ["1.0", "1.0-custom_build"], "1.0-custom_build"),
    # pieces are ANDed, there is no OR
    ("?version=1.3,1.5", ["1.3", "1.5"], None),
    ("?version=>=1&version=<2", ["1.0", "1.5", "2.0"], "1.5"),
    ("?version=1.0&version=<2", ["1.0", "1.5"], "1.0"),
    ("?version=~=1.4", ["1.3", "1.4.2", "1.9", "2.0"], "1.9"),
    ("?version===1.*", ["1.0", "1.9", "2.0"], "1.9"),
    # pre-releases are never picked unless the specifier names one
    ("", ["1.0", "2.0.0rc1"], "1.0"),
    ("?version=>=1", ["1.0", "2.0.0rc1", "2.0.0.dev3"], "1.0"),
    ("?version=<3", ["2.9.0rc1", "2.3.1"], "2.3.1"),
    ("?version=>=2.0.0rc1", ["1.0", "2.0.0rc1"], "2.0.0rc1"),
    ("?version===2.0.0rc1", ["1.0", "2.0.0rc1"], "2.0.0rc1"),
])
def test_version_choice(query, versions, expected):
    assert pick(query, versions) == expected


@pytest.mark.parametrize("query", ["?version=2.0.0rc1", "?version====2.0.0rc1"], ids=["bare", "triple-equals"])
def test_a_pre_release_named_exactly_is_picked(query):
    assert pick(query, ["1.0", "2.0.0rc1"]) == "2.0.0rc1"


def test_ties_go_to_the_earliest_in_listing_order():
    assert reg.select(reg.parse_plugin_import("plugin:demo-plugin"), records("1.0", "1.0.0")).version == "1.0"
    assert reg.select(reg.parse_plugin_import("plugin:demo-plugin"), records("1.0.0", "1.0")).version == "1.0.0"


def test_distribution_filters_before_the_version_is_chosen():
    stored = [reg.PluginRecord("demo-plugin", "3.0", (), "ubuntu-3", distribution="ubuntu"),
              reg.PluginRecord("demo-plugin", "2.0", (), "centos-2", distribution="centos"),
              reg.PluginRecord("demo-plugin", "1.0", (), "rhel-1", distribution="rhel")]
    centos = reg.parse_plugin_import("plugin:demo-plugin?distribution=centos")
    assert reg.select(centos, stored).location == "centos-2"
    either = reg.parse_plugin_import("plugin:demo-plugin?distribution=centos&distribution=rhel")
    assert either.distributions == ("centos", "rhel")
    assert reg.select(either, stored).location == "centos-2"
    assert reg.select(reg.parse_plugin_import("plugin:demo-plugin?distribution=Centos"), stored) is None
    anything = reg.parse_plugin_import("plugin:demo-plugin")
    assert reg.select(anything, stored).location == "ubuntu-3"


def test_request_parts():
    request = reg.parse_plugin_import("plugin: demo-plugin ?version=>=2,<3&distribution=centos")
    assert request.package_name == "demo-plugin"
    assert request.version_params == (">=2,<3",)
    assert request.distributions == ("centos",)
    assert "2.5" in request.specifier and "3.0" not in request.specifier


@pytest.mark.parametrize("text", [
    "plugin:demo-plugin?foo=1",
    "plugin:demo-plugin?version=1&platform=linux",
    "plugin:demo-plugin?version=,1.3",
    "plugin:demo-plugin?version=1.3,",
    "plugin:demo-plugin?version=1.3,,2",
    "plugin:demo-plugin?version=>>1",
    "plugin:",
    "plugin:?version=1",
])
def test_invalid_import_lines_are_refused(text):
    with pytest.raises(reg.PluginSpecError):
        reg.parse_plugin_import(text)


# --- the YAML file for the DSL version (REGISTRY.md §1.4, algorithm A) -------------------------

FOUR = ("plugin.yaml", "plugin_1_4.yaml", "plugin_1_5.yaml", "v2_plugin.yaml")


@pytest.mark.parametrize("files, dsl, expected", [
    (("plugin.yaml",), None, "plugin.yaml"),
    (("plugin.yaml",), "1_3", "plugin.yaml"),
    (("plugin.yaml",), "1_5", "plugin.yaml"),
    (("plugin_1_4.yaml", "plugin_1_5.yaml"), None, "plugin_1_5.yaml"),
    (("plugin_1_4.yaml", "plugin_1_5.yaml"), "1_3", None),
    (("plugin_1_4.yaml", "plugin_1_5.yaml"), "1_4", "plugin_1_4.yaml"),
    (("plugin_1_4.yaml", "plugin_1_5.yaml"), "1_5", "plugin_1_5.yaml"),
    (("plugin_1_4.yaml",), None, "plugin_1_4.yaml"),
    (("plugin_1_4.yaml",), "1_3", None),
    (("plugin_1_4.yaml",), "1_5", "plugin_1_4.yaml"),
    (("plugin.yaml", "plugin_1_4.yaml", "plugin_1_5.yaml"), "1_3", "plugin.yaml"),
    (FOUR, None, "plugin_1_5.yaml"),
    (FOUR, "1_3", "plugin.yaml"),
    (FOUR, "1_4", "plugin_1_4.yaml"),
    (FOUR, "1_5", "plugin_1_5.yaml"),
    (tuple(reversed(FOUR)), "1_3", "plugin.yaml"),       # listing order does not matter
    (("plugin_1_3.yaml", "plugin_1_4.yaml", "x.yaml"), "1_5", "plugin_1_4.yaml"),
    ((), "1_4", None),
])
def test_choose_yaml(files, dsl, expected):
    assert reg.choose_yaml(files, dsl) == expected


# --- legacy plugin YAML URLs ------------------------------------------------------------------


@pytest.mark.parametrize("url, names, version, yaml_file", [
    ("http://www.getcloudify.org/spec/openstack-plugin/2.4.1/plugin.yaml",
     ("openstack-plugin", "cloudify-openstack-plugin"), "2.4.1", "plugin.yaml"),
    ("https://github.com/cloudify-cosmo/cloudify-openstack-plugin/releases/download/3.2.1/plugin.yaml",
     ("cloudify-openstack-plugin",), "3.2.1", "plugin.yaml"),
    ("https://github.com/cloudify-cosmo/cloudify-aws-plugin/releases/download/3.2.4/plugin_1_4.yaml",
     ("cloudify-aws-plugin",), "3.2.4", "plugin_1_4.yaml"),
    ("https://raw.githubusercontent.com/cloudify-cosmo/cloudify-aws-plugin/2.14.7/plugin.yaml",
     ("cloudify-aws-plugin",), "2.14.7", "plugin.yaml"),
])
def test_legacy_plugin_urls_are_recognised(url, names, version, yaml_file):
    legacy = reg.parse_legacy_plugin_url(url)
    assert (legacy.names, legacy.version, legacy.yaml_file) == (names, version, yaml_file)


@pytest.mark.parametrize("url", [
    "http://www.getcloudify.org/spec/cloudify/4.5/types.yaml",
    "http://example.com/foo.yaml",
    "ftp://www.getcloudify.org/spec/fabric-plugin/1.5/plugin.yaml",
    "http://www.getcloudify.org/spec/openstack-plugin/2.4.1/plugin.zip",
])
def test_other_urls_are_not_legacy_plugin_urls(url):
    assert reg.parse_legacy_plugin_url(url) is None


def test_find_exact_tries_each_name_and_compares_versions():
    memory = MemoryRegistry({"cloudify-openstack-plugin": {"2.4.1": {"plugin.yaml": ""}}})
    found = reg.find_exact([memory], ("openstack-plugin", "cloudify-openstack-plugin"), "2.4.1")
    assert found is not None and found[1].package_name == "cloudify-openstack-plugin"
    # equal as versions counts too
    assert reg.find_exact([memory], ("cloudify-openstack-plugin",), "2.4.1.0") is not None
    assert reg.find_exact([memory], ("cloudify-openstack-plugin",), "2.4") is None


# --- registry implementations -----------------------------------------------------------------


def test_directory_registry_lists_versions_and_yaml_files(tmp_path):
    write_tree(tmp_path, {
        "demo-plugin/2.0/plugin.yaml": "a: 1\n",
        "demo-plugin/2.0/plugin_1_4.yaml": "a: 2\n",
        "demo-plugin/2.0/README.md": "not yaml\n",
        "demo-plugin/1.0/plugin.yaml": "a: 0\n",
        "demo-plugin/notes.txt": "a file, not a version\n",
    })
    registry = DirectoryRegistry(tmp_path)
    stored = registry.versions("demo-plugin")
    assert [(r.version, r.yaml_files) for r in stored] == [
        ("1.0", ("plugin.yaml",)), ("2.0", ("plugin.yaml", "plugin_1_4.yaml"))]
    assert registry.read(stored[1], "plugin_1_4.yaml") == "a: 2\n"
    assert registry.versions("missing-plugin") == ()
    assert registry.versions("../demo-plugin") == ()
    with pytest.raises(OSError):
        registry.read(stored[0], "plugin_1_5.yaml")


def test_memory_registry_lists_in_given_order_and_raises_oserror_for_missing_files():
    registry = MemoryRegistry({"demo-plugin": {"2.0": {"plugin.yaml": "x"}, "1.0": {"b.yaml": "", "a.yaml": ""}}})
    stored = registry.versions("demo-plugin")
    assert [(r.version, r.yaml_files) for r in stored] == [("2.0", ("plugin.yaml",)), ("1.0", ("a.yaml", "b.yaml"))]
    assert registry.read(stored[0], "plugin.yaml") == "x"
    with pytest.raises(OSError):
        registry.read(stored[0], "other.yaml")
    assert registry.versions("unknown") == ()


# --- DSL 1_3 back-compat (the plugin_1_3.yaml a manager derives) ------------------------------

MODERN_PLUGIN = """\
plugins:
  demo:
    executor: central_deployment_agent
    package_name: demo-plugin
    package_version: '2.0'
node_types:
  demo.nodes.Thing:
    derived_from: cloudify.nodes.Root
    properties:
      owner:
        type: node_id
        constraints:
          - valid_values: [a, b]
      tags:
        type: list
        item_type: string
        default: []
      size:
        type: integer
        default: 1
    interfaces:
      cloudify.interfaces.lifecycle:
        create: demo.tasks.create
workflows:
  demo_wf:
    mapping: demo.tasks.wf
    parameters:
      target:
        type: deployment_id
        default: d
      count:
        type: integer
        constraints:
          - greater_than: 0
        default: 1
    availability_rules:
      available: true
"""


def test_derive_1_3_rewrites_object_types_and_drops_newer_keys():
    problems = Problems()
    doc = load_yaml(MODERN_PLUGIN, "plugin.yaml", problems)
    derived = derive_plugin_1_3(doc)
    props = derived["node_types"]["demo.nodes.Thing"]["properties"]
    assert props["owner"] == {"type": "string"}
    assert props["tags"] == {"type": "list", "default": []}
    workflow = derived["workflows"]["demo_wf"]
    # constraints of a primitive-typed parameter stay
    assert workflow["parameters"]["count"]["constraints"] == [{"greater_than": 0}]
    assert "availability_rules" not in workflow
    assert workflow["parameters"]["target"] == {"type": "string", "default": "d"}
    # the source document is untouched and marks survive
    assert doc["node_types"]["demo.nodes.Thing"]["properties"]["owner"]["type"] == "node_id"
    assert props.key_mark("owner") == doc["node_types"]["demo.nodes.Thing"]["properties"].key_mark("owner")
    assert props.key_mark("owner").line == 10
    # what nothing beneath changes is the source's own (never changed either); the document is new
    thing, source_thing = derived["node_types"]["demo.nodes.Thing"], doc["node_types"]["demo.nodes.Thing"]
    assert derived["plugins"] is doc["plugins"] and props["size"] is source_thing["properties"]["size"]
    assert thing["interfaces"] is source_thing["interfaces"] and thing is not source_thing
    untouched = load_yaml("plugins:\n  demo: {executor: central_deployment_agent}\n", "p.yaml", Problems())
    derived = derive_plugin_1_3(untouched)
    assert derived == untouched and derived is not untouched and derived["plugins"] is untouched["plugins"]
    assert derived.key_mark("plugins") == untouched.key_mark("plugins")


def test_derive_1_3_keeps_a_property_named_availability_rules_outside_workflows():
    doc = load_yaml("node_types:\n  T:\n    properties:\n      availability_rules: {type: string}\n",
                    "p.yaml", Problems())
    derived = derive_plugin_1_3(doc)
    assert "availability_rules" in derived["node_types"]["T"]["properties"]


# --- plugin: imports through the pipeline -----------------------------------------------------


def demo_registry(*versions, files=("plugin.yaml",)):
    return MemoryRegistry({"demo-plugin": {v: {f: plugin_yaml(v) for f in files} for v in versions}})


def plugin_import(plan) -> dict:
    (entry,) = [e for e in plan["imports"] if "package_name" in e]
    return entry


def using_thing(ref: str, version: str = "cloudify_dsl_1_4") -> str:
    return blueprint(
        """\
        node_templates:
          thing:
            type: demo.nodes.Thing
        """, ref, version=version)


@pytest.mark.parametrize("ref, expected", [
    ("plugin:demo-plugin?version=<2", "1.0.0"),
    ("plugin:demo-plugin?version=>=2.0,!=2.0.5", "2.1.0"),
    ("plugin:demo-plugin", "2.1.0"),
    ("'plugin:demo-plugin?version= >=1,<3&distribution=centos'", None),
])
def test_a17_plugin_import_picks_from_the_registry(bp, ref, expected):
    if expected is None:
        # memory records carry no distribution, so a distribution filter finds nothing
        result = bp({"blueprint.yaml": blueprint("", ref)}, registries=[demo_registry("1.0.0", "2.1.0")])
        assert places(result, bp.root) == [("plugin-not-found", "blueprint.yaml", 4, 5)]
        return
    result = bp({"blueprint.yaml": using_thing(ref)}, registries=[demo_registry("1.0.0", "2.1.0")])
    assert result.ok, result.problems
    entry = plugin_import(result.plan)
    assert (entry["package_name"], entry["package_version"], entry["yaml_file"], entry["via"]) == (
        "demo-plugin", expected, "plugin.yaml", "registry")
    create = node(result.plan, "thing")["operations"]["cloudify.interfaces.lifecycle.create"]
    assert (create["plugin"], create["operation"]) == ("demo", "tasks.create")


def test_a17_invalid_parameter(bp):
    result = bp({"blueprint.yaml": blueprint("", "plugin:demo-plugin?foo=1")},
                registries=[demo_registry("1.0.0")])
    assert places(result, bp.root) == [("plugin-spec-invalid", "blueprint.yaml", 4, 5)]
    assert result.plan is None


def test_a17_nothing_matches(bp):
    result = bp({"blueprint.yaml": blueprint("", "plugin:demo-plugin?version=>=9")},
                registries=[demo_registry("1.0.0", "2.1.0")])
    assert places(result, bp.root) == [("plugin-not-found", "blueprint.yaml", 4, 5)]


def test_plugin_not_found_without_any_registry(bp):
    result = bp({"blueprint.yaml": blueprint("", "plugin:demo-plugin")})
    assert places(result, bp.root) == [("plugin-not-found", "blueprint.yaml", 4, 5)]


def test_registries_are_searched_in_order(bp):
    first = MemoryRegistry({"demo-plugin": {"1.0": {"plugin.yaml": plugin_yaml("1.0")}}}, name="first")
    second = MemoryRegistry({"demo-plugin": {"9.0": {"plugin.yaml": plugin_yaml("9.0")}}}, name="second")
    result = bp({"blueprint.yaml": using_thing("plugin:demo-plugin")}, registries=[first, second])
    assert plugin_import(result.plan)["package_version"] == "1.0"
    result = bp({"blueprint.yaml": using_thing("plugin:demo-plugin?version=>=2")}, registries=[first, second])
    assert plugin_import(result.plan)["package_version"] == "9.0"


@pytest.mark.parametrize("version, expected", [
    ("cloudify_dsl_1_5", "plugin_1_5.yaml"),
    ("cloudify_dsl_1_4", "plugin_1_4.yaml"),
])
def test_a18_yaml_file_follows_the_main_dsl_version(bp, version, expected):
    registry = demo_registry("2.0", files=("plugin_1_4.yaml", "plugin_1_5.yaml"))
    result = bp({"blueprint.yaml": using_thing("plugin:demo-plugin", version)}, registries=[registry])
    assert result.ok, result.problems
    assert plugin_import(result.plan)["yaml_file"] == expected


def test_no_yaml_file_for_the_dsl_version(bp):
    registry = demo_registry("2.0", files=("plugin_1_5.yaml",))
    result = bp({"blueprint.yaml": blueprint("", "plugin:demo-plugin")}, registries=[registry])
    assert places(result, bp.root) == [("plugin-yaml-missing", "blueprint.yaml", 4, 5)]


def test_directory_registry_through_the_pipeline(bp, tmp_path):
    write_tree(tmp_path / "registry", {
        "demo-plugin/1.0.0/plugin.yaml": plugin_yaml("1.0.0"),
        "demo-plugin/2.1.0/plugin.yaml": plugin_yaml("2.1.0"),
        "demo-plugin/2.1.0/plugin_1_4.yaml": plugin_yaml("2.1.0"),
        "demo-plugin/3.0.0rc1/plugin.yaml": plugin_yaml("3.0.0rc1"),
    })
    result = bp({"blueprint.yaml": using_thing("plugin:demo-plugin")}, registries=[tmp_path / "registry"])
    entry = plugin_import(result.plan)
    assert (entry["package_version"], entry["yaml_file"]) == ("2.1.0", "plugin_1_4.yaml")


def test_a_1_3_blueprint_gets_the_derived_plugin_1_3(bp):
    modern = MODERN_PLUGIN.replace("package_version: '2.0'", "package_version: '2.0'")
    registry = MemoryRegistry({"demo-plugin": {"2.0": {"plugin_1_4.yaml": modern, "plugin_1_5.yaml": modern}}})
    result = bp({"blueprint.yaml": blueprint(
        """\
        node_templates:
          thing:
            type: demo.nodes.Thing
            properties:
              owner: a
        """, "plugin:demo-plugin", version="cloudify_dsl_1_3")}, registries=[registry])
    assert result.ok, [(p.code, p.message) for p in result.problems]
    assert plugin_import(result.plan)["yaml_file"] == "plugin_1_3.yaml"


def test_the_same_file_imported_as_a_plain_file_by_a_1_3_blueprint_is_gated(bp):
    result = bp({
        "blueprint.yaml": blueprint(
            """\
            node_templates:
              thing:
                type: demo.nodes.Thing
                properties:
                  owner: a
            """, "plugin_1_4.yaml", version="cloudify_dsl_1_3"),
        "plugin_1_4.yaml": MODERN_PLUGIN,
    })
    gated = sorted(where for where in places(result, bp.root) if where[0] == "feature-version")
    # the node_id type, item_type, the deployment_id type and availability_rules
    assert [(line, column) for _, _, line, column in gated] == [(11, 15), (16, 9), (29, 15), (36, 5)]


def test_a_1_3_blueprint_uses_a_shipped_plugin_1_3_file_as_is(bp):
    registry = MemoryRegistry({"demo-plugin": {"2.0": {
        "plugin_1_3.yaml": plugin_yaml("2.0"), "plugin_1_4.yaml": MODERN_PLUGIN}}})
    result = bp({"blueprint.yaml": using_thing("plugin:demo-plugin", "cloudify_dsl_1_3")}, registries=[registry])
    assert result.ok, result.problems
    assert plugin_import(result.plan)["yaml_file"] == "plugin_1_3.yaml"


def test_problems_inside_a_registry_yaml_point_into_it(bp, tmp_path):
    write_tree(tmp_path / "registry", {
        "demo-plugin/1.0/plugin.yaml": plugin_yaml("1.0", executor="nowhere"),
    })
    result = bp({"blueprint.yaml": using_thing("plugin:demo-plugin")}, registries=[tmp_path / "registry"])
    assert places(result, tmp_path) == [("plugin-executor-invalid", "registry/demo-plugin/1.0/plugin.yaml", 3, 15)]


# --- legacy plugin URLs through the pipeline --------------------------------------------------


def legacy_registry():
    return MemoryRegistry({
        "cloudify-openstack-plugin": {"2.4.1": {"plugin.yaml": plugin_yaml("2.4.1")},
                                      "3.2.1": {"plugin.yaml": plugin_yaml("3.2.1"),
                                                "plugin_1_4.yaml": plugin_yaml("3.2.1")}},
    })


@pytest.mark.parametrize("url, version, yaml_file", [
    ("http://www.getcloudify.org/spec/openstack-plugin/2.4.1/plugin.yaml", "2.4.1", "plugin.yaml"),
    ("https://github.com/cloudify-cosmo/cloudify-openstack-plugin/releases/download/3.2.1/plugin.yaml",
     "3.2.1", "plugin.yaml"),
    ("https://raw.githubusercontent.com/cloudify-cosmo/cloudify-openstack-plugin/3.2.1/plugin_1_4.yaml",
     "3.2.1", "plugin_1_4.yaml"),
    # a file the version does not hold: chosen for the DSL version instead
    ("https://raw.githubusercontent.com/cloudify-cosmo/cloudify-openstack-plugin/3.2.1/v2_plugin.yaml",
     "3.2.1", "plugin_1_4.yaml"),
])
def test_legacy_plugin_urls_are_answered_by_the_registry(bp, url, version, yaml_file):
    result = bp({"blueprint.yaml": using_thing(url)}, registries=[legacy_registry()])
    assert result.ok, result.problems
    entry = plugin_import(result.plan)
    assert (entry["package_name"], entry["package_version"], entry["yaml_file"], entry["via"]) == (
        "cloudify-openstack-plugin", version, yaml_file, "registry")


def test_legacy_plugin_url_from_a_directory_registry(bp, tmp_path):
    write_tree(tmp_path / "registry", {"cloudify-openstack-plugin/2.4.1/plugin.yaml": plugin_yaml("2.4.1")})
    url = "http://www.getcloudify.org/spec/openstack-plugin/2.4.1/plugin.yaml"
    result = bp({"blueprint.yaml": using_thing(url)}, registries=[tmp_path / "registry"])
    assert result.ok, result.problems
    assert plugin_import(result.plan)["package_version"] == "2.4.1"


def test_legacy_plugin_url_of_an_unstored_version_needs_the_network(bp):
    url = "http://www.getcloudify.org/spec/openstack-plugin/9.9.9/plugin.yaml"
    result = bp({"blueprint.yaml": blueprint("", url)}, registries=[legacy_registry()])
    assert places(result, bp.root) == [("import-offline", "blueprint.yaml", 4, 5)]


def test_two_import_lines_naming_one_plugin_conflict(bp):
    registry = demo_registry("1.0", "2.0")
    result = bp({"blueprint.yaml": blueprint("", "plugin:demo-plugin", "plugin:demo-plugin?version=1.0")},
                registries=[registry])
    # de-duplication is by import line, so the plugin and its node type are defined twice
    assert sorted((p.code, p.file, p.line, p.column) for p in result.problems) == [
        ("merge-conflict", "memory:demo-plugin/1.0/plugin.yaml", 2, 3),
        ("merge-conflict", "memory:demo-plugin/1.0/plugin.yaml", 7, 3)]


class DistributionRegistry:
    """A registry whose records carry a distribution, as a manager's do."""

    name = "distributions"

    def __init__(self, rows):
        self.rows = rows  # (version, distribution)

    def versions(self, package_name):
        if package_name != "demo-plugin":
            return ()
        return tuple(reg.PluginRecord(package_name, version, ("plugin.yaml",), f"{self.name}:{version}-{distro}",
                                      distribution=distro) for version, distro in self.rows)

    def read(self, record, yaml_file):
        return plugin_yaml(record.version)


@pytest.mark.parametrize("query, expected", [
    ("?distribution=centos", "2.0.0"),
    ("?distribution=ubuntu", "3.0.0"),
    ("?version=<3&distribution=ubuntu", "1.0.0"),
    ("?distribution=rhel&distribution=centos", "2.0.0"),
    ("", "3.0.0"),
])
def test_distribution_filter_through_the_pipeline(bp, query, expected):
    registry = DistributionRegistry([("1.0.0", "ubuntu"), ("2.0.0", "centos"), ("3.0.0", "ubuntu")])
    result = bp({"blueprint.yaml": using_thing(f"'plugin:demo-plugin{query}'")}, registries=[registry])
    assert result.ok, result.problems
    assert plugin_import(result.plan)["package_version"] == expected


def test_a_distribution_nobody_stores(bp):
    registry = DistributionRegistry([("1.0.0", "ubuntu")])
    result = bp({"blueprint.yaml": blueprint("", "plugin:demo-plugin?distribution=centos")}, registries=[registry])
    assert places(result, bp.root) == [("plugin-not-found", "blueprint.yaml", 4, 5)]


def test_a_namespaced_plugin_import_prefixes_the_plugin(bp):
    result = bp({"blueprint.yaml": blueprint("node_templates:\n  t: {type: fab--demo.nodes.Thing}\n",
                                             "fab--plugin:demo-plugin")}, registries=[demo_registry("1.0")])
    assert result.ok, result.problems
    create = node(result.plan, "t")["operations"]["cloudify.interfaces.lifecycle.create"]
    assert (create["plugin"], create["operation"]) == ("fab--demo", "tasks.create")
    entry = plugin_import(result.plan)
    assert (entry["namespace"], entry["package_name"]) == ("fab", "demo-plugin")


def test_directory_registry_reads_the_wagon_distribution(tmp_path):
    for version, distro in (("1.0", "centos"), ("2.0", "Ubuntu"), ("3.0", None)):
        folder = tmp_path / "demo-plugin" / version
        folder.mkdir(parents=True)
        (folder / "plugin.yaml").write_text("plugins: {}\n")
        if distro:
            meta = {"package_name": "demo-plugin", "package_version": version,
                    "build_server_os_properties": {"distribution": distro}}
            (folder / "package.json").write_text(__import__("json").dumps(meta))
    registry = reg.DirectoryRegistry(tmp_path)
    stored = registry.versions("demo-plugin")
    assert [r.distribution for r in stored] == ["centos", "ubuntu", None]
    pick = lambda text: reg.select(reg.parse_plugin_import(text), stored)  # noqa: E731
    assert pick("plugin:demo-plugin?distribution=centos").version == "1.0"
    assert pick("plugin:demo-plugin?distribution=ubuntu").version == "2.0"
    assert pick("plugin:demo-plugin").version == "3.0"
    assert pick("plugin:demo-plugin?distribution=rhel") is None


def test_a_folder_registry_keeps_the_texts_it_read_within_its_bound(tmp_path):
    # kept by path: each file its own text; past the bound (or with none) a file is read again,
    # and an edited one always
    write_tree(tmp_path, {"demo/1.0/plugin.yaml": "a: 1\n", "demo/1.0/plugin_1_4.yaml": "b: 22\n",
                          "demo/2.0/plugin.yaml": "c: 333\n"})
    for path in tmp_path.glob("demo/*/*.yaml"):  # old enough to be kept (recent.SETTLED_NS)
        os.utime(path, ns=(path.stat().st_mtime_ns - 10**12,) * 2)
    for kept_chars, kept in ((1000, True), (0, False)):
        registry = DirectoryRegistry(tmp_path, kept_chars=kept_chars)
        one, two = registry.versions("demo")
        texts = [registry.read(one, "plugin.yaml"), registry.read(one, "plugin_1_4.yaml"),
                 registry.read(two, "plugin.yaml")]
        assert texts == ["a: 1\n", "b: 22\n", "c: 333\n"]
        assert registry._texts.held == (len("".join(texts)) if kept else 0)
        edited = tmp_path / "demo" / "1.0" / "plugin.yaml"
        read_at = edited.stat().st_mtime_ns
        edited.write_text("a: 4\n")
        os.utime(edited, ns=(read_at + 10**9, read_at + 10**9))  # a coarse clock still tells the edit
        assert registry.read(one, "plugin.yaml") == "a: 4\n"
        edited.write_text("a: 1\n")
        os.utime(edited, ns=(read_at,) * 2)
    # a session's folder registries keep as much as its parse cache
    from resolver import Options, Resolver

    for kept_chars in (0, 1000):
        (source,) = Resolver(registries=[str(tmp_path)], options=Options(parse_cache_chars=kept_chars)).registries
        assert source._texts.max_size == kept_chars


def test_a_plugin_import_is_parsed_once_per_text():
    # remembered by its whole text: each query its own request, the same text the same one
    first = reg.parse_plugin_import("plugin:demo-plugin?version=1.0")
    assert reg.parse_plugin_import("plugin:demo-plugin?version=1.0") is first
    other = reg.parse_plugin_import("plugin:demo-plugin?version=2.0")
    assert (first.package_name, str(first.specifier), str(other.specifier)) == ("demo-plugin", "===1.0", "===2.0")
    with pytest.raises(reg.PluginSpecError):  # a fault is raised each time, never remembered
        reg.parse_plugin_import("plugin:demo-plugin?bogus=1")
    with pytest.raises(reg.PluginSpecError):
        reg.parse_plugin_import("plugin:demo-plugin?bogus=1")
