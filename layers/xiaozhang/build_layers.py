"""Build the ILLUSTRATIVE demo layers of Xiaozhang township (小章乡, Luxi county, Hunan).

Nothing here is surveyed. The geometry is made up on public facts only: the township lies
about 109.90 E, 28.15 N, covers about 69.8 km², is mountainous with the 能溪河 valley
running through it, has 7 administrative villages (小章村 is the seat), 34 cameras and one
drone. Real boundaries, roads and assets come from the township and are loaded with the same
``geo layers load`` command.

The script is deterministic (fixed seeds, no network): running it twice writes byte-identical
files. All geometry is computed in the township's metric CRS (EPSG:4546, from township.toml)
and written as RFC 7946 GeoJSON in WGS-84 lon/lat rounded to 7 decimals (about 1 cm).

Outputs, next to this script: township, villages, roads, river, cameras, checkpoints and
drone_flights (``*.geojson``). ``verify()`` runs at the end and asserts the constraints the
demo relies on (tiling, counts, areas, connectivity, distances to roads).

Run from the repository root::

    .venv/bin/python layers/xiaozhang/build_layers.py
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Point, Polygon
from shapely.ops import polygonize, substring, unary_union

HERE = Path(__file__).resolve().parent
SEED = 20261104
CENTRE_LONLAT = (109.90, 28.15)
TARGET_AREA_M2 = 69.8e6
BBOX_LONLAT = (109.8, 28.05, 110.0, 28.25)
DECIMALS = 7

XY = tuple[float, float]
RoadClass = Literal["road", "track", "path"]


@dataclass(frozen=True)
class VillageSpec:
    """A village as listed publicly, with the made-up layout of this demo (local metres)."""

    name: str
    name_en: str
    seed: XY  # Voronoi seed, before the boundaries are warped
    hub: XY | None  # village committee (村部); None: the township seat on the main road


# Local coordinates are metres east/north of CENTRE_LONLAT in the metric CRS.
VILLAGES: tuple[VillageSpec, ...] = (
    VillageSpec("小章村", "Xiaozhang", (200, 100), None),
    VillageSpec("梓木坪村", "Zimuping", (-3600, 1500), (-3500, 1700)),
    VillageSpec("大水坪村", "Dashuiping", (-200, 3300), (-100, 2800)),
    VillageSpec("川洞村", "Chuandong", (3300, 1700), (3400, 1500)),
    VillageSpec("白泥塘村", "Bainitang", (3700, -2000), (3500, -2000)),
    VillageSpec("瓦槽村", "Wacao", (300, -3100), (200, -2800)),
    VillageSpec("烟竹坪村", "Yanzhuping", (-3800, -1500), (-3500, -1700)),
)
TOWNSHIP_SEAT: XY = (300.0, 0.0)  # the seat is the main-road vertex nearest this point
# 能溪河 valley: the river and the county road follow one smooth base curve, west to east.
VALLEY_CONTROL: tuple[XY, ...] = (
    (-8000, 300),
    (-5200, 100),
    (-3000, 300),
    (-1300, 0),
    (300, -300),
    (2200, -250),
    (4300, -500),
    (8000, -700),
)
MAIN_ROAD_NAME = "X051 县道"
BRIDGE_ROAD_NAME = "小章—瓦槽村道"
RIVER_PATH_NAME = "能溪河巡河便道"
NUMERALS = "一二三四五六七八九"


# ---------------------------------------------------------------------------------------------
# Coordinates


def load_settings() -> dict[str, Any]:
    """The ``[township]`` table of township.toml."""
    with open(HERE / "township.toml", "rb") as fh:
        return dict(tomllib.load(fh)["township"])


class Frame:
    """Local metric frame (metres from the township centre) and conversion to WGS-84."""

    def __init__(self, metric_crs: str) -> None:
        self.metric_crs = metric_crs
        self._to_metric = Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
        self._to_wgs84 = Transformer.from_crs(metric_crs, "EPSG:4326", always_xy=True)
        self.origin = self._to_metric.transform(*CENTRE_LONLAT)

    def lonlat_array(self, xy: np.ndarray) -> np.ndarray:
        """Local metres (N x 2) to lon/lat rounded to DECIMALS."""
        lon, lat = self._to_wgs84.transform(xy[:, 0] + self.origin[0], xy[:, 1] + self.origin[1])
        return np.round(np.column_stack([lon, lat]), DECIMALS)

    def to_lonlat(self, geom: shapely.Geometry) -> shapely.Geometry:
        """A local geometry in lon/lat. Equal input vertices give equal output vertices."""
        return shapely.transform(geom, self.lonlat_array)

    def to_metric(self, geom: shapely.Geometry) -> shapely.Geometry:
        """A lon/lat geometry in the metric CRS (absolute, not local)."""

        def project(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(self._to_metric.transform(xy[:, 0], xy[:, 1]))

        return shapely.transform(geom, project)


# ---------------------------------------------------------------------------------------------
# Township and villages


def perturbed_ellipse(rng: np.random.Generator) -> Polygon:
    """An ellipse with random low harmonics on its radius: a rough mountain-township outline."""
    t = np.linspace(0.0, 2 * math.pi, 360, endpoint=False)
    a, b, rotation = 5600.0, 4000.0, math.radians(-12)
    radius = a * b / np.sqrt((b * np.cos(t)) ** 2 + (a * np.sin(t)) ** 2)
    wobble = np.zeros_like(t)
    for k in range(2, 20):
        amplitude = rng.normal(0.0, 0.09 / k**0.9)
        wobble += amplitude * np.cos(k * t + rng.uniform(0, 2 * math.pi))
    radius = radius * (1 + wobble)
    return Polygon(np.column_stack([radius * np.cos(t + rotation), radius * np.sin(t + rotation)]))


def smooth_warp(rng: np.random.Generator) -> Callable[[np.ndarray], np.ndarray]:
    """A smooth random displacement field (sum of plane waves), gentle enough to never fold.

    Applied to the whole village partition at once, it bends the straight Voronoi edges into
    ridge-like boundaries while shared vertices stay shared.
    """
    waves: list[tuple[float, float, float, float, float]] = []
    for amplitude, wavelength in ((260.0, 4200.0), (200.0, 2600.0), (90.0, 1400.0), (35.0, 700.0)):
        for _ in range(2):
            angle = rng.uniform(0, 2 * math.pi)
            k = 2 * math.pi / wavelength
            waves.append(
                (
                    amplitude / 2,
                    k * math.cos(angle),
                    k * math.sin(angle),
                    rng.uniform(0, 2 * math.pi),
                    rng.uniform(0, 2 * math.pi),
                )
            )

    def warp(xy: np.ndarray) -> np.ndarray:
        x, y = xy[:, 0], xy[:, 1]
        dx = np.zeros_like(x)
        dy = np.zeros_like(y)
        for amplitude, kx, ky, phase_x, phase_y in waves:
            dx += amplitude * np.sin(kx * x + ky * y + phase_x)
            dy += amplitude * np.sin(ky * x - kx * y + phase_y)
        return np.column_stack([x + dx, y + dy])

    return warp


def build_villages(rng: np.random.Generator) -> tuple[Polygon, list[Polygon]]:
    """Township outline and the 7 village polygons that tile it exactly (local metres).

    Voronoi edges of the village seeds and the outline are noded together once and
    polygonized, so neighbouring villages share the very same boundary vertices; the warp
    and the final scaling act on vertices one by one and keep them shared.
    """
    outline = perturbed_ellipse(rng)
    seeds = MultiPoint([v.seed for v in VILLAGES])
    cells = shapely.voronoi_polygons(seeds, extend_to=outline.buffer(5000))
    linework = unary_union([outline.exterior, *(c.exterior for c in cells.geoms)])
    linework = shapely.segmentize(linework, 80.0)
    faces = [f for f in polygonize(linework.geoms) if outline.contains(f.representative_point())]
    warp = smooth_warp(rng)
    faces = [shapely.transform(f, warp) for f in faces]
    scale = math.sqrt(TARGET_AREA_M2 / unary_union(faces).area)
    faces = [shapely.transform(f, lambda xy: xy * scale) for f in faces]
    warped_seeds = warp(np.array([v.seed for v in VILLAGES], dtype=float)) * scale
    villages: list[Polygon] = []
    for sx, sy in warped_seeds:
        mine = [f for f in faces if f.covers(Point(sx, sy))]
        if len(mine) != 1:
            raise RuntimeError("a village seed does not fall in exactly one face")
        villages.append(mine[0])
    if len(faces) != len(VILLAGES):
        raise RuntimeError(f"expected {len(VILLAGES)} faces, got {len(faces)}")
    township = unary_union(villages)
    if not isinstance(township, Polygon):
        raise RuntimeError("the township must be one polygon")
    return township, villages


# ---------------------------------------------------------------------------------------------
# Line helpers


def chaikin(points: np.ndarray, iterations: int = 5) -> np.ndarray:
    """Chaikin corner cutting: a smooth open curve through the span of the control points."""
    for _ in range(iterations):
        p, q = points[:-1], points[1:]
        cut = np.empty((2 * len(p), 2))
        cut[0::2] = 0.75 * p + 0.25 * q
        cut[1::2] = 0.25 * p + 0.75 * q
        points = np.vstack([points[:1], cut, points[-1:]])
    return points


def resample(line: LineString, spacing: float) -> np.ndarray:
    """Vertices every ``spacing`` metres along a line, ends kept."""
    n = max(1, round(line.length / spacing))
    distances = np.linspace(0.0, line.length, n + 1)
    return shapely.get_coordinates(shapely.line_interpolate_point(line, distances))


def left_normals(points: np.ndarray) -> np.ndarray:
    """Unit normals to the left of the direction of travel at each vertex."""
    tangent = np.gradient(points, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    return np.column_stack([-tangent[:, 1], tangent[:, 0]])


def arc_lengths(points: np.ndarray) -> np.ndarray:
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    return np.concatenate([[0.0], np.cumsum(steps)])


def longest_part(geom: shapely.Geometry) -> LineString:
    parts = list(getattr(geom, "geoms", [geom]))
    best = max(parts, key=lambda g: g.length)
    if not isinstance(best, LineString):
        raise RuntimeError(f"expected a line, got {best.geom_type}")
    return best


def as_tuples(points: np.ndarray) -> list[XY]:
    return [(float(x), float(y)) for x, y in points]


def heading_deg(a: XY, b: XY) -> float:
    """Compass bearing (degrees clockwise from grid north) from a to b."""
    return math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360.0


def ar_noise(rng: np.random.Generator, n: int, sigma: float, keep: float = 0.85) -> np.ndarray:
    """Smoothly varying noise (AR(1)), for gently winding tracks."""
    values = np.zeros(n)
    for i in range(1, n):
        values[i] = keep * values[i - 1] + rng.normal(0.0, sigma)
    return values


# ---------------------------------------------------------------------------------------------
# Network


@dataclass
class Line:
    """One road, track or path as built, before it is split at junctions."""

    cls: RoadClass
    name: str
    coords: list[XY]
    village: int | None = None  # index of the village a track serves

    @property
    def geometry(self) -> LineString:
        return LineString(self.coords)


@dataclass
class Valley:
    river: LineString
    main_road: list[XY]
    seat_index: int


@dataclass
class Network:
    """The growing road graph with the checks every new branch must pass."""

    township: Polygon
    river: LineString
    lines: list[Line] = field(default_factory=list)
    hubs: dict[int, XY] = field(default_factory=dict)
    _inside: shapely.Geometry = field(init=False, repr=False)
    _union: tuple[int, shapely.Geometry] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._inside = self.township.buffer(-30.0)
        shapely.prepare(self._inside)
        self._union = (-1, LineString())

    def union(self) -> shapely.Geometry:
        """All lines as one geometry (cached until a line is added)."""
        if self._union[0] != len(self.lines):
            merged = unary_union([ln.geometry for ln in self.lines])
            shapely.prepare(merged)
            self._union = (len(self.lines), merged)
        return self._union[1]

    def road_vertices(self) -> list[XY]:
        return [c for ln in self.lines if ln.cls == "road" for c in ln.coords]

    def fits(
        self,
        coords: Sequence[XY],
        *,
        crossings: int = 0,
        gap: float = 40.0,
        river_gap: float = 30.0,
        joins_end: bool = False,
    ) -> bool:
        """Whether a new line starting on the network keeps clear of it, of the river and of
        the township edge: it may touch the network only at its start (and its end when
        ``joins_end``), and crosses the river exactly ``crossings`` times."""
        line = LineString(coords)
        if not line.is_simple or not self._inside.contains(line):
            return False
        if len(shapely.get_coordinates(line.intersection(self.river))) != crossings:
            return False
        if crossings == 0 and line.distance(self.river) < river_gap:
            return False
        if not self.lines:
            return True
        joints = [Point(coords[0])] + ([Point(coords[-1])] if joins_end else [])
        near = unary_union([p.buffer(100.0) for p in joints])
        touching = unary_union([p.buffer(8.0) for p in joints])
        network = self.union()
        head = line.intersection(near).difference(touching)
        if not head.is_empty and head.distance(network) < 1.0:
            return False
        tail = line.difference(near)
        return tail.is_empty or tail.distance(network) >= gap


def build_valley(rng: np.random.Generator, township: Polygon) -> Valley:
    """能溪河 meandering along the valley and the county road on its north bank."""
    base = resample(LineString(chaikin(np.array(VALLEY_CONTROL, dtype=float))), 20.0)
    s = arc_lengths(base)
    normals = left_normals(base)
    phases = rng.uniform(0, 2 * math.pi, 3)
    meander = 80 * np.sin(2 * math.pi * s / 1500 + phases[0]) + 30 * np.sin(
        2 * math.pi * s / 650 + phases[1]
    )
    river = LineString(base + normals * meander[:, None])
    river = LineString(resample(longest_part(river.intersection(township)), 40.0))
    road_offset = 230 + 35 * np.sin(2 * math.pi * s / 1100 + phases[2])
    road = LineString(base + normals * road_offset[:, None])
    road_pts = resample(longest_part(road.intersection(township.buffer(-40))), 40.0)
    seat_index = int(np.argmin(np.linalg.norm(road_pts - np.array(TOWNSHIP_SEAT), axis=1)))
    return Valley(river=river, main_road=as_tuples(road_pts), seat_index=seat_index)


def winding_route(start: XY, end: XY, rng: np.random.Generator, spacing: float = 40.0) -> list[XY]:
    """A gently winding road from start to end (both kept exactly)."""
    a, b = np.array(start), np.array(end)
    length = float(np.linalg.norm(b - a))
    n = max(2, math.ceil(length / spacing))
    t = np.linspace(0.0, 1.0, n + 1)[:, None]
    direction = (b - a) / length
    normal = np.array([-direction[1], direction[0]])
    amplitude = min(0.08 * length, 220.0)
    waves = rng.uniform(0.8, 2.2)
    phase = rng.uniform(0, 2 * math.pi)
    offset = amplitude * np.sin(math.pi * t) * np.sin(2 * math.pi * waves * t + phase)
    points = a + t * (b - a) + offset * normal
    coords = as_tuples(points)
    coords[0], coords[-1] = start, end
    return coords


def build_roads(
    rng: np.random.Generator, net: Network, valley: Valley, villages: list[Polygon]
) -> None:
    """County road, the bridge road to 瓦槽村 and one village road to every village hub."""
    main = valley.main_road
    net.lines.append(Line("road", MAIN_ROAD_NAME, main))
    seat = main[valley.seat_index]
    net.hubs[0] = seat
    hubs = {i: v.hub for i, v in enumerate(VILLAGES) if v.hub is not None}
    for i, hub in hubs.items():
        if not villages[i].buffer(-200).contains(Point(hub)):
            raise RuntimeError(f"hub of {VILLAGES[i].name} is not well inside it")
    # The only river crossing: from the seat across 能溪河 to 瓦槽村.
    wacao = next(i for i, v in enumerate(VILLAGES) if v.name_en == "Wacao")
    bridge_start = main[valley.seat_index - 4]
    for _ in range(50):
        coords = winding_route(bridge_start, hubs[wacao], rng)
        if net.fits(coords, crossings=1):
            break
    else:
        raise RuntimeError("no bridge road fits")
    net.lines.append(Line("road", BRIDGE_ROAD_NAME, coords))
    net.hubs[wacao] = hubs[wacao]
    for i, hub in hubs.items():
        if i == wacao:
            continue
        net.lines.append(Line("road", f"{VILLAGES[i].name}道", village_road(rng, net, hub)))
        net.hubs[i] = hub


def village_road(rng: np.random.Generator, net: Network, hub: XY) -> list[XY]:
    """The shortest fitting winding road from a road vertex to a village hub."""
    candidates = sorted(set(net.road_vertices()), key=lambda c: math.dist(c, hub))
    for start in candidates[:400]:
        if math.dist(start, hub) < 300:
            continue
        for _ in range(3):
            coords = winding_route(start, hub, rng)
            if net.fits(coords):
                return coords
    raise RuntimeError(f"no village road reaches {hub}")


def build_tracks(rng: np.random.Generator, net: Network, villages: list[Polygon]) -> None:
    """3–6 gently winding tracks per village from its hub (or its roads) towards the parts of
    the village farthest from any road, until the village holds 1 km of lines per km²."""
    for i, village in enumerate(villages):
        inner = village.buffer(-25.0)
        grid = village_grid(village.buffer(-150.0))
        made = 0
        excluded: set[int] = set()
        for _ in range(60):
            if made >= 6 or (made >= 4 and length_inside(net, village) >= village.area / 1000):
                break
            network = net.union()
            far = shapely.distance(shapely.points(grid), network)
            far[list(excluded)] = -1
            top = np.argsort(-far)[:5]
            pick = int(top[rng.integers(len(top))])
            excluded.add(pick)
            coords = track_walk(rng, net, i, inner, tuple(grid[pick]))
            if coords is not None:
                made += 1
                name = f"{VILLAGES[i].name}{NUMERALS[made - 1]}组机耕道"
                net.lines.append(Line("track", name, coords, village=i))
        if made < 3 or length_inside(net, village) < 6000:
            raise RuntimeError(f"{VILLAGES[i].name}: only {made} tracks fit")


def village_grid(area: shapely.Geometry, step: float = 150.0) -> np.ndarray:
    minx, miny, maxx, maxy = area.bounds
    xs, ys = np.meshgrid(np.arange(minx, maxx, step), np.arange(miny, maxy, step))
    pts = np.column_stack([xs.ravel(), ys.ravel()])
    return pts[shapely.contains_xy(area, pts[:, 0], pts[:, 1])]


def length_inside(net: Network, village: Polygon) -> float:
    return float(net.union().intersection(village).length)


def track_walk(
    rng: np.random.Generator, net: Network, village: int, inner: shapely.Geometry, target: XY
) -> list[XY] | None:
    """Walk from the best start towards target in 40 m steps, winding; None when it won't fit."""
    starts = [net.hubs[village]] + [
        c
        for ln in net.lines
        if ln.cls == "road"
        for c in ln.coords[1:-1]
        if inner.contains(Point(c))
    ]
    start = min(
        (s for s in starts if not LineString([s, target]).intersects(net.river)),
        key=lambda s: math.dist(s, target) - (150.0 if s == net.hubs[village] else 0.0),
        default=None,
    )
    if start is None:
        return None
    wobble = ar_noise(rng, 80, 0.16)
    coords = [start]
    length = 0.0
    for k in range(1, 80):
        here = coords[-1]
        aim = math.atan2(target[1] - here[1], target[0] - here[0]) + wobble[k]
        step = (here[0] + 40 * math.cos(aim), here[1] + 40 * math.sin(aim))
        if not inner.contains(Point(step)) or not net.fits([*coords, step]):
            break
        coords.append(step)
        length += 40.0
        if math.dist(step, target) < 60 or length >= 2950:
            break
    if length < 840:  # 0.8 km and a margin
        return None
    return coords


