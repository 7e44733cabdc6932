"""The HTTP API on both stores: health, the weekly table, the map, problem details."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo import access, operations
from geo.api.app import create_app
from geo.coverage import WeekCoverage
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.settings import LayerSettings, Settings, StoreSettings
from geo.store import Store
from tests.storage.test_store import village_track_gpx


def settings_for(store: Store, tmp_path: Path) -> Settings:
    url = getattr(store, "url", None)
    gpkg = getattr(store, "path", tmp_path / "unused.gpkg")
    return Settings(
        store=StoreSettings(database_url=url, gpkg_path=gpkg),
        layers=LayerSettings(township=None),
    )


def bearer(store: Store, role: Role, squad: str | None = None) -> dict[str, str]:
    """The Authorization header of a new key of ``role`` (a patrol key: of ``squad``)."""
    token, _ = access.create_key(store, role=role, name=f"test {role.value}", squad=squad)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(store: Store, demo_layers: TownshipLayers, tmp_path: Path) -> Iterator[TestClient]:
    store.save_layers(demo_layers)
    operations.import_track(
        store,
        village_track_gpx(demo_layers, start="2026-11-18 09:00"),
        filename="a.gpx",
        township="433122207",
        squad="squad-01",
    )
    leader = bearer(store, Role.LEADER)
    with TestClient(create_app(settings_for(store, tmp_path)), headers=leader) as c:
        yield c


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_weekly_table(client: TestClient) -> None:
    response = client.get("/api/v1/coverage/2026-W47")
    assert response.status_code == 200
    body = WeekCoverage.model_validate(response.json())
    assert body.week == "2026-W47" and body.villages_total == 7
    statuses = {v.squad: v.status for v in body.villages}
    assert statuses["squad-02"] == "no_data"
    assert statuses["squad-01"] in ("pass", "fail")
    assert body.fixes_used > 0


def test_gaps_are_ranked_geojson(client: TestClient) -> None:
    response = client.get("/api/v1/coverage/2026-W47/gaps")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["features"]
    first = body["features"][0]
    assert first["properties"]["rank"] == 1
    assert first["geometry"]["type"] in ("Polygon", "MultiPolygon", "LineString", "MultiLineString")
    assert {f["properties"]["kind"] for f in body["features"]} <= {"area", "road"}


def test_map_is_html_with_the_villages(client: TestClient) -> None:
    response = client.get("/api/v1/coverage/2026-W47/map")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "小章村" in response.text and "leaflet" in response.text.lower()
    assert "geo-suggested-camera" not in response.text


def test_map_draws_suggested_cameras_on_request(client: TestClient) -> None:
    response = client.get("/api/v1/coverage/2026-W47/map", params={"suggest_cameras": 2})
    assert response.status_code == 200, response.text
    assert response.text.count('"className":"geo-suggested-camera"') == 2
    assert "Suggested cameras" in response.text and "adds" in response.text
    too_many = client.get("/api/v1/coverage/2026-W47/map", params={"suggest_cameras": 21})
    assert too_many.status_code == 422
    assert too_many.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/api/v1/coverage/2026-W99", 422, "does not exist"),
        ("/api/v1/coverage/last-week", 422, "not an ISO week"),
        ("/api/v1/coverage/2026-W47?township=999", 404, "not in the store"),
        ("/api/v1/nothing", 404, "Not Found"),
    ],
)
def test_errors_are_problem_details(client: TestClient, path: str, status: int, words: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and words in body["detail"]
    assert set(body) >= {"type", "title", "status", "detail", "instance"}


def test_openapi_lists_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/healthz", "/readyz", "/api/v1/coverage/{week}", "/api/v1/coverage/{week}/map"} <= set(
        paths
    )


def test_daily_view(client: TestClient) -> None:
    body = client.get("/api/v1/coverage/daily/2026-11-18").json()
    squads = {s["squad"]: s for s in body["squads"]}
    assert body["date"] == "2026-11-18" and len(squads) == 8
    assert squads["squad-01"]["minutes"] > 0 and squads["squad-02"]["status"] == "no_data"
    bad = client.get("/api/v1/coverage/daily/yesterday")
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_monthly_review(client: TestClient) -> None:
    body = client.get("/api/v1/coverage/monthly/2026-11").json()
    assert body["weeks"] == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    assert len(body["villages"]) == 7
    assert body["squad_effort"]["squad-01"]["days_patrolled"] == 1
    assert client.get("/api/v1/coverage/monthly/2026-13").status_code == 422
