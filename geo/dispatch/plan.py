"""Next week's patrol plan (月调度): a route per squad and day over the uncovered roads.

For each squad the plan gathers its required work from the recent weekly results (the road
stretches left uncovered last week, weighted by how many weeks in a row they stayed uncovered
and by the checkpoints near them, and the mandatory checkpoints it missed, reached at the
nearest road point), then, when ``include_routine`` is on, the rest of its villages' roads
(the weekly rule counts all of them). Day by day it takes the most valuable work that still
fits the squad's usual minutes, as a rural-postman route from and back to the squad's base
(:mod:`geo.dispatch.postman`). What cannot be planned is reported with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry.base import BaseGeometry

from geo.coverage.result import (
    Geometry,
    Km,
    Metres,
    Minutes,
    WeekCoverage,
    rounded,
    with_example,
)
from geo.dispatch.effort import Effort, squad_effort
from geo.dispatch.postman import ShortestPaths, Tour, rural_postman, tour_length
from geo.dispatch.roadgraph import Edge, RoadNetwork, build_network, snap_to_roads
from geo.layers import TownshipLayers
from geo.projection import from_metric
from geo.weeks import IsoWeek

#: A piece counts as part of a week's road gap when its midpoint lies this close to it.
ON_GAP_M = 1.0
#: The checkpoint kind taken as a squad's base when none is configured.
BASE_KIND = "village_committee"

PieceKind = Literal["gap", "routine"]
UnplannedReason = Literal["unreachable", "beyond_day", "no_time"]
#: Road coverage, a share rounded to 1e-4 when dumped.
Coverage = Annotated[float, Field(ge=0, le=1), rounded(4)]


class PlanSettings(BaseModel):
    """How a plan is made. Every field has a default.

    Examples
    --------
    >>> PlanSettings(speed_kmh=6).speed_kmh
    6.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    speed_kmh: float | None = Field(
        None,
        gt=0,
        description="Patrol speed along roads (km/h); None: each squad's measured pace.",
    )
    default_speed_kmh: float = Field(
        15.0, gt=0, description="Pace of a squad without recent patrols (km/h)."
    )
    default_minutes_per_day: float = Field(
        120.0, gt=0, description="Minutes per patrol day for a squad without recent patrols."
    )
    default_patrol_days: int = Field(
        5, ge=1, le=7, description="Patrol days a week for a squad without recent patrols."
    )
    checkpoint_stop_minutes: float = Field(
        5.0, ge=0, description="Minutes spent at each missed mandatory checkpoint."
    )
    checkpoint_near_m: float = Field(
        200.0, ge=0, description="Checkpoints this close to a road piece raise its value."
    )
    bases: dict[str, str] = Field(
        default_factory=dict,
        description="Squad → checkpoint code (or name) it starts and ends each day at.",
    )
    include_routine: bool = Field(
        True, description="After the required work, also the villages' other roads."
    )
    squads: list[str] | None = Field(None, description="Plan only these squads.")
    patrol_days: dict[str, int] = Field(
        default_factory=dict,
        description="Squad → patrol days to plan (0 to 7), instead of its usual ones.",
    )
    max_failed_tries: int = Field(
        12, ge=1, description="A day is closed after this many pieces in a row did not fit."
    )


class PlannedPiece(BaseModel):
    """A road piece of the plan (geometry in WGS-84).

    ``kind`` is ``gap`` (uncovered last week; ``weeks_uncovered`` weeks in a row) or
    ``routine`` (covered last week, planned so the week's coverage holds).
    """

    model_config = ConfigDict(frozen=True)

    piece: int
    village_code: str = Field(examples=["433122207201"])
    kind: PieceKind
    road_code: str
    road_name: str
    length_m: Metres
    weeks_uncovered: int = Field(ge=0)
    checkpoints_near: int = Field(ge=0)
    value: Metres = Field(description="Length × weeks uncovered × (1 + checkpoints near)")
    geometry: Geometry