def build_paths(rng: np.random.Generator, net: Network, count: int = 4) -> None:
    """Footpaths joining the far ends of two tracks (they close loops over the hills)."""
    ends = [ln.coords[-1] for ln in net.lines if ln.cls == "track"]
    pairs = sorted(
        ((math.dist(a, b), a, b) for k, a in enumerate(ends) for b in ends[k + 1 :]),
        key=lambda p: p[0],
    )
    used: set[XY] = set()
    for distance, a, b in pairs:
        if len([ln for ln in net.lines if ln.cls == "path"]) >= count:
            break
        if not 300 <= distance <= 1300 or a in used or b in used:
            continue
        coords = winding_route(a, b, rng, spacing=30.0)
        if net.fits(coords, gap=30.0, joins_end=True):
            net.lines.append(Line("path", "", coords))
            used.update((a, b))


def build_river_path(net: Network, valley: Valley, village: Polygon) -> None:
    """A footpath from the county road down to the river bank (for the 巡河 checkpoint)."""
    main = valley.main_road
    taken = {c for ln in net.lines for c in (ln.coords[0], ln.coords[-1])}
    candidates = [
        c
        for c in main[3:-3]
        if village.buffer(-100).contains(Point(c)) and min(math.dist(c, t) for t in taken) > 150
    ]
    start = min(candidates, key=lambda c: net.river.distance(Point(c)))
    bank = net.river.interpolate(net.river.project(Point(start)))
    length = math.dist(start, (bank.x, bank.y)) - 20.0
    heading = math.atan2(bank.y - start[1], bank.x - start[0])
    steps = np.linspace(0.0, length, max(2, math.ceil(length / 20.0)) + 1)[1:]
    coords = [start] + [
        (start[0] + d * math.cos(heading), start[1] + d * math.sin(heading)) for d in steps
    ]
    if not net.fits(coords, gap=30.0, river_gap=15.0):
        raise RuntimeError("the river path does not fit")
    net.lines.append(Line("path", RIVER_PATH_NAME, coords))


