"""Cloudify's types from registries and the cache: `cloudify/types/<file>` (the manager's
resources path, chosen by `--manager-version` or the newest held) and the spec-site URLs.

References: SPEC §2.3 (candidate order: importer's folder, search paths, resources; the
`types_<dsl>.yaml` variant first), REGISTRY.md §1.7, resolver/types.py's module doc.
"""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from resolver import MemoryRegistry, Options, Resolver
from resolver.report import render
from resolver.sources import resource_types_file, spec_types_url
from resolver.types import DEFAULT_MANAGER_VERSION, TYPES_PACKAGE, CloudifyTypes

from .conftest import BASIC_TYPES, REPO, only, write_tree
from .proxy import proxy
from .servers import text_reply

REPORT_SCHEMA = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))


def main(version: str = "cloudify_dsl_1_4", ref: str = "cloudify/types/types.yaml") -> str:
    return (f"tosca_definitions_version: {version}\nimports:\n  - {ref}\n"
            "node_templates:\n  vm:\n    type: cloudify.nodes.Compute\n")


def types_registry(root: Path, versions: dict[str, tuple[str, ...]]) -> Path:
    """A directory registry holding `cloudify-types/<version>/<files>` (each a usable types file)."""
    write_tree(root, {f"{TYPES_PACKAGE}/{version}/{name}": BASIC_TYPES
                      for version, names in versions.items() for name in names})
    return root


def types_entry(result) -> dict:
    assert result.ok, [(p.code, p.message) for p in result.problems]
    (entry,) = [e for e in result.plan["imports"] if "types_version" in e]
    return entry


def resolve(tmp_path, text: str, **session):
    write_tree(tmp_path / "bp", {"blueprint.yaml": text})
    session.setdefault("registries", [])
    return Resolver(**session).resolve(tmp_path / "bp" / "blueprint.yaml")


# --- recognising the two forms -----------------------------------------------------------------


@pytest.mark.parametrize("url, expected", [
    ("http://www.getcloudify.org/spec/cloudify/6.4.0/types.yaml", ("6.4.0", "types.yaml")),
    ("https://getcloudify.org/spec/cloudify/4.5.5/types.yaml", ("4.5.5", "types.yaml")),
    ("https://cloudify.co/spec/cloudify/7.0.0/types_1_4.yaml", ("7.0.0", "types_1_4.yaml")),
    ("http://WWW.CLOUDIFY.CO/spec/cloudify/7.1.0.dev1/types.yaml", ("7.1.0.dev1", "types.yaml")),
    # a plugin's legacy URL, another site, a typo'd suffix and a query are not the types
    ("http://www.getcloudify.org/spec/openstack-plugin/2.4.1/plugin.yaml", None),
    ("https://example.com/spec/cloudify/6.4.0/types.yaml", None),
    ("http://www.getcloudify.org/spec/cloudify/4.5.5/types.yamls", None),
    ("https://cloudify.co/spec/cloudify/6.4.0/types.yaml?x=1", None),
    ("https://cloudify.co/spec/cloudify/6.4.0/sub/types.yaml", None),
])
def test_spec_urls(url, expected):
    assert spec_types_url(url) == expected


@pytest.mark.parametrize("ref, expected", [
    ("cloudify/types/types.yaml", "types.yaml"),
    ("./cloudify/types/types.yaml", "types.yaml"),
    ("/cloudify/types/types_1_3.yaml", "types_1_3.yaml"),
    ("cloudify/types/types_1_4.yaml", "types_1_4.yaml"),
    ("types.yaml", None),
    ("cloudify/types/other.yaml", None),
    ("my/cloudify/types/types.yaml", None),
    ("cloudify/types/../types/types.yaml", "types.yaml"),
])
def test_resource_references(ref, expected):
    assert resource_types_file(ref) == expected


# --- which version the resources path means ---------------------------------------------------------


def memory_types(*versions: str) -> MemoryRegistry:
    return MemoryRegistry({TYPES_PACKAGE: {v: {"types.yaml": BASIC_TYPES} for v in versions}}, name="mem")


