"""Reads never grow the store without bound (issue 10, item 8): a week without data is
answered without storing anything, and a week with data keeps one stored result."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import text

from geo import operations
from geo.layers import TownshipLayers
from geo.store import Store
from geo.store.geopackage import GeoPackageStore
from geo.weeks import IsoWeek
from tests.storage.test_store import village_track_gpx

TOWNSHIP = "433122207"
DATA_WEEK = IsoWeek(2026, 47)
EMPTY_WEEKS = [
    *(IsoWeek(2026, w) for w in range(37, 45)),  # the weeks before (inside the gap look-back)
    IsoWeek(2026, 52),
    IsoWeek(2000, 1),
    IsoWeek(2099, 52),
    IsoWeek(2030, 10),
]


def row_counts(store: Store) -> dict[str, int]:
    """Rows of the coverage tables, read straight from either store."""
    tables = ("coverage_results", "coverage_gaps")
    if isinstance(store, GeoPackageStore):
        con = sqlite3.connect(store.path)
        try:
            return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        finally:
            con.close()
    engine: Any = store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def test_many_reads_of_empty_and_busy_weeks_keep_the_store_bounded(
    store: Store, demo_layers: TownshipLayers
) -> None:
    store.save_layers(demo_layers)
    operations.import_track(
        store,
        village_track_gpx(demo_layers, start="2026-11-18 09:00"),
        filename="a.gpx",
        township=TOWNSHIP,
        squad="squad-01",
    )
    # Empty weeks: answered (every village without data), nothing stored.
    for _ in range(2):
        for week in EMPTY_WEEKS:
            result = operations.week_coverage(store, TOWNSHIP, week)
            assert result.week == str(week) and result.fixes_used == 0
            assert len(result.villages) == len(demo_layers.villages)
    assert row_counts(store) == {"coverage_results": 0, "coverage_gaps": 0}
    assert store.coverage_weeks(TOWNSHIP) == []

    # A week with data: stored once, read back, recomputed in place.
    first = operations.week_coverage(store, TOWNSHIP, DATA_WEEK)
    stored = row_counts(store)
    assert stored == {"coverage_results": len(first.villages), "coverage_gaps": len(first.gaps)}
    for _ in range(5):
        assert operations.week_coverage(store, TOWNSHIP, DATA_WEEK).computed_at == first.computed_at
    operations.week_coverage(store, TOWNSHIP, DATA_WEEK, refresh=True)
    operations.import_track(
        store,
        village_track_gpx(demo_layers, start="2026-11-19 09:00"),
        filename="b.gpx",
        township=TOWNSHIP,
        squad="squad-02",
    )
    last = operations.week_coverage(store, TOWNSHIP, DATA_WEEK)
    assert last.fixes_used > first.fixes_used
    assert row_counts(store) == {
        "coverage_results": len(last.villages),
        "coverage_gaps": len(last.gaps),
    }
    assert store.coverage_weeks(TOWNSHIP) == [str(DATA_WEEK)]

    # A week whose only data is a drone flight (the demo's flights of 4 and 6 November).
    flights = operations.week_coverage(store, TOWNSHIP, IsoWeek(2026, 45))
    assert flights.drone_flights == 2 and flights.fixes_used == 0
    assert store.coverage_weeks(TOWNSHIP) == ["2026-W45", str(DATA_WEEK)]
