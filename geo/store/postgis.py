"""The PostGIS backend of :class:`geo.store.sql.SqlStore`: what only PostgreSQL does.

- the schema comes from Alembic (:mod:`geo.store.migrate`, ``geo db upgrade``); the store only
  checks that the database is at the newest migration;
- edits wait for each other on an advisory transaction lock;
- ``fixes`` is partitioned by month (:mod:`geo.store.partitions`): the store creates this
  month's and the next months' partitions when it opens, and an upload's months before its
  transaction; pruning drops whole months;
- an upload's segments and fixes go in by binary COPY (:mod:`geo.store.pg_copy`) in the
  upload's transaction, so a refused upload leaves nothing behind;
- a connection lost, refused or closed (through SQLAlchemy or on the driver's connection,
  where COPY writes) is :class:`geo.errors.StoreUnavailable`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

import numpy as np
import psycopg
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    cast,
    create_engine,
    extract,
    func,
    text,
)
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError

from geo.errors import StoreUnavailable
from geo.store import partitions, pg_tiles
from geo.store.base import NewUpload, PrunedPart
from geo.store.migrate import current_revision, head_revision
from geo.store.pg_copy import COLUMNS as COPY_COLUMNS
from geo.store.pg_copy import SEGMENT_COLUMNS, UploadIdentity, fixes_payload, segments_payload
from geo.store.sql import SqlStore
from geo.tiles import TileRequest
from geo.weeks import FIRST_YEAR, LAST_YEAR

_FIX_COPY = f"COPY fixes ({', '.join(COPY_COLUMNS)}) FROM STDIN WITH (FORMAT binary)"
_SEGMENT_COPY = f"COPY patrol_tracks ({', '.join(SEGMENT_COLUMNS)}) FROM STDIN WITH (FORMAT binary)"


#: Errors of a connection that is lost, refused or closed, from SQLAlchemy or psycopg.
_CONNECTION_LOST: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


class PostGISBackend:
    """PostgreSQL with PostGIS at ``url`` (``postgresql+psycopg://user@host:port/db``)."""

    unavailable_errors = _CONNECTION_LOST

    def __init__(self, url: str):
        # The pool checks a connection before lending it (pool_pre_ping), so the next
        # transaction after a server restart gets a new one.
        self.engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        #: Months known to have a partition of ``fixes`` (see :meth:`ensure_partitions`).
        self._months: set[date] = set()

    def unavailable(self, exc: Exception) -> StoreUnavailable:
        return StoreUnavailable(f"PostGIS is unreachable: {getattr(exc, 'orig', None) or exc}")

    def check(self) -> None:
        try:
            rev = current_revision(self.engine)
        except (*_CONNECTION_LOST, ProgrammingError) as exc:  # type: ignore[misc]
            raise self.unavailable(exc) from None
        head = head_revision()
        if rev != head:
            raise StoreUnavailable(
                f"the PostGIS schema is at {rev or 'nothing'} but this geo needs {head}; "
                "run: geo db upgrade"
            )

    def lock(self, conn: Connection, key: str) -> None:
        """An advisory lock, not a row lock: saving layers deletes and inserts the township's
        row, which would let a waiter through."""
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})

    def epoch_ms(self, column: ColumnElement[datetime]) -> ColumnElement[int]:
        """``EXTRACT`` is exact (numeric) since PostgreSQL 14; times are truncated to ms."""
        return cast(extract("epoch", func.date_trunc("milliseconds", column)) * 1000, BigInteger)

    def vector_tile(self, conn: Connection, request: TileRequest) -> bytes:
        """``ST_AsMVT`` in one query (:mod:`geo.store.pg_tiles`)."""
        return pg_tiles.vector_tile(conn, request)

    def ensure_partitions(self, months: Iterable[date]) -> list[str]:
        """Create the ``fixes`` partitions of ``months`` that are missing, in a transaction of
        their own (an empty partition left by a refused upload is harmless); the names
        created. Months known to exist are remembered, so an upload into them asks nothing."""
        wanted = {partitions.month_of(m) for m in months} - self._months
        if not wanted:
            return []
        try:
            with self.engine.begin() as conn:
                created = partitions.ensure_months(conn, wanted)
                self._months = partitions.existing_months(conn)
        except _CONNECTION_LOST as exc:
            raise self.unavailable(exc) from None
        return created

    def prepare_upload(self, upload: NewUpload) -> None:
        """The partitions of the months holding the upload's fixes (its
        :data:`~geo.store.partitions.MAX_MONTHS_PER_UPLOAD` biggest), so its COPY lands in
        them rather than in the DEFAULT partition. Fixes outside the years the service answers
        for (kept, as refused, with their drop reason) go to the DEFAULT partition."""
        times = upload.fixes["time"].to_numpy(dtype="datetime64[us]")
        first = np.datetime64(f"{FIRST_YEAR:04d}-01", "M")
        last = np.datetime64(f"{LAST_YEAR:04d}-12", "M")
        in_years = times[~np.isnat(times)].astype("datetime64[M]")
        in_years = in_years[(in_years >= first) & (in_years <= last)]
        months, counts = np.unique(in_years, return_counts=True)
        biggest = months[np.argsort(-counts, kind="stable")][: partitions.MAX_MONTHS_PER_UPLOAD]
        self.ensure_partitions(biggest.astype(object))

    def prune_fixes(self, conn: Connection, before: date, *, apply: bool) -> list[PrunedPart]:
        """Months before ``before`` go whole (``DROP TABLE`` of their partitions); the DEFAULT
        partition's rows before it are deleted."""
        if not apply:
            return partitions.prune_plan(conn, before)
        pruned = partitions.prune(conn, before)
        self._months = set()  # learnt again by the next upload
        return pruned

    def load_upload(self, conn: Connection, upload: NewUpload, upload_id: int) -> None:
        who = UploadIdentity(upload.township, upload_id, upload.squad, upload.device)
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            if len(upload.segments):
                with cur.copy(_SEGMENT_COPY) as copy:
                    copy.write(segments_payload(upload.segments, who))
            with cur.copy(_FIX_COPY) as copy:
                copy.write(fixes_payload(upload.fixes, who))


class PostGISStore(SqlStore):
    """The store in PostGIS; the schema must be at the newest migration (``geo db upgrade``)."""

    def __init__(self, url: str):
        self.url = url
        backend = PostGISBackend(url)
        super().__init__(backend)
        # Partitions created ahead: this month and the next MONTHS_AHEAD.
        this_month = datetime.now(UTC).date()
        backend.ensure_partitions(partitions.months_from(this_month, partitions.MONTHS_AHEAD + 1))


__all__ = ["PostGISBackend", "PostGISStore"]
