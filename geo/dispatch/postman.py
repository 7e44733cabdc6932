"""The rural-postman route: a closed walk from a depot over every required road piece.

The classic construction (Frederickson's heuristic; optimal when the required pieces and
the depot are connected, as in a village's full network): take the required edges, join their
connected components by shortest paths along a minimum spanning tree of the components (found
from one multi-source Dijkstra, Mehlhorn's construction), make every node's degree even by a
minimum-weight perfect matching of the odd nodes on shortest-path distances, and walk the
resulting Eulerian multigraph from the depot. :func:`tour_length` gives the same length without
building the walk, for trying many sets.
"""

from __future__ import annotations

import heapq
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
        #: Each node's neighbours with the shortest edge to each, and every edge's length.
        self.neighbours: dict[int, list[tuple[int, float]]] = {
            int(n): [
                (int(nb), min(float(e["length"]) for e in keyed.values()))
                for nb, keyed in adj.items()
            ]
            for n, adj in graph.adj.items()
        }
        self.lengths: list[tuple[int, int, float]] = [
            (int(u), int(v), float(data["length"])) for u, v, data in graph.edges(data=True)
        ]

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
    connections, pairs, _ = _augment(graph, required, depot, required_nodes, paths, exact_matching)
    walk: nx.MultiGraph[int] = nx.MultiGraph()
    walk.add_node(depot)
    for u, v, k in required:
        walk.add_edge(u, v, orig=k)
    for nodes in [*connections, *(paths.path(a, b) for a, b in pairs)]:
        for x, y in itertools.pairwise(nodes):
            walk.add_edge(x, y, orig=paths.cheapest_key(x, y))
    if walk.number_of_edges() == 0:
        return Tour(depot=depot, steps=[], length_m=0.0)
    steps: list[Edge] = []
    length = 0.0
    for u, v, k in nx.eulerian_circuit(walk, source=depot, keys=True):
        orig = int(walk.edges[u, v, k]["orig"])
        steps.append((int(u), int(v), orig))
        length += float(graph.edges[u, v, orig]["length"])
    return Tour(depot=depot, steps=steps, length_m=length)


def tour_length(
    graph: nx.MultiGraph[int],
    required: Iterable[Edge],
    depot: int,
    *,
    required_nodes: Iterable[int] = (),
    paths: ShortestPaths | None = None,
    exact_matching: bool = False,
) -> float:
    """The length of :func:`rural_postman`'s walk, without building it (for trying many sets).

    Examples
    --------
    >>> g = nx.MultiGraph()
    >>> for a, b, m in [(0, 1, 100), (1, 2, 100), (2, 3, 100), (3, 0, 100), (1, 4, 50)]:
    ...     _ = g.add_edge(a, b, length=m)
    >>> tour_length(g, [(1, 4, 0)], depot=3)  # 200 m to the tail's corner and back, tail twice
    500.0
    """
    paths = paths or ShortestPaths(graph)
    required = list(required)
    _, _, extra = _augment(graph, required, depot, list(required_nodes), paths, exact_matching)
    return float(sum(graph.edges[e]["length"] for e in required)) + extra


def _augment(
    graph: nx.MultiGraph[int],
    required: list[Edge],
    depot: int,
    required_nodes: list[int],
    paths: ShortestPaths,
    exact: bool,
) -> tuple[list[list[int]], list[tuple[int, int]], float]:
    """What the walk adds to the required edges: the paths joining their components (along a
    minimum spanning tree), the pairs of odd nodes matched, and the length of both."""
    reach = paths.distances(depot)
    lost_edges = [e for e in required if e[0] not in reach]
    lost_nodes = [n for n in required_nodes if n not in reach]
    if lost_edges or lost_nodes:
        raise NotReachable(lost_edges, lost_nodes)
    sets = nx.utils.UnionFind([depot, *required_nodes])
    degree: dict[int, int] = {}
    for u, v, _ in required:
        sets.union(u, v)
        degree[u] = degree.get(u, 0) + 1
        degree[v] = degree.get(v, 0) + 1
    components = [sorted(c) for c in sets.to_sets()]
    connections = _join(paths, components) if len(components) > 1 else []
    extra = sum(cost for cost, _ in connections)
    for _, nodes in connections:
        for end in (nodes[0], nodes[-1]):
            degree[end] = degree.get(end, 0) + 1
    odd = sorted(n for n, d in degree.items() if d % 2)
    pairs = _match(odd, paths, exact)
    extra += sum(paths.distances(a)[b] for a, b in pairs)
    return [nodes for _, nodes in connections], pairs, extra


def _join(paths: ShortestPaths, components: list[list[int]]) -> list[tuple[float, list[int]]]:
    """Shortest paths joining the components along a minimum spanning tree of their distances.

    One multi-source Dijkstra labels every node with its nearest component; each edge between
    two labels offers a path between those components, and the minimum spanning tree of these
    offers is one of the complete distance graph (Mehlhorn, 1988), found in O(E log V).
    """
    dist: dict[int, float] = {}
    label: dict[int, int] = {}
    pred: dict[int, int] = {}
    heap = [(0.0, n, c, -1) for c, comp in enumerate(components) for n in comp]
    heapq.heapify(heap)
    while heap:
        d, n, c, p = heapq.heappop(heap)
        if n in dist:
            continue
        dist[n], label[n], pred[n] = d, c, p
        for nb, w in paths.neighbours[n]:
            if nb not in dist:
                heapq.heappush(heap, (d + w, nb, c, n))
    offers: dict[tuple[int, int], tuple[float, int, int]] = {}
    for u, v, w in paths.lengths:
        if u in label and v in label and label[u] != label[v]:
            cost = dist[u] + w + dist[v]
            key = (min(label[u], label[v]), max(label[u], label[v]))
            if key not in offers or cost < offers[key][0]:
                offers[key] = (cost, int(u), int(v))
    joined = nx.utils.UnionFind(range(len(components)))
    out = []
    for cost, u, v in sorted(offers.values()):
        if joined[label[u]] != joined[label[v]]:
            joined.union(label[u], label[v])
            out.append((cost, [*reversed(_back(pred, u)), *_back(pred, v)]))
    return out


def _back(pred: dict[int, int], node: int) -> list[int]:
    """The nodes from ``node`` back to the component it was reached from."""
    out = [node]
    while pred[out[-1]] != -1:
        out.append(pred[out[-1]])
    return out


def _match(odd: list[int], paths: ShortestPaths, exact: bool) -> list[tuple[int, int]]:
    """Pairs of the odd nodes: a minimum-weight perfect matching on shortest-path distances,
    or a greedy one (nearest pairs first)."""
    if not odd:
        return []
    pairs: list[tuple[float, int, int]] = []
    for i, a in enumerate(odd):
        from_a = paths.distances(a)
        pairs.extend((from_a[b], a, b) for b in odd[i + 1 :])
    pairs.sort()
    if exact:
        complete: nx.Graph[int] = nx.Graph()
        complete.add_weighted_edges_from((a, b, d) for d, a, b in pairs)
        return [(int(min(m)), int(max(m))) for m in nx.min_weight_matching(complete)]
    taken: set[int] = set()
    matched = []
    for _, a, b in pairs:
        if a not in taken and b not in taken:
            taken.update((a, b))
            matched.append((a, b))
    return matched
