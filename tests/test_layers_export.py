"""Layer exports as planners open them: GDAL 3.6's ogrinfo (the GDAL of Debian's QGIS 3.22)
reads every file without a warning, and nothing is cut (geo/outputs/layers_export.py)."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.features import LAYER_NAMES
from geo.layers import TownshipLayers, read_layers_dir
from geo.outputs.layers_export import (
    DBF_TEXT_BYTES,
    LAYER_KEYS,
    SHAPEFILE_FIELD_NAMES,
    export_layers,
)
from tests.cli_runner import run_geo
from tests.conftest import IN_CI

LAYERS_DIR = Path(__file__).resolve().parents[1] / "layers" / "xiaozhang"


@pytest.fixture(scope="module")
def layers() -> TownshipLayers:
    return read_layers_dir(LAYERS_DIR)


def ogrinfo(path: Path) -> str:
    """``ogrinfo -so -al`` of the system's GDAL (the Debian package QGIS uses): its stdout,
    once it has exited 0 with nothing on stderr (where GDAL writes every warning and error);
    skips without it, except in CI."""
    exe = shutil.which("ogrinfo")
    if exe is None:
        if IN_CI:
            pytest.fail("ogrinfo (gdal-bin) is missing in CI; run the tests with `make test`")
        pytest.skip("ogrinfo (gdal-bin) is not installed")
    done = subprocess.run(
        [exe, "-ro", "-so", "-al", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stderr == "", f"{path.name}: {done.stderr}"
    return done.stdout


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp"])
def test_geo_layers_export_writes_files_gdal_reads_without_a_warning(
    fmt: str, tmp_path: Path
) -> None:
    """`geo layers export` of the stored layers, each file it names read by ogrinfo with
    nothing on stderr (GDAL's warnings), every layer with its features."""
    env = {"GEO_GPKG_PATH": str(tmp_path / "geo.gpkg"), "GEO_DATABASE_URL": None}
    env |= {"GEO_TOWNSHIP": None, "COLUMNS": "200"}
    assert run_geo(["layers", "load", str(LAYERS_DIR)], env).returncode == 0
    done = run_geo(["layers", "export", "--format", fmt, str(tmp_path / "out")], env)
    assert done.returncode == 0, done.stderr
    written = [Path(line) for line in done.stdout.split() if line.strip()]
    assert written and all(p.exists() for p in written)
    features = 0
    for path in written:
        info = ogrinfo(path)
        features += sum(int(n) for n in re.findall(r"Feature Count: (\d+)", info))
    layers = read_layers_dir(LAYERS_DIR)
    # every feature of the five layers and the outline (the CSV beside a shapefile adds rows)
    least = sum(len(layers.layer(n)) for n in LAYER_NAMES) + len(layers.outline)
    assert features >= least


def test_geopackage_is_version_1_3_and_opens_without_warnings(
    layers: TownshipLayers, tmp_path: Path
) -> None:
    (path,) = export_layers(layers, tmp_path, fmt="gpkg")
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10300
    info = ogrinfo(path)
    assert info.count("Feature Count:") == 6


def test_geojson_follows_rfc_7946(layers: TownshipLayers, tmp_path: Path) -> None:
    written = export_layers(layers, tmp_path, fmt="geojson")
    assert len(written) == 6
    for path in written:
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert "crs" not in doc, path.name  # RFC 7946 removed the member
        ogrinfo(path)
    cameras = gpd.read_file(tmp_path / "cameras.geojson")
    assert cameras.crs.to_epsg() == 4326
    assert list(cameras["code"]) == list(layers.cameras["code"])


def test_shapefile_cuts_nothing(layers: TownshipLayers, tmp_path: Path) -> None:
    """Every value of every layer comes back whole: long names under their short names, long
    texts (a flight's ``times_s``) from the CSV beside the shapefile."""
    written = export_layers(layers, tmp_path, fmt="shp")
    assert tmp_path / "drone_flights_long_values.csv" in written
    assert max(len(t.encode()) for t in layers.drone_flights["times_s"]) > DBF_TEXT_BYTES
    for name in ("villages", "roads", "cameras", "checkpoints", "drone_flights"):
        path = tmp_path / f"{name}.shp"
        ogrinfo(path)
        original = layers.layer(name)
        back = gpd.read_file(path, engine="pyogrio").rename(
            columns={v: k for k, v in SHAPEFILE_FIELD_NAMES.items()}
        )
        extra = tmp_path / f"{name}_long_values.csv"
        if extra.exists():
            key = LAYER_KEYS.get(name, "code")
            beside = pd.read_csv(extra, encoding="utf-8-sig", dtype=str)
            back = back.merge(beside, on=key)
        assert set(back.columns) == set(original.columns), name
        for column in original.columns:
            if column == "geometry":
                assert back.geometry.geom_equals(original.geometry).all(), name
                continue
            want = original[column].astype(str).tolist()
            # dBase stores an empty text and a missing one alike
            got = back[column].fillna("").astype(str).tolist()
            if original[column].dtype.kind in "fi":
                assert back[column].astype(float).tolist() == pytest.approx(
                    original[column].astype(float).tolist()
                ), (name, column)
            elif original[column].dtype.kind != "b":
                assert got == want, (name, column)
