"""Known answers for cameras, drone lines, mandatory checkpoints, silent squads and week edges."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.coverage import evaluate_week
from geo.layers import empty_layer, normalise_layer
from tests.coverage.conftest import share_tol
from tests.coverage.test_known_answer import (
    SIDE,
    WEEK,
    X0,
    Y0,
    _metric_frame,
    square_township,
    straight_track,
)

R = 50.0  # patrol radius
AREA = SIDE**2


def layer(kind: str, geoms: list[shapely.Geometry], **cols: list[object]) -> object:
    problems: list[str] = []
    frame = normalise_layer(kind, _metric_frame(geoms, **cols), problems)
    assert problems == []
    return frame


def test_a_ptz_camera_adds_its_disc_and_offline_cameras_add_nothing(method: str) -> None:
    base = square_township(road_ys=[1000.0])
    cams = layer(
        "cameras",
        [shapely.Point(X0 + 500, Y0 + 500), shapely.Point(X0 + 1500, Y0 + 500)],
        code=["C1", "C2"],
        village=["V1", "V1"],
        ptz=[True, True],
        range_m=[100.0, 100.0],
        fov_deg=[90.0, 90.0],
        bearing_deg=[0.0, 0.0],
        status=["online", "offline"],
    )
    layers = replace(base, cameras=cams)
    fixes = straight_track(1000.0, x_from=0, x_to=SIDE, start="2026-11-19 08:00", minutes=20)
    v = evaluate_week(layers, fixes, WEEK, method=method).villages[0]
    disc = np.pi * 100.0**2 * (1 - 1e-3)  # the disc is drawn with 72 vertices: 0.13 % short
    band = 2 * R * SIDE
    assert v.area_coverage == pytest.approx(band / AREA, abs=1e-6)
    assert v.surveillance_coverage == pytest.approx((band + disc) / AREA, abs=2e-4)
    assert evaluate_week(layers, fixes, WEEK, method=method).cameras_online == 1


def test_a_camera_sector_covers_its_wedge(method: str) -> None:
    base = square_township(road_ys=[1000.0])
    cams = layer(
        "cameras",
        [shapely.Point(X0 + 500, Y0 + 500)],
        code=["C1"],
        village=["V1"],
        ptz=[False],
        range_m=[100.0],
        fov_deg=[90.0],
        bearing_deg=[45.0],
        status=["online"],
    )
    layers = replace(base, cameras=cams)
    empty = straight_track(1000.0, x_from=0, x_to=10, start="2026-11-19 08:00", minutes=1).iloc[:0]
    v = evaluate_week(layers, empty, WEEK, method=method).villages[0]
    quarter = np.pi * 100.0**2 / 4
    assert v.surveillance_coverage == pytest.approx(quarter / AREA, rel=2e-3)


def test_a_drone_line_covers_a_band_of_its_swath(method: str) -> None:
    base = square_township(road_ys=[1000.0])
    line = shapely.LineString([(X0 - 500, Y0 + 1000, 100.0), (X0 + SIDE + 500, Y0 + 1000, 100.0)])
    flights = layer(
        "drone_flights",
        [line],
        flight_id=["F1"],
        started_at=["2026-11-18T10:00:00+08:00"],
        hfov_deg=[84.0],
    )
    layers = replace(base, drone_flights=flights)
    empty = straight_track(1000.0, x_from=0, x_to=10, start="2026-11-19 08:00", minutes=1).iloc[:0]
    result = evaluate_week(layers, empty, WEEK, method=method)
    half = 100.0 * np.tan(np.radians(42.0))  # 90.04 m
    assert result.drone_flights == 1
    assert result.villages[0].surveillance_coverage == pytest.approx(
        2 * half * SIDE / AREA, abs=share_tol(method, 1e-7)
    )
    # A flight in another week covers nothing this week.
    later = replace(layers, drone_flights=flights.assign(started_at="2026-11-25T10:00:00+08:00"))
    assert evaluate_week(later, empty, WEEK, method=method).villages[0].surveillance_coverage == 0.0


def test_a_missed_mandatory_checkpoint_fails_the_village_and_is_named(method: str) -> None:
    base = square_township(road_ys=[1000.0])
    cps = layer(
        "checkpoints",
        [shapely.Point(X0 + 1000, Y0 + 1030), shapely.Point(X0 + 1000, Y0 + 1800)],
        code=["P1", "P2"],
        name=["村小学", "敬老院"],
        village=["V1", "V1"],
        mandatory=[True, True],
    )
    layers = replace(base, checkpoints=cps)
    fixes = straight_track(1000.0, x_from=0, x_to=SIDE, start="2026-11-19 08:00", minutes=20)
    v = evaluate_week(layers, fixes, WEEK, method=method).villages[0]
    assert (v.checkpoints_visited, v.checkpoints_total) == (1, 2)
    assert v.missed_mandatory == ["敬老院"]
    assert v.status == "fail"
    assert [r.code for r in v.reasons] == ["mandatory_checkpoint_missed"]
    assert "敬老院" in v.reasons[0].zh


def test_a_silent_squad_is_no_data_even_if_others_patrol_its_village(method: str) -> None:
    layers = square_township(road_ys=[1000.0])
    fixes = straight_track(1000.0, x_from=0, x_to=SIDE, start="2026-11-19 08:00", minutes=20)
    fixes["squad"] = "inspection"
    v = evaluate_week(layers, fixes, WEEK, method=method).villages[0]
    assert v.status == "no_data" and v.patrol_days == 1
    assert v.reasons[0].code == "no_data"


@pytest.mark.parametrize(
    ("start", "in_week"),
    [
        ("2026-11-22 23:50", True),  # Sunday 23:50 local, the last minutes of 2026-W47
        ("2026-11-23 00:00", False),  # Monday 00:00 local is already 2026-W48
        ("2026-11-16 00:00", True),  # Monday 00:00 local starts 2026-W47
        ("2026-11-15 23:50", False),
    ],
)
def test_week_edges_are_local_time(start: str, in_week: bool, method: str) -> None:
    layers = square_township(road_ys=[1000.0])
    fixes = straight_track(1000.0, x_from=0, x_to=SIDE / 4, start=start, minutes=9)
    v = evaluate_week(layers, fixes, WEEK, method=method).villages[0]
    assert (v.minutes > 0) is in_week
    if in_week:
        day = pd.Timestamp(start).date().isoformat()
        assert v.minutes_by_day[day] == pytest.approx(9.0, abs=0.01)


def test_empty_layers_are_fine(method: str) -> None:
    layers = replace(square_township(road_ys=[]), roads=empty_layer("roads"))
    fixes = straight_track(1000.0, x_from=0, x_to=SIDE, start="2026-11-19 08:00", minutes=20)
    v = evaluate_week(layers, fixes, WEEK, method=method).villages[0]
    assert v.road_coverage is None
    assert v.status == "fail" and v.reasons[0].code == "area_coverage_low"
