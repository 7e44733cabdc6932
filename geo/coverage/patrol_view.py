"""What a squad's phone shows on the patrol page (``/patrol``): its villages, today's track and
patrol, the roads still uncovered this week and the checkpoints not yet visited.

Pure: built from the township's layers, the week's result, the week's fixes and today's track
segments, which :func:`geo.operations.patrol_view` reads from the store. Geometries are GeoJSON
in WGS-84 (the page draws them with Leaflet, without tiles).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pydantic import BaseModel, ConfigDict, Field

from geo.coverage.daily import SquadDay
from geo.coverage.evaluate import checkpoints_visited, link_segments
from geo.coverage.result import WeekCoverage
from geo.layers import TownshipLayers
from geo.weeks import IsoWeek

#: A GeoJSON FeatureCollection (RFC 7946, WGS-84).
FeatureCollection = dict[str, Any]


class PatrolView(BaseModel):
    """One squad's day and week as the patrol page draws them."""

    model_config = ConfigDict(frozen=True)

    township: str = Field(examples=["433122207"])
    township_name: str = Field(examples=["小章乡"])
    township_name_en: str = Field(examples=["Xiaozhang Township"])
    time_zone: str = Field(examples=["Asia/Shanghai"])
    squad: str = Field(examples=["squad-01"])
    squads: list[str] = Field(description="The squads this key may show (a patrol key: its own)")
    day: str = Field(description="Today in the township's time zone", examples=["2026-11-30"])
    week: str = Field(examples=["2026-W49"])
    bounds: list[float] = Field(
        description="[west, south, east, north] of the squad's villages (the township's when "
        "the squad has none)",
        examples=[[109.88, 28.13, 109.93, 28.17]],
    )
    villages: FeatureCollection = Field(description="The squad's villages (code, name, name_en)")
    road_gaps: FeatureCollection = Field(
        description="Roads of the squad's villages not yet covered this week (length_m, "
        "last_covered)"
    )
    checkpoints: FeatureCollection = Field(
        description="Checkpoints of the squad's villages (code, name, mandatory, visited this week)"
    )
    today_track: FeatureCollection = Field(
        description="The squad's track segments of today (device, started_at, ended_at, fixes)"
    )
    today: SquadDay | None = Field(description="The squad's day so far (日巡查)")


def _collection(features: list[dict[str, Any]]) -> FeatureCollection:
    return {"type": "FeatureCollection", "features": features}


#: Drawn geometries are simplified within this many degrees (about 1 m) and rounded to 1e-6°
#: (0.1 m): a phone downloads a fraction of the full detail and draws the same picture.
DRAW_TOLERANCE_DEG = 1e-5


def _feature(geometry: Any, properties: dict[str, Any]) -> dict[str, Any]:
    drawn = shapely.set_precision(shapely.simplify(geometry, DRAW_TOLERANCE_DEG), 1e-6)
    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(drawn),
        "properties": properties,
    }


def _week_checkpoints(
    layers: TownshipLayers, fixes: pd.DataFrame, week: IsoWeek, villages: set[str]
) -> FeatureCollection:
    """The squad's checkpoints, each with whether any patrol came within the checkpoint radius
    this week (as the weekly rule counts it)."""
    rules = layers.info.rules
    start, end = week.bounds(layers.info.tz)
    times = fixes["time"]
    kept = fixes.loc[(times >= start) & (times < end) & (fixes["segment"].to_numpy() >= 0)]
    linked = link_segments(kept, rules, layers.info.metric_crs)
    metric = layers.metric("checkpoints")
    visited = checkpoints_visited(
        metric.geometry.to_numpy(),
        linked["x"].to_numpy(dtype=float) if len(linked) else np.zeros(0),
        linked["y"].to_numpy(dtype=float) if len(linked) else np.zeros(0),
        rules.checkpoint_radius_m,
    )
    points = layers.checkpoints
    features = []
    for i in range(len(points)):
        row = points.iloc[i]
        if str(row["village"]) not in villages:
            continue
        features.append(
            _feature(
                row.geometry,
                {
                    "code": str(row["code"]),
                    "name": str(row["name"]),
                    "village_code": str(row["village"]),
                    "mandatory": bool(row["mandatory"]),
                    "visited": bool(visited[i]),
                },
            )
        )
    return _collection(features)


def patrol_view(
    layers: TownshipLayers,
    result: WeekCoverage,
    fixes: pd.DataFrame,
    tracks: gpd.GeoDataFrame,
    *,
    squad: str,
    squads: list[str],
    day: date,
    today: SquadDay | None,
) -> PatrolView:
    """The patrol page's view of ``squad`` on ``day``.

    Parameters
    ----------
    layers
        The township's layers.
    result
        The coverage of the week holding ``day`` (its road gaps).
    fixes
        The week's fixes (as :func:`geo.coverage.evaluate.evaluate_week` takes them): which
        checkpoints were visited.
    tracks
        Track segments of ``day`` (all squads; the squad's are kept).
    squad, squads
        The squad shown and those the caller may show.
    day
        Today in the township's time zone.
    today
        The squad's line of the daily view (None: no line).
    """
    info = layers.info
    villages = layers.villages[layers.villages["squad"].astype(str) == squad]
    codes = {str(c) for c in villages["code"]}
    shown = villages if len(villages) else layers.outline
    bounds = [round(float(v), 6) for v in shapely.bounds(shown.union_all()).tolist()]
    village_features = [
        _feature(
            row.geometry,
            {"code": str(row["code"]), "name": str(row["name"]), "name_en": str(row["name_en"])},
        )
        for _, row in villages.iterrows()
    ]
    gaps = [
        _feature(gap.geometry, gap.properties())
        for gap in result.gaps
        if gap.kind == "road" and gap.village_code in codes
    ]
    mine = tracks[tracks["squad"].astype(str) == squad]
    track_features = [
        _feature(
            row.geometry,
            {
                "device": str(row["device"]),
                "started_at": row["started_at"].isoformat(),
                "ended_at": row["ended_at"].isoformat(),
                "fixes": int(row["fixes"]),
            },
        )
        for _, row in mine.iterrows()
    ]
    week = IsoWeek.of(day)
    return PatrolView(
        township=info.code,
        township_name=info.name,
        township_name_en=info.name_en,
        time_zone=str(info.tz),
        squad=squad,
        squads=squads,
        day=day.isoformat(),
        week=str(week),
        bounds=bounds,
        villages=_collection(village_features),
        road_gaps=_collection(gaps),
        checkpoints=_week_checkpoints(layers, fixes, week, codes),
        today_track=_collection(track_features),
        today=today,
    )
