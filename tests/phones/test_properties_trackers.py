"""Property tests of the tracker readers: any request in, a batch of checked positions or a
:class:`GeoError`, never another exception.

Bounded in ``make test`` (profile ``bounded`` in tests/conftest.py), longer in ``make fuzz``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from geo.errors import GeoError
from geo.ingest.cleaning import fix_time_window
from geo.ingest.trackers import (
    TrackerBatch,
    TrackerLimits,
    TrackerRequest,
    parse_gpslogger,
    parse_osmand,
    parse_owntracks,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LIMITS = TrackerLimits(max_positions=5, max_body_bytes=5000)
AUTH = {"Authorization": "Basic " + base64.b64encode(b"u:DEVICE-ID").decode()}

NAMES = st.sampled_from(
    [
        "id", "deviceid", "lat", "lon", "location", "timestamp", "speed", "bearing", "heading",
        "altitude", "accuracy", "hdop", "batt", "valid", "time", "acc", "alt", "spd", "spd_kph",
        "dir", "x",
    ]
)  # fmt: skip
VALUES = st.one_of(
    st.from_regex(r"\A-?[0-9]{0,12}(\.[0-9]{0,8})?([eE]-?[0-9]{1,3})?\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-]08:00)?\Z"),
    st.sampled_from(["NaN", "Infinity", "-0", "true", "0,0", "60.0,30.0", "1e309", ""]),
    st.text(max_size=20),
)
FORMS = st.lists(st.tuples(NAMES, VALUES), max_size=12).map(
    lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)
)
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.booleans(),
    st.text(max_size=5),
    st.none(),
)
COORDS = st.fixed_dictionaries(
    {},
    optional={
        k: NUMBERS for k in ("latitude", "longitude", "accuracy", "speed", "heading", "altitude")
    },
)
LOCATION = st.fixed_dictionaries(
    {},
    optional={
        "timestamp": st.one_of(st.just("2025-06-15T13:45:12.862Z"), st.text(max_size=25)),
        "coords": st.one_of(COORDS, NUMBERS),
        "battery": st.one_of(st.fixed_dictionaries({}, optional={"level": NUMBERS}), NUMBERS),
    },
)
TRACCAR_JSON = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "location": st.one_of(LOCATION, st.lists(LOCATION, max_size=7), NUMBERS),
            "device_id": st.one_of(st.just("48241179"), NUMBERS),
        },
    ),
    st.lists(st.fixed_dictionaries({"location": LOCATION, "device_id": st.just("1")}), max_size=7),
    NUMBERS,
)
OWNTRACKS_JSON = st.one_of(
    st.fixed_dictionaries(
        {"_type": st.sampled_from(["location", "transition", "lwt", "x"])},
        optional={k: NUMBERS for k in ("lat", "lon", "tst", "acc", "alt", "vel", "cog", "batt")},
    ),
    NUMBERS,
    st.lists(NUMBERS, max_size=3),
)
# Requests close to valid ones (a position and a time, each value drawn around its range), so
# that the checks on accepted fixes run as often as the refusals.
NEAR_LAT = st.floats(-95, 95)
NEAR_LON = st.floats(-185, 185)
NEAR_VALUE = st.one_of(st.floats(0, 90), st.none(), st.floats(-50, 2000))
NEAR_EPOCH = st.one_of(st.integers(946_684_800, 1_800_000_000), st.integers(0, 4_300_000_000))
NEAR_TIME = st.one_of(  # every form the OsmAnd decoder reads
    NEAR_EPOCH.map(str),
    NEAR_EPOCH.map(lambda seconds: str(seconds * 1000 + 123)),
    st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1)).map(lambda d: d.isoformat() + "Z"),
    st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1)).map(
        lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
    ),
)


def _form(fixed: dict[str, Any], optional: dict[str, Any]) -> str:
    pairs = {**fixed, **{k: v for k, v in optional.items() if v is not None}}
    return urlencode({k: repr(v) if isinstance(v, float) else v for k, v in pairs.items()})


NEAR_OSMAND = st.builds(
    _form,
    st.fixed_dictionaries(
        {"id": st.just("123456"), "lat": NEAR_LAT, "lon": NEAR_LON, "timestamp": NEAR_TIME}
    ),
    st.fixed_dictionaries(
        {k: NEAR_VALUE for k in ("speed", "bearing", "altitude", "accuracy", "hdop", "batt")}
    ),
)
NEAR_GPSLOGGER = st.builds(
    _form,
    st.fixed_dictionaries({"lat": NEAR_LAT, "lon": NEAR_LON, "timestamp": NEAR_EPOCH}),
    st.fixed_dictionaries({k: NEAR_VALUE for k in ("spd", "dir", "alt", "acc", "batt")}),
)
NEAR_TRACCAR = st.builds(
    lambda lat, lon, time, coords, level: {
        "location": {
            "timestamp": time,
            "coords": {"latitude": lat, "longitude": lon, **coords},
            "battery": {"level": level},
        },
        "device_id": "48241179",
    },
    NEAR_LAT,
    NEAR_LON,
    st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1)).map(lambda d: d.isoformat() + "Z"),
    st.fixed_dictionaries({k: st.floats(-2, 2000) for k in ("speed", "heading", "accuracy")}),
    st.floats(-1, 1.5),
)
NEAR_OWNTRACKS = st.builds(
    lambda lat, lon, tst, extra: {
        "_type": "location",
        "lat": lat,
        "lon": lon,
        "tst": tst,
        **{k: v for k, v in extra.items() if v is not None},
    },
    NEAR_LAT,
    NEAR_LON,
    NEAR_EPOCH,
    st.fixed_dictionaries({k: NEAR_VALUE for k in ("acc", "alt", "vel", "cog", "batt")}),
)

HEADERS = st.one_of(
    st.just(AUTH),
    st.just({**AUTH, "Content-Type": "application/json"}),
    st.just({"Content-Type": "application/x-www-form-urlencoded"}),
    st.dictionaries(st.sampled_from(["Authorization", "content-type"]), st.text(max_size=30)),
)


def _check(
    parse: Callable[..., TrackerBatch], request: TrackerRequest, **kwargs: Any
) -> TrackerBatch | None:
    try:
        batch = parse(request, now=NOW, limits=LIMITS, **kwargs)
    except GeoError:
        return None
    earliest, latest = fix_time_window(NOW)
    assert len(batch.positions) <= LIMITS.max_positions
    for p in batch.positions:
        assert p.device_id == batch.credential
        assert earliest <= p.time <= latest and p.time.utcoffset() is not None
        assert -90 <= p.lat <= 90 and -180 <= p.lon <= 180 and (p.lat, p.lon) != (0, 0)
        for value in (p.accuracy_m, p.speed_kmh, p.battery_pct, p.bearing_deg):
            assert value is None or value >= 0
    assert 200 <= batch.reply.status < 300
    return batch


def _in_range(value: float | None, low: float, high: float) -> bool:
    return value is None or low <= value <= high


@given(query=NEAR_OSMAND)
def test_osmand_near_valid(query: str) -> None:
    fields = dict(parse_qsl(query))
    batch = _check(parse_osmand, TrackerRequest(query=query))
    lat, lon = float(fields["lat"]), float(fields["lon"])
    ok = -90 <= lat <= 90 and -180 <= lon <= 180 and (lat, lon) != (0, 0)
    ok = ok and _in_range(_f(fields, "speed"), 0, 1000 / 1.852)
    ok = ok and _in_range(_f(fields, "bearing"), 0, 360)
    ok = ok and _in_range(_f(fields, "batt"), 0, 100) and _in_range(_f(fields, "accuracy"), 0, 1e5)
    if "accuracy" not in fields:
        ok = ok and _in_range(_f(fields, "hdop"), 0, 1e5)
    if not ok:
        assert batch is None
    elif batch is not None:
        (p,) = batch.positions
        assert (p.lat, p.lon) == (lat, lon)
        if "speed" in fields:
            assert p.speed_kmh == pytest.approx(float(fields["speed"]) * 1.852)


def _f(fields: dict[str, str], key: str) -> float | None:
    return float(fields[key]) if key in fields else None


@given(query=NEAR_GPSLOGGER)
def test_gpslogger_near_valid(query: str) -> None:
    fields = dict(parse_qsl(query))
    batch = _check(parse_gpslogger, TrackerRequest(query=query, headers=AUTH))
    earliest, latest = fix_time_window(NOW)
    time = datetime.fromtimestamp(int(fields["timestamp"]), UTC)
    lat, lon = float(fields["lat"]), float(fields["lon"])
    ok = -90 <= lat <= 90 and -180 <= lon <= 180 and (lat, lon) != (0, 0)
    ok = ok and earliest <= time <= latest and _in_range(_f(fields, "spd"), 0, 1000 / 3.6)
    ok = ok and _in_range(_f(fields, "dir"), 0, 360) and _in_range(_f(fields, "batt"), 0, 100)
    ok = ok and _in_range(_f(fields, "acc"), 0, 1e5) and _in_range(_f(fields, "alt"), -1000, 1e4)
    assert (batch is not None) == ok
    if batch is not None:
        assert batch.positions[0].time == time


def _fix_ok(lat: float, lon: float, time: datetime) -> bool:
    earliest, latest = fix_time_window(NOW)
    return (
        -90 <= lat <= 90
        and -180 <= lon <= 180
        and (lat, lon) != (0, 0)
        and earliest <= time <= latest
    )


@given(doc=NEAR_TRACCAR)
def test_traccar_json_near_valid(doc: dict[str, Any]) -> None:
    batch = _check(parse_osmand, TrackerRequest(method="POST", body=json.dumps(doc).encode()))
    location = doc["location"]
    coords, level = location["coords"], location["battery"]["level"]
    time = datetime.fromisoformat(location["timestamp"])
    ok = _fix_ok(coords["latitude"], coords["longitude"], time)
    ok = ok and (coords["speed"] < 0 or coords["speed"] * 3.6 <= 1000)
    ok = ok and (coords["heading"] < 0 or coords["heading"] <= 360)
    ok = ok and 0 <= coords["accuracy"] <= 1e5 and level <= 1
    assert (batch is not None) == ok
    if batch is not None:
        (p,) = batch.positions
        speed = coords["speed"]
        assert p.time == time
        assert p.speed_kmh == (pytest.approx(speed * 3.6) if speed >= 0 else None)
        assert p.battery_pct == (pytest.approx(level * 100) if level >= 0 else None)


@given(doc=NEAR_OWNTRACKS)
def test_owntracks_near_valid(doc: dict[str, Any]) -> None:
    batch = _check(parse_owntracks, TrackerRequest(body=json.dumps(doc).encode(), headers=AUTH))
    time = datetime.fromtimestamp(doc["tst"], UTC)
    ok = _fix_ok(doc["lat"], doc["lon"], time)
    ranges = {"acc": (0, 1e5), "alt": (-1000, 1e4), "vel": (0, 1000), "cog": (0, 360)}
    ranges["batt"] = (0, 100)
    ok = ok and all(_in_range(doc.get(k), *bounds) for k, bounds in ranges.items())
    assert (batch is not None) == ok
    if batch is not None:
        (p,) = batch.positions
        assert p.time == time and p.speed_kmh == doc.get("vel")


@given(query=FORMS, body=st.one_of(FORMS, st.just("")), headers=HEADERS)
@example(query="id=1&lat=28.1&lon=109.9&timestamp=1763456405&speed=3", body="", headers={})
@example(query="id=1&lat=1e309&lon=3", body="", headers={})
@example(query="id=1&timestamp=99999999999999999999&lat=1&lon=1", body="", headers={})
@example(query="id=1&timestamp=-9223372036854775808&lat=1&lon=1", body="", headers={})
@example(query="id=1&timestamp=9999-12-31T23:59:59-23:59&lat=1&lon=1", body="", headers={})
@example(query="id=1&timestamp=0001-01-01T00:00:00%2B23:59&lat=1&lon=1", body="", headers={})
@example(query="", body="id=%FF&lat=1&lon=2", headers={})
def test_osmand_forms(query: str, body: str, headers: dict[str, str]) -> None:
    _check(parse_osmand, TrackerRequest(query=query, body=body.encode(), headers=headers))


@given(doc=TRACCAR_JSON, headers=HEADERS)
@example(doc={"location": {"timestamp": "2025-06-15T13:45:12Z"}, "device_id": 1}, headers={})
@example(
    doc={
        "location": [
            {"timestamp": "2025-06-15T13:45:12Z", "coords": {"latitude": 1, "longitude": 2}}
        ],
        "device_id": 7,
    },
    headers={},
)
def test_traccar_json(doc: Any, headers: dict[str, str]) -> None:
    body = json.dumps(doc, allow_nan=True).encode()
    _check(parse_osmand, TrackerRequest(method="POST", body=body, headers=headers))


@given(doc=OWNTRACKS_JSON, headers=HEADERS)
@example(doc={"_type": "location", "lat": 1, "lon": 1, "tst": 10**20}, headers=AUTH)
@example(doc={"_type": "location", "lat": 28.1, "lon": 109.9, "tst": 1763456405}, headers=AUTH)
def test_owntracks(doc: Any, headers: dict[str, str]) -> None:
    body = json.dumps(doc, allow_nan=True).encode()
    _check(parse_owntracks, TrackerRequest(method="POST", body=body, headers=headers))


@given(query=FORMS, body=st.one_of(FORMS, st.just("")), headers=HEADERS)
@example(query="lat=28.1&lon=109.9&timestamp=1763456405&spd=1.5", body="", headers=AUTH)
def test_gpslogger(query: str, body: str, headers: dict[str, str]) -> None:
    _check(parse_gpslogger, TrackerRequest(query=query, body=body.encode(), headers=headers))


@given(body=st.binary(max_size=300), query=st.text(max_size=60), headers=HEADERS)
def test_any_bytes(body: bytes, query: str, headers: dict[str, str]) -> None:
    for parse in (parse_osmand, parse_owntracks, parse_gpslogger):
        _check(parse, TrackerRequest(method="POST", query=query, body=body, headers=headers))
