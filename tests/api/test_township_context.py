"""The request's township (``TownshipContext``): resolved and checked once per request, its
layers loaded on first use through the app's layers cache, on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo import access, operations
from geo.api.app import create_app
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store
from tests.api.test_coverage_api import bearer, settings_for
from tests.storage.test_store import village_track_gpx

OTHER = "433122208"


@pytest.fixture
def client(store: Store, demo_layers: TownshipLayers, tmp_path: Path) -> Iterator[TestClient]:
    store.save_layers(demo_layers)
    store.save_layers(replace(demo_layers, info=replace(demo_layers.info, code=OTHER)))
    operations.import_track(
        store,
        village_track_gpx(demo_layers, start="2026-11-18 09:00"),
        filename="a.gpx",
        township="433122207",
        squad="squad-01",
    )
    with TestClient(create_app(settings_for(store, tmp_path))) as c:
        yield c


def test_layers_are_loaded_once_and_reused_while_unchanged(
    client: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each route reads the layers from the request's township; the map, the gaps, the day
    and the month load none while the stored layers are unchanged (before: one to 2 + N
    loads per request)."""
    served: Store = client.app.state.store  # type: ignore[attr-defined]
    loads: list[str] = []
    load = served.load_layers

    def counted(township: str) -> TownshipLayers:
        loads.append(township)
        return load(township)

    monkeypatch.setattr(served, "load_layers", counted)
    leader = bearer(store, Role.LEADER)
    query = "?township=433122207"
    table = client.get(f"/api/v1/coverage/2026-W47{query}", headers=leader)
    assert table.status_code == 200, table.text
    assert loads == ["433122207"]
    for path in (
        "/api/v1/coverage/2026-W47/map",
        "/api/v1/coverage/2026-W47/gaps",
        "/api/v1/coverage/daily/2026-11-18",
        "/api/v1/coverage/monthly/2026-11",
        "/api/v1/layers/cameras",
        "/ogc/collections/area_gaps/items",
        "/ogc/collections/road_gaps/items",
    ):
        response = client.get(f"{path}{query}", headers=leader)
        assert response.status_code == 200, (path, response.text)
    assert loads == ["433122207"]
    # An edit changes the stored layers: the next request loads them again, once.
    store.save_layers(store.load_layers("433122207"))
    assert client.get(f"/api/v1/coverage/2026-W47{query}", headers=leader).status_code == 200
    assert loads == ["433122207", "433122207"]


def test_the_township_is_checked_against_the_store_and_the_key(
    client: TestClient, store: Store
) -> None:
    leader = bearer(store, Role.LEADER)
    unknown = client.get("/api/v1/coverage/2026-W47?township=433122299", headers=leader)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    malformed = client.get("/api/v1/coverage/2026-W47?township=xiaozhang", headers=leader)
    assert malformed.status_code == 422
    # Two townships stored: one must be named.
    assert client.get("/api/v1/coverage/2026-W47", headers=leader).status_code == 422
    other = client.get(f"/api/v1/coverage/2026-W47?township={OTHER}", headers=leader)
    assert other.status_code == 200 and other.json()["township_code"] == OTHER
    # A patrol key reads its own township only, whatever squad it names.
    token, _ = access.create_key(
        store, role=Role.PATROL, name="phone", squad="squad-01", township="433122207"
    )
    patrol = {"Authorization": f"Bearer {token}"}
    own = client.get("/api/v1/tracks?township=433122207", headers=patrol)
    assert own.status_code == 200 and [u["squad"] for u in own.json()] == ["squad-01"]
    refused = client.get(f"/api/v1/tracks?township={OTHER}&squad=squad-01", headers=patrol)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert f"may not act for township {OTHER}" in refused.json()["detail"]
