"""Shared helpers: write small blueprint trees to a temporary folder and resolve them.

Nothing here reads outside the repository: `BASIC_TYPES` is a small stand-in for Cloudify's
global `types.yaml`, enough for lifecycle, agent, script and workflow mappings.
"""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from resolver import Options, Resolver

REPO = Path(__file__).resolve().parent.parent

# A trimmed Cloudify basic types file, written for these tests. It declares no
# tosca_definitions_version, so blueprints of any DSL version may import it.
BASIC_TYPES = """\
plugins:
  agent:
    executor: central_deployment_agent
    install: false
  default_workflows:
    executor: central_deployment_agent
    install: false
  script:
    executor: host_agent
    install: false

node_types:
  cloudify.nodes.Root:
    interfaces:
      cloudify.interfaces.lifecycle:
        create: {}
        configure: {}
        start: {}
        stop: {}
        delete: {}
      cloudify.interfaces.validation:
        create: {}
        delete: {}
  cloudify.nodes.Compute:
    derived_from: cloudify.nodes.Root
    properties:
      ip:
        default: ''
    interfaces:
      cloudify.interfaces.cloudify_agent:
        create: agent.cloudify_agent.installer.operations.create
  cloudify.nodes.SoftwareComponent:
    derived_from: cloudify.nodes.Root
  cloudify.nodes.WebServer:
    derived_from: cloudify.nodes.SoftwareComponent
    properties:
      port:
        default: 80

relationships:
  cloudify.relationships.depends_on:
    properties:
      connection_type:
        default: all_to_all
    source_interfaces:
      cloudify.interfaces.relationship_lifecycle:
        preconfigure: {}
        establish: {}
        unlink: {}
    target_interfaces:
      cloudify.interfaces.relationship_lifecycle:
        preconfigure: {}
        establish: {}
        unlink: {}
  cloudify.relationships.connected_to:
    derived_from: cloudify.relationships.depends_on
  cloudify.relationships.contained_in:
    derived_from: cloudify.relationships.depends_on

workflows:
  install: default_workflows.cloudify.plugins.workflows.install
"""


def header(version: str = "cloudify_dsl_1_4", *imports: str) -> str:
    """The first lines of a blueprint: its version and an imports list (types.yaml first)."""
    lines = [f"tosca_definitions_version: {version}", "imports:", "  - types.yaml"]
    lines += [f"  - {ref}" for ref in imports]
    return "\n".join(lines) + "\n"


def blueprint(body: str = "", *imports: str, version: str = "cloudify_dsl_1_4") -> str:
    """`header(version, *imports)` then `body` (dedented), whose first line is line 4 + len(imports)."""
    return header(version, *imports) + textwrap.dedent(body)


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write {relative path: text} under `root` (texts are dedented); return `root`."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def resolve_tree(root: Path, files: dict[str, str], main: str = "blueprint.yaml", *,
                 types: bool = True, resolver: Resolver | None = None, **session):
    """Write `files` (plus `types.yaml` unless given or `types=False`) and resolve `main`."""
    files = dict(files)
    if types:
        files.setdefault("types.yaml", BASIC_TYPES)
    write_tree(root, files)
    if resolver is None:
        session.setdefault("options", Options())
        resolver = Resolver(**session)
    return resolver.resolve(root / main)


def codes(result) -> list[str]:
    """The problem codes of a result, in the result's (sorted) order."""
    return [p.code for p in result.problems]


def where(problem, root: Path) -> tuple:
    """(code, file relative to `root`, line, column) of a problem, whatever the working folder."""
    file = problem.file
    if file is not None and not file.startswith(("memory:",)) and "://" not in file:
        file = os.path.relpath(os.path.abspath(file), root).replace(os.sep, "/")
    return problem.code, file, problem.line, problem.column


def places(result, root: Path) -> list[tuple]:
    return [where(p, root) for p in result.problems]


def only(result, code: str):
    """The single problem with `code`; fails when there is not exactly one."""
    found = [p for p in result.problems if p.code == code]
    assert len(found) == 1, f"expected one {code}, got {[(p.code, p.message) for p in result.problems]}"
    return found[0]


def node(plan: dict, node_id: str) -> dict:
    for entry in plan["nodes"]:
        if entry["id"] == node_id:
            return entry
    raise AssertionError(f"no node {node_id!r} in plan: {[n['id'] for n in plan['nodes']]}")


def plugin_names(entries) -> list[str]:
    return sorted(entry["name"] for entry in entries)


@pytest.fixture
def bp(tmp_path):
    """`bp(files, main=..., **session)` resolves a tree written to this test's tmp_path."""
    def run(files, main="blueprint.yaml", **kwargs):
        return resolve_tree(tmp_path, files, main, **kwargs)
    run.root = tmp_path
    return run


def plugin_yaml(version: str, executor: str = "central_deployment_agent", extra: str = "",
                task: str = "create") -> str:
    """The plugin YAML of `demo-plugin` at `version`: plugin `demo` and a node type whose create
    operation maps to `demo.tasks.<task>`; `extra` is appended."""
    return f"""\
plugins:
  demo:
    executor: {executor}
    package_name: demo-plugin
    package_version: '{version}'
node_types:
  demo.nodes.Thing:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: demo.tasks.{task}
{extra}"""


@pytest.fixture(scope="session")
def reference_python() -> Path:
    """A Python with the reference parser (tests/differential.py's `find_reference_python`)."""
    from tests import differential

    python, why = differential.find_reference_python()
    if python is None:
        # `make test` creates .ref; in CI a missing reference is a failure, never a quiet skip
        if os.environ.get("CI"):
            pytest.fail(f"no reference parser to compare with: {why} (run `make reference`)")
        pytest.skip(f"no reference parser to compare with: {why} (run `make reference`)")
    return python
