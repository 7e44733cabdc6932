"""Fixes by month: PostGIS's partitions (created ahead, for an upload's months, rows moved out of
the DEFAULT partition), retention (``prune_fixes`` on both stores), the box form of
``week_fixes``, and the plans of the store's own queries: only the week's partitions scanned,
through an index."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from geo import operations
from geo.audit import Action
from geo.layers import TownshipLayers
from geo.store import Store
from geo.store.sql import SqlStore
from geo.weeks import IsoWeek
from tests.storage.test_store import village_track_gpx

TOWNSHIP = "433122207"
OLD, NEW = IsoWeek(2026, 37), IsoWeek(2026, 47)  # September and November 2026


def _import(store: Store, layers: TownshipLayers, start: str, name: str) -> int:
    done = operations.import_track(
        store,
        village_track_gpx(layers, start=start),
        filename=name,
        township=TOWNSHIP,
        squad="squad-01",
        device="p1",
    )
    return int(done.record.report["fixes_read"])


def test_prune_lists_then_removes_the_fixes_before_a_month(
    store: Store, demo_layers: TownshipLayers
) -> None:
    store.save_layers(demo_layers)
    old = _import(store, demo_layers, "2026-09-09 09:00", "old.gpx")
    new = _import(store, demo_layers, "2026-11-18 09:00", "new.gpx")
    tz = demo_layers.info.tz

    listed = operations.prune_fixes(store, "2026-10")
    assert sum(p.rows for p in listed) == old
    assert len(store.week_fixes(TOWNSHIP, *OLD.bounds(tz))) == old  # a listing removes nothing
    assert not [e for e in store.audit_entries() if e.action == Action.FIXES_PRUNE]

    removed = operations.prune_fixes(store, "2026-10", apply=True)
    assert removed == listed
    assert store.week_fixes(TOWNSHIP, *OLD.bounds(tz)).empty
    assert len(store.week_fixes(TOWNSHIP, *NEW.bounds(tz))) == new
    assert len(store.uploads(TOWNSHIP)) == 2  # uploads and their tracks stay
    (entry,) = [e for e in store.audit_entries() if e.action == Action.FIXES_PRUNE]
    assert entry.detail["rows"] == old and entry.detail["before"] == "2026-10"
    if type(store).__name__ == "PostGISStore":
        # Empty months left by other tests go too; every part is a month before October.
        assert [(p.name, p.dropped) for p in removed if p.rows] == [("fixes_2026_09", True)]
        assert all(p.dropped and p.name < "fixes_2026_10" for p in removed)
    assert operations.prune_fixes(store, "2026-10", apply=True) == []


def test_week_fixes_in_a_box(store: Store, demo_layers: TownshipLayers) -> None:
    store.save_layers(demo_layers)
    _import(store, demo_layers, "2026-11-18 09:00", "a.gpx")
    window = NEW.bounds(demo_layers.info.tz)
    every = store.week_fixes(TOWNSHIP, *window)
    west, south = every["lon"].min(), every["lat"].min()
    east, north = every["lon"].median(), every["lat"].max()
    boxed = store.week_fixes(TOWNSHIP, *window, bbox=(west, south, east, north))
    inside = every[every["lon"].between(west, east) & every["lat"].between(south, north)]
    assert 0 < len(boxed) < len(every)
    assert boxed.reset_index(drop=True).equals(inside.reset_index(drop=True))


# PostGIS only below.


def _months(engine: Engine) -> set[date]:
    from geo.store.partitions import existing_months

    with engine.connect() as conn:
        return existing_months(conn)


def _where(engine: Engine, sql: str) -> dict[str, int]:
    """Rows of ``fixes`` per partition."""
    with engine.connect() as conn:
        found = conn.execute(text(f"SELECT tableoid::regclass::text, count(*) {sql} GROUP BY 1"))
        return {str(name): int(n) for name, n in found}


@pytest.mark.postgis
def test_a_store_creates_this_month_and_the_next_ones(pg_store: SqlStore) -> None:
    from geo.store.partitions import MONTHS_AHEAD, months_from

    ahead = set(months_from(datetime.now(UTC).date(), MONTHS_AHEAD + 1))
    assert ahead <= _months(pg_store.engine)


@pytest.mark.postgis
def test_an_upload_creates_its_months_and_lands_in_them(
    pg_store: SqlStore, demo_layers: TownshipLayers
) -> None:
    pg_store.save_layers(demo_layers)
    n = _import(pg_store, demo_layers, "2025-03-12 09:00", "march.gpx")
    assert date(2025, 3, 1) in _months(pg_store.engine)
    assert _where(pg_store.engine, "FROM fixes") == {"fixes_2025_03": n}


@pytest.mark.postgis
def test_a_new_month_takes_its_rows_from_the_default_partition(pg_store: SqlStore) -> None:
    from geo.store.partitions import ensure_months

    row = (
        "INSERT INTO fixes (upload_id, seq, township, squad, device, t, lon, lat, segment, "
        "drop_reason) VALUES (1, :seq, 'x', 's', '', :t, 110, 28, 0, 0)"
    )
    with pg_store.engine.begin() as conn:
        conn.execute(text(row), {"seq": 0, "t": datetime(2019, 5, 3, tzinfo=UTC)})
        conn.execute(text(row), {"seq": 1, "t": None})
    assert _where(pg_store.engine, "FROM fixes") == {"fixes_default": 2}
    with pg_store.engine.begin() as conn:
        assert ensure_months(conn, [date(2019, 5, 20)]) == ["fixes_2019_05"]
        assert ensure_months(conn, [date(2019, 5, 1)]) == []
    assert _where(pg_store.engine, "FROM fixes") == {"fixes_default": 1, "fixes_2019_05": 1}


# The plans. A year of weekly uploads for three townships, each upload a contiguous run of
# rows (as COPY writes them), 4,000 fixes each: about 52,000 rows a month partition.
PER_UPLOAD = 4000
_YEAR = f"""
INSERT INTO fixes (upload_id, seq, township, squad, device, t, lon, lat, accuracy_m, segment,
                   drop_reason)
