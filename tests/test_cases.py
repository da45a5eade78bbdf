"""Data-driven cases: one folder per case under fixtures/cases/, test ids from the folder names.

Each folder holds `blueprint.yaml`, the files it imports and an `expected.yaml`:

    about: what the case shows
    main: blueprint.yaml            # optional
    registry: registry              # optional plugin registry folder inside the case
    search_paths: [lib]             # optional, inside the case
    ok: true | false
    problems:                       # every problem, in report order
      - {code: ..., file: ..., line: ..., column: ...,
         first: [line, column],     # optional: an earlier position the problem also names
         tried: [path, ...]}        # optional: places tried, in this order, named by the hint
    imports: [[written, resolved or null, namespace, via], ...]   # namespace and via optional
    nodes: [id, ...]                # node ids in plan order
    types: {node: type}
    operations: {node: {operation key: {field: value, ...}}}      # fields are compared as given
    relationships: {node: [[type, target], ...]}
    workflows: {name: {field: value, ...}}
    install_order: [id, ...]

`types.yaml` comes from the tests' own basic types, through a search path outside the case.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from resolver import Resolver

from .conftest import BASIC_TYPES, REPO, node

CASES = REPO / "fixtures" / "cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if (p / "expected.yaml").is_file()) if CASES.is_dir() else []


@pytest.fixture(scope="module")
def basic_types(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("basic-types")
    (folder / "types.yaml").write_text(BASIC_TYPES)
    return folder


def relative(path: str | None, case: Path) -> str | None:
    if path is None:
        return None
    return os.path.relpath(os.path.abspath(path), case).replace(os.sep, "/")


def test_there_are_enough_cases():
    assert len(CASE_DIRS) >= 8


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_case(case: Path, basic_types: Path):
    expected = yaml.safe_load((case / "expected.yaml").read_text())
    registries = [case / expected["registry"]] if "registry" in expected else []
    search_paths = [case / p for p in expected.get("search_paths", ())] + [basic_types]
    result = Resolver(registries=registries, search_paths=search_paths).resolve(
        case / expected.get("main", "blueprint.yaml"))

    got = [(p.code, relative(p.file, case), p.line, p.column) for p in result.problems]
    want = [(p["code"], p["file"], p["line"], p["column"]) for p in expected.get("problems", ())]
    assert got == want
    assert result.ok is expected["ok"]
    for problem, spec in zip(result.problems, expected.get("problems", ())):
        if "first" in spec:
            assert [int(n) for n in re.findall(r"\d+", problem.message)][:2] == spec["first"]
        if "tried" in spec:
            spots = [problem.hint.find(str(case / place)) for place in spec["tried"]]
            assert -1 not in spots and spots == sorted(spots), problem.hint

    plan = result.plan
    if not expected["ok"]:
        assert plan is None
        return
    if "imports" in expected:
        assert len(plan["imports"]) == len(expected["imports"])
        for entry, (written, resolved, *rest) in zip(plan["imports"], expected["imports"]):
            assert entry["import"] == written
            if resolved is not None:
                assert relative(entry["resolved"], case) == resolved
            if rest:
                assert (entry["namespace"], entry["via"]) == tuple(rest)
    if "nodes" in expected:
        assert [n["id"] for n in plan["nodes"]] == expected["nodes"]
    for node_id, type_name in expected.get("types", {}).items():
        assert node(plan, node_id)["type"] == type_name
    for node_id, operations in expected.get("operations", {}).items():
        got_ops = node(plan, node_id)["operations"]
        for key, fields in operations.items():
            assert {field: got_ops[key][field] for field in fields} == fields, key
    for node_id, rels in expected.get("relationships", {}).items():
        assert [[r["type"], r["target_id"]] for r in node(plan, node_id)["relationships"]] == rels
    for name, fields in expected.get("workflows", {}).items():
        assert {field: plan["workflows"][name][field] for field in fields} == fields
    if "install_order" in expected:
        assert plan["install_order"] == expected["install_order"]
