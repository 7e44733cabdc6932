"""Terrain in the weekly engine (issue 16): with a DEM in the layers, a camera whose far side a
ridge hides covers less, by the area behind the ridge, in both engines alike; the DEM comes
from the layers folder, is bounded, and travels through both stores."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.io import MemoryFile

from geo.coverage.evaluate import evaluate_week
from geo.coverage.terrain import MAX_DEM_CELLS, township_dem
from geo.errors import InvalidInput
from geo.layers import TownshipLayers, read_layers_dir
from geo.store import Store
from tests.conftest import LAYERS_DIR
from tests.dispatch.builders import CRS, X0, Y0, line, township
from tests.dispatch.test_alerts import stored_spokes
from tests.dispatch.test_risk import WEEK, no_fixes

#: The camera's sector: 90° facing north, 100 m, from the origin: |x| <= y, y <= ~100.
SECTOR_M2 = np.pi * 100.0**2 / 4
#: What a 5 m camera sees before a 20 m ridge 40-44 m north: the sector up to y = 44.
SEEN_M2 = 44.0**2


def ridge_tiff(height: float) -> bytes:
    """A GeoTIFF in the township's CRS, 1 m cells over x −150..150, y −50..150 (relative),
    flat but for a ridge of ``height`` at y 40..44."""
    z = np.zeros((200, 300), dtype=np.float32)
    y_top = 150 - np.arange(200)
    z[(y_top > 40) & (y_top <= 44)] = height
    with MemoryFile() as mem:
        with mem.open(
            driver="GTiff",
            width=300,
            height=200,
            count=1,
            dtype="float32",
            crs=CRS,
            transform=Affine(1.0, 0.0, X0 - 150, 0.0, -1.0, Y0 + 150),
            compress="deflate",
        ) as dst:
            dst.write(z, 1)
        return bytes(mem.read())


def one_camera(dem: bytes | None = None) -> TownshipLayers:
    """A 200 × 120 m village with a road and one online 5 m camera facing north."""
    camera = {
        "code": "C1",
        "name": "c",
        "bearing_deg": 0.0,
        "fov_deg": 90.0,
        "range_m": 100.0,
        "height_m": 5.0,
        "status": "online",
    }
    village = shapely.box(X0 - 100, Y0 - 10, X0 + 100, Y0 + 110)
    layers = township(
        [line((-100, 0), (100, 0))], village, cameras=[(camera, shapely.Point(X0, Y0))]
    )
    return replace(layers, dem=dem)


def area_gap_m2(result: object) -> float:
    gaps = [g for g in result.gaps if g.kind == "area"]  # type: ignore[attr-defined]
    return sum(g.area_m2 for g in gaps)


@pytest.mark.parametrize("method", ["fast", "exact"])
def test_a_camera_whose_far_side_a_ridge_hides_covers_less(method: str) -> None:
    village_m2 = 200.0 * 120.0
    flat = evaluate_week(one_camera(), no_fixes(), WEEK, method=method)  # type: ignore[arg-type]
    ridge = evaluate_week(one_camera(ridge_tiff(20.0)), no_fixes(), WEEK, method=method)  # type: ignore[arg-type]
    (v_flat,), (v_ridge,) = flat.villages, ridge.villages
    assert v_flat.surveillance_coverage == pytest.approx(SECTOR_M2 / village_m2, rel=0.01)
    assert v_ridge.surveillance_coverage == pytest.approx(SEEN_M2 / village_m2, rel=0.03)
    # The hidden far side is an area gap now.
    hidden = area_gap_m2(ridge) - area_gap_m2(flat)
    assert hidden == pytest.approx(SECTOR_M2 - SEEN_M2, rel=0.03)
    # A low ridge a 60 m mast sees over changes nothing.
    high = one_camera(ridge_tiff(2.0))
    cams = high.cameras.copy()
    cams["height_m"] = 60.0
    over = evaluate_week(replace(high, cameras=cams), no_fixes(), WEEK, method=method)  # type: ignore[arg-type]
    assert over.villages[0].surveillance_coverage == pytest.approx(
        v_flat.surveillance_coverage, rel=1e-9
    )


def test_both_engines_agree_with_terrain() -> None:
    layers = one_camera(ridge_tiff(20.0))
    fast = evaluate_week(layers, no_fixes(), WEEK, method="fast")
    exact = evaluate_week(layers, no_fixes(), WEEK, method="exact")
    assert fast.villages[0].surveillance_coverage == pytest.approx(
        exact.villages[0].surveillance_coverage, abs=1e-9
    )
    assert area_gap_m2(fast) == pytest.approx(area_gap_m2(exact), rel=1e-6)


def test_a_layers_folder_dem_is_read_and_bounded(tmp_path: Path) -> None:
    folder = tmp_path / "layers"
    shutil.copytree(LAYERS_DIR, folder)
    (folder / "dem.tif").unlink(missing_ok=True)
    assert read_layers_dir(folder).dem is None
    (folder / "dem.tif").write_bytes(b"not a tiff at all")
    with pytest.raises(InvalidInput, match=r"dem\.tif.*not a GeoTIFF"):
        read_layers_dir(folder)
    (folder / "dem.tif").write_bytes(ridge_tiff(1.0)[:300])  # cut short
    with pytest.raises(InvalidInput, match=r"dem\.tif: the DEM is (unreadable|without)"):
        read_layers_dir(folder)
    # A sparse raster: a small file declaring more cells than are allowed.
    side = int(np.sqrt(MAX_DEM_CELLS)) + 10
    with rasterio.open(
        folder / "dem.tif",
        "w",
        driver="GTiff",
        width=side,
        height=side,
        count=1,
        dtype="int16",
        crs=CRS,
        transform=Affine(1.0, 0.0, X0, 0.0, -1.0, Y0),
        tiled=True,
        sparse_ok=True,
        compress="deflate",
    ):
        pass
    assert (folder / "dem.tif").stat().st_size < 10_000_000
    with pytest.raises(InvalidInput, match="too large"):
        read_layers_dir(folder)


def test_the_dem_travels_through_the_store(store: Store) -> None:
    spokes = stored_spokes()
    tiff = ridge_tiff(20.0)
    store.save_layers(replace(spokes, dem=tiff))
    loaded = store.load_layers(spokes.info.code)
    assert loaded.dem == tiff
    dem = township_dem(loaded)
    assert dem is not None and dem.elevation.max() == 20.0
    # An edit of the layers keeps it; layers saved without one remove it.
    edited = store.edit_layers(spokes.info.code, lambda layers: layers)
    assert edited.dem == tiff and store.load_layers(spokes.info.code).dem == tiff
    store.save_layers(spokes)
    assert store.load_layers(spokes.info.code).dem is None


def valley_tiff() -> bytes:
    """10 m cells over x −100..1100, y −500..500 (relative): ground at 0 m west of x = 620,
    100 m lower east of it (a flight's pieces of 32 vertices every 10 m from x = 5 change
    there, so each piece but one flies at one height)."""
    z = np.zeros((100, 120), dtype=np.float32)
    z[:, 72:] = -100.0
    with MemoryFile() as mem:
        with mem.open(
            driver="GTiff",
            width=120,
            height=100,
            count=1,
            dtype="float32",
            crs=CRS,
            transform=Affine(10.0, 0.0, X0 - 100, 0.0, -10.0, Y0 + 500),
        ) as dst:
            dst.write(z, 1)
        return bytes(mem.read())


@pytest.mark.parametrize("method", ["fast", "exact"])
def test_a_drone_over_a_valley_covers_more(method: str) -> None:
    from tests.dispatch.builders import layer

    start, _ = WEEK.bounds(ZoneInfo("Asia/Shanghai"))
    flight = shapely.segmentize(
        shapely.LineString([(X0 + 5, Y0, 100.0), (X0 + 995, Y0, 100.0)]), 10.0
    )
    row = {
        "flight_id": "F1",
        "started_at": (start + timedelta(days=1)).isoformat(),
        "hfov_deg": 84.0,
        "source": "layers",
    }
    flights = layer("drone_flights", [row], [flight])
    village = shapely.box(X0 - 100, Y0 - 400, X0 + 1100, Y0 + 400)
    base = replace(township([line((-100, 0), (1100, 0))], village), drone_flights=flights)
    flat = evaluate_week(base, no_fixes(), WEEK, method=method)  # type: ignore[arg-type]
    over = evaluate_week(replace(base, dem=valley_tiff()), no_fixes(), WEEK, method=method)  # type: ignore[arg-type]
    half = 100.0 * np.tan(np.radians(42.0))  # half the swath 100 m above the ground
    west = shapely.box(X0 + 100, Y0 - 400, X0 + 300, Y0 + 400)
    east = shapely.box(X0 + 700, Y0 - 400, X0 + 900, Y0 + 400)

    def seen(result: object, box: shapely.Polygon) -> float:
        """The area seen within ``box``: the box less the week's area gaps."""
        gaps = [g.geometry for g in result.gaps if g.kind == "area"]  # type: ignore[attr-defined]
        metric = gpd.GeoSeries(gaps, crs="EPSG:4326").to_crs(CRS)
        return float(box.area - shapely.union_all(metric.to_numpy()).intersection(box).area)

    assert seen(flat, west) == pytest.approx(200 * 2 * half, rel=0.01)
    assert seen(flat, east) == pytest.approx(200 * 2 * half, rel=0.01)
    # Over the valley, 100 m lower, the drone flies 200 m above the ground: twice as wide.
    assert seen(over, west) == pytest.approx(200 * 2 * half, rel=0.01)
    assert seen(over, east) == pytest.approx(200 * 4 * half, rel=0.01)
