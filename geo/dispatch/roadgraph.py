"""A township's roads as a graph in metres: noded at intersections and at chosen points.

Every road line is cut where it meets another (``shapely.union_all`` nodes them) and, on
request, at extra points that lie on a road (the ends of uncovered stretches, the road points
nearest to checkpoints), so that each piece of road between two nodes is wholly required or
wholly not. Ends closer than 0.1 m are one node.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import ops
from shapely.geometry.base import BaseGeometry

#: Ends of pieces within 10 cm of each other are one node.
NODE_DECIMALS = 1
#: A split point farther than this from every road is not on a road (it is ignored).
ON_ROAD_M = 0.5
#: Cuts closer than this to a piece's end or to each other are not made.
MIN_PIECE_M = 0.05

Edge = tuple[int, int, int]
"""A multigraph edge: ``(u, v, key)``."""


@dataclass(frozen=True)
class RoadNetwork:
    """The road graph of a township in its metric CRS.

    ``graph`` is an undirected :class:`networkx.MultiGraph` whose nodes are the indices of
    ``nodes`` and whose edges carry ``piece`` (index into ``pieces``) and ``length`` (metres).
    ``pieces[i]`` runs from node ``start[i]`` to node ``end[i]``; ``road_code``,
    ``road_class`` and ``road_name`` name the road each piece lies on.
    """

    graph: nx.MultiGraph[int]
    nodes: NDArray[np.float64]
    pieces: NDArray[np.object_]
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    edges: list[Edge]
    road_code: NDArray[np.object_]
    road_class: NDArray[np.object_]
    road_name: NDArray[np.object_]

    def nearest_node(self, x: float, y: float) -> int:
        """The node nearest to a point (metres)."""
        return int(np.argmin(np.hypot(self.nodes[:, 0] - x, self.nodes[:, 1] - y)))

    def oriented(self, piece: int, from_node: int) -> NDArray[np.float64]:
        """The coordinates of a piece walked from one of its ends."""
        coords = shapely.get_coordinates(self.pieces[piece])
        return coords if int(self.start[piece]) == from_node else coords[::-1]

    def path_coords(self, walk: list[tuple[int, int]]) -> NDArray[np.float64]:
        """Coordinates of a walk given as ``(piece, from_node)`` steps, joined end to end."""
        if not walk:
            return np.empty((0, 2))
        parts = [self.oriented(p, n) for p, n in walk]
        return np.vstack([parts[0], *(c[1:] for c in parts[1:])])


def snap_to_roads(lines: NDArray[np.object_], points: NDArray[np.object_]) -> NDArray[np.object_]:
    """The point on ``lines`` nearest to each of ``points`` (all in one metric CRS).

    Examples
    --------
    >>> road = np.array([shapely.LineString([(0, 0), (100, 0)])])
    >>> snap_to_roads(road, np.array([shapely.Point(30, 12)]))[0].wkt
    'POINT (30 0)'
    """
    if len(points) == 0:
        return np.empty(0, dtype=object)
    tree = shapely.STRtree(lines)
    nearest = tree.nearest(points)
    along = shapely.line_locate_point(lines[nearest], points)
    snapped: NDArray[np.object_] = shapely.line_interpolate_point(lines[nearest], along)
    return snapped


def build_network(
    roads: gpd.GeoDataFrame, split_at: NDArray[np.object_] | None = None
) -> RoadNetwork:
    """Node a township's roads into a graph, also cut at ``split_at`` points on the roads.

    Parameters
    ----------
    roads
        Road lines in a metric CRS, with ``code``, ``class`` and ``name`` columns (any may be
        missing).
    split_at
        Points (same CRS) where pieces are cut as well; points farther than
        :data:`ON_ROAD_M` from every road are ignored.

    Returns
    -------
    RoadNetwork

    Examples
    --------
    >>> roads = gpd.GeoDataFrame({"code": ["R1", "R2"]}, geometry=[
    ...     shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(50, -50), (50, 50)])],
    ...     crs="EPSG:4546")
    >>> net = build_network(roads, np.array([shapely.Point(20, 0)]))
    >>> net.graph.number_of_nodes(), net.graph.number_of_edges()
    (6, 5)
    """
    lines = roads.geometry.to_numpy()
    if len(lines) == 0:
        raise ValueError("the township has no roads to plan on")
    noded = shapely.get_parts(shapely.line_merge(shapely.union_all(lines)))
    noded = noded[(shapely.get_type_id(noded) == 1) & (shapely.length(noded) > 0)]
    if split_at is not None and len(split_at):
        noded = _cut(noded, split_at)
    first = shapely.get_coordinates(shapely.get_point(noded, 0))
    last = shapely.get_coordinates(shapely.get_point(noded, -1))
    keys, inverse = np.unique(
        np.round(np.vstack([first, last]), NODE_DECIMALS), axis=0, return_inverse=True
    )
    inverse = inverse.ravel().astype(np.int64)
    n = len(noded)
    start, end = inverse[:n], inverse[n:]
    lengths = shapely.length(noded)
    graph: nx.MultiGraph[int] = nx.MultiGraph()
    graph.add_nodes_from(range(len(keys)))
    edges: list[Edge] = []
    for i in range(n):
        key = graph.add_edge(int(start[i]), int(end[i]), piece=i, length=float(lengths[i]))
        edges.append((int(start[i]), int(end[i]), int(key)))
    mid = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    source = shapely.STRtree(lines).nearest(mid)

    def column(name: str) -> NDArray[np.object_]:
        if name not in roads.columns:
            return np.full(n, "", dtype=object)
        values = roads[name].fillna("").astype(str).to_numpy()
        return np.asarray(values[source], dtype=object)

    return RoadNetwork(
        graph=graph,
        nodes=keys.astype(np.float64),
        pieces=noded,
        start=start,
        end=end,
        edges=edges,
        road_code=column("code"),
        road_class=column("class"),
        road_name=column("name"),
    )


def _cut(lines: NDArray[np.object_], points: NDArray[np.object_]) -> NDArray[np.object_]:
    """Cut ``lines`` at the ``points`` lying on them."""
    tree = shapely.STRtree(lines)
    pairs = tree.query(points, predicate="dwithin", distance=ON_ROAD_M)
    cuts: dict[int, list[float]] = {}
    for p, line in zip(pairs[0], pairs[1], strict=True):
        cuts.setdefault(int(line), []).append(float(lines[line].project(points[p])))
    out: list[BaseGeometry] = []
    for i, line in enumerate(lines):
        length = float(line.length)
        at = sorted(d for d in cuts.get(i, []) if MIN_PIECE_M < d < length - MIN_PIECE_M)
        bounds = [0.0]
        for d in at:
            if d - bounds[-1] >= MIN_PIECE_M:
                bounds.append(d)
        bounds.append(length)
        if len(bounds) == 2:
            out.append(line)
            continue
        out.extend(ops.substring(line, a, b) for a, b in itertools.pairwise(bounds))
    return np.asarray(out, dtype=object)
