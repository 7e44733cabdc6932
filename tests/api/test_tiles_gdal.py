"""GDAL reads the vector tiles of a real `geo serve` (OGC API – Tiles, issue 14 item 4), with
the key as Basic auth, on both stores: the system's ogr2ogr copies a tile of fixes through the
MVT driver and finds every fix of the tile's box, a day of them with ``datetime``, and the
tracks and gaps as lines and polygons.

Debian's GDAL 3.6 cannot go through the OGCAPI driver here: its library is built without the
driver's vector-tile code (``-oo API=TILES`` opens nothing), so the tiles are read by URL, as
QGIS's vector tile layer reads them. ``/vsicurl/`` takes a URL without a query for a folder to
list: the URLs carry ``township=``."""

from __future__ import annotations

import os
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyogrio
import pyogrio.errors
import pytest

from geo.store import open_store
from geo.tiles import Tile, tile_of
from geo.weeks import IsoWeek
from tests.api.test_ogc_gdal import basic_env, gdal_tool, serve_demo, store_env
from tests.serve import Server

TOWNSHIP = "433122207"
WEEK = IsoWeek.parse("2026-W47")


@pytest.fixture(scope="module", params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, pd.DataFrame]]:
    """A `geo serve` holding the demo week, and the week's kept fixes as the store holds
    them."""
    tmp = tmp_path_factory.mktemp(f"tiles-gdal-{request.param}")
    env = store_env(request.param, tmp, request)
    for server in serve_demo(tmp, env):
        store = open_store(env.get("GEO_DATABASE_URL"), Path(env.get("GEO_GPKG_PATH", "x")))
        try:
            start, end = WEEK.bounds(store.load_layers(TOWNSHIP).info.tz)
            fixes = store.week_fixes(TOWNSHIP, start, end)
        finally:
            store.close()
        yield server, fixes[fixes["segment"] >= 0].reset_index(drop=True)


def in_tile(fixes: pd.DataFrame, tile: Tile) -> pd.DataFrame:
    west, south, east, north = tile.lonlat_bounds()
    lon, lat = fixes["lon"], fixes["lat"]
    return fixes[(lon >= west) & (lon < east) & (lat > south) & (lat <= north)]


def busiest_tile(fixes: pd.DataFrame, z: int) -> Tile:
    tiles = [tile_of(lon, lat, z) for lon, lat in zip(fixes["lon"], fixes["lat"], strict=True)]
    return max(set(tiles), key=tiles.count)


def tile_status(server: Server, collection: str, tile: Tile) -> int:
    path = f"/ogc/collections/{collection}/tiles/WebMercatorQuad/{tile.z}/{tile.y}/{tile.x}"
    request = urllib.request.Request(f"{server.url}{path}", headers=server.headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def copy_tile(
    server: Server, collection: str, tile: Tile, out: Path, query: str = "", key: str | None = None
) -> subprocess.CompletedProcess[str]:
    """ogr2ogr of one tile through GDAL's MVT driver, fetched by GDAL with Basic auth."""
    url = (
        f"{server.url}/ogc/collections/{collection}/tiles/WebMercatorQuad/"
        f"{tile.z}/{tile.y}/{tile.x}?township={TOWNSHIP}{query}"
    )
    env = basic_env(server)
    if key is not None:
        env = {**env, "GDAL_HTTP_USERPWD": f"qgis:{key}"}
    return subprocess.run(
        [
            gdal_tool("ogr2ogr"),
            "-f",
            "GPKG",
            str(out),
            f"MVT:/vsicurl/{url}",
            *("-oo", f"Z={tile.z}", "-oo", f"X={tile.x}", "-oo", f"Y={tile.y}"),
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def copied_features(out: Path) -> int:
    """The features ogr2ogr wrote to ``out`` (0 when it wrote no readable layer)."""
    try:
        layers = pyogrio.list_layers(out)
    except pyogrio.errors.DataSourceError:
        return 0
    return sum(int(pyogrio.read_info(out, layer=name)["features"]) for name, _ in layers)


def test_gdal_reads_every_fix_of_a_tile(
    served: tuple[Server, pd.DataFrame], tmp_path: Path
) -> None:
    server, fixes = served
    tile = busiest_tile(fixes, 17)
    expected = in_tile(fixes, tile)
    out = tmp_path / "fixes.gpkg"
    done = copy_tile(server, "fixes", tile, out)
    assert done.returncode == 0, done.stderr
    frame = pyogrio.read_dataframe(out)
    assert len(frame) == len(expected) > 10
    assert sorted(frame["squad"]) == sorted(expected["squad"])
    # placed in the tile, in EPSG:3857 (to a cell of the tile's 4096 grid)
    minx, miny, maxx, maxy = tile.bounds()
    cell = tile.span / 4096
    left, bottom, right, top = frame.total_bounds
    assert minx - cell <= left <= right <= maxx + cell
    assert miny - cell <= bottom <= top <= maxy + cell
    assert frame.crs is not None and frame.crs.to_epsg() == 3857


def test_gdal_reads_a_day_of_fixes(served: tuple[Server, pd.DataFrame], tmp_path: Path) -> None:
    server, fixes = served
    tile = busiest_tile(fixes, 17)
    expected = in_tile(fixes, tile)
    local = expected["time"].dt.tz_convert("Asia/Shanghai").dt.date
    day = local.mode()[0]
    out = tmp_path / "day.gpkg"
    done = copy_tile(server, "fixes", tile, out, f"&datetime={day.isoformat()}")
    assert done.returncode == 0, done.stderr
    frame = pyogrio.read_dataframe(out)
    assert len(frame) == int((local == day).sum()) > 0
    assert len(frame) < len(expected)


def test_gdal_reads_tracks_and_gaps_tiles(
    served: tuple[Server, pd.DataFrame], tmp_path: Path
) -> None:
    server, fixes = served
    tile = busiest_tile(fixes, 13)
    kinds = {"tracks": "LineString", "road_gaps": "LineString", "area_gaps": "Polygon"}
    found = {}
    for name, kind in kinds.items():
        out = tmp_path / f"{name}.gpkg"
        if tile_status(server, name, tile) == 204:  # an empty tile: nothing to copy
            continue
        done = copy_tile(server, name, tile, out)
        assert done.returncode == 0, done.stderr
        info = pyogrio.read_info(out)
        found[name] = info["features"]
        assert info["geometry_type"] in (kind, f"Multi{kind}"), (name, info)
    assert found.get("tracks", 0) > 0 and found.get("area_gaps", 0) > 0, found


def test_gdal_with_a_wrong_key_gets_no_tile(
    served: tuple[Server, pd.DataFrame], tmp_path: Path
) -> None:
    server, fixes = served
    out = tmp_path / "refused.gpkg"
    done = copy_tile(server, "fixes", busiest_tile(fixes, 17), out, key="geo_wrong")
    # GDAL reports the 401 and copies nothing (its exit status stays 0: the MVT driver
    # opens what it got, which is no tile)
    assert ": 401" in done.stderr
    assert copied_features(out) == 0
