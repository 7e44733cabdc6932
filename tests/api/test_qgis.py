"""QGIS itself (Debian's python3-qgis, offscreen) against a real `geo serve` holding the demo
week: a Basic authentication configuration, every collection a valid layer with the API's
count, a filter, layers rendered to PNGs with something drawn, and vector tile layers of fixes,
tracks and area gaps (OGC API – Tiles) drawn the same way (scripts/qgis_check.py).

Runs when QGIS's Python bindings are installed (`make test-qgis` installs them)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.test_ogc_gdal import serve_demo
from tests.conftest import ROOT
from tests.serve import Server, gpkg_env

SYSTEM_PYTHON = "/usr/bin/python3"


def qgis_installed() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = [SYSTEM_PYTHON, "-c", "import qgis.core"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


pytestmark = pytest.mark.skipif(
    not qgis_installed(), reason="QGIS's Python bindings are not installed (make test-qgis)"
)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`geo demo --no-serve` (layers, a simulated week, its coverage), then `geo serve`."""
    tmp = tmp_path_factory.mktemp("qgis")
    yield from serve_demo(tmp, gpkg_env(tmp / "geo.gpkg"))


def test_qgis_reads_filters_and_draws_every_layer(demo_server: Server, tmp_path: Path) -> None:
    key = demo_server.headers["Authorization"].removeprefix("Bearer ")
    done = subprocess.run(
        [
            SYSTEM_PYTHON,
            str(ROOT / "scripts" / "qgis_check.py"),
            "--url",
            f"{demo_server.url}/ogc",
            "--key",
            key,
            "--out",
            str(tmp_path),
            "--render",
            "villages,roads,area_gaps,road_gaps",
            "--tiles",
            "fixes,tracks,area_gaps",
        ],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["failures"] == []
    layers = report["layers"]
    assert {"villages", "roads", "cameras", "checkpoints"} <= set(layers)
    assert layers["villages"]["features"] == 7 and layers["cameras"]["features"] == 34
    assert all(v["valid"] and v["features"] == v["api"] for v in layers.values())
    assert report["filter"]["features"] >= 1
    # road gaps are a layer of lines of their own, so QGIS draws them
    assert layers["road_gaps"]["features"] > 0 and layers["area_gaps"]["features"] > 0
    assert layers["road_gaps"]["geometry"] in ("LineGeometry", 1)
    assert layers["area_gaps"]["geometry"] in ("PolygonGeometry", 2)
    for name in ("villages", "roads", "area_gaps", "road_gaps"):
        # QGIS's default line is about one pixel wide: thin road gaps draw fewer pixels
        least = 100 if name == "road_gaps" else 1000
        assert report["renders"][name]["non_blank_pixels_sampled"] > least, name
        assert (tmp_path / f"{name}.png").stat().st_size > 0
    # the vector tiles (OGC API – Tiles) of a week of fixes, the tracks and the area gaps:
    # QGIS's XYZ vector tile layer with the same Basic configuration draws them
    for name in ("fixes", "tracks", "area_gaps"):
        tiles = report["tiles"][name]
        assert tiles["valid"], name
        assert tiles["non_blank_pixels_sampled"] > 1000, name
        assert (tmp_path / f"tiles-{name}.png").stat().st_size > 0
