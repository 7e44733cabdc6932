"""The upload path keeps the township's layers between uploads, and sees every edit at once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from geo.api.app import create_app
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store
from tests.api.test_coverage_api import bearer, settings_for
from tests.storage.test_store import village_track_gpx


def _rename_squad(layers: TownshipLayers) -> TownshipLayers:
    villages = layers.villages.copy()
    villages["squad"] = villages["squad"].replace("squad-01", "squad-09")
    return replace(layers, villages=villages)


def test_upload_after_a_layer_edit_uses_the_edited_layers(
    store: Store, demo_layers: TownshipLayers, tmp_path: Path
) -> None:
    store.save_layers(demo_layers)
    with TestClient(create_app(settings_for(store, tmp_path))) as client:
        client.headers.update(bearer(store, Role.ADMIN))
        first = village_track_gpx(demo_layers, start="2026-11-18 09:00")
        assert client.post("/api/v1/tracks?squad=squad-01", content=first).status_code == 201
        store.edit_layers("433122207", _rename_squad)  # another process, e.g. the CLI
        second = village_track_gpx(demo_layers, start="2026-11-19 09:00")
        done = client.post("/api/v1/tracks?squad=squad-09", content=second)
        assert done.status_code == 201, done.text
        gone = client.post("/api/v1/tracks?squad=squad-01", content=second)
        assert gone.status_code == 422 and "unknown squad" in gone.json()["detail"]
