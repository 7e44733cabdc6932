"""Idempotency keys and live batch ids belong to their uploader (township + squad), on both
stores: another squad's key is never looked at, and a 409 never names another squad's upload
(issue 10, item 4)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from geo import operations
from geo.errors import Conflict
from geo.layers import TownshipLayers
from geo.store import Store
from geo.store.geopackage import GeoPackageStore
from geo.store.gpkg_schema import SCHEMA_VERSION
from tests.storage.test_store import village_track_gpx

TOWNSHIP = "433122207"


def _upload(store: Store, layers: TownshipLayers, squad: str, start: str, key: str) -> int:
    done = operations.import_track(
        store,
        village_track_gpx(layers, start=start),
        filename=f"{squad}.gpx",
        township=TOWNSHIP,
        squad=squad,
        layers=layers,
        idempotency_key=key,
    )
    assert not done.record.duplicate
    return done.record.id


def test_another_squads_idempotency_key_is_not_ours(
    store: Store, demo_layers: TownshipLayers
) -> None:
    store.save_layers(demo_layers)
    theirs = _upload(store, demo_layers, "squad-02", "2026-11-18 09:00", "k-1")
    ours = _upload(store, demo_layers, "squad-01", "2026-11-19 09:00", "k-1")
    assert ours != theirs
    assert {u.squad for u in store.uploads(TOWNSHIP)} == {"squad-01", "squad-02"}
    # A retry gets its own squad's first answer.
    again = operations.import_track(
        store,
        village_track_gpx(demo_layers, start="2026-11-19 09:00"),
        filename="retry.gpx",
        township=TOWNSHIP,
        squad="squad-01",
        layers=demo_layers,
        idempotency_key="k-1",
    )
    assert again.record.duplicate and again.record.id == ours
    # The key reused by squad-01 for another file: 409 naming squad-01's upload only.
    with pytest.raises(Conflict) as refused:
        operations.import_track(
            store,
            village_track_gpx(demo_layers, start="2026-11-20 09:00"),
            filename="other.gpx",
            township=TOWNSHIP,
            squad="squad-01",
            layers=demo_layers,
            idempotency_key="k-1",
        )
    assert f"upload {ours} " in refused.value.detail
    assert (
        "squad-02" not in refused.value.detail and f"upload {theirs} " not in refused.value.detail
    )


def test_live_batch_ids_are_per_squad_and_device(store: Store, demo_layers: TownshipLayers) -> None:
    store.save_layers(demo_layers)
    line = demo_layers.roads.geometry.iloc[0]

    def send(squad: str, device: str, minute: int) -> operations.ImportResult:
        fixes = [
            operations.LiveFix(
                datetime(2026, 11, 18, 9, minute, 5 * k),
                line.interpolate(k / 20, normalized=True).x,
                line.interpolate(k / 20, normalized=True).y,
            )
            for k in range(6)
        ]
        return operations.import_positions(
            store, township=TOWNSHIP, batch_id="b1", squad=squad, device=device, fixes=fixes
        )

    first = send("squad-01", "phone-1", 0)
    other_squad = send("squad-02", "phone-1", 1)  # same device name and batch id, other squad
    other_device = send("squad-01", "phone-2", 2)  # same squad and batch id, other device
    assert not other_squad.record.duplicate and not other_device.record.duplicate
    assert len({first.record.id, other_squad.record.id, other_device.record.id}) == 3
    retry = send("squad-01", "phone-1", 0)
    assert retry.record.duplicate and retry.record.id == first.record.id
    with pytest.raises(Conflict) as refused:
        send("squad-01", "phone-1", 3)  # batch b1 again with other fixes
    assert f"upload {first.record.id} " in refused.value.detail


def test_a_schema_4_geopackage_gets_per_uploader_keys_in_place(
    tmp_path: Path, demo_layers: TownshipLayers
) -> None:
    """A store written by geo with schema 4 (keys unique per township, no audit log) is
    rebuilt on open: rows, ids, segments and the id sequence kept."""
    path = tmp_path / "old.gpkg"
    store = GeoPackageStore(path)
    store.save_layers(demo_layers)
    first = _upload(store, demo_layers, "squad-02", "2026-11-18 09:00", "k-1")
    con = sqlite3.connect(path)
    ddl = con.execute("SELECT sql FROM sqlite_master WHERE name = 'track_uploads'").fetchone()[0]
    old = ddl.replace(
        'UNIQUE ("township", "squad", "idempotency_key")', 'UNIQUE ("township", "idempotency_key")'
    )
    assert old != ddl
    con.executescript(
        f"""
        PRAGMA foreign_keys = OFF;
        BEGIN;
        {old.replace('"track_uploads"', '"v4"', 1)};
        INSERT INTO v4 SELECT * FROM track_uploads;
        DROP TABLE track_uploads;
        ALTER TABLE v4 RENAME TO track_uploads;
        CREATE INDEX "ix_track_uploads_township" ON "track_uploads" ("township");
        UPDATE sqlite_sequence SET seq = 41 WHERE name = 'track_uploads';
        DROP TABLE audit_log;
        DELETE FROM gpkg_contents WHERE table_name = 'audit_log';
        UPDATE geo_meta SET value = '4';
        COMMIT;
        """
    )
    segments = con.execute("SELECT count(*) FROM patrol_tracks").fetchone()[0]
    con.close()
    assert segments > 0

    store = GeoPackageStore(path)
    con = sqlite3.connect(path)
    assert con.execute("SELECT value FROM geo_meta").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("SELECT count(*) FROM patrol_tracks").fetchone()[0] == segments
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    assert "audit_log" in {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
    con.close()
    assert [u.id for u in store.uploads(TOWNSHIP)] == [first]
    ours = _upload(store, demo_layers, "squad-01", "2026-11-19 09:00", "k-1")
    assert ours == 42  # the id sequence survived the rebuild
