"""Generated blueprints (tests/differential.py) against the reference parser, and on their own.

With a reference Python ($REF_PYTHON, else .ref/bin/python in the repository, else
/work/ref/bin/python) the generated blueprints are parsed by both and must give the same verdict
(and, when both reject, the reference's code among ours) and the same mapping on the fields of
tests/conformance.py. Without one, that test fails in CI (CI=true) and is skipped elsewhere, and the
generator is still exercised:
our resolver must accept every blueprint generated valid, without an internal error.

DIFFERENTIAL_COUNT and DIFFERENTIAL_SEED change the number of blueprints and the seed.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import differential
from tests import probes
from tests.differential import ASSERTED, MAPPING, Case, compare, generate

COUNT = int(os.environ.get("DIFFERENTIAL_COUNT", "150"))
SEED = os.environ.get("DIFFERENTIAL_SEED", "20261125")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> list[Case]:
    root = tmp_path_factory.mktemp("generated")
    return differential.generate_cases(root, COUNT, SEED)


@pytest.fixture(scope="module")
def report(reference_python, generated, tmp_path_factory):
    root = tmp_path_factory.mktemp("differential")
    return differential.run(root, COUNT, SEED, reference_python, cases=generated)


def test_generated_blueprints_match_the_reference(report, capsys):
    text = report.render(max_examples=3)
    with capsys.disabled():
        print("\n" + text.split("\n\n")[0])
    assert len(report.cases) == COUNT
    assert not report.asserted, text


def test_generated_blueprints_match_inputs_and_settings(report):
    """Beyond the conformance fields: operation inputs (but for the `type` key the reference
    injects, SPEC §10.4.27), retry/timeout settings, (plugin, executor) pairs, short names."""
    groups = (differential.INPUTS, differential.SETTINGS, differential.PLUGIN_EXECUTORS,
              differential.SHORT_NAMES)
    assert not report.of(*groups), report.render()


def test_invalid_blueprints_are_rejected_by_the_reference_too(report):
    """The mutations do what they say (otherwise the verdict comparison proves little)."""
    accepted = [f for f in report.findings if f.kind.startswith("reference accepts")]
    rejected_valid = [f for f in report.findings if f.kind.startswith("reference rejects")]
    assert not accepted and not rejected_valid, report.render()
    assert any(not case.valid for case in report.cases)


# --- without the reference -----------------------------------------------------------------------


def test_resolver_accepts_every_generated_valid_blueprint(generated):
    results, _ = differential.resolve_ours(generated)
    failures = []
    for position, case in enumerate(generated):
        result = results[position]
        if isinstance(result, Exception):
            failures.append(f"{case.name}: raised {type(result).__name__}: {result}")
            continue
        internal = [p for p in result.problems if p.code == "internal-error"]
        if internal:
            failures.append(f"{case.name}: internal-error {internal[0].message}")
        elif case.valid and not case.probe and not result.ok:  # a probe's verdict is the reference's
            errors = [f"{p.code}: {p.message}" for p in result.problems if p.is_error]
            failures.append(f"{case.name} ({case.repro}): rejected: {errors[:3]}")
        elif not case.valid and result.ok:
            failures.append(f"{case.name} ({case.repro}): accepted although {case.mutation} "
                            f"(reference code {case.expected_code})")
    assert not failures, "\n".join(failures)


def test_generator_exercises_every_rule(generated):
    """The rules of SPEC §4-§7 the generator is meant to reach all appear in the sample."""
    seen = set().union(*(case.features for case in generated))
    wanted = {
        "type op string", "type op dict", "type op noop {}", "type op noop ''",
        "type op noop with inputs", "type op executor host_agent", "input required",
        "input typed dict default", "sub-type no-op overrides parent", "sub-type replaces parent op",
        "template override inputs only", "template override other implementation",
        "template override {}", "template override {inputs: {}}", "template override executor only",
        "template override same implementation with inputs", "template new op dict",
        "mapping script file", "mapping inline script", "mapping http url",
        "mapping file named like plugin mapping", "mapping plugin host_agent",
        "host through several levels", "host type by substring", "unhosted node",
        "relationship instance source override", "relationship instance target override",
        "workflow string", "workflow parameters", "workflow script", "namespaced import",
        "mapping inside a namespaced import", "nested relative import",
    }
    assert wanted <= seen, sorted(wanted - seen)
    assert {case.version for case in generated} == set(differential.VERSIONS)
    mutations = {case.mutation for case in generated if not case.valid}
    assert len(mutations) >= 10, sorted(mutations)


def test_generator_is_deterministic(tmp_path):
    def tree(root: Path) -> dict:
        return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}

    for index in (0, 7, 31):
        first = generate(SEED, index, tmp_path / "a")
        again = generate(SEED, index, tmp_path / "b")
        assert tree(first.folder) == tree(again.folder)
        assert (first.valid, first.mutation) == (again.valid, again.mutation)


def test_comparison_sees_a_changed_mapping(tmp_path):
    """The comparator is not vacuous: our own plan, in the reference's shape, compares equal to
    itself, and a changed plugin, executor, input or verdict is found."""
    from resolver import Resolver

    case = next(c for c in (generate("cmp", i, tmp_path) for i in range(40))
                if c.valid and "mapping plugin central_deployment_agent" in c.features)
    result = Resolver().resolve(case.path)
    assert result.ok, result.problems
    theirs = {"status": "ok", "plan": as_reference(result.plan)}
    assert compare(case, result, theirs) == []

    node_id, name = next((n["id"], k) for n in result.plan["nodes"]
                         for k, op in n["operations"].items() if "." in k and op["plugin"])
    changed = as_reference(result.plan)
    changed["nodes"][node_id]["operations"][name]["executor"] = "elsewhere"
    changed["nodes"][node_id]["operations"][name]["inputs"] = {"injected": 1}
    found = compare(case, result, {"status": "ok", "plan": changed})
    assert {f.group for f in found} == {MAPPING, differential.INPUTS}
    rejected = compare(case, result, {"status": "error", "class": "X", "code": 10, "message": "m"})
    assert rejected and {f.group for f in rejected} <= set(ASSERTED) | {differential.REFERENCE}


def test_injected_input_type_is_the_only_ignored_input_difference():
    assert differential._inputs_equal({"c": {"a": 1}}, {"c": {"a": 1, "type": "dict"}})
    assert not differential._inputs_equal({"c": {"a": 1}}, {"c": {"a": 2, "type": "dict"}})
    assert not differential._inputs_equal({"c": {"a": 1}}, {"c": {"a": 1, "kind": "dict"}})
    assert not differential._inputs_equal({"c": "x"}, {"c": "x", "d": 1})


def as_reference(plan: dict) -> dict:
    """Our plan in the shape the reference driver prints (REFERENCE_DRIVER's view())."""
    fields = differential.INSTALL_FIELDS
    nodes = {}
    for node in plan["nodes"]:
        nodes[node["id"]] = {
            "type": node["type"], "type_hierarchy": node["type_hierarchy"], "host_id": node["host_id"],
            "operations": {k: dict(v) for k, v in node["operations"].items()},
            "relationships": [dict(r) for r in node["relationships"]],
            "plugins": [p["name"] for p in node["plugins"]],
            "plugin_pairs": sorted({(p["name"], p["executor"]) for p in node["plugins"]}),
            "plugins_to_install": [{f: p.get(f) for f in fields} for p in node["plugins_to_install"]],
        }
    out = {"nodes": nodes, "workflows": plan["workflows"]}
    for key in ("deployment_plugins_to_install", "host_agent_plugins_to_install",
                "workflow_plugins_to_install"):
        out[key] = [{f: p.get(f) for f in fields} for p in plan[key]]
    return out


def test_formerly_known_differences_now_agree(reference_python, tmp_path):
    """The constructs once listed in KNOWN_DIFFERENCES (empty implementations inside a namespace,
    node_instances_active values, script paths read as URLs, booleans as retries, SELF/SOURCE/
    TARGET scope and get_property of a missing property) now give the reference's verdict."""
    count = max(20, COUNT // 3)
    cases = differential.generate_cases(tmp_path / "cases", count, SEED, known=True)
    assert any(set(case.features) & set(differential.KNOWN_DIFFERENCES) for case in cases)
    report = differential.run(tmp_path / "run", count, SEED, reference_python, cases=cases)
    verdicts = report.of(differential.VERDICT, MAPPING, differential.CRASH)
    assert not verdicts, report.render()


@pytest.mark.parametrize("family", sorted(probes.FAMILIES))
def test_every_rule_family_is_probed(family, tmp_path):
    """Each family of issue 7 reaches the blueprints it is asked for (tests/probes.py)."""
    cases = differential.generate_cases(tmp_path, 6, f"family-{family}", invalid_share=0.0, probe_share=1.0,
                                        family=family)
    assert all(case.probe.startswith(f"{family}:") for case in cases), [case.probe for case in cases]
    assert any("none" not in case.probe for case in cases)
