"""Explain: every candidate version a plugin: import weighed, in the JSON plan and with --explain; and how the
walker treats the registry protocol's optional methods and RegistryErrors."""
from __future__ import annotations

import json

import jsonschema
import pytest

from resolver import Options, Resolver, cli
from resolver.registry import MemoryRegistry, PluginRecord, RegistryError, Selection, Candidate
from resolver.report import report_dict, to_text

from .conftest import BASIC_TYPES, REPO, write_tree

REPORT_SCHEMA = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))


def plugin_yaml(version: str) -> str:
    return (f"plugins:\n  p: {{executor: central_deployment_agent, package_name: p, package_version: '{version}'}}\n"
            "node_types:\n  p.Thing: {derived_from: cloudify.nodes.Root}\n")


def stored(*versions, files=("plugin.yaml",)) -> dict:
    return {"p": {v: {f: plugin_yaml(v) for f in files} for v in versions}}


@pytest.fixture
def bp(tmp_path):
    def make(imports="plugin:p?version=<3", dsl="cloudify_dsl_1_4"):
        write_tree(tmp_path, {
            "types.yaml": BASIC_TYPES,
            "blueprint.yaml": f"tosca_definitions_version: {dsl}\nimports:\n  - types.yaml\n  - {imports}\n"
                              "node_templates:\n  n: {type: p.Thing}\n"})
        return tmp_path / "blueprint.yaml"
    return make


def plugin_entry(result) -> dict:
    (entry,) = [e for e in result.plan["imports"] if "candidates" in e]
    return entry


def test_every_candidate_and_its_verdict_in_the_plan(bp):
    registry = MemoryRegistry(stored("1.0", "2.0", "2.1rc1", "3.0", "2.0.0"))
    result = Resolver(registries=[registry]).resolve(bp())
    assert result.ok, result.problems
    entry = plugin_entry(result)
    assert (entry["package_version"], entry["registry"], entry["specifier"], entry["distributions"]) == \
        ("2.0", "memory", "<3", [])
    assert [(c["version"], c["verdict"]) for c in entry["candidates"]] == [
        ("1.0", "older"), ("2.0", "chosen"), ("2.1rc1", "prerelease"), ("3.0", "specifier"), ("2.0.0", "tie")]
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report_dict([result]))


def test_candidates_of_every_registry_asked_until_one_answers(bp):
    first = MemoryRegistry(stored("5.0"), name="first")
    second = MemoryRegistry(stored("1.0"), name="second")
    third = MemoryRegistry(stored("2.0"), name="third")
    result = Resolver(registries=[first, second, third]).resolve(bp())
    entry = plugin_entry(result)
    assert entry["registry"] == "second"
    assert [(c["registry"], c["version"], c["verdict"]) for c in entry["candidates"]] == [
        ("first", "5.0", "specifier"), ("second", "1.0", "chosen")]


def test_explain_text_only_with_explain(bp, tmp_path, capsys, monkeypatch):
    path = bp("plugin:p?version=>=1,<3&distribution=centos")
    for version in ("1.0", "2.0"):
        write_tree(tmp_path, {f"reg/p/{version}/plugin.yaml": plugin_yaml(version),
                              f"reg/p/{version}/package.json":
                                  '{"build_server_os_properties": {"distribution": "%s"}}'
                                  % ("centos" if version == "1.0" else "ubuntu")})
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--no-cache", "--no-config", "-r", "reg", "blueprint.yaml", "--explain"]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("  explain plugin:p?version=>=1,<3&distribution=centos -> p 1.0 (plugin.yaml) from reg")
    assert lines[start + 1:start + 4] == [
        "    asked: version <3,>=1; distribution centos",
        "    1.0, centos in reg: chosen",
        "    2.0, ubuntu in reg: lost: built for another distribution"]
    assert cli.main(["--no-cache", "--no-config", "-r", "reg", str(path)]) == 0
    assert " explain " not in capsys.readouterr().out


def test_plugin_not_found_names_the_candidates_in_its_hint(bp):
    result = Resolver(registries=[MemoryRegistry(stored("3.0", "4.0b1"))]).resolve(bp())
    (problem,) = result.problems
    assert problem.code == "plugin-not-found"
    assert problem.hint.startswith("Registries searched: memory. Candidates: 3.0 (specifier), 4.0b1 (specifier). ")