class PlannedCheckpoint(BaseModel):
    """A mandatory checkpoint missed last week, reached at ``road_point`` (WGS-84), the road
    point nearest to it, ``road_distance_m`` away."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    village_code: str
    road_distance_m: Metres
    road_point: Geometry


class Base(BaseModel):
    """Where a squad's day starts and ends: a checkpoint or, without one, the road node nearest
    the village's centroid (``code`` empty). ``point`` is the road point, in WGS-84."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    point: Geometry


class DayRoute(BaseModel):
    """One day of a squad's plan: the ordered closed route from its base, in WGS-84 (and in
    metres, ``route_m``, in memory only: not dumped, empty when read back from a dump), with
    the pieces and checkpoints it covers."""

    model_config = ConfigDict(frozen=True)

    day: int = Field(ge=1, le=7)
    length_m: Metres
    minutes: Minutes
    route_m: Geometry = Field(default_factory=shapely.LineString, exclude=True)
    route: Geometry
    pieces: list[PlannedPiece]
    checkpoints: list[PlannedCheckpoint]


class Unplanned(BaseModel):
    """Work the plan leaves out: ``unreachable`` (no road joins it to the base),
    ``beyond_day`` (the round trip alone exceeds a day's minutes) or ``no_time`` (the week's
    patrol days are full; reported for required work only). ``kind`` is ``gap`` or
    ``checkpoint`` (required work) or ``routine``; ``minutes_needed`` is the round trip's
    duration when it is ``beyond_day``."""

    model_config = ConfigDict(frozen=True)

    squad: str
    village_code: str
    what: Literal["piece", "checkpoint"]
    kind: Literal["gap", "routine", "checkpoint"]
    ref: str
    length_m: Metres
    reason: UnplannedReason
    minutes_needed: Minutes | None = None
    geometry: Geometry


class SquadPlan(BaseModel):
    """A squad's week: its base, usual effort and the route of each patrol day."""

    model_config = ConfigDict(frozen=True)

    squad: str = Field(examples=["squad-01"])
    base: Base
    effort: Effort
    days: list[DayRoute]
    unplanned: list[Unplanned]
    length_m: Metres = Field(description="The squad's planned length over the week")


class VillageReach(BaseModel):
    """The road coverage a village would reach if the plan were walked (footprint radius
    ``rules.patrol_radius_m`` of every planned route against the village's roads, as the
    weekly rule counts every patrol), beside last week's."""

    model_config = ConfigDict(frozen=True)

    village_code: str = Field(examples=["433122207201"])
    name: str = Field(examples=["小章村"])
    squad: str = Field(examples=["squad-01"])
    road_length_km: Km
    last_week: Coverage | None
    planned: Coverage | None


#: One squad's day of the demo plan, shortened (the OpenAPI example of a plan).
_PLAN_EXAMPLE: dict[str, Any] = {
    "township_code": "433122207",
    "week": "2026-W48",
    "based_on": ["2026-W44", "2026-W45", "2026-W46", "2026-W47"],
    "settings": PlanSettings(squads=["squad-06"]).model_dump(mode="json"),
    "squads": [
        {
            "squad": "squad-06",
            "base": {
                "code": "CP-17",
                "name": "瓦槽村村部",
                "point": {"type": "Point", "coordinates": [109.90241, 28.12469]},
            },
            "effort": {
                "minutes_per_day": 28.85,
                "patrol_days": 7,
                "speed_kmh": 14.11,
                "measured": True,
            },
            "days": [
                {
                    "day": 1,
                    "length_m": 5040.0,
                    "minutes": 26.42,
                    "route": {
                        "type": "LineString",
                        "coordinates": [[109.90241, 28.12469], [109.90451, 28.12349]],
                    },
                    "pieces": [
                        {
                            "piece": 49,
                            "village_code": "433122207206",
                            "kind": "gap",
                            "road_code": "R051",
                            "road_name": "瓦槽村一组机耕道",
                            "length_m": 1140.0,
                            "weeks_uncovered": 4,
                            "checkpoints_near": 1,
                            "value": 9119.9,
                            "geometry": {
                                "type": "LineString",
                                "coordinates": [[109.90451, 28.12349], [109.90468, 28.1234]],
                            },
                        }
                    ],
                    "checkpoints": [
                        {
                            "code": "CP-16",
                            "name": "瓦槽村小学",
                            "village_code": "433122207206",
                            "road_distance_m": 25.0,
                            "road_point": {"type": "Point", "coordinates": [109.90451, 28.12349]},
                        }
                    ],
                }
            ],
            "unplanned": [
                {
                    "squad": "squad-06",
                    "village_code": "433122207206",
                    "what": "piece",
                    "kind": "gap",
                    "ref": "57",
                    "length_m": 1058.2,
                    "reason": "beyond_day",
                    "minutes_needed": 35.32,
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [[109.91871, 28.13349], [109.9201, 28.12436]],
                    },
                }
            ],
            "length_m": 17856.6,
        }
    ],
    "length_m": 17856.6,
    "villages": [
        {
            "village_code": "433122207206",
            "name": "瓦槽村",
            "squad": "squad-06",
            "road_length_km": 9.6,
            "last_week": 0.7496,
            "planned": 0.7803,
        }
    ],
}


