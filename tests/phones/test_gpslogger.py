"""GPSLogger for Android's custom URL: the documented template, and the ``%ALL`` body.

The values are what GPSLogger's CustomUrlManager (mendhak/gpslogger) writes for each
placeholder; the ``%ALL`` body is one GPSLogger sent, as recorded in the crataegus project's
tests (ozymandium/crataegus). docs/phones.md cites both.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from geo.errors import AuthenticationRequired, InvalidInput
from geo.ingest.trackers import (
    GPSLOGGER_QUERY,
    Protocol,
    TrackerRequest,
    gpslogger_url,
    parse_gpslogger,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
AUTH = {"Authorization": "Basic " + base64.b64encode(b"phone-2:DEVICE-ID").decode()}

# GPSLogger's %ALL form body (a real request, 2025-01-16).
ALL_BODY = (
    b"lat=41.74108695983887&lon=-91.84490871429443&sat=0&desc=&alt=1387.0&acc=6.0"
    b"&dir=170.8125&prov=gps&spd_kph=0.0&spd=0.0&timestamp=1736999691"
    b"&timeoffset=2025-01-15T20:54:51.000-07:00&time=2025-01-16T03:54:51.000Z"
    b"&starttimestamp=1737000139&date=2025-01-16&batt=27.0&ischarging=false"
    b"&aid=4ca9e1da592aca9b&ser=4ca9e1da592aca9b&act=&filename=20250115"
    b"&profile=Default+Profile&hdop=&vdop=&pdop=&dist=0&"
)


def fill(template: str, values: dict[str, str]) -> str:
    """Replace placeholders as GPSLogger does (longest names first, so %TIMESTAMP wins)."""
    for name in sorted(values, key=len, reverse=True):
        template = template.replace(f"%{name}", values[name])
    return template


def test_template_filled_as_gpslogger_fills_it() -> None:
    url = gpslogger_url("https://geo.example.cn/api/v1/phones/gpslogger")
    filled = fill(
        url,
        {
            "LAT": "28.1503",
            "LON": "109.9012",
            "TIMESTAMP": "1763456405",
            "TIME": "2025-11-18T09:00:05.000Z",
            "ACC": "8.0",
            "ALT": "412.0",
            "SPD": "1.25",
            "DIR": "270.5",
            "BATT": "64.0",
            "AID": "4ca9e1da592aca9b",
            "SER": "4ca9e1da592aca9b",
            "PROV": "gps",
        },
    )
    assert "%" not in filled
    batch = parse_gpslogger(TrackerRequest(query=filled.split("?", 1)[1], headers=AUTH), now=NOW)
    (p,) = batch.positions
    assert batch.protocol is Protocol.GPSLOGGER
    assert batch.credential == "DEVICE-ID" and batch.username == "phone-2"
    assert p.time == datetime(2025, 11, 18, 9, 0, 5, tzinfo=UTC)
    assert (p.lat, p.lon, p.accuracy_m, p.altitude_m) == (28.1503, 109.9012, 8.0, 412.0)
    assert p.speed_kmh == pytest.approx(1.25 * 3.6)  # %SPD is m/s
    assert (p.bearing_deg, p.battery_pct) == (270.5, 64.0)
    assert batch.reply.status == 200


def test_all_body_posted_as_form() -> None:
    request = TrackerRequest(
        method="POST",
        body=ALL_BODY,
        headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    (p,) = parse_gpslogger(request, now=NOW).positions
    assert p.time == datetime(2025, 1, 16, 3, 54, 51, tzinfo=UTC)
    assert (p.lat, p.lon) == (41.74108695983887, -91.84490871429443)
    assert (p.accuracy_m, p.altitude_m, p.bearing_deg, p.battery_pct) == (
        6.0,
        1387.0,
        170.8125,
        27.0,
    )
    assert p.speed_kmh == 0.0


def test_iso_time_when_no_timestamp() -> None:
    query = "lat=28.1503&lon=109.9012&time=2025-11-18T09:00:05.000Z&spd_kph=12.5"
    (p,) = parse_gpslogger(TrackerRequest(query=query, headers=AUTH), now=NOW).positions
    assert p.time == datetime(2025, 11, 18, 9, 0, 5, tzinfo=UTC) and p.speed_kmh == 12.5


def test_template_names_every_field_read() -> None:
    for name in ("lat=%LAT", "lon=%LON", "timestamp=%TIMESTAMP", "acc=%ACC", "spd=%SPD"):
        assert name in GPSLOGGER_QUERY


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lon=109.9&timestamp=1763456405", "lat"),
        ("lat=28.1&lon=109.9", "time"),
        ("lat=0.0&lon=0.0&timestamp=1763456405", "lat"),
        ("lat=28.1&lon=109.9&timestamp=%TIMESTAMP", "timestamp"),
        ("lat=28.1&lon=109.9&time=2025-11-18T25:00:00Z", "time"),
        ("lat=28.1&lon=109.9&timestamp=1763456405&spd=-1.0", "spd"),
        ("lat=28.1&lon=109.9&timestamp=1763456405&acc=NaN", "acc"),
        ("lat=28.1&lon=109.9&timestamp=1763456405&batt=-1.0", "batt"),
    ],
)
def test_bad_data_names_the_field(query: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_gpslogger(TrackerRequest(query=query, headers=AUTH), now=NOW)
    assert caught.value.place == field


def test_basic_auth_is_required_and_json_bodies_refused() -> None:
    with pytest.raises(AuthenticationRequired):
        parse_gpslogger(TrackerRequest(query="lat=28.1&lon=109.9"), now=NOW)
    request = TrackerRequest(
        method="POST", body=b'{"lat": 1}', headers={**AUTH, "Content-Type": "application/json"}
    )
    with pytest.raises(InvalidInput) as caught:
        parse_gpslogger(request, now=NOW)
    assert caught.value.place == "body"
