"""Stage 2, imports: where files are found, identity and cycles, namespaces, versions, rules, catalog.

References: SPEC §2.1-§2.10 and §11 A1-A20.
"""
from __future__ import annotations

import os

import pytest

from resolver import MemoryRegistry, Options, Resolver
from resolver import imports as imports_module
from resolver.imports import ParseCache, file_key, text_sha256
from resolver.namespaces import split_namespace
from resolver.limits import Limits
from resolver.sources import FetchError, Fetched, FileLoader, load_blueprint_catalog, load_import_rules

from .conftest import BASIC_TYPES, blueprint, node, only, places, write_tree


def thing_type(name: str) -> str:
    return f"node_types:\n  {name}:\n    derived_from: cloudify.nodes.Root\n"


def imported(plan, root) -> list[tuple]:
    """(import as written, resolved path relative to root, namespace, via) for every import."""
    out = []
    for entry in plan["imports"]:
        resolved = entry["resolved"]
        if os.path.isabs(resolved) or os.path.exists(resolved):
            resolved = os.path.relpath(os.path.abspath(resolved), root).replace(os.sep, "/")
        out.append((entry["import"], resolved, entry["namespace"], entry["via"]))
    return out


# --- where relative imports are found ---------------------------------------------------------


def test_a1_nested_relative_imports_resolve_against_the_importing_file(bp):
    result = bp({
        "blueprint.yaml": blueprint("", "a/a.yaml", version="cloudify_dsl_1_3"),
        "a/a.yaml": "imports: [b/b.yaml]\n",
        "a/b/b.yaml": thing_type("nested.T"),
        "b/b.yaml": "this: [is not loaded\n",
    })
    assert result.ok, result.problems
    assert imported(result.plan, bp.root) == [
        ("types.yaml", "types.yaml", None, "file"),
        ("a/a.yaml", "a/a.yaml", None, "file"),
        ("b/b.yaml", "a/b/b.yaml", None, "file"),
    ]