class PatrolPlan(BaseModel):
    """The plan of one township for ``week``, made from the results of ``based_on``."""

    model_config = with_example(_PLAN_EXAMPLE)

    township_code: str = Field(examples=["433122207"])
    week: str = Field(examples=["2026-W48"])
    based_on: list[str] = Field(examples=[["2026-W46", "2026-W47"]])
    settings: PlanSettings
    squads: list[SquadPlan]
    length_m: Metres = Field(description="The plan's total length over every squad and day")
    villages: list[VillageReach] = Field(default_factory=list)

    def squad(self, name: str) -> SquadPlan:
        """The plan of squad ``name``.

        Raises
        ------
        KeyError
            When the plan has no such squad.
        """
        for s in self.squads:
            if s.squad == name:
                return s
        raise KeyError(name)

    def rows(self) -> list[dict[str, Any]]:
        """One row per squad and day, for a table: squad, day, km, minutes, the gap and
        routine kilometres it covers, the checkpoints it visits (names) and the squad's base.

        Examples
        --------
        >>> PatrolPlan(township_code="433122207", week="2026-W48", based_on=["2026-W47"],
        ...     settings=PlanSettings(), squads=[], length_m=0.0).rows()
        []
        """
        return [
            {
                "squad": squad.squad,
                "day": day.day,
                "km": round(day.length_m / 1000, 2),
                "minutes": round(day.minutes),
                "gap_km": round(sum(p.length_m for p in day.pieces if p.kind == "gap") / 1000, 2),
                "routine_km": round(
                    sum(p.length_m for p in day.pieces if p.kind == "routine") / 1000, 2
                ),
                "checkpoints": [c.name or c.code for c in day.checkpoints],
                "base": squad.base.name or squad.base.code,
            }
            for squad in self.squads
            for day in squad.days
        ]


@dataclass(frozen=True, eq=False)
class _Work:
    """One item of required or routine work: a piece (an edge) or a checkpoint (a node)."""

    priority: tuple[int, float]
    edge: Edge | None
    node: int | None
    piece: PlannedPiece | None = None
    checkpoint: PlannedCheckpoint | None = None


