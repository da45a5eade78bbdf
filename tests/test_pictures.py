"""Pictures (resolver/pictures.py): DOT, Mermaid and SVG nodes and edges against the plans they draw.

SVG needs Graphviz's `dot`: these tests fail, not skip, when it is missing (CI installs it).
"""
from __future__ import annotations

import html
import re

import pytest

from resolver import pictures

from .conftest import REPO
from tests.conformance import DEFAULT_CORPUS, load_rows, make_session

# Corpus blueprints with hosts, contained_in, connected_to and depends_on relationships.
IDS = (
    "cloudify-community__blueprint-examples__simple-hello-world-example__blueprint",
    "cloudify-cosmo__cloudify-manager__tests__integration_tests__resources__dsl__resumable_agent",
    "cloudify-community__cloudify-catalog__tabs__docker__consul__blueprint",
    "cloudify-incubator__cloudify-utilities-plugin__cloudify_rest__examples__example-3-blueprint",
)

DOT_NODE = re.compile(r'^\s*"((?:[^"\\]|\\.)*)" \[label=', re.M)
DOT_EDGE = re.compile(r'^\s*"((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)"(?: \[label="((?:[^"\\]|\\.)*)")?', re.M)
SVG_TITLE = re.compile(r'<g id="(node|edge)\d+" class="(?:node|edge)">\s*<title>(.*?)</title>', re.S)


@pytest.fixture(scope="module")
def results():
    session = make_session(DEFAULT_CORPUS)
    out = {}
    for row in load_rows(DEFAULT_CORPUS, IDS):
        result = session.resolve(DEFAULT_CORPUS / row.path)
        assert result.ok, (row.id, [p.code for p in result.problems])
        out[row.id] = result
    return out


def _plan_edges(plan):
    return sorted((n["id"], r["target_id"], r["type"]) for n in plan["nodes"] for r in n["relationships"])


@pytest.mark.parametrize("rid", IDS)
def test_node_dot_has_every_node_and_relationship(results, rid):
    plan = results[rid].plan
    dot = pictures.node_dot(plan)
    assert sorted(DOT_NODE.findall(dot)) == sorted(n["id"] for n in plan["nodes"])
    assert sorted(DOT_EDGE.findall(dot)) == _plan_edges(plan)
    for node in plan["nodes"]:  # each box says the type and the plugins
        label = re.search(rf'"{re.escape(node["id"])}" \[label="([^"]*)"', dot).group(1)
        assert node["type"] in label
        for plugin in pictures.node_plugins(node):
            assert plugin in label
    hosts = {n["host_id"] for n in plan["nodes"] if n["host_id"]}
    assert dot.count("subgraph cluster_") == len(hosts)
    assert pictures.node_dot(plan) == dot  # deterministic


@pytest.mark.parametrize("rid", IDS)
def test_node_mermaid_has_every_node_and_relationship(results, rid):
    plan = results[rid].plan
    text = pictures.node_mermaid(plan)
    boxes = dict(re.findall(r'^\s+(n\d+)\["([^"]*)"\]', text, re.M))
    names = {key: label.split("<br/>")[0] for key, label in boxes.items()}
    assert sorted(names.values()) == sorted(n["id"] for n in plan["nodes"])
    edges = re.findall(r'^\s+(n\d+) (?:-->|-\.->)\|"([^"]*)"\| (n\d+)$', text, re.M)
    assert sorted((names[a], names[b], t) for a, t, b in edges) == _plan_edges(plan)
    contained = sum(1 for n in plan["nodes"] for r in n["relationships"]
                    if pictures.CONTAINED_IN in r["type_hierarchy"])
    assert text.count(" -->|") == contained + sum(
        1 for n in plan["nodes"] for r in n["relationships"]
        if pictures.relationship_kind(r["type_hierarchy"])[0] == "other")


@pytest.mark.parametrize("rid", IDS[:3])
def test_node_svg_draws_the_dot(results, rid):
    plan = results[rid].plan
    drawn = pictures.svg(pictures.node_dot(plan))
    titles = [(kind, html.unescape(title)) for kind, title in SVG_TITLE.findall(drawn)]
    assert sorted(t for k, t in titles if k == "node") == sorted(n["id"] for n in plan["nodes"])
    assert sorted(t for k, t in titles if k == "edge") == sorted(f"{a}->{b}" for a, b, _ in _plan_edges(plan))


