"""The GeoPackage backend of :class:`geo.store.sql.SqlStore`: one file, through SQLAlchemy's
SQLite dialect, in real transactions.

What only the file does, set up on the engine:

- every connection (``connect`` event) gets the ``ST_IsEmpty``/``ST_MinX``... functions that
  GeoPackage's R-tree triggers call (as GDAL registers them on its own), and foreign keys;
- a write transaction (``begin`` event) starts with ``BEGIN IMMEDIATE``, so it holds the
  file's write lock from its first read to its commit: writes apply one after the other and
  need no other lock; reads start a deferred transaction and never wait for writers (WAL);
- an upload's fixes go in by the driver's ``executemany`` with their times formatted in one
  vectorised pass;
- the schema is :func:`geo.store.gpkg_schema.schema_script`, written when the file is created,
  and a file of an older release is upgraded in place on open (:func:`upgrade_script`);
- a locked, damaged or foreign file is :class:`geo.errors.StoreUnavailable`.

Connections are not pooled: every transaction opens the file and closes it, so the file alone
is the store (it can be copied or replaced between calls).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    cast,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from geo.errors import StoreUnavailable
from geo.store import gpkg_geometry, gpkg_tiles
from geo.store.base import NewUpload, PrunedPart
from geo.store.gpkg_schema import SCHEMA_VERSION, schema_script, upgrade_script
from geo.store.sql import SqlStore
from geo.store.tables import Fix, PatrolTrack
from geo.store.tables import table_of as _table
from geo.store.types import iso_utc_array
from geo.tiles import TileRequest

#: SQL name → shapely's predicate, registered on every connection.
SPATIAL_PREDICATES: dict[str, Callable[[Any, Any], Any]] = {
    "ST_Intersects": shapely.intersects,
    "ST_Disjoint": shapely.disjoint,
    "ST_Contains": shapely.contains,
    "ST_Within": shapely.within,
    "ST_Touches": shapely.touches,
    "ST_Crosses": shapely.crosses,
    "ST_Overlaps": shapely.overlaps,
    "ST_Equals": shapely.equals,
}
_FIXES = _table(Fix)
_TRACKS = _table(PatrolTrack)


def register_functions(con: sqlite3.Connection) -> None:
    """The SQL functions GeoPackage's R-tree triggers call, on one SQLite connection."""

    def bound(i: int) -> Any:
        def f(blob: bytes | None) -> float | None:
            env = gpkg_geometry.envelope(blob)
            return None if env is None else env[i]

        return f

    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        con.create_function(name, 1, bound(i), deterministic=True)
    con.create_function("ST_IsEmpty", 1, gpkg_geometry.is_empty, deterministic=True)
    # The spatial predicates of CQL2 filters (geo.store.cql_sql), as PostGIS names them.
    for name, predicate in SPATIAL_PREDICATES.items():
        con.create_function(name, 2, gpkg_geometry.predicate(predicate), deterministic=True)


def _on_connect(con: sqlite3.Connection, _record: object) -> None:
    con.isolation_level = None  # transactions are begun by the "begin" event below
    register_functions(con)
    con.execute("PRAGMA foreign_keys = ON")