def test_no_yaml_for_the_dsl_version(bp):
    registry = MemoryRegistry(stored("1.0", files=("plugin_1_5.yaml",)))
    result = Resolver(registries=[registry]).resolve(bp())
    (problem,) = result.problems
    assert problem.code == "plugin-yaml-missing" and "1.0 (no-yaml)" in problem.hint
    # the node of the plugin's type follows from it
    assert [p.code for p in problem.folded] == ["node-type-unknown"]


# --- the registry protocol's optional methods ----------------------------------------------------


class Custom(MemoryRegistry):
    """A source with its own choice rule (explain) and its own YAML choice (read_for_dsl)."""

    def __init__(self, packages, name="custom"):
        super().__init__(packages, name=name)
        self.asked: list = []

    def explain(self, request, dsl_short):
        self.asked.append(("explain", request.package_name, dsl_short))
        records = self.versions(request.package_name)
        # the source's rule: the oldest version wins
        return Selection(request=request, chosen=records[0],
                         candidates=tuple(Candidate(record=r, verdict="chosen" if i == 0 else "no-wagon",
                                                    registry=self.name) for i, r in enumerate(records)))

    def read_for_dsl(self, record, dsl_short):
        self.asked.append(("read_for_dsl", record.version, dsl_short))
        return "special.yaml", plugin_yaml(record.version)


def test_a_registry_explain_and_read_for_dsl_are_used(bp):
    registry = Custom(stored("1.0", "2.0"))
    result = Resolver(registries=[registry]).resolve(bp())
    assert result.ok, result.problems
    entry = plugin_entry(result)
    assert (entry["package_version"], entry["yaml_file"]) == ("1.0", "special.yaml")
    assert [(c["version"], c["verdict"]) for c in entry["candidates"]] == [("1.0", "chosen"), ("2.0", "no-wagon")]
    assert registry.asked == [("explain", "p", "1_4"), ("read_for_dsl", "1.0", "1_4")]


# --- registry faults -----------------------------------------------------------------------------


class Failing:
    """A source that raises the same RegistryError for every question, counting them."""

    def __init__(self, code: str, name: str = "mirror") -> None:
        self.name = name
        self.code = code
        self.calls = 0

    def packages(self):
        raise RegistryError(self.code, "no answer", hint="Check the mirror.")

    def versions(self, package_name):
        self.calls += 1
        raise RegistryError(self.code, f"no answer for {package_name}", hint="Check the mirror.")

    def read(self, record: PluginRecord, yaml_file: str):
        raise AssertionError("never asked to read: it lists nothing")


def test_a_failed_source_is_a_warning_when_a_later_one_answers(bp):
    failing = Failing("registry-unreachable")
    result = Resolver(registries=[failing, MemoryRegistry(stored("1.0"))]).resolve(bp())
    assert result.ok and result.plan is not None
    (problem,) = result.problems
    assert (problem.code, problem.severity, problem.line, problem.column) == ("registry-unreachable", "warning", 4, 5)
    assert "mirror" in problem.message and "answered by memory" in problem.hint


def test_a_failed_source_alone_is_the_imports_one_error(bp):
    result = Resolver(registries=[Failing("registry-server-error")]).resolve(bp())
    (problem,) = result.problems
    assert (problem.code, problem.severity, problem.line) == ("registry-server-error", "error", 4)
    assert [p.code for p in problem.folded] == ["node-type-unknown"]  # one cause, one error


def test_a_source_wide_fault_is_not_asked_again_in_the_session(bp, tmp_path):
    failing = Failing("registry-unreachable")
    session = Resolver(registries=[failing, MemoryRegistry({**stored("1.0"), "q": {"1": {"plugin.yaml": "{}"}}})])
    path = bp("plugin:p\n  - plugin:q")
    first = session.resolve(path)
    second = session.resolve(path)
    assert failing.calls == 1
    assert first.problems == second.problems  # the same problems however often it was asked
    assert [(p.code, p.line) for p in first.problems] == [("registry-unreachable", 4), ("registry-unreachable", 5)]


def test_an_answer_level_fault_is_asked_again(bp):
    failing = Failing("registry-offline")  # the cache may hold the next answer
    session = Resolver(registries=[failing, MemoryRegistry({**stored("1.0"), "q": {"1": {"plugin.yaml": "{}"}}})])
    session.resolve(bp("plugin:p\n  - plugin:q"))
    assert failing.calls == 2
