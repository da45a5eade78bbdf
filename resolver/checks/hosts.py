"""Hosts: a node lives in one container, and a node that runs host_agent operations needs a host
(codes of codes.py's contained-in-multiple and host-agent-without-host rows)."""
from __future__ import annotations

from ..hierarchy import is_contained_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    for node in model.nodes:
        containers = [rel.target_id for rel in node.relationships if is_contained_in(rel.type_hierarchy)]
        if len(containers) > 1:
            problems.add("contained-in-multiple",
                         f"node {node.id!r} is contained in more than one node: {', '.join(containers)}", node.mark,
                         hint="A node lives in one host; keep one contained_in relationship.")
        if node.host_id is not None:
            continue
        plugin = next((p for p in node.plugins if p["executor"] == "host_agent"), None)
        if plugin is not None:
            problems.add("host-agent-without-host",
                         f"node {node.id!r} is not contained in a host but runs plugin {plugin['name']!r} with "
                         "executor host_agent", node.mark,
                         hint="Add a contained_in relationship to a Compute node, or use "
                              "executor: central_deployment_agent.", subject=plugin["name"])
