"""The project config `.resolver.yaml`: where it is found, what it may hold, how the command line wins,
how it is refused (code and position), and the pre-commit hook picking it up with no flags."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
from pathlib import Path

import pytest

from resolver import cli, hook
from resolver.api import Resolver
from resolver.config import CONFIG_CODES, KEYS, ConfigError, apply_config, find_config, load_config

from .conftest import BASIC_TYPES, REPO, write_tree

PLUGIN = """\
plugins:
  myplug:
    executor: central_deployment_agent
    package_name: my-plugin
    package_version: '1.0'
node_types:
  my.nodes.Server:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: myplug.server.create
"""
COMMON = """\
node_types:
  my.nodes.App:
    derived_from: cloudify.nodes.Root
"""
# needs the plugin (from a registry) and common.yaml (from a search path); types.yaml is beside it
BLUEPRINT = """\
tosca_definitions_version: cloudify_dsl_1_4
imports:
  - ../types.yaml
  - plugin:my-plugin
  - common.yaml
node_templates:
  server: {type: my.nodes.Server}
  app: {type: my.nodes.App}
"""


def args_for(*argv: str) -> argparse.Namespace:
    """The main command's options, parsed as the command line parses them."""
    return cli._parser().parse_args([*argv, "blueprint.yaml"])


