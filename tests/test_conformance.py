"""The resolver against the reference parser's verdicts on the corpus (see tests/conformance.py).

The whole corpus is resolved once per test session; the figures are printed (with or without
`-s`) and repeated in the message of any failing threshold.
"""
from __future__ import annotations

import copy
import json
import time

import pytest

from tests import conformance
from tests.conformance import (ACCEPTED, ACCEPTED_MIN, KNOWN_DIFFERENCES, NO_VERDICT, REJECTED,
                               REJECTED_MIN, Row, check_row, compare_plan, oracle_as_plan)

CORPUS = conformance.DEFAULT_CORPUS
needs_corpus = pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").is_file(),
                                  reason="the corpus is not at ../shared/corpus")


# --- the run over the corpus -----------------------------------------------------------------


@pytest.fixture(scope="session")
def rows() -> list[Row]:
    return conformance.load_rows(CORPUS)


@pytest.fixture(scope="session")
def report(rows):
    return conformance.run(CORPUS, rows, timeout=60)


_announced = []


def _announce(report, capsys) -> str:
    """Print the figures once per session, past pytest's capture; return the text for asserts."""
    text = report.render(max_ids=40, max_diffs=3)
    if not _announced:
        _announced.append(True)
        with capsys.disabled():
            print("\n" + text)
    return text


@needs_corpus
def test_accepted_blueprints_give_the_oracle_plan(report, capsys):
    text = _announce(report, capsys)
    figures = report.figures()
    assert figures["accepted_ratio"] >= ACCEPTED_MIN, text


@needs_corpus
def test_rejected_blueprints_are_rejected(report, capsys):
    text = _announce(report, capsys)
    figures = report.figures()
    assert figures["rejected_ratio"] >= REJECTED_MIN, text


@needs_corpus
def test_known_differences_are_manifest_ids_with_a_section_10_reason(rows):
    ids = {row.id for row in rows}
    for row_id, reason in KNOWN_DIFFERENCES.items():
        assert row_id in ids, f"{row_id} is not in the manifest"
        assert "§10" in reason, f"{row_id}: the reason must cite a SPEC.md §10 item: {reason!r}"


@needs_corpus
def test_the_manifest_splits_as_the_corpus_readme_says(rows):
    verdicts = [row.verdict for row in rows]
    assert (verdicts.count(ACCEPTED), verdicts.count(REJECTED), verdicts.count(NO_VERDICT)) \
        == (1019, 133, 49)


# --- the comparator, checked on the oracle itself ----------------------------------------------


@needs_corpus
def test_the_oracle_in_plan_shape_matches_itself(rows):
    for row in rows:
        if row.verdict == ACCEPTED:
            parsed = row.oracle["parsed"]
            assert compare_plan(oracle_as_plan(parsed), parsed) == [], row.id


def _rich_row(rows) -> Row:
    """An accepted row with every compared feature present, to mutate."""
    for row in rows:
        if row.verdict != ACCEPTED:
            continue
        parsed = row.oracle["parsed"]
        nodes = parsed["nodes"].values()
        if (any(n["host_id"] and n["plugins_to_install"] for n in nodes)
                and any(_implemented(r) for n in nodes for r in n["relationships"])
                and parsed["deployment_plugins_to_install"]
                and any(w["parameters"] for w in parsed["workflows"].values())):
            return row
    pytest.fail("no corpus row has every compared feature")


def _implemented(relationship):
    return all(any("." in k and op["plugin"] for k, op in relationship[side].items())
               for side in ("source_operations", "target_operations"))


def _host(plan):
    return next(n for n in plan["nodes"] if n["host_id"] and n["plugins_to_install"])


def _related(plan):
    return next(r for n in plan["nodes"] for r in n["relationships"] if _implemented(r))


def _full_op(ops):
    return next(ops[k] for k in sorted(ops) if "." in k and ops[k]["plugin"])


def _full_name(ops):
    return next(k for k in sorted(ops) if "." in k)


def _short_name(ops):
    return next(k for k in sorted(ops) if "." not in k)


def _workflow(plan):
    return next(w for w in plan["workflows"].values() if w["parameters"])


def _set(target, key, value):
    target[key] = value


