"""The one ingest path: format by content, coordinate systems, plausibility, the report."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.errors import InvalidFile, InvalidInput
from geo.ingest.chinacrs import wgs84_to_bd09, wgs84_to_gcj02
from geo.ingest.pipeline import detect_format, prepare_upload, segment_lines
from geo.ingest.plausibility import check_plausible
from geo.layers import TownshipLayers
from geo.projection import to_metric
from geo.tracks.gpx_write import write_gpx


def road_track(layers: TownshipLayers, *, road: int = 0, n: int = 200) -> pd.DataFrame:
    """Fixes every 5 s along one of the township's roads (WGS-84)."""
    line = layers.roads.geometry.iloc[road]
    points = [line.interpolate(f, normalized=True) for f in np.linspace(0, 1, n)]
    times = pd.date_range("2026-11-18T01:00:00Z", periods=n, freq="5s")
    return pd.DataFrame({"time": times, "lon": [p.x for p in points], "lat": [p.y for p in points]})


def gpx_of(track: pd.DataFrame) -> bytes:
    return write_gpx(track["lon"].to_numpy(), track["lat"].to_numpy(), track["time"])


def metres_apart(a: pd.DataFrame, lon: np.ndarray, lat: np.ndarray, crs: str) -> np.ndarray:
    x1, y1 = to_metric(a["lon"].to_numpy(), a["lat"].to_numpy(), crs)
    x2, y2 = to_metric(lon, lat, crs)
    return np.hypot(x1 - x2, y1 - y2)