SELECT w * 3 + k, i, 'T' || k, 'squad-01', '',
       timestamptz '2025-01-01 00:00+00' + w * interval '7 days' + i * interval '120 seconds',
       110.0 + k * 0.5 + (i % 100) * 0.0001, 28.0 + (i / 100) * 0.0001, 5, 0, 0
FROM generate_series(0, 51) w, generate_series(0, 2) k, generate_series(0, {PER_UPLOAD - 1}) i
ORDER BY w, k, i
"""


@pytest.fixture
def year_store(pg_store: SqlStore) -> SqlStore:
    from geo.store.partitions import ensure_months, months_from

    with pg_store.engine.begin() as conn:
        ensure_months(conn, months_from(date(2025, 1, 1), 12))
        conn.execute(text(_YEAR))
    # Block ranges summarised and statistics gathered, as autovacuum does on a live store.
    with pg_store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE fixes"))
    return pg_store


def _plan_of_store_query(store: SqlStore, call: Any) -> tuple[dict[str, Any], str]:
    """Run ``call``, capture the SQL the store sent for ``fixes`` (with its parameters) and
    return PostgreSQL's plan for exactly that statement, and the statement."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM fixes" in statement:
            seen.append((statement, parameters))

    engine = store.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    (statement, parameters), *_ = seen
    with engine.connect() as conn:
        found = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()
    plan: list[dict[str, Any]] = json.loads(found) if isinstance(found, str) else list(found or [])
    return plan[0]["Plan"], statement


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _scanned(plan: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The relations a plan reads and the indexes it uses."""
    nodes = list(_nodes(plan))
    relations = {n["Relation Name"] for n in nodes if "Relation Name" in n}
    indexes = {n["Index Name"] for n in nodes if "Index Name" in n}
    return relations, indexes


@pytest.mark.postgis
@pytest.mark.parametrize(
    ("week", "partitions"),
    [
        (IsoWeek(2025, 20), {"fixes_2025_05"}),
        (IsoWeek(2025, 5), {"fixes_2025_01", "fixes_2025_02"}),  # 27 January to 2 February
    ],
)
def test_a_township_weeks_fixes_read_only_its_months_through_an_index(
    year_store: SqlStore, week: IsoWeek, partitions: set[str]
) -> None:
    from zoneinfo import ZoneInfo

    start, end = week.bounds(ZoneInfo("Asia/Shanghai"))
    plan, statement = _plan_of_store_query(
        year_store, lambda: year_store.week_fixes("T1", start, end)
    )
    relations, indexes = _scanned(plan)
    assert relations == partitions, statement
    assert indexes == {f"{p}_township_t_idx" for p in partitions}, json.dumps(plan)
    with year_store.engine.connect() as conn:
        expected = conn.scalar(
            text("SELECT count(*) FROM fixes WHERE township = 'T1' AND t >= :a AND t < :b"),
            {"a": start, "b": end},
        )
    assert len(year_store.week_fixes("T1", start, end)) == expected > 0


@pytest.mark.postgis
def test_fixes_in_a_box_read_only_the_weeks_months_through_an_index(year_store: SqlStore) -> None:
    from zoneinfo import ZoneInfo

    start, end = IsoWeek(2025, 33).bounds(ZoneInfo("Asia/Shanghai"))  # 11 to 17 August
    box = (110.5, 28.0, 110.502, 28.01)  # township T1's first columns of fixes
    plan, statement = _plan_of_store_query(
        year_store, lambda: year_store.week_fixes("T1", start, end, bbox=box)
    )
    relations, indexes = _scanned(plan)
    assert relations == {"fixes_2025_08"}, statement
    assert indexes and indexes <= {
        "fixes_2025_08_township_t_idx",
        "fixes_2025_08_lon_lat_idx",
    }, json.dumps(plan)
    found = year_store.week_fixes("T1", start, end, bbox=box)
    assert 0 < len(found) < PER_UPLOAD
    assert found["lon"].between(110.5, 110.502).all()


@pytest.mark.postgis
def test_fixes_points_has_a_unique_integer_key(pg_store: SqlStore) -> None:
    with pg_store.engine.begin() as conn:
        conn.execute(text(_YEAR.replace("generate_series(0, 51)", "generate_series(0, 1)")))
        fid, geom = conn.execute(
            text(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'fixes_points'::regclass AND attname IN ('fid', 'geom') "
                "ORDER BY attname"
            )
        ).scalars()
        total, distinct = conn.execute(
            text("SELECT count(*), count(DISTINCT fid) FROM fixes_points")
        ).one()
        first = conn.execute(
            text("SELECT fid, upload_id, seq FROM fixes_points WHERE upload_id = 4 AND seq = 7")
        ).one()
    assert (fid, geom) == ("bigint", "geometry(Point,4326)")
    assert total == distinct == 2 * 3 * PER_UPLOAD
    assert first.fid == (4 << 32) | 7


def test_geo_db_prune_on_the_command_line(store: Store, demo_layers: TownshipLayers) -> None:
    from tests.cli_runner import run_geo

    store.save_layers(demo_layers)
    old = _import(store, demo_layers, "2026-09-09 09:00", "old.gpx")
    _import(store, demo_layers, "2026-11-18 09:00", "new.gpx")
    url = getattr(store, "url", None)
    env = {"GEO_DATABASE_URL": url, "GEO_GPKG_PATH": str(getattr(store, "path", "unused"))}
    env["COLUMNS"] = "200"

    listed = run_geo(["db", "prune", "--before", "2026-10"], env)
    assert listed.returncode == 0, listed.stderr
    assert f"would remove {old} fixes before 2026-10" in listed.stdout
    assert "add --yes" in listed.stdout
    assert len(store.week_fixes(TOWNSHIP, *OLD.bounds(demo_layers.info.tz))) == old

    done = run_geo(["db", "prune", "--before", "2026-10", "--yes"], env)
    assert done.returncode == 0, done.stderr
    assert f"removed {old} fixes before 2026-10" in done.stdout
    assert store.week_fixes(TOWNSHIP, *OLD.bounds(demo_layers.info.tz)).empty
    audit = run_geo(["audit", "list", "--format", "json"], env)
    assert '"action": "fixes.prune"' in audit.stdout

    bad = run_geo(["db", "prune", "--before", "2026-13"], env)
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert bad.returncode != 0 and len(lines) == 1 and lines[0].startswith("geo: error: ")
