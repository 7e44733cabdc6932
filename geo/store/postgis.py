"""The PostGIS store: SQLAlchemy 2 and GeoAlchemy2 on the tables of :mod:`geo.store.tables`.

Fixes are written with COPY in the same transaction as their upload, so a refused upload
leaves nothing behind. Driver errors become :class:`geo.errors.StoreUnavailable` here, at the
storage boundary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import psycopg
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import (
    Connection,
    create_engine,
    delete,
    func,
    insert,
    select,
    text,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, ProgrammingError

from geo.audit import AuditEntry
from geo.coverage.camera_status import StatusChange
from geo.coverage.result import WeekCoverage
from geo.errors import Conflict, NotFound, StoreUnavailable
from geo.keys import ApiKey
from geo.layers import TownshipLayers
from geo.store import rows
from geo.store.base import NewUpload, UploadRecord, check_idempotent_retry
from geo.store.migrate import current_revision, head_revision
from geo.store.pg_copy import COLUMNS as COPY_COLUMNS
from geo.store.pg_copy import (
    SEGMENT_COLUMNS,
    UploadIdentity,
    fixes_payload,
    segments_payload,
)
from geo.store.tables import (
    LAYER_TABLES,
    SRID,
    AuditLog,
    CameraStatusChange,
    CoverageGap,
    CoverageResult,
    PatrolTrack,
    Township,
    Upload,
)
from geo.store.tables import ApiKey as ApiKeyRow

_FIX_COPY = f"COPY fixes ({', '.join(COPY_COLUMNS)}) FROM STDIN WITH (FORMAT binary)"
_SEGMENT_COPY = f"COPY patrol_tracks ({', '.join(SEGMENT_COLUMNS)}) FROM STDIN WITH (FORMAT binary)"
#: Upload ids are PostgreSQL ``integer`` (32-bit) columns.
_MAX_INTEGER = 2**31 - 1


def _holds_id(value: int) -> bool:
    """Whether an ``integer`` id column can hold ``value`` (a larger one is not stored, and
    PostgreSQL would refuse to compare it: "integer out of range")."""
    return -_MAX_INTEGER - 1 <= value <= _MAX_INTEGER


#: Errors of a connection that is lost, refused or closed, from SQLAlchemy or from psycopg
#: itself (the COPY of fixes writes on the driver's connection).
_CONNECTION_LOST = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


def _unreachable(exc: Exception) -> StoreUnavailable:
    return StoreUnavailable(f"PostGIS is unreachable: {getattr(exc, 'orig', None) or exc}")


def _add_audit(conn: Connection, entry: AuditEntry | None) -> None:
    """Write an audit entry in the caller's transaction (nothing when None)."""
    if entry is not None:
        conn.execute(insert(AuditLog).values(**rows.audit_row(entry)))


def _wkb(geom: Any) -> Any:
    return None if geom is None else from_shape(geom, srid=SRID)


