"""The road-free check for undeclared GCJ-02/BD-09: a patrol passes checkpoints and cameras."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.typing import NDArray

from geo.errors import InvalidFile
from geo.ingest import plausibility
from geo.ingest.chinacrs import wgs84_to_bd09, wgs84_to_gcj02
from geo.ingest.pipeline import prepare_upload
from geo.layers import TownshipLayers
from geo.projection import from_metric, to_metric
from geo.simulate import simulate_week
from geo.tracks.gpx_write import write_gpx
from geo.weeks import IsoWeek
from tests.tracks.exports import FOREST_ROUND, forest_patrol

FloatArray = NDArray[np.float64]


def median_road_m(layers: TownshipLayers, lon: FloatArray, lat: FloatArray) -> float:
    roads = shapely.union_all(layers.metric("roads").geometry.to_numpy())
    x, y = to_metric(lon, lat, layers.info.metric_crs)
    return float(np.median(shapely.distance(shapely.points(x, y), roads)))


def gpx(track: pd.DataFrame, lon: FloatArray, lat: FloatArray) -> bytes:
    return write_gpx(lon, lat, track["time"])


def upload(layers: TownshipLayers, data: bytes, **kw: str) -> dict[str, object]:
    prepared = prepare_upload(data, filename="forest.gpx", layers=layers, squad="squad-04", **kw)
    return prepared.upload.report


@pytest.fixture(scope="module")
def patrol(demo_layers: TownshipLayers) -> pd.DataFrame:
    track = forest_patrol(demo_layers, FOREST_ROUND)
    lon, lat = track["lon"].to_numpy(), track["lat"].to_numpy()
    # Off the road network: the road test cannot tell which system this is.
    assert median_road_m(demo_layers, lon, lat) > plausibility.OFF_ROAD_M
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    assert median_road_m(demo_layers, g_lon, g_lat) > plausibility.ON_ROAD_M
    return track


@pytest.mark.parametrize(
    ("actual", "forward"), [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)]
)
def test_off_road_patrol_in_a_chinese_system_sent_as_wgs84_is_refused(
    demo_layers: TownshipLayers, patrol: pd.DataFrame, actual: str, forward: object
) -> None:
    lon, lat = forward(patrol["lon"].to_numpy(), patrol["lat"].to_numpy())  # type: ignore[operator]
    for crs in ({}, {"crs": "wgs84"}):
        with pytest.raises(InvalidFile) as caught:
            upload(demo_layers, gpx(patrol, lon, lat), **crs)
        detail = caught.value.detail
        assert f"look like {actual.upper()}, not WGS84" in detail
        assert "passes none of the township's checkpoints and cameras" in detail
        assert f"crs={actual}" in detail


@pytest.mark.parametrize(("crs", "forward"), [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_the_same_patrol_sent_with_its_system_is_stored_without_warning(
    demo_layers: TownshipLayers, patrol: pd.DataFrame, crs: str, forward: object
) -> None:
    lon, lat = forward(patrol["lon"].to_numpy(), patrol["lat"].to_numpy())  # type: ignore[operator]
    report = upload(demo_layers, gpx(patrol, lon, lat), crs=crs)
    assert report["source_crs"] == crs
    assert report["warnings"] == []


def test_a_genuine_wgs84_forest_patrol_is_not_flagged(
    demo_layers: TownshipLayers, patrol: pd.DataFrame
) -> None:
    report = upload(demo_layers, gpx(patrol, patrol["lon"].to_numpy(), patrol["lat"].to_numpy()))
    assert report["source_crs"] == "wgs84"
    assert report["warnings"] == []


def test_wgs84_forest_patrol_declared_gcj02_is_refused(
    demo_layers: TownshipLayers, patrol: pd.DataFrame
) -> None:
    data = gpx(patrol, patrol["lon"].to_numpy(), patrol["lat"].to_numpy())
    with pytest.raises(InvalidFile, match="look like WGS84, not GCJ02"):
        upload(demo_layers, data, crs="gcj02")


def test_two_places_only_in_another_system_is_a_warning_not_a_refusal(
    demo_layers: TownshipLayers,
) -> None:
    track = forest_patrol(demo_layers, ("CP-13", "CP-15"))
    lon, lat = wgs84_to_gcj02(track["lon"].to_numpy(), track["lat"].to_numpy())
    report = upload(demo_layers, gpx(track, lon, lat))
    assert report["source_crs"] == "wgs84"
    (warning,) = report["warnings"]  # type: ignore[misc]
    assert warning["code"] == "crs_suspect"
    assert "GCJ-02（火星坐标）" in warning["zh"] and "crs=gcj02" in warning["zh"]
    assert "may be GCJ02, not WGS84" in warning["en"]


def test_a_forest_walk_past_no_landmark_is_not_flagged(demo_layers: TownshipLayers) -> None:
    """Nothing to measure against: no refusal, no warning, whatever the system."""
    track = forest_patrol(demo_layers, ("CP-13", "CP-15"), seed=3)
    far = track.iloc[60:140]  # the middle of the leg, 500 m from any checkpoint
    for lon, lat in (
        (far["lon"].to_numpy(), far["lat"].to_numpy()),
        wgs84_to_gcj02(far["lon"].to_numpy(), far["lat"].to_numpy()),
    ):
        assert upload(demo_layers, gpx(far, lon, lat))["warnings"] == []


def test_no_false_alarm_on_the_simulated_demo_week(demo_layers: TownshipLayers) -> None:
    """Every track of the demo week, read as the WGS-84 it is: the road-free test alone (not
    only the whole check, whose road test passes them first) neither refuses nor warns."""
    tracks = simulate_week(demo_layers, IsoWeek.parse("2026-W47"))
    assert len(tracks) > 30
    for t in tracks:
        lon, lat = t.fixes["lon"].to_numpy(), t.fixes["lat"].to_numpy()
        kw = {"source_crs": "wgs84", "layers": demo_layers, "source": t.squad}
        assert plausibility.check_plausible(lon, lat, lon, lat, **kw) == []  # type: ignore[arg-type]
        assert plausibility._landmark_check(lon, lat, lon, lat, **kw) == []  # type: ignore[arg-type]


def test_places_are_counted_once_and_gaps_are_not_movement(demo_layers: TownshipLayers) -> None:
    crs = demo_layers.info.metric_crs
    landmarks = np.array([[0.0, 0.0], [50.0, 0.0], [1000.0, 0.0]])
    x = np.array([-10.0, 60.0, 2000.0])  # passes the first two (one place); jumps past the third
    y = np.full(3, 5.0)
    lon, lat = from_metric(x + 392000.0, y + 3115000.0, crs)
    shifted = landmarks + np.array([392000.0, 3115000.0])
    assert plausibility.places_passed(lon, lat, shifted, crs) == 1
    assert plausibility.places_passed(lon, lat, shifted, crs, max_step_m=5000.0) == 2


def test_roads_are_projected_once_per_layers_object(
    demo_layers: TownshipLayers, patrol: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The projected road network is kept with the layers object, not rebuilt per upload;
    another layers object (the township edited) gets its own."""
    layers = dataclasses.replace(demo_layers)  # a layers object no other test has used
    projected: list[str] = []
    metric = TownshipLayers.metric

    def counting(self: TownshipLayers, name: str) -> gpd.GeoDataFrame:
        projected.append(name)
        return metric(self, name)

    monkeypatch.setattr(TownshipLayers, "metric", counting)
    lon, lat = wgs84_to_gcj02(patrol["lon"].to_numpy(), patrol["lat"].to_numpy())
    data = gpx(patrol, lon, lat)
    for _ in range(3):
        upload(layers, data, crs="gcj02")
    assert projected.count("roads") == 1
    edited = layers.without_roads()
    upload(edited, data, crs="gcj02")
    assert projected.count("roads") == 2
    assert plausibility.township_index(edited).roads is None
    assert plausibility.township_index(layers).roads is not None
