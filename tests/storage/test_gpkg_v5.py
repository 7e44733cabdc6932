"""A ``var/geo.gpkg`` written by the release before the single SQL store (GeoPackage schema
version 5, raw sqlite3) opens with today's store: every kind of row reads back with the same
values and Python types, new rows can be written beside the old ones, and GDAL still reads it.

The file is built from frozen copies of that release's schema script and of rows it wrote
(tests/storage/data), not from today's code.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from geo import operations
from geo.audit import Action
from geo.coverage.camera_status import SINCE_EVER
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store.geopackage import GeoPackageStore, register_functions
from geo.store.gpkg_schema import SCHEMA_VERSION
from geo.weeks import IsoWeek
from tests.storage.test_store import village_track_gpx

DATA = Path(__file__).with_name("data")
TOWNSHIP = "433122207"
WEEK = IsoWeek(2026, 47)


def _schema_objects(path: Path) -> list[tuple[str, str]]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        con.close()


@pytest.fixture
def v5_file(tmp_path: Path) -> Path:
    """A GeoPackage as the schema-5 release wrote it: its DDL script, then its rows (the
    R-tree triggers fill the spatial indexes as they did then)."""
    path = tmp_path / "geo.gpkg"
    con = sqlite3.connect(path, isolation_level=None)
    register_functions(con)
    script = (DATA / "geopackage_schema_v5.sql").read_text(encoding="utf-8")
    rows = (DATA / "geopackage_v5_rows.sql").read_text(encoding="utf-8")
    con.executescript(f"BEGIN;\n{script}\n{rows}\nCOMMIT;")
    con.execute("PRAGMA journal_mode = WAL")
    con.close()
    return path


def test_a_schema_5_file_is_upgraded_by_adding_the_devices_table(v5_file: Path) -> None:
    before = _schema_objects(v5_file)
    GeoPackageStore(v5_file).close()
    # Schema 6 added the devices table (issue 13), schema 7 the alert outbox (issue 16),
    # schema 8 registered the service's own tables with geo's data type (issue 14).
    assert SCHEMA_VERSION == "8"
    after = _schema_objects(v5_file)
    # Every object of the old file is kept as it was; only the devices and alert_outbox
    # tables and their indexes are new.
    assert set(before) <= set(after)
    added = sorted(name for name, _ in set(after) - set(before))
    assert added == [
        "alert_outbox",
        "devices",
        "ix_alert_outbox_status_next_attempt_at",
        "ix_devices_township",
        "sqlite_autoindex_alert_outbox_1",
        "sqlite_autoindex_devices_1",
        "sqlite_autoindex_devices_2",
    ], added
    con = sqlite3.connect(v5_file)
    try:
        assert con.execute("SELECT value FROM geo_meta").fetchone() == ("8",)
        contents = con.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'devices'"
        ).fetchall()
        assert contents == [("geo_internal",)]
    finally:
        con.close()


def test_a_schema_5_file_takes_devices(v5_file: Path) -> None:
    from geo.devices import Device, new_device_id

    store = GeoPackageStore(v5_file)
    new = new_device_id()
    device = Device.register(
        new, township=TOWNSHIP, squad="squad-01", created_at=datetime(2026, 11, 30, tzinfo=UTC)
    )
    store.add_device(device)
    assert store.device_by_hash(new.id_sha256) == device
    assert store.devices(TOWNSHIP) == [device]
    store.close()


def test_every_row_of_a_schema_5_file_reads_back(v5_file: Path) -> None:
    store = GeoPackageStore(v5_file)
    assert store.townships() == [TOWNSHIP]

    layers = store.load_layers(TOWNSHIP)
    assert layers.info.code == TOWNSHIP
    counts = {n: len(layers.layer(n)) for n in ("villages", "roads", "cameras", "checkpoints")}
    assert counts == {"villages": 2, "roads": 3, "cameras": 3, "checkpoints": 2}
    assert len(layers.drone_flights) == 2 and layers.drone_flights.geometry.iloc[0].has_z
    assert layers.outline.geometry.iloc[0].geom_type == "MultiPolygon"
    assert layers.cameras["status"].iloc[0] == "offline"  # the status change stored then

    (upload,) = store.uploads(TOWNSHIP)
    assert upload.uploaded_at == datetime(2026, 11, 30, 18, 27, 11, 311000, tzinfo=UTC)
    assert upload.report["fixes_read"] == 48 and upload.filename == "a.gpx"
    start, end = WEEK.bounds(layers.info.tz)
    assert [u.id for u in store.uploads(TOWNSHIP, start=start, end=end)] == [upload.id]

    fixes = store.week_fixes(TOWNSHIP, start, end)
    assert len(fixes) == 48 and str(fixes["time"].dtype) == "datetime64[ms, UTC]"
    assert fixes["time"].iloc[0] == pd.Timestamp("2026-11-18T01:00:00Z")
    assert fixes["time"].iloc[-1] == pd.Timestamp("2026-11-18T01:03:55Z")
    assert set(fixes["segment"]) == {upload.id * 1_000_000}

    segments = store.upload_segments(upload.id)
    assert len(segments) == 1 and segments.geometry.iloc[0].geom_type == "LineString"
    assert segments["started_at"].iloc[0] == pd.Timestamp("2026-11-18T01:00:00Z")
    assert len(store.week_tracks(TOWNSHIP, start, end)) == 1

    changes = store.camera_status_changes(TOWNSHIP)
    assert [(c.status, c.changed_at) for c in changes] == [
        ("online", SINCE_EVER),
        ("offline", datetime(2026, 11, 19, 8, tzinfo=UTC)),
    ]

    key = store.api_key("gk_v5test")
    assert key is not None and key.role is Role.ADMIN and key.name == "片区 key"
    assert key.created_at == datetime(2026, 11, 20, 1, 2, 3, 456000, tzinfo=UTC)
    assert key.revoked_at == datetime(2026, 11, 21, tzinfo=UTC) and key.last_used_at is None

    (entry,) = store.audit_entries()
    assert entry.action is Action.KEY_CREATE and entry.detail == {"role": "admin"}
    assert entry.at == datetime(2026, 11, 20, 1, 2, 3, tzinfo=UTC)

    assert store.coverage_weeks(TOWNSHIP) == [str(WEEK)]
    stored = store.load_coverage(TOWNSHIP, str(WEEK))
    assert stored is not None
    coverage, fingerprint = stored
    assert len(coverage.villages) == 7 and len(coverage.gaps) == 1
    assert coverage.fixes_used == 48 and fingerprint.startswith("layers=")
    assert coverage.gaps[0].geometry.is_valid and not coverage.gaps[0].geometry.is_empty


def test_a_schema_5_file_takes_new_rows_and_stays_a_geopackage(
    v5_file: Path, demo_layers: TownshipLayers
) -> None:
    store = GeoPackageStore(v5_file)
    second = operations.import_track(
        store,
        village_track_gpx(demo_layers, start="2026-11-19 09:00", minutes=5),
        filename="b.gpx",
        township=TOWNSHIP,
        squad="squad-02",
    )
    assert second.record.id == 2  # after the old file's upload: its id sequence is kept
    start, end = WEEK.bounds(store.load_layers(TOWNSHIP).info.tz)
    fixes = store.week_fixes(TOWNSHIP, start, end)
    assert len(fixes) == 48 + 60
    assert fixes["time"].is_monotonic_increasing  # old text times and new ones sort together
    assert operations.week_coverage(store, TOWNSHIP, WEEK).fixes_used == 48 + 60

    listed = dict(pyogrio.list_layers(v5_file))
    assert listed["patrol_tracks"] == "LineString" and listed["fixes"] is None
    tracks = pyogrio.read_dataframe(v5_file, layer="patrol_tracks")
    assert len(tracks) == 2 and tracks.crs.to_epsg() == 4326
    info = pyogrio.read_info(v5_file, layer="patrol_tracks")
    assert info["capabilities"]["fast_spatial_filter"]
