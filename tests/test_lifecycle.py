"""The lifecycle plan (resolver/lifecycle.py) against the reference's own task graphs, and its contract.

The reference builds its graphs in a subprocess (tests/reference_lifecycle.py); these tests need
the reference venv that `make test` creates, and fail (not skip) without it. The full corpus
comparison is `python -m tests.lifecycle_conformance`; here a bounded sample of small corpus
blueprints and the fixtures in fixtures/lifecycle/ (several instances, scaling groups,
lifecycle-operation dependencies), which the corpus lacks.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import jsonschema
import networkx as nx
import pytest

from resolver import Options, Resolver
from resolver.cli import main as cli_main
from resolver.lifecycle import WORKFLOWS, refusals
from tests import lifecycle_differential
from tests.conformance import DEFAULT_CORPUS, load_rows, make_session
from tests.lifecycle_conformance import compare, job_of, ours_for
from tests.reference_lifecycle import job_for, project, run_jobs

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "lifecycle"
TYPES_URL = "http://cloudify.co/spec/cloudify/6.4.0/types.yaml"
SCHEMA = json.loads((REPO / "schemas" / "lifecycle.schema.json").read_text(encoding="utf-8"))
# Small accepted corpus blueprints (quick for the reference to parse): a Compute host with an
# agent, scripts, connected_to and contained_in relationships, several plugins.
CORPUS_SAMPLE = (
    "cloudify-community__blueprint-examples__simple-hello-world-example__blueprint",
    "cloudify-cosmo__cloudify-common__cloudify__tests__resources__blueprints__get_attribute",
    "cloudify-cosmo__cloudify-manager__tests__integration_tests__resources__dsl__resumable_agent",
    "cloudify-cosmo__cloudify-manager__rest-service__manager_rest__test__mock_blueprint__deployment_with_install_plugin_false",
)
REFERENCE_FIXTURES = ("instances", "groups", "lifecycle_operation")


@pytest.fixture(scope="module")
def session():
    return make_session(DEFAULT_CORPUS)


@pytest.fixture(scope="module")
def reference_answers():
    """The reference's graphs for the fixtures and the corpus sample, in one subprocess."""
    rows = load_rows(DEFAULT_CORPUS, CORPUS_SAMPLE)
    types = {TYPES_URL: str(DEFAULT_CORPUS / "types" / "cloudify" / "6.4.0" / "types.yaml")}
    with tempfile.TemporaryDirectory() as empty:
        jobs = [job_for(name, FIXTURES / f"{name}.yaml", cwd=Path(empty), resources=DEFAULT_CORPUS / "types",
                        imports=types) for name in REFERENCE_FIXTURES]
        jobs += [job_of(DEFAULT_CORPUS, row, Path(empty)) for row in rows]
        return {"rows": {row.id: row for row in rows}, "answers": run_jobs(jobs, timeout=900)}


def _ours(session, path: Path, workflow: str):
    result = session.resolve(path)
    assert result.ok, [p.code for p in result.problems]
    return result.lifecycle(workflow)


@pytest.mark.parametrize("workflow", WORKFLOWS)
@pytest.mark.parametrize("name", REFERENCE_FIXTURES)
def test_fixture_matches_the_reference(session, reference_answers, name, workflow):
    answer = reference_answers["answers"][name]
    assert answer["ok"], answer
    plan = _ours(session, FIXTURES / f"{name}.yaml", workflow)
    ours = {"tasks": {t.id: t.as_dict() for t in plan.tasks}, "order": plan.order}
    theirs = project(answer, workflow)
    assert theirs["tasks"], "the reference ran nothing: the fixture tests nothing"
    assert compare(ours, theirs) == []


@pytest.mark.parametrize("rid", CORPUS_SAMPLE)
def test_corpus_sample_matches_the_reference(session, reference_answers, rid):
    answer = reference_answers["answers"][rid]
    assert answer["ok"], answer
    ours = ours_for(session, DEFAULT_CORPUS, reference_answers["rows"][rid])
    assert "error" not in ours, ours
    for workflow in WORKFLOWS:
        assert compare(ours[workflow], project(answer, workflow)) == [], workflow


