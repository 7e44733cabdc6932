"""The weekly rule (周覆盖): measures from an engine, then verdicts, reasons and ranked gaps.

Everything metric happens in the township's metric CRS: fixes are projected once and linked
into segments across uploads; an engine (:mod:`geo.coverage.fast` by default, or the exact
vector reference :mod:`geo.coverage.exact`) measures each village; the rule itself (patrol
days, thresholds, checkpoints, reasons, gap ranking) is applied here, the same for both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo.coverage import reasons
from geo.coverage.exact import measure_exact
from geo.coverage.fast import measure_fast
from geo.coverage.measures import PatrolInput, PatrolMeasures
from geo.coverage.result import Gap, VillageCoverage, VillageStatus, WeekCoverage
from geo.coverage.terrain import drone_footprints_over, township_dem, viewsheds
from geo.layers import TownshipLayers
from geo.projection import to_metric
from geo.rules import Rules
from geo.weeks import IsoWeek

REQUIRED_FIX_COLUMNS = ("time", "lon", "lat", "squad", "segment")


Method = Literal["fast", "exact"]
ENGINES: dict[str, Callable[[PatrolInput], PatrolMeasures]] = {
    "fast": measure_fast,
    "exact": measure_exact,
}


def evaluate_week(
    layers: TownshipLayers,
    fixes: pd.DataFrame,
    week: IsoWeek,
    *,
    method: Method = "fast",
    computed_at: datetime | None = None,
) -> WeekCoverage:
    """Judge every village of a township for one ISO week.

    Parameters
    ----------
    layers
        The township's layers (EPSG:4326) with its rules and time zone.
    fixes
        The week's fixes with columns ``time`` (UTC, tz-aware), ``lon``, ``lat``, ``squad`` and
        ``segment`` (an integer unique per cleaned segment across uploads; ``-1`` for fixes that
        cleaning dropped, which still show that a squad's phone uploaded). Rows before the
        week, when given, date each gap's ``last_covered``; later rows are ignored. The frame
        is not modified.
    week
        The ISO week, read in the township's time zone.
    method
        ``fast`` (the grid engine, :mod:`geo.coverage.fast`; the default) or ``exact`` (the
        vector reference, :mod:`geo.coverage.exact`).
    computed_at
        Timestamp recorded in the result (now by default).

    Returns
    -------
    WeekCoverage
        One :class:`VillageCoverage` per village, in the layer's order, and the ranked gaps.
    """
    missing = [c for c in REQUIRED_FIX_COLUMNS if c not in fixes.columns]
    if missing:
        raise ValueError(f"fixes lack column(s) {missing}; need {list(REQUIRED_FIX_COLUMNS)}")
    if method not in ENGINES:
        raise ValueError(f"unknown coverage method {method!r}; use one of {sorted(ENGINES)}")
    info = layers.info
    rules = info.rules
    crs = info.metric_crs
    tz = info.tz
    start, end = week.bounds(tz)
    times = fixes["time"]
    in_week = ((times >= start) & (times < end)).to_numpy()
    # Copies of a large frame only when rows are left out (memory at 10M fixes).
    week_fixes = fixes if in_week.all() else fixes.loc[in_week]
    squads_with_data = set(pd.unique(week_fixes["squad"].astype(str)))
    cleaned = week_fixes["segment"].to_numpy() >= 0
    kept = link_segments(week_fixes if cleaned.all() else week_fixes.loc[cleaned], rules, crs)
    x, y = kept["x"].to_numpy(), kept["y"].to_numpy()
    seg = kept["segment"].to_numpy(dtype=np.int64)
    t_ms = kept["time"].to_numpy(dtype="datetime64[ms]").astype(np.int64)
    local_day = _local_days(kept["time"], tz)

    villages = layers.metric("villages")
    roads = layers.metric("roads")
    road_lines = (
        shapely.union_all(roads.geometry.to_numpy()) if len(roads) else shapely.LineString()
    )
    village_geoms = list(villages.geometry.to_numpy())
    village_roads = [shapely.intersection(road_lines, v) for v in village_geoms]
    extra, cameras_online, flights_in_week = _surveillance(layers, start, end)
    measures = ENGINES[method](PatrolInput(x, y, seg, village_geoms, village_roads, extra, rules))
    checkpoints = layers.metric("checkpoints")
    visited_all = checkpoints_visited(
        checkpoints.geometry.to_numpy(), x, y, rules.checkpoint_radius_m
    )

    # Pairs of consecutive fixes in one segment carry the patrol's time; a pair counts for
    # the village its midpoint lies in (robust for fixes on the boundary).
    same_seg = seg[1:] == seg[:-1]
    pair_dt_min = np.where(same_seg, np.diff(t_ms) / 60000.0, 0.0)

    results: list[VillageCoverage] = []
    gaps: list[Gap] = []
    for i in range(len(villages)):
        row = villages.iloc[i]
        pair_inside = same_seg & (measures.pair_village == i)
        minutes_by_day = _minutes_by_day(pair_dt_min, pair_inside, local_day, week)
        patrol_days = sum(m >= rules.min_minutes_in_village for m in minutes_by_day.values())
        minutes = float(sum(minutes_by_day.values()))
        area_coverage = float(measures.area_coverage[i])
        surveillance_coverage = float(measures.surveillance_coverage[i])
        road_length = float(village_roads[i].length)
        road_coverage: float | None = None
        if road_length > 0:
            road_coverage = min(1.0, float(measures.road_covered_m[i]) / road_length)

        in_village = (checkpoints["village"] == row["code"]).to_numpy()
        cps = checkpoints[in_village]
        visited = visited_all[in_village]
        missed_mandatory = [
            str(name) or str(code)
            for name, code, mand, ok in zip(
                cps["name"], cps["code"], cps["mandatory"], visited, strict=True
            )
            if mand and not ok
        ]

        has_data = str(row["squad"]) in squads_with_data
        reason_list = []
        if not has_data:
            reason_list.append(reasons.no_data(str(row["squad"])))
        if patrol_days < 1:
            reason_list.append(reasons.no_patrol_day(rules.min_minutes_in_village))
        if road_coverage is not None:
            if road_coverage < rules.min_road_coverage:
                reason_list.append(
                    reasons.road_coverage_low(road_coverage, rules.min_road_coverage)
                )
        elif area_coverage < rules.min_area_coverage:
            reason_list.append(reasons.area_coverage_low(area_coverage, rules.min_area_coverage))
        if missed_mandatory:
            reason_list.append(reasons.mandatory_checkpoints_missed(missed_mandatory))
        meets = not reason_list
        status: VillageStatus = "no_data" if not has_data else ("pass" if meets else "fail")
        results.append(
            VillageCoverage(
                village_code=str(row["code"]),
                name=str(row["name"]),
                name_en=str(row["name_en"]),
                squad=str(row["squad"]),
                status=status,
                meets_requirement=meets,
                patrol_days=int(patrol_days),
                minutes=minutes,
                distance_km=float(measures.distance_m[i]) / 1000.0,
                area_coverage=area_coverage,
                surveillance_coverage=surveillance_coverage,
                road_coverage=road_coverage,
                road_length_km=road_length / 1000.0,
                checkpoints_total=len(cps),
                checkpoints_visited=int(visited.sum()),
                missed_mandatory=missed_mandatory,
                minutes_by_day=minutes_by_day,
                reasons=reason_list,
            )
        )
        gaps.extend(
            _village_gaps(
                str(row["code"]),
                measures.area_gaps[i],
                measures.road_gaps[i],
                village_roads[i],
                road_lines,
                cps.geometry.to_numpy()[~visited],
                rules,
            )
        )
    earlier = fixes.loc[(times < start) & (fixes["segment"].to_numpy() >= 0)]
    gaps = _date_gaps(gaps, earlier, rules.patrol_radius_m, crs, tz)
    ranked = _rank_gaps(gaps, crs)
    return WeekCoverage(
        township_code=info.code,
        week=str(week),
        computed_at=(computed_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        villages=results,
        gaps=ranked,
        fixes_used=len(kept),
        method=method,
        cameras_online=cameras_online,
        drone_flights=flights_in_week,
    )


def _local_days(times: pd.Series, tz: Any) -> NDArray[np.object_]:
    """Each time's local date as ``YYYY-MM-DD`` (vectorised: one string per distinct day)."""
    if times.empty:
        return np.empty(0, dtype=object)
    local = times.dt.tz_convert(tz).dt.tz_localize(None).to_numpy(dtype="datetime64[D]")
    days, inverse = np.unique(local, return_inverse=True)
    return np.asarray([str(d) for d in days], dtype=object)[inverse]


def _surveillance(
    layers: TownshipLayers, start: datetime, end: datetime
) -> tuple[list[BaseGeometry], int, int]:
    """Sectors of online cameras and footprints of the drone flights that started in the week
    (metric polygons), with the count of each. With a township DEM (``layers.dem``) each
    sector is cut to what the camera sees over the terrain and each drone's swath comes from
    its height above the ground under it (:mod:`geo.coverage.terrain`); both engines get
    the same polygons.

    A camera counts when the layers' ``status`` is ``online``; :func:`geo.operations.week_layers`
    puts there each camera's status for the week (:mod:`geo.coverage.camera_status`).
    """
    parts: list[BaseGeometry] = []
    dem = township_dem(layers)
    cameras = layers.metric("cameras")
    online = cameras[cameras["status"] == "online"]
    if len(online):
        parts.extend(viewsheds(online, dem))
    flights = layers.metric("drone_flights")
    n_flights = 0
    if len(flights):
        started = pd.to_datetime(flights["started_at"], utc=True, errors="coerce", format="ISO8601")
        in_week = (started >= start) & (started < end)
        n_flights = int(in_week.sum())
        if n_flights:
            parts.extend(drone_footprints_over(flights[in_week.to_numpy()], dem))
    return parts, len(online), n_flights


def link_segments(kept: pd.DataFrame, rules: Rules, crs: str) -> pd.DataFrame:
    """Number the patrol segments of a week across uploads.

    A phone that uploads every hour, or sends live batches, produces one track in many
    uploads. Fixes of one named device (``squad`` + ``device``) are taken together in time
    order and cut where the time gap or the jump exceeds the rules, as cleaning does within
    a file; repeated fixes (same device and time) count once. Fixes without a device name keep
    the segments of their own upload, since two unnamed phones of a squad may patrol at once.

    Returns
    -------
    pandas.DataFrame
        The kept fixes sorted by segment and time, with metric ``x``, ``y`` and the new
        ``segment`` numbers.
    """
    columns = ["time", "squad", "segment"] + (["device"] if "device" in kept.columns else [])
    frame = kept[columns].reset_index(drop=True)
    x, y = to_metric(kept["lon"].to_numpy(), kept["lat"].to_numpy(), crs)
    frame["x"], frame["y"] = x, y
    if frame.empty:
        return frame
    t = frame["time"].to_numpy(dtype="datetime64[ms]").astype(np.int64)
    seg = frame["segment"].to_numpy(dtype=np.int64)
    named = None
    if "device" in frame.columns:
        device_code, devices = pd.factorize(frame["device"].astype(str))
        squad_code, _ = pd.factorize(frame["squad"].astype(str))
        named = np.asarray(devices != "")[device_code]
        n_dev = max(len(devices), 1)
        track = np.where(
            named,
            squad_code.astype(np.int64) * n_dev + device_code,
            np.int64(len(devices)) * (squad_code.max() + 1) + pd.factorize(seg)[0],
        )
    else:
        track = seg
    # One int64 key (track, time) sorts in a fraction of the time of a sort on two columns.
    track = pd.factorize(track)[0].astype(np.int64)
    span = int(t.max() - t.min())
    if span < 2**40 and len(frame) < 2**23:
        key = (track << 40) | (t - t.min())
        order = np.argsort(key, kind="stable")
        same = np.diff(key[order]) == 0
    else:
        order = np.lexsort((t, track))
        same = (np.diff(track[order]) == 0) & (np.diff(t[order]) == 0)
    if named is not None:
        order = order[np.r_[True, ~same]]  # the same device at the same time counts once
    frame = frame.iloc[order].reset_index(drop=True)
    track, t = track[order], t[order]
    x, y = frame["x"].to_numpy(), frame["y"].to_numpy()
    cut = (
        (track[1:] != track[:-1])
        | (np.diff(t) > rules.split_gap_minutes * 60_000)
        | (np.hypot(np.diff(x), np.diff(y)) > rules.split_jump_m)
    )
    if named is None:
        cut = track[1:] != track[:-1]  # without device names, uploads keep their segments
    frame["segment"] = np.concatenate([[0], np.cumsum(cut)])
    return frame


def _minutes_by_day(
    pair_dt_min: NDArray[np.float64],
    pair_inside: NDArray[np.bool_],
    local_day: NDArray[np.object_],
    week: IsoWeek,
) -> dict[str, float]:
    totals = dict.fromkeys((d.isoformat() for d in week.days), 0.0)
    if pair_inside.any():
        days = pd.Series(pair_dt_min[pair_inside]).groupby(local_day[:-1][pair_inside]).sum()
        for day, value in days.items():
            if str(day) in totals:
                totals[str(day)] = float(value)
    return totals


def checkpoints_visited(
    points: NDArray[np.object_], x: NDArray[np.float64], y: NDArray[np.float64], radius: float
) -> NDArray[np.bool_]:
    """Whether a fix came within ``radius`` of each point (fixes searched by sorted x)."""
    visited = np.zeros(len(points), dtype=bool)
    if len(points) == 0 or len(x) == 0:
        return visited
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    for k, p in enumerate(points):
        lo, hi = np.searchsorted(xs, [p.x - radius, p.x + radius + 1e-9])
        near = slice(int(lo), int(hi))
        visited[k] = bool((np.hypot(xs[near] - p.x, ys[near] - p.y) <= radius).any())
    return visited


def _village_gaps(
    code: str,
    area_gaps: list[BaseGeometry],
    road_gaps: list[BaseGeometry],
    village_roads: BaseGeometry,
    road_lines: BaseGeometry,
    unvisited_checkpoints: NDArray[np.object_],
    rules: Rules,
) -> list[Gap]:
    """Gaps of one village with what leaders rank them by: area gaps are what no patrol,
    camera or drone reached; road gaps are roads no patrol rode."""
    out: list[Gap] = []
    for poly in area_gaps:
        roads_inside = float(shapely.intersection(poly, village_roads).length)
        n_cp = (
            int(shapely.contains(poly, unvisited_checkpoints).sum())
            if len(unvisited_checkpoints)
            else 0
        )
        out.append(
            Gap(
                kind="area",
                rank=0,
                village_code=code,
                area_m2=float(poly.area),
                length_m=0.0,
                road_length_m=roads_inside,
                checkpoints=n_cp,
                distance_to_road_m=None
                if road_lines.is_empty
                else float(poly.distance(road_lines)),
                last_covered=None,
                geometry=poly,
            )
        )
    for line in road_gaps:
        length = float(line.length)
        near = (
            int((shapely.distance(line, unvisited_checkpoints) <= rules.checkpoint_radius_m).sum())
            if len(unvisited_checkpoints)
            else 0
        )
        out.append(
            Gap(
                kind="road",
                rank=0,
                village_code=code,
                area_m2=0.0,
                length_m=length,
                road_length_m=length,
                checkpoints=near,
                distance_to_road_m=0.0,
                last_covered=None,
                geometry=line,
            )
        )
    return out


def _date_gaps(
    gaps: list[Gap], earlier: pd.DataFrame, radius: float, crs: str, tz: Any
) -> list[Gap]:
    """Give each gap the last local date, before this week, on which a patrol fix came within
    the patrol radius of it (None when the fixes given reach back to no such day)."""
    if not gaps or earlier.empty:
        return gaps
    x, y = to_metric(earlier["lon"].to_numpy(), earlier["lat"].to_numpy(), crs)
    times = earlier["time"]
    out = []
    for gap in gaps:
        reach = shapely.buffer(gap.geometry, radius)
        minx, miny, maxx, maxy = reach.bounds
        near = np.flatnonzero((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
        hit = near[shapely.contains_xy(reach, x[near], y[near])] if len(near) else near
        last = None
        if len(hit):
            last = times.iloc[hit].max().tz_convert(tz).date().isoformat()
        out.append(gap.model_copy(update={"last_covered": last}))
    return out


def _rank_gaps(gaps: list[Gap], crs: str) -> list[Gap]:
    """Rank gaps for leaders: uncovered road length and missed checkpoints first, then area;
    return them in WGS-84."""
    order = sorted(gaps, key=lambda g: (-g.road_length_m, -g.checkpoints, -g.area_m2))
    if not order:
        return []
    geoms = gpd.GeoSeries([g.geometry for g in order], crs=crs).to_crs("EPSG:4326").to_numpy()
    return [
        g.model_copy(update={"rank": k + 1, "geometry": geom})
        for k, (g, geom) in enumerate(zip(order, geoms, strict=True))
    ]
