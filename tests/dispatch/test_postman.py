"""Known answers of the rural-postman route on small road graphs."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.dispatch.postman import NotReachable, rural_postman, tour_length
from geo.dispatch.roadgraph import RoadNetwork, build_network
from tests.dispatch.builders import CRS, line


def network(*lines: shapely.LineString, split: list[tuple[float, float]] = ()) -> RoadNetwork:  # type: ignore[assignment]
    roads = gpd.GeoDataFrame(
        {"code": [f"R{i}" for i in range(len(lines))]}, geometry=list(lines), crs=CRS
    )
    points = np.asarray([shapely.Point(line((0, 0), p).coords[-1]) for p in split], dtype=object)
    return build_network(roads, points if len(points) else None)


SQUARE = line((0, 0), (100, 0), (100, 100), (0, 100), (0, 0))
TAIL = line((100, 0), (150, 0))


def node(net: RoadNetwork, x: float, y: float) -> int:
    n = net.nearest_node(*line((0, 0), (x, y)).coords[-1])
    assert math.dist(net.nodes[n], line((0, 0), (x, y)).coords[-1]) < 0.01
    return n


def piece_at(net: RoadNetwork, x: float, y: float) -> tuple[int, int, int]:
    """The edge whose piece passes through the point (x, y)."""
    p = shapely.Point(line((0, 0), (x, y)).coords[-1])
    return net.edges[int(np.argmin(shapely.distance(net.pieces, p)))]


def test_square_with_a_tail_walks_the_tail_twice() -> None:
    net = network(SQUARE, TAIL, split=[(0, 0)])
    # The square is one ring from the tail's corner, cut again at the start.
    assert sorted(round(p.length) for p in net.pieces) == [50, 100, 300]
    tour = rural_postman(net.graph, net.edges, node(net, 0, 0))
    assert tour.length_m == pytest.approx(500.0, abs=1e-6)
    assert tour.nodes[0] == tour.nodes[-1] == node(net, 0, 0)
    walked = [e for e in tour.steps]
    assert len(walked) == 4
    coords = net.path_coords([(net.graph.edges[e]["piece"], e[0]) for e in tour.steps])
    assert shapely.LineString(coords).length == pytest.approx(500.0, abs=1e-6)


def test_only_the_tail_from_the_far_corner() -> None:
    net = network(SQUARE, TAIL, split=[(0, 100)])
    tour = rural_postman(net.graph, [piece_at(net, 125, 0)], node(net, 0, 100))
    # 200 m to the tail's corner either way round, the tail there and back, 200 m home.
    assert tour.length_m == pytest.approx(500.0, abs=1e-6)


def test_a_diagonal_is_walked_twice_not_the_square() -> None:
    net = network(SQUARE, line((0, 0), (100, 100)))
    tour = rural_postman(net.graph, net.edges, node(net, 0, 0))
    assert tour.length_m == pytest.approx(400 + 2 * 100 * math.sqrt(2), abs=1e-6)


def test_a_point_to_pass_is_reached_and_left_by_the_shortest_way() -> None:
    net = network(SQUARE, split=[(30, 100), (0, 0)])
    tour = rural_postman(net.graph, [], node(net, 0, 0), required_nodes=[node(net, 30, 100)])
    assert tour.length_m == pytest.approx(2 * 130.0, abs=1e-6)
    assert rural_postman(net.graph, [], node(net, 0, 0)).length_m == 0.0


def test_greedy_matching_is_never_shorter_than_the_optimal_one() -> None:
    grid = [line((0, y), (300, y)) for y in (0, 100, 200)] + [
        line((x, 0), (x, 200)) for x in (0, 100, 200, 300)
    ]
    net = network(*grid)
    exact = rural_postman(net.graph, net.edges, node(net, 100, 0))
    greedy = rural_postman(net.graph, net.edges, node(net, 100, 0), exact_matching=False)
    assert greedy.length_m >= exact.length_m - 1e-9
    # 1700 m of road; the six odd nodes on the border sides are best paired at 200 + 200 + 100.
    assert exact.length_m == pytest.approx(1700 + 500, abs=1e-6)


def test_a_piece_no_road_joins_is_not_reachable() -> None:
    net = network(SQUARE, line((300, 0), (400, 0)), split=[(0, 0)])
    lone = piece_at(net, 350, 0)
    with pytest.raises(NotReachable) as caught:
        rural_postman(net.graph, [*net.edges], node(net, 0, 0))
    assert caught.value.edges == [lone]


def test_the_length_alone_is_the_walks_length_and_greedy_never_beats_blossom() -> None:
    grid = [line((0, y), (500, y)) for y in range(0, 501, 100)] + [
        line((x, 0), (x, 500)) for x in range(0, 501, 100)
    ]
    net = network(*grid, split=[(0, 0)])
    depot = node(net, 0, 0)
    rng = np.random.default_rng(7)
    for _ in range(20):
        chosen = [net.edges[i] for i in rng.choice(len(net.edges), size=12, replace=False)]
        points = [int(n) for n in rng.choice(len(net.nodes), size=2, replace=False)]
        for exact in (True, False):
            tour = rural_postman(
                net.graph, chosen, depot, required_nodes=points, exact_matching=exact
            )
            alone = tour_length(
                net.graph, chosen, depot, required_nodes=points, exact_matching=exact
            )
            assert alone == pytest.approx(tour.length_m, abs=1e-6)
            walked = {(min(u, v), max(u, v), k) for u, v, k in tour.steps}
            assert {(min(u, v), max(u, v), k) for u, v, k in chosen} <= walked
            assert set(points) <= set(tour.nodes) and tour.nodes[0] == tour.nodes[-1] == depot
            # Consecutive steps join up: it is a walk.
            assert all(a[1] == b[0] for a, b in itertools.pairwise(tour.steps))
        greedy = tour_length(net.graph, chosen, depot, required_nodes=points)
        best = tour_length(net.graph, chosen, depot, required_nodes=points, exact_matching=True)
        assert greedy >= best - 1e-9