def plan_week(
    layers: TownshipLayers,
    recent: Sequence[WeekCoverage],
    settings: PlanSettings | None = None,
) -> PatrolPlan:
    """Plan the week after the latest of ``recent`` for every squad of a village.

    Parameters
    ----------
    layers
        The township's layers (roads, villages with ``squad``, checkpoints).
    recent
        Weekly results of the township, any order; the latest is "last week" and the others
        count how long a stretch stayed uncovered and the squads' usual effort.
    settings
        Speeds, defaults, bases; :class:`PlanSettings` defaults when None.

    Returns
    -------
    PatrolPlan
        Per squad and day the route, its length and minutes, the pieces and checkpoints it
        covers, what could not be planned, and per village the road coverage reached.

    Raises
    ------
    ValueError
        When ``recent`` is empty, holds another township's results, or the township has no
        roads.
    """
    settings = settings or PlanSettings()
    if not recent:
        raise ValueError("a plan needs at least last week's coverage result")
    if any(w.township_code != layers.info.code for w in recent):
        raise ValueError("the weekly results are not all of this township")
    weeks = sorted(recent, key=lambda w: IsoWeek.parse(w.week))
    last = weeks[-1]
    crs = layers.info.metric_crs
    rules = layers.info.rules
    roads = layers.metric("roads")
    villages = layers.metric("villages")
    checkpoints = layers.metric("checkpoints")
    if roads.empty:
        raise ValueError("the township has no roads to plan on")
    road_lines = roads.geometry.to_numpy()

    gaps = [_road_gaps(w, crs) for w in weeks]
    squads = sorted({str(s) for s in villages["squad"] if s})
    if settings.squads is not None:
        squads = [s for s in squads if s in settings.squads]
    missed = _missed_checkpoints(last, checkpoints)
    bases = {s: _base_point(s, villages, checkpoints, settings) for s in squads}

    split = [p for parts in _parts(gaps[-1]) for i in (0, -1) for p in shapely.get_point(parts, i)]
    crossings = shapely.get_parts(
        shapely.intersection(
            shapely.union_all(road_lines), shapely.union_all(villages.boundary.to_numpy())
        )
    )
    crossings = crossings[shapely.get_type_id(crossings) == 0]  # a road along a border: uncut
    split_points = np.asarray(
        [
            *split,
            *crossings,
            *(p for _, p in bases.values()),
            *(row.geometry for row in missed),
        ],
        dtype=object,
    )
    network = build_network(roads, snap_to_roads(road_lines, split_points))
    paths = ShortestPaths(network.graph)
    mid = shapely.line_interpolate_point(network.pieces, 0.5, normalized=True)
    piece_village = _village_of(mid, villages.geometry.to_numpy())

    plans: list[SquadPlan] = []
    for squad in squads:
        own = [i for i in range(len(villages)) if str(villages["squad"].iloc[i]) == squad]
        effort = squad_effort(
            weeks,
            squad,
            rules,
            default_minutes=settings.default_minutes_per_day,
            default_days=settings.default_patrol_days,
            default_speed_kmh=settings.default_speed_kmh,
        )
        if settings.speed_kmh is not None:
            effort = effort.model_copy(update={"speed_kmh": settings.speed_kmh})
        if squad in settings.patrol_days:
            effort = effort.model_copy(
                update={"patrol_days": min(max(settings.patrol_days[squad], 0), 7)}
            )
        base_cp, base_pt = bases[squad]
        base_on_road = snap_to_roads(road_lines, np.asarray([base_pt], dtype=object))[0]
        depot = network.nearest_node(base_on_road.x, base_on_road.y)
        work = _squad_work(
            network, own, villages, checkpoints, missed, gaps, mid, piece_village, settings, crs
        )
        days, unplanned = _schedule(network, paths, depot, work, effort, settings, squad, crs)
        base_wgs = _to_wgs84(np.asarray([shapely.Point(network.nodes[depot])]), crs)[0]
        base = Base(code=base_cp[0], name=base_cp[1], point=base_wgs)
        plans.append(
            SquadPlan(
                squad=squad,
                base=base,
                effort=effort,
                days=days,
                unplanned=unplanned,
                length_m=sum(d.length_m for d in days),
            )
        )

    return PatrolPlan(
        township_code=layers.info.code,
        week=str(IsoWeek.parse(last.week).next()),
        based_on=[w.week for w in weeks],
        settings=settings,
        squads=plans,
        length_m=sum(p.length_m for p in plans),
        villages=_reach(plans, villages, road_lines, last, rules.patrol_radius_m),
    )


