"""The layer endpoints on both stores: read as GeoJSON, edit checked like `geo layers load`,
camera status changes that the weekly coverage uses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import mapping

from geo import operations
from geo.api.app import create_app
from geo.api.feature_models import FeatureCollectionModel, FeatureModel
from geo.coverage.camera_status import CameraStatus
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store
from geo.weeks import IsoWeek
from tests.api.test_coverage_api import bearer, settings_for
from tests.conftest import LAYERS_DIR
from tests.storage.test_store import village_track_gpx
from tests.test_drone import flight_gpx

TOWNSHIP = "433122207"
WEEK = IsoWeek(2026, 47)
PROBLEM = "application/problem+json"


@pytest.fixture
def client(store: Store, demo_layers: TownshipLayers, tmp_path: Path) -> Iterator[TestClient]:
    store.save_layers(demo_layers)
    headers = bearer(store, Role.PLANNER)
    with TestClient(create_app(settings_for(store, tmp_path)), headers=headers) as c:
        yield c


def camera(code: str = "CAM-35", **changes: Any) -> dict[str, Any]:
    """A new camera in the middle of 小章村."""
    properties = {
        "code": code,
        "name": "桥头",
        "bearing_deg": 120,
        "fov_deg": 90,
        "range_m": 80,
        "ptz": False,
        "height_m": 6,
        "status": "online",
        "installed_on": "2026-11-20",
    }
    geometry = {"type": "Point", "coordinates": [109.9004, 28.1520]}
    geometry = changes.pop("geometry", geometry)
    return {"type": "Feature", "geometry": geometry, "properties": {**properties, **changes}}


def codes(client: TestClient, layer: str) -> list[str]:
    body = client.get(f"/api/v1/layers/{layer}", params={"limit": 1000}).json()
    return [f["id"] for f in body["features"]]


def assert_problem(response: Any, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    text = body["detail"] + " ".join(body.get("problems", []))
    for word in words:
        assert word in text, text
    return body


def test_a_layer_is_a_paged_feature_collection(client: TestClient) -> None:
    first = client.get("/api/v1/layers/cameras", params={"limit": 10})
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/geo+json"
    body = FeatureCollectionModel.model_validate(first.json())
    assert body.number_matched == 34 and body.number_returned == 10
    seen = [f.id for f in body.features]
    while following := [x for x in body.links if x.rel == "next"]:
        body = FeatureCollectionModel.model_validate(client.get(following[0].href).json())
        seen += [f.id for f in body.features]
    assert len(seen) == 34 == len(set(seen))
    everything = client.get("/api/v1/layers/cameras").json()  # default limit 100
    assert everything["numberReturned"] == 34
    assert [x["rel"] for x in everything["links"]] == ["self"]


def test_bbox_filters_and_bad_parameters(client: TestClient) -> None:
    west = client.get("/api/v1/layers/cameras", params={"bbox": "109.80,28.10,109.90,28.20"})
    n = west.json()["numberMatched"]
    assert 0 < n < 34
    assert all(f["geometry"]["coordinates"][0] <= 109.90 for f in west.json()["features"])
    assert_problem(client.get("/api/v1/layers/cameras?bbox=109.8,28.1"), 400, "4 numbers")
    assert client.get("/api/v1/layers/cameras?limit=0").status_code == 422
    assert client.get("/api/v1/layers/cameras?limit=1001").status_code == 422
    assert_problem(client.get("/api/v1/layers/rivers"), 404, "no layer 'rivers'")


def test_one_feature_by_id(client: TestClient) -> None:
    response = client.get("/api/v1/layers/cameras/CAM-01")
    feature = FeatureModel.model_validate(response.json())
    assert feature.id == "CAM-01" and feature.geometry is not None
    assert feature.geometry["type"] == "Point"
    flight = client.get("/api/v1/layers/drone_flights/DJI-20261104-01").json()
    assert flight["properties"]["started_at"] == "2026-11-04T09:30:00+08:00"
    assert_problem(client.get("/api/v1/layers/cameras/CAM-99"), 404, "CAM-99")


def test_create_replace_delete_a_camera(client: TestClient) -> None:
    created = client.post("/api/v1/layers/cameras", json=camera())
    assert created.status_code == 201, created.text
    assert created.headers["location"].endswith("/api/v1/layers/cameras/CAM-35")
    assert created.json()["properties"]["village"] == "433122207201"  # filled from position
    assert len(codes(client, "cameras")) == 35

    assert_problem(client.post("/api/v1/layers/cameras", json=camera()), 409, "CAM-35")

    replaced = client.put("/api/v1/layers/cameras/CAM-35", json=camera(name="桥头东"))
    assert replaced.status_code == 200 and replaced.json()["properties"]["name"] == "桥头东"
    assert client.get("/api/v1/layers/cameras/CAM-35").json()["properties"]["name"] == "桥头东"
    assert codes(client, "cameras")[-1] == "CAM-35"  # stays in its place

    assert client.delete("/api/v1/layers/cameras/CAM-35").status_code == 204
    assert_problem(client.get("/api/v1/layers/cameras/CAM-35"), 404)
    assert_problem(client.delete("/api/v1/layers/cameras/CAM-35"), 404)
    assert_problem(client.put("/api/v1/layers/cameras/CAM-35", json=camera()), 404)
    assert len(codes(client, "cameras")) == 34


def bowtie() -> dict[str, Any]:
    return {
        "type": "MultiPolygon",
        "coordinates": [
            [[[109.90, 28.15], [109.91, 28.16], [109.91, 28.15], [109.90, 28.16], [109.90, 28.15]]]
        ],
    }


def village(geometry: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"code": "433122207299", "name": "新村", "squad": "squad-09"},
    }


INVALID_EDITS = [
    ("villages", village(bowtie()), "invalid geometry"),
    (
        "villages",
        village(mapping(shapely.Point(109.9004, 28.1520).buffer(0.003))),
        "overlap by",
    ),
    (
        "cameras",
        camera(geometry={"type": "Point", "coordinates": [109.70, 28.00]}),
        "lies outside every village",
    ),
    ("cameras", camera(status="broken"), "status 'broken' is not one of"),
    ("cameras", camera(fov_deg=400), "fov_deg 400.0 is outside"),
    ("cameras", camera(bearing_deg="north"), "bearing_deg 'north' is not a number"),
    ("cameras", camera(colour="red"), "unknown attribute(s) colour"),
    ("cameras", camera(code=""), "needs its code"),
    (
        "cameras",
        camera(geometry={"type": "LineString", "coordinates": [[109.90, 28.15], [109.91, 28.15]]}),
        "expected Point",
    ),
    (
        "cameras",
        camera(geometry={"type": "Point", "coordinates": [28.15, 109.90]}),
        "not WGS-84 longitude, latitude",
    ),
    ("cameras", camera(geometry={"type": "Point", "coordinates": []}), "has no geometry"),
    ("cameras", camera(geometry=None), "has no geometry"),
    (
        "roads",
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[109.90, 28.15], [109.91, 28.15]]},
            "properties": {"code": "R900", "class": "highway"},
        },
        "class 'highway' is not one of",
    ),
    (
        "roads",
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[109.90, 28.15], [109.91, 28.15]]},
            "properties": {"class": "road"},
        },
        "needs its code",
    ),
    (
        "checkpoints",
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [109.9004, 28.1520]},
            "properties": {"code": "CP-99", "name": "河堤", "village": "433122207207"},
        },
        "says village 433122207207 but lies in 433122207201",
    ),
]


@pytest.mark.parametrize(("layer", "feature", "words"), INVALID_EDITS)
def test_invalid_edits_are_refused_and_name_the_problem(
    client: TestClient, layer: str, feature: dict[str, Any], words: str
) -> None:
    before = codes(client, layer)
    body = assert_problem(client.post(f"/api/v1/layers/{layer}", json=feature), 422, words)
    assert body["type"] == "/problems/invalid-layers"
    assert codes(client, layer) == before  # nothing stored


def test_replacing_checks_too(client: TestClient) -> None:
    moved = camera("CAM-01", geometry={"type": "Point", "coordinates": [109.70, 28.00]})
    assert_problem(
        client.put("/api/v1/layers/cameras/CAM-01", json=moved), 422, "outside every village"
    )
    renamed = camera("CAM-77")
    assert_problem(client.put("/api/v1/layers/cameras/CAM-01", json=renamed), 422, "differs")
    offline = client.get("/api/v1/layers/cameras/CAM-01").json()
    offline["properties"]["status"] = "offline"
    assert_problem(client.put("/api/v1/layers/cameras/CAM-01", json=offline), 422, "PATCH")
    # a feature read back is a valid body (GET, change, PUT)
    same = client.get("/api/v1/layers/cameras/CAM-01").json()
    same["properties"]["name"] = "乡政府"
    assert client.put("/api/v1/layers/cameras/CAM-01", json=same).status_code == 200


def test_deleting_a_village_that_holds_cameras_is_refused(client: TestClient) -> None:
    assert_problem(
        client.delete("/api/v1/layers/villages/433122207201"), 422, "outside every village"
    )
    assert "433122207201" in codes(client, "villages")


def test_drone_flights_from_the_api_and_imports_survive_edits_and_reloads(
    client: TestClient, store: Store, demo_layers: TownshipLayers
) -> None:
    operations.import_flight(
        store, flight_gpx(demo_layers, 400.0), filename="dji.gpx", township=TOWNSHIP
    )
    flight = {
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": [[109.90, 28.15], [109.905, 28.152], [109.91, 28.155]],
        },
        "properties": {
            "flight_id": "API-1",
            "started_at": "2026-11-18T10:00:00+08:00",
            "ended_at": "2026-11-18T10:05:00+08:00",
            "times_s": [0, 150, 300],
            "source": "layers",  # set by the service, not the client
        },
    }
    created = client.post("/api/v1/layers/drone_flights", json=flight)
    assert created.status_code == 201, created.text
    props = created.json()["properties"]
    assert props["source"] == "api" and props["times_s"] == [0.0, 150.0, 300.0]
    assert props["hfov_deg"] == 84.0
    stored = store.load_layers(TOWNSHIP).drone_flights
    assert stored.geometry.iloc[-1].has_z  # kept in 3-D, height unknown
    assert (
        client.put(
            "/api/v1/layers/cameras/CAM-02", json=client.get("/api/v1/layers/cameras/CAM-02").json()
        ).status_code
        == 200
    )
    sources = sorted(store.load_layers(TOWNSHIP).drone_flights["source"])
    assert sources == ["api", "import", "layers", "layers"]
    # a reload replaces only the layers' own flights
    operations.import_layers_dir(store, LAYERS_DIR)
    assert sorted(store.load_layers(TOWNSHIP).drone_flights["source"]) == sources
    week = client.get("/api/v1/layers/drone_flights", params={"limit": 10}).json()
    assert week["numberMatched"] == 4


def patrolled_week(store: Store) -> None:
    """A track in WEEK, so the week has data and its result is stored."""
    operations.import_track(
        store,
        village_track_gpx(store.load_layers(TOWNSHIP), start="2026-11-18 09:00"),
        filename="a.gpx",
        township=TOWNSHIP,
        squad="squad-01",
    )


def test_an_edit_makes_stored_weeks_stale(client: TestClient, store: Store) -> None:
    patrolled_week(store)
    first = operations.week_coverage(store, TOWNSHIP, WEEK)
    stored = store.load_coverage(TOWNSHIP, str(WEEK))
    assert client.post("/api/v1/layers/cameras", json=camera()).status_code == 201
    again = operations.week_coverage(store, TOWNSHIP, WEEK)
    restored = store.load_coverage(TOWNSHIP, str(WEEK))
    assert stored is not None and restored is not None and restored[1] != stored[1]
    assert again.cameras_online == first.cameras_online + 1


def online_cameras(client: TestClient) -> list[str]:
    cams = client.get("/api/v1/layers/cameras").json()["features"]
    return [f["id"] for f in cams if f["properties"]["status"] == "online"]


def test_patch_records_the_status_and_the_week_uses_it(client: TestClient, store: Store) -> None:
    code = online_cameras(client)[0]
    patrolled_week(store)
    first = operations.week_coverage(store, TOWNSHIP, WEEK)
    fingerprint = store.load_coverage(TOWNSHIP, str(WEEK))
    assert fingerprint is not None

    # offline from Monday morning of the week: not counted for the week
    response = client.patch(
        f"/api/v1/cameras/{code}",
        json={"status": "offline", "changed_at": "2026-11-16T08:00:00+08:00", "note": "断电"},
    )
    assert response.status_code == 200, response.text
    body = CameraStatus.model_validate(response.json())
    assert body.status == "offline"
    assert [(h.status, h.note) for h in body.history] == [
        ("online", "status in the layers before the first recorded change"),
        ("offline", "断电"),
    ]
    assert client.get(f"/api/v1/layers/cameras/{code}").json()["properties"]["status"] == "offline"
    history = client.get(f"/api/v1/cameras/{code}/status").json()
    assert CameraStatus.model_validate(history) == body
    start, end = WEEK.bounds(store.load_layers(TOWNSHIP).info.tz)
    assert (
        store.inputs_fingerprint(TOWNSHIP, start - operations.GAP_LOOKBACK, end) != (fingerprint[1])
    )
    second = operations.week_coverage(store, TOWNSHIP, WEEK)
    assert second.cameras_online == first.cameras_online - 1

    # another camera offline from Thursday noon: online half the week, still counted
    others = [c for c in online_cameras(client) if c != code]
    client.patch(
        f"/api/v1/cameras/{others[0]}",
        json={"status": "offline", "changed_at": "2026-11-19T12:00:00+08:00"},
    )
    third = operations.week_coverage(store, TOWNSHIP, WEEK)
    assert third.cameras_online == second.cameras_online
    # and one offline from Wednesday noon: online 2.5 of 7 days, not counted
    client.patch(
        f"/api/v1/cameras/{others[1]}",
        json={"status": "offline", "changed_at": "2026-11-18T12:00:00+08:00"},
    )
    fourth = operations.week_coverage(store, TOWNSHIP, WEEK)
    assert fourth.cameras_online == third.cameras_online - 1
    # the week before still sees all three online
    previous = operations.week_coverage(store, TOWNSHIP, WEEK.previous())
    assert previous.cameras_online == first.cameras_online


def test_patch_problems(client: TestClient) -> None:
    assert_problem(client.patch("/api/v1/cameras/CAM-99", json={"status": "offline"}), 404)
    bad = client.patch("/api/v1/cameras/CAM-01", json={"status": "broken"})
    assert_problem(bad, 422, "status")
    tomorrow = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    future = client.patch(
        "/api/v1/cameras/CAM-01",
        json={"status": "offline", "changed_at": f"{int(tomorrow[:4]) + 1}{tomorrow[4:]}"},
    )
    assert_problem(future, 422, "in the future")
    assert client.get("/api/v1/cameras/CAM-01/status").json()["history"] == []
    now = client.patch("/api/v1/cameras/CAM-01", json={"status": "maintenance"})
    assert now.status_code == 200 and now.json()["status"] == "maintenance"


def test_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, methods in {
        "/api/v1/layers/{layer}": {"get", "post"},
        "/api/v1/layers/{layer}/{fid}": {"get", "put", "delete"},
        "/api/v1/cameras/{code}": {"patch"},
    }.items():
        assert methods <= set(paths[path])
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"] and operation["description"]
            assert "application/problem+json" in operation["responses"]["404"]["content"]