def test_instances_follow_the_naming_rules(session):
    plan = _ours(session, FIXTURES / "instances.yaml", "install")
    ids = {i.id: i for i in plan.instances}
    # two hosts, two applications in each (ordered by host), three databases from the input default
    assert sorted(ids) == ["app[0]", "app[1]", "app[2]", "app[3]", "db[0]", "db[1]", "db[2]", "vm[0]", "vm[1]"]
    assert [ids[f"app[{k}]"].host for k in range(4)] == ["vm[0]", "vm[0]", "vm[1]", "vm[1]"]
    # every application links to every database: preconfigure on the source side, establish on the target side
    for k in range(4):
        for d in range(3):
            assert f"app[{k}]->db[{d}]:cloudify.interfaces.relationship_lifecycle.preconfigure:source" in \
                {t.id for t in plan.tasks}
            assert f"app[{k}]->db[{d}]:cloudify.interfaces.relationship_lifecycle.establish:target" in \
                {t.id for t in plan.tasks}


def test_a_boolean_deploy_counts_as_the_reference_counts_it(session, tmp_path):
    # the reference's prepare_deployment_plan makes no instance of `none` (false) and one of `one` (true)
    path = tmp_path / "blueprint.yaml"
    path.write_text("tosca_definitions_version: cloudify_dsl_1_4\nnode_types:\n  T: {}\nnode_templates:\n"
                    "  none: {type: T, instances: {deploy: false}}\n  one: {type: T, instances: {deploy: true}}\n",
                    encoding="utf-8")
    result = session.resolve(path)
    assert result.ok, result.problems
    assert [i.id for i in result.lifecycle("install").instances] == ["one"]


def test_inputs_change_instance_counts(session):
    result = session.resolve(FIXTURES / "instances.yaml")
    plan = result.lifecycle("install", {"db_count": 1})
    assert [i.id for i in plan.instances if i.node == "db"] == ["db"]


def test_all_to_one_links_the_first_target_instance_only(session):
    plan = _ours(session, FIXTURES / "all_to_one.yaml", "install")
    links = sorted(t.id for t in plan.tasks if t.relationship)
    assert links == ["front[0]->app[0]:cloudify.interfaces.relationship_lifecycle.establish:source",
                     "front[1]->app[0]:cloudify.interfaces.relationship_lifecycle.establish:source"]


@pytest.mark.parametrize("workflow", WORKFLOWS)
@pytest.mark.parametrize("name", REFERENCE_FIXTURES)
def test_order_is_reduced_and_steps_follow_it(session, name, workflow):
    plan = _ours(session, FIXTURES / f"{name}.yaml", workflow)
    graph = plan.graph
    assert set(graph.nodes) == {t.id for t in plan.tasks}
    assert sorted(graph.edges) == list(plan.order) == sorted(plan.order)
    assert nx.is_directed_acyclic_graph(graph)
    assert set(nx.transitive_reduction(graph).edges) == set(graph.edges)
    step_of = {tid: n for n, step in enumerate(plan.steps) for tid in step}
    assert sorted(step_of) == sorted(t.id for t in plan.tasks)  # each task in exactly one step
    assert sum(len(s) for s in plan.steps) == len(plan.tasks)
    for a, b in plan.order:
        assert step_of[a] < step_of[b]
    for tid, n in step_of.items():  # earliest: a task after step 0 waits for one in the step before
        if n:
            assert any(step_of[p] == n - 1 for p in graph.predecessors(tid))


def test_unknown_workflow_is_refused(session):
    result = session.resolve(FIXTURES / "groups.yaml")
    with pytest.raises(ValueError, match="heal"):
        result.lifecycle("heal")