def split_at_junctions(lines: Iterable[Line]) -> list[Line]:
    """Split every line at the vertices where another line starts or ends (a road graph)."""
    lines = list(lines)
    nodes = {c for ln in lines for c in (ln.coords[0], ln.coords[-1])}
    pieces: list[Line] = []
    for ln in lines:
        current = [ln.coords[0]]
        for c in ln.coords[1:]:
            current.append(c)
            if c in nodes and c != ln.coords[-1]:
                pieces.append(Line(ln.cls, ln.name, current, ln.village))
                current = [c]
        pieces.append(Line(ln.cls, ln.name, current, ln.village))
    return pieces


# ---------------------------------------------------------------------------------------------
# Points: cameras and checkpoints


@dataclass(frozen=True)
class Anchor:
    """A point beside a line: ``along`` metres from the line's start (negative: from its end),
    ``side`` metres to the left (negative: right)."""

    line: str
    along: float
    side: float = 0.0


def locate(net: Network, valley: Valley, anchor: Anchor) -> tuple[XY, XY]:
    """(point, nearest point on the line) for an anchor.

    Line keys: ``main`` (``along`` counted from the township seat), ``county`` (the same road
    counted from its ends), ``bridge`` (from the river crossing), ``river_path``,
    ``road:<village>`` (the road to a village hub) and ``track:<village>:<n>``.
    """
    kind, *rest = anchor.line.split(":")
    if kind in ("main", "county"):
        line = LineString(valley.main_road)
        seat_s = line.project(Point(valley.main_road[valley.seat_index]))
        along = seat_s + anchor.along if kind == "main" else anchor.along
    elif kind == "river_path":
        line = next(ln.geometry for ln in net.lines if ln.name == RIVER_PATH_NAME)
        along = anchor.along
    elif kind == "bridge":
        line = LineString(next(ln.coords for ln in net.lines if ln.name == BRIDGE_ROAD_NAME))
        along = line.project(line.intersection(net.river)) + anchor.along
    elif kind == "road":
        hub = net.hubs[int(rest[0])]
        line = next(ln.geometry for ln in net.lines if ln.cls == "road" and ln.coords[-1] == hub)
        along = anchor.along
    elif kind == "track":
        village, number = int(rest[0]), int(rest[1])
        tracks = [ln for ln in net.lines if ln.village == village and ln.cls == "track"]
        line = tracks[number].geometry
        along = anchor.along
    else:
        raise ValueError(f"unknown anchor line {anchor.line!r}")
    if kind != "main" and kind != "bridge" and along < 0:
        along += line.length
    along = min(max(along, 1.0), line.length - 1.0)
    on = line.interpolate(along)
    ahead = line.interpolate(min(along + 5.0, line.length))
    behind = line.interpolate(max(along - 5.0, 0.0))
    dx, dy = ahead.x - behind.x, ahead.y - behind.y
    norm = math.hypot(dx, dy)
    point = (on.x - dy / norm * anchor.side, on.y + dx / norm * anchor.side)
    return point, (on.x, on.y)


