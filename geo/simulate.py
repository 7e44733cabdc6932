"""A realistic, deterministic week of patrol tracks for a township (``geo simulate``).

Each village squad rides its village's roads from the village centre once a day, preferring
roads it has not ridden yet this week; the township's other squads ride the main roads.
Phones log every 1-10 s with GPS noise and a few spikes. The default plan also leaves one
village half uncovered, silences one phone for a day and another for the whole week, so the
weekly table shows every kind of verdict. Output is GPX, so the demo goes through the real
import path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.layers import TownshipLayers
from geo.paths import output_path
from geo.projection import from_metric
from geo.tracks.gpx_write import write_gpx
from geo.weeks import IsoWeek

GPS_NOISE_M = 4.0
SPIKE_RATE = 0.001


@dataclass(frozen=True)
class WeekPlan:
    """What goes wrong in a simulated week (all by squad name) and the random seed."""

    seed: int = 2026
    silent_week: tuple[str, ...] = ()
    """Squads whose phones upload nothing all week."""
    silent_days: dict[str, int] = field(default_factory=dict)
    """Squad → weekday (0 = Monday) on which its phone uploads nothing."""
    neglected: tuple[str, ...] = ()
    """Squads that patrol only the western half of their village's roads."""


def default_plan(layers: TownshipLayers, *, seed: int = 2026) -> WeekPlan:
    """A plan with one neglected half village, one phone silent for a day and one silent all
    week, picked from the last villages in the layer (so any township gets the same story)."""
    squads = [s for s in layers.villages["squad"] if s]
    if len(squads) < 3:
        return WeekPlan(seed=seed)
    return WeekPlan(
        seed=seed,
        silent_week=(squads[-1],),
        silent_days={squads[-3]: 2},
        neglected=(squads[-2],),
    )


@dataclass(frozen=True)
class SimulatedTrack:
    """One squad's patrol on one day."""

    squad: str
    device: str
    day: date
    fixes: pd.DataFrame  # time (UTC), lon, lat, hdop


@dataclass(frozen=True)
class _Graph:
    edges: NDArray[np.object_]
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    nodes: NDArray[np.float64]
    adjacency: dict[int, list[tuple[int, int]]]


def _road_graph(lines: NDArray[np.object_]) -> _Graph:
    noded = shapely.get_parts(shapely.union_all(lines))
    noded = noded[shapely.length(noded) > 0]
    ends = np.vstack(
        [
            shapely.get_coordinates(shapely.get_point(noded, 0)),
            shapely.get_coordinates(shapely.get_point(noded, -1)),
        ]
    )
    keys, inverse = np.unique(np.round(ends, 1), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    n = len(noded)
    u, v = inverse[:n], inverse[n:]
    adjacency: dict[int, list[tuple[int, int]]] = {}
    for e in range(n):
        adjacency.setdefault(int(u[e]), []).append((e, int(v[e])))
        adjacency.setdefault(int(v[e]), []).append((e, int(u[e])))
    return _Graph(noded, u.astype(np.int64), v.astype(np.int64), keys, adjacency)


def _walk(
    rng: np.random.Generator,
    graph: _Graph,
    allowed: NDArray[np.bool_],
    start: int,
    target_m: float,
    visits: NDArray[np.int64],
) -> NDArray[np.float64]:
    """A route from ``start`` along allowed edges, preferring edges ridden least this week."""
    node = start
    parts = [graph.nodes[start][None, :]]
    length = 0.0
    for _ in range(10_000):
        if length >= target_m:
            break
        options = [(e, other) for e, other in graph.adjacency.get(node, []) if allowed[e]]
        if not options:
            break
        weights = np.array([1.0 / (1.0 + visits[e]) ** 3 for e, _ in options])
        e, other = options[rng.choice(len(options), p=weights / weights.sum())]
        coords = shapely.get_coordinates(graph.edges[e])
        if graph.u[e] != node:
            coords = coords[::-1]
        parts.append(coords[1:])
        visits[e] += 1
        length += float(graph.edges[e].length)
        node = other
    return np.vstack(parts)


def _ride(
    rng: np.random.Generator,
    route: NDArray[np.float64],
    start: pd.Timestamp,
    interval_s: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], pd.Series]:
    """Positions along a route at one fix per ``interval_s`` with a few stops, noise, spikes."""
    line = shapely.LineString(route)
    total = line.length
    speed = rng.uniform(4.0, 7.0)  # m/s: a patrol motorbike on village roads
    stops = np.sort(rng.uniform(0, total, size=rng.integers(2, 5)))
    waits = np.cumsum(np.r_[0.0, rng.uniform(120, 480, size=len(stops))])
    # Breakpoints: start, (arrive, leave) at each stop, end; position is flat while stopped.
    bp_s = np.r_[0.0, np.repeat(stops, 2), total]
    bp_t = bp_s / speed + np.r_[0.0, np.column_stack([waits[:-1], waits[1:]]).ravel(), waits[-1]]
    seconds = np.arange(0.0, bp_t[-1], interval_s)
    along = np.interp(seconds, bp_t, bp_s)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(line, along))
    xy = xy + rng.normal(0, GPS_NOISE_M, size=xy.shape)
    spikes = rng.random(len(xy)) < SPIKE_RATE
    angle = rng.uniform(0, 2 * np.pi, size=int(spikes.sum()))
    jump = rng.uniform(300, 1500, size=int(spikes.sum()))
    xy[spikes] += np.column_stack([np.cos(angle), np.sin(angle)]) * jump[:, None]
    times = start + pd.to_timedelta(seconds, unit="s")
    return xy[:, 0], xy[:, 1], pd.Series(times).dt.tz_convert("UTC")


