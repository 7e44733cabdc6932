"""OwnTracks HTTP mode read from published messages.

Samples: the OwnTracks booklet's Traccar page (features/traccar: the minimal HTTP payload), the
location fixture of the OwnTracks Android app's own tests (owntracks/android,
LocationMessageRetryTest), and the booklet poster's transition message.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from geo.errors import AuthenticationRequired, InvalidInput, PayloadTooLarge
from geo.ingest.trackers import (
    Protocol,
    TrackerLimits,
    TrackerRequest,
    answer_refused,
    answer_retry,
    parse_owntracks,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
BOOKLET_TRACCAR = b'{"lon":2.29513,"lat":48.85833,"_type":"location","tst":1497476456, "tid":"JJ"}'
ANDROID_FIXTURE = (
    b'{"_type":"location","acc":20,"al":0,"batt":100,"bs":0,"conn":"w","created_at":1610748273,'
    b'"lat":51.2,"lon":-4,"tid":"aa","tst":1610799026,"vac":40,"vel":7}'
)
POSTER_TRANSITION = (
    b'{"_type":"transition","wtst":1425042603,"lat":12.34,"lon":44.5,"tst":1427634603,'
    b'"acc":130,"tid":"JP","event":"enter","desc":"my Indian restaurant","t":"b"}'
)


def post(body: bytes, user: str = "squad-01", password: str = "DEVICE-ID") -> TrackerRequest:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    return TrackerRequest(
        method="POST",
        body=body,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Basic {auth}",
            "X-Limit-U": user,
            "X-Limit-D": "phone",
        },
    )


def test_booklet_minimal_location() -> None:
    batch = parse_owntracks(post(BOOKLET_TRACCAR), now=NOW)
    (p,) = batch.positions
    assert batch.protocol is Protocol.OWNTRACKS
    assert batch.credential == "DEVICE-ID" and batch.username == "squad-01"
    assert p.device_id == "DEVICE-ID"
    assert (p.lat, p.lon) == (48.85833, 2.29513)
    assert p.time == datetime(2017, 6, 14, 21, 40, 56, tzinfo=UTC)
    assert batch.reply.status == 200 and batch.reply.body == b"[]"
    assert batch.reply.media_type == "application/json"


def test_android_fixture_units() -> None:
    (p,) = parse_owntracks(post(ANDROID_FIXTURE), now=NOW).positions
    assert p.time == datetime(2021, 1, 16, 12, 10, 26, tzinfo=UTC)  # tst, not created_at
    assert (p.lat, p.lon, p.accuracy_m, p.battery_pct) == (51.2, -4.0, 20.0, 100.0)
    assert p.speed_kmh == 7.0  # vel is already km/h
    assert p.altitude_m is None and p.bearing_deg is None


def test_other_types_and_empty_bodies_are_accepted_and_ignored() -> None:
    for body in (POSTER_TRANSITION, b"", b'{"_type":"lwt","tst":1376715317}'):
        batch = parse_owntracks(post(body), now=NOW)
        assert batch.positions == [] and batch.ignored == 1
        assert batch.reply.status == 200 and batch.reply.body == b"[]"


def test_basic_auth_is_required() -> None:
    with pytest.raises(AuthenticationRequired):
        parse_owntracks(TrackerRequest(method="POST", body=BOOKLET_TRACCAR), now=NOW)
    with pytest.raises(AuthenticationRequired):
        parse_owntracks(post(BOOKLET_TRACCAR, password=""), now=NOW)
    broken = TrackerRequest(body=BOOKLET_TRACCAR, headers={"Authorization": "Basic ***"})
    with pytest.raises(InvalidInput):
        parse_owntracks(broken, now=NOW)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"_type":"location","lon":2.3,"tst":1497476456}', "lat"),
        (b'{"_type":"location","lat":48.8,"lon":2.3}', "tst"),
        (b'{"_type":"location","lat":0,"lon":0,"tst":1497476456}', "lat"),
        (b'{"_type":"location","lat":"48.8","lon":2.3,"tst":1497476456}', "lat"),
        (b'{"_type":"location","lat":48.8,"lon":2.3,"tst":1e30}', "tst"),
        (b'{"_type":"location","lat":48.8,"lon":2.3,"tst":900000000}', "tst"),
        (b'{"_type":"location","lat":48.8,"lon":2.3,"tst":1497476456,"batt":101}', "batt"),
        (b'{"_type":"location","lat":48.8,"lon":2.3,"tst":1497476456,"vel":-1}', "vel"),
        (b'{"_type":"location","lat":48.8,"lon":2.3,"tst":1497476456,"cog":true}', "cog"),
        (b'{"_type":"encrypted","data":"c2VjcmV0"}', "_type"),
        (b"[1,2]", "body"),
        (b"{", "body"),
    ],
)
def test_bad_data_names_the_field(body: bytes, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_owntracks(post(body), now=NOW)
    assert caught.value.place == field


def test_body_limit() -> None:
    with pytest.raises(PayloadTooLarge, match="at most 20"):
        parse_owntracks(post(BOOKLET_TRACCAR), now=NOW, limits=TrackerLimits(max_body_bytes=20))


def test_answers_are_json_arrays() -> None:
    refused = answer_refused(Protocol.OWNTRACKS, InvalidInput("lat is missing"))
    assert refused.status == 422 and refused.body == b"[]"
    retry = answer_retry(Protocol.OWNTRACKS)
    assert retry.status == 503 and retry.body == b"[]" and "Retry-After" in retry.headers