def _road_gaps(week: WeekCoverage, crs: str) -> dict[str, BaseGeometry]:
    """The week's road gaps per village, as one geometry each in metres."""
    by_village: dict[str, list[BaseGeometry]] = {}
    for g in week.gaps:
        if g.kind == "road":
            by_village.setdefault(g.village_code, []).append(g.geometry)
    out: dict[str, BaseGeometry] = {}
    for code, geoms in by_village.items():
        metric = gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(crs).to_numpy()
        out[code] = shapely.union_all(metric)
    return out


def _parts(gaps: dict[str, BaseGeometry]) -> list[NDArray[np.object_]]:
    return [shapely.get_parts(g) for g in gaps.values()]


def _missed_checkpoints(last: WeekCoverage, checkpoints: gpd.GeoDataFrame) -> list[Any]:
    """Rows of the mandatory checkpoints each village missed last week (matched by name, or by
    code for checkpoints without a name, as the weekly result lists them)."""
    rows = []
    for v in last.villages:
        names = set(v.missed_mandatory)
        for row in checkpoints.itertuples():
            if (
                str(row.village) == v.village_code
                and bool(row.mandatory)
                and (str(row.name) in names or str(row.code) in names)
            ):
                rows.append(row)
    return rows


def _base_point(
    squad: str, villages: gpd.GeoDataFrame, checkpoints: gpd.GeoDataFrame, settings: PlanSettings
) -> tuple[tuple[str, str], BaseGeometry]:
    """The squad's base checkpoint (code, name) and point: the configured one, else its
    village's committee, else the centroid of its villages (no code)."""
    own = villages[villages["squad"].astype(str) == squad]
    wanted = settings.bases.get(squad)
    if wanted is not None:
        hit = checkpoints[(checkpoints["code"] == wanted) | (checkpoints["name"] == wanted)]
        if hit.empty:
            raise ValueError(f"base {wanted!r} of squad {squad} is not a checkpoint")
        row = hit.iloc[0]
        return (str(row["code"]), str(row["name"])), row.geometry
    committee = checkpoints[
        checkpoints["village"].isin(list(own["code"])) & (checkpoints["kind"] == BASE_KIND)
    ]
    if not committee.empty:
        row = committee.iloc[0]
        return (str(row["code"]), str(row["name"])), row.geometry
    return ("", ""), shapely.union_all(own.geometry.to_numpy()).centroid


def _village_of(points: NDArray[np.object_], polygons: NDArray[np.object_]) -> NDArray[np.int64]:
    """Index of the village containing each point, -1 for none."""
    out = np.full(len(points), -1, dtype=np.int64)
    pts, polys = shapely.STRtree(polygons).query(points, predicate="within")
    out[pts[::-1]] = polys[::-1]  # the first village wins when polygons overlap
    return out


