"""Store.layers_version: the stamp the upload path's layers cache relies on (both stores)."""

from __future__ import annotations

from datetime import UTC, datetime

from geo.coverage.camera_status import StatusChange
from geo.layers import TownshipLayers
from geo.store import Store

TOWNSHIP = "433122207"


def test_stamp_changes_with_whatever_load_layers_returns(
    store: Store, demo_layers: TownshipLayers
) -> None:
    assert store.layers_version(TOWNSHIP) is None
    store.save_layers(demo_layers)
    first = store.layers_version(TOWNSHIP)
    assert first is not None
    assert store.layers_version(TOWNSHIP) == first  # reads do not change it
    store.add_camera_status(TOWNSHIP, StatusChange("CAM-07", "offline", datetime.now(UTC)))
    after_status = store.layers_version(TOWNSHIP)
    assert after_status != first
    store.edit_layers(TOWNSHIP, lambda layers: layers)
    assert store.layers_version(TOWNSHIP) not in (first, after_status)
