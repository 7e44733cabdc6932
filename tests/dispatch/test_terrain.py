"""Terrain: a ridge hides a camera's far side; DEM GeoTIFFs read in the township's CRS."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from geo.coverage.terrain import Dem, read_dem, viewsheds

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_110_000.0


def ridge_dem(height: float) -> Dem:
    """1 m cells from x −120..120, y −20..120 (relative); a ridge of ``height`` at y 40..44."""
    z = np.zeros((140, 240))
    rows = np.arange(140)
    y_top = 120 - rows  # each row's northern edge
    z[(y_top > 40) & (y_top <= 44)] = height
    return Dem(z, x0=X0 - 120, y0=Y0 + 120, cell=1.0, crs=CRS)


def camera(height_m: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"bearing_deg": [0.0], "fov_deg": [90.0], "range_m": [100.0], "ptz": [False]}
        | {"height_m": [height_m]},
        geometry=[shapely.Point(X0, Y0)],
        crs=CRS,
    )


def test_a_ridge_hides_the_cameras_far_side() -> None:
    (full,) = viewsheds(camera(5.0), None)
    (seen,) = viewsheds(camera(5.0), ridge_dem(20.0), grid_m=0.5)
    # The camera sees up to the ridge's top (44 m north) and nothing beyond it.
    near = shapely.intersection(full, shapely.box(X0 - 200, Y0 - 10, X0 + 200, Y0 + 44))
    assert seen.area == pytest.approx(near.area, rel=0.03)
    assert seen.area < 0.25 * full.area
    assert seen.contains(shapely.Point(X0, Y0 + 20))
    assert seen.contains(shapely.Point(X0 + 10, Y0 + 35))
    for far in [(0, 50), (0, 90), (-30, 60), (40, 55)]:
        assert not seen.intersects(shapely.Point(X0 + far[0], Y0 + far[1]).buffer(1.0)), far


def test_a_high_camera_sees_over_a_low_ridge() -> None:
    (full,) = viewsheds(camera(60.0), None)
    (seen,) = viewsheds(camera(60.0), ridge_dem(2.0), grid_m=0.5)
    assert seen.equals(full)
    # The same low ridge hides the ground just behind it from a 3 m camera.
    (low,) = viewsheds(camera(3.0), ridge_dem(2.0), grid_m=0.5)
    assert not low.contains(shapely.Point(X0, Y0 + 46))
    assert low.contains(shapely.Point(X0, Y0 + 30))


def test_read_dem_in_the_metric_crs_and_from_another(tmp_path: Path) -> None:
    z = np.arange(12, dtype=np.float32).reshape(3, 4)
    path = tmp_path / "dem.tif"
    profile = {"driver": "GTiff", "width": 4, "height": 3, "count": 1, "dtype": "float32"}
    with rasterio.open(
        path,
        "w",
        crs=CRS,
        transform=Affine(30.0, 0.0, X0, 0.0, -30.0, Y0),
        nodata=-9999.0,
        **profile,
    ) as dst:
        z[0, 0] = -9999.0
        dst.write(z, 1)
    dem = read_dem(path, CRS)
    assert (dem.x0, dem.y0, dem.cell) == (X0, Y0, 30.0)
    assert np.isnan(dem.elevation[0, 0]) and dem.elevation[2, 3] == 11.0
    assert dem.at(np.array([X0 + 105.0]), np.array([Y0 - 75.0]))[0] == 11.0  # a cell centre

    flat = tmp_path / "wgs84.tif"
    with rasterio.open(
        flat,
        "w",
        crs="EPSG:4326",
        transform=Affine(0.0005, 0.0, 111.0, 0.0, -0.0005, 28.11),
        **(profile | {"width": 40, "height": 40}),
    ) as dst:
        dst.write(np.full((40, 40), 250.0, dtype=np.float32), 1)
    dem = read_dem(flat, CRS)
    assert dem.crs == CRS and dem.cell == pytest.approx(50, rel=0.2)
    assert np.nanmax(dem.elevation) == pytest.approx(250.0)
    assert np.isfinite(dem.at(np.array([X0 + 1000.0]), np.array([dem.y0 - 1000.0]))).all()


def test_the_area_behind_a_ridge_stays_uncovered_for_camera_suggestions() -> None:
    from geo.dispatch.cameras import uncovered_area
    from tests.dispatch.builders import line, township

    cam = {"code": "C1", "bearing_deg": 0.0, "fov_deg": 90.0, "range_m": 100.0, "height_m": 5.0}
    village = shapely.box(X0 - 100, Y0 - 10, X0 + 100, Y0 + 110)
    layers = township(
        [line((-100, 0), (100, 0))],
        village,
        cameras=[({**cam, "status": "online"}, shapely.Point(X0, Y0))],
    )
    flat = uncovered_area(layers)
    hidden = uncovered_area(layers, dem=ridge_dem(20.0))
    (full,) = viewsheds(camera(5.0), None)
    (seen,) = viewsheds(camera(5.0), ridge_dem(20.0))
    assert flat.area == pytest.approx(village.area - full.area, rel=1e-6)
    assert hidden.area == pytest.approx(village.area - seen.area, rel=1e-6)
    assert hidden.contains(shapely.Point(X0, Y0 + 80))


def test_a_drone_over_a_valley_sees_a_wider_swath() -> None:
    from geo.coverage.terrain import drone_footprints_over, heights_above_ground

    # Ground at 0 m for x < 500 m, 100 m lower beyond: a drone 100 m above take-off flies
    # 200 m above the valley floor, so its ground swath (84° HFOV) there is twice as wide.
    z = np.zeros((10, 100))
    z[:, 50:] = -100.0
    dem = Dem(z, x0=X0, y0=Y0 + 50, cell=10.0, crs=CRS)
    flight = shapely.LineString([(X0 + 5, Y0, 100.0), (X0 + 995, Y0, 100.0)])
    flight = shapely.segmentize(flight, 10.0)
    heights = heights_above_ground(dem, flight)
    xs = shapely.get_coordinates(flight)[:, 0] - X0
    assert np.allclose(heights[xs < 500], 100.0) and np.allclose(heights[xs >= 500], 200.0)
    frame = gpd.GeoDataFrame({"hfov_deg": [84.0]}, geometry=[flight], crs=CRS)
    # Pieces of one 10 m step each, so each has its own height (round ends reach < 200 m).
    (flat,) = drone_footprints_over(frame, None, piece_vertices=2)
    (over,) = drone_footprints_over(frame, dem, piece_vertices=2)
    half = 100.0 * np.tan(np.radians(42.0))  # half the swath at 100 m
    west = shapely.box(X0 + 100, Y0 - 1000, X0 + 300, Y0 + 1000)
    east = shapely.box(X0 + 700, Y0 - 1000, X0 + 900, Y0 + 1000)
    assert over.intersection(west).area == pytest.approx(200 * 2 * half, rel=0.01)
    assert over.intersection(east).area == pytest.approx(200 * 4 * half, rel=0.01)
    assert flat.intersection(east).area == pytest.approx(200 * 2 * half, rel=0.01)


def test_a_ridge_moves_the_best_camera_site_to_the_other_road() -> None:
    from geo.dispatch.cameras import CameraSettings, suggest_cameras
    from tests.dispatch.builders import line, township

    # Two roads 120 m apart; a gap (a 20 m disc) 55 m north of the southern road. A camera of
    # 80 m range sees all of it from the southern road facing north, part of it from the
    # northern road facing south (its far edge is 85 m away); a 30 m ridge 25-30 m north of
    # the southern road hides it from there.
    layers = township(
        [line((0, 0), (1000, 0)), line((0, 120), (1000, 120))],
        shapely.box(X0 - 50, Y0 - 20, X0 + 1050, Y0 + 140),
    )
    gap = shapely.Point(X0 + 500, Y0 + 55).buffer(20)
    z = np.zeros((160, 1100))
    y_top = Y0 + 140 - np.arange(160)
    z[(y_top > Y0 + 25) & (y_top <= Y0 + 30), 400:700] = 30.0
    dem = Dem(z, x0=X0 - 50, y0=Y0 + 140, cell=1.0, crs=CRS)
    settings = CameraSettings(count=1, spacing_m=50, range_m=80, fov_deg=90, height_m=6.0)

    (open_site,) = suggest_cameras(layers, gap, settings).sites
    assert (open_site.point_m.y - Y0, open_site.bearing_deg) == (pytest.approx(0), 0.0)
    assert open_site.added_m2 == pytest.approx(gap.area, rel=1e-6)

    (site,) = suggest_cameras(layers, gap, settings, dem=dem).sites
    assert (site.point_m.x - X0, site.point_m.y - Y0) == (pytest.approx(500), pytest.approx(120))
    assert site.bearing_deg == 180.0
    sector = shapely.Point(X0 + 500, Y0 + 120).buffer(80)
    assert site.added_m2 == pytest.approx(gap.intersection(sector).area, rel=0.03)
    assert site.added_m2 < 0.95 * gap.area  # the far edge is out of range
