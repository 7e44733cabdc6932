"""The tracker apps' endpoints on both stores: each protocol's requests in the apps' published
formats (the samples of tests/phones, moved onto the demo township's first road and into
2026-W47) through the app, found in the week's coverage and the daily view; replays stored
once; unknown and revoked devices refused; bad data and batches over the limit refused; the
admin routes that register phones and draw their set-up codes."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from geo import phones
from geo.api.app import create_app
from geo.devices import decode_owntracks_link, new_device_id
from geo.errors import StoreUnavailable
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.settings import ServerSettings
from geo.store import Store
from tests.api.test_coverage_api import bearer, settings_for

WEEK = "2026-W47"
#: 09:00 on 2026-11-18 in the township (UTC+8).
START = datetime(2026, 11, 18, 1, 0, tzinfo=UTC)


@pytest.fixture
def admin(store: Store, demo_layers: TownshipLayers) -> dict[str, str]:
    store.save_layers(demo_layers)
    return bearer(store, Role.ADMIN)


def make_client(store: Store, tmp_path: Path, **server: Any) -> TestClient:
    settings = settings_for(store, tmp_path)
    if server:
        settings = replace(settings, server=ServerSettings(**server))
    return TestClient(create_app(settings))


@pytest.fixture
def client(store: Store, admin: dict[str, str], tmp_path: Path) -> Iterator[TestClient]:
    with make_client(store, tmp_path) as c:
        yield c


def register(
    client: TestClient, admin: dict[str, str], squad: str = "squad-01", **extra: str
) -> str:
    """A new device of ``squad``: its id as issued."""
    made = client.post("/api/v1/devices", json={"squad": squad, **extra}, headers=admin)
    assert made.status_code == 201, made.text
    device_id: str = made.json()["device_id"]
    return device_id


def road_fixes(
    layers: TownshipLayers, n: int, *, first: int = 0
) -> list[tuple[datetime, float, float]]:
    """``n`` fixes riding the first road, one every 5 s from 09:00 local on 2026-11-18."""
    line = layers.roads.geometry.iloc[0]
    out = []
    for k in range(first, first + n):
        p = line.interpolate(k / 200, normalized=True)
        out.append((START + timedelta(seconds=5 * k), round(p.y, 7), round(p.x, 7)))
    return out


def week(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    answer = client.get(f"/api/v1/coverage/{WEEK}", headers=admin)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def stored_fixes(store: Store) -> int:
    return sum(u.report["fixes_kept"] for u in store.uploads("433122207"))


def basic(password: str, user: str = "squad-01") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# ----------------------------------------------------------------------------------------
# OsmAnd protocol: query (OsmAnd, Traccar Client before 9), form, and Traccar Client 9's JSON


def osmand_query(device_id: str, fix: tuple[datetime, float, float]) -> str:
    """The OsmAnd app's online-tracking URL as traccar.org/osmand's example fills it."""
    t, lat, lon = fix
    return urlencode(
        {
            "id": device_id,
            "lat": lat,
            "lon": lon,
            "timestamp": int(t.timestamp()),
            "hdop": "6.0",
            "altitude": "224.0",
            "speed": "3.2",
        }
    )


def test_osmand_queries_reach_the_weeks_coverage_and_the_daily_view(
    client: TestClient, admin: dict[str, str], demo_layers: TownshipLayers, store: Store
) -> None:
    device_id = register(client, admin)
    fixes = road_fixes(demo_layers, 12)
    for fix in fixes:
        answer = client.get(f"/api/v1/osmand?{osmand_query(device_id, fix)}")
        assert answer.status_code == 200, answer.text
        assert answer.content == b""
    # Replayed (the app resends when it missed an answer): stored once.
    assert client.get(f"/api/v1/osmand?{osmand_query(device_id, fixes[3])}").status_code == 200
    assert week(client, admin)["fixes_used"] == 12
    assert stored_fixes(store) == 12
    uploads = client.get("/api/v1/tracks", headers=admin).json()
    assert {u["squad"] for u in uploads} == {"squad-01"} and len(uploads) == 12
    assert len({u["device"] for u in uploads}) == 1
    daily = client.get("/api/v1/coverage/daily/2026-11-18", headers=admin).json()
    squads = {s["squad"]: s for s in daily["squads"]}
    assert squads["squad-01"]["minutes"] == pytest.approx(11 * 5 / 60, abs=0.01)
    (listed,) = client.get("/api/v1/devices", headers=admin).json()
    assert listed["last_fix_at"] == fixes[-1][0].isoformat(timespec="seconds")


def test_osmand_form_post_and_local_times(
    client: TestClient, admin: dict[str, str], demo_layers: TownshipLayers, store: Store
) -> None:
    device_id = register(client, admin, squad="squad-02")
    fixes = road_fixes(demo_layers, 3)
    for t, lat, lon in fixes:
        local = (t + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")  # no offset: township's
        form = {"id": device_id, "lat": lat, "lon": lon, "timestamp": local, "batt": "64"}
        answer = client.post(
            "/api/v1/osmand",
            content=urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 200, answer.text
    assert week(client, admin)["fixes_used"] == 3
    got = store.week_fixes("433122207", START - timedelta(days=1), START + timedelta(days=1))
    assert sorted(got["time"]) == [pd.Timestamp(t) for t, _, _ in fixes]
    (listed,) = client.get("/api/v1/devices", headers=admin).json()
    assert listed["last_battery"] == 64.0


def traccar_json(
    device_id: str, fix: tuple[datetime, float, float], level: float = 0.79
) -> dict[str, Any]:
    """Traccar Client 9's body (OsmAndProtocolDecoderTest's third JSON sample, moved)."""
    t, lat, lon = fix
    return {
        "location": {
            "event": "motionchange",
            "is_moving": True,
            "uuid": "0e9a2473-a9a7-4c00-997b-fb97d2154e75",
            "timestamp": t.isoformat().replace("+00:00", "Z"),
            "odometer": 0,
            "coords": {
                "latitude": lat,
                "longitude": lon,
                "accuracy": 3.8,
                "speed": 1.2,
                "speed_accuracy": 0.26,
                "heading": 63,
                "heading_accuracy": 0.28,
                "altitude": 35.7,
                "altitude_accuracy": 3.8,
            },
            "activity": {"type": "on_foot", "confidence": 100},
            "battery": {"is_charging": False, "level": level},
            "extras": {},
        },
        "device_id": device_id,
    }


def test_traccar_client_buffer_is_stored_once_however_it_is_resent(
    client: TestClient, admin: dict[str, str], demo_layers: TownshipLayers, store: Store
) -> None:
    device_id = register(client, admin)
    bodies = [traccar_json(device_id, fix) for fix in road_fixes(demo_layers, 10)]
    for payload in (bodies, bodies, list(reversed(bodies))):  # sent, replayed, reordered
        answer = client.post("/api/v1/osmand", content=json.dumps(payload), headers=JSON)
        assert answer.status_code == 200, answer.text
        assert "X-Geo-Refused" not in answer.headers
    assert len(store.uploads("433122207")) == 1
    assert week(client, admin)["fixes_used"] == 10
    (listed,) = client.get("/api/v1/devices", headers=admin).json()
    assert listed["last_battery"] == pytest.approx(79.0)


JSON = {"Content-Type": "application/json"}


def test_traccar_client_bad_data_is_answered_200_with_the_reason(
    client: TestClient, admin: dict[str, str], demo_layers: TownshipLayers, store: Store
) -> None:
    device_id = register(client, admin)
    (fix,) = road_fixes(demo_layers, 1)
    zero = traccar_json(device_id, (fix[0], 0.0, 0.0))
    answer = client.post("/api/v1/osmand", content=json.dumps(zero), headers=JSON)
    assert answer.status_code == 200  # the SDK retries every other status forever
    assert "0,0" in answer.headers["X-Geo-Refused"]
    assert store.uploads("433122207") == []


# ----------------------------------------------------------------------------------------
# OwnTracks and GPSLogger


def owntracks_location(fix: tuple[datetime, float, float]) -> bytes:
    """The OwnTracks Android app's location message (its LocationMessageRetryTest fixture)."""
    t, lat, lon = fix
    return json.dumps(
        {
            "_type": "location",
            "acc": 20,
            "al": 0,
            "batt": 100,
            "bs": 0,
            "conn": "w",
            "created_at": int(t.timestamp()) + 30,
            "lat": lat,
            "lon": lon,
            "tid": "aa",
            "tst": int(t.timestamp()),
            "vac": 40,
            "vel": 7,
        },
        separators=(",", ":"),
    ).encode()


