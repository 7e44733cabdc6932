"""GDAL's OGC API – Features driver (the system's ogr2ogr, the GDAL QGIS uses) copies every
collection from a real `geo serve`, authenticating as QGIS does: HTTP Basic with the key as
the password (issue 14)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pyogrio
import pytest

from tests.api.test_ogc_owslib import Server, server  # noqa: F401  (the fixture)
from tests.conftest import IN_CI


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
    server: Server,  # noqa: F811
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


def test_gdal_without_the_key_is_refused(server: Server) -> None:  # noqa: F811
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