def test_a6_missing_import_lists_every_place_tried(bp, tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    result = bp({"blueprint.yaml": blueprint("", "sub/nothere.yaml")}, search_paths=[extra])
    problem = only(result, "import-not-found")
    assert places(result, tmp_path) == [("import-not-found", "blueprint.yaml", 4, 5)]
    tried = [str(tmp_path / "sub" / "nothere.yaml"), str(extra / "sub" / "nothere_1_4.yaml"),
             str(extra / "sub" / "nothere.yaml")]
    positions = [problem.hint.index(place) for place in tried]
    assert positions == sorted(positions)


def test_loader_reports_the_places_tried_in_order(tmp_path):
    write_tree(tmp_path, {"main.yaml": "", "sp/other.yaml": ""})
    loader = FileLoader(search_paths=[tmp_path / "sp"])
    with pytest.raises(FetchError) as caught:
        loader.fetch("x.yaml", str(tmp_path / "main.yaml"), "1_3")
    assert caught.value.tried == (str(tmp_path / "x.yaml"), str(tmp_path / "sp" / "x_1_3.yaml"),
                                  str(tmp_path / "sp" / "x.yaml"))
    assert not caught.value.offline


@pytest.mark.parametrize("version, expected", [
    ("cloudify_dsl_1_3", "types_1_3.yaml"),
    ("cloudify_dsl_1_4", "types.yaml"),
])
def test_search_paths_prefer_the_versioned_variant(bp, tmp_path, version, expected):
    write_tree(tmp_path / "global", {
        "types.yaml": BASIC_TYPES,
        "types_1_3.yaml": BASIC_TYPES,
    })
    result = bp({"blueprint.yaml": f"tosca_definitions_version: {version}\nimports: [types.yaml]\n"},
                types=False, search_paths=[tmp_path / "global"])
    assert result.ok, result.problems
    assert imported(result.plan, tmp_path) == [("types.yaml", f"global/{expected}", None, "file")]


def test_a_file_beside_the_importer_wins_over_search_paths(bp, tmp_path):
    write_tree(tmp_path / "global", {"types_1_3.yaml": "broken: [\n"})
    result = bp({"blueprint.yaml": blueprint(version="cloudify_dsl_1_3")}, search_paths=[tmp_path / "global"])
    assert result.ok, result.problems
    assert imported(result.plan, tmp_path) == [("types.yaml", "types.yaml", None, "file")]


def test_search_paths_given_per_call(tmp_path):
    write_tree(tmp_path, {"global/types.yaml": BASIC_TYPES,
                          "bp/blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports: [types.yaml]\n"})
    session = Resolver()
    assert only(session.resolve(tmp_path / "bp" / "blueprint.yaml"), "import-not-found")
    result = session.resolve(tmp_path / "bp" / "blueprint.yaml", search_paths=[tmp_path / "global"])
    assert result.ok, result.problems


def test_absolute_and_file_url_imports(bp, tmp_path):
    write_tree(tmp_path, {"elsewhere/abs.yaml": thing_type("abs.T"), "elsewhere/url.yaml": thing_type("url.T")})
    result = bp({"blueprint.yaml": blueprint(
        "", str(tmp_path / "elsewhere" / "abs.yaml"), "file://" + str(tmp_path / "elsewhere" / "url.yaml"))})
    assert result.ok, result.problems
    assert [entry[1] for entry in imported(result.plan, tmp_path)] == [
        "types.yaml", "elsewhere/abs.yaml", "elsewhere/url.yaml"]


# --- identity, duplicates, cycles, diamonds ---------------------------------------------------


def test_a2_the_same_import_twice_in_one_list(bp):
    result = bp({"blueprint.yaml": blueprint("", "c1.yaml", "c1.yaml"), "c1.yaml": thing_type("t1")})
    assert places(result, bp.root) == [("import-duplicate", "blueprint.yaml", 5, 5)]


def test_an_imported_files_repeated_import_is_passed_over_as_the_reference_does(bp):
    # the reference checks only the main blueprint's imports list for duplicates (SPEC §2.1)
    result = bp({"blueprint.yaml": blueprint("", "lib.yaml"),
                 "lib.yaml": "imports: [c1.yaml, c1.yaml]\n", "c1.yaml": thing_type("t1")})
    assert result.ok and result.problems == ()
    assert [entry[1] for entry in imported(result.plan, bp.root)] == ["types.yaml", "lib.yaml", "c1.yaml"]


def test_a3_two_spellings_of_one_file_are_merged_once(bp):
    result = bp({"blueprint.yaml": blueprint("", "c1.yaml", "./c1.yaml"), "c1.yaml": thing_type("t1")})
    assert result.ok and result.problems == ()
    assert [entry[1] for entry in imported(result.plan, bp.root)] == ["types.yaml", "c1.yaml"]


def test_a4_import_cycles_are_warnings_and_each_file_is_merged_once(bp):
    result = bp({
        "blueprint.yaml": blueprint("", "c1.yaml"),
        "c1.yaml": "imports: [c2.yaml]\n" + thing_type("t1"),
        "c2.yaml": "imports: [c1.yaml, blueprint.yaml, c2.yaml]\n" + thing_type("t2"),
    })
    assert result.ok
    assert places(result, bp.root) == [
        ("import-cycle", "c2.yaml", 1, 11), ("import-cycle", "c2.yaml", 1, 20), ("import-cycle", "c2.yaml", 1, 36)]
    assert {p.severity for p in result.problems} == {"warning"}
    assert [entry[1] for entry in imported(result.plan, bp.root)] == ["types.yaml", "c1.yaml", "c2.yaml"]


def test_import_cycle_fails_in_strict_mode(bp):
    from resolver import Options

    result = bp({"blueprint.yaml": blueprint("", "c1.yaml"), "c1.yaml": "imports: [blueprint.yaml]\n"},
                options=Options(strict=True))
    assert not result.ok and result.plan is None
    assert [p.code for p in result.problems] == ["import-cycle"]


def test_a5_diamond_through_parent_folder_is_merged_once(bp):
    result = bp({
        "blueprint.yaml": blueprint("", "d1.yaml", "x/d2.yaml"),
        "d1.yaml": "imports: [shared.yaml]\n",
        "x/d2.yaml": "imports: [../shared.yaml]\n",
        "shared.yaml": thing_type("shared_t"),
    })
    assert result.ok and result.problems == ()
    assert [entry[1] for entry in imported(result.plan, bp.root)] == [
        "types.yaml", "d1.yaml", "x/d2.yaml", "shared.yaml"]


def test_traversal_is_breadth_first_in_list_order(bp):
    result = bp({
        "blueprint.yaml": blueprint("", "a.yaml", "b.yaml"),
        "a.yaml": "imports: [a1.yaml]\n",
        "b.yaml": "imports: [b1.yaml]\n",
        "a1.yaml": "", "b1.yaml": "",
    })
    assert [entry[1] for entry in imported(result.plan, bp.root)] == [
        "types.yaml", "a.yaml", "b.yaml", "a1.yaml", "b1.yaml"]


# --- shape of the imports section ------------------------------------------------------------


def test_imports_must_be_a_list(bp):
    result = bp({"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports: types.yaml\n"})
    assert places(result, bp.root) == [("schema-wrong-type", "blueprint.yaml", 2, 10)]


def test_an_import_entry_must_be_a_string(bp):
    result = bp({"blueprint.yaml": blueprint("", "5")})
    assert places(result, bp.root) == [("schema-wrong-type", "blueprint.yaml", 4, 5)]


def test_an_empty_imports_section_is_refused_in_any_file_as_the_reference_fails_on_it(bp):
    result = bp({"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports:\n"})
    assert places(result, bp.root) == [("section-null", "blueprint.yaml", 2, 1)]
    result = bp({"blueprint.yaml": blueprint("", "lib.yaml"), "lib.yaml": "imports:\n"})
    assert places(result, bp.root) == [("section-null", "lib.yaml", 1, 1)]
    result = bp({"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports: []\n"})
    assert result.ok and result.plan["imports"] == []


# --- versions ---------------------------------------------------------------------------------


def test_a7_an_import_newer_than_the_main_blueprint(bp):
    result = bp({"blueprint.yaml": blueprint("", "n.yaml", version="cloudify_dsl_1_3"),
                 "n.yaml": "tosca_definitions_version: cloudify_dsl_1_4\n"})
    assert places(result, bp.root) == [("dsl-version-import-newer", "n.yaml", 1, 28)]


@pytest.mark.parametrize("imported_version", ["cloudify_dsl_1_0", "cloudify_dsl_1_3", "cloudify_dsl_1_5", None])
def test_a7_older_equal_or_absent_import_versions_are_fine(bp, imported_version):
    text = f"tosca_definitions_version: {imported_version}\n" if imported_version else ""
    result = bp({"blueprint.yaml": blueprint("", "n.yaml", version="cloudify_dsl_1_5"), "n.yaml": text})
    assert result.ok and result.problems == ()


def test_an_import_with_an_unsupported_version(bp):
    result = bp({"blueprint.yaml": blueprint("", "n.yaml"), "n.yaml": "tosca_definitions_version: cloudify_dsl_1_9\n"})
    assert places(result, bp.root) == [("dsl-version-unsupported", "n.yaml", 1, 28)]


@pytest.mark.parametrize("text, expected", [
    ("imports: []\n", [("dsl-version-missing", "blueprint.yaml", 1, 1)]),
    ("tosca_definitions_version: cloudify_dsl_1_9\n", [("dsl-version-unsupported", "blueprint.yaml", 1, 28)]),
    ("tosca_definitions_version: cloudify_dsl_1_3_1\n", [("dsl-version-unsupported", "blueprint.yaml", 1, 28)]),
    ("tosca_definitions_version: 13\n", [("schema-wrong-type", "blueprint.yaml", 1, 28)]),
    ("tosca_definitions_version:\n", [("dsl-version-missing", "blueprint.yaml", 1, 1)]),
])
def test_main_blueprint_version(bp, text, expected):
    result = bp({"blueprint.yaml": text})
    assert places(result, bp.root) == expected
    assert result.plan is None


# --- namespaces -------------------------------------------------------------------------------


@pytest.mark.parametrize("ref, expected", [
    ("ns--file.yaml", ("ns", "file.yaml")),
    ("a--b--x.yaml", ("a--b", "x.yaml")),
    ("file.yaml", (None, "file.yaml")),
    ("ns--plugin:demo?version=1", ("ns", "plugin:demo?version=1")),
    ("http://h/a--b.yaml", (None, "http://h/a--b.yaml")),
    ("dir/my--file.yaml", (None, "dir/my--file.yaml")),
])
def test_split_namespace(ref, expected):
    assert split_namespace(ref) == expected


def test_a14_a_namespace_with_the_delimiter(bp):
    result = bp({"blueprint.yaml": blueprint("", "a--b--x.yaml"), "x.yaml": ""})
    assert places(result, bp.root) == [("import-namespace-invalid", "blueprint.yaml", 4, 5)]


def test_a13_basic_types_cannot_be_namespaced(bp):
    result = bp({"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports:\n  - ns--types.yaml\n"})
    assert places(result, bp.root) == [("import-namespace-basic-types", "blueprint.yaml", 3, 5)]


PLUG = """\
plugins:
  myplugin:
    executor: central_deployment_agent
    install: false
node_types:
  my.nodes.Thing:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: myplugin.tasks.create
"""


def test_a15_one_file_under_several_namespaces(bp):
    result = bp({
        "blueprint.yaml": blueprint(
            """\
            node_templates:
              a_thing: {type: a--my.nodes.Thing}
              b_thing: {type: b--my.nodes.Thing}
              thing: {type: my.nodes.Thing}
            """, "a--plug.yaml", "b--plug.yaml", "plug.yaml"),
        "plug.yaml": PLUG,
    })
    assert result.ok, result.problems
    for node_id, plugin in (("a_thing", "a--myplugin"), ("b_thing", "b--myplugin"), ("thing", "myplugin")):
        entry = node(result.plan, node_id)
        create = entry["operations"]["cloudify.interfaces.lifecycle.create"]
        assert (create["plugin"], create["operation"]) == (plugin, "tasks.create")
        assert entry["type_hierarchy"][0] == "cloudify.nodes.Root"
    assert [e[2] for e in imported(result.plan, bp.root)] == [None, "a", "b", None]


def test_nested_namespaces_and_namespaced_templates(bp):
    result = bp({
        "blueprint.yaml": blueprint(
            """\
            node_templates:
              app:
                type: cloudify.nodes.Root
                relationships:
                  - type: cloudify.relationships.depends_on
                    target: outer--lib_node
            """, "outer--lib.yaml"),
        "lib.yaml": """\
            imports:
              - types.yaml
              - inner--plug.yaml
            inputs:
              lib_in:
                default: x
            node_templates:
              lib_node:
                type: inner--my.nodes.Thing
                properties: {}
            """,
        "plug.yaml": PLUG,
    })
    assert result.ok, result.problems
    lib_node = node(result.plan, "outer--lib_node")
    assert lib_node["type"] == "outer--inner--my.nodes.Thing"
    create = lib_node["operations"]["cloudify.interfaces.lifecycle.create"]
    assert create["plugin"] == "outer--inner--myplugin"
    # types.yaml imported by the namespaced library keeps no namespace (and is merged once)
    assert [e[1:3] for e in imported(result.plan, bp.root)] == [
        ("types.yaml", None), ("lib.yaml", "outer"), ("plug.yaml", "outer--inner")]


def test_a_namespaced_file_cannot_reach_the_basic_script_plugin(bp):
    result = bp({
        "blueprint.yaml": blueprint("", "z--lib.yaml"),
        "lib.yaml": """\
            node_types:
              lib.T:
                derived_from: cloudify.nodes.Root
                interfaces:
                  cloudify.interfaces.lifecycle:
                    create: script.script_runner.tasks.run
            node_templates:
              n:
                type: lib.T
            """,
    })
    # `create` became z--script.script_runner.tasks.run, which names no declared plugin
    assert [p.code for p in result.problems] == ["operation-unmapped"]


# --- import rules -----------------------------------------------------------------------------

MIRRORED = "http://www.getcloudify.org/spec/cloudify/6.4.0/types.yaml"


@pytest.mark.parametrize("rules_text", [
    "rules:\n  - 'http://www.getcloudify.org/spec/cloudify/6.4.0/': mirror/\n",
    "import_resolver:\n  parameters:\n    rules:\n"
    "      - 'http://www.getcloudify.org/spec/cloudify/6.4.0/': mirror/\n",
], ids=["rules", "import_resolver"])
def test_import_rules_in_both_shapes_with_a_relative_replacement(bp, tmp_path, rules_text):
    write_tree(tmp_path / "conf", {
        "rules.yaml": rules_text,
        "mirror/types.yaml": "imports: [extra.yaml]\n" + BASIC_TYPES,
        "mirror/extra.yaml": thing_type("extra.T"),
    })
    rules = load_import_rules(tmp_path / "conf" / "rules.yaml")
    assert rules == [("http://www.getcloudify.org/spec/cloudify/6.4.0/", str(tmp_path / "conf" / "mirror") + "/")]
    result = bp({"blueprint.yaml": f"tosca_definitions_version: cloudify_dsl_1_4\nimports: ['{MIRRORED}']\n"},
                types=False, import_rules=tmp_path / "conf" / "rules.yaml")
    assert result.ok, result.problems
    # the nested relative import is resolved against the original URL, so the rule applies again
    assert imported(result.plan, tmp_path) == [
        (MIRRORED, "conf/mirror/types.yaml", None, "rule"),
        ("extra.yaml", "conf/mirror/extra.yaml", None, "rule"),
    ]


def test_import_rules_given_as_pairs_and_a_url_without_a_rule(bp, tmp_path):
    write_tree(tmp_path, {"mirror/types.yaml": BASIC_TYPES})
    rules = [("http://www.getcloudify.org/spec/cloudify/6.4.0/", str(tmp_path / "mirror") + "/")]
    result = bp({"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports:\n"
                                   f"  - '{MIRRORED}'\n  - http://example.com/other.yaml\n"},
                types=False, import_rules=rules)
    assert places(result, tmp_path) == [("import-offline", "blueprint.yaml", 4, 5)]


def test_resource_rules_answer_relative_imports_found_nowhere_else(bp, tmp_path):
    write_tree(tmp_path / "res", {"types.yaml": BASIC_TYPES})
    result = bp({"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports: [types.yaml]\n"},
                types=False, import_rules=[("resource:", str(tmp_path / "res") + "/")])
    assert result.ok, result.problems
    assert imported(result.plan, tmp_path) == [("types.yaml", "res/types.yaml", None, "rule")]


@pytest.mark.parametrize("text", ["rules: {a: b}\n", "rules:\n  - {a: b, c: d}\n", "other: 1\n"])
def test_malformed_rules_files_are_refused(tmp_path, text):
    (tmp_path / "rules.yaml").write_text(text)
    with pytest.raises(ValueError):
        load_import_rules(tmp_path / "rules.yaml")


@pytest.mark.parametrize("read", [load_import_rules, load_blueprint_catalog])
def test_a_settings_file_that_is_not_yaml_is_refused_with_its_place(tmp_path, read):
    (tmp_path / "settings.yaml").write_text("# rules\nrules:\n  - {a: b\n")
    with pytest.raises(ValueError, match=r"settings\.yaml:4:1: invalid YAML: "):
        read(tmp_path / "settings.yaml")


def test_settings_files_are_read_as_pyyaml_reads_them(tmp_path):
    """Duplicate keys keep the last value (as before, no error), anchors and merge keys work."""
    (tmp_path / "rules.yaml").write_text("base: &b {'http://x/': 'y/'}\nrules:\n  - *b\n  - {'a:': '/abs/'}\n"
                                         "  - {'a:': '/last/'}\n")
    assert load_import_rules(tmp_path / "rules.yaml") == [("http://x/", str(tmp_path / "y") + "/"),
                                                          ("a:", "/abs/"), ("a:", "/last/")]
    (tmp_path / "catalog.yaml").write_text("one: a/blueprint.yaml\none: b/blueprint.yaml\n")
    assert load_blueprint_catalog(tmp_path / "catalog.yaml") == {"one": str(tmp_path / "b" / "blueprint.yaml")}


def test_settings_files_may_name_urls_and_paths_that_are_not_ascii(tmp_path):
    (tmp_path / "rules.yaml").write_text("rules:\n  - {'http://x/é/': '/données/'}\n", encoding="utf-8")
    assert load_import_rules(tmp_path / "rules.yaml") == [("http://x/é/", "/données/")]
    (tmp_path / "catalog.yaml").write_text("über: ü/blueprint.yaml\n", encoding="utf-8")
    assert load_blueprint_catalog(tmp_path / "catalog.yaml") == {"über": str(tmp_path / "ü" / "blueprint.yaml")}


def test_cache_answers_urls_offline(bp, tmp_path):
    from resolver.cache import Cache

    Cache(tmp_path / "cache").put(MIRRORED, BASIC_TYPES.encode())
    result = bp({"blueprint.yaml": f"tosca_definitions_version: cloudify_dsl_1_4\nimports: ['{MIRRORED}']\n"},
                types=False, cache_dir=tmp_path / "cache")
    assert result.ok, result.problems
    assert result.plan["imports"][0]["via"] == "cache"


# --- blueprint: imports and the catalog -------------------------------------------------------

SHARED = """\
tosca_definitions_version: cloudify_dsl_1_4
imports: [types.yaml, newer.yaml]
inputs:
  size:
    default: 1
node_templates:
  db:
    type: cloudify.nodes.Root
"""


@pytest.mark.parametrize("shape", ["folder", "file"])
def test_blueprint_catalog_in_both_shapes(bp, tmp_path, shape):
    write_tree(tmp_path / "catalog", {"shared/blueprint.yaml": SHARED, "shared/types.yaml": BASIC_TYPES,
                                      "shared/newer.yaml": "tosca_definitions_version: cloudify_dsl_1_5\n",
                                      "ids.yaml": "shared: shared/blueprint.yaml\n"})
    catalog = tmp_path / "catalog" if shape == "folder" else tmp_path / "catalog" / "ids.yaml"
    assert load_blueprint_catalog(catalog) == {"shared": str(tmp_path / "catalog" / "shared" / "blueprint.yaml")}
    result = bp({"blueprint.yaml": blueprint(
        """\
        node_templates:
          app:
            type: cloudify.nodes.Root
            relationships:
              - type: cloudify.relationships.depends_on
                target: sh--db
        """, "sh--blueprint:shared")}, blueprint_catalog=catalog)
    # the catalog blueprint imports a 1_5 file under a 1_4 main: a manager merges a catalog
    # blueprint's imports with version checks off
    assert result.ok, result.problems
    assert [n["id"] for n in result.plan["nodes"]] == ["app", "sh--db"]
    entry = result.plan["imports"][1]
    assert (entry["blueprint_id"], entry["namespace"], entry["via"]) == ("shared", "sh", "catalog")


def test_a_catalog_blueprint_newer_than_the_main_one(bp, tmp_path):
    # the manager checks the merged catalog blueprint's version (its own) against the main one: 28
    write_tree(tmp_path / "catalog", {"shared/blueprint.yaml": SHARED.replace("1_4", "1_5"),
                                      "shared/types.yaml": BASIC_TYPES, "shared/newer.yaml": "",
                                      "ids.yaml": "shared: shared/blueprint.yaml\n"})
    result = bp({"blueprint.yaml": blueprint("", "sh--blueprint:shared")}, blueprint_catalog=tmp_path / "catalog")
    assert [(p.code, p.ref_code, p.line) for p in result.problems if p.is_error] == \
        [("dsl-version-import-newer", 28, 1)]


def test_a16_a_blueprint_import_needs_a_namespace(bp):
    result = bp({"blueprint.yaml": blueprint("", "blueprint:shared")})
    assert places(result, bp.root) == [("import-blueprint-needs-namespace", "blueprint.yaml", 4, 5)]


def test_a_blueprint_id_missing_from_the_catalog(bp):
    result = bp({"blueprint.yaml": blueprint("", "sh--blueprint:nope")})
    assert places(result, bp.root) == [("blueprint-not-found", "blueprint.yaml", 4, 5)]


def test_two_blueprint_imports_under_one_namespace(bp, tmp_path):
    write_tree(tmp_path / "catalog", {"one/blueprint.yaml": "", "two/blueprint.yaml": ""})
    result = bp({"blueprint.yaml": blueprint("", "sh--blueprint:one", "sh--blueprint:two")},
                blueprint_catalog=tmp_path / "catalog")
    assert places(result, tmp_path) == [("import-blueprint-namespace-reused", "blueprint.yaml", 5, 5)]


# --- import properties (DSL 1_5) --------------------------------------------------------------

PROPS_PLUGIN = """\
plugins:
  demo:
    executor: central_deployment_agent
    package_name: demo-plugin
    properties:
      retries:
        type: integer
      region:
        type: string
"""


def props_blueprint(version: str, entry: str) -> str:
    return f"tosca_definitions_version: {version}\nimports:\n{entry}"


def test_a19_wrong_and_unknown_import_properties_are_one_problem(bp):
    registry = MemoryRegistry({"demo-plugin": {"1.0": {"plugin.yaml": PROPS_PLUGIN}}})
    result = bp({"blueprint.yaml": props_blueprint(
        "cloudify_dsl_1_5", "  - plugin:demo-plugin:\n      retries: '3'\n      bogus: 1\n")},
        registries=[registry])
    assert places(result, bp.root) == [("import-properties-mismatch", "blueprint.yaml", 3, 5)]


def test_matching_import_properties_are_accepted(bp):
    registry = MemoryRegistry({"demo-plugin": {"1.0": {"plugin.yaml": PROPS_PLUGIN}}})
    result = bp({"blueprint.yaml": props_blueprint(
        "cloudify_dsl_1_5", "  - plugin:demo-plugin:\n      retries: 3\n      region: {get_secret: r}\n")},
        registries=[registry])
    assert result.ok, result.problems


def test_a20_import_properties_below_1_5(bp):
    registry = MemoryRegistry({"demo-plugin": {"1.0": {"plugin.yaml": PROPS_PLUGIN.split("    properties:")[0]}}})
    result = bp({"blueprint.yaml": props_blueprint(
        "cloudify_dsl_1_4", "  - plugin:demo-plugin:\n      retries: 3\n")}, registries=[registry])
    assert places(result, bp.root) == [("feature-version", "blueprint.yaml", 3, 5)]


def test_an_import_with_properties_must_have_one_key(bp):
    result = bp({"blueprint.yaml": props_blueprint(
        "cloudify_dsl_1_5", "  - {a.yaml: {x: 1}, b.yaml: {y: 2}}\n")})
    assert places(result, bp.root) == [("import-properties-invalid", "blueprint.yaml", 3, 5)]


# --- cycles through namespaces ----------------------------------------------------------------


@pytest.fixture
def bounded_walk(monkeypatch):
    """Make an endless import walk fail fast: more than 100 import look-ups is a runaway."""
    from resolver.imports import ImportWalker

    original = ImportWalker._resolve
    calls = []

    def counted(self, current, spec):
        calls.append(spec.written)
        if len(calls) > 100:
            raise RuntimeError("the import walk does not end")
        return original(self, current, spec)

    monkeypatch.setattr(ImportWalker, "_resolve", counted)
    return calls


@pytest.mark.parametrize("files", [
    {"lib.yaml": "imports: [ns--lib.yaml]\n"},
    {"lib.yaml": "imports: [x--other.yaml]\n", "other.yaml": "imports: [lib.yaml]\n"},
], ids=["self-under-namespace", "through-a-namespaced-file"])
def test_a_cycle_through_a_namespace_ends(bp, bounded_walk, files):
    result = bp({"blueprint.yaml": blueprint("", "lib.yaml"), **files})
    assert "internal-error" not in [p.code for p in result.problems]
    assert len(bounded_walk) < 20


@pytest.mark.parametrize("count, extra, too_deep", [(4, 0, False), (4, 1, False), (5, 0, True)])
def test_a_derived_from_chain_across_files_is_bounded(tmp_path, count, extra, too_deep):
    # a chain of `count` data types, the first two in lib.yaml, and `extra` unrelated ones: with
    # no more types than the bound no chain can pass it; with more, only the chain's length counts
    chain = [f"d{i}" for i in range(count)]
    types = {name: {"derived_from": chain[i - 1]} if i else {} for i, name in enumerate(chain)}
    types.update({f"other{i}": {} for i in range(extra)})
    lib, own = dict(list(types.items())[:2]), dict(list(types.items())[2:])
    root = write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "lib.yaml": f"data_types: {lib}\n",
        "blueprint.yaml": blueprint(f"data_types: {own}\nnode_templates: {{}}\n", "lib.yaml"),
    })
    result = Resolver(options=Options(limits=Limits(max_type_depth=4))).resolve(root / "blueprint.yaml")
    assert [p.code for p in result.problems if p.code == "type-hierarchy-too-deep"] == (
        ["type-hierarchy-too-deep"] if too_deep else [])