@dataclass(frozen=True)
class CameraSpec:
    name: str
    anchor: Anchor
    look: Literal["road", "along", "back"] = "road"
    ptz: bool = False
    status: Literal["online", "offline", "maintenance"] = "online"


def camera_specs() -> list[CameraSpec]:
    """34 cameras where a township puts them: hubs, junctions, the bridge, the seat's public
    buildings, the township gates and a few places watched for 两违 or safety."""
    seat: list[CameraSpec] = [
        CameraSpec("小章乡人民政府", Anchor("main", 0, 10), ptz=True),
        CameraSpec("小章中心小学门口", Anchor("main", 380, 12)),
        CameraSpec("小章乡卫生院", Anchor("main", 180, -10)),
        CameraSpec("小章集市", Anchor("main", -260, -8), ptz=True),
        CameraSpec("小章乡敬老院", Anchor("main", -700, 12)),
        CameraSpec("能溪河大桥", Anchor("bridge", 12, 6), look="along", ptz=True),
        CameraSpec("X051与小章—瓦槽村道交叉口", Anchor("road:5", 12, -8), look="back"),
        CameraSpec("小章村村部", Anchor("main", 120, -10)),
        CameraSpec("小章集镇西口", Anchor("main", -950, -8), look="along"),
        CameraSpec("小章集镇东口", Anchor("main", 950, 8), look="back"),
        CameraSpec("X051西入乡卡口", Anchor("county", 150, 6), look="along", ptz=True),
        CameraSpec("X051东出乡卡口", Anchor("county", -150, -6), look="back", ptz=True),
        CameraSpec("小章村一组路口", Anchor("track:0:0", 600, 6)),
    ]
    places = [
        CameraSpec("梓木坪油茶加工厂", Anchor("track:1:1", 700, 8)),
        CameraSpec("大水坪水库大坝", Anchor("track:2:0", -30, 6), ptz=True),
        CameraSpec("川洞石料场", Anchor("track:3:1", -200, 8), status="offline"),
        CameraSpec("白泥塘山塘", Anchor("track:4:0", -40, 6)),
        CameraSpec("瓦槽村小学门口", Anchor("track:5:0", 250, 8)),
        CameraSpec("烟竹坪茶叶合作社", Anchor("track:6:1", 500, 8)),
    ]
    villages: list[CameraSpec] = []
    for i in range(1, 7):
        name = VILLAGES[i].name
        villages.append(
            CameraSpec(
                f"{name}村部",
                Anchor(f"road:{i}", -15, 8),
                status="maintenance" if i == 4 else "online",
            )
        )
        if i != 5:  # 瓦槽村's road is the bridge road, its junction is watched already
            road = "X051" if i in (1, 2, 3) else "小章—瓦槽村道"
            villages.append(
                CameraSpec(
                    f"{road}与{name}道交叉口",
                    Anchor(f"road:{i}", 15, -8),
                    look="back",
                    status="offline" if i == 6 else "online",
                )
            )
        villages.append(places[i - 1])
    extra = [
        CameraSpec("瓦槽村道急弯处", Anchor("road:5", -900, 6), look="along"),
        CameraSpec("X051梓木坪河湾路段", Anchor("main", -2600, -6), look="along"),
        CameraSpec("川洞村民建房点", Anchor("track:3:2", 400, 8)),
        CameraSpec("瓦槽村民建房点", Anchor("track:5:1", 600, 8)),
    ]
    return seat + villages + extra


