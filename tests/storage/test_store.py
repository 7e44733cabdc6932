"""One suite, both stores: layers, uploads, week queries, coverage results, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from geo import operations
from geo.errors import NotFound
from geo.ingest.pipeline import prepare_upload
from geo.layers import TownshipLayers
from geo.store import Store
from geo.tracks.gpx_write import write_gpx
from geo.weeks import IsoWeek

WEEK = IsoWeek(2026, 47)


def village_track_gpx(layers: TownshipLayers, *, start: str, minutes: int = 20) -> bytes:
    """A track along the first road inside the first village, one fix every 5 s."""
    roads = layers.roads
    line = roads.geometry.iloc[0]
    n = minutes * 12
    points = [line.interpolate(f, normalized=True) for f in np.linspace(0, 1, n)]
    times = pd.Series(pd.date_range(start, periods=n, freq="5s", tz="Asia/Shanghai"))
    return write_gpx(
        np.array([p.x for p in points]), np.array([p.y for p in points]), times.dt.tz_convert("UTC")
    )


def test_layers_round_trip(store: Store, demo_layers: TownshipLayers) -> None:
    store.save_layers(demo_layers)
    assert store.townships() == ["433122207"]
    got = store.load_layers("433122207")
    assert got.info == demo_layers.info
    for name in ("villages", "roads", "cameras", "checkpoints", "drone_flights"):
        a, b = demo_layers.layer(name), got.layer(name)
        assert list(a.columns) == list(b.columns), name
        assert len(a) == len(b), name
        pd.testing.assert_frame_equal(
            pd.DataFrame(a.drop(columns="geometry")),
            pd.DataFrame(b.drop(columns="geometry")),
            check_dtype=False,
        )
        assert all(g1.equals_exact(g2, 1e-9) for g1, g2 in zip(a.geometry, b.geometry, strict=True))
    assert got.drone_flights.geometry.iloc[0].has_z
    assert got.outline.geometry.iloc[0].equals_exact(demo_layers.outline.geometry.iloc[0], 1e-9)


def test_saving_layers_again_replaces_them(store: Store, demo_layers: TownshipLayers) -> None:
    store.save_layers(demo_layers)
    fewer = demo_layers.cameras.iloc[:10]
    from dataclasses import replace

    store.save_layers(replace(demo_layers, cameras=fewer))
    assert len(store.load_layers("433122207").cameras) == 10


def test_unknown_township_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.load_layers("999")


def test_upload_is_stored_once_and_read_back_by_week(
    store: Store, demo_layers: TownshipLayers
) -> None:
    store.save_layers(demo_layers)
    data = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    first = operations.import_track(
        store, data, filename="a.gpx", township="433122207", squad="squad-01", device="p1"
    )
    again = operations.import_track(
        store, data, filename="a-again.gpx", township="433122207", squad="squad-01", device="p1"
    )
    assert not first.record.duplicate and again.record.duplicate
    assert again.record.id == first.record.id
    assert [u.id for u in store.uploads("433122207")] == [first.record.id]

    start, end = WEEK.bounds(demo_layers.info.tz)
    fixes = store.week_fixes("433122207", start, end)
    assert len(fixes) == first.record.report["fixes_read"]
    assert str(fixes["time"].dtype) == "datetime64[ms, UTC]"
    assert fixes["time"].min() == pd.Timestamp("2026-11-18 01:00", tz="UTC")
    assert set(fixes["squad"]) == {"squad-01"}
    assert (fixes["segment"] >= 0).all()
    # A window that ends before the track holds nothing.
    assert store.week_fixes("433122207", start, datetime(2026, 11, 18, 0, 0, tzinfo=UTC)).empty
    tracks = store.week_tracks("433122207", start, end)
    assert len(tracks) == first.record.report["segments"] and tracks.crs.to_epsg() == 4326


def test_failed_upload_leaves_nothing_behind(store: Store, demo_layers: TownshipLayers) -> None:
    store.save_layers(demo_layers)
    data = village_track_gpx(demo_layers, start="2026-11-18 09:00")
    prepared = prepare_upload(data, filename="x.gpx", layers=demo_layers, squad="squad-01")
    # Fixes without their drop column fail after the upload row and its segments are written.
    fixes = prepared.upload.fixes.drop(columns="drop")
    from dataclasses import replace

    broken = replace(prepared.upload, fixes=fixes)
    with pytest.raises(KeyError):
        store.add_upload(broken)
    assert store.uploads("433122207") == []
    start, end = WEEK.bounds(demo_layers.info.tz)
    assert store.week_fixes("433122207", start, end).empty
    assert store.week_tracks("433122207", start, end).empty


def test_coverage_is_stored_and_recomputed_when_inputs_change(
    store: Store, demo_layers: TownshipLayers
) -> None:
    store.save_layers(demo_layers)
    operations.import_track(
        store,
        village_track_gpx(demo_layers, start="2026-11-18 09:00"),
        filename="a.gpx",
        township="433122207",
        squad="squad-01",
    )
    first = operations.week_coverage(store, "433122207", WEEK)
    stored = store.load_coverage("433122207", str(WEEK))
    assert stored is not None
    assert stored[0].model_dump(mode="json") == first.model_dump(mode="json")
    assert stored[0].gaps_geojson().model_dump(mode="json") == first.gaps_geojson().model_dump(
        mode="json"
    )
    assert operations.week_coverage(store, "433122207", WEEK).computed_at == first.computed_at

    operations.import_track(
        store,
        village_track_gpx(demo_layers, start="2026-11-19 09:00"),
        filename="b.gpx",
        township="433122207",
        squad="squad-02",
    )
    second = operations.week_coverage(store, "433122207", WEEK)
    assert second.fixes_used > first.fixes_used
    assert {v.squad for v in second.villages if v.status != "no_data"} >= {"squad-01", "squad-02"}