def test_owntracks_with_a_device_id_or_a_patrol_key(
    client: TestClient, admin: dict[str, str], demo_layers: TownshipLayers, store: Store
) -> None:
    device_id = register(client, admin)
    fixes = road_fixes(demo_layers, 6)
    for fix in fixes[:3]:
        answer = client.post(
            "/api/v1/owntracks",
            content=owntracks_location(fix),
            headers={**JSON, **basic(device_id), "X-Limit-U": "squad-01", "X-Limit-D": "phone"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == [] and answer.headers["content-type"] == "application/json"
    transition = (
        b'{"_type":"transition","wtst":1425042603,"lat":12.34,"lon":44.5,"tst":1427634603,'
        b'"acc":130,"tid":"JP","event":"enter","desc":"my Indian restaurant","t":"b"}'
    )
    ignored = client.post(
        "/api/v1/owntracks", content=transition, headers={**JSON, **basic(device_id)}
    )
    assert ignored.status_code == 200 and ignored.json() == []
    patrol = bearer(store, Role.PATROL, squad="squad-03")["Authorization"].split()[1]
    for fix in fixes[3:]:
        answer = client.post(
            "/api/v1/owntracks",
            content=owntracks_location(fix),
            headers={**JSON, **basic(patrol, user="squad-03-phone")},
        )
        assert answer.status_code == 200, answer.text
    assert week(client, admin)["fixes_used"] == 6
    assert {u.squad for u in store.uploads("433122207")} == {"squad-01", "squad-03"}
    leader = bearer(store, Role.LEADER)["Authorization"].split()[1]
    refused = client.post(
        "/api/v1/owntracks", content=owntracks_location(fixes[0]), headers=basic(leader)
    )
    assert refused.status_code == 401 and refused.json() == []


GPSLOGGER_VALUES = {"ACC": "6.0", "ALT": "1387.0", "SPD": "1.5", "DIR": "170.8125", "BATT": "27.0"}


def test_gpslogger_template_get_and_all_body_post(
    client: TestClient, admin: dict[str, str], demo_layers: TownshipLayers, store: Store
) -> None:
    device_id = register(client, admin)
    fixes = road_fixes(demo_layers, 4)
    template = phones.setup_payload(store, "gpslogger", device_id, "http://testserver")
    for t, lat, lon in fixes[:2]:
        values = {
            **GPSLOGGER_VALUES,
            "LAT": str(lat),
            "LON": str(lon),
            "TIMESTAMP": str(int(t.timestamp())),
            "TIME": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "AID": "4f1c2a",
            "SER": "R58M",
            "PROV": "gps",
        }
        url = template
        for name in sorted(values, key=len, reverse=True):  # as GPSLogger replaces them
            url = url.replace(f"%{name}", values[name])
        answer = client.get(url.removeprefix("http://testserver"), headers=basic(device_id))
        assert answer.status_code == 200, answer.text
    for t, lat, lon in fixes[2:]:
        body = (
            f"lat={lat}&lon={lon}&sat=0&desc=&alt=1387.0&acc=6.0&dir=170.8125&prov=gps"
            f"&spd_kph=0.0&spd=0.0&timestamp={int(t.timestamp())}"
            f"&time={t.strftime('%Y-%m-%dT%H:%M:%S.000Z')}&batt=27.0&ischarging=false"
        )
        answer = client.post(
            "/api/v1/gpslogger",
            content=body,
            headers={**basic(device_id), "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 200, answer.text
    assert week(client, admin)["fixes_used"] == 4


# ----------------------------------------------------------------------------------------
# Refusals


def test_unknown_and_revoked_devices_are_401_nothing_stored_logged_once_a_minute(
    client: TestClient,
    admin: dict[str, str],
    demo_layers: TownshipLayers,
    store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (fix,) = road_fixes(demo_layers, 1)
    unknown = new_device_id().device_id  # never seen: the log is per process and per id
    with caplog.at_level(logging.WARNING, logger="geo.phones"):
        for _ in range(3):
            answer = client.get(f"/api/v1/osmand?{osmand_query(unknown, fix)}")
            assert answer.status_code == 401, answer.text
    logged = [r for r in caplog.records if "unknown device id" in r.getMessage()]
    assert len(logged) == 1
    device_id = register(client, admin)
    gone = client.delete(f"/api/v1/devices/{device_id}", headers=admin)
    assert gone.status_code == 200 and gone.json()["revoked_at"]
    for headers, url in (
        ({}, f"/api/v1/osmand?{osmand_query(device_id, fix)}"),
        (basic(device_id), "/api/v1/gpslogger?lat=28.1&lon=109.9&timestamp=1763427600"),
    ):
        assert client.get(url, headers=headers).status_code == 401
    refused = client.post(
        "/api/v1/owntracks", content=owntracks_location(fix), headers=basic(device_id)
    )
    assert refused.status_code == 401 and refused.json() == []
    assert client.post("/api/v1/owntracks", content=owntracks_location(fix)).status_code == 401
    assert store.uploads("433122207") == []


def test_bad_fixes_are_refused_with_a_4xx_naming_why(
    client: TestClient, admin: dict[str, str], demo_layers: TownshipLayers, store: Store
) -> None:
    device_id = register(client, admin)
    (fix,) = road_fixes(demo_layers, 1)
    now = datetime.now(UTC)
    cases = {
        "0,0": (fix[0], 0.0, 0.0),
        "none of the 1 points": (fix[0], 48.85833, 2.29513),  # Paris: far from the township
        "day ahead": (now + timedelta(days=3), fix[1], fix[2]),
        "before 2000": (datetime(1999, 12, 31, tzinfo=UTC), fix[1], fix[2]),
    }
    for words, bad in cases.items():
        answer = client.get(f"/api/v1/osmand?{osmand_query(device_id, bad)}")
        assert answer.status_code == 422, (words, answer.text)
        assert words in answer.text, answer.text
        owntracks = client.post(
            "/api/v1/owntracks", content=owntracks_location(bad), headers=basic(device_id)
        )
        assert owntracks.status_code == 422 and owntracks.json() == [], words
    assert store.uploads("433122207") == []


def test_a_batch_over_the_limit_is_413_naming_it(
    store: Store, admin: dict[str, str], demo_layers: TownshipLayers, tmp_path: Path
) -> None:
    with make_client(store, tmp_path, max_batch_fixes=20) as client:
        device_id = register(client, admin)
        bodies = [traccar_json(device_id, fix) for fix in road_fixes(demo_layers, 21)]
        answer = client.post("/api/v1/osmand", content=json.dumps(bodies), headers=JSON)
        assert answer.status_code == 413
        assert "at most 20" in answer.text
        huge = json.dumps([bodies[0]] * 8000).encode()  # over the 2 MB a tracker body may be
        assert len(huge) > 2_000_000
        answer = client.post("/api/v1/osmand", content=huge, headers=JSON)
        assert answer.status_code == 413 and "2,000,000" in answer.text
    assert store.uploads("433122207") == []


def test_store_unavailable_is_503_with_retry_after(
    client: TestClient,
    admin: dict[str, str],
    demo_layers: TownshipLayers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    device_id = register(client, admin)
    (fix,) = road_fixes(demo_layers, 1)
    served: Store = client.app.state.store  # type: ignore[attr-defined]

    def down(*_: object, **__: object) -> None:
        raise StoreUnavailable("the database is restarting")

    monkeypatch.setattr(served, "device_by_hash", down)
    answer = client.get(f"/api/v1/osmand?{osmand_query(device_id, fix)}")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "60"
    owntracks = client.post(
        "/api/v1/owntracks", content=owntracks_location(fix), headers=basic(device_id)
    )
    assert owntracks.status_code == 503 and owntracks.json() == []


def test_the_osmand_port_serves_the_protocol_at_root_only(
    store: Store, admin: dict[str, str], demo_layers: TownshipLayers, tmp_path: Path
) -> None:
    with make_client(store, tmp_path, osmand_port=5055) as client:
        device_id = register(client, admin)
        port = "http://testserver:5055"
        (fix,) = road_fixes(demo_layers, 1)
        answer = client.get(f"{port}/?{osmand_query(device_id, fix)}")
        assert answer.status_code == 200, answer.text
        assert client.get(f"{port}/api/v1/devices", headers=admin).status_code == 404
        assert client.get("/api/v1/devices", headers=admin).status_code == 200
    assert len(store.uploads("433122207")) == 1


# ----------------------------------------------------------------------------------------
# Admin routes


def test_devices_are_registered_listed_revoked_and_their_codes_drawn(
    client: TestClient, admin: dict[str, str], store: Store
) -> None:
    made = client.post(
        "/api/v1/devices", json={"squad": "squad-02", "name": "二组", "crs": "gcj02"}, headers=admin
    )
    assert made.status_code == 201, made.text
    body = made.json()
    device_id = body["device_id"]
    assert body["device"]["crs"] == "gcj02" and body["device"]["squad"] == "squad-02"
    assert body["setup"]["traccar"].startswith("http://testserver/api/v1/osmand?id=")
    config = decode_owntracks_link(body["setup"]["owntracks"])
    assert config["password"] == device_id and config["url"].endswith("/api/v1/owntracks")
    assert device_id not in json.dumps(client.get("/api/v1/devices", headers=admin).json())
    bad = client.post("/api/v1/devices", json={"squad": "squad-99"}, headers=admin)
    assert bad.status_code == 422 and "squad-99" in bad.text

    png = client.get(f"/api/v1/devices/{device_id}/setup?app=traccar&format=png", headers=admin)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    svg = client.get(f"/api/v1/devices/{device_id}/setup?app=owntracks&format=svg", headers=admin)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    text = client.get(f"/api/v1/devices/{device_id}/setup?format=text", headers=admin)
    assert text.text == body["setup"]["traccar"]
    patrol = bearer(store, Role.PATROL, squad="squad-02")["Authorization"].split()[1]
    page = client.get(f"/api/v1/devices/{patrol}/setup?app=patrol&format=text", headers=admin)
    assert page.status_code == 200 and page.text.endswith(f"/patrol#key={patrol}")
    public = body["device"]["id"]
    by_public = client.get(f"/api/v1/devices/{public}/setup", headers=admin)
    assert by_public.status_code == 404 and "as issued" in by_public.text

    gone = client.delete(f"/api/v1/devices/{public}", headers=admin)
    assert gone.status_code == 200 and gone.json()["revoked_at"]
    assert client.get(f"/api/v1/devices/{device_id}/setup", headers=admin).status_code == 404
    assert client.delete("/api/v1/devices/000000000000", headers=admin).status_code == 404
    entries = [e.action.value for e in store.audit_entries()]
    assert "device.create" in entries and "device.revoke" in entries


def test_the_admins_dashboard_lists_the_phones_with_last_fix_and_battery(
    client: TestClient, admin: dict[str, str], demo_layers: TownshipLayers, store: Store
) -> None:
    device_id = register(client, admin, name="一组 张三")
    (fix,) = road_fixes(demo_layers, 1)
    answer = client.post(
        "/api/v1/osmand", content=json.dumps(traccar_json(device_id, fix, 0.42)), headers=JSON
    )
    assert answer.status_code == 200, answer.text
    page = client.get(f"/?week={WEEK}", headers=admin)
    assert page.status_code == 200
    assert 'id="devices"' in page.text and "一组 张三" in page.text
    assert "2026-11-18 09:00" in page.text and "42%" in page.text  # township time, battery
    assert device_id not in page.text
    leader = client.get(f"/?week={WEEK}", headers=bearer(store, Role.LEADER))
    assert leader.status_code == 200 and 'id="devices"' not in leader.text


def test_a_patrol_key_is_no_osmand_id(
    client: TestClient, admin: dict[str, str], demo_layers: TownshipLayers, store: Store
) -> None:
    """A key in an OsmAnd URL would be written to every access log: only Basic takes keys."""
    patrol = bearer(store, Role.PATROL, squad="squad-01")["Authorization"].split()[1]
    (fix,) = road_fixes(demo_layers, 1)
    answer = client.get(f"/api/v1/osmand?{osmand_query(patrol, fix)}")
    assert answer.status_code == 401
    assert store.uploads("433122207") == []
