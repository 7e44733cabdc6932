"""Files that name their coordinate system, shaped like real exports, through the upload path:
the system the file names is used, and lands within 1 m of the truth (see tests/tracks/exports.py
for which shapes are confirmed from real files and which are inferred)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from geo.errors import InvalidInput
from geo.ingest.pipeline import prepare_upload
from geo.layers import TownshipLayers
from geo.projection import to_metric
from tests.tracks import exports
from tests.tracks.exports import FOREST_ROUND, forest_patrol

Build = Callable[[pd.DataFrame], bytes]

#: name → (file builder, the system the file names).
EXPORTS: dict[str, tuple[Build, str]] = {
    "csv 时间,经度(GCJ-02),纬度(GCJ-02)": (
        lambda t: exports.csv_named_header(t, "时间,经度(GCJ-02),纬度(GCJ-02)", "gcj02"),
        "gcj02",
    ),
    "csv time,lng_gcj02,lat_gcj02": (
        lambda t: exports.csv_named_header(t, "time,lng_gcj02,lat_gcj02", "gcj02"),
        "gcj02",
    ),
    "csv 时间,百度经度,百度纬度": (
        lambda t: exports.csv_named_header(t, "时间,百度经度,百度纬度", "bd09"),
        "bd09",
    ),
    "csv time,bd_lon,bd_lat": (
        lambda t: exports.csv_named_header(t, "time,bd_lon,bd_lat", "bd09"),
        "bd09",
    ),
    "csv 时间,经度(WGS84),纬度(WGS84)": (
        lambda t: exports.csv_named_header(t, "时间,经度(WGS84),纬度(WGS84)", "wgs84"),
        "wgs84",
    ),
    "奥维 kml OvCoordType GCJ02": (lambda t: exports.ovital_kml(t, "GCJ02", "gcj02"), "gcj02"),
    "奥维 kml OvCoordType CGCS2000": (
        lambda t: exports.ovital_kml(t, "CGCS2000", "wgs84"),
        "cgcs2000",
    ),
    "gpx metadata desc 坐标系：GCJ-02": (
        lambda t: exports.titled_gpx(
            t, name="白泥塘巡护", desc="坐标系：GCJ-02（火星坐标）", system="gcj02"
        ),
        "gcj02",
    ),
    "gpx name (BD-09)": (
        lambda t: exports.titled_gpx(t, name="白泥塘巡护 (BD-09)", desc="", system="bd09"),
        "bd09",
    ),
    "kml gx:Track name 火星坐标": (
        lambda t: exports.titled_kml_track(t, name="白泥塘巡护（火星坐标）", system="gcj02"),
        "gcj02",
    ),
    "geojson crs EPSG::4490 (GDAL)": (lambda t: exports.gdal_geojson(t, 4490), "cgcs2000"),
}


@pytest.fixture(scope="module")
def truth(demo_layers: TownshipLayers) -> pd.DataFrame:
    return forest_patrol(demo_layers, FOREST_ROUND)


def error_m(layers: TownshipLayers, truth: pd.DataFrame, fixes: pd.DataFrame) -> float:
    crs = layers.info.metric_crs
    x1, y1 = to_metric(truth["lon"].to_numpy(), truth["lat"].to_numpy(), crs)
    x2, y2 = to_metric(fixes["lon"].to_numpy(), fixes["lat"].to_numpy(), crs)
    return float(np.max(np.hypot(x1 - x2, y1 - y2)))


@pytest.mark.parametrize("name", list(EXPORTS))
def test_the_system_a_file_names_is_used(
    demo_layers: TownshipLayers, truth: pd.DataFrame, name: str
) -> None:
    build, system = EXPORTS[name]
    prepared = prepare_upload(build(truth), filename="x", layers=demo_layers, squad="squad-04")
    report = prepared.upload.report
    assert report["source_crs"] == system
    assert report["warnings"] == []
    assert any(system in note for note in report["notes"])  # type: ignore[attr-defined]
    assert error_m(demo_layers, truth, prepared.upload.fixes) < 1.0
    # The same system declared by the upload (under another of its names) agrees.
    alias = {"gcj02": "火星坐标", "bd09": "bd09ll", "wgs84": "WGS 84", "cgcs2000": "WGS-84"}
    again = prepare_upload(
        build(truth), filename="x", layers=demo_layers, squad="squad-04", crs=alias[system]
    )
    assert error_m(demo_layers, truth, again.upload.fixes) < 1.0


@pytest.mark.parametrize(
    ("name", "declared"),
    [
        ("csv 时间,经度(GCJ-02),纬度(GCJ-02)", "wgs84"),
        ("奥维 kml OvCoordType GCJ02", "WGS 84"),
        ("gpx name (BD-09)", "gcj02"),
        ("奥维 kml OvCoordType CGCS2000", "国测局"),
        ("geojson crs EPSG::4490 (GDAL)", "bd09"),
    ],
)
def test_a_file_naming_another_system_than_the_upload_is_refused_naming_both(
    demo_layers: TownshipLayers, truth: pd.DataFrame, name: str, declared: str
) -> None:
    build, system = EXPORTS[name]
    with pytest.raises(InvalidInput) as caught:
        prepare_upload(
            build(truth), filename="f.x", layers=demo_layers, squad="squad-04", crs=declared
        )
    line = caught.value.one_line()
    assert f"the file says its coordinates are {system}" in line
    assert f"the upload says crs={declared}" in line
    assert line.startswith("f.x: ") and "\n" not in line


def test_geojson_in_epsg_4490_is_not_called_projected(
    demo_layers: TownshipLayers, truth: pd.DataFrame
) -> None:
    prepared = prepare_upload(
        exports.gdal_geojson(truth, 4490),
        filename="g.geojson",
        layers=demo_layers,
        squad="squad-04",
    )
    notes = prepared.upload.report["notes"]
    assert "coordinates are in cgcs2000 as the file's 'crs' member declares" in notes
    assert not any("not in degrees" in n for n in notes)  # type: ignore[attr-defined]
