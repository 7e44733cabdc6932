"""Both stores: camera status history, the week's fingerprint, layer edits keep imported
flights, stored weeks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from geo import operations
from geo.coverage.camera_status import SINCE_EVER, StatusChange
from geo.errors import LayerProblems, NotFound
from geo.layers import TownshipLayers
from geo.store import Store
from geo.weeks import IsoWeek
from tests.storage.test_store import village_track_gpx
from tests.test_drone import flight_gpx

TOWNSHIP = "433122207"
TZ = ZoneInfo("Asia/Shanghai")
WEEK = IsoWeek(2026, 47)


def test_status_changes_are_recorded_with_the_layers_status_first(
    store: Store, demo_layers: TownshipLayers
) -> None:
    store.save_layers(demo_layers)
    wednesday = datetime(2026, 11, 18, 4, tzinfo=UTC)
    assert (
        store.add_camera_status(
            TOWNSHIP, StatusChange("CAM-07", "offline", wednesday, "power", "planner-1")
        )
        == "offline"
    )
    history = store.camera_status_changes(TOWNSHIP, camera="CAM-07")
    assert [(c.status, c.changed_at) for c in history] == [
        ("online", SINCE_EVER),
        ("offline", wednesday),
    ]
    assert history[1].note == "power" and history[1].changed_by == "planner-1"
    cameras = store.load_layers(TOWNSHIP).cameras
    assert cameras.loc[cameras["code"] == "CAM-07", "status"].item() == "offline"

    # a change dated before the latest one is history: the current status stays
    monday = datetime(2026, 11, 16, 1, tzinfo=UTC)
    assert store.add_camera_status(TOWNSHIP, StatusChange("CAM-07", "maintenance", monday)) == (
        "offline"
    )
    assert len(store.camera_status_changes(TOWNSHIP, camera="CAM-07")) == 3
    assert len(store.camera_status_changes(TOWNSHIP, before=wednesday)) == 2
    assert store.camera_status_changes(TOWNSHIP, camera="CAM-01") == []


def test_unknown_camera_is_not_found_and_nothing_is_stored(
    store: Store, demo_layers: TownshipLayers
) -> None:
    store.save_layers(demo_layers)
    with pytest.raises(NotFound, match="CAM-99"):
        store.add_camera_status(TOWNSHIP, StatusChange("CAM-99", "offline", datetime.now(UTC)))
    assert store.camera_status_changes(TOWNSHIP) == []


def test_a_status_change_makes_the_weeks_it_reaches_stale(
    store: Store, demo_layers: TownshipLayers
) -> None:
    store.save_layers(demo_layers)
    start, end = WEEK.bounds(TZ)
    store.add_camera_status(TOWNSHIP, StatusChange("CAM-01", "offline", start))
    before = store.inputs_fingerprint(TOWNSHIP, start, end)
    # a change after the week does not touch it
    store.add_camera_status(TOWNSHIP, StatusChange("CAM-01", "online", end))
    assert store.inputs_fingerprint(TOWNSHIP, start, end) == before
    # a change inside it does
    store.add_camera_status(TOWNSHIP, StatusChange("CAM-02", "offline", start))
    assert store.inputs_fingerprint(TOWNSHIP, start, end) != before


def test_a_layer_edit_keeps_imported_flights(store: Store, demo_layers: TownshipLayers) -> None:
    store.save_layers(demo_layers)
    operations.import_flight(
        store, flight_gpx(demo_layers, 400.0), filename="dji.gpx", township=TOWNSHIP
    )
    loaded = store.load_layers(TOWNSHIP)
    assert sorted(loaded.drone_flights["source"]) == ["import", "layers", "layers"]
    start, end = WEEK.bounds(TZ)
    before = store.inputs_fingerprint(TOWNSHIP, start, end)
    store.save_layers(loaded, imported_flights="replace")
    again = store.load_layers(TOWNSHIP)
    assert list(again.drone_flights["flight_id"]) == list(loaded.drone_flights["flight_id"])
    assert list(again.drone_flights["source"]) == list(loaded.drone_flights["source"])
    assert store.inputs_fingerprint(TOWNSHIP, start, end) != before
    # "replace" writes exactly the flights given: one deleted stays deleted
    fewer = again.drone_flights[again.drone_flights["source"] != "import"]
    store.save_layers(replace(again, drone_flights=fewer), imported_flights="replace")
    assert "import" not in set(store.load_layers(TOWNSHIP).drone_flights["source"])


def test_coverage_weeks_lists_stored_weeks(store: Store, demo_layers: TownshipLayers) -> None:
    store.save_layers(demo_layers)
    for day in ("2026-11-11 09:00", "2026-11-18 09:00"):  # a patrol in each week: data
        operations.import_track(
            store,
            village_track_gpx(demo_layers, start=day),
            filename=f"{day[:10]}.gpx",
            township=TOWNSHIP,
            squad="squad-01",
        )
    assert store.coverage_weeks(TOWNSHIP) == []
    operations.week_coverage(store, TOWNSHIP, WEEK)
    operations.week_coverage(store, TOWNSHIP, WEEK.previous())
    assert store.coverage_weeks(TOWNSHIP) == ["2026-W46", "2026-W47"]


def test_concurrent_edits_are_all_kept(store: Store, demo_layers: TownshipLayers) -> None:
    """Each edit loads, changes and saves the layers in one transaction: edits at the same
    moment apply one after the other, and none overwrites another."""
    store.save_layers(demo_layers)
    codes = [f"CAM-{n}" for n in range(50, 56)]

    def add(code: str) -> None:
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [109.9004, 28.1520]},
            "properties": {"code": code, "bearing_deg": 0, "status": "online"},
        }
        operations.add_layer_feature(store, TOWNSHIP, "cameras", feature)

    with ThreadPoolExecutor(max_workers=len(codes)) as pool:
        list(pool.map(add, codes))
    stored = set(store.load_layers(TOWNSHIP).cameras["code"])
    assert set(codes) <= stored and len(stored) == 34 + len(codes)


def test_a_refused_edit_stores_nothing(store: Store, demo_layers: TownshipLayers) -> None:
    store.save_layers(demo_layers)
    start, end = WEEK.bounds(TZ)
    before = store.inputs_fingerprint(TOWNSHIP, start, end)

    def refuse(layers: TownshipLayers) -> TownshipLayers:
        raise LayerProblems(["cameras CAM-01: lies outside every village"])

    with pytest.raises(LayerProblems):
        store.edit_layers(TOWNSHIP, refuse)
    assert store.inputs_fingerprint(TOWNSHIP, start, end) == before