@pytest.mark.parametrize(("crs", "forward"), [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_chinese_systems_land_within_a_metre_of_the_original(
    demo_layers: TownshipLayers, crs: str, forward: object
) -> None:
    track = road_track(demo_layers)
    lon, lat = forward(track["lon"].to_numpy(), track["lat"].to_numpy())  # type: ignore[operator]
    shifted = track.assign(lon=lon, lat=lat)
    assert metres_apart(track, lon, lat, demo_layers.info.metric_crs).min() > 500
    prepared = prepare_upload(
        gpx_of(shifted), filename="amap.gpx", layers=demo_layers, squad="squad-01", crs=crs
    )
    fixes = prepared.upload.fixes
    error = metres_apart(track, fixes["lon"].to_numpy(), fixes["lat"].to_numpy(), "EPSG:4546")
    assert error.max() < 1.0  # the GPX keeps 7 decimals (1 cm), the inverse is exact
    assert prepared.upload.source_crs == crs
    assert prepared.upload.report["source_crs"] == crs


@pytest.mark.parametrize(
    ("actual", "forward"), [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)]
)
def test_undeclared_chinese_system_is_refused_with_the_likely_cause(
    demo_layers: TownshipLayers, actual: str, forward: object
) -> None:
    track = road_track(demo_layers, road=3)
    lon, lat = forward(track["lon"].to_numpy(), track["lat"].to_numpy())  # type: ignore[operator]
    data = gpx_of(track.assign(lon=lon, lat=lat))
    with pytest.raises(InvalidFile) as caught:
        prepare_upload(data, filename="phone.gpx", layers=demo_layers, squad="squad-01")
    assert f"look like {actual.upper()}, not WGS84" in caught.value.detail
    assert f"crs={actual}" in caught.value.detail


def test_wgs84_declared_as_gcj02_is_refused(demo_layers: TownshipLayers) -> None:
    data = gpx_of(road_track(demo_layers, road=3))
    with pytest.raises(InvalidFile, match="look like WGS84, not GCJ02"):
        prepare_upload(data, filename="g.gpx", layers=demo_layers, squad="squad-01", crs="gcj02")


def test_swapped_axes_and_null_island_and_far_away_are_named(demo_layers: TownshipLayers) -> None:
    track = road_track(demo_layers)
    lon, lat = track["lon"].to_numpy(), track["lat"].to_numpy()
    kw = {"source_crs": "wgs84", "layers": demo_layers, "source": "x.csv"}
    with pytest.raises(InvalidFile, match="latitude and longitude look swapped"):
        check_plausible(lat, lon, lat, lon, **kw)  # type: ignore[arg-type]
    zeros = np.zeros(5)
    with pytest.raises(InvalidFile, match="all 5 points are at 0,0"):
        check_plausible(zeros, zeros, zeros, zeros, **kw)  # type: ignore[arg-type]
    with pytest.raises(InvalidFile, match="none of the 200 points lies within 5 km"):
        check_plausible(lon + 2, lat, lon + 2, lat, **kw)  # type: ignore[arg-type]
    check_plausible(lon, lat, lon, lat, **kw)  # type: ignore[arg-type]


def test_gzip_and_format_by_content(demo_layers: TownshipLayers) -> None:
    data = gpx_of(road_track(demo_layers))
    prepared = prepare_upload(
        gzip.compress(data), filename="track.bin", layers=demo_layers, squad="squad-02"
    )
    assert prepared.upload.report["format"] == "gpx"
    assert prepared.upload.report["fixes_read"] == 200
    assert detect_format(b'{"type": "FeatureCollection"}', "x") == "geojson"
    assert detect_format(b"$GPGGA,1,2,3", "x") == "nmea"
    with pytest.raises(InvalidFile, match="format not recognised"):
        detect_format(b"hello world", "x.txt")
    with pytest.raises(InvalidFile, match="gzip data cannot be unpacked"):
        prepare_upload(
            b"\x1f\x8b\x08garbage", filename="t.gz", layers=demo_layers, squad="squad-02"
        )


def test_report_gives_local_times_with_offset(demo_layers: TownshipLayers) -> None:
    prepared = prepare_upload(
        gpx_of(road_track(demo_layers)), filename="t.gpx", layers=demo_layers, squad="squad-02"
    )
    report = prepared.upload.report
    assert report["first_time"] == "2026-11-18T09:00:00+08:00"
    assert report["time_zone"] == "Asia/Shanghai"
    assert report["dropped"]["speed_spike"] == 0


def test_unknown_crs_is_refused(demo_layers: TownshipLayers) -> None:
    with pytest.raises(InvalidInput, match="unknown coordinate system 'utm'; use wgs84, cgcs2000"):
        prepare_upload(b"<gpx/>", filename="t.gpx", layers=demo_layers, squad="squad-02", crs="utm")


def test_segment_lines_match_a_groupby_of_the_kept_fixes() -> None:
    """One line per segment, its fixes in time order (a one-fix segment a line of zero
    length), with first and last time and count; dropped fixes (-1) are left out."""
    rng = np.random.default_rng(3)
    n = 300
    segment = rng.integers(-1, 5, n)
    fixes = pd.DataFrame(
        {
            "time": pd.to_datetime(rng.permutation(n) * 5, unit="s", utc=True),
            "lon": rng.random(n),
            "lat": rng.random(n),
            "segment": segment,
        }
    )
    fixes.loc[fixes.index[segment == 4][1:], "segment"] = -1  # segment 4 has one fix
    lines = segment_lines(fixes)
    kept = fixes[fixes["segment"] >= 0].sort_values("time")
    groups = kept.groupby("segment")
    assert list(lines["segment"]) == list(groups.size().index)
    assert list(lines["fixes"]) == list(groups.size())
    assert list(lines["started_at"]) == list(groups["time"].min())
    assert list(lines["ended_at"]) == list(groups["time"].max())
    assert str(lines["started_at"].dt.tz) == "UTC" and lines.crs == "EPSG:4326"
    for seg, line in zip(lines["segment"], lines.geometry, strict=True):
        expected = groups.get_group(seg)[["lon", "lat"]].to_numpy()
        if len(expected) == 1:
            expected = np.repeat(expected, 2, axis=0)
        assert np.array_equal(shapely.get_coordinates(line), expected)
