"""Layers as GeoJSON features: ids, bbox and time filters, pages (the core of the layer and
OGC routes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.errors import InvalidQuery
from geo.features import (
    feature_ids,
    parse_bbox,
    parse_datetime,
    select_features,
    spatial_extent,
    temporal_extent,
    to_features,
)
from geo.layers import TownshipLayers

TZ = ZoneInfo("Asia/Shanghai")


def test_every_camera_is_on_exactly_one_page(demo_layers: TownshipLayers) -> None:
    cameras = demo_layers.cameras
    seen: list[str] = []
    offset = 0
    while True:
        page = select_features("cameras", cameras, tz=TZ, limit=10, offset=offset)
        assert page.number_matched == 34 and page.number_returned <= 10
        seen += [f["id"] for f in page.features]
        if page.next_offset is None:
            break
        offset = page.next_offset
    assert seen == list(cameras["code"])
    assert page.prev_offset == 20


def test_bbox_keeps_what_intersects_it(demo_layers: TownshipLayers) -> None:
    cameras = demo_layers.cameras
    x = shapely.get_x(cameras.geometry.to_numpy())
    middle = float(np.median(x))
    page = select_features("cameras", cameras, tz=TZ, bbox=(109.0, 27.0, middle, 29.0), limit=1000)
    assert page.number_matched == int((x <= middle).sum())
    assert 0 < page.number_matched < 34
    # a village polygon crossing the box's edge counts
    villages = demo_layers.villages
    minx, miny, _, maxy = villages.geometry.iloc[0].bounds
    touching = select_features(
        "villages", villages, tz=TZ, bbox=(minx, miny, minx + 1e-4, maxy), limit=10
    )
    assert "433122207201" in [f["id"] for f in touching.features]


def test_features_are_rfc7946_with_json_values(demo_layers: TownshipLayers) -> None:
    flights = demo_layers.drone_flights
    feature = to_features("drone_flights", flights.iloc[:1])[0]
    assert feature["id"] == flights["flight_id"].iloc[0]
    assert feature["geometry"]["type"] == "LineString"
    assert len(feature["geometry"]["coordinates"][0]) == 3  # heights kept
    assert feature["properties"]["times_s"][:3] == [0.0, 11.0, 23.0]
    json.dumps(feature, allow_nan=False)


def test_unknown_heights_are_dropped_rather_than_written_as_nan() -> None:
    line = shapely.LineString([(110.0, 28.0, np.nan), (110.01, 28.0, np.nan)])
    frame = gpd.GeoDataFrame(
        {
            "flight_id": ["F1"],
            "started_at": [""],
            "ended_at": [""],
            "times_s": [""],
            "hfov_deg": [np.nan],
        },
        geometry=[line],
        crs="EPSG:4326",
    )
    feature = to_features("drone_flights", frame)[0]
    assert feature["geometry"]["coordinates"] == ((110.0, 28.0), (110.01, 28.0))
    assert feature["properties"]["hfov_deg"] is None
    json.dumps(feature, allow_nan=False)


def test_checkpoints_without_code_get_a_stable_id(demo_layers: TownshipLayers) -> None:
    checkpoints = demo_layers.checkpoints.copy()
    checkpoints.loc[checkpoints.index[:2], "code"] = ""
    ids = feature_ids("checkpoints", checkpoints)
    again = feature_ids("checkpoints", checkpoints.iloc[::-1])[::-1]
    assert ids[0].startswith("cp-") and ids[0] != ids[1]
    assert ids == again  # independent of the order
    assert ids[2:] == list(demo_layers.checkpoints["code"].iloc[2:])


def test_drone_flights_filtered_by_time(demo_layers: TownshipLayers) -> None:
    flights = demo_layers.drone_flights
    first = parse_datetime(flights["started_at"].iloc[0], TZ)
    page = select_features("drone_flights", flights, tz=TZ, interval=first, limit=10)
    assert [f["id"] for f in page.features] == [flights["flight_id"].iloc[0]]
    everything = parse_datetime("2000-01-01T00:00:00Z/..", TZ)
    assert select_features(
        "drone_flights", flights, tz=TZ, interval=everything
    ).number_matched == len(flights)
    extent = temporal_extent("drone_flights", flights, TZ)
    assert extent is not None and extent.start is not None and extent.end is not None
    nothing = parse_datetime(f"../{(extent.start.replace(year=2000)).isoformat()}", TZ)
    assert select_features("drone_flights", flights, tz=TZ, interval=nothing).number_matched == 0
    with pytest.raises(InvalidQuery, match="has no time"):
        select_features("cameras", demo_layers.cameras, tz=TZ, interval=first)


def test_datetime_forms() -> None:
    instant = parse_datetime("2026-11-04T09:30:00+08:00", TZ)
    assert instant.start == instant.end == datetime(2026, 11, 4, 1, 30, tzinfo=UTC)
    open_end = parse_datetime("2026-11-04T00:00:00Z/..", TZ)
    assert open_end.end is None and open_end.start == datetime(2026, 11, 4, tzinfo=UTC)
    open_start = parse_datetime("/2026-11-04T00:00:00Z", TZ)
    assert open_start.start is None
    day = parse_datetime("2026-11-04", TZ)  # a local day
    assert day.start == datetime(2026, 11, 4, tzinfo=TZ)
    assert day.end is not None and day.end.date().isoformat() == "2026-11-04"
    naive = parse_datetime("2026-11-04T09:30:00", TZ)
    assert naive.start == datetime(2026, 11, 4, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("yesterday", "not an RFC 3339 time"),
        ("../..", "open on both sides"),
        ("2026-11-05T00:00:00Z/2026-11-04T00:00:00Z", "ends before it starts"),
        ("", "empty"),
    ],
)
def test_bad_datetimes_are_named(text: str, words: str) -> None:
    with pytest.raises(InvalidQuery, match=words):
        parse_datetime(text, TZ)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1,2,3", "needs 4 numbers"),
        ("a,b,c,d", "not a list of numbers"),
        ("110,28,109,29", "minimum above its maximum"),
        ("28,110,29,111", "outside longitude"),
        ("nan,1,2,3", "not finite"),
    ],
)
def test_bad_bboxes_are_named(text: str, words: str) -> None:
    with pytest.raises(InvalidQuery, match=words):
        parse_bbox(text)


def test_bbox_parsing() -> None:
    assert parse_bbox("109.8, 28.05, 110.0, 28.25") == (109.8, 28.05, 110.0, 28.25)
    assert parse_bbox("109.8,28.05,0,110.0,28.25,500") == (109.8, 28.05, 110.0, 28.25)


def test_spatial_extent_is_the_layers_box(demo_layers: TownshipLayers) -> None:
    box = spatial_extent(demo_layers.villages)
    assert box is not None
    assert box == tuple(float(v) for v in demo_layers.villages.total_bounds)
    assert 109.8 < box[0] < box[2] < 110.0 and 28.05 < box[1] < box[3] < 28.25