def test_the_loader_reads_a_file_as_text_mode_reads_it_within_its_bound(tmp_path):
    path = tmp_path / "newlines.yaml"
    path.write_bytes("a: 1\r\nb: \u00e9\rc: 3\n".encode("utf-8"))  # 17 bytes
    assert FileLoader(limits=Limits(max_file_size=17)).fetch(str(path), None, None).text == \
        path.read_text(encoding="utf-8")
    with pytest.raises(FetchError) as refused:
        FileLoader(limits=Limits(max_file_size=16)).fetch(str(path), None, None)
    assert refused.value.code == "file-too-large" and "17 bytes" in refused.value.reason


def test_a_file_that_grew_after_its_stat_is_read_whole_and_still_bounded(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from resolver import sources

    path = tmp_path / "growing.yaml"
    path.write_bytes(b"x" * 20)
    real_fstat = os.fstat
    # the status taken before the file grew by 5 bytes
    monkeypatch.setattr(sources.os, "fstat", lambda fd: SimpleNamespace(
        st_mode=real_fstat(fd).st_mode, st_size=real_fstat(fd).st_size - 5))
    assert sources._read_bounded(str(path), 100)[0] == b"x" * 20
    with pytest.raises(sources._TooLarge) as grown:
        sources._read_bounded(str(path), 17)
    assert grown.value.size == 18  # read up to one byte past the bound, no further


@pytest.mark.skipif(os.name != "posix", reason="open refuses a folder with another error elsewhere")
def test_the_loader_refuses_a_folder_as_open_refuses_it(tmp_path):
    from resolver.sources import _read_bounded

    with pytest.raises(IsADirectoryError) as theirs:
        open(tmp_path, "rb")
    with pytest.raises(IsADirectoryError) as mine:
        _read_bounded(str(tmp_path), 0)  # whatever the folder's size
    assert mine.value.strerror == theirs.value.strerror


def test_a_session_works_a_text_digest_out_once_and_for_that_text_alone():
    cache = ParseCache(max_chars=20)
    first, second = "a: 1\n", "a: 2\n"  # as long as each other: only the text tells them apart
    assert cache.digest(first) == text_sha256(first)
    assert cache.digest(second) == text_sha256(second) != text_sha256(first)
    assert cache.digest("a: 1\n") == text_sha256(first)  # an equal text read again
    big = "b: 1\n" * 10  # over the bound: worked out, not kept
    assert cache.digest(big) == text_sha256(big)
    assert big not in cache._digests.keys()


def test_a_walk_hashes_its_texts_only_once_its_lock_terms_are_asked_for(tmp_path, monkeypatch):
    hashed = []
    monkeypatch.setattr(imports_module, "text_sha256", lambda text: hashed.append(text) or text_sha256(text))
    root = write_tree(tmp_path, {"types.yaml": BASIC_TYPES, "lib/lib.yaml": thing_type("lib.T"),
                                 "bp/blueprint.yaml": blueprint("", "../lib/lib.yaml", "ns--../lib/lib.yaml")})
    result = Resolver(search_paths=[root]).resolve(root / "bp" / "blueprint.yaml")
    assert result.ok, result.problems
    assert hashed == []  # no lock written or checked: nothing hashed, nothing named for it
    texts = {name: (root / path).read_text(encoding="utf-8") for name, path in
             (("blueprint.yaml", "bp/blueprint.yaml"), ("../types.yaml", "types.yaml"),
              ("../lib/lib.yaml", "lib/lib.yaml"))}
    assert result.imports.reads == {name: text_sha256(text) for name, text in texts.items()}
    assert [(a.importer, a.written, a.namespace, a.resolved, a.sha256) for a in result.imports.answers] == [
        ("blueprint.yaml", "types.yaml", None, "../types.yaml", text_sha256(texts["../types.yaml"])),
        ("blueprint.yaml", "../lib/lib.yaml", None, "../lib/lib.yaml", text_sha256(texts["../lib/lib.yaml"])),
        ("blueprint.yaml", "ns--../lib/lib.yaml", "ns", "../lib/lib.yaml", text_sha256(texts["../lib/lib.yaml"]))]
    assert sorted(hashed) == sorted(texts.values())  # each text once, lib.yaml's read twice included
    assert result.imports.answers is result.imports.answers  # made once


def test_a_walk_hashes_a_text_too_long_to_hold_as_it_meets_it_and_holds_only_its_digest(tmp_path, monkeypatch):
    root = write_tree(tmp_path, {"types.yaml": BASIC_TYPES, "lib/lib.yaml": thing_type("lib.T"),
                                 "bp/blueprint.yaml": blueprint("", "../lib/lib.yaml")})
    texts = {name: (root / path).read_text(encoding="utf-8") for name, path in
             (("blueprint.yaml", "bp/blueprint.yaml"), ("../types.yaml", "types.yaml"),
              ("../lib/lib.yaml", "lib/lib.yaml"))}
    longest = max(map(len, texts.values()))
    monkeypatch.setattr(imports_module, "HELD_TEXT", longest - 1)  # the longest text alone is over it
    hashed = []
    monkeypatch.setattr(imports_module, "text_sha256", lambda text: hashed.append(text) or text_sha256(text))
    result = Resolver(search_paths=[root]).resolve(root / "bp" / "blueprint.yaml")
    assert result.ok, result.problems
    long_text = next(text for text in texts.values() if len(text) == longest)
    assert hashed == [long_text] * hashed.count(long_text) != []  # the long one at once, the others not yet
    held = [entry[1] for entry in result.imports.trail._reads] + [entry[0] for entry in result.imports.trail._answers]
    assert long_text not in held and all(not isinstance(kept, str) or len(kept) < longest for kept in held)
    assert result.imports.reads == {name: text_sha256(text) for name, text in texts.items()}
    assert {a.resolved: a.sha256 for a in result.imports.answers} == {
        name: text_sha256(text) for name, text in texts.items() if name != "blueprint.yaml"}


class _RelativeLoader:
    """Names the main blueprint by a path relative to the working folder, its imports absolute:
    the lock names the imports relative to that folder, which a later working folder changes."""

    def __init__(self, root):
        self.root = root

    def fetch(self, ref, parent, dsl_short):
        path = os.path.join(self.root, "types.yaml") if parent is not None else os.path.relpath(ref)
        return Fetched(identity=path, shown=path, text=open(path, encoding="utf-8").read(), via="file",
                       resolved=path)

    def fetch_blueprint(self, blueprint_id):
        raise FetchError("no catalog")

    def resource_exists(self, base, relative):
        return False


def test_a_walk_from_a_relative_folder_names_its_files_at_once(tmp_path, monkeypatch):
    root = write_tree(tmp_path, {"types.yaml": BASIC_TYPES, "bp/blueprint.yaml": blueprint()})
    monkeypatch.chdir(root)
    result = Resolver(loader=_RelativeLoader(str(root))).resolve("bp/blueprint.yaml")
    assert result.ok, result.problems
    named_here = file_key(str(root / "types.yaml"), "bp")
    assert named_here == "../types.yaml"
    monkeypatch.chdir(root / "bp")  # from here, "bp" names another folder
    assert file_key(str(root / "types.yaml"), "bp") != named_here
    assert result.imports.reads == {"bp/blueprint.yaml": text_sha256(blueprint()), named_here: text_sha256(BASIC_TYPES)}
    assert result.imports.answers[0].resolved == named_here


def test_a_transform_works_on_a_kept_load_that_found_nothing(monkeypatch):
    # a plugin's DSL 1_3 form of a text kept as it is: not loaded again, and the same as loaded
    # afresh; a text whose load found something is loaded again, so the transform's parse reports it
    from resolver import imports
    from resolver.backcompat import derive_plugin_1_3
    from resolver.load import load_yaml
    from resolver.schema import PLUGIN

    loads = []

    def counted(text, *rest):
        loads.append(text)
        return load_yaml(text, *rest)

    monkeypatch.setattr(imports, "load_yaml", counted)
    clean = "node_types:\n  demo.T:\n    properties:\n      x: {type: node_id}\n"
    faulty = clean + "node_types: {}\n"  # a duplicate key
    for text in (clean, faulty):
        cache, fresh = ParseCache(), ParseCache()
        cache.parse(text, "p.yaml", None, PLUGIN)
        doc, problems = cache.parse(text, "p.yaml", derive_plugin_1_3, PLUGIN)
        alone, alone_problems = fresh.parse(text, "p.yaml", derive_plugin_1_3, PLUGIN)
        assert doc == alone and doc.key_mark("node_types") == alone.key_mark("node_types")
        assert problems == alone_problems and bool(problems) == (text is faulty)
        if text is clean:
            assert doc["node_types"]["demo.T"]["properties"]["x"] == {"type": "string"}
    assert loads == [clean, clean, faulty, faulty, faulty]


class _KeptListing(MemoryRegistry):
    """A registry that keeps each package's listing (the same tuple) until told its store changed."""

    def __init__(self, packages: dict) -> None:
        super().__init__(packages)
        self._listed: dict = {}

    def versions(self, package_name: str):
        if package_name not in self._listed:
            self._listed[package_name] = super().versions(package_name)
        return self._listed[package_name]

    def changed(self, packages: dict) -> None:
        self._packages, self._listed = packages, {}


def test_a_session_chooses_once_per_import_line_and_listing(tmp_path):
    registry = _KeptListing({"demo-plugin": {v: {"plugin.yaml": PROPS_PLUGIN} for v in ("1.0", "2.0")}})
    root = write_tree(tmp_path, {
        "pinned.yaml": props_blueprint("cloudify_dsl_1_5", "  - plugin:demo-plugin?version=1.0\n"),
        "newest.yaml": props_blueprint("cloudify_dsl_1_5", "  - plugin:demo-plugin\n"),
    })
    session = Resolver(registries=[registry])

    def chosen(main):
        result = session.resolve(root / main)
        assert result.ok, result.problems
        return [answer["package_version"] for answer in result.plan["imports"]]

    assert chosen("pinned.yaml") == ["1.0"]
    assert chosen("newest.yaml") == ["2.0"]  # another line: its own choice
    assert chosen("pinned.yaml") == ["1.0"]
    registry.changed({"demo-plugin": {v: {"plugin.yaml": PROPS_PLUGIN} for v in ("1.0", "2.0", "3.0")}})
    assert chosen("newest.yaml") == ["3.0"]  # another listing: chosen again


def test_a_session_bounds_type_depth_for_each_blueprint_s_own_files(tmp_path):
    # one shared chain of four data types (and another type, past the bound of 4 in count): one
    # blueprint adds a fifth link to the chain, the other a type of its own
    lib = {f"d{i}": {"derived_from": f"d{i - 1}"} if i else {} for i in range(4)}
    lib["other"] = {}
    root = write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "lib.yaml": f"data_types: {lib}\n",
        "short.yaml": blueprint("data_types: {e0: {}}\nnode_templates: {}\n", "lib.yaml"),
        "long.yaml": blueprint("data_types: {d4: {derived_from: d3}}\nnode_templates: {}\n", "lib.yaml"),
    })
    session = Resolver(options=Options(limits=Limits(max_type_depth=4)))
    for main, too_deep in (("short.yaml", False), ("long.yaml", True), ("short.yaml", False), ("long.yaml", True)):
        codes = [p.code for p in session.resolve(root / main).problems]
        assert ("type-hierarchy-too-deep" in codes) == too_deep, (main, codes)


