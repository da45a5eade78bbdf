"""The lock file (resolver/registry/lock.py): `resolver lock` writes it, `--locked` resolves exactly from it.

The corpus claim: for every accepted corpus blueprint, lock then --locked gives the identical plan
(in one session, locks written to a temporary folder since the corpus is read-only). Through the
real command line: one changed byte in a locked file gives exit 1 and a message naming the file.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from resolver import Options, Resolver
from resolver.registry import MemoryRegistry
from resolver.registry.lock import lock_of, read_lock, write_lock, LockError

from . import conformance
from .conftest import BASIC_TYPES, REPO

LOCK_SCHEMA = json.loads((REPO / "schemas" / "lock.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(LOCK_SCHEMA)
CORPUS = conformance.DEFAULT_CORPUS
EXAMPLE = REPO / "fixtures" / "example"


def cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "resolver", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env=env)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_schema_is_valid():
    jsonschema.Draft202012Validator.check_schema(LOCK_SCHEMA)


# --- every accepted corpus blueprint -----------------------------------------------------------


@pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").is_file(), reason="the shared corpus is not beside the repository")
def test_lock_then_locked_gives_the_same_plan_for_every_accepted_corpus_blueprint(tmp_path):
    rows = [row for row in conformance.load_rows(CORPUS) if row.verdict == conformance.ACCEPTED]
    assert len(rows) > 500  # the claim is about the whole corpus, not a sample
    session = conformance.make_session(CORPUS)
    failures = []
    for row in rows:
        search = [CORPUS / row.cwd] if row.cwd else ()
        path = CORPUS / row.path
        first = session.resolve(path, search_paths=search)
        if not first.ok:
            continue  # the conformance tests judge these; a lock needs a blueprint that resolves
        document = lock_of(first)
        VALIDATOR.validate(document)
        assert document["blueprint"] == path.name
        assert document["files"][path.name] == hashlib.sha256(
            path.read_text(encoding="utf-8").encode("utf-8")).hexdigest()
        lock = tmp_path / f"{row.id}.lock"
        write_lock(str(lock), document)
        again = session.resolve(path, search_paths=search, lock=lock)
        if not again.ok or json.dumps(again.plan, sort_keys=True) != json.dumps(first.plan, sort_keys=True) \
                or again.problems != first.problems:
            failures.append((row.id, [(p.code, p.message) for p in again.problems if p.is_error][:3]))
    assert failures == []


# --- the command line, on a copy of the example --------------------------------------------------


@pytest.fixture
def example(tmp_path) -> Path:
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    return folder


def test_lock_writes_the_documented_format(example):
    run = cli("lock", "--no-cache", "-r", "registry", "blueprint.yaml", cwd=example)
    assert run.returncode == 0, run.stdout + run.stderr
    lock_file = example / "blueprint.yaml.lock"
    text = lock_file.read_text(encoding="utf-8")
    document = json.loads(text)
    assert text == json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    VALIDATOR.validate(document)
    assert (document["format"], document["version"], document["blueprint"], document["dsl_version"]) == \
        ("resolver-lock", 1, "blueprint.yaml", "cloudify_dsl_1_4")
    # every file read, by its key, with the sha256 of its bytes (these files are UTF-8 with LF endings)
    assert document["files"] == {
        "blueprint.yaml": sha(example / "blueprint.yaml"),
        "types/types.yaml": sha(example / "types" / "types.yaml"),
        "registry:cloudify-demo-cloud-plugin/2.3.1/plugin_1_4.yaml":
            sha(example / "registry" / "cloudify-demo-cloud-plugin" / "2.3.1" / "plugin_1_4.yaml"),
        "registry:cloudify-demo-db-plugin/1.2.0/plugin.yaml":
            sha(example / "registry" / "cloudify-demo-db-plugin" / "1.2.0" / "plugin.yaml"),
    }
    entries = {e["import"]: e for e in document["imports"]}
    assert list(entries) == ["types/types.yaml", "plugin:cloudify-demo-cloud-plugin?version= >=2.0,<3",
                             "http://www.getcloudify.org/spec/demo-db-plugin/1.2.0/plugin.yaml"]
    assert entries["types/types.yaml"] == {
        "import": "types/types.yaml", "importer": "blueprint.yaml", "namespace": None,
        "resolved": "types/types.yaml", "via": "file", "package_name": None, "package_version": None,
        "yaml_file": None, "registry": None, "sha256": sha(example / "types" / "types.yaml"), "types_version": None}
    plugin = entries["plugin:cloudify-demo-cloud-plugin?version= >=2.0,<3"]
    assert (plugin["package_name"], plugin["package_version"], plugin["yaml_file"], plugin["registry"],
            plugin["resolved"], plugin["via"]) == (
        "cloudify-demo-cloud-plugin", "2.3.1", "plugin_1_4.yaml", "registry",
        "registry/cloudify-demo-cloud-plugin/2.3.1/plugin_1_4.yaml", "registry")
    assert [p.name for p in example.iterdir() if p.name.startswith(".tmp")] == []  # atomic: no leftovers


def test_locked_run_prints_what_the_unlocked_run_prints(example):
    assert cli("lock", "--no-cache", "-r", "registry", "blueprint.yaml", cwd=example).returncode == 0
    for fmt in ("json", "text"):
        plain = cli("--no-cache", "-r", "registry", "-f", fmt, "--explain", "blueprint.yaml", cwd=example)
        locked = cli("--no-cache", "-r", "registry", "-f", fmt, "--explain", "--locked", "blueprint.yaml",
                     cwd=example)
        assert plain.returncode == locked.returncode == 0, locked.stdout + locked.stderr
        assert locked.stdout == plain.stdout


def test_one_changed_byte_in_a_locked_file_fails_naming_it(example):
    assert cli("lock", "--no-cache", "-r", "registry", "blueprint.yaml", cwd=example).returncode == 0
    types = example / "types" / "types.yaml"
    data = bytearray(types.read_bytes())
    index = data.index(b"cloudify.nodes.Root")
    data[index + len("cloudify.nodes.Roo")] = ord("T")  # "Root" -> "RooT": one byte
    types.write_bytes(bytes(data))
    run = cli("--no-cache", "-r", "registry", "--locked", "blueprint.yaml", cwd=example)
    assert run.returncode == 1
    lines = [line for line in run.stdout.splitlines() if " lock-mismatch " in line]
    assert len(lines) == 1 and "types/types.yaml" in lines[0], run.stdout
    # pointing at the import of the changed file
    assert lines[0].startswith("blueprint.yaml:10:5: error lock-mismatch ")


def test_a_changed_plugin_yaml_in_the_registry_fails_naming_it(example):
    assert cli("lock", "--no-cache", "-r", "registry", "blueprint.yaml", cwd=example).returncode == 0
    plugin = example / "registry" / "cloudify-demo-cloud-plugin" / "2.3.1" / "plugin_1_4.yaml"
    plugin.write_text(plugin.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    run = cli("--no-cache", "-r", "registry", "--locked", "blueprint.yaml", cwd=example)
    assert run.returncode == 1
    (line,) = [line for line in run.stdout.splitlines() if " lock-mismatch " in line]
    assert "plugin_1_4.yaml" in line and "cloudify-demo-cloud-plugin" in line


def test_a_newer_version_uploaded_after_the_lock_is_not_taken(example):
    assert cli("lock", "--no-cache", "-r", "registry", "blueprint.yaml", cwd=example).returncode == 0
    stored = example / "registry" / "cloudify-demo-cloud-plugin"
    shutil.copytree(stored / "2.3.1", stored / "2.5.0")
    plain = json.loads(cli("--no-cache", "-r", "registry", "-f", "json", "blueprint.yaml", cwd=example).stdout)
    locked_run = cli("--no-cache", "-r", "registry", "-f", "json", "--locked", "blueprint.yaml", cwd=example)
    assert locked_run.returncode == 0, locked_run.stdout
    locked = json.loads(locked_run.stdout)

    def entry(report):
        (found,) = [e for e in report["results"][0]["plan"]["imports"]
                    if e.get("package_name") == "cloudify-demo-cloud-plugin"]
        return found

    assert entry(plain)["package_version"] == "2.5.0"
    assert entry(locked)["package_version"] == "2.3.1"
    verdicts = {c["version"]: c["verdict"] for c in entry(locked)["candidates"]}
    assert verdicts["2.3.1"] == "chosen" and verdicts["2.5.0"] == "not-in-lock"


def test_a_locked_version_no_source_gives_is_an_error(example):
    assert cli("lock", "--no-cache", "-r", "registry", "blueprint.yaml", cwd=example).returncode == 0
    shutil.rmtree(example / "registry" / "cloudify-demo-cloud-plugin" / "2.3.1")
    run = cli("--no-cache", "-r", "registry", "--locked", "blueprint.yaml", cwd=example)
    assert run.returncode == 1
    assert "blueprint.yaml:11:5: error lock-unavailable " in run.stdout
    assert "2.3.1" in run.stdout


def test_lock_refuses_a_blueprint_with_errors_and_writes_nothing(example):
    run = cli("lock", "--no-cache", "blueprint.yaml", cwd=example)  # no registry: plugins not found
    assert run.returncode == 1
    # the default sources: the marketplace, offline, cannot answer (one error per import)
    assert "error registry-offline" in run.stdout and "not locked" in run.stderr
    assert not (example / "blueprint.yaml.lock").exists()


def test_lock_output_option(example, tmp_path):
    target = tmp_path / "elsewhere" / "my.lock"
    assert cli("lock", "--no-cache", "-r", "registry", "--output", target, "blueprint.yaml",
               cwd=example).returncode == 0
    assert not (example / "blueprint.yaml.lock").exists()
    VALIDATOR.validate(json.loads(target.read_text(encoding="utf-8")))
    usage = cli("lock", "--no-cache", "--output", target, "blueprint.yaml", "blueprint.yaml", cwd=example)
    assert usage.returncode == 2 and "one blueprint" in usage.stderr
    # read back with --lock-file
    plain = cli("--no-cache", "-r", "registry", "blueprint.yaml", cwd=example)
    locked = cli("--no-cache", "-r", "registry", "--lock-file", target, "blueprint.yaml", cwd=example)
    assert locked.returncode == 0 and locked.stdout == plain.stdout
    (example / "types" / "types.yaml").write_text(BASIC_TYPES, encoding="utf-8")
    changed = cli("--no-cache", "-r", "registry", "--lock-file", target, "blueprint.yaml", cwd=example)
    assert changed.returncode == 1 and "error lock-mismatch types/types.yaml changed" in changed.stdout
    usage = cli("--no-cache", "--lock-file", target, "blueprint.yaml", "blueprint.yaml", cwd=example)
    assert usage.returncode == 2 and "one blueprint" in usage.stderr


# --- unreadable locks ----------------------------------------------------------------------------


@pytest.mark.parametrize("content, words", [
    (None, "no lock file"),
    ("{not json", "not JSON"),
    ('{"format": "other"}', "not a resolver lock"),
    ('{"format": "resolver-lock", "version": 2}', "version 2"),
    ('{"format": "resolver-lock", "version": 1, "blueprint": "other.yaml"}', "'other.yaml'"),
    ('{"format": "resolver-lock", "version": 1, "blueprint": "blueprint.yaml", "imports": [], "files": []}',
     '"files"'),
    ('{"format": "resolver-lock", "version": 1, "blueprint": "blueprint.yaml", "imports": [{}], "files": {}}',
     "imports[0]"),
])
def test_an_unreadable_lock_is_one_problem(tmp_path, content, words):
    (tmp_path / "types.yaml").write_text(BASIC_TYPES, encoding="utf-8")
    blueprint = tmp_path / "blueprint.yaml"
    blueprint.write_text("tosca_definitions_version: cloudify_dsl_1_4\nimports: [types.yaml]\n", encoding="utf-8")
    if content is not None:
        (tmp_path / "blueprint.yaml.lock").write_text(content, encoding="utf-8")
    result = Resolver(registries=[], options=Options(locked="auto")).resolve(blueprint)
    assert [p.code for p in result.problems] == ["lock-unreadable"]
    assert words in result.problems[0].message and not result.ok and result.plan is None
    with pytest.raises(LockError):
        read_lock(str(tmp_path / "blueprint.yaml.lock"), str(blueprint))


def test_a_lock_from_memory_registries_round_trips(tmp_path):
    # the library path: lock_of a Result, write_lock, resolve(..., lock=PATH)
    (tmp_path / "blueprint.yaml").write_text(
        "tosca_definitions_version: cloudify_dsl_1_4\nimports:\n  - types.yaml\n  - plugin:p?version=<2\n"
        "node_templates:\n  n: {type: p.Thing}\n", encoding="utf-8")
    (tmp_path / "types.yaml").write_text(BASIC_TYPES, encoding="utf-8")
    plugin = ("plugins:\n  p: {executor: central_deployment_agent, package_name: p, package_version: '%s'}\n"
              "node_types:\n  p.Thing: {derived_from: cloudify.nodes.Root}\n")
    registry = MemoryRegistry({"p": {"1.0": {"plugin.yaml": plugin % "1.0"}, "1.5": {"plugin.yaml": plugin % "1.5"}}})
    session = Resolver(registries=[registry])
    first = session.resolve(tmp_path / "blueprint.yaml")
    assert first.ok, first.problems
    write_lock(str(tmp_path / "b.lock"), lock_of(first))
    again = session.resolve(tmp_path / "blueprint.yaml", lock=tmp_path / "b.lock")
    assert again.ok and again.plan == first.plan
    # the registry now gives other bytes for the locked version
    changed = MemoryRegistry({"p": {"1.5": {"plugin.yaml": plugin % "1.5" + "# edited\n"}}})
    result = Resolver(registries=[changed]).resolve(tmp_path / "blueprint.yaml", lock=tmp_path / "b.lock")
    assert [p.code for p in result.problems] == ["lock-mismatch"]
    assert "p 1.5 plugin.yaml" in result.problems[0].message
    with pytest.raises(ValueError):
        lock_of(result)


def test_locked_types_stay_the_types_locked_when_newer_ones_are_held(tmp_path):
    from .conftest import write_tree

    newer_types = BASIC_TYPES.replace("  cloudify.nodes.WebServer:", "  cloudify.nodes.Newer:\n"
                                      "    derived_from: cloudify.nodes.Root\n  cloudify.nodes.WebServer:")
    write_tree(tmp_path, {
        "registry/cloudify-types/6.4.0/types.yaml": BASIC_TYPES,
        "bp/blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports: [cloudify/types/types.yaml]\n"
                             "node_templates:\n  web: {type: cloudify.nodes.WebServer}\n",
    })
    main = tmp_path / "bp" / "blueprint.yaml"
    first = Resolver(registries=[tmp_path / "registry"]).resolve(main)
    assert first.ok and first.imports.answers[0].types_version == "6.4.0"
    document = lock_of(first)
    assert [e["types_version"] for e in document["imports"]] == ["6.4.0"]
    assert not list(VALIDATOR.iter_errors(document))
    write_lock(str(main) + ".lock", document)
    # a newer manager's types arrive (a sync, an online run): unlocked runs take them ...
    write_tree(tmp_path, {"registry/cloudify-types/7.0.0/types.yaml": newer_types})
    unlocked = Resolver(registries=[tmp_path / "registry"]).resolve(main)
    assert unlocked.ok and unlocked.imports.answers[0].types_version == "7.0.0"
    # ... a locked run keeps the locked version, byte for byte
    locked = Resolver(registries=[tmp_path / "registry"], options=Options(locked="auto")).resolve(main)
    assert locked.problems == () and locked.plan == first.plan
    # an explicit manager version still wins, and then the lock sees the other file
    other = Resolver(registries=[tmp_path / "registry"],
                     options=Options(locked="auto", manager_version="7.0.0")).resolve(main)
    assert "lock-mismatch" in {p.code for p in other.problems}
