"""The PostGIS ``fixes`` table's monthly partitions: created ahead, found, dropped.

``fixes`` is partitioned by range of the fix time ``t`` (migration 0006), one partition per
calendar month in UTC (``fixes_2026_01`` holds ``2026-01-01T00:00Z <= t < 2026-02-01T00:00Z``)
and a DEFAULT partition ``fixes_default`` for everything else: fixes without a time, and months
nobody created a partition for, so an insert is never refused.

The service creates partitions ahead (:func:`ensure_months`): the current month and the next
:data:`MONTHS_AHEAD` when a store opens, and the months an upload's fixes need before the
upload's transaction. A month whose rows already sit in the DEFAULT partition is created
beside it, those rows moved into it, and then attached, so no row is ever in the wrong place.

Retention drops whole partitions (:func:`prune_plan`, :func:`prune`): a month before the
cut-off goes with ``DROP TABLE``, which frees its space at once (no ``DELETE``, no vacuum);
the DEFAULT partition's rows before the cut-off are deleted.

Only PostgreSQL runs this module; the GeoPackage store deletes rows by time instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text

from geo.store.base import PrunedPart

#: Months created ahead of the current one when a store opens.
MONTHS_AHEAD = 3
#: Months an upload may create partitions for (its biggest months; the rest of its fixes, if
#: a file's times are scattered over years, go to the DEFAULT partition).
MAX_MONTHS_PER_UPLOAD = 12
PARENT = "fixes"
DEFAULT_PARTITION = "fixes_default"
_NAME = re.compile(r"^fixes_(\d{4})_(\d{2})$")
#: Serialises partition changes between processes (two services starting at once).
_LOCK = "geo:fixes:partitions"


def month_of(moment: datetime | date) -> date:
    """The first day of the UTC month holding ``moment``.

    >>> month_of(datetime(2026, 3, 31, 23, 0, tzinfo=UTC))
    datetime.date(2026, 3, 1)
    """
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC) if moment.tzinfo else moment
        return date(moment.year, moment.month, 1)
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    """The first day of the month after ``month``.

    >>> next_month(date(2026, 12, 1))
    datetime.date(2027, 1, 1)
    """
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_from(first: date, count: int) -> list[date]:
    """``count`` months from ``first``'s month on.

    >>> [m.isoformat() for m in months_from(date(2026, 11, 30), 3)]
    ['2026-11-01', '2026-12-01', '2027-01-01']
    """
    out = [month_of(first)]
    while len(out) < count:
        out.append(next_month(out[-1]))
    return out[:count]


def partition_name(month: date) -> str:
    """The partition of ``month``: ``fixes_YYYY_MM``.

    >>> partition_name(date(2026, 1, 1))
    'fixes_2026_01'
    """
    return f"{PARENT}_{month.year:04d}_{month.month:02d}"


def _bound(month: date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


def existing_months(conn: Connection) -> set[date]:
    """The months that have a partition of ``fixes``."""
    names = conn.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:parent AS regclass)"
        ),
        {"parent": PARENT},
    )
    found = set()
    for name in names:
        match = _NAME.match(name)
        if match:
            found.add(date(int(match[1]), int(match[2]), 1))
    return found


def ensure_months(conn: Connection, months: Iterable[date]) -> list[str]:
    """Create the partitions of ``months`` that do not exist yet, in the caller's transaction;
    the names created.

    Each new month is created as a table of its own, the DEFAULT partition's rows of that
    month are moved into it, and it is attached: attaching takes only a SHARE UPDATE
    EXCLUSIVE lock on ``fixes`` (reads and writes go on), and its indexes are created from
    the partitioned indexes of ``fixes`` as it is attached.
    """
    wanted = {month_of(m) for m in months}
    if not wanted or wanted <= existing_months(conn):
        return []
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": _LOCK})
    missing = sorted(wanted - existing_months(conn))  # again, under the lock
    for month in missing:
        name, low, high = partition_name(month), _bound(month), _bound(next_month(month))
        conn.execute(text(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)"))
        conn.execute(
            text(
                f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} "
                f"WHERE t >= '{low}' AND t < '{high}' RETURNING *) "
                f"INSERT INTO {name} SELECT * FROM moved"
            )
        )
        conn.execute(
            text(
                f"ALTER TABLE {PARENT} ATTACH PARTITION {name} "
                f"FOR VALUES FROM ('{low}') TO ('{high}')"
            )
        )
    return [partition_name(m) for m in missing]


def prune_plan(conn: Connection, before: date) -> list[PrunedPart]:
    """What :func:`prune` would remove: the partitions of months before ``before`` (a first
    day of a month) with their row counts, and the DEFAULT partition's rows before it."""
    parts = [
        PrunedPart(
            partition_name(m),
            int(conn.scalar(text(f"SELECT count(*) FROM {partition_name(m)}")) or 0),
            dropped=True,
        )
        for m in sorted(existing_months(conn))
        if m < before
    ]
    stale = conn.scalar(
        text(f"SELECT count(*) FROM {DEFAULT_PARTITION} WHERE t < :cut"),
        {"cut": datetime(before.year, before.month, 1, tzinfo=UTC)},
    )
    if stale:
        parts.append(PrunedPart(DEFAULT_PARTITION, int(stale), dropped=False))
    return parts


def prune(conn: Connection, before: date) -> list[PrunedPart]:
    """Drop the partitions of months before ``before`` and delete the DEFAULT partition's
    rows before it, in the caller's transaction; what was removed."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": _LOCK})
    parts = prune_plan(conn, before)
    for part in parts:
        if part.dropped:
            conn.execute(text(f"DROP TABLE {part.name}"))
        else:
            conn.execute(
                text(f"DELETE FROM {DEFAULT_PARTITION} WHERE t < :cut"),
                {"cut": datetime(before.year, before.month, 1, tzinfo=UTC)},
            )
    return parts


__all__ = [
    "DEFAULT_PARTITION",
    "MAX_MONTHS_PER_UPLOAD",
    "MONTHS_AHEAD",
    "ensure_months",
    "existing_months",
    "month_of",
    "months_from",
    "next_month",
    "partition_name",
    "prune",
    "prune_plan",
]