def simulate_week(
    layers: TownshipLayers, week: IsoWeek, plan: WeekPlan | None = None
) -> list[SimulatedTrack]:
    """Simulate one week of patrols.

    Parameters
    ----------
    layers
        The township; its roads carry the patrols.
    week
        The ISO week to simulate (local time of the township).
    plan
        What goes wrong; :func:`default_plan` when None.

    Returns
    -------
    list of SimulatedTrack
        One per squad and day patrolled, deterministic for a given plan seed and week.
    """
    plan = plan or default_plan(layers)
    rng = np.random.default_rng([plan.seed, week.year, week.week])
    crs = layers.info.metric_crs
    tz = layers.info.tz
    roads = layers.metric("roads")
    if roads.empty:
        raise ValueError("the township has no roads to patrol along")
    graph = _road_graph(roads.geometry.to_numpy())
    mid = shapely.line_interpolate_point(graph.edges, 0.5, normalized=True)
    villages = layers.metric("villages")
    road_class = _edge_classes(graph, roads)
    tracks: list[SimulatedTrack] = []

    patrols: list[tuple[str, NDArray[np.bool_], shapely.Point]] = []
    for i in range(len(villages)):
        squad = str(villages["squad"].iloc[i])
        poly = villages.geometry.iloc[i]
        allowed = shapely.contains(poly, mid)
        centre = poly.representative_point()
        if squad in plan.neglected:
            allowed &= shapely.get_x(mid) < poly.centroid.x
        patrols.append((squad, allowed, centre))
    for squad in layers.info.squads:
        patrols.append(
            (squad, road_class == "road", layers.metric("villages").union_all().centroid)
        )

    for k, (squad, allowed, centre) in enumerate(patrols):
        if not allowed.any() or squad in plan.silent_week:
            continue
        nodes = np.unique(np.concatenate([graph.u[allowed], graph.v[allowed]]))
        dist = np.hypot(graph.nodes[nodes, 0] - centre.x, graph.nodes[nodes, 1] - centre.y)
        start_node = int(nodes[np.argmin(dist)])
        allowed_len = float(shapely.length(graph.edges[allowed]).sum())
        visits = np.zeros(len(graph.edges), dtype=np.int64)
        interval = float([1, 2, 5, 10, 3, 5, 2, 4][k % 8])
        for d, day in enumerate(week.days):
            if plan.silent_days.get(squad) == d:
                rng.random()  # keep the other squads' draws independent of this plan
                continue
            target = max(3000.0, allowed_len * rng.uniform(0.45, 0.8))
            route = _walk(rng, graph, allowed, start_node, target, visits)
            if len(route) < 2:
                continue
            start = pd.Timestamp(datetime.combine(day, time(8, 0), tzinfo=tz)) + pd.to_timedelta(
                rng.uniform(0, 6 * 3600), unit="s"
            )
            x, y, times = _ride(rng, route, start, interval)
            lon, lat = from_metric(x, y, crs)
            hdop = np.round(rng.uniform(0.7, 2.5, size=len(lon)), 1)
            tracks.append(
                SimulatedTrack(
                    squad=squad,
                    device=f"phone-{squad}",
                    day=day,
                    fixes=pd.DataFrame({"time": times, "lon": lon, "lat": lat, "hdop": hdop}),
                )
            )
    return tracks


def _edge_classes(graph: _Graph, roads: pd.DataFrame) -> NDArray[np.object_]:
    tree = shapely.STRtree(roads.geometry.to_numpy())
    mid = shapely.line_interpolate_point(graph.edges, 0.5, normalized=True)
    nearest = tree.nearest(mid)
    return np.asarray(roads["class"].to_numpy()[nearest], dtype=object)


def write_week(tracks: list[SimulatedTrack], directory: Path) -> list[Path]:
    """Write each simulated track as ``<squad>_<date>.gpx`` under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for track in tracks:
        path = output_path(directory, f"{track.squad}_{track.day.isoformat()}.gpx", what="squad")
        f = track.fixes
        path.write_bytes(
            write_gpx(
                f["lon"].to_numpy(),
                f["lat"].to_numpy(),
                f["time"],
                name=f"{track.squad} {track.day.isoformat()}",
                creator=track.device,
                hdop=f["hdop"].to_numpy(),
            )
        )
        paths.append(path)
    return paths