@dataclass(frozen=True)
class CheckpointSpec:
    name: str
    kind: str
    anchor: Anchor
    mandatory: bool = False


def checkpoint_specs() -> list[CheckpointSpec]:
    """Places patrols must look at; about a third mandatory (schools, 敬老院, 两违 hot spots)."""
    return [
        CheckpointSpec("小章中心小学", "school", Anchor("main", 400, 25), True),
        CheckpointSpec("小章乡敬老院", "nursing_home", Anchor("main", -690, 30), True),
        CheckpointSpec("小章集市", "market", Anchor("main", -250, -25)),
        CheckpointSpec("能溪河小章段河岸", "river_bank", Anchor("bridge", 30, -20)),
        CheckpointSpec("梓木坪村村部", "village_committee", Anchor("road:1", -5, 25)),
        CheckpointSpec("梓木坪油茶加工厂", "enterprise", Anchor("track:1:1", 720, 30)),
        CheckpointSpec("能溪河梓木坪段河岸", "river_bank", Anchor("river_path", 32, 0), True),
        CheckpointSpec("大水坪水库", "reservoir", Anchor("track:2:0", -5, 30)),
        CheckpointSpec("大水坪村村部", "village_committee", Anchor("road:2", -5, -25)),
        CheckpointSpec("大水坪村民建房点", "construction_site", Anchor("track:2:1", 900, 25), True),
        CheckpointSpec("川洞村村部", "village_committee", Anchor("road:3", -5, 25)),
        CheckpointSpec("川洞石料场", "enterprise", Anchor("track:3:1", -180, 30), True),
        CheckpointSpec("白泥塘山塘", "reservoir", Anchor("track:4:0", -5, 30), True),
        CheckpointSpec("白泥塘村村部", "village_committee", Anchor("road:4", -5, 25)),
        CheckpointSpec("白泥塘养殖场", "enterprise", Anchor("track:4:2", 800, 30)),
        CheckpointSpec("瓦槽村小学", "school", Anchor("track:5:0", 260, 25), True),
        CheckpointSpec("瓦槽村村部", "village_committee", Anchor("road:5", -5, 25)),
        CheckpointSpec("瓦槽安置点工地", "construction_site", Anchor("track:5:1", 620, 30)),
        CheckpointSpec("烟竹坪村村部", "village_committee", Anchor("road:6", -5, 25)),
        CheckpointSpec("烟竹坪茶叶合作社", "enterprise", Anchor("track:6:1", 520, 30)),
        CheckpointSpec("烟竹坪山塘", "reservoir", Anchor("track:6:0", -5, 30)),
    ]


# ---------------------------------------------------------------------------------------------
# Drone flights


@dataclass(frozen=True)
class FlightSpec:
    flight_id: str
    started_at: datetime
    river_from: float  # metres along the river
    river_to: float
    altitude: float


CST = timezone(timedelta(hours=8))
FLIGHTS = (
    FlightSpec("DJI-20261104-01", datetime(2026, 11, 4, 9, 30, tzinfo=CST), 900.0, 5100.0, 100.0),
    FlightSpec(
        "DJI-20261106-01", datetime(2026, 11, 6, 14, 10, tzinfo=CST), 6200.0, 10400.0, 110.0
    ),
)


def flight_path(
    rng: np.random.Generator, river: LineString, spec: FlightSpec
) -> tuple[np.ndarray, list[int]]:
    """An along-river survey: up one bank 100 m off the river, back down the other.

    Returns vertices (x, y, altitude) and seconds since take-off per vertex (about 7 m/s).
    """
    stretch = substring(river, spec.river_from, spec.river_to)
    base = resample(LineString(chaikin(resample(stretch, 200.0), 3)), 80.0)
    normals = left_normals(base)
    north = base + normals * 100.0
    south = (base - normals * 100.0)[::-1]
    xy = np.vstack([north, south])
    steps = np.linalg.norm(np.diff(xy, axis=0), axis=1)
    speed = 7.0 + rng.uniform(-0.4, 0.4, len(steps))
    times = np.concatenate([[0.0], np.cumsum(steps / speed)])
    seconds = [round(float(t)) for t in times]
    altitude = (
        spec.altitude
        + 6 * np.sin(np.linspace(0, 3 * math.pi, len(xy)))
        + rng.normal(0, 1.0, len(xy))
    )
    return np.column_stack([xy, np.round(altitude, 1)]), seconds


# ---------------------------------------------------------------------------------------------
# Writing


def write_collection(path: Path, features: list[dict[str, Any]]) -> None:
    """RFC 7946 FeatureCollection, one feature per line (readable diffs), no ``crs`` member."""
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    path.write_text(
        '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n", encoding="utf-8"
    )


def feature(geom: shapely.Geometry, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry_json(geom)}


def geometry_json(geom: shapely.Geometry) -> dict[str, Any]:
    mapping: dict[str, Any] = json.loads(shapely.to_geojson(geom))
    return mapping


