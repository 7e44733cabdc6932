"""GDAL's OGC API – Features driver (the system's ogr2ogr, the GDAL QGIS uses) copies every
collection from a real `geo serve`, authenticating as QGIS does: HTTP Basic with the key as
the password (issue 14).

The server holds the demo week (`geo demo --no-serve`: layers, simulated tracks, the week's
coverage, so both gap collections have features), on the GeoPackage and on PostGIS
(``GEO_DATABASE_URL`` to the test cluster's database)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest

from tests.conftest import IN_CI, LAYERS_DIR, _truncate
from tests.serve import Server, geo_serve, gpkg_env, run_geo


def serve_demo(tmp: Path, env: dict[str, str]) -> Iterator[Server]:
    """`geo demo --no-serve` (layers, a simulated week, its coverage) into the store ``env``
    names, a planner's key, then `geo serve` until the caller is done."""

    def geo(*args: str) -> str:
        return run_geo(env, *args, cwd=tmp, timeout=600)

    geo("demo", "--no-serve", "--week", "2026-W47", "--layers-dir", str(LAYERS_DIR))
    key = geo("keys", "create", "--role", "planner", "--name", "QGIS").split()[-1]
    assert key.startswith("geo_")
    with geo_serve(env) as serving:
        yield Server(serving.url, {"Authorization": f"Bearer {key}"})


def store_env(kind: str, tmp: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment of `geo` on a GeoPackage in ``tmp`` or on the test PostGIS database
    (emptied first)."""
    env = gpkg_env(tmp / "geo.gpkg")
    if kind != "gpkg":
        url = request.getfixturevalue("postgis_url")
        _truncate(url)
        env["GEO_DATABASE_URL"] = url
    return env


@pytest.fixture(scope="module", params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A `geo serve` holding the demo week, on each store."""
    tmp = tmp_path_factory.mktemp(f"gdal-{request.param}")
    yield from serve_demo(tmp, store_env(request.param, tmp, request))


def gdal_tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        if IN_CI:
            pytest.fail(f"{name} (gdal-bin) is missing in CI; run the tests with `make test`")
        pytest.skip(f"{name} (gdal-bin) is not installed")
    return exe


def basic_env(served: Server) -> dict[str, str]:
    """GDAL's HTTP settings for Basic: the key as the password, any user name."""
    key = served.headers["Authorization"].removeprefix("Bearer ")
    return {**os.environ, "GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"qgis:{key}"}


def api_json(served: Server, path: str) -> dict[str, object]:
    request = urllib.request.Request(f"{served.url}{path}", headers=served.headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_ogr2ogr_copies_every_collection_with_basic_auth(
    server: Server,
    tmp_path: Path,
) -> None:
    ogr2ogr = gdal_tool("ogr2ogr")
    collections = api_json(server, "/ogc/collections")["collections"]
    assert isinstance(collections, list)
    copied = 0
    for collection in collections:
        name = collection["id"]
        matched = api_json(server, f"/ogc/collections/{name}/items?limit=1")["numberMatched"]
        out = tmp_path / f"{name}.gpkg"
        done = subprocess.run(
            [ogr2ogr, "-f", "GPKG", str(out), f"OAPIF:{server.url}/ogc", name],
            env=basic_env(server),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        count = pyogrio.read_info(out)["features"] if out.exists() else 0
        assert count == matched, (name, count, matched, done.stderr)
        copied += count
    assert copied >= 7 + 65 + 34 + 21  # villages, roads, cameras, checkpoints at least
    # the week's gaps too, each collection of one geometry type: road gaps are lines
    road_gaps = pyogrio.read_info(tmp_path / "road_gaps.gpkg")
    area_gaps = pyogrio.read_info(tmp_path / "area_gaps.gpkg")
    assert road_gaps["features"] > 0 and road_gaps["geometry_type"] == "LineString"
    assert area_gaps["features"] > 0 and area_gaps["geometry_type"] == "Polygon"


def copy(server: Server, source: str, out: Path, *args: str) -> None:
    done = subprocess.run(
        [gdal_tool("ogr2ogr"), "-f", "GPKG", str(out), source, *args],
        env=basic_env(server),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_a_cql2_filter_returns_only_offline_cameras(
    server: Server,
    tmp_path: Path,
) -> None:
    everything = api_json(server, "/ogc/collections/cameras/items?limit=1000")["features"]
    assert isinstance(everything, list)
    offline = sorted(f["id"] for f in everything if f["properties"]["status"] == "offline")
    assert 0 < len(offline) < len(everything)
    # The server filters: GDAL reads the items the CQL2 filter selects (GeoJSON driver) ...
    query = urllib.parse.urlencode({"filter": "status='offline'", "limit": 1000})
    out = tmp_path / "filtered.gpkg"
    copy(server, f"GeoJSON:{server.url}/ogc/collections/cameras/items?{query}", out)
    frame = pyogrio.read_dataframe(out)
    assert sorted(frame["code"]) == offline and set(frame["status"]) == {"offline"}
    # ... and the OAPIF driver's attribute filter gives the same cameras (GDAL 3.6 only
    # sends the draft "cql-text", so it evaluates this one itself)
    oapif = tmp_path / "oapif.gpkg"
    copy(server, f"OAPIF:{server.url}/ogc", oapif, "cameras", "-where", "status = 'offline'")
    assert sorted(pyogrio.read_dataframe(oapif)["code"]) == offline


def test_crs_4546_returns_metres(server: Server, tmp_path: Path) -> None:
    query = urllib.parse.urlencode({"crs": "EPSG:4546", "limit": 1000})
    out = tmp_path / "metres.gpkg"
    copy(server, f"GeoJSON:{server.url}/ogc/collections/cameras/items?{query}", out)
    frame = pyogrio.read_dataframe(out)
    assert len(frame) == 34
    # EPSG:4546's axis order, as the standard asks: northing, then easting (CM 111°E)
    north_min, east_min, north_max, east_max = frame.total_bounds
    assert 3_000_000 < north_min < north_max < 3_200_000
    assert 300_000 < east_min < east_max < 500_000
    assert north_max - north_min > 1_000  # the cameras lie kilometres apart


def test_gdal_without_the_key_is_refused(server: Server) -> None:
    ogrinfo = gdal_tool("ogrinfo")
    env = {**os.environ, "GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": "qgis:geo_wrong"}
    done = subprocess.run(
        [ogrinfo, "-ro", "-so", f"OAPIF:{server.url}/ogc"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "401" in done.stderr
