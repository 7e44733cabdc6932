"""The rural-postman route: a closed walk from a depot over every required road piece.

The classic construction (Frederickson's heuristic; optimal when the required pieces and
the depot are connected, as in a village's full network): take the required edges, join their
connected components by shortest paths along a minimum spanning tree of the components, make
every node's degree even by a minimum-weight perfect matching of the odd nodes on shortest-path
distances, and walk the resulting Eulerian multigraph from the depot.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

import networkx as nx

from geo.dispatch.roadgraph import Edge


class NotReachable(ValueError):
    """Required pieces or nodes that no road joins to the depot."""

    def __init__(self, edges: Sequence[Edge], nodes: Sequence[int]) -> None:
        self.edges = list(edges)
        self.nodes = list(nodes)
        super().__init__(
            f"{len(self.edges)} required piece(s) and {len(self.nodes)} required point(s) "
            "are not joined to the start by any road"
        )


class ShortestPaths:
    """Shortest distances and paths over a graph's ``length``, computed once per source."""

    def __init__(self, graph: nx.MultiGraph[int]) -> None:
        self.graph = graph
        self._from: dict[int, tuple[dict[int, list[int]], dict[int, float]]] = {}

    def _search(self, source: int) -> tuple[dict[int, list[int]], dict[int, float]]:
        if source not in self._from:
            pred, dist = nx.dijkstra_predecessor_and_distance(self.graph, source, weight="length")
            self._from[source] = (pred, dist)
        return self._from[source]

    def distances(self, source: int) -> dict[int, float]:
        """Distance from ``source`` to every node it reaches."""
        return self._search(source)[1]

    def path(self, source: int, target: int) -> list[int]:
        """The nodes of a shortest path, ``source`` first."""
        pred = self._search(source)[0]
        nodes = [target]
        while nodes[-1] != source:
            nodes.append(pred[nodes[-1]][0])
        return nodes[::-1]

    def cheapest_key(self, a: int, b: int) -> int:
        """The shortest of the parallel edges between two adjacent nodes."""
        options = self.graph.get_edge_data(a, b)
        best = cast(int, min(options, key=lambda k: options[k]["length"]))
        return best


@dataclass(frozen=True)
class Tour:
    """A closed walk from ``depot``: each step ``(from, to, key)`` walks one graph edge."""

    depot: int
    steps: list[Edge]
    length_m: float

    @property
    def nodes(self) -> list[int]:
        """The nodes passed, the depot first and last."""
        return [self.depot, *(to for _, to, _ in self.steps)]


def rural_postman(
    graph: nx.MultiGraph[int],
    required: Iterable[Edge],
    depot: int,
    *,
    required_nodes: Iterable[int] = (),
    paths: ShortestPaths | None = None,
    exact_matching: bool = True,
) -> Tour:
    """A short closed walk from ``depot`` that walks every required edge and passes every
    required node.

    Parameters
    ----------
    graph
        Undirected multigraph with a ``length`` on each edge.
    required
        Edges ``(u, v, key)`` of ``graph`` to walk at least once.
    depot
        Start and end node.
    required_nodes
        Nodes to pass at least once.
    paths
        Shortest paths of ``graph`` to reuse across calls.
    exact_matching
        A minimum-weight matching of the odd nodes (blossom); ``False`` matches greedily,
        nearest pairs first: faster, never shorter, for trying many sets.

    Returns
    -------
    Tour

    Raises
    ------
    NotReachable
        When a required edge or node is in another component than the depot.

    Examples
    --------
    A 100 m square with a 50 m tail, all required, from a corner: the tail is walked twice.

    >>> g = nx.MultiGraph()
    >>> for a, b, m in [(0, 1, 100), (1, 2, 100), (2, 3, 100), (3, 0, 100), (1, 4, 50)]:
    ...     _ = g.add_edge(a, b, length=m)
    >>> rural_postman(g, [(a, b, 0) for a, b in g.edges()], depot=0).length_m
    500.0
    """
    paths = paths or ShortestPaths(graph)
    required = list(required)
    required_nodes = list(required_nodes)
    reach = paths.distances(depot)
    lost_edges = [e for e in required if e[0] not in reach]
    lost_nodes = [n for n in required_nodes if n not in reach]
    if lost_edges or lost_nodes:
        raise NotReachable(lost_edges, lost_nodes)

    walk: nx.MultiGraph[int] = nx.MultiGraph()
    walk.add_node(depot)
    walk.add_nodes_from(required_nodes)
    for u, v, k in required:
        walk.add_edge(u, v, orig=k)
    _connect_components(walk, paths)
    _pair_odd_nodes(walk, paths, exact=exact_matching)
    if walk.number_of_edges() == 0:
        return Tour(depot=depot, steps=[], length_m=0.0)
    steps: list[Edge] = []
    length = 0.0
    for u, v, k in nx.eulerian_circuit(walk, source=depot, keys=True):
        orig = int(walk.edges[u, v, k]["orig"])
        steps.append((int(u), int(v), orig))
        length += float(graph.edges[u, v, orig]["length"])
    return Tour(depot=depot, steps=steps, length_m=length)


def _add_path(walk: nx.MultiGraph[int], paths: ShortestPaths, a: int, b: int) -> None:
    nodes = paths.path(a, b)
    for x, y in itertools.pairwise(nodes):
        walk.add_edge(x, y, orig=paths.cheapest_key(x, y))


def _connect_components(walk: nx.MultiGraph[int], paths: ShortestPaths) -> None:
    """Join the walk's components by shortest paths along their minimum spanning tree."""
    components = [sorted(c) for c in nx.connected_components(walk)]
    if len(components) < 2:
        return
    between: nx.Graph[int] = nx.Graph()
    for i in range(len(components)):
        for j in range(i + 1, len(components)):
            best = min((paths.distances(a)[b], a, b) for a in components[i] for b in components[j])
            between.add_edge(i, j, weight=best[0], ends=(best[1], best[2]))
    for _, _, data in nx.minimum_spanning_edges(between, data=True):
        _add_path(walk, paths, *data["ends"])


def _pair_odd_nodes(walk: nx.MultiGraph[int], paths: ShortestPaths, *, exact: bool) -> None:
    """Walk again the shortest paths between matched odd nodes, so every degree is even."""
    odd = sorted(int(n) for n, d in walk.degree() if d % 2)
    if not odd:
        return
    pairs = sorted((paths.distances(a)[b], a, b) for i, a in enumerate(odd) for b in odd[i + 1 :])
    if exact:
        complete: nx.Graph[int] = nx.Graph()
        complete.add_weighted_edges_from((a, b, d) for d, a, b in pairs)
        matched = [tuple(sorted(m)) for m in nx.min_weight_matching(complete)]
    else:
        taken: set[int] = set()
        matched = []
        for _, a, b in pairs:
            if a not in taken and b not in taken:
                taken.update((a, b))
                matched.append((a, b))
    for a, b in matched:
        _add_path(walk, paths, int(a), int(b))