MUTATIONS = {
    # name: (change to our plan, the difference kind expected, or None for "no difference")
    "node type": (lambda p: _set(p["nodes"][0], "type", "x.Other"), "node.type"),
    "hierarchy": (lambda p: p["nodes"][0]["type_hierarchy"].append("x"), "node.type_hierarchy"),
    "host id": (lambda p: _set(_host(p), "host_id", None), "node.host_id"),
    "op executor": (lambda p: _set(_full_op(_host(p)["operations"]), "executor", "host_agent!"),
                    "node.operations.executor"),
    "op plugin": (lambda p: _set(_full_op(_host(p)["operations"]), "plugin", "other"),
                  "node.operations.plugin"),
    "op dropped": (lambda p: _host(p)["operations"].pop(_full_name(_host(p)["operations"])),
                   "node.operations missing"),
    "op added": (lambda p: _set(_host(p)["operations"], "x.y", {"plugin": "", "operation": "",
                                                             "executor": None}),
                 "node.operations extra"),
    "short op ignored": (lambda p: _host(p)["operations"].pop(_short_name(_host(p)["operations"])),
                         None),
    "rel target": (lambda p: _set(_related(p), "target_id", "elsewhere"), "relationship.target_id"),
    "rel source op": (lambda p: _set(_full_op(_related(p)["source_operations"]), "operation", "m.f"),
                      "relationship.source_operations.operation"),
    "rel target op": (lambda p: _set(_full_op(_related(p)["target_operations"]), "executor", None),
                      "relationship.target_operations.executor"),
    "rel dropped": (lambda p: next(n for n in p["nodes"] if n["relationships"])["relationships"].pop(),
                    "relationships count"),
    "node plugin": (lambda p: p["nodes"][0]["plugins"].append({"name": "extra", "executor": None}),
                    "node.plugins"),
    "node plugin twice": (lambda p: p["nodes"][0]["plugins"].extend(
        {"name": e["name"], "executor": "host_agent"} for e in list(p["nodes"][0]["plugins"])),
        None),
    "plugins to install": (lambda p: _host(p)["plugins_to_install"].clear(),
                           "node.plugins_to_install"),
    "node dropped": (lambda p: p["nodes"].pop(), "node missing"),
    "workflow default bool vs int": (
        lambda p: _set(_workflow(p)["parameters"], "flag", {"default": True}), "workflow.parameters"),
    "workflow cascading": (lambda p: _set(_workflow(p), "is_cascading", 0), "workflow.is_cascading"),
    "workflow dropped": (lambda p: p["workflows"].popitem(), "workflow missing"),
    "deployment install": (lambda p: _set(p["deployment_plugins_to_install"][0], "install", "yes"),
                           "deployment_plugins_to_install"),
    "deployment order ignored": (lambda p: p["deployment_plugins_to_install"].reverse(), None),
    "host agent extra": (lambda p: p["host_agent_plugins_to_install"].append(
        {"name": "x", "executor": "host_agent", "install": True, "package_name": "x",
         "package_version": "1"}), "host_agent_plugins_to_install"),
    "workflow plugin version": (lambda p: p["workflow_plugins_to_install"].append(
        dict(p["workflow_plugins_to_install"][0], package_version="0.0")),
        "workflow_plugins_to_install"),
}


@needs_corpus
@pytest.mark.parametrize("name", MUTATIONS)
def test_the_comparator_sees_each_change(rows, name):
    row = _rich_row(rows)
    change, kind = MUTATIONS[name]
    ours = oracle_as_plan(copy.deepcopy(row.oracle["parsed"]))
    change(ours)
    kinds = {difference.kind for difference in compare_plan(ours, row.oracle["parsed"])}
    assert kinds == ({kind} if kind else set()), row.id


# --- one row's judgement ------------------------------------------------------------------------


class _Problem:
    def __init__(self, code, ref_code, severity="error"):
        self.code, self.ref_code, self.severity = code, ref_code, severity
        self.message, self.file, self.line, self.column = "m", "b.yaml", 1, 1


class _Result:
    def __init__(self, ok, problems=(), plan=None):
        self.ok, self.problems, self.plan = ok, list(problems), plan


class _Session:
    def __init__(self, answer):
        self.answer = answer

    def resolve(self, path, search_paths=()):
        if isinstance(self.answer, BaseException):
            raise self.answer
        if self.answer == "slow":
            time.sleep(5)
        return self.answer


def _row(status, error_code=None):
    oracle = {"status": status, "import_misses": [],
              "error": {"class": "DSLParsingLogicException", "error_code": error_code,
                        "message": "bad"} if status != "ok" else None,
              "parsed": {"nodes": {}, "workflows": {}, "deployment_plugins_to_install": [],
                         "host_agent_plugins_to_install": [], "workflow_plugins_to_install": []}}
    return Row("some-id", "b.yaml", "", oracle)


def _empty_plan():
    return {"nodes": [], "workflows": {}, "deployment_plugins_to_install": [],
            "host_agent_plugins_to_install": [], "workflow_plugins_to_install": []}


def test_a_crash_is_recorded_not_raised(tmp_path):
    outcome = check_row(_Session(KeyError("k")), tmp_path, _row("ok"))
    assert outcome.kinds == ["crashed: KeyError"]
    assert "KeyError" in str(outcome.differences[0])


def test_a_slow_blueprint_times_out(tmp_path):
    outcome = check_row(_Session("slow"), tmp_path, _row("ok"), timeout=0.2)
    assert outcome.kinds == ["timed out"]


def test_an_identical_plan_passes(tmp_path):
    outcome = check_row(_Session(_Result(True, [_Problem("w", None, "warning")], _empty_plan())),
                        tmp_path, _row("ok"))
    assert outcome.identical


def test_rejecting_an_accepted_blueprint_names_our_errors(tmp_path):
    outcome = check_row(_Session(_Result(False, [_Problem("merge-conflict", 4)])), tmp_path,
                        _row("ok"))
    assert outcome.kinds == ["we reject: merge-conflict"]


def test_a_rejection_records_both_codes(tmp_path):
    result = _Result(False, [_Problem("import-not-found", 13), _Problem("merge-conflict", 4)])
    outcome = check_row(_Session(result), tmp_path, _row("parse_error", 4))
    assert outcome.identical and outcome.rejected_by_us and outcome.code_matches
    assert (outcome.our_code, outcome.our_ref_code, outcome.oracle_code) \
        == ("import-not-found", 13, 4)


def test_accepting_a_rejected_blueprint_is_a_difference(tmp_path):
    outcome = check_row(_Session(_Result(True, [], _empty_plan())), tmp_path,
                        _row("parse_error", 4))
    assert not outcome.identical and outcome.rejected_by_us is False


def test_the_json_report_is_written_whole(tmp_path):
    target = tmp_path / "report.json"
    conformance.write_json_atomically(target, {"figures": {"a": 1}})
    assert json.loads(target.read_text()) == {"figures": {"a": 1}}
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
