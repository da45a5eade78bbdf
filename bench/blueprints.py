"""Synthetic blueprints of any size, written to a folder the caller owns (never the repository).

Layout under `root`:

    registry/cloudify-bench-plugin/1.2.0/plugin.yaml   the one plugin, a directory registry
    n<N>/blueprint.yaml                                 N node templates (`generate`)
    n<N>/types.yaml                                     small self-written basic types
    n<N>/scripts/*.sh                                   the scripts script operations name
    chain<N>/, cycle<N>/, imports<N>/                    the shapes of `chain`, `cycle`, `imports`

Every tenth node is a host (`cloudify.nodes.Compute` or the plugin's server type); the other nine
are software components contained in it. Components of one host form a `depends_on` chain, the
first of each host is `connected_to` a component of an earlier host, and some components get one
more `connected_to` edge backwards. Lifecycle operations are a seeded mix of plugin operations
(some on the host agent), script operations and no-ops, most with inputs. Edges only point to
earlier nodes, so the graph is acyclic, and each node has a bounded number of them, so the
blueprint grows linearly with N. The same (N, seed) always gives byte-identical files.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DSL_VERSION = "cloudify_dsl_1_4"
PLUGIN_PACKAGE = "cloudify-bench-plugin"
PLUGIN_VERSION = "1.2.0"
PLUGIN_IMPORT = f"plugin:{PLUGIN_PACKAGE}?version=>=1.0"
GROUP = 10  # nodes per host, the host included
SCRIPTS = 12  # distinct script files; operations share them
LIFECYCLE = ("create", "configure", "start", "stop", "delete")
# Weights of what a component's lifecycle operation becomes.
KINDS = (("plugin", 4), ("agent-plugin", 1), ("script", 3), ("noop", 2), ("inherited", 2))
# Strings that YAML reads back unchanged without quotes; anything else is written as JSON.
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_KEYWORDS = {"true", "false", "yes", "no", "on", "off", "y", "n", "null"}

TYPES_YAML = f"""\
# Basic types for the benchmark blueprints: the few built-ins they use, nothing more.
tosca_definitions_version: {DSL_VERSION}

plugins:
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
        create: {{}}
        configure: {{}}
        start: {{}}
        stop: {{}}
        delete: {{}}
      cloudify.interfaces.validation:
        create: {{}}
        delete: {{}}

  cloudify.nodes.Compute:
    derived_from: cloudify.nodes.Root
    properties:
      ip:
        type: string
        default: ''
      agent_config:
        type: dict
        default: {{}}

  cloudify.nodes.SoftwareComponent:
    derived_from: cloudify.nodes.Root

  cloudify.nodes.ApplicationModule:
    derived_from: cloudify.nodes.Root

relationships:
  cloudify.relationships.depends_on:
    properties:
      connection_type:
        type: string
        default: all_to_all
    source_interfaces:
      cloudify.interfaces.relationship_lifecycle:
        preconfigure: {{}}
        postconfigure: {{}}
        establish: {{}}
        unlink: {{}}
    target_interfaces:
      cloudify.interfaces.relationship_lifecycle:
        preconfigure: {{}}
        postconfigure: {{}}
        establish: {{}}
        unlink: {{}}

  cloudify.relationships.contained_in:
    derived_from: cloudify.relationships.depends_on

  cloudify.relationships.connected_to:
    derived_from: cloudify.relationships.depends_on

workflows:
  install: default_workflows.cloudify.plugins.workflows.install
  uninstall: default_workflows.cloudify.plugins.workflows.uninstall
"""

PLUGIN_YAML = f"""\
# The benchmark plugin: a server type, a service type and a relationship, all mapped to it.
plugins:
  bench:
    executor: central_deployment_agent
    package_name: {PLUGIN_PACKAGE}
    package_version: '{PLUGIN_VERSION}'

node_types:
  bench.nodes.Server:
    derived_from: cloudify.nodes.Compute
    properties:
      flavor:
        type: string
        default: small
    interfaces:
      cloudify.interfaces.lifecycle:
        create:
          implementation: bench.bench_plugin.server.create
          inputs:
            flavor:
              type: string
              default: small
        start:
          implementation: bench.bench_plugin.server.start
          max_retries: 10
        stop: bench.bench_plugin.server.stop
        delete: bench.bench_plugin.server.delete

  bench.nodes.Service:
    derived_from: cloudify.nodes.SoftwareComponent
    properties:
      port:
        type: integer
        default: 8080
    interfaces:
      cloudify.interfaces.lifecycle:
        configure:
          implementation: bench.bench_plugin.service.configure
          executor: host_agent
          inputs:
            mode:
              type: string
              default: normal
        start: bench.bench_plugin.service.start

relationships:
  bench.relationships.uses:
    derived_from: cloudify.relationships.connected_to
    source_interfaces:
      cloudify.interfaces.relationship_lifecycle:
        preconfigure:
          implementation: bench.bench_plugin.links.preconfigure
          inputs:
            channel:
              type: string
              default: direct