def _squad_work(
    network: RoadNetwork,
    own: list[int],
    villages: gpd.GeoDataFrame,
    checkpoints: gpd.GeoDataFrame,
    missed: list[Any],
    gaps: list[dict[str, BaseGeometry]],
    mid: NDArray[np.object_],
    piece_village: NDArray[np.int64],
    settings: PlanSettings,
    crs: str,
) -> list[_Work]:
    """The squad's work items, most urgent first: missed mandatory checkpoints, then the gap
    pieces by value, then (optionally) the routine pieces by value."""
    codes = {i: str(villages["code"].iloc[i]) for i in own}
    items: list[_Work] = []
    road_lines = network.pieces
    for row in missed:
        if str(row.village) not in codes.values():
            continue
        on_road = snap_to_roads(road_lines, np.asarray([row.geometry], dtype=object))[0]
        node = network.nearest_node(on_road.x, on_road.y)
        cp = PlannedCheckpoint(
            code=str(row.code),
            name=str(row.name),
            village_code=str(row.village),
            road_distance_m=float(row.geometry.distance(on_road)),
            road_point=_to_wgs84(np.asarray([shapely.Point(network.nodes[node])]), crs)[0],
        )
        items.append(_Work((0, 0.0), None, node, checkpoint=cp))

    pieces = np.flatnonzero(np.isin(piece_village, own))
    if len(pieces) == 0:
        return items
    cp_points = checkpoints.geometry.to_numpy()
    lengths = shapely.length(network.pieces[pieces])
    near = np.zeros(len(pieces), dtype=np.int64)
    if len(cp_points) and settings.checkpoint_near_m > 0:
        hit, _ = shapely.STRtree(cp_points).query(
            network.pieces[pieces], predicate="dwithin", distance=settings.checkpoint_near_m
        )
        near = np.bincount(hit, minlength=len(pieces))
    streak = np.zeros(len(pieces), dtype=np.int64)
    still = np.ones(len(pieces), dtype=bool)
    for week_gaps in reversed(gaps):
        on_gap = np.zeros(len(pieces), dtype=bool)
        for k, p in enumerate(pieces):
            code = codes[int(piece_village[p])]
            if code in week_gaps:
                on_gap[k] = shapely.distance(mid[p], week_gaps[code]) <= ON_GAP_M
        still &= on_gap
        streak += still
    geoms = _to_wgs84(network.pieces[pieces], crs)
    for k, p in enumerate(pieces):
        kind: PieceKind = "gap" if streak[k] > 0 else "routine"
        if kind == "routine" and not settings.include_routine:
            continue
        value = float(lengths[k]) * max(int(streak[k]), 1) * (1 + int(near[k]))
        piece = PlannedPiece(
            piece=int(p),
            village_code=codes[int(piece_village[p])],
            kind=kind,
            road_code=str(network.road_code[p]),
            road_name=str(network.road_name[p]),
            length_m=float(lengths[k]),
            weeks_uncovered=int(streak[k]),
            checkpoints_near=int(near[k]),
            value=value,
            geometry=geoms[k],
        )
        tier = 1 if kind == "gap" else 2
        items.append(_Work((tier, -value), network.edges[p], None, piece=piece))
    items.sort(key=lambda w: w.priority)
    return items


def _schedule(
    network: RoadNetwork,
    paths: ShortestPaths,
    depot: int,
    work: list[_Work],
    effort: Effort,
    settings: PlanSettings,
    squad: str,
    crs: str,
) -> tuple[list[DayRoute], list[Unplanned]]:
    """Fill the squad's patrol days with work, most urgent first, each day's route within its
    usual minutes; the rest is unplanned with its reason."""
    budget = effort.minutes_per_day
    reach = paths.distances(depot)
    unplanned: list[Unplanned] = []
    remaining: list[_Work] = []
    for item in work:
        anchor = item.node if item.edge is None else item.edge[0]
        if anchor not in reach:
            unplanned.append(_unplanned(item, squad, "unreachable"))
            continue
        alone = _minutes(
            [item], _tour(network, paths, depot, [item], exact=True).length_m, effort, settings
        )
        if alone > budget:
            unplanned.append(_unplanned(item, squad, "beyond_day", alone))
        else:
            remaining.append(item)

    days: list[DayRoute] = []
    for day in range(1, effort.patrol_days + 1):
        chosen: list[_Work] = []
        failed = 0
        for item in remaining:
            trial = [*chosen, item]
            length = tour_length(
                network.graph,
                [w.edge for w in trial if w.edge is not None],
                depot,
                required_nodes=[w.node for w in trial if w.node is not None],
                paths=paths,
            )
            if _minutes(trial, length, effort, settings) <= budget:
                chosen = trial
                failed = 0
            else:
                failed += 1
                if failed >= settings.max_failed_tries:
                    break
        if not chosen:
            break
        tour = _tour(network, paths, depot, chosen, exact=True)
        # Work the route passes anyway is done that day too.
        walked = {network.graph.edges[e]["piece"] for e in tour.steps}
        passed = set(tour.nodes)
        done = [
            w
            for w in remaining
            if w in chosen
            or (w.piece is not None and w.piece.piece in walked)
            or (w.node is not None and w.node in passed)
        ]
        remaining = [w for w in remaining if w not in done]
        days.append(_day_route(network, tour, day, done, effort, settings, crs))
    unplanned.extend(_unplanned(w, squad, "no_time") for w in remaining if w.priority[0] < 2)
    return days, unplanned


