"""`resolver diff OLD NEW` (resolver/diff.py): nothing for a blueprint against itself, exactly the
remapped operation for a one-line change, and plugin versions with the functions they change."""
from __future__ import annotations

import json

import pytest

from resolver.cli import main as cli_main
from tests.conformance import DEFAULT_CORPUS

CORPUS = DEFAULT_CORPUS
BLUEPRINT = CORPUS / "blueprints/cloudify-incubator/cloudify-utilities-plugin/cloudify_rest/examples/example-3-blueprint.yaml"
SOURCES = ["-r", str(CORPUS / "plugins"), "--import-rules", str(CORPUS / "import-rules.yaml"),
           "--search-path", str(CORPUS / "types"), "--no-cache", "--no-config"]
START = "cloudify.interfaces.lifecycle.start"


def _diff(capsys, old, new, *extra):
    code = cli_main(["diff", *SOURCES, *extra, str(old), str(new)])
    return code, capsys.readouterr()


def _json(capsys, old, new):
    code, out = _diff(capsys, old, new, "-f", "json")
    return code, json.loads(out.out)


def test_a_blueprint_against_itself_has_no_change(capsys):
    code, out = _diff(capsys, BLUEPRINT, BLUEPRINT)
    assert code == 0
    assert out.out.endswith(": nothing changed\n")
    code, document = _json(capsys, BLUEPRINT, BLUEPRINT)
    assert code == 0 and document["changed"] is False and document["changes"] == []


def test_a_remapped_operation_is_the_only_change(tmp_path, capsys):
    text = BLUEPRINT.read_text(encoding="utf-8")
    marker = "    interfaces:\n      cloudify.interfaces.lifecycle:\n        start:\n          inputs:\n" \
             "            template_file: templates/get-token-template.yaml"
    assert text.count(marker) == 1
    changed = tmp_path / "blueprint.yaml"
    changed.write_text(text.replace(marker, marker.replace(
        "        start:\n", "        start:\n          implementation: rest.cloudify_rest.tasks.bunch_execute\n")),
        encoding="utf-8")
    code, document = _json(capsys, BLUEPRINT, changed)
    assert code == 1 and document["changed"] is True
    assert [(c["kind"], c["path"]) for c in document["changes"]] == [("operation-changed", f"token {START}")]
    change = document["changes"][0]
    assert change["new"]["operation"] == "cloudify_rest.tasks.bunch_execute"
    assert change["old"]["operation"] != change["new"]["operation"]
    code, out = _diff(capsys, BLUEPRINT, changed)
    assert code == 1
    assert f"operation-changed token {START}" in out.out
    assert "+ rest: cloudify_rest.tasks.bunch_execute" in out.out


def test_a_plugin_version_bump_lists_the_version_and_exactly_the_changed_functions(tmp_path, capsys):
    text = BLUEPRINT.read_text(encoding="utf-8")
    assert text.count("  - plugin:cloudify-utilities-plugin\n") == 1
    pinned = tmp_path / "blueprint.yaml"
    pinned.write_text(text.replace("  - plugin:cloudify-utilities-plugin\n",
                                   "  - plugin:cloudify-utilities-plugin?version=2.0.6\n"), encoding="utf-8")
    code, document = _json(capsys, pinned, BLUEPRINT)
    assert code == 1
    kinds = [c["kind"] for c in document["changes"]]
    versions = [c for c in document["changes"] if c["kind"] == "plugin-version-changed"]
    assert [(c["path"], c["old"]) for c in versions] == [("cloudify-utilities-plugin", "2.0.6")]
    # exactly the operations whose mapping differs between the two plans, nothing else
    from resolver import Resolver

    session = Resolver(registries=[CORPUS / "plugins"], import_rules=CORPUS / "import-rules.yaml",
                       search_paths=[CORPUS / "types"])
    old, new = session.resolve(pinned).plan, session.resolve(BLUEPRINT).plan
    expected = sorted(f"{n['id']} {name}" for n in old["nodes"] for name, op in n["operations"].items()
                      if "." in name and op["operation"]
                      and op != next(m for m in new["nodes"] if m["id"] == n["id"])["operations"][name])
    listed = sorted(c["path"] for c in document["changes"] if c["kind"] == "operation-changed")
    assert listed == expected
    assert set(kinds) <= {"plugin-version-changed", "operation-changed"}


def test_a_missing_side_is_a_usage_error(tmp_path, capsys):
    code, out = _diff(capsys, BLUEPRINT, tmp_path / "nothing.yaml")
    assert code == 2
    assert "no such file" in out.err


@pytest.mark.parametrize("content, reason", [("tosca_definitions_version: cloudify_dsl_1_4\nnode_templates: 3\n",
                                               "cannot be resolved")])
def test_an_unresolvable_side_is_an_error_not_a_change(tmp_path, capsys, content, reason):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    code, out = _diff(capsys, BLUEPRINT, bad)
    assert code == 2
    assert reason in out.err


def test_a_lock_file_against_its_blueprint_shows_what_resolution_drifted_to(tmp_path, capsys):
    # OLD = the lock: the blueprint as it resolved when locked; NEW = the blueprint resolved now
    import shutil

    from tests.conftest import REPO

    example = tmp_path / "example"
    shutil.copytree(REPO / "fixtures" / "example", example)
    main, lock = example / "blueprint.yaml", example / "blueprint.yaml.lock"
    sources = ["-r", str(example / "registry"), "--no-cache", "--no-config"]
    assert cli_main(["lock", *sources, str(main)]) == 0 and lock.is_file()
    capsys.readouterr()
    assert cli_main(["diff", *sources, str(lock), str(main)]) == 0
    assert capsys.readouterr().out.endswith(": nothing changed\n")
    # a newer matching plugin version is published, with one function renamed
    old_dir = example / "registry" / "cloudify-demo-cloud-plugin" / "2.3.1"
    new_dir = old_dir.with_name("2.4.0")
    shutil.copytree(old_dir, new_dir)
    for path in new_dir.glob("*.yaml"):
        text = path.read_text(encoding="utf-8").replace("'2.3.1'", "'2.4.0'")
        path.write_text(text.replace("democloud_plugin.server.create", "democloud_plugin.server.provision"),
                        encoding="utf-8")
    assert cli_main(["diff", *sources, "-f", "json", str(lock), str(main)]) == 1
    document = json.loads(capsys.readouterr().out)
    versions = [(c["old"], c["new"]) for c in document["changes"] if c["kind"] == "plugin-version-changed"]
    assert versions and all("2.3.1" in str(old) and "2.4.0" in str(new) for old, new in versions), versions
    changed_ops = [c for c in document["changes"] if c["kind"] == "operation-changed"]
    assert [c["path"] for c in changed_ops] == ["web_vm cloudify.interfaces.lifecycle.create"]
    assert changed_ops[0]["new"]["operation"] == "democloud_plugin.server.provision"
