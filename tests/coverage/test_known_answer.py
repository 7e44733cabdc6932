"""A hand-made township with an analytic answer: a square village crossed by straight tracks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.coverage import evaluate_week
from geo.layers import WGS84, TownshipInfo, TownshipLayers, empty_layer
from geo.projection import from_metric
from geo.rules import Rules
from geo.weeks import IsoWeek
from tests.coverage.conftest import share_tol

CRS = "EPSG:4546"
X0, Y0, SIDE = 500_000.0, 3_110_000.0, 2000.0  # a 2 km square near 111E, 28.1N
WEEK = IsoWeek(2026, 47)


def _metric_frame(geoms: list[shapely.Geometry], **cols: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=geoms, crs=CRS).to_crs(WGS84)


def square_township(*, road_ys: list[float]) -> TownshipLayers:
    square = shapely.box(X0, Y0, X0 + SIDE, Y0 + SIDE)
    info = TownshipInfo(code="T1", name="测试乡", metric_crs=CRS, rules=Rules())
    villages = _metric_frame(
        [shapely.MultiPolygon([square])],
        code=["V1"],
        name=["方村"],
        name_en=["Square"],
        squad=["s1"],
    )
    roads = _metric_frame(
        [shapely.LineString([(X0, Y0 + y), (X0 + SIDE, Y0 + y)]) for y in road_ys],
        code=[f"R{i}" for i in range(len(road_ys))],
        **{"class": ["road"] * len(road_ys)},
        name=[""] * len(road_ys),
    )
    outline = _metric_frame(
        [shapely.MultiPolygon([square])], code=["T1"], name=["测试乡"], name_en=[""]
    )
    return TownshipLayers(
        info=info,
        outline=outline,
        villages=villages,
        roads=roads,
        cameras=empty_layer("cameras"),
        checkpoints=empty_layer("checkpoints"),
        drone_flights=empty_layer("drone_flights"),
    )


def straight_track(
    y: float, *, x_from: float, x_to: float, start: str, minutes: float
) -> pd.DataFrame:
    n = int(minutes * 60 / 5) + 1  # one fix every 5 s
    xs = np.linspace(X0 + x_from, X0 + x_to, n)
    lon, lat = from_metric(xs, np.full(n, Y0 + y), CRS)
    times = pd.date_range(start, periods=n, freq="5s", tz="Asia/Shanghai").tz_convert("UTC")
    return pd.DataFrame({"time": times, "lon": lon, "lat": lat, "squad": "s1", "segment": 1})


def test_area_and_road_coverage_match_the_analytic_answer(method: str) -> None:
    # Two roads across the square at y=500 and y=1500; one patrol rides the full lower road,
    # another half of the upper one. Footprint: a 100 m wide band with round caps (R = 50 m),
    # clipped by the square where it leaves it.
    layers = square_township(road_ys=[500.0, 1500.0])
    lower = straight_track(500.0, x_from=0, x_to=SIDE, start="2026-11-17 09:00", minutes=30)
    upper = straight_track(1500.0, x_from=0, x_to=SIDE / 2, start="2026-11-18 09:00", minutes=15)
    upper["segment"] = 2
    fixes = pd.concat([lower, upper], ignore_index=True)

    result = evaluate_week(layers, fixes, WEEK, method=method)
    v = result.villages[0]

    r = 50.0
    lower_area = 2 * r * SIDE  # band fully across: the caps fall outside the square
    upper_area = 2 * r * (SIDE / 2) + np.pi * r**2 / 2  # band to mid-square, one round cap inside
    expected_area = (lower_area + upper_area) / SIDE**2
    expected_road = (SIDE + SIDE / 2 + r) / (2 * SIDE)  # the cap covers r more metres of road

    assert v.area_coverage == pytest.approx(expected_area, abs=0.001)  # 0.1 percentage point
    assert v.road_coverage == pytest.approx(expected_road, abs=0.001)
    assert v.distance_km == pytest.approx(3.0, abs=0.001)
    assert v.patrol_days == 2
    assert v.minutes_by_day["2026-11-17"] == pytest.approx(30.0, abs=0.1)
    assert v.status == "fail"  # road coverage 76 % < 80 %
    assert [r.code for r in v.reasons] == ["road_coverage_low"]


def test_full_patrol_passes_and_leaves_no_road_gap(method: str) -> None:
    layers = square_township(road_ys=[1000.0])
    fixes = straight_track(1000.0, x_from=0, x_to=SIDE, start="2026-11-19 08:00", minutes=20)
    v = evaluate_week(layers, fixes, WEEK, method=method).villages[0]
    assert v.meets_requirement and v.status == "pass"
    assert v.road_coverage == pytest.approx(1.0, abs=1e-9)
    result = evaluate_week(layers, fixes, WEEK, method=method)
    assert all(g.kind == "area" for g in result.gaps)
    # The two halves of the square beside the band are the gaps, largest first by area.
    assert sum(g.area_m2 for g in result.gaps) == pytest.approx(SIDE**2 - 2 * 50 * SIDE, rel=1e-6)


def test_squad_without_uploads_is_no_data_not_a_skipped_patrol(method: str) -> None:
    layers = square_township(road_ys=[1000.0])
    empty = straight_track(1000.0, x_from=0, x_to=10, start="2026-11-19 08:00", minutes=1).iloc[0:0]
    v = evaluate_week(layers, empty, WEEK, method=method).villages[0]
    assert v.status == "no_data"
    assert v.reasons[0].code == "no_data"


def test_fixes_outside_the_week_do_not_count(method: str) -> None:
    layers = square_township(road_ys=[1000.0])
    fixes = straight_track(1000.0, x_from=0, x_to=SIDE, start="2026-11-24 08:00", minutes=20)
    v = evaluate_week(layers, fixes, WEEK, method=method).villages[0]
    assert v.patrol_days == 0 and v.road_coverage == 0.0


def test_short_daily_patrol_is_not_a_patrol_day(method: str) -> None:
    layers = square_township(road_ys=[1000.0])
    fixes = straight_track(1000.0, x_from=0, x_to=SIDE, start="2026-11-19 08:00", minutes=9)
    v = evaluate_week(layers, fixes, WEEK, method=method).villages[0]
    assert v.patrol_days == 0
    assert "no_patrol_day" in [r.code for r in v.reasons]


def test_one_device_track_split_over_uploads_counts_as_one(method: str) -> None:
    layers = square_township(road_ys=[1000.0])
    whole = straight_track(1000.0, x_from=0, x_to=SIDE, start="2026-11-19 08:00", minutes=20)
    whole["device"] = "phone-1"
    split = whole.copy()
    split["segment"] = np.where(np.arange(len(split)) < 100, 7, 8)  # two uploads' segments
    one = evaluate_week(layers, whole, WEEK, method=method).villages[0]
    two = evaluate_week(layers, split, WEEK, method=method).villages[0]
    assert two.minutes == pytest.approx(one.minutes) == pytest.approx(20.0, abs=0.1)
    assert two.distance_km == pytest.approx(one.distance_km, abs=1e-9)
    # Without a device name the uploads stay apart: the pair across the cut is not counted.
    unnamed = split.assign(device="")
    apart = evaluate_week(layers, unnamed, WEEK, method=method).villages[0]
    assert apart.minutes == pytest.approx(20.0 - 5 / 60, abs=1e-6)


def test_pieces_reaching_past_the_township_count_only_inside(method: str) -> None:
    """A patrol line that starts 3 km west of the village, beyond the engine's grid, covers
    the same band as one starting at the boundary (regression: a piece wholly left of the
    grid once marked whole rows of cells as covered)."""
    layers = square_township(road_ys=[])
    far_west = straight_track(1000.0, x_from=-3000, x_to=SIDE, start="2026-11-17 09:00", minutes=10)
    # Several pieces lying wholly outside the grid, on rows that cross the village.
    outside = straight_track(700.0, x_from=-1200, x_to=-200, start="2026-11-18 09:00", minutes=5)
    fixes = pd.concat([far_west, outside.assign(segment=2)], ignore_index=True)
    v = evaluate_week(layers, fixes, WEEK, method=method).villages[0]
    band = 2 * 50.0 * SIDE  # the track ends on the east boundary
    assert v.area_coverage == pytest.approx(band / SIDE**2, abs=share_tol(method, 1e-4))