def multipolygon(frame: Frame, poly: Polygon) -> MultiPolygon:
    """Lon/lat MultiPolygon with RFC 7946 winding (exterior counter-clockwise)."""
    lonlat = frame.to_lonlat(poly)
    return MultiPolygon([shapely.orient_polygons(lonlat)])


def build(out_dir: Path = HERE) -> None:
    """Generate every layer file in ``out_dir``."""
    settings = load_settings()
    frame = Frame(settings["metric_crs"])
    code = str(settings["code"])
    rng = np.random.default_rng(SEED)

    township, villages = build_villages(rng)
    valley = build_valley(rng, township)
    net = Network(township, valley.river)
    build_roads(rng, net, valley, villages)
    build_tracks(rng, net, villages)
    build_paths(rng, net)
    build_river_path(net, valley, villages[1])

    village_lonlat = [multipolygon(frame, v) for v in villages]
    village_codes = [f"{code}{201 + i}" for i in range(len(VILLAGES))]
    write_collection(
        out_dir / "township.geojson",
        [
            feature(
                multipolygon(frame, township),
                {"code": code, "name": settings["name"], "name_en": settings["name_en"]},
            )
        ],
    )
    write_collection(
        out_dir / "villages.geojson",
        [
            feature(
                g, {"code": c, "name": v.name, "name_en": v.name_en, "squad": f"squad-{i + 1:02d}"}
            )
            for i, (g, c, v) in enumerate(zip(village_lonlat, village_codes, VILLAGES, strict=True))
        ],
    )
    pieces = split_at_junctions(net.lines)
    write_collection(
        out_dir / "roads.geojson",
        [
            feature(
                frame.to_lonlat(p.geometry), {"class": p.cls, "name": p.name, "code": f"R{k:03d}"}
            )
            for k, p in enumerate(pieces, start=1)
        ],
    )
    write_collection(
        out_dir / "river.geojson",
        [
            feature(
                frame.to_lonlat(valley.river),
                {"name": "能溪河", "name_en": "Nengxi River"},
            )
        ],
    )

    def village_of(point: Point) -> str:
        found = [c for g, c in zip(village_lonlat, village_codes, strict=True) if g.contains(point)]
        if len(found) != 1:
            raise RuntimeError(f"point {point} is in {len(found)} villages")
        return found[0]

    write_collection(
        out_dir / "cameras.geojson", camera_features(rng, net, valley, frame, village_of)
    )
    checkpoints = []
    for k, spec in enumerate(checkpoint_specs(), start=1):
        xy, _ = locate(net, valley, spec.anchor)
        point = frame.to_lonlat(Point(xy))
        checkpoints.append(
            feature(
                point,
                {
                    "code": f"CP-{k:02d}",
                    "name": spec.name,
                    "kind": spec.kind,
                    "village": village_of(point),
                    "mandatory": spec.mandatory,
                },
            )
        )
    write_collection(out_dir / "checkpoints.geojson", checkpoints)

    flights = []
    for spec in FLIGHTS:
        xyz, seconds = flight_path(rng, valley.river, spec)
        lonlat = frame.lonlat_array(xyz[:, :2])
        line = LineString(np.column_stack([lonlat, xyz[:, 2]]))
        flights.append(
            feature(
                line,
                {
                    "flight_id": spec.flight_id,
                    "started_at": spec.started_at.isoformat(),
                    "ended_at": (spec.started_at + timedelta(seconds=seconds[-1])).isoformat(),
                    "altitude_source": "agl",
                    "hfov_deg": 84.0,
                    "drone": "DJI Mavic 3E",
                    "times_s": seconds,
                },
            )
        )
    write_collection(out_dir / "drone_flights.geojson", flights)


def camera_features(
    rng: np.random.Generator,
    net: Network,
    valley: Valley,
    frame: Frame,
    village_of: Callable[[Point], str],
) -> list[dict[str, Any]]:
    features = []
    for k, spec in enumerate(camera_specs(), start=1):
        xy, on_line = locate(net, valley, spec.anchor)
        ahead, _ = locate(net, valley, Anchor(spec.anchor.line, spec.anchor.along + 20, 0))
        if spec.look == "road" and math.dist(xy, on_line) > 1:
            bearing = heading_deg(xy, on_line)
        elif spec.look == "back":
            bearing = heading_deg(ahead, on_line)
        else:
            bearing = heading_deg(on_line, ahead)
        point = frame.to_lonlat(Point(xy))
        installed = date(2021, 3, 1) + timedelta(days=int(rng.integers(0, 4 * 365)))
        features.append(
            feature(
                point,
                {
                    "code": f"CAM-{k:02d}",
                    "name": spec.name,
                    "village": village_of(point),
                    "bearing_deg": round(bearing + float(rng.uniform(-5, 5))) % 360,
                    "fov_deg": 90 if spec.ptz else int(rng.choice([60, 75, 90, 100, 110])),
                    "range_m": int(rng.integers(100, 151))
                    if spec.ptz
                    else int(rng.integers(40, 101)),
                    "ptz": spec.ptz,
                    "height_m": round(
                        float(rng.uniform(8, 12) if spec.ptz else rng.uniform(3.5, 6.5)), 1
                    ),
                    "status": spec.status,
                    "installed_on": installed.isoformat(),
                },
            )
        )
    return features


# ---------------------------------------------------------------------------------------------
# Verification