@pytest.mark.parametrize("held, expected", [
    (["6.4.0", "7.0.0", "5.0.5"], "7.0.0"),
    (["4.5.5", "4.10"], "4.10"),  # versions, not strings
    (["6.4.0", "7.1.0.dev1"], "6.4.0"),  # a final release wins over a newer pre-release
    (["7.1.0.dev1", "7.0.0rc1"], "7.1.0.dev1"),  # only pre-releases: the newest of them
    (["not-a-version"], None),
    ([], None),
])
def test_newest_held(held, expected):
    assert CloudifyTypes([memory_types(*held)]).newest_held() == expected


def test_newest_held_equal_versions_first_registry_spelling_wins():
    assert CloudifyTypes([memory_types("7.0"), memory_types("7.0.0")]).newest_held() == "7.0"
    assert CloudifyTypes([memory_types("7.0.0"), memory_types("7.0")]).newest_held() == "7.0.0"


class Refusing:
    """A remote-like registry: asking it for anything fails the test."""

    name = "remote"

    def packages(self):
        raise AssertionError("types must not be asked of a remote registry")

    versions = read = packages


def test_only_local_registries_are_asked_for_types(tmp_path):
    reg = types_registry(tmp_path / "reg", {"7.0.0": ("types.yaml",)})
    from resolver.registry import DirectoryRegistry

    session = Resolver(registries=[Refusing(), DirectoryRegistry(reg)])
    result = session.resolve(write_tree(tmp_path / "bp", {"blueprint.yaml": main()}) / "blueprint.yaml")
    assert types_entry(result)["types_version"] == "7.0.0"


@pytest.mark.parametrize("dsl, held_files, expected_file", [
    ("cloudify_dsl_1_4", ("types.yaml", "types_1_3.yaml", "types_1_4.yaml"), "types_1_4.yaml"),
    ("cloudify_dsl_1_3", ("types.yaml", "types_1_3.yaml", "types_1_4.yaml"), "types_1_3.yaml"),
    ("cloudify_dsl_1_5", ("types.yaml", "types_1_3.yaml", "types_1_4.yaml"), "types.yaml"),
    ("cloudify_dsl_1_4", ("types.yaml",), "types.yaml"),
])
def test_resources_path_prefers_the_dsl_variant(tmp_path, dsl, held_files, expected_file):
    reg = types_registry(tmp_path / "reg", {"7.0.0": held_files})
    entry = types_entry(resolve(tmp_path, main(dsl), registries=[reg]))
    assert entry["resolved"].endswith(f"{TYPES_PACKAGE}/7.0.0/{expected_file}")
    assert entry["types_version"] == "7.0.0"


def test_resources_path_newest_held_by_default_and_manager_version_overrides(tmp_path):
    reg = types_registry(tmp_path / "reg", {"6.4.0": ("types.yaml",), "7.0.0": ("types.yaml",),
                                            "7.1.0.dev1": ("types.yaml",)})
    assert types_entry(resolve(tmp_path, main(), registries=[reg]))["types_version"] == "7.0.0"
    chosen = resolve(tmp_path, main(), registries=[reg], options=Options(manager_version="6.4.0"))
    assert types_entry(chosen)["types_version"] == "6.4.0"
    # `7.0` names the held `7.0.0`: versions compare as versions
    same = resolve(tmp_path, main(), registries=[reg], options=Options(manager_version="7.0"))
    assert types_entry(same)["resolved"].endswith(f"{TYPES_PACKAGE}/7.0.0/types.yaml")


def test_manager_version_not_held_offline_is_import_offline_at_the_import(tmp_path):
    reg = types_registry(tmp_path / "reg", {"7.0.0": ("types.yaml",)})
    result = resolve(tmp_path, main(), registries=[reg], options=Options(manager_version="5.0.5"))
    problem = only(result, "import-offline")
    assert (Path(problem.file).name, problem.line, problem.column) == ("blueprint.yaml", 3, 5)
    assert "5.0.5" in problem.message and "--manager-version" in problem.message


