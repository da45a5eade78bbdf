"""Stage 6, graph: the node graph (networkx), relationship cycles and the install order."""
from __future__ import annotations

import networkx as nx

from .nodes import Model
from .problems import Problems


def build_graph(model: Model) -> nx.DiGraph:
    """Nodes are node templates; an edge source -> target is a relationship, with its type and ops."""
    graph = nx.DiGraph()
    for node in model.nodes:
        graph.add_node(node.id, type=node.type, type_hierarchy=list(node.type_hierarchy), host_id=node.host_id)
    for node in model.nodes:
        for rel in node.relationships:
            if graph.has_edge(node.id, rel.target_id):
                graph.edges[node.id, rel.target_id]["relationships"].append(rel.type)
                continue
            graph.add_edge(node.id, rel.target_id, type=rel.type, relationships=[rel.type],
                           source_operations={k: v.as_dict() for k, v in rel.source_operations.items()},
                           target_operations={k: v.as_dict() for k, v in rel.target_operations.items()})
    return graph


def find_cycle(graph: nx.DiGraph, model: Model, problems: Problems) -> bool:
    """Report one relationship cycle (one linear DFS), True when there is one."""
    # find_cycle without a source restarts its search from every node (quadratic on long
    # chains); strongly connected components are one linear pass, then one search inside.
    component = next((c for c in nx.strongly_connected_components(graph)
                      if len(c) > 1 or any(graph.has_edge(n, n) for n in c)), None)
    if component is None:
        return False
    start = min(component)
    edges = nx.find_cycle(graph.subgraph(component), source=start)
    path = [edges[0][0]] + [target for _, target in edges]
    first = next((node for node in model.nodes if node.id == path[0]), None)
    problems.add("cycle", f"node templates depend on each other in a cycle: {' --> '.join(path)}",
                 first.mark if first else None, hint="Remove or reverse one relationship of the cycle.")
    return True


def install_order(graph: nx.DiGraph) -> list[str]:
    """Every node after its targets (hosts and dependencies); ties broken by name, so stable."""
    return list(nx.lexicographical_topological_sort(graph.reverse(copy=False)))
