"""The order algorithms of the lifecycle plan (resolver/lifecycle.py, graph.lexicographic_order)
against networkx's, which they replace, on random acyclic relations: the same transitive
reduction, the same steps, the same lexicographic topological order."""
from __future__ import annotations

import networkx as nx
from hypothesis import given, settings, strategies as st

from resolver.graph import lexicographic_order
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