def read_collection(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and "crs" not in data, path.name
    for item in data["features"]:
        xy = shapely.get_coordinates(shapely.geometry.shape(item["geometry"]))
        assert np.array_equal(xy, np.round(xy, DECIMALS)), f"{path.name}: unrounded coordinates"
    features: list[dict[str, Any]] = data["features"]
    return features


def verify(out_dir: Path = HERE) -> dict[str, Any]:
    """Assert the constraints the demo relies on; return a summary (areas in km², km)."""
    settings = load_settings()
    frame = Frame(settings["metric_crs"])
    layers = {
        name: read_collection(out_dir / f"{name}.geojson")
        for name in (
            "township",
            "villages",
            "roads",
            "river",
            "cameras",
            "checkpoints",
            "drone_flights",
        )
    }

    def shapes(name: str) -> list[shapely.Geometry]:
        return [shapely.geometry.shape(f["geometry"]) for f in layers[name]]

    def metric(name: str) -> list[shapely.Geometry]:
        return [frame.to_metric(g) for g in shapes(name)]

    def props(name: str) -> list[dict[str, Any]]:
        return [f["properties"] for f in layers[name]]

    code = str(settings["code"])
    summary: dict[str, Any] = {}
    # township
    (outline_ll,) = shapes("township")
    (outline,) = metric("township")
    assert outline_ll.geom_type == "MultiPolygon" and outline_ll.is_valid
    assert props("township")[0] == {"code": code, "name": "小章乡", "name_en": "Xiaozhang Township"}
    assert 69e6 <= outline.area <= 71e6, outline.area
    minx, miny, maxx, maxy = outline_ll.bounds
    assert BBOX_LONLAT[0] <= minx and maxx <= BBOX_LONLAT[2], outline_ll.bounds
    assert BBOX_LONLAT[1] <= miny and maxy <= BBOX_LONLAT[3], outline_ll.bounds
    centroid = outline_ll.centroid
    assert math.dist((centroid.x, centroid.y), CENTRE_LONLAT) < 0.02, centroid
    assert all(p.exterior.is_ccw for p in outline_ll.geoms), "RFC 7946: exterior ring is CCW"
    summary["township_km2"] = outline.area / 1e6

    # villages
    villages_ll, villages = shapes("villages"), metric("villages")
    village_props = props("villages")
    assert len(villages) == 7
    for i, (g, p, spec) in enumerate(zip(villages_ll, village_props, VILLAGES, strict=True)):
        assert g.geom_type == "MultiPolygon" and g.is_valid, p
        assert all(part.exterior.is_ccw for part in g.geoms), p
        assert p == {
            "code": f"{code}{201 + i}",
            "name": spec.name,
            "name_en": spec.name_en,
            "squad": f"squad-{i + 1:02d}",
        }, p
    for i, a in enumerate(villages):
        assert 5e6 <= a.area <= 16e6, (village_props[i]["name"], a.area)
        for b in villages[i + 1 :]:
            assert a.intersection(b).area < 1.0
    assert unary_union(villages).symmetric_difference(outline).area < 1.0
    codes = [p["code"] for p in village_props]
    hub_of_seat = villages[0].centroid.distance(outline.centroid)
    assert hub_of_seat < 1500, "小章村 is the central village"

    def village_of(point_ll: Point) -> str:
        found = [c for g, c in zip(villages_ll, codes, strict=True) if g.contains(point_ll)]
        assert len(found) == 1, point_ll
        return found[0]

    # roads and river
    roads, road_props = metric("roads"), props("roads")
    (river,) = metric("river")
    assert props("river")[0]["name"] == "能溪河"
    assert all(g.geom_type == "LineString" and g.is_valid for g in roads)
    assert len({p["code"] for p in road_props}) == len(roads)
    assert all(
        p["class"] in ("road", "track", "path") and isinstance(p["name"], str) for p in road_props
    )
    assert all(p["name"] for p in road_props if p["class"] != "path")
    inside = outline.buffer(0.05)
    assert all(inside.contains(g) for g in roads), "every line lies inside the township"
    network = unary_union(roads)
    drivable = unary_union(
        [g for g, p in zip(roads, road_props, strict=True) if p["class"] != "path"]
    )
    total = sum(g.length for g in roads)
    assert 60e3 <= total <= 120e3, total
    summary["roads_km"] = total / 1e3
    assert_road_graph(shapes("roads"))
    crossing = network.intersection(river)
    assert crossing.geom_type == "Point", f"exactly one bridge, got {crossing}"
    per_village: list[dict[str, Any]] = []
    for v, p in zip(villages, village_props, strict=True):
        tracks = [
            g
            for g, q in zip(roads, road_props, strict=True)
            if q["class"] == "track" and v.buffer(0.05).contains(g)
        ]
        assert 3 <= len(tracks) <= 6, (p["name"], len(tracks))
        assert all(800 <= t.length <= 3000 for t in tracks), (p["name"], [t.length for t in tracks])
        inside_km = drivable.intersection(v).length / 1e3
        assert inside_km >= 6.0, (p["name"], inside_km)
        per_village.append(
            {"name": p["name"], "km2": v.area / 1e6, "roads_km": inside_km, "tracks": len(tracks)}
        )
    summary["villages"] = per_village

    # cameras
    cameras, camera_props = shapes("cameras"), props("cameras")
    assert len(cameras) == 34
    assert [p["code"] for p in camera_props] == [f"CAM-{k:02d}" for k in range(1, 35)]
    for point, p in zip(cameras, camera_props, strict=True):
        assert p["village"] == village_of(point), p
        m = frame.to_metric(point)
        assert drivable.distance(m) <= 15.0, (p["name"], drivable.distance(m))
        assert 0 <= p["bearing_deg"] <= 359 and 60 <= p["fov_deg"] <= 110, p
        assert 30 <= p["range_m"] <= 150 and 3 <= p["height_m"] <= 12, p
        assert p["status"] in ("online", "offline", "maintenance"), p
        assert "2021-01-01" <= p["installed_on"] <= "2025-12-31", p
        assert p["name"] and isinstance(p["ptz"], bool), p
    statuses = [p["status"] for p in camera_props]
    summary["cameras"] = {s: statuses.count(s) for s in ("online", "offline", "maintenance")}
    assert summary["cameras"] == {"online": 31, "offline": 2, "maintenance": 1}
    summary["ptz"] = sum(p["ptz"] for p in camera_props)
    assert 5 <= summary["ptz"] <= 7
    bridge_cam = next(
        frame.to_metric(g)
        for g, p in zip(cameras, camera_props, strict=True)
        if p["name"] == "能溪河大桥"
    )
    assert bridge_cam.distance(crossing) <= 20.0

    # checkpoints
    checkpoints, cp_props = shapes("checkpoints"), props("checkpoints")
    assert 15 <= len(checkpoints) <= 25
    assert [p["code"] for p in cp_props] == [f"CP-{k:02d}" for k in range(1, len(cp_props) + 1)]
    kinds = (
        "school",
        "nursing_home",
        "enterprise",
        "river_bank",
        "construction_site",
        "reservoir",
        "village_committee",
        "market",
    )
    for point, p in zip(checkpoints, cp_props, strict=True):
        assert p["kind"] in kinds and p["village"] == village_of(point), p
        assert drivable.distance(frame.to_metric(point)) <= 40.0, p
    per_code = [sum(p["village"] == c for p in cp_props) for c in codes]
    assert all(2 <= n <= 4 for n in per_code), per_code
    mandatory = sum(p["mandatory"] for p in cp_props)
    assert 0.25 <= mandatory / len(cp_props) <= 0.4, mandatory
    summary["checkpoints"] = {"total": len(cp_props), "mandatory": mandatory}

    # drone flights
    flights, flight_props = shapes("drone_flights"), props("drone_flights")
    assert 1 <= len(flights) <= 2
    for line, p in zip(flights, flight_props, strict=True):
        assert line.geom_type == "LineString" and line.has_z, p["flight_id"]
        xyz = shapely.get_coordinates(line, include_z=True)
        times = p["times_s"]
        assert len(times) == len(xyz) and times[0] == 0
        assert np.all(np.diff(times) > 0)
        started = datetime.fromisoformat(p["started_at"])
        ended = datetime.fromisoformat(p["ended_at"])
        assert started.utcoffset() == timedelta(hours=8) and started.strftime("%Y-%m") == "2026-11"
        assert (ended - started).total_seconds() == times[-1]
        assert 15 * 60 <= times[-1] <= 25 * 60, times[-1]
        assert np.all((xyz[:, 2] >= 80) & (xyz[:, 2] <= 120))
        assert outline_ll.contains(shapely.force_2d(line))
        assert p["altitude_source"] == "agl" and p["hfov_deg"] == 84.0
    summary["flights_min"] = [p["times_s"][-1] / 60 for p in flight_props]

    # terrain (illustrative): covers the township, in its metric CRS, valley to hills
    import rasterio

    with rasterio.open(out_dir / "dem.tif") as src:
        assert src.crs.to_string() == settings["metric_crs"] and src.res == (30.0, 30.0)
        z = src.read(1)
        left, bottom, right, top = src.bounds
    xmin, ymin, xmax, ymax = outline.bounds
    assert left < xmin and bottom < ymin and right > xmax and top > ymax
    assert float(z.min()) >= 150.0 and float(z.max()) <= 800.0
    summary["dem_m"] = [float(z.min()), float(z.max())]
    return summary


# ---------------------------------------------------------------------------------------------
# Terrain (ILLUSTRATIVE): a DEM made up from the valley, not from any survey or SRTM tile.

#: DEM cell side (metres, like SRTM's 1 arc-second) and the margin around the township.
DEM_CELL_M = 30.0
DEM_MARGIN_M = 600.0
#: Valley floor (m above sea level) and how far the hills rise above it.
DEM_FLOOR_M = 180.0
DEM_RELIEF_M = 320.0
#: Cameras with a knoll in front of them in the demo DEM.
KNOLL_CAMERAS = ("CAM-16", "CAM-17", "CAM-31")


def build_dem(out_dir: Path = HERE) -> Path:
    """Write ``dem.tif``: an ILLUSTRATIVE elevation model of the township (EPSG:4546, 30 m
    cells, float32 metres, DEFLATE). The 能溪河 valley floor lies at about 180 m; the ground
    rises away from the river over a few kilometres (an exponential profile) and carries
    made-up hills, spurs and knolls (Gaussian bumps from a fixed seed), so some cameras on the
    valley sides lose part of their sectors behind a knoll. Deterministic: the same bytes on
    every run."""
    import rasterio
    from affine import Affine

    settings = load_settings()
    frame = Frame(settings["metric_crs"])
    (outline_ll,) = [
        shapely.geometry.shape(f["geometry"]) for f in read_collection(out_dir / "township.geojson")
    ]
    (river_ll,) = [
        shapely.geometry.shape(f["geometry"]) for f in read_collection(out_dir / "river.geojson")
    ]
    outline, river = frame.to_metric(outline_ll), frame.to_metric(river_ll)
    xmin, ymin, xmax, ymax = outline.bounds
    x0 = math.floor((xmin - DEM_MARGIN_M) / DEM_CELL_M) * DEM_CELL_M
    y0 = math.ceil((ymax + DEM_MARGIN_M) / DEM_CELL_M) * DEM_CELL_M
    width = math.ceil((xmax + DEM_MARGIN_M - x0) / DEM_CELL_M)
    height = math.ceil((y0 - (ymin - DEM_MARGIN_M)) / DEM_CELL_M)
    xs = x0 + (np.arange(width) + 0.5) * DEM_CELL_M
    ys = y0 - (np.arange(height) + 0.5) * DEM_CELL_M
    gx, gy = np.meshgrid(xs, ys)
    d = shapely.distance(river, shapely.points(gx.ravel(), gy.ravel())).reshape(gx.shape)
    z = DEM_FLOOR_M + DEM_RELIEF_M * (1.0 - np.exp(-d / 1800.0))
    rng = np.random.default_rng(SEED + 7)
    for _ in range(14):
        cx, cy = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
        sigma = rng.uniform(350.0, 900.0)
        amplitude = rng.uniform(40.0, 140.0)
        bump = amplitude * np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * sigma**2))
        z += bump * (1.0 - np.exp(-d / 400.0))  # the valley floor stays flat
    # Spurs and knolls: many small steep bumps make the slopes rugged, as in 湘西's hills.
    for _ in range(400):
        cx, cy = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
        sigma = rng.uniform(50.0, 140.0)
        amplitude = rng.uniform(8.0, 30.0)
        bump = amplitude * np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * sigma**2))
        z += bump * (1.0 - np.exp(-d / 150.0))
    # A knoll in front of a few valley-side cameras (the spur at 瓦槽村道急弯处, the slopes by the
    # 梓木坪 oil-tea works and 大水坪村部), so the demo shows what terrain hides: each hides
    # the far part of its camera's sector.
    cameras = read_collection(out_dir / "cameras.geojson")
    for camera in cameras:
        p = camera["properties"]
        if p["code"] not in KNOLL_CAMERAS:
            continue
        at = frame.to_metric(shapely.geometry.shape(camera["geometry"]))
        ahead = 0.55 * float(p["range_m"])
        bearing = math.radians(float(p["bearing_deg"]))
        cx, cy = at.x + ahead * math.sin(bearing), at.y + ahead * math.cos(bearing)
        sigma = 0.12 * float(p["range_m"])
        z += 15.0 * np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * sigma**2))
    z = np.round(z * 2) / 2  # half metres
    path = out_dir / "dem.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs=settings["metric_crs"],
        transform=Affine(DEM_CELL_M, 0.0, x0, 0.0, -DEM_CELL_M, y0),
        compress="deflate",
        predictor=3,
        tiled=False,
    ) as dst:
        dst.update_tags(NOTE="ILLUSTRATIVE terrain of the demo township, not surveyed")
        dst.write(z.astype(np.float32), 1)
    return path


def assert_road_graph(lines: list[LineString]) -> None:
    """Lines meet only at shared end points, and all of them form one connected graph."""
    ends = [(ln.coords[0], ln.coords[-1]) for ln in lines]
    parent = {c: c for pair in ends for c in pair}

    def root(c: tuple[float, ...]) -> tuple[float, ...]:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for a, b in ends:
        parent[root(a)] = root(b)
    assert len({root(c) for c in parent}) == 1, "the road network is not connected"
    tree = shapely.STRtree(lines)
    left, right = tree.query(lines, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i < j:
            meet = shapely.get_coordinates(lines[i].intersection(lines[j]))
            shared = set(ends[i]) & set(ends[j])
            assert {tuple(c) for c in meet} <= shared, ("lines cross", i, j, meet)


if __name__ == "__main__":
    build()
    build_dem()
    result = verify()
    print(json.dumps(result, ensure_ascii=False, indent=1))