def test_cli_json_follows_the_schema(capsys):
    code = cli_main(["lifecycle", "uninstall", "-f", "json", "--no-cache", "--no-config", "-r",
                     str(REPO / "fixtures" / "example" / "registry"), str(REPO / "fixtures" / "example" / "blueprint.yaml")])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    jsonschema.validate(document, SCHEMA)
    plan = document["results"][0]["uninstall"]
    assert "install" not in document["results"][0]
    functions = {t["function"] for t in plan["tasks"]}
    assert "democloud_plugin.server.delete" in functions
    # uninstall reverses install: the application unlinks from its database before the database
    # and the application's host are deleted
    graph = nx.DiGraph([tuple(p) for p in plan["order"]])
    unlink = "shop_app->orders_db:cloudify.interfaces.relationship_lifecycle.unlink:target"
    assert nx.has_path(graph, unlink, "orders_db:cloudify.interfaces.lifecycle.delete")
    assert nx.has_path(graph, unlink, "web_vm:cloudify.interfaces.lifecycle.delete")


def test_cli_text_lists_steps_with_functions(capsys):
    code = cli_main(["lifecycle", "install", "--no-cache", "--no-config", "-r",
                     str(REPO / "fixtures" / "example" / "registry"), str(REPO / "fixtures" / "example" / "blueprint.yaml")])
    out = capsys.readouterr().out
    assert code == 0
    assert "  step 1\n" in out
    assert "app_network  cloudify.interfaces.lifecycle.create  democloud: democloud_plugin.network.create" in out


def test_cli_refuses_a_bad_inputs_file(tmp_path, capsys):
    bad = tmp_path / "inputs.yaml"
    bad.write_text("- not\n- a mapping\n", encoding="utf-8")
    code = cli_main(["lifecycle", "install", "--inputs", str(bad), "--no-cache", "--no-config",
                     str(FIXTURES / "groups.yaml")])
    assert code == 2
    assert "inputs must be a mapping" in capsys.readouterr().err


# -- deployments a manager refuses (checks/deployment.py) ---------------------------------------

CODES = REPO / "fixtures" / "codes"
REFUSED = {"deployment-relationship-unsupported": "UnsupportedRelationship",
           "deployment-connection-type-invalid": "IllegalConnectedToConnectionType",
           "deployment-all-to-one-in-group": "UnsupportedAllToOneInGroup"}


def _all_to_one_outside_group(tmp_path: Path) -> Path:
    """The all_to_one fixture of deployment-all-to-one-in-group with the group holding only db's host."""
    text = (CODES / "deployment-all-to-one-in-group" / "blueprint.yaml").read_text(encoding="utf-8")
    text = text.replace("  app:\n    type: cloudify.nodes.WebServer\n    relationships:\n"
                        "      - type: cloudify.relationships.contained_in\n        target: vm\n",
                        "  app:\n    type: cloudify.nodes.WebServer\n    relationships:\n")
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "blueprint.yaml").write_text(text.replace("../_shared/types.yaml", str(CODES / "_shared" / "types.yaml")),
                                           encoding="utf-8")
    return folder / "blueprint.yaml"


def test_deployment_refusals_are_the_references(tmp_path):
    # each fixture parses in the reference and fails in its prepare_deployment_plan with the
    # exception our code names; the same all_to_one with only the target in the group deploys
    outside = _all_to_one_outside_group(tmp_path)
    jobs = [job_for(code, CODES / code / "blueprint.yaml", cwd=tmp_path, resources=tmp_path) for code in REFUSED]
    jobs.append(job_for("outside", outside, cwd=tmp_path, resources=tmp_path))
    answers = run_jobs(jobs, timeout=600)
    session = Resolver(options=Options(allow_outside=True))
    for code, exception in REFUSED.items():
        answer = answers[code]
        assert not answer["ok"] and answer["stage"] == "prepare", answer
        assert answer["error"].split(":")[0] == exception
        result = session.resolve(CODES / code / "blueprint.yaml")
        assert result.ok and [p.code for p in result.problems] == [code]  # a warning: the upload succeeds
        assert result.lifecycle("install") is None and result.lifecycle("uninstall") is None
        assert [p.code for p in refusals(result)] == [code]
        assert all(p.is_error for p in refusals(result))
    assert answers["outside"]["ok"], answers["outside"]
    result = session.resolve(outside)
    assert result.ok and not result.problems and not refusals(result)
    plan = result.lifecycle("install")
    theirs = project(answers["outside"], "install")
    assert compare({"tasks": {t.id: t.as_dict() for t in plan.tasks}, "order": plan.order}, theirs) == []


