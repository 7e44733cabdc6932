"""Camera site suggestions: gaps whose best sites are known, and the demo week."""

from __future__ import annotations

import time

import numpy as np
import pytest
import shapely

from geo.coverage.result import Gap, WeekCoverage
from geo.dispatch.cameras import CameraSettings, CameraSuggestions, suggest_cameras, uncovered_area
from geo.layers import TownshipLayers
from tests.dispatch.builders import CODE, VILLAGE, X0, Y0, line, to_wgs84, township

ROAD = line((0, 0), (1000, 0))
VILLAGE_BOX = shapely.box(X0 - 200, Y0 - 500, X0 + 1200, Y0 + 500)


def disc(x: float, y: float, r: float) -> shapely.Polygon:
    return shapely.Point(X0 + x, Y0 + y).buffer(r)


def area_week(*gaps: shapely.Polygon) -> WeekCoverage:
    return WeekCoverage(
        township_code=CODE,
        week="2026-W47",
        computed_at="2026-12-01T00:00:00+00:00",
        villages=[],
        gaps=[
            Gap(
                kind="area",
                rank=k + 1,
                village_code=VILLAGE,
                area_m2=g.area,
                length_m=0.0,
                road_length_m=0.0,
                checkpoints=0,
                distance_to_road_m=None,
                last_covered=None,
                geometry=to_wgs84(g),
            )
            for k, g in enumerate(gaps)
        ],
    )


SETTINGS = CameraSettings(count=3, spacing_m=100, range_m=100, fov_deg=90, bearings=8)


def test_the_best_sites_face_the_gaps_from_the_nearest_road_point() -> None:
    layers = township([ROAD], VILLAGE_BOX)
    north, south = disc(500, 50, 20), disc(200, -60, 30)
    uncovered = uncovered_area(layers, area_week(north, south))
    assert uncovered.area == pytest.approx(north.area + south.area, rel=1e-6)
    found = suggest_cameras(layers, uncovered, SETTINGS)
    # Only the site at 500 m sees the small disc whole (from 400 or 600 m it is out of range),
    # facing north; the larger disc south of 200 m is seen whole facing south; it comes first.
    first, second = found.sites
    assert (first.point_m.x - X0, first.bearing_deg) == (pytest.approx(200), 180.0)
    assert first.added_m2 == pytest.approx(south.area, rel=1e-6)
    assert (second.point_m.x - X0, second.bearing_deg) == (pytest.approx(500), 0.0)
    assert second.added_m2 == pytest.approx(north.area, rel=1e-6)
    assert found.uncovered_after_m2 == pytest.approx(0.0, abs=1e-6)
    assert first.village_code == VILLAGE and first.road_code == "R0" and first.rank == 1


def test_a_second_camera_adds_only_what_the_first_left() -> None:
    layers = township([ROAD], VILLAGE_BOX)
    wide = shapely.box(X0 + 450, Y0 + 10, X0 + 550, Y0 + 60)
    found = suggest_cameras(layers, uncovered_area(layers, area_week(wide)), SETTINGS)
    gains = [s.added_m2 for s in found.sites]
    assert gains == sorted(gains, reverse=True)
    union = shapely.union_all([s.sector_m for s in found.sites])
    assert sum(gains) == pytest.approx(shapely.intersection(union, wide).area, rel=1e-9)
    assert len({s.point_m.wkt for s in found.sites}) == len(found.sites)  # one camera a site


def test_without_a_week_the_village_less_the_online_cameras_is_uncovered() -> None:
    cam = {"code": "C1", "bearing_deg": 0.0, "fov_deg": 360.0, "range_m": 100.0, "ptz": True}
    layers = township(
        [ROAD],
        VILLAGE_BOX,
        cameras=[({**cam, "status": "online"}, shapely.Point(X0, Y0))],
    )
    uncovered = uncovered_area(layers)
    assert uncovered.area == pytest.approx(VILLAGE_BOX.area - np.pi * 100**2, rel=1e-3)
    with pytest.raises(ValueError, match="no village"):
        suggest_cameras(layers, uncovered, CameraSettings(village="nowhere"))


def test_the_demo_week(demo_layers: TownshipLayers, demo_week: WeekCoverage) -> None:
    started = time.perf_counter()
    uncovered = uncovered_area(demo_layers, demo_week)
    found = suggest_cameras(demo_layers, uncovered, CameraSettings(count=5))
    print(f"demo cameras: {time.perf_counter() - started:.2f} s")
    assert len(found.sites) == 5
    gains = [s.added_m2 for s in found.sites]
    assert gains == sorted(gains, reverse=True) and gains[-1] > 0
    roads = shapely.union_all(demo_layers.metric("roads").geometry.to_numpy())
    for site in found.sites:
        assert site.point_m.distance(roads) < 1e-6
    union = shapely.union_all([s.sector_m for s in found.sites])
    assert sum(gains) == pytest.approx(shapely.intersection(union, uncovered).area, rel=1e-6)
    one = suggest_cameras(
        demo_layers, uncovered, CameraSettings(count=2, village=found.sites[0].village_code)
    )
    assert {s.village_code for s in one.sites} == {found.sites[0].village_code}
    dumped = found.model_dump(mode="json")
    assert "point_m" not in dumped["sites"][0]
    assert dumped["uncovered_after_m2"] == pytest.approx(found.uncovered_m2 - sum(gains), abs=0.1)
    assert CameraSuggestions.model_validate(dumped).model_dump(mode="json") == dumped
