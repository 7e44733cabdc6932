"""The audit log in both stores: written in the transaction of the change, read newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from geo.audit import Action, entry
from geo.coverage.camera_status import StatusChange
from geo.errors import InvalidInput, NotFound
from geo.layers import TownshipLayers
from geo.store import Store

TOWNSHIP = "433122207"


def test_entries_are_written_with_their_change_and_read_newest_first(
    store: Store, demo_layers: TownshipLayers
) -> None:
    t0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    store.save_layers(
        demo_layers,
        audit=entry(Action.LAYERS_LOAD, actor="cli", township=TOWNSHIP, target=TOWNSHIP, at=t0),
    )
    store.add_camera_status(
        TOWNSHIP,
        StatusChange("CAM-01", "offline", t0),
        audit=entry(
            Action.CAMERA_STATUS,
            actor="0123456789ab",
            township=TOWNSHIP,
            target="cameras/CAM-01",
            detail={"status": "offline", "note": "镜头被遮挡"},
            at=t0 + timedelta(minutes=1),
        ),
    )
    got = store.audit_entries()
    assert [e.action for e in got] == [Action.CAMERA_STATUS, Action.LAYERS_LOAD]
    assert got[0].actor == "0123456789ab" and got[0].target == "cameras/CAM-01"
    assert got[0].detail == {"status": "offline", "note": "镜头被遮挡"}
    assert got[0].at == t0 + timedelta(minutes=1) and got[0].township == TOWNSHIP
    assert got[1].id is not None and got[0].id is not None and got[0].id > got[1].id
    assert [e.action for e in store.audit_entries(since=t0 + timedelta(seconds=30))] == [
        Action.CAMERA_STATUS
    ]
    assert [e.action for e in store.audit_entries(limit=1, offset=1)] == [Action.LAYERS_LOAD]
    assert store.audit_entries(township="999") == []


def test_a_refused_change_leaves_no_entry(store: Store, demo_layers: TownshipLayers) -> None:
    store.save_layers(demo_layers)

    def refuse(layers: TownshipLayers) -> TownshipLayers:
        raise InvalidInput("no")

    with pytest.raises(InvalidInput):
        store.edit_layers(
            TOWNSHIP,
            refuse,
            audit=lambda _: entry(Action.FEATURE_DELETE, actor="cli", township=TOWNSHIP),
        )
    with pytest.raises(NotFound):
        store.add_camera_status(
            TOWNSHIP,
            StatusChange("CAM-99", "offline", datetime.now(UTC)),
            audit=entry(Action.CAMERA_STATUS, actor="cli", township=TOWNSHIP),
        )
    assert store.audit_entries() == []