def test_inputs_decide_a_refusal(tmp_path):
    # connection_type from an input: judged with the default when resolving, with the given value
    # when planning
    path = tmp_path / "blueprint.yaml"
    path.write_text(f"tosca_definitions_version: cloudify_dsl_1_4\nimports: [{CODES / '_shared' / 'types.yaml'}]\n"
                    "inputs:\n  how: {default: all_to_all}\nnode_templates:\n  db: {type: cloudify.nodes.DBMS}\n"
                    "  app:\n    type: cloudify.nodes.WebServer\n    relationships:\n"
                    "      - {type: cloudify.relationships.connected_to, target: db,\n"
                    "         properties: {connection_type: {get_input: how}}}\n", encoding="utf-8")
    result = Resolver(options=Options(allow_outside=True)).resolve(path)
    assert result.ok and not result.problems
    assert result.lifecycle("install") is not None
    assert result.lifecycle("install", {"how": "some"}) is None
    assert [p.code for p in refusals(result, {"how": "some"})] == ["deployment-connection-type-invalid"]


def test_cli_lifecycle_reports_a_refused_deployment(capsys):
    fixture = CODES / "deployment-relationship-unsupported" / "blueprint.yaml"
    code = cli_main(["lifecycle", "install", "-f", "json", "--no-cache", "--no-config", str(fixture)])
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, SCHEMA)
    assert code == 1
    (entry,) = document["results"]
    assert entry["ok"] is False and entry["install"] is None
    assert [(p["code"], p["severity"]) for p in entry["problems"]] == [("deployment-relationship-unsupported", "error")]
    # the plan command resolves it (a warning) and says there is no lifecycle to show
    code = cli_main(["-f", "json", "--lifecycle", "--no-cache", "--no-config", str(fixture)])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["results"][0]["plan"]["lifecycle"] == {"install": None, "uninstall": None}
    jsonschema.validate(report, json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8")))


def test_generated_blueprints_plan_as_the_reference(tmp_path):
    # tests/lifecycle_differential.py on a fixed sample: scaling probes (instances, groups and
    # their policies) over generated node and relationship chains; `make lifecycle-differential`
    # runs more
    outcomes = lifecycle_differential.run(tmp_path, 60, "ci", jobs=2)
    assert [o for o in outcomes if o.status == "differs"] == []
    statuses = {o.status for o in outcomes}
    assert "identical" in statuses  # the sample plans something, else it compares nothing
    assert sum(o.tasks for o in outcomes) > 100


def test_corpus_deployments_are_refused_as_the_reference_refuses_them(session):
    # the oracle prepared a deployment of every corpus blueprint it accepted, with the inputs it
    # supplied: those it prepared we must not refuse; of those it could not, the ones refused for
    # a reason of checks/deployment.py we must refuse for that reason
    rows = [row for row in load_rows(DEFAULT_CORPUS) if row.oracle.get("status") in ("ok", "prepare_error")]
    wrong, refused = [], 0
    for row in rows:
        result = session.resolve(DEFAULT_CORPUS / row.path,
                                 search_paths=[DEFAULT_CORPUS / row.cwd] if row.cwd else ())
        ours = sorted(p.code for p in refusals(result, row.oracle.get("inputs_supplied") or {}))
        error = row.oracle.get("error") or {}
        expected = [code for code, name in REFUSED.items()
                    if row.oracle["status"] == "prepare_error" and error.get("class") == name]
        refused += bool(expected)
        if ours != expected:
            wrong.append((row.id, ours, expected))
    assert wrong == []
    assert len(rows) > 900 and refused >= 1  # the corpus holds such a blueprint: the test can fail
