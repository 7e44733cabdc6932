"""Migration 0006 on a populated database: a PostGIS schema at 0005 with fixes in several
months (and fixes without a time) is upgraded; every row is kept, in its month's partition, and
the queries answer the same; downgrading gives the plain table back with the same rows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text

from geo.store.migrate import alembic_config

pytestmark = pytest.mark.postgis
_ROWS = """
INSERT INTO fixes (upload_id, seq, township, squad, device, t, lon, lat, accuracy_m, segment,
                   drop_reason)
SELECT u, i, 'T' || (u % 2), 'squad-0' || (u % 3), 'p' || u,
       CASE WHEN i % 50 = 49 THEN NULL
            ELSE timestamptz '2025-10-20 00:00+00' + u * interval '9 days' + i * interval '1 min'
       END,
       110 + i * 0.0001, 28 + u * 0.001, CASE WHEN i % 7 = 0 THEN NULL ELSE 4.5 END,
       CASE WHEN i % 13 = 0 THEN -1 ELSE 0 END, CASE WHEN i % 13 = 0 THEN 3 ELSE 0 END
FROM generate_series(1, 12) u, generate_series(0, 999) i
"""
#: What the service reads: a township-week (as ``SqlStore.week_fixes`` asks it) and the view.
QUERIES = {
    "week": "SELECT t, lon, lat, squad, device, upload_id, segment FROM fixes "
    "WHERE township = 'T1' AND t >= '2025-11-30 16:00+00' AND t < '2025-12-07 16:00+00' "
    "ORDER BY upload_id, seq",
    "all": "SELECT * FROM fixes ORDER BY upload_id, seq",
    "points": "SELECT upload_id, seq, t, ST_AsEWKT(geom) FROM fixes_points ORDER BY upload_id, seq",
    "counts": "SELECT date_trunc('month', t, 'UTC'), count(*) FROM fixes GROUP BY 1 ORDER BY 1",
}


@pytest.fixture
def empty_url(postgis_url: str) -> Iterator[str]:
    """The test database emptied (as the session's fixture does), left at the newest schema."""
    admin = create_engine(postgis_url)
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    admin.dispose()
    yield postgis_url
    command.upgrade(alembic_config(postgis_url), "head")


def _answers(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in QUERIES.items()}


def _partitions(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        by_table = "SELECT tableoid::regclass::text, count(*) FROM fixes GROUP BY 1"
        found = conn.execute(text(by_table))
        return {str(name): int(n) for name, n in found}


def test_0006_moves_every_fix_into_its_month_and_back(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "0005")
    engine = create_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(_ROWS))
        before = _answers(engine)
        assert len(before["all"]) == 12_000 and before["week"]

        command.upgrade(config, "0006")
        assert _answers(engine) == before
        placed = _partitions(engine)
        assert placed["fixes_default"] == 12 * 20  # the fixes without a time
        assert {"fixes_2025_10", "fixes_2025_11", "fixes_2025_12", "fixes_2026_01"} <= set(placed)
        assert sum(placed.values()) == 12_000

        command.downgrade(config, "0005")
        assert _answers(engine) == before
        assert _partitions(engine) == {"fixes": 12_000}
    finally:
        engine.dispose()