"""


@dataclass(frozen=True)
class Generated:
    nodes: int
    hosts: int
    relationships: int
    path: Path  # the blueprint
    size_bytes: int
    files: tuple[Path, ...] = ()  # every file resolving it reads, the plugin YAML aside
    uses_plugin: bool = True  # imports PLUGIN_IMPORT


def write_registry(root: Path) -> Path:
    """Write the directory registry under `root` and return its folder."""
    registry = root / "registry"
    folder = registry / PLUGIN_PACKAGE / PLUGIN_VERSION
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plugin.yaml").write_text(PLUGIN_YAML, encoding="utf-8")
    return registry


def plugin_yaml_path(registry: Path) -> Path:
    """The file that answers `PLUGIN_IMPORT` in the registry `write_registry` made."""
    return registry / PLUGIN_PACKAGE / PLUGIN_VERSION / "plugin.yaml"


def generate(root: Path, nodes: int, seed: int = 1) -> Generated:
    """Write a blueprint of `nodes` node templates (and its types and scripts) under `root`."""
    if nodes < 1:
        raise ValueError("a blueprint needs at least one node")
    folder = root / f"n{nodes}"
    (folder / "scripts").mkdir(parents=True, exist_ok=True)
    (folder / "types.yaml").write_text(TYPES_YAML, encoding="utf-8")
    for index in range(SCRIPTS):
        script = folder / "scripts" / f"step_{index:02d}.sh"
        script.write_text(f"#!/bin/sh\necho step {index} \"$@\"\n", encoding="utf-8")

    rng = random.Random(f"{seed}:{nodes}")
    templates = _templates(rng, nodes)
    document = {
        "tosca_definitions_version": DSL_VERSION,
        "description": f"Synthetic benchmark blueprint: {nodes} node templates (seed {seed}).",
        "imports": ["types.yaml", PLUGIN_IMPORT],
        "inputs": {
            "flavor": {"type": "string", "default": "medium"},
            "release": {"type": "string", "default": "2024.1"},
        },
        "node_templates": templates,
    }
    text = "\n".join(_emit(document, 0)) + "\n"
    path = folder / "blueprint.yaml"
    path.write_text(text, encoding="utf-8")
    hosts = sum(1 for index in range(nodes) if index % GROUP == 0)
    relationships = sum(len(template.get("relationships", ())) for template in templates.values())
    return Generated(nodes=nodes, hosts=hosts, relationships=relationships, path=path,
                     size_bytes=len(text.encode("utf-8")), files=(path, folder / "types.yaml"))


def chain(root: Path, nodes: int) -> Generated:
    """`nodes` templates in one line of `depends_on`: node i depends on node i-1."""
    return _linked(root / f"chain{nodes}", nodes, closed=False)


def cycle(root: Path, nodes: int) -> Generated:
    """The chain closed into a ring: node 0 depends on the last one, so both parsers refuse it."""
    return _linked(root / f"cycle{nodes}", nodes, closed=True)


def _linked(folder: Path, nodes: int, closed: bool) -> Generated:
    if nodes < 2:
        raise ValueError("a chain needs at least two nodes")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "types.yaml").write_text(TYPES_YAML, encoding="utf-8")
    templates = {}
    for index in range(nodes):
        target = index - 1 if index else (nodes - 1 if closed else None)
        template: dict[str, Any] = {"type": "cloudify.nodes.SoftwareComponent"}
        if target is not None:
            template["relationships"] = [{"type": "cloudify.relationships.depends_on", "target": f"node_{target}"}]
        templates[f"node_{index}"] = template
    shape = "ring" if closed else "chain"
    document = {"tosca_definitions_version": DSL_VERSION,
                "description": f"Synthetic benchmark blueprint: a {shape} of {nodes} depends_on relationships.",
                "imports": ["types.yaml"], "node_templates": templates}
    return _write(folder, document, nodes, relationships=nodes if closed else nodes - 1,
                  files=(folder / "types.yaml",), uses_plugin=False)


def imports(root: Path, count: int, nodes: int = 10) -> Generated:
    """A blueprint importing `count` files, each declaring one node type; `nodes` templates use some."""
    folder = root / f"imports{count}"
    (folder / "parts").mkdir(parents=True, exist_ok=True)
    (folder / "types.yaml").write_text(TYPES_YAML, encoding="utf-8")
    parts = []
    for index in range(count):
        part = folder / "parts" / f"part_{index:05d}.yaml"
        part.write_text(f"node_types:\n  bench.imported.T{index}:\n    derived_from: cloudify.nodes.Root\n"
                        f"    properties:\n      rank:\n        type: integer\n        default: {index}\n",
                        encoding="utf-8")
        parts.append(part)
    templates = {f"node_{index}": {"type": f"bench.imported.T{index * count // nodes}"} for index in range(nodes)}
    document = {"tosca_definitions_version": DSL_VERSION,
                "description": f"Synthetic benchmark blueprint: {count} imported files.",
                "imports": ["types.yaml", *(f"parts/{part.name}" for part in parts)], "node_templates": templates}
    return _write(folder, document, nodes, relationships=0, files=(folder / "types.yaml", *parts),
                  uses_plugin=False)


def _write(folder: Path, document: dict, nodes: int, *, relationships: int, files: tuple[Path, ...],
           uses_plugin: bool) -> Generated:
    text = "\n".join(_emit(document, 0)) + "\n"
    path = folder / "blueprint.yaml"
    path.write_text(text, encoding="utf-8")
    return Generated(nodes=nodes, hosts=0, relationships=relationships, path=path, size_bytes=len(text.encode("utf-8")),
                     files=(path, *files), uses_plugin=uses_plugin)


def _templates(rng: random.Random, count: int) -> dict[str, dict]:
    templates: dict[str, dict] = {}
    components: list[str] = []  # every component so far, in order
    host = previous = ""
    for index in range(count):
        if index % GROUP == 0:
            host, previous = f"host_{index // GROUP}", ""
            templates[host] = _host(rng, index)
            continue
        name = f"app_{index}"
        relationships: list[dict] = [{"type": "cloudify.relationships.contained_in", "target": host}]
        if previous:
            relationships.append({"type": "cloudify.relationships.depends_on", "target": previous})
        elif components:
            relationships.append(_connection(rng, rng.choice(components[-3 * GROUP:])))
        if len(components) > 1 and rng.random() < 0.3:
            target = rng.choice(components[:-1])
            if target != previous:
                relationships.append(_connection(rng, target))
        templates[name] = _component(rng, index, relationships)
        components.append(name)
        previous = name
    return templates


def _host(rng: random.Random, index: int) -> dict:
    address = f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"
    if rng.random() < 0.5:
        return {"type": "cloudify.nodes.Compute",
                "properties": {"ip": address, "agent_config": {"install_method": "none"}}}
    return {"type": "bench.nodes.Server",
            "properties": {"ip": address, "flavor": {"get_input": "flavor"}},
            "interfaces": {"cloudify.interfaces.lifecycle": {
                "create": {"inputs": {"flavor": {"get_property": ["SELF", "flavor"]}}}}}}


def _component(rng: random.Random, index: int, relationships: list[dict]) -> dict:
    service = rng.random() < 0.5
    template: dict[str, Any] = {"type": "bench.nodes.Service" if service else "cloudify.nodes.SoftwareComponent"}
    if service:
        template["properties"] = {"port": 8000 + index % 1000}
    lifecycle = {}
    kinds, weights = zip(*KINDS)
    for operation in LIFECYCLE:
        kind = rng.choices(kinds, weights)[0]
        if kind == "inherited":
            continue
        if kind == "noop":
            lifecycle[operation] = {}
            continue
        inputs = {"release": {"get_input": "release"}, "attempt": rng.randint(1, 5),
                  "labels": {"node": f"app_{index}", "tier": rng.choice(("web", "api", "worker"))}}
        if kind == "script":
            implementation = f"scripts/step_{rng.randrange(SCRIPTS):02d}.sh"
        else:
            implementation = f"bench.bench_plugin.tasks.{operation}"
        entry: dict[str, Any] = {"implementation": implementation, "inputs": inputs}
        if kind == "agent-plugin":
            entry["executor"] = "host_agent"
        if rng.random() < 0.2:
            entry["max_retries"] = rng.randint(0, 5)
        lifecycle[operation] = entry
    if lifecycle:
        template["interfaces"] = {"cloudify.interfaces.lifecycle": lifecycle}
    template["relationships"] = relationships
    return template


def _connection(rng: random.Random, target: str) -> dict:
    if rng.random() < 0.5:
        return {"type": "cloudify.relationships.connected_to", "target": target}
    return {"type": "bench.relationships.uses", "target": target,
            "source_interfaces": {"cloudify.interfaces.relationship_lifecycle": {
                "preconfigure": {"inputs": {"channel": rng.choice(("direct", "proxy"))}}}}}


def _emit(value: Any, indent: int) -> list[str]:
    """Block-style YAML for plain dicts, lists and scalars; scalars are JSON, which YAML reads."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if _inline(item):
                lines.append(f"{pad}{key}: {_scalar(item)}")
            else:
                lines.append(f"{pad}{key}:")
                lines.extend(_emit(item, indent + 2))
    else:
        for item in value:
            if _inline(item):
                lines.append(f"{pad}- {_scalar(item)}")
            else:
                nested = _emit(item, indent + 2)
                lines.append(f"{pad}- {nested[0].lstrip()}")
                lines.extend(nested[1:])
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value.lower() not in _KEYWORDS:
        return value
    return json.dumps(value)


def _inline(value: Any) -> bool:
    # Empty containers and short flat lists read best inline; JSON is valid flow-style YAML.
    if isinstance(value, (dict, list)):
        return not value or (isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value))
    return True
