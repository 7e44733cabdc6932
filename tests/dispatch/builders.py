"""Small synthetic townships in metres (EPSG:4546 around 111°E, 28°N) for known answers."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.coverage.result import Gap, VillageCoverage, WeekCoverage
from geo.layers import LAYER_COLUMNS, TownshipInfo, TownshipLayers, empty_layer

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_110_000.0
CODE = "433122207"
VILLAGE = "433122207201"


def at(x: float, y: float) -> tuple[float, float]:
    """A point ``x``, ``y`` metres from the township's origin."""
    return (X0 + x, Y0 + y)


def line(*points: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([at(*p) for p in points])


def layer(name: str, rows: list[dict[str, Any]], geoms: list[BaseGeometry]) -> gpd.GeoDataFrame:
    """A layer with every column of :data:`LAYER_COLUMNS`, from geometries in metres."""
    defaults = {"str": "", "float": float("nan"), "bool": False}
    data = {c: [r.get(c, defaults[k]) for r in rows] for c, k in LAYER_COLUMNS[name].items()}
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS).to_crs("EPSG:4326")


def township(
    roads: list[BaseGeometry],
    village: BaseGeometry,
    checkpoints: list[tuple[dict[str, Any], BaseGeometry]] = (),  # type: ignore[assignment]
    cameras: list[tuple[dict[str, Any], BaseGeometry]] = (),  # type: ignore[assignment]
) -> TownshipLayers:
    """One village (squad ``s1``) with the given roads, checkpoints and cameras."""
    return TownshipLayers(
        info=TownshipInfo(code=CODE, name="test", metric_crs=CRS),
        outline=layer("villages", [{"code": CODE, "name": "t"}], [village]),
        villages=layer("villages", [{"code": VILLAGE, "name": "v", "squad": "s1"}], [village]),
        roads=layer("roads", [{"code": f"R{i}"} for i in range(len(roads))], roads),
        cameras=layer("cameras", [r for r, _ in cameras], [g for _, g in cameras])
        if cameras
        else empty_layer("cameras"),
        checkpoints=layer("checkpoints", [r for r, _ in checkpoints], [g for _, g in checkpoints])
        if checkpoints
        else empty_layer("checkpoints"),
        drone_flights=empty_layer("drone_flights"),
    )


def to_wgs84(geom: BaseGeometry) -> BaseGeometry:
    out: BaseGeometry = gpd.GeoSeries([geom], crs=CRS).to_crs("EPSG:4326").iloc[0]
    return out


def week_result(
    week: str,
    road_gaps: list[BaseGeometry],
    *,
    minutes_by_day: dict[str, float],
    distance_km: float,
    missed: list[str] = (),  # type: ignore[assignment]
    road_coverage: float = 0.5,
) -> WeekCoverage:
    """A weekly result of the one village with these road gaps (in metres)."""
    village = VillageCoverage(
        village_code=VILLAGE,
        name="v",
        name_en="",
        squad="s1",
        status="fail",
        meets_requirement=False,
        patrol_days=sum(m >= 10 for m in minutes_by_day.values()),
        minutes=sum(minutes_by_day.values()),
        distance_km=distance_km,
        area_coverage=0.5,
        surveillance_coverage=0.5,
        road_coverage=road_coverage,
        road_length_km=1.0,
        checkpoints_total=0,
        checkpoints_visited=0,
        missed_mandatory=list(missed),
        minutes_by_day=minutes_by_day,
        reasons=[],
    )
    gaps = [
        Gap(
            kind="road",
            rank=k + 1,
            village_code=VILLAGE,
            area_m2=0.0,
            length_m=g.length,
            road_length_m=g.length,
            checkpoints=0,
            distance_to_road_m=0.0,
            last_covered=None,
            geometry=to_wgs84(g),
        )
        for k, g in enumerate(road_gaps)
    ]
    return WeekCoverage(
        township_code=CODE,
        week=week,
        computed_at="2026-12-01T00:00:00+00:00",
        villages=[village],
        gaps=gaps,
    )
