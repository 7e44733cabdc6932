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
HEADERS = st.one_of(
    st.just(AUTH),
    st.just({**AUTH, "Content-Type": "application/json"}),
    st.just({"Content-Type": "application/x-www-form-urlencoded"}),
    st.dictionaries(st.sampled_from(["Authorization", "content-type"]), st.text(max_size=30)),
)


def _check(parse: Callable[..., TrackerBatch], request: TrackerRequest, **kwargs: Any) -> None:
    try:
        batch = parse(request, now=NOW, limits=LIMITS, **kwargs)
    except GeoError:
        return
    earliest, latest = fix_time_window(NOW)
    assert len(batch.positions) <= LIMITS.max_positions
    for p in batch.positions:
        assert p.device_id == batch.credential
        assert earliest <= p.time <= latest and p.time.utcoffset() is not None
        assert -90 <= p.lat <= 90 and -180 <= p.lon <= 180 and (p.lat, p.lon) != (0, 0)
        for value in (p.accuracy_m, p.speed_kmh, p.battery_pct, p.bearing_deg):
            assert value is None or value >= 0
    assert 200 <= batch.reply.status < 300


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
