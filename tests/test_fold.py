"""One cause, one error (resolver/fold.py): problems that follow from an unanswered import are folded into it."""
from __future__ import annotations

import json

import jsonschema
import pytest

from resolver import Options, Resolver
from resolver.report import report_dict, to_text

from .conftest import BASIC_TYPES, REPO, write_tree
from .conformance import DEFAULT_CORPUS

AWS_NETWORK = DEFAULT_CORPUS / "blueprints/cloudify-community/blueprint-examples/aws-example-network/blueprint.yaml"
REPORT_SCHEMA = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))


def errors(result):
    return [p for p in result.problems if p.is_error]


@pytest.mark.skipif(not AWS_NETWORK.is_file(), reason="the shared corpus is not beside the repository")
def test_aws_example_network_without_sources_reports_its_two_imports():
    result = Resolver(registries=[], options=Options()).resolve(AWS_NETWORK)
    found = errors(result)
    # the types import (line 6) and the plugin: import (line 7); nothing else
    assert [(p.code in ("import-not-found", "import-offline"), p.line) for p in found[:1]] == [(True, 6)]
    assert [(p.code, p.line) for p in found[1:]] == [("plugin-not-found", 7)]
    types, plugin = found
    # the ten node templates of undefined types go to the first failed import, in walk order
    assert [p.code for p in types.folded] == ["node-type-unknown"] * 10
    assert plugin.folded == ()
    assert "10 problems follow from this one" in types.hint
    assert "cloudify.nodes.aws.ec2.Vpc" in types.hint and "--all-problems" in types.hint
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report_dict([result]))
    folded = report_dict([result])["results"][0]["problems"][0]["folded"]
    assert {entry["subject"] for entry in folded} >= {"cloudify.nodes.aws.ec2.Vpc", "cloudify.nodes.aws.ec2.Route"}


@pytest.mark.skipif(not AWS_NETWORK.is_file(), reason="the shared corpus is not beside the repository")
def test_all_problems_lists_them_one_by_one():
    result = Resolver(registries=[], options=Options(all_problems=True)).resolve(AWS_NETWORK)
    codes = [p.code for p in errors(result)]
    assert len(codes) == 12 and codes.count("node-type-unknown") == 10
    assert all(p.folded == () for p in result.problems)


def test_without_a_failed_import_nothing_is_folded(tmp_path):
    write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports: [types.yaml]\n"
                          "node_templates:\n  a: {type: cloudify.nodes.Nope}\n"})
    result = Resolver(registries=[]).resolve(tmp_path / "blueprint.yaml")
    assert [(p.code, p.line) for p in result.problems] == [("node-type-unknown", 4)]


def test_folded_names_are_sorted_distinct_and_capped(tmp_path):
    nodes = "".join(f"  n{i:02}: {{type: lib.T{i % 12:02}}}\n" for i in range(15))
    write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports: [types.yaml, lib.yaml]\n"
                          "node_templates:\n" + nodes})
    result = Resolver(registries=[]).resolve(tmp_path / "blueprint.yaml")
    (problem,) = result.problems
    assert problem.code == "import-not-found" and len(problem.folded) == 15
    assert problem.hint.endswith("15 problems follow from this one, about lib.T00, lib.T01, lib.T02, lib.T03, "
                                 "lib.T04, lib.T05, lib.T06, lib.T07, lib.T08, lib.T09 and 2 more "
                                 "(--all-problems lists them).")


def test_folding_follows_the_namespace_of_a_failed_import(tmp_path):
    # two failed imports; a name under the namespace of the second goes to the second
    write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\n"
                          "imports:\n  - types.yaml\n  - missing.yaml\n  - net--plugin:cloudify-net-plugin\n"
                          "node_templates:\n"
                          "  a: {type: other.Thing}\n"
                          "  b: {type: net--cloudify.nodes.Network}\n"
                          "  c:\n    type: cloudify.nodes.Root\n    interfaces:\n"
                          "      cloudify.interfaces.lifecycle:\n        create: net--net.tasks.create\n"})
    result = Resolver(registries=[]).resolve(tmp_path / "blueprint.yaml")
    by_code = {p.code: p for p in result.problems}
    assert sorted(by_code) == ["import-not-found", "plugin-not-found"]
    assert [(p.code, p.subject) for p in by_code["import-not-found"].folded] == [("node-type-unknown", "other.Thing")]
    assert sorted((p.code, p.subject) for p in by_code["plugin-not-found"].folded) == [
        ("node-type-unknown", "net--cloudify.nodes.Network"), ("operation-unmapped", "net--net")]


def test_the_text_report_shows_the_fold_in_the_hint(tmp_path):
    write_tree(tmp_path, {
        "blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports: [types.yaml]\n"
                          "node_templates:\n  a: {type: cloudify.nodes.Root}\n"})
    result = Resolver(registries=[]).resolve(tmp_path / "blueprint.yaml")
    text = to_text([result])
    assert text.count(" error ") == 1
    assert "1 problem follows from this one, about cloudify.nodes.Root" in text


def test_a_warning_is_never_folded(tmp_path):
    # yaml-duplicate-key is not a follow-on problem: it stays, beside the failed import
    write_tree(tmp_path, {
        "blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports: [types.yaml]\n"
                          "node_templates:\n  a: {type: x.A}\n  a: {type: x.A}\n"})
    result = Resolver(registries=[]).resolve(tmp_path / "blueprint.yaml")
    assert sorted(p.code for p in result.problems) == ["import-not-found", "yaml-duplicate-key"]