def test_a_file_key_is_the_path_from_the_blueprint_folder_it_is_asked_for():
    # remembered by path and folder: the same file is named from each blueprint's own folder
    from resolver.imports import file_key

    assert file_key("/p/a/lib/x.yaml", "/p/a") == "lib/x.yaml"
    assert file_key("/p/a/lib/x.yaml", "/p/b") == "../a/lib/x.yaml"
    assert file_key("/p/a/lib/x.yaml", "/p/a/lib") == "x.yaml"
    assert file_key("https://example.org/x.yaml", "/p/a") == "https://example.org/x.yaml"


def test_a_file_key_from_a_relative_folder_is_named_from_the_working_folder(tmp_path, monkeypatch):
    # a walk's keys_from remembers the names from an absolute folder only: from a relative one the
    # same two texts name the file differently from each working folder
    from resolver.imports import file_key, keys_from

    (tmp_path / "b").mkdir()
    identity = str(tmp_path / "a" / "x.yaml")
    for cwd, expected in ((tmp_path, "x.yaml"), (tmp_path / "b", "../../a/x.yaml"), (tmp_path, "x.yaml")):
        monkeypatch.chdir(cwd)
        assert keys_from("a")(identity) == file_key(identity, "a") == expected
    assert keys_from(str(tmp_path / "b"))(identity) == "../a/x.yaml"


