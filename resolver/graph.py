"""Stage 6, graph: the node graph, relationship cycles and the install order.

The cycle check and the install order need only each node's relationship targets, which the
standard library's `graphlib` orders (`cycle_in` names a cycle). networkx, whose import alone
costs more than resolving a small blueprint, is imported only when something reads the node graph
(`Result.graph`). `lexicographic_order` also orders the lifecycle plans' instances.
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
        # install_order's answer, worked out by find_cycle when it finds no cycle (`order` would
        # hide the DiGraph's own)
        self._install_order: list | None = None

    @property
    def digraph(self):
        if self._digraph is None:
            self._digraph = _build(self.model)
            self._digraph.graph = self.graph
        return self._digraph

    def __getattr__(self, name: str):
        # Only names the instance lacks arrive here; dunders (pickle's probes among them) are not
        # the DiGraph's business.
        if name.startswith("__") or name in ("model", "graph", "targets", "_digraph", "_install_order"):
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
    """Report one relationship cycle, True when there is one. Without one, the install order is
    worked out on the way, for `install_order`: ordering the nodes is what finds a cycle."""
    try:
        graph._install_order = lexicographic_order(graph.targets)
        return False
    except graphlib.CycleError:
        pass
    path = cycle_in(graph.targets)
    first = next((node for node in model.nodes if node.id == path[0]), None)
    problems.add("cycle", f"node templates depend on each other in a cycle: {' --> '.join(path)}",
                 first.mark if first else None, hint="Remove or reverse one relationship of the cycle.")
    return True


def cycle_in(targets: dict[str, list[str]]) -> list[str]:
    """One cycle of the graph `targets` (node -> the nodes it points to, in order), as the nodes
    walked, the first repeated at the end; [] when there is none.

    The cycle is the one networkx names (its strongly_connected_components, then find_cycle from
    the component's smallest node), so the problem reads as it did when networkx found it: the
    first component with a cycle that a depth-first search from each node in turn completes, then,
    from its smallest node, each node's first target inside the component until one repeats.
    """
    component = _first_cyclic_component(targets)
    if component is None:
        return []
    node = min(component)
    path, seen = [node], {node}
    while True:
        node = next(target for target in targets[node] if target in component)
        path.append(node)
        if node in seen:
            return path[path.index(node):]
        seen.add(node)


def _first_cyclic_component(targets: dict[str, list[str]]) -> set[str] | None:
    """Tarjan's strongly connected components, iterative, stopping at the first with a cycle (more
    than one node, or a node pointing to itself). Components complete in the order their first
    visited node's search ends, whatever the variant of the algorithm, so this is the component
    networkx yields first."""
    order: dict[str, int] = {}  # when each node was first visited
    low: dict[str, int] = {}  # the earliest visited node still open that each node reaches
    open_nodes: list[str] = []
    is_open: set[str] = set()
    for root in targets:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        open_nodes.append(root)
        is_open.add(root)
        searching = [(root, iter(targets.get(root, ())))]
        while searching:
            node, onward = searching[-1]
            for target in onward:
                if target not in order:
                    order[target] = low[target] = len(order)
                    open_nodes.append(target)
                    is_open.add(target)
                    searching.append((target, iter(targets.get(target, ()))))
                    break
                if target in is_open:
                    low[node] = min(low[node], order[target])
            else:
                searching.pop()
                if searching:
                    parent = searching[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == order[node]:
                    component = set()
                    while True:
                        member = open_nodes.pop()
                        is_open.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in targets.get(node, ()):
                        return component
    return None


def install_order(graph: NodeGraph) -> list[str]:
    """Every node after its targets (hosts and dependencies); of the nodes ready at each step the
    smallest id comes first, so the order is stable. The graph has no cycle (find_cycle)."""
    found = graph._install_order
    return found if found is not None else lexicographic_order(graph.targets)


def lexicographic_order(predecessors: dict, key=None) -> list:
    """Every node of `predecessors` (node -> the nodes it comes after) after those; of the nodes
    ready at each step the smallest (by `key`, else itself) first. Raises graphlib.CycleError on
    a cycle."""
    rank = key or (lambda node: node)
    if not any(predecessors.values()):
        # nothing comes after anything (a blueprint without relationships): all are ready at once
        return [node for _, node in sorted([(rank(node), node) for node in predecessors])]
    sorter = graphlib.TopologicalSorter(predecessors)
    sorter.prepare()
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