class PostGISStore:
    """A :class:`geo.store.base.Store` in PostGIS.

    Parameters
    ----------
    url
        ``postgresql+psycopg://user@host:port/db``; the schema must be at the newest
        migration (``geo db upgrade``).
    """

    def __init__(self, url: str):
        self.url = url
        self.engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        self.check()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """One transaction. A connection lost or refused (the server stopping, restarting or
        gone), through SQLAlchemy or on the raw driver connection (COPY), is
        :class:`StoreUnavailable` (503 with Retry-After); the transaction is rolled back by
        the server, so nothing of it is stored. The pool checks a connection before lending it
        (``pool_pre_ping``), so the next transaction after a restart gets a new one."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except _CONNECTION_LOST as exc:
            raise _unreachable(exc) from None

    def check(self) -> None:
        try:
            rev = current_revision(self.engine)
        except (*_CONNECTION_LOST, ProgrammingError) as exc:
            raise _unreachable(exc) from None
        head = head_revision()
        if rev != head:
            raise StoreUnavailable(
                f"the PostGIS schema is at {rev or 'nothing'} but this geo needs {head}; "
                "run: geo db upgrade"
            )

    def townships(self) -> list[str]:
        with self._begin() as conn:
            return list(conn.scalars(select(Township.code).order_by(Township.code)))

    def save_layers(
        self,
        layers: TownshipLayers,
        *,
        imported_flights: rows.ImportedFlights = "keep",
        audit: AuditEntry | None = None,
    ) -> None:
        with self._begin() as conn:
            self._save_layers(conn, layers, imported_flights)
            _add_audit(conn, audit)

    def edit_layers(
        self,
        township: str,
        change: Callable[[TownshipLayers], TownshipLayers],
        *,
        audit: Callable[[TownshipLayers], AuditEntry] | None = None,
    ) -> TownshipLayers:
        with self._begin() as conn:
            self._lock_township(conn, township)
            edited = change(self._load_layers(conn, township))
            self._save_layers(conn, edited, "replace")
            _add_audit(conn, None if audit is None else audit(edited))
        return edited

    @staticmethod
    def _lock_township(conn: Connection, township: str) -> None:
        """Wait for other edits of the township's layers (and camera status changes) to end;
        the load that follows then reads what they stored. An advisory lock, not a row lock:
        saving deletes and inserts the township's row, which would let a waiter through."""
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"geo:layers:{township}"},
        )

    @staticmethod
    def _save_layers(
        conn: Connection, layers: TownshipLayers, imported_flights: rows.ImportedFlights
    ) -> None:
        info = layers.info
        conn.execute(delete(Township).where(Township.code == info.code))
        conn.execute(
            insert(Township).values(
                code=info.code,
                name=info.name,
                name_en=info.name_en,
                settings=info.to_dict(),
                updated_at=datetime.now(UTC),
                geom=_wkb(layers.outline.geometry.iloc[0]),
            )
        )
        for name, table in LAYER_TABLES.items():
            only = rows.LAYER_ROW_FILTER.get(name) if imported_flights == "keep" else None
            condition = text(only) if only else true()
            conn.execute(delete(table).where(table.c.township == info.code, condition))
            cols, values = rows.layer_rows(layers, name, imported_flights=imported_flights)
            if values:
                conn.execute(
                    insert(table),
                    [dict(zip(cols, [*v[:-1], _wkb(v[-1])], strict=True)) for v in values],
                )

    def load_layers(self, township: str) -> TownshipLayers:
        with self._begin() as conn:
            return self._load_layers(conn, township)

    def layers_version(self, township: str) -> str | None:
        flights = LAYER_TABLES["drone_flights"]
        with self._begin() as conn:
            row = conn.execute(
                select(
                    Township.updated_at,
                    select(func.max(CameraStatusChange.id))
                    .where(CameraStatusChange.township == township)
                    .scalar_subquery(),
                    select(func.max(flights.c.id))
                    .where(flights.c.township == township)
                    .scalar_subquery(),
                ).where(Township.code == township)
            ).first()
        return None if row is None else f"{row[0].isoformat()}|{row[1]}|{row[2]}"

    @staticmethod
    def _load_layers(conn: Connection, township: str) -> TownshipLayers:
        row = conn.execute(
            select(Township.settings, Township.geom).where(Township.code == township)
        ).first()
        if row is None:
            raise NotFound(f"township {township} has no layers in the store; run geo layers load")
        frames = {}
        for name, table in LAYER_TABLES.items():
            cols = rows.LAYER_COLUMNS_OF[name]
            records = conn.execute(
                select(*[table.c[c] for c in cols], table.c.geom)
                .where(table.c.township == township)
                .order_by(table.c.id)
            ).all()
            geoms = [to_shape(r[-1]) for r in records]
            frames[name] = rows.layer_frame(name, [tuple(r)[:-1] for r in records], geoms)
        return rows.township_layers(row.settings, to_shape(row.geom), frames)

    def add_upload(self, upload: NewUpload) -> UploadRecord:
        try:
            return self._add_upload(upload)
        except IntegrityError:
            # A concurrent request stored the same file or key first: answer with that one.
            return self._add_upload(upload)

    def _add_upload(self, upload: NewUpload) -> UploadRecord:
        with self._begin() as conn:
            if upload.idempotency_key:
                keyed = conn.execute(
                    select(Upload.__table__).where(
                        Upload.township == upload.township,
                        Upload.squad == upload.squad,
                        Upload.idempotency_key == upload.idempotency_key,
                    )
                ).first()
                if keyed is not None:
                    return check_idempotent_retry(rows.upload_record(keyed._asdict()), upload)
            existing = conn.execute(
                select(Upload.__table__).where(
                    Upload.township == upload.township,
                    Upload.squad == upload.squad,
                    Upload.sha256 == upload.sha256,
                )
            ).first()
            if existing is not None:
                return rows.upload_record(existing._asdict(), duplicate=True)
            first_fix_at, last_fix_at = rows.fix_time_range(upload.fixes)
            # The stored row comes back with the INSERT (no second query for it).
            row = conn.execute(
                insert(Upload)
                .values(
                    township=upload.township,
                    squad=upload.squad,
                    device=upload.device,
                    filename=upload.filename,
                    source_format=upload.source_format,
                    source_crs=upload.source_crs,
                    sha256=upload.sha256,
                    uploaded_at=upload.uploaded_at,
                    first_fix_at=first_fix_at,
                    last_fix_at=last_fix_at,
                    report=upload.report,
                    idempotency_key=upload.idempotency_key,
                )
                .returning(*Upload.__table__.c)
            ).one()
            self._copy_fixes(conn, upload, int(row.id))
            return rows.upload_record(row._asdict())

    @staticmethod
    def _copy_fixes(conn: Connection, upload: NewUpload, upload_id: int) -> None:
        """Segments and fixes by binary COPY, in the upload's transaction."""
        who = UploadIdentity(upload.township, upload_id, upload.squad, upload.device)
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            if len(upload.segments):
                with cur.copy(_SEGMENT_COPY) as copy:
                    copy.write(segments_payload(upload.segments, who))
            with cur.copy(_FIX_COPY) as copy:
                copy.write(fixes_payload(upload.fixes, who))

    def add_drone_flight(self, row: dict[str, Any]) -> bool:
        table = LAYER_TABLES["drone_flights"]
        with self._begin() as conn:
            found = conn.execute(
                select(table.c.id).where(
                    table.c.township == row["township"], table.c.flight_id == row["flight_id"]
                )
            ).first()
            if found:
                return False
            conn.execute(insert(table).values(**{**row, "geom": _wkb(row["geom"])}))
            return True

    def uploads(
        self,
        township: str,
        *,
        squad: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[UploadRecord]:
        query = select(Upload.__table__).where(Upload.township == township)
        if squad is not None:
            query = query.where(Upload.squad == squad)
        if start is not None and end is not None:
            query = query.where(Upload.last_fix_at >= start, Upload.first_fix_at < end)
        with self._begin() as conn:
            found = conn.execute(query.order_by(Upload.id)).all()
        return [rows.upload_record(r._asdict()) for r in found]

    def upload(self, upload_id: int) -> UploadRecord:
        if not _holds_id(upload_id):
            raise NotFound(f"upload {upload_id} is not in the store")
        with self._begin() as conn:
            row = conn.execute(select(Upload.__table__).where(Upload.id == upload_id)).first()
        if row is None:
            raise NotFound(f"upload {upload_id} is not in the store")
        return rows.upload_record(row._asdict())

    def upload_segments(self, upload_id: int) -> gpd.GeoDataFrame:
        if not _holds_id(upload_id):
            return rows.track_frame([], [], extra=("segment",))
        t = PatrolTrack
        with self._begin() as conn:
            found = conn.execute(
                select(
                    t.squad,
                    t.device,
                    t.upload_id,
                    t.segment,
                    t.started_at,
                    t.ended_at,
                    t.fixes,
                    t.geom,
                )
                .where(t.upload_id == upload_id)
                .order_by(t.segment)
            ).all()
        return rows.track_frame(
            [r._asdict() for r in found], [to_shape(r.geom) for r in found], extra=("segment",)
        )

    def week_fixes(self, township: str, start: datetime, end: datetime) -> pd.DataFrame:
        with self._begin() as conn:
            frame = pd.read_sql_query(
                text(
                    "SELECT t AS time, lon, lat, squad, device, upload_id, segment FROM fixes "
                    "WHERE township = :township AND t >= :start AND t < :end "
                    "ORDER BY upload_id, seq"
                ),
                conn,
                params={"township": township, "start": start, "end": end},
            )
        return rows.week_fix_frame(frame)

    def week_tracks(self, township: str, start: datetime, end: datetime) -> gpd.GeoDataFrame:
        t = PatrolTrack
        with self._begin() as conn:
            found = conn.execute(
                select(t.squad, t.device, t.upload_id, t.started_at, t.ended_at, t.fixes, t.geom)
                .where(t.township == township, t.ended_at >= start, t.started_at < end)
                .order_by(t.squad, t.started_at)
            ).all()
        return rows.track_frame([r._asdict() for r in found], [to_shape(r.geom) for r in found])

    def inputs_fingerprint(self, township: str, start: datetime, end: datetime) -> str:
        with self._begin() as conn:
            updated = conn.scalar(select(Township.updated_at).where(Township.code == township))
            count, last = conn.execute(
                select(func.count(), func.max(Upload.id)).where(
                    Upload.township == township,
                    Upload.last_fix_at >= start,
                    Upload.first_fix_at < end,
                )
            ).one()
            changes, last_change = conn.execute(
                select(func.count(), func.max(CameraStatusChange.id)).where(
                    CameraStatusChange.township == township, CameraStatusChange.changed_at < end
                )
            ).one()
        stamp = updated.astimezone(UTC).isoformat(timespec="milliseconds") if updated else ""
        return rows.fingerprint(stamp, count, last, changes, last_change)

    def add_camera_status(
        self, township: str, change: StatusChange, *, audit: AuditEntry | None = None
    ) -> str:
        cameras = LAYER_TABLES["cameras"]
        history = CameraStatusChange
        with self._begin() as conn:
            # One at a time with layer edits, which rewrite the cameras' rows.
            self._lock_township(conn, township)
            layer_status = conn.scalar(
                select(cameras.c.status)
                .where(cameras.c.township == township, cameras.c.code == change.camera_code)
                .with_for_update()
            )
            if layer_status is None:
                raise NotFound(f"township {township} has no camera {change.camera_code!r}")
            known = conn.scalar(
                select(func.count()).where(
                    history.township == township, history.camera_code == change.camera_code
                )
            )
            new = (
                [change]
                if known
                else [rows.baseline_change(change.camera_code, layer_status), change]
            )
            conn.execute(
                insert(history),
                [
                    {
                        "township": township,
                        "camera_code": c.camera_code,
                        "status": c.status,
                        "changed_at": c.changed_at,
                        "note": c.note,
                        "changed_by": c.changed_by,
                    }
                    for c in new
                ],
            )
            current = conn.scalar(
                select(history.status)
                .where(history.township == township, history.camera_code == change.camera_code)
                .order_by(history.changed_at.desc(), history.id.desc())
                .limit(1)
            )
            conn.execute(
                update(cameras)
                .where(cameras.c.township == township, cameras.c.code == change.camera_code)
                .values(status=current)
            )
            _add_audit(conn, audit)
            return str(current)

    def camera_status_changes(
        self, township: str, *, camera: str | None = None, before: datetime | None = None
    ) -> list[StatusChange]:
        history = CameraStatusChange
        query = select(history.__table__).where(history.township == township)
        if camera is not None:
            query = query.where(history.camera_code == camera)
        if before is not None:
            query = query.where(history.changed_at < before)
        with self._begin() as conn:
            found = conn.execute(query.order_by(history.id)).all()
        return [rows.status_change(r._asdict()) for r in found]

    def coverage_weeks(self, township: str) -> list[str]:
        with self._begin() as conn:
            found = conn.scalars(
                select(CoverageResult.week)
                .where(CoverageResult.township == township)
                .distinct()
                .order_by(CoverageResult.week)
            ).all()
        return [str(w) for w in found]

    def save_coverage(self, result: WeekCoverage, fingerprint: str) -> None:
        key_r = (
            CoverageResult.township == result.township_code,
            CoverageResult.week == result.week,
        )
        key_g = (CoverageGap.township == result.township_code, CoverageGap.week == result.week)
        with self._begin() as conn:
            # Concurrent reads of a stale week compute it at once: the second save waits for
            # the first and replaces it, instead of failing on the unique constraints.
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"geo:coverage:{result.township_code}:{result.week}"},
            )
            conn.execute(delete(CoverageResult).where(*key_r))
            conn.execute(delete(CoverageGap).where(*key_g))
            conn.execute(insert(CoverageResult), rows.coverage_rows(result, fingerprint))
            gaps = rows.gap_rows(result)
            if gaps:
                conn.execute(insert(CoverageGap), [{**g, "geom": _wkb(g["geom"])} for g in gaps])

    def load_coverage(self, township: str, week: str) -> tuple[WeekCoverage, str] | None:
        with self._begin() as conn:
            results = conn.execute(
                select(CoverageResult.__table__)
                .where(CoverageResult.township == township, CoverageResult.week == week)
                .order_by(CoverageResult.id)
            ).all()
            if not results:
                return None
            gaps = conn.execute(
                select(CoverageGap.properties, CoverageGap.geom)
                .where(CoverageGap.township == township, CoverageGap.week == week)
                .order_by(CoverageGap.rank)
            ).all()
        return rows.week_coverage(
            township,
            week,
            [r._asdict() for r in results],
            [(g.properties, to_shape(g.geom)) for g in gaps],
        )

    def add_api_key(self, key: ApiKey, *, audit: AuditEntry | None = None) -> None:
        try:
            with self._begin() as conn:
                conn.execute(insert(ApiKeyRow).values(**rows.api_key_row(key)))
                _add_audit(conn, audit)
        except IntegrityError:
            raise Conflict(f"an API key with id {key.key_id} exists already") from None

    def api_keys(self) -> list[ApiKey]:
        with self._begin() as conn:
            found = conn.execute(select(ApiKeyRow.__table__).order_by(ApiKeyRow.id)).all()
        return [rows.api_key(r._asdict()) for r in found]

    def api_key(self, key_id: str) -> ApiKey | None:
        with self._begin() as conn:
            row = conn.execute(
                select(ApiKeyRow.__table__).where(ApiKeyRow.key_id == key_id)
            ).first()
        return None if row is None else rows.api_key(row._asdict())

    def revoke_api_key(
        self, key_id: str, at: datetime, *, audit: AuditEntry | None = None
    ) -> ApiKey:
        with self._begin() as conn:
            revoked = conn.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.key_id == key_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=at)
            ).rowcount
            if revoked:
                _add_audit(conn, audit)
            row = conn.execute(
                select(ApiKeyRow.__table__).where(ApiKeyRow.key_id == key_id)
            ).first()
        if row is None:
            raise NotFound(f"no API key with id {key_id}; see geo keys list")
        return rows.api_key(row._asdict())

    def touch_api_key(self, key_id: str, at: datetime, *, audit: AuditEntry | None = None) -> None:
        with self._begin() as conn:
            conn.execute(
                update(ApiKeyRow).where(ApiKeyRow.key_id == key_id).values(last_used_at=at)
            )
            _add_audit(conn, audit)

    def audit_entries(
        self,
        *,
        since: datetime | None = None,
        township: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditEntry]:
        query = select(AuditLog.__table__)
        if since is not None:
            query = query.where(AuditLog.at >= since)
        if township is not None:
            query = query.where(AuditLog.township == township)
        query = (
            query.order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .limit(max(0, limit))
            .offset(max(0, offset))
        )
        with self._begin() as conn:
            found = conn.execute(query).all()
        return [rows.audit_entry(r._asdict()) for r in found]

    def close(self) -> None:
        self.engine.dispose()


__all__ = ["PostGISStore"]