@pytest.mark.parametrize("folder", ["/", "/a", "/a/", "/a/b", "/a/./b", "/a//b", "a", "a/b", ".", "/c/d", "/a/bb",
                                    "//a", "/a/b/c/d", "/a/b/..", "/x/../a"])
def test_a_path_below_a_folder_is_named_as_relpath_names_it(folder):
    # sources.relative_below reads a path below a folder off its text: whatever the path's and
    # the folder's spelling, it says what os.path.relpath says
    from resolver.sources import relative_below

    for base in ("/a/b", "/a", "/", "a/b", "a", "//a", "/c/d/e", "/a/bb/c"):
        for rest in ("x", "x/y", "../x", "./x", "x/../y", "x//y", "x/", "..x", "...", ".", "..", "b", "b/c", "bb"):
            path = base.rstrip("/") + "/" + rest
            assert relative_below(path, folder) == os.path.relpath(path, folder), (path, folder)
        assert relative_below(base, folder) == os.path.relpath(base, folder), (base, folder)


def test_a_session_parses_a_text_once_for_every_identity_and_apart_for_each_path_shown(tmp_path):
    # one local file answers both URLs (the import rules): one parse, one document for both; an
    # equal text in another file is its own document, whose problems point at that file
    fault = "inputs: [not a mapping]\n"
    write_tree(tmp_path, {
        "mirror/lib.yaml": thing_type("lib.T"), "a.yaml": fault, "b.yaml": fault,
        "http.yaml": blueprint("", "http://example.org/lib.yaml"),
        "https.yaml": blueprint("", "https://example.org/lib.yaml"),
        "both.yaml": blueprint("", "a.yaml", "b.yaml"),
    })
    write_tree(tmp_path, {"types.yaml": BASIC_TYPES})
    session = Resolver(registries=[], import_rules=[(f"{scheme}://example.org/", str(tmp_path / "mirror") + "/")
                                                    for scheme in ("http", "https")])

    def lib(main):
        result = session.resolve(tmp_path / main)
        assert result.ok, result.problems
        (source,) = [f for f in result.imports.files if f.identity.endswith("//example.org/lib.yaml")]
        return source

    http, https = lib("http.yaml"), lib("https.yaml")
    assert (http.identity, https.identity) == ("http://example.org/lib.yaml", "https://example.org/lib.yaml")
    assert https.doc is http.doc
    both = session.resolve(tmp_path / "both.yaml")
    assert sorted(os.path.basename(p.file) for p in both.problems if p.code == "schema-wrong-type") == [
        "a.yaml", "b.yaml"]


def test_a_session_s_plugin_choice_names_the_registry_as_its_loader_shows_it(tmp_path):
    # the choice is made once per import line and listing, with its candidates naming their
    # registry as the loader shows paths: a loader showing them from another folder gets its own
    write_tree(tmp_path, {"work/plugins/demo-plugin/1.0/plugin.yaml": PROPS_PLUGIN,
                          "work/blueprint.yaml": props_blueprint("cloudify_dsl_1_5", "  - plugin:demo-plugin\n")})
    session = Resolver(registries=[str(tmp_path / "work" / "plugins")], options=Options(allow_outside=True))

    def registries(cwd):
        session.loader = FileLoader(cwd=str(cwd))
        result = session.resolve(tmp_path / "work" / "blueprint.yaml")
        assert result.ok, result.problems
        (entry,) = result.plan["imports"]
        return {c["registry"] for c in entry["candidates"]}

    assert registries(tmp_path / "work") == {"plugins"}
    assert registries(tmp_path) == {os.path.join("work", "plugins")}
    assert registries(tmp_path / "work") == {"plugins"}
