"""Stage 6, graph: the node graph, relationship cycles and the install order.

The cycle check and the install order need only each node's relationship targets, which the
standard library's `graphlib` orders. networkx, whose import alone costs more than resolving a
small blueprint, is imported only when something reads the node graph (`Result.graph`) or a
cycle has to be named. `lexicographic_order` also orders the lifecycle plans' instances.
"""
from __future__ import annotations

import graphlib
import heapq

from .nodes import Model
from .problems import Problems


class NodeGraph:
    """The node graph of a model as a networkx DiGraph, built on first use: nodes are node
    templates (type, type_hierarchy, host_id); an edge source -> target is a relationship, with its
    type, the types of every relationship between the two, and its source and target operations.

    It reads as that DiGraph does (any attribute, `len`, `in`, iteration, `graph[node]`);
    `digraph` is the DiGraph itself. `graph`, the DiGraph's attribute dict, is there before it is
    built. `targets` maps each node to its relationships' targets, in order, without duplicates.
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self.graph: dict = {}
        self.targets = {node.id: list(dict.fromkeys(rel.target_id for rel in node.relationships))
                        for node in model.nodes}
        self._digraph = None

    @property
    def digraph(self):
        if self._digraph is None:
            self._digraph = _build(self.model)
            self._digraph.graph = self.graph
        return self._digraph

    def __getattr__(self, name: str):
        # Only names the instance lacks arrive here; dunders (pickle's probes among them) are not
        # the DiGraph's business.
        if name.startswith("__") or name in ("model", "graph", "targets", "_digraph"):
            raise AttributeError(name)
        return getattr(self.digraph, name)

    def __iter__(self):
        return iter(self.digraph)

    def __len__(self) -> int:
        return len(self.digraph)

    def __contains__(self, node) -> bool:
        return node in self.digraph

    def __getitem__(self, node):
        return self.digraph[node]


def _build(model: Model):
    import networkx as nx

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


def build_graph(model: Model) -> NodeGraph:
    """The node graph of `model` (see NodeGraph); nothing is computed until it is read."""
    return NodeGraph(model)


def find_cycle(graph: NodeGraph, model: Model, problems: Problems) -> bool:
    """Report one relationship cycle, True when there is one."""
    try:
        graphlib.TopologicalSorter(graph.targets).prepare()
        return False
    except graphlib.CycleError:
        pass
    import networkx as nx

    digraph = graph.digraph
    # find_cycle without a source restarts its search from every node (quadratic on long
    # chains); strongly connected components are one linear pass, then one search inside.
    component = next(c for c in nx.strongly_connected_components(digraph)
                     if len(c) > 1 or any(digraph.has_edge(n, n) for n in c))
    start = min(component)
    edges = nx.find_cycle(digraph.subgraph(component), source=start)
    path = [edges[0][0]] + [target for _, target in edges]
    first = next((node for node in model.nodes if node.id == path[0]), None)
    problems.add("cycle", f"node templates depend on each other in a cycle: {' --> '.join(path)}",
                 first.mark if first else None, hint="Remove or reverse one relationship of the cycle.")
    return True


def install_order(graph: NodeGraph) -> list[str]:
    """Every node after its targets (hosts and dependencies); of the nodes ready at each step the
    smallest id comes first, so the order is stable. The graph has no cycle (find_cycle)."""
    return lexicographic_order(graph.targets)


def lexicographic_order(predecessors: dict, key=None) -> list:
    """Every node of `predecessors` (node -> the nodes it comes after) after those; of the nodes
    ready at each step the smallest (by `key`, else itself) first. Raises graphlib.CycleError on
    a cycle."""
    sorter = graphlib.TopologicalSorter(predecessors)
    sorter.prepare()
    rank = key or (lambda node: node)
    ready = [(rank(node), node) for node in sorter.get_ready()]
    heapq.heapify(ready)
    order = []
    while ready:
        _, node = heapq.heappop(ready)
        order.append(node)
        sorter.done(node)
        for later in sorter.get_ready():
            heapq.heappush(ready, (rank(later), later))
    return order