def test_nothing_held_offline_names_the_default_version(tmp_path):
    result = resolve(tmp_path, main(), cache_dir=tmp_path / "cache")
    problem = only(result, "import-offline")
    assert DEFAULT_MANAGER_VERSION in problem.message
    assert f"https://cloudify.co/spec/cloudify/{DEFAULT_MANAGER_VERSION}/types_1_4.yaml" in problem.hint


# --- the reference's candidate order: the types are the last place -------------------------------------


def test_a_file_beside_the_blueprint_or_on_a_search_path_wins_over_the_registry(tmp_path):
    reg = types_registry(tmp_path / "reg", {"7.0.0": ("types.yaml",)})
    write_tree(tmp_path / "bp", {"cloudify/types/types.yaml": BASIC_TYPES})
    beside = resolve(tmp_path, main(), registries=[reg])
    assert [(e["via"], e["resolved"]) for e in beside.plan["imports"]] == [
        ("file", str(tmp_path / "bp" / "cloudify" / "types" / "types.yaml"))]
    write_tree(tmp_path / "search", {"cloudify/types/types_1_4.yaml": BASIC_TYPES})
    (tmp_path / "bp" / "cloudify" / "types" / "types.yaml").unlink()
    searched = resolve(tmp_path, main(), registries=[reg], search_paths=[tmp_path / "search"])
    assert [(e["via"], e["resolved"]) for e in searched.plan["imports"]] == [
        ("file", str(tmp_path / "search" / "cloudify" / "types" / "types_1_4.yaml"))]


def test_import_rules_win_over_the_registry(tmp_path):
    # The corpus run's shape: rules for the spec site and resource:, tried before any registry.
    reg = types_registry(tmp_path / "reg", {"6.4.0": ("types.yaml",)})
    write_tree(tmp_path / "mirror", {"cloudify/6.4.0/types.yaml": BASIC_TYPES, "types/cloudify/types/types.yaml":
                                     BASIC_TYPES})
    rules = [("https://cloudify.co/spec/cloudify/", str(tmp_path / "mirror" / "cloudify") + "/"),
             ("resource:", str(tmp_path / "mirror" / "types") + "/")]
    for ref in ("https://cloudify.co/spec/cloudify/6.4.0/types.yaml", "cloudify/types/types.yaml"):
        result = resolve(tmp_path, main(ref=ref), registries=[reg], import_rules=rules)
        assert [e["via"] for e in result.plan["imports"]] == ["rule"]


def test_spec_url_answered_by_a_held_version_without_network(tmp_path):
    reg = types_registry(tmp_path / "reg", {"6.4.0": ("types.yaml",)})
    result = resolve(tmp_path, main(ref="http://www.getcloudify.org/spec/cloudify/6.4.0/types.yaml"),
                     registries=[reg])
    entry = types_entry(result)
    assert (entry["types_version"], entry["via"]) == ("6.4.0", "types")
    assert entry["resolved"] == str(reg / TYPES_PACKAGE / "6.4.0" / "types.yaml")


def test_a_spec_url_version_not_held_is_not_answered_by_another(tmp_path):
    reg = types_registry(tmp_path / "reg", {"6.4.0": ("types.yaml",)})
    result = resolve(tmp_path, main(ref="https://cloudify.co/spec/cloudify/6.3.0/types.yaml"), registries=[reg])
    assert "6.3.0" in only(result, "import-offline").message


def test_plan_entry_validates_and_text_report_names_the_version(tmp_path):
    reg = types_registry(tmp_path / "reg", {"7.0.0": ("types.yaml",)})
    result = resolve(tmp_path, main(), registries=[reg])
    report = json.loads(render("json", [result]))
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    assert "[Cloudify types 7.0.0]" in render("text", [result])


# --- fetched once online, held from then on ------------------------------------------------------------


def served(files: dict[str, str]):
    return {f"cloudify.co/spec/cloudify/{path}": text_reply(text) for path, text in files.items()}


@pytest.fixture
def site(monkeypatch):
    """The spec site behind a loopback HTTPS proxy, set in this process's environment."""
    def start(files: dict[str, str]):
        context = proxy(served(files))
        server = context.__enter__()
        for name, value in server.environ().items():
            monkeypatch.setenv(name, value)
        started.append(context)
        return server
    started: list = []
    yield start
    for context in started:
        context.__exit__(None, None, None)