@pytest.mark.parametrize("rid", IDS)
@pytest.mark.parametrize("workflow", ("install", "uninstall"))
def test_task_pictures_draw_tasks_and_order(results, rid, workflow):
    plan = results[rid].lifecycle(workflow).as_dict()
    dot = pictures.task_dot(plan, workflow)
    assert sorted(DOT_NODE.findall(dot)) == sorted(t["id"] for t in plan["tasks"])
    assert sorted((a, b) for a, b, _ in DOT_EDGE.findall(dot)) == sorted(map(tuple, plan["order"]))
    assert dot.count("subgraph cluster_") == len({t["instance"] for t in plan["tasks"]})
    mermaid = pictures.task_mermaid(plan)
    ids = {f"t{i}": t["id"] for i, t in enumerate(sorted(plan["tasks"], key=lambda t: t["id"]))}
    edges = re.findall(r"^\s+(t\d+) --> (t\d+)$", mermaid, re.M)
    assert sorted((ids[a], ids[b]) for a, b in edges) == sorted(map(tuple, plan["order"]))
    assert len(re.findall(r'^\s+t\d+\["', mermaid, re.M)) == len(plan["tasks"])


def test_task_svg_draws_the_tasks(results):
    plan = results[IDS[1]].lifecycle("install").as_dict()
    assert plan["tasks"], "nothing to draw: the test tests nothing"
    drawn = pictures.svg(pictures.task_dot(plan))
    titles = [(kind, html.unescape(title)) for kind, title in SVG_TITLE.findall(drawn)]
    assert sorted(t for k, t in titles if k == "node") == sorted(t["id"] for t in plan["tasks"])
    assert len([t for k, t in titles if k == "edge"]) == len(plan["order"])


def test_svg_without_graphviz_is_a_clear_error():
    with pytest.raises(pictures.PictureError) as caught:
        pictures.svg("digraph { a -> b }", dot="resolver-no-such-dot-program")
    assert "not installed" in caught.value.message
    assert "graphviz" in caught.value.hint.lower()


# --- the main command's picture formats and --lifecycle -----------------------------------------

def _main(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "resolver", "--no-cache", *map(str, args)], capture_output=True,
                          text=True, timeout=120, cwd=REPO)


def test_the_main_command_draws_the_node_graph_of_one_blueprint():
    from resolver import Resolver
    from resolver.pictures import node_dot, node_mermaid

    example = REPO / "fixtures" / "example"
    plan = Resolver(registries=[example / "registry"]).resolve(example / "blueprint.yaml").plan
    for fmt, draw in (("dot", node_dot), ("mermaid", node_mermaid)):
        done = _main("-r", example / "registry", "-f", fmt, example / "blueprint.yaml")
        assert done.returncode == 0 and done.stdout == draw(plan)
    svg = _main("-r", example / "registry", "-f", "svg", example / "blueprint.yaml")
    assert svg.returncode == 0 and svg.stdout.lstrip().startswith(("<?xml", "<svg")) and "web_vm" in svg.stdout
    two = _main("-r", example / "registry", "-f", "dot", example / "blueprint.yaml", example / "blueprint.yaml")
    assert two.returncode == 2 and "draws one blueprint" in two.stderr


def test_json_with_lifecycle_adds_both_workflows_valid_against_both_schemas():
    import json

    import jsonschema

    example = REPO / "fixtures" / "example"
    done = _main("-r", example / "registry", "-f", "json", "--lifecycle", example / "blueprint.yaml")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    jsonschema.validate(report, json.loads((REPO / "schemas" / "report.schema.json").read_text()))
    lifecycle = report["results"][0]["plan"]["lifecycle"]
    schema = json.loads((REPO / "schemas" / "lifecycle.schema.json").read_text())
    plan_schema = dict(schema["$defs"]["plan"], **{"$defs": schema["$defs"]})
    for workflow in ("install", "uninstall"):
        jsonschema.validate(lifecycle[workflow], plan_schema)
    from resolver import Resolver

    result = Resolver(registries=[example / "registry"]).resolve(example / "blueprint.yaml")
    assert lifecycle["install"] == result.lifecycle("install").as_dict()


def test_the_readme_pictures_are_resolvers_current_output():
    from tests import readme_pictures

    assert readme_pictures.main(["--check", str(REPO / "README.md")]) == 0