def _tour(
    network: RoadNetwork, paths: ShortestPaths, depot: int, items: list[_Work], *, exact: bool
) -> Tour:
    return rural_postman(
        network.graph,
        [w.edge for w in items if w.edge is not None],
        depot,
        required_nodes=[w.node for w in items if w.node is not None],
        paths=paths,
        exact_matching=exact,
    )


def _minutes(items: list[_Work], length_m: float, effort: Effort, settings: PlanSettings) -> float:
    stops = sum(w.checkpoint is not None for w in items) * settings.checkpoint_stop_minutes
    return length_m / (effort.speed_kmh * 1000.0 / 60.0) + stops


def _day_route(
    network: RoadNetwork,
    tour: Tour,
    day: int,
    done: list[_Work],
    effort: Effort,
    settings: PlanSettings,
    crs: str,
) -> DayRoute:
    steps = [(int(network.graph.edges[u, v, k]["piece"]), u) for u, v, k in tour.steps]
    coords = network.path_coords(steps)
    route_m = shapely.LineString(coords) if len(coords) >= 2 else shapely.LineString()
    route = _to_wgs84(np.asarray([route_m], dtype=object), crs)[0]
    return DayRoute(
        day=day,
        length_m=tour.length_m,
        minutes=_minutes(done, tour.length_m, effort, settings),
        route_m=route_m,
        route=route,
        pieces=[w.piece for w in done if w.piece is not None],
        checkpoints=[w.checkpoint for w in done if w.checkpoint is not None],
    )


def _unplanned(
    item: _Work, squad: str, reason: UnplannedReason, minutes: float | None = None
) -> Unplanned:
    if item.piece is not None:
        p = item.piece
        return Unplanned(
            squad=squad,
            village_code=p.village_code,
            what="piece",
            kind=p.kind,
            ref=str(p.piece),
            length_m=p.length_m,
            reason=reason,
            geometry=p.geometry,
            minutes_needed=minutes,
        )
    assert item.checkpoint is not None
    c = item.checkpoint
    return Unplanned(
        squad=squad,
        village_code=c.village_code,
        what="checkpoint",
        kind="checkpoint",
        ref=c.code,
        length_m=0.0,
        reason=reason,
        geometry=c.road_point,
        minutes_needed=minutes,
    )


def _to_wgs84(geoms: NDArray[np.object_], crs: str) -> NDArray[np.object_]:
    out = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):
        out[i] = shapely.transform(
            g, lambda xy: np.column_stack(from_metric(xy[:, 0], xy[:, 1], crs))
        )
    return out


def _reach(
    plans: list[SquadPlan],
    villages: gpd.GeoDataFrame,
    road_lines: NDArray[np.object_],
    last: WeekCoverage,
    radius: float,
) -> list[VillageReach]:
    """Each planned village's road coverage if the plan were walked (every planned squad's
    routes count, as every patrol counts in the weekly rule), and last week's."""
    all_roads = shapely.union_all(road_lines)
    routes = [d.route_m for p in plans for d in p.days if not d.route_m.is_empty]
    # Merged into long lines first: buffering the union of many lines is ten times slower.
    walked = shapely.line_merge(shapely.union_all(np.asarray(routes, dtype=object)))
    foot = shapely.buffer(walked, radius)
    planned_squads = {p.squad for p in plans}
    last_by_code = {v.village_code: v.road_coverage for v in last.villages}
    out = []
    for row in villages.itertuples():
        squad = str(row.squad)
        if squad not in planned_squads:
            continue
        roads = shapely.intersection(all_roads, row.geometry)
        length = float(roads.length)
        planned: float | None = None
        if length > 0:
            planned = min(1.0, float(shapely.intersection(roads, foot).length) / length)
        out.append(
            VillageReach(
                village_code=str(row.code),
                name=str(row.name),
                squad=squad,
                road_length_km=length / 1000.0,
                last_week=last_by_code.get(str(row.code)),
                planned=planned,
            )
        )
    return out