def project(root: Path, config: str | None, *, git: bool = True) -> Path:
    """A repository: types, a plugin registry folder, a search-path folder, a blueprint in app/."""
    files = {"types.yaml": BASIC_TYPES, "plugins/my-plugin/1.0/plugin.yaml": PLUGIN, "lib/common.yaml": COMMON,
             "app/blueprint.yaml": BLUEPRINT}
    if config is not None:
        files[".resolver.yaml"] = config
    write_tree(root, files)
    if git:
        (root / ".git").mkdir()
    return root


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test reads the user's cache or home folder."""
    monkeypatch.setenv("RESOLVER_CACHE", str(tmp_path / "user-cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("CLOUDIFY_TOKEN", "CLOUDIFY_USERNAME", "CLOUDIFY_PASSWORD", "CLOUDIFY_TENANT"):
        monkeypatch.delenv(name, raising=False)


def refused(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    assert caught.value.code in CONFIG_CODES
    return caught.value


def where(error: ConfigError) -> tuple:
    return error.code, os.path.basename(error.file), error.line, error.column


# --- finding the file --------------------------------------------------------------------------------


def test_nearest_config_from_the_blueprint_folder_up(tmp_path):
    write_tree(tmp_path, {"repo/.resolver.yaml": "strict: true\n", "repo/a/b/blueprint.yaml": "x: 1\n",
                          "repo/c/.resolver.yaml": "strict: false\n", "repo/c/d/blueprint.yaml": "x: 1\n"})
    (tmp_path / "repo" / ".git").mkdir()
    assert find_config(str(tmp_path / "repo/a/b")) == str(tmp_path / "repo/.resolver.yaml")
    assert find_config(str(tmp_path / "repo")) == str(tmp_path / "repo/.resolver.yaml")
    # a nearer one wins
    assert find_config(str(tmp_path / "repo/c/d")) == str(tmp_path / "repo/c/.resolver.yaml")


@pytest.mark.parametrize("git_entry", ["folder", "file"])
def test_the_search_stops_at_the_repository_root(tmp_path, git_entry):
    write_tree(tmp_path, {".resolver.yaml": "strict: true\n", "repo/app/blueprint.yaml": "x: 1\n"})
    if git_entry == "folder":
        (tmp_path / "repo" / ".git").mkdir()
    else:  # a work tree or submodule: .git is a file naming the real git folder
        (tmp_path / "repo" / ".git").write_text("gitdir: ../elsewhere\n")
    assert find_config(str(tmp_path / "repo/app")) is None
    assert find_config(str(tmp_path)) == str(tmp_path / ".resolver.yaml")


def test_outside_a_repository_the_search_stops_at_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    write_tree(tmp_path, {".resolver.yaml": "strict: true\n", "home/proj/blueprint.yaml": "x: 1\n"})
    assert find_config(str(home / "proj")) is None  # the config above home is never read
    write_tree(home, {".resolver.yaml": "strict: true\n"})
    assert find_config(str(home / "proj")) == str(home / ".resolver.yaml")


# --- what a config holds, and the command line winning -------------------------------------------------


def test_every_option_is_applied_with_paths_relative_to_the_config(tmp_path, monkeypatch):
    config = project(tmp_path / "repo", """\
        registries: [plugins, marketplace, 'https://example.org/plugins.json', '~/wagons']
        import_rules: rules.yaml
        blueprint_catalog: ../catalog
        search_paths: [lib, /abs/lib]
        cache: .cache
        online: true
        refresh: true
        marketplace_url: http://127.0.0.1:9/market
        manager_version: '7.0.5'
        manager_tenant: team
        manager_user: ci
        strict: true
        """) / ".resolver.yaml"
    monkeypatch.chdir(tmp_path)  # relative to the config, not to the working folder
    args = args_for()
    assert apply_config(args, ["repo/app/blueprint.yaml"]).path == str(config)
    repo = tmp_path / "repo"
    assert args.registry == [str(repo / "plugins"), "marketplace", "https://example.org/plugins.json",
                             str(tmp_path / "home" / "wagons")]
    assert args.import_rules == str(repo / "rules.yaml")
    assert args.blueprint_catalog == str(tmp_path / "catalog")
    assert args.search_path == [str(repo / "lib"), "/abs/lib"]
    assert args.cache == str(repo / ".cache")
    assert (args.online, args.refresh, args.strict) == (True, True, True)
    assert (args.marketplace_url, args.manager_version, args.manager_tenant, args.manager_user) == (
        "http://127.0.0.1:9/market", "7.0.5", "team", "ci")
    assert {key.name for key in KEYS} == {
        "registries", "import_rules", "blueprint_catalog", "search_paths", "cache", "online", "refresh",
        "marketplace_url", "manager_version", "manager_tenant", "manager_user", "strict", "root", "allow_hosts",
        "max_file_size", "max_depth", "max_aliases", "max_files", "max_nodes", "max_type_depth"}


def test_the_command_line_wins(tmp_path, monkeypatch):
    project(tmp_path, "registries: [plugins]\nsearch_paths: [lib]\nonline: true\nstrict: true\n"
                      "manager_user: from-config\n")
    monkeypatch.chdir(tmp_path)
    args = args_for("-r", "other", "--search-path", "x", "--offline", "--manager-user", "me")
    apply_config(args, ["app/blueprint.yaml"])
    # a list given on the command line replaces the config's, whole
    assert (args.registry, args.search_path) == (["other"], ["x"])
    assert (args.online, args.manager_user) == (False, "me")
    assert args.strict is True  # not given on the command line: the config's


def test_no_config_and_explicit_config(tmp_path, monkeypatch):
    project(tmp_path, "strict: true\n")
    write_tree(tmp_path, {"elsewhere/other.yaml": "manager_tenant: t\nsearch_paths: [lib]\n"})
    monkeypatch.chdir(tmp_path)
    args = args_for("--no-config")
    assert apply_config(args, ["app/blueprint.yaml"]) is None and args.strict is None
    args = args_for("--config", "elsewhere/other.yaml")
    apply_config(args, ["app/blueprint.yaml"])
    assert (args.strict, args.manager_tenant) == (None, "t")
    assert args.search_path == [str(tmp_path / "elsewhere" / "lib")]
    with pytest.raises(ConfigError) as caught:
        apply_config(args_for("--config", "missing.yaml"), ["app/blueprint.yaml"])
    assert caught.value.code == "config-unreadable" and "missing.yaml" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        apply_config(args_for("--config", "elsewhere/other.yaml", "--no-config"), [])
    assert caught.value.code == "config-usage"


def test_without_blueprints_the_search_starts_in_the_working_folder(tmp_path, monkeypatch):
    project(tmp_path, "manager_tenant: t\n")
    monkeypatch.chdir(tmp_path / "app")
    args = args_for()
    apply_config(args, [])
    assert args.manager_tenant == "t"


def test_blueprints_under_different_configs_are_refused(tmp_path, monkeypatch, capsys):
    write_tree(tmp_path, {"one/.resolver.yaml": "strict: true\n", "one/a.yaml": "x: 1\n",
                          "two/.resolver.yaml": "strict: false\n", "two/b.yaml": "x: 1\n", "three/c.yaml": "x: 1\n"})
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        apply_config(args_for(), ["one/a.yaml", "two/b.yaml", "three/c.yaml"])
    error = caught.value
    assert error.code == "config-ambiguous"
    for part in (os.path.join("one", ".resolver.yaml"), os.path.join("two", ".resolver.yaml"), "no config",
                 "three/c.yaml"):
        assert part in error.message
    assert "--config" in error.hint
    # on the command line: an environment error, exit 2, the message on stderr
    assert cli.main(["one/a.yaml", "two/b.yaml"]) == 2
    assert "config-ambiguous" in capsys.readouterr().err
    # one config named for all is fine
    args = args_for("--config", "one/.resolver.yaml")
    apply_config(args, ["one/a.yaml", "two/b.yaml"])
    assert args.strict is True


def test_a_config_resolves_the_blueprint_with_no_flags(tmp_path, monkeypatch, capsys):
    project(tmp_path, "registries: [plugins]\nsearch_paths: [lib]\ncache: .cache\n")
    monkeypatch.chdir(tmp_path / "app")
    assert cli.main(["blueprint.yaml"]) == 0
    out = capsys.readouterr().out
    assert "server" in out and "app" in out
    assert cli.main(["--no-config", "-r", "../plugins", "--cache", "../.cache", "blueprint.yaml"]) == 1
    out = capsys.readouterr().out
    assert "import-not-found" in out and "common.yaml" in out  # no search path without the config


def test_the_config_cache_folder_is_used(tmp_path, monkeypatch):
    project(tmp_path, "registries: [plugins]\nsearch_paths: [lib]\ncache: .cache\n")
    monkeypatch.chdir(tmp_path / "app")
    seen = []
    original = Resolver.__init__

    def spy(self, *a, **kw):
        seen.append(kw.get("cache_dir"))
        original(self, *a, **kw)

    monkeypatch.setattr(Resolver, "__init__", spy)
    assert cli.main(["blueprint.yaml"]) == 0
    assert seen == [str(tmp_path / ".cache")]


# --- refused configs: code and position ---------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("strict: true\nregisty: [plugins]\n", ("config-unknown-key", 2, 1)),
    ("online: 'yes'\n", ("config-wrong-type", 1, 9)),
    ("search_paths: lib\n", ("config-wrong-type", 1, 15)),
    ("registries:\n  - plugins\n  - 3\n", ("config-wrong-type", 3, 5)),
    ("manager_version: 6.10\n", ("config-wrong-type", 1, 18)),
    ("manager_tenant: {a: b}\n", ("config-wrong-type", 1, 17)),
    ("- strict\n", ("config-wrong-type", 1, 1)),
    ("registries: []\n", ("config-bad-value", 1, 13)),
    ("marketplace_url: ftp://x\n", ("config-bad-value", 1, 18)),
    ("strict: [true\n", ("config-syntax", 2, 1)),
    ("strict: true\nstrict: false\n", ("config-syntax", 2, 1)),
    ("password: hunter2\n", ("config-secret", 1, 1)),
    ("online: true\nmanager_password: x\n", ("config-secret", 2, 1)),
    ("manager_token: x\n", ("config-secret", 1, 1)),
    ("registries: ['https://ci:s3cret@manager.example']\n", ("config-secret", 1, 14)),
])
def test_a_bad_config_is_refused_with_code_and_position(tmp_path, text, expected):
    path = tmp_path / ".resolver.yaml"
    path.write_text(text)
    error = refused(path)
    assert where(error) == (expected[0], ".resolver.yaml", *expected[1:])
    assert str(error).startswith(f"{error.file}:{error.line}:{error.column}: {error.code}: ")


def test_refusals_say_what_to_do(tmp_path):
    path = tmp_path / ".resolver.yaml"
    path.write_text("registy: [plugins]\n")
    assert "'registries'" in refused(path).hint
    path.write_text("manager_password: x\n")
    error = refused(path)
    assert "CLOUDIFY_PASSWORD" in error.hint and "CLOUDIFY_TOKEN" in error.hint
    assert "x" not in error.message.replace("manager_password", "")  # the secret is never echoed
    path.write_text("manager_version: 6.4\n")
    assert "'6.4'" in refused(path).hint


def test_accepted_values(tmp_path):
    path = tmp_path / ".resolver.yaml"
    # an empty file, and a key with no value, set nothing; non-ASCII paths are fine in a config
    path.write_text("")
    assert load_config(str(path)).values == ()
    path.write_text("cache:\nsearch_paths: [lïb]\n")
    assert load_config(str(path)).values == (("search_path", (str(tmp_path / "lïb"),)),)


def test_the_command_line_prints_config_errors_and_exits_2(tmp_path, monkeypatch, capsys):
    project(tmp_path, "strict: true\nonline: sometimes\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["app/blueprint.yaml"]) == 2
    err = capsys.readouterr().err
    assert "resolver: error: .resolver.yaml:2:9: config-wrong-type: " in err
    assert "Traceback" not in err


# --- the schema for editors ----------------------------------------------------------------------------


def test_the_schema_matches_the_keys():
    import jsonschema

    schema = json.loads((REPO / "schemas" / "config.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]) == {key.name for key in KEYS}
    kinds = {"bool": "boolean", "sources": "array", "paths": "array", "path": "string", "text": "string",
             "url": "string", "texts": "array", "count": "integer"}
    for key in KEYS:
        prop = schema["properties"][key.name]
        kind = prop.get("type") or schema["$defs"][prop["$ref"].rsplit("/", 1)[1]]["type"]
        assert kind == kinds[key.kind], key.name
    validator = jsonschema.Draft202012Validator(schema)
    good = {"registries": ["plugins", "marketplace"], "search_paths": ["lib"], "online": True,
            "manager_version": "7.0.5", "marketplace_url": "https://marketplace.cloudify.co"}
    assert list(validator.iter_errors(good)) == []
    for bad in ({"registy": ["x"]}, {"online": "yes"}, {"registries": []}, {"manager_version": 6.4},
                {"manager_password": "x"}, {"marketplace_url": "ftp://x"}):
        assert list(validator.iter_errors(bad)), bad


# --- the pre-commit hook -----------------------------------------------------------------------------


def git_repo(root: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True, timeout=60)
    return root


def test_the_hook_needs_no_flags_in_a_repository_with_a_config(tmp_path, monkeypatch, capsys):
    repo = git_repo(project(tmp_path / "repo", "registries: [plugins]\nsearch_paths: [lib]\ncache: .cache\n",
                            git=False))
    monkeypatch.chdir(repo)
    assert hook.main(["app/blueprint.yaml"]) == 0
    assert capsys.readouterr().out == ""
    # a fragment is checked through its importer, found with the config's search path
    (repo / "lib" / "common.yaml").write_text(COMMON.replace("cloudify.nodes.Root", "cloudify.nodes.Gone"))
    assert hook.main(["lib/common.yaml"]) == 1
    assert "type-parent-unknown" in capsys.readouterr().out
    (repo / "lib" / "common.yaml").write_text(COMMON)
    # and without the config the same blueprint fails
    assert hook.main(["--no-config", "-r", "plugins", "--cache", ".cache", "app/blueprint.yaml"]) == 1
    assert "import-not-found" in capsys.readouterr().out


def test_the_hook_uses_each_file_s_nearest_config(tmp_path, monkeypatch, capsys):
    repo = git_repo(tmp_path / "repo")
    project(repo / "one", "registries: [plugins]\nsearch_paths: [lib]\ncache: ../.cache\n", git=False)
    project(repo / "two", "registries: [plugins]\nsearch_paths: [lib]\ncache: ../.cache\nstrict: true\n",
            git=False)
    # two's blueprint has a warning: it fails there only, as its config is strict
    blueprint = repo / "two" / "app" / "blueprint.yaml"
    blueprint.write_text(BLUEPRINT + "  app: {type: my.nodes.App}\n")
    monkeypatch.chdir(repo)
    sessions = []
    original = Resolver.__init__

    def spy(self, *a, **kw):
        sessions.append(kw.get("options").strict)
        original(self, *a, **kw)

    monkeypatch.setattr(Resolver, "__init__", spy)
    code = hook.main(["one/app/blueprint.yaml", "two/app/blueprint.yaml"])
    out = capsys.readouterr().out
    assert sessions == [False, True]
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines() if "yaml-duplicate-key" in line] == [
        os.path.join("two", "app", "blueprint.yaml")]
    assert hook.main(["one/app/blueprint.yaml"]) == 0


def test_the_hook_reports_a_bad_config_and_exits_2(tmp_path, monkeypatch, capsys):
    repo = git_repo(project(tmp_path / "repo", "search_path: [lib]\n", git=False))
    monkeypatch.chdir(repo)
    assert hook.main(["app/blueprint.yaml"]) == 2
    err = capsys.readouterr().err
    assert "resolver-hook: error: .resolver.yaml:1:1: config-unknown-key" in err
    assert "search_paths" in err  # the hint names the right key