def test_resources_path_fetches_the_default_version_once_then_holds_it(tmp_path, site):
    server = site({f"{DEFAULT_MANAGER_VERSION}/types_1_4.yaml": BASIC_TYPES})
    cache = tmp_path / "cache"
    online = resolve(tmp_path, main(), cache_dir=cache, options=Options(online=True))
    entry = types_entry(online)
    assert (entry["types_version"], entry["via"], entry["resolved"]) == (
        DEFAULT_MANAGER_VERSION, "network",
        f"https://cloudify.co/spec/cloudify/{DEFAULT_MANAGER_VERSION}/types_1_4.yaml")
    assert server.tunnels == ["cloudify.co:443"]
    kept = cache / "registry" / TYPES_PACKAGE / DEFAULT_MANAGER_VERSION / "types_1_4.yaml"
    assert kept.read_text(encoding="utf-8") == BASIC_TYPES
    asked = len(server.requests)
    offline = resolve(tmp_path, main(), cache_dir=cache)
    assert (types_entry(offline)["via"], types_entry(offline)["resolved"]) == ("types", str(kept))
    assert len(server.requests) == asked


def test_resources_path_online_falls_back_to_types_yaml_when_the_variant_is_missing(tmp_path, site):
    server = site({"6.4.0/types.yaml": BASIC_TYPES})
    result = resolve(tmp_path, main("cloudify_dsl_1_3"), cache_dir=tmp_path / "cache",
                     options=Options(online=True, manager_version="6.4.0"))
    assert types_entry(result)["resolved"] == "https://cloudify.co/spec/cloudify/6.4.0/types.yaml"
    assert [r.path for r in server.requests] == ["/spec/cloudify/6.4.0/types_1_3.yaml",
                                                  "/spec/cloudify/6.4.0/types.yaml"]


def test_spec_url_fetched_online_is_held_for_later_runs(tmp_path, site):
    site({"6.4.0/types.yaml": BASIC_TYPES})
    cache = tmp_path / "cache"
    ref = "https://cloudify.co/spec/cloudify/6.4.0/types.yaml"
    online = resolve(tmp_path, main(ref=ref), cache_dir=cache, options=Options(online=True))
    assert types_entry(online)["resolved"] == ref
    # held now: it also answers the resources path, as the newest (only) version held
    later = resolve(tmp_path, main(), cache_dir=cache)
    assert types_entry(later)["resolved"] == str(cache / "registry" / TYPES_PACKAGE / "6.4.0" / "types.yaml")


def test_a_spec_url_in_the_url_cache_only_is_answered_offline_and_then_held(tmp_path):
    from resolver.cache import Cache

    url = "https://cloudify.co/spec/cloudify/6.4.0/types.yaml"
    Cache(tmp_path / "cache").put(url, BASIC_TYPES.encode())
    result = resolve(tmp_path, main(ref=url), cache_dir=tmp_path / "cache")
    entry = types_entry(result)
    assert (entry["via"], entry["resolved"], entry["types_version"]) == ("cache", url, "6.4.0")
    assert (tmp_path / "cache" / "registry" / TYPES_PACKAGE / "6.4.0" / "types.yaml").is_file()


def test_a_page_that_is_not_a_types_file_is_not_held(tmp_path, site):
    site({"6.4.0/types.yaml": "<html>captive portal</html>"})
    cache = tmp_path / "cache"
    result = resolve(tmp_path, main(ref="https://cloudify.co/spec/cloudify/6.4.0/types.yaml"), cache_dir=cache,
                     options=Options(online=True))
    assert "schema-wrong-type" in [p.code for p in result.problems]
    assert not (cache / "registry" / TYPES_PACKAGE).exists()


def test_online_not_found_is_import_not_found(tmp_path, site):
    site({})
    result = resolve(tmp_path, main(), cache_dir=tmp_path / "cache",
                     options=Options(online=True, manager_version="9.9.9"))
    problem = only(result, "import-not-found")
    assert "HTTP 404" in problem.message
