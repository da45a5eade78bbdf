"""The graph algorithms written for resolver instead of importing networkx (resolver/graph.py,
resolver/lifecycle.py) against networkx's, which they replace: on random acyclic relations the
same transitive reduction, steps and lexicographic topological order; on random graphs the same
cycle named."""
from __future__ import annotations

import networkx as nx
from hypothesis import given, settings, strategies as st

from resolver.graph import cycle_in, lexicographic_order
from resolver.lifecycle import reduce_order, steps_of


@st.composite
def acyclic_pairs(draw) -> tuple[list[str], list[tuple[str, str]]]:
    """Task ids and precedence pairs between them; pairs only run from an earlier position to a
    later one of a shuffled list, so there is no cycle, and repeated pairs may occur."""
    count = draw(st.integers(min_value=1, max_value=25))
    names = draw(st.permutations([f"t{i:02d}" for i in range(count)]))
    picks = st.tuples(st.integers(0, count - 1), st.integers(0, count - 1))
    pairs = [(names[a], names[b]) for a, b in draw(st.lists(picks, max_size=80)) if a < b]
    return list(names), pairs


EXAMPLES = settings(max_examples=300, deadline=None, derandomize=True)


@EXAMPLES
@given(acyclic_pairs())
def test_reduce_order_is_networkx_transitive_reduction(case):
    _, pairs = case
    graph = nx.DiGraph(pairs)
    assert reduce_order(pairs) == tuple(sorted(nx.transitive_reduction(graph).edges()))
    closure = [(a, b) for a in graph for b in nx.descendants(graph, a)]
    assert reduce_order(closure) == reduce_order(pairs)  # the closure reduces to the same pairs


@EXAMPLES
@given(acyclic_pairs())
def test_steps_are_longest_paths_from_the_first_tasks(case):
    names, pairs = case
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    graph.add_edges_from(pairs)
    level = {}
    for task in nx.topological_sort(graph):
        level[task] = max((level[p] + 1 for p in graph.predecessors(task)), default=0)
    expected = tuple(tuple(sorted(t for t in names if level[t] == step)) for step in sorted(set(level.values())))
    assert steps_of(names, reduce_order(pairs)) == expected


@EXAMPLES
@given(acyclic_pairs(), st.randoms(use_true_random=False))
def test_lexicographic_order_is_networkx_lexicographical_topological_sort(case, random):
    names, pairs = case
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    graph.add_edges_from(pairs)
    position = {name: index for index, name in enumerate(random.sample(names, len(names)))}
    predecessors = {name: list(graph.predecessors(name)) for name in names}
    assert lexicographic_order(predecessors, key=position.__getitem__) == list(
        nx.lexicographical_topological_sort(graph, key=position.__getitem__))
    assert lexicographic_order(predecessors) == list(nx.lexicographical_topological_sort(graph))


@st.composite
def any_graph(draw) -> dict[str, list[str]]:
    """node -> its targets in order, without duplicates; cycles and self-loops allowed, and targets
    that are no node (a relationship to an undefined template)."""
    count = draw(st.integers(min_value=1, max_value=12))
    names = [f"n{i:02d}" for i in draw(st.permutations(range(count)))]
    outside = st.sampled_from(["missing_a", "missing_b"])
    return {name: list(dict.fromkeys(draw(st.lists(st.sampled_from(names) | outside, max_size=4))))
            for name in names}


def networkx_cycle(targets: dict[str, list[str]]) -> list[str]:
    """The cycle graph.py named with networkx before cycle_in (the same steps, the same graph)."""
    digraph = nx.DiGraph()
    digraph.add_nodes_from(targets)
    for node, onward in targets.items():
        digraph.add_edges_from((node, target) for target in onward)
    component = next((c for c in nx.strongly_connected_components(digraph)
                      if len(c) > 1 or any(digraph.has_edge(n, n) for n in c)), None)
    if component is None:
        return []
    edges = nx.find_cycle(digraph.subgraph(component), source=min(component))
    return [edges[0][0]] + [target for _, target in edges]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(any_graph())
def test_cycle_in_names_the_cycle_networkx_names(targets):
    assert cycle_in(targets) == networkx_cycle(targets)