def _on_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("geo_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def gpkg_engine(path: Path) -> Engine:
    """An engine on the GeoPackage file at ``path`` (the file is not opened yet)."""
    engine = create_engine(
        URL.create("sqlite", database=str(path)),
        poolclass=NullPool,
        connect_args={"timeout": 30},
        json_serializer=lambda value: json.dumps(value, ensure_ascii=False),
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def _create(path: Path) -> None:
    """Write the schema into a temporary file and move it in place, so a half-created store
    never exists."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp, isolation_level=None)
    try:
        register_functions(con)
        con.executescript("BEGIN;\n" + schema_script() + "\nCOMMIT;")
        con.execute("PRAGMA journal_mode = WAL")
    finally:
        con.close()
    os.replace(tmp, path)


def _upgrade(path: Path) -> None:
    """Bring a file written by an older geo to this schema (one transaction); a file of this
    schema, of a newer one or of no geo at all is left as it is (:meth:`GeoPackageBackend.check`
    reports the last two)."""
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        register_functions(con)
        row = con.execute("SELECT value FROM geo_meta WHERE key='schema_version'").fetchone()
        if row is None or not row[0].isdigit() or int(row[0]) >= int(SCHEMA_VERSION):
            return
        script = upgrade_script(con)
        # Foreign keys are off while tables are rebuilt (dropping a table others refer to
        # would otherwise cascade); the check before the commit proves none broke.
        con.execute("PRAGMA foreign_keys = OFF")
        try:
            con.executescript("BEGIN;\n" + script)
            broken = con.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise sqlite3.IntegrityError(f"{len(broken)} rows would lose their parent")
            con.execute("COMMIT")
        except sqlite3.Error as exc:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise StoreUnavailable(
                f"{path} has schema version {row[0]} and cannot be upgraded to "
                f"{SCHEMA_VERSION} in place ({exc}); export what you need with an older "
                "geo, then move the file away: a new store is created on the next run"
            ) from None
    finally:
        con.close()


class GeoPackageBackend:
    """The GeoPackage file at ``path``, created (with its folder) when missing or empty and
    upgraded when written by an older geo."""

    unavailable_errors: tuple[type[Exception], ...] = (OperationalError, sqlite3.OperationalError)

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists() or self.path.stat().st_size == 0:
                _create(self.path)
            else:
                _upgrade(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open GeoPackage store {self.path}: {exc}") from None
        self.engine = gpkg_engine(self.path)

    def unavailable(self, exc: Exception) -> StoreUnavailable:
        """A locked or damaged file, or a schema this geo does not know."""
        return StoreUnavailable(
            f"the GeoPackage store {self.path} cannot be used: {getattr(exc, 'orig', None) or exc}"
        )

    def check(self) -> None:
        try:
            with self.engine.connect() as conn:
                version = conn.exec_driver_sql(
                    "SELECT value FROM geo_meta WHERE key='schema_version'"
                ).scalar()
        except SQLAlchemyError as exc:
            reason = getattr(exc, "orig", None) or exc
            raise StoreUnavailable(
                f"{self.path} is not a geo GeoPackage store ({reason})"
            ) from None
        if version != SCHEMA_VERSION:
            raise StoreUnavailable(
                f"{self.path} has schema version {version or 'none'}, "
                f"this version of geo needs {SCHEMA_VERSION}"
            )

    def lock(self, conn: Connection, key: str) -> None:
        """Nothing to do: a write transaction holds the file's write lock already."""

    def epoch_ms(self, column: ColumnElement[datetime]) -> ColumnElement[int]:
        """Whole seconds from SQLite's ``strftime('%s')`` plus the text's milliseconds
        (``2026-11-23T01:02:03.456Z``: characters 21 to 23)."""
        seconds = cast(func.strftime("%s", column), Integer)
        return seconds * 1000 + cast(func.substr(column, 21, 3), Integer)

    def vector_tile(self, conn: Connection, request: TileRequest) -> bytes:
        """Read the tile's rows through the R-tree (fixes by longitude and latitude) and encode
        them in Python (:mod:`geo.store.gpkg_tiles`)."""
        return gpkg_tiles.vector_tile(conn, request)

    def prepare_upload(self, upload: NewUpload) -> None:
        """Nothing to do: one table holds every fix."""

    def prune_fixes(self, conn: Connection, before: date, *, apply: bool) -> list[PrunedPart]:
        """The fixes timed before ``before``, deleted when ``apply`` (a file has no
        partitions; the space is reused by later writes)."""
        cut = datetime(before.year, before.month, 1, tzinfo=UTC)
        old = _FIXES.c.t < cut
        count = int(conn.scalar(select(func.count()).select_from(_FIXES).where(old)) or 0)
        if apply and count:
            conn.execute(delete(_FIXES).where(old))
        return [PrunedPart("fixes", count, dropped=False)] if count else []

    def load_upload(self, conn: Connection, upload: NewUpload, upload_id: int) -> None:
        seg = upload.segments
        if len(seg):
            who = {"township": upload.township, "upload_id": upload_id}
            who |= {"squad": upload.squad, "device": upload.device}
            conn.execute(
                insert(_TRACKS),
                [
                    {**who, "segment": int(n), "started_at": start.to_pydatetime()}
                    | {"ended_at": end.to_pydatetime(), "fixes": int(count), "geom": geom}
                    for n, start, end, count, geom in zip(
                        seg["segment"],
                        seg["started_at"],
                        seg["ended_at"],
                        seg["fixes"],
                        seg.geometry,
                        strict=True,
                    )
                ],
            )
        fixes = upload.fixes
        n = len(fixes)
        acc = fixes["accuracy_m"].to_numpy(dtype=np.float64)
        values = {
            "upload_id": repeat(upload_id, n),
            "seq": range(n),
            "township": repeat(upload.township, n),
            "squad": repeat(upload.squad, n),
            "device": repeat(upload.device, n),
            "t": iso_utc_array(fixes["time"]),
            "lon": fixes["lon"].tolist(),
            "lat": fixes["lat"].tolist(),
            "accuracy_m": [None if np.isnan(a) else float(a) for a in acc],
            "segment": fixes["segment"].astype(int).tolist(),
            "drop_reason": fixes["drop"].astype(int).tolist(),
        }
        statement = insert(_FIXES).compile(dialect=conn.dialect)
        columns = [values[name] for name in statement.positiontup or ()]
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.executemany(statement.string, zip(*columns, strict=False))


class GeoPackageStore(SqlStore):
    """The store in one GeoPackage file (created on first use, with its folder)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        super().__init__(GeoPackageBackend(self.path))


__all__ = ["GeoPackageBackend", "GeoPackageStore", "gpkg_engine", "register_functions"]
