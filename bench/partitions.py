"""Fixes partitioned by month against the same fixes in one table (the baseline, as migration
0005 left it: one table, BRIN on time and upload), in one run on one database.

A county's year is generated in SQL: ``--townships`` townships each upload a week of fixes
every week of 2025 (``--fixes`` fixes in all), in arrival order, into ``fixes`` of a database
at migration 0005 (one table); ``geo db upgrade`` to 0006 is timed (it copies them into the
monthly partitions), and the same rows go into ``fixes_flat`` (one table, 0005's indexes) and
``fixes_brin`` (one table with the partitions' four BRIN indexes, to tell what partitioning
adds beyond the indexes); all are vacuumed and analysed.
Then:

- a township-week's fixes: the SQL ``SqlStore.week_fixes`` sends (captured from the store, not
  rewritten) run on both tables, and the store's whole call on the partitioned one;
- the same week's fixes in a box (``week_fixes(..., bbox=...)``);
- retention of January: ``geo db prune``'s partition drop against ``DELETE`` from the table.

Each read is the median of ``--runs`` rounds after one warm-up, the variants interleaved in
each round. Usage::

    python bench/partitions.py --database-url postgresql+psycopg://geo@127.0.0.1:55432/bench

The database's public schema is dropped and migrated again. The last line printed is one JSON
object with the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, event, text

# This folder holds coverage.py, which would shadow the coverage package numba looks for.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
WEEKS = 52
_FILL = """
INSERT INTO {table} (upload_id, seq, township, squad, device, t, lon, lat, accuracy_m,
                     segment, drop_reason)
SELECT w * {townships} + k, i, 'T' || k, 'squad-01', 'phone',
       timestamptz '2025-01-01 00:00+00' + w * interval '7 days'
         + i * (interval '6 days' / {per_upload}),
       109.5 + k * 0.1 + (i % 200) * 0.0002, 28.0 + (i / 200) * 0.0002 + k * 0.05,
       5, 0, 0
FROM generate_series(0, {last_week}) w, generate_series(0, {townships} - 1) k,
     generate_series(0, {per_upload} - 1) i
ORDER BY w, k, i
"""
_FLAT = """
CREATE TABLE fixes_flat (LIKE fixes);
CREATE INDEX ix_fixes_flat_t ON fixes_flat USING brin (t);
CREATE INDEX ix_fixes_flat_upload_id ON fixes_flat USING brin (upload_id);
CREATE TABLE fixes_brin (LIKE fixes);
CREATE INDEX ix_fixes_brin_t ON fixes_brin USING brin (t) WITH (pages_per_range = 32);
CREATE INDEX ix_fixes_brin_upload_id ON fixes_brin USING brin (upload_id)
  WITH (pages_per_range = 32);
CREATE INDEX ix_fixes_brin_township_t ON fixes_brin USING brin (township, t)
  WITH (pages_per_range = 32);
CREATE INDEX ix_fixes_brin_lon_lat ON fixes_brin USING brin (lon, lat)
  WITH (pages_per_range = 32);
