"""The upload path keeps the township's layers between uploads, and sees every edit at once."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from geo.api.app import create_app
from geo.ingest import plausibility
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


def test_a_warmed_app_has_the_layers_and_every_ingest_thread_ready(
    store: Store, demo_layers: TownshipLayers, tmp_path: Path
) -> None:
    """``geo serve`` starts warm: the township's layers cached with their plausibility index,
    and each ingest thread has run the metric transform (so the first burst pays none)."""
    store.save_layers(demo_layers)
    with TestClient(create_app(settings_for(store, tmp_path), warm=True)) as client:
        state = client.app.state  # type: ignore[attr-defined]
        loaded: list[str] = []
        real_load = store.load_layers
        store.load_layers = lambda code: loaded.append(code) or real_load(code)  # type: ignore[method-assign]
        layers = state.layers_cache.get(store, "433122207")
        assert loaded == []  # loaded at start
        assert plausibility.township_index(layers).roads is not None
        threads = {t.name for t in threading.enumerate() if t.name.startswith("geo-ingest")}
        assert len(threads) == state.ingest_threads.workers
        client.headers.update(bearer(store, Role.ADMIN))
        track = village_track_gpx(demo_layers, start="2026-11-18 09:00")
        assert client.post("/api/v1/tracks?squad=squad-01", content=track).status_code == 201
