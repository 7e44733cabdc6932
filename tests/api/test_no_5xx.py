"""Inputs that used to answer 500 (issue 10, item 7), on both stores: each is now a 4xx problem
naming what is wrong, and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo.api.app import create_app
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store
from tests.api.test_coverage_api import bearer, settings_for
from tests.storage.test_store import village_track_gpx

GPX = "application/gpx+xml"
OUT_OF_RANGE_WEEKS = ["9999-W52", "0001-W01"]
OUT_OF_RANGE_DAYS = ["9999-12-31", "0001-01-01"]
OUT_OF_RANGE_MONTHS = ["9999-12", "0001-01"]


@pytest.fixture
def client(store: Store, demo_layers: TownshipLayers, tmp_path: Path) -> Iterator[TestClient]:
    """The app on an empty store holding the demo layers, with an admin key."""
    store.save_layers(demo_layers)
    admin = bearer(store, Role.ADMIN)
    app = create_app(settings_for(store, tmp_path))
    with TestClient(app, headers=admin, raise_server_exceptions=False) as c:
        yield c


def _week_paths(week: str) -> list[str]:
    return [
        f"/api/v1/coverage/{week}",
        f"/api/v1/coverage/{week}/gaps",
        f"/api/v1/coverage/{week}/map",
        f"/api/v1/tracks?week={week}",
        f"/?week={week}",
    ]


def _out_of_range_paths() -> list[str]:
    paths = [p for week in OUT_OF_RANGE_WEEKS for p in _week_paths(week)]
    paths += [f"/api/v1/coverage/daily/{day}" for day in OUT_OF_RANGE_DAYS]
    for month in OUT_OF_RANGE_MONTHS:
        paths += [f"/api/v1/coverage/monthly/{month}", f"/api/v1/reports/monthly/{month}"]
    return paths


def test_weeks_days_and_months_outside_the_supported_years_are_422(client: TestClient) -> None:
    for path in _out_of_range_paths():
        response = client.get(path)
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "supported years 2000–2100" in response.json()["detail"], path


def test_the_first_and_last_supported_weeks_are_answered(client: TestClient) -> None:
    for week in ("2000-W01", "2100-W52"):
        response = client.get(f"/api/v1/coverage/{week}")
        assert response.status_code == 200, (week, response.text)
        assert response.json()["week"] == week
    assert client.get("/api/v1/coverage/daily/2100-12-31").status_code == 200
    assert client.get("/api/v1/coverage/monthly/2000-01").status_code == 200


def test_gaps_filtered_to_a_time_without_gaps_are_an_empty_page(client: TestClient) -> None:
    for collection in ("area_gaps", "road_gaps"):
        for when in ("2026-10-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31", "../2026-10-01"):
            path = f"/ogc/collections/{collection}/items"
            response = client.get(path, params={"datetime": when})
            assert response.status_code == 200, (collection, when, response.text)
            assert response.json()["features"] == []


def test_an_end_date_of_9999_12_31_filters_without_overflow(client: TestClient) -> None:
    response = client.get("/ogc/collections/drone_flights/items?datetime=2026-01-01/9999-12-31")
    assert response.status_code == 200, response.text


def test_live_fixes_and_status_changes_outside_the_supported_years_are_422(
    client: TestClient, store: Store
) -> None:
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        body = {
            "batch_id": "b1",
            "squad": "squad-01",
            "device": "phone-01",
            "fixes": [{"time": moment, "lon": 109.90, "lat": 28.15}],
        }
        response = client.post("/api/v1/positions", json=body)
        assert response.status_code == 422, response.text
        # Refused by ingest's time window: a batch of only such fixes (see test_fix_times.py)
        assert "accepted times" in response.json()["detail"]
        response = client.patch(
            "/api/v1/cameras/CAM-01", json={"status": "offline", "changed_at": moment}
        )
        assert response.status_code == 422, response.text
        assert "supported years" in response.json()["detail"]
    assert store.uploads("433122207") == []
    assert store.camera_status_changes("433122207", camera="CAM-01") == []


def test_a_geojson_number_of_5000_digits_is_an_unreadable_file(client: TestClient) -> None:
    line = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "LineString", "coordinates": [[109.90, 28.15], [109.91, 28.16]]},
    }
    text = json.dumps(line).replace("109.9,", "1" * 5000 + ",", 1)
    response = client.post(
        "/api/v1/tracks?squad=squad-01&filename=big.geojson",
        content=text.encode(),
        headers={"Content-Type": "application/geo+json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "/problems/invalid-file"
    assert "not finite" in response.json()["detail"]


NUL_QUERIES = [
    ("device", "/api/v1/tracks?squad=squad-01&device=phone%00-01"),
    ("filename", "/api/v1/tracks?squad=squad-01&filename=a%00.gpx"),
    ("squad", "/api/v1/tracks?squad=squad%00-01"),
]


@pytest.mark.parametrize(("field", "path"), NUL_QUERIES)
def test_a_nul_in_an_upload_parameter_is_422_naming_it(
    client: TestClient, store: Store, demo_layers: TownshipLayers, field: str, path: str
) -> None:
    gpx = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    response = client.post(path, content=gpx, headers={"Content-Type": GPX})
    assert response.status_code == 422, response.text
    assert response.json()["place"] == field
    assert "NUL" in response.json()["detail"]
    assert store.uploads("433122207") == []


def test_a_nul_in_a_header_a_file_name_or_a_read_filter_is_422(
    client: TestClient, store: Store, demo_layers: TownshipLayers
) -> None:
    gpx = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    response = client.post(
        "/api/v1/tracks?squad=squad-01",
        content=gpx,
        headers={"Content-Type": GPX, "Idempotency-Key": "key\x00"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["place"] == "header idempotency-key"
    multipart = (
        b'--XX\r\nContent-Disposition: form-data; name=file; filename="a\x00.gpx"\r\n'
        b"Content-Type: application/gpx+xml\r\n\r\n" + gpx + b"\r\n--XX--\r\n"
    )
    response = client.post(
        "/api/v1/tracks?squad=squad-01",
        content=multipart,
        headers={"Content-Type": "multipart/form-data; boundary=XX"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["place"] == "filename"
    assert store.uploads("433122207") == []
    response = client.get("/api/v1/tracks?squad=squad%00")
    assert response.status_code == 422 and response.json()["place"] == "squad"
    response = client.patch("/api/v1/cameras/CAM%00", json={"status": "offline"})
    assert response.status_code == 422 and response.json()["place"] == "code"


@pytest.mark.parametrize("field", ["batch_id", "device", "squad"])
def test_a_nul_in_a_live_batch_is_422_naming_the_field(
    client: TestClient, store: Store, field: str
) -> None:
    body = {
        "batch_id": "b1",
        "squad": "squad-01",
        "device": "phone-01",
        "fixes": [{"time": "2026-11-18T09:00:00+08:00", "lon": 109.90, "lat": 28.15}],
    }
    body[field] += "\x00"
    response = client.post("/api/v1/positions", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", field]
    assert "NUL" in response.json()["detail"]
    assert store.uploads("433122207") == []


def test_a_nul_in_a_feature_name_or_camera_code_is_a_layer_problem(
    client: TestClient, store: Store
) -> None:
    camera = client.get("/api/v1/layers/cameras/CAM-01").json()
    renamed = {**camera, "properties": {**camera["properties"], "name": "东口\x00"}}
    response = client.put("/api/v1/layers/cameras/CAM-01", json=renamed)
    assert response.status_code == 422, response.text
    assert response.json()["problems"] == [
        "cameras feature 1: name contains a NUL character (\\x00)"
    ]
    added = {
        "type": "Feature",
        "geometry": camera["geometry"],
        "properties": {**camera["properties"], "code": "CAM-\x00"},
    }
    response = client.post("/api/v1/layers/cameras", json=added)
    assert response.status_code == 422, response.text
    assert "code contains a NUL character" in response.json()["problems"][0]
    note = client.patch("/api/v1/cameras/CAM-01", json={"status": "offline", "note": "\x00"})
    assert note.status_code == 422 and note.json()["errors"][0]["loc"] == ["body", "note"]
    assert store.load_layers("433122207").cameras["name"].iloc[0] == camera["properties"]["name"]