"""


def _timed(calls: dict[str, Callable[[], Any]], runs: int) -> dict[str, float]:
    """The median time of each call over ``runs`` rounds, the calls interleaved within each
    round (so load from other work on the machine falls on all of them alike)."""
    for call in calls.values():
        call()  # warm-up: the same cache state for all
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def _captured(engine: Engine, call: Callable[[], Any]) -> tuple[str, Any]:
    """The SQL (and parameters) ``call`` sends for ``fixes``."""
    seen: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM fixes" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen[0]


def _run_sql(engine: Engine, statement: str, parameters: Any) -> int:
    with engine.connect() as conn:
        return len(conn.exec_driver_sql(statement, parameters).fetchall())


def measure(url: str, fixes: int, townships: int, runs: int) -> dict[str, Any]:
    from alembic import command

    from geo.store.migrate import alembic_config, upgrade
    from geo.store.postgis import PostGISStore
    from geo.weeks import IsoWeek

    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    per_upload = max(1, fixes // (WEEKS * townships))
    fill = {"townships": townships, "per_upload": per_upload, "last_week": WEEKS - 1}
    # The year stored at 0005 (one table), then migration 0006 copies it into the partitions.
    command.upgrade(alembic_config(url), "0005")
    loads = {}
    start = time.perf_counter()
    with admin.begin() as conn:
        conn.execute(text(_FILL.format(table="fixes", **fill)))
    loads["fixes_at_0005"] = time.perf_counter() - start
    start = time.perf_counter()
    upgrade(url)
    migration_s = time.perf_counter() - start
    with admin.begin() as conn:
        conn.execute(text(_FLAT))
    for table in ("fixes_flat", "fixes_brin"):
        start = time.perf_counter()
        with admin.begin() as conn:
            conn.execute(text(_FILL.format(table=table, **fill)))
        loads[table] = time.perf_counter() - start
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE fixes"))
        conn.execute(text("VACUUM ANALYZE fixes_flat"))
        conn.execute(text("VACUUM ANALYZE fixes_brin"))
        rows = int(conn.scalar(text("SELECT count(*) FROM fixes")) or 0)

    store = PostGISStore(url)
    township = f"T{townships // 2}"
    start_t, end_t = IsoWeek(2025, 27).bounds(ZoneInfo("Asia/Shanghai"))
    box = (109.5 + townships // 2 * 0.1, 28.0, 109.5 + townships // 2 * 0.1 + 0.01, 29.0)
    reads: dict[str, dict[str, float | int]] = {}
    for name, call in {
        "township_week": lambda: store.week_fixes(township, start_t, end_t),
        "township_week_bbox": lambda: store.week_fixes(township, start_t, end_t, bbox=box),
    }.items():
        statement, parameters = _captured(store.engine, call)
        flat = statement.replace("FROM fixes", "FROM fixes_flat AS fixes")
        brin = statement.replace("FROM fixes", "FROM fixes_brin AS fixes")
        found = _run_sql(store.engine, statement, parameters)
        assert found == _run_sql(store.engine, flat, parameters) > 0
        assert found == _run_sql(store.engine, brin, parameters)
        timings = _timed(
            {
                label: lambda s=sql, p=parameters: _run_sql(store.engine, s, p)
                for label, sql in (
                    ("partitioned", statement),
                    ("one_table", flat),
                    ("brin", brin),
                )
            }
            | {"store_call": call},
            runs,
        )
        reads[name] = {
            "fixes": found,
            "partitioned_s": round(timings["partitioned"], 5),
            "one_table_s": round(timings["one_table"], 5),
            "one_table_same_indexes_s": round(timings["brin"], 5),
            "speed_up": round(timings["one_table"] / timings["partitioned"], 2),
            "speed_up_same_indexes": round(timings["brin"] / timings["partitioned"], 2),
            "store_call_s": round(timings["store_call"], 5),
        }
    store.close()

    cut = "2025-02-01 00:00+00"
    with admin.begin() as conn:
        start = time.perf_counter()
        conn.execute(text("DROP TABLE fixes_2025_01"))
        drop_s = time.perf_counter() - start
    with admin.begin() as conn:
        start = time.perf_counter()
        deleted = conn.execute(text(f"DELETE FROM fixes_flat WHERE t < '{cut}'")).rowcount
        delete_s = time.perf_counter() - start
    admin.dispose()
    return {
        "rows": rows,
        "townships": townships,
        "fixes_per_upload": per_upload,
        "load_s": {k: round(v, 2) for k, v in loads.items()},
        "migration_0006_s": round(migration_s, 2),
        "reads": reads,
        "prune_january": {
            "rows": deleted,
            "drop_partition_s": round(drop_s, 4),
            "delete_rows_s": round(delete_s, 4),
            "speed_up": round(delete_s / drop_s, 1) if drop_s else None,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostGIS database to overwrite")
    parser.add_argument("--fixes", type=int, default=2_400_000, help="fixes in the year")
    parser.add_argument("--townships", type=int, default=11)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    result = measure(args.database_url, args.fixes, args.townships, args.runs)
    print(f"{result['rows']:,} fixes, {args.townships} townships, 12 monthly partitions")
    print(f"migration 0006 (copying them into the partitions): {result['migration_0006_s']} s")
    print(
        f"{'read':<20}{'partitioned s':>15}{'one table s':>13}{'speed-up':>10}"
        f"{'same indexes s':>16}{'speed-up':>10}{'fixes':>9}"
    )
    for name, r in result["reads"].items():
        print(
            f"{name:<20}{r['partitioned_s']:>15.4f}{r['one_table_s']:>13.4f}"
            f"{r['speed_up']:>10.2f}{r['one_table_same_indexes_s']:>16.4f}"
            f"{r['speed_up_same_indexes']:>10.2f}{r['fixes']:>9}"
        )
    p = result["prune_january"]
    print(
        f"prune January ({p['rows']:,} fixes): drop partition {p['drop_partition_s']:.4f} s, "
        f"DELETE {p['delete_rows_s']:.4f} s ({p['speed_up']}x)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
