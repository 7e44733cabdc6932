"""The PostGIS backend of :class:`geo.store.sql.SqlStore`: what only PostgreSQL does.

- the schema comes from Alembic (:mod:`geo.store.migrate`, ``geo db upgrade``); the store only
  checks that the database is at the newest migration;
- edits wait for each other on an advisory transaction lock;
- an upload's segments and fixes go in by binary COPY (:mod:`geo.store.pg_copy`) in the
  upload's transaction, so a refused upload leaves nothing behind;
- a connection lost, refused or closed (through SQLAlchemy or on the driver's connection,
  where COPY writes) is :class:`geo.errors.StoreUnavailable`.
"""

from __future__ import annotations

from datetime import datetime

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
from geo.store import pg_tiles
from geo.store.base import NewUpload
from geo.store.migrate import current_revision, head_revision
from geo.store.pg_copy import COLUMNS as COPY_COLUMNS
from geo.store.pg_copy import SEGMENT_COLUMNS, UploadIdentity, fixes_payload, segments_payload
from geo.store.sql import SqlStore
from geo.tiles import TileRequest

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
        super().__init__(PostGISBackend(url))


__all__ = ["PostGISBackend", "PostGISStore"]
