"""The store: one SQLAlchemy Core implementation of :class:`geo.store.base.Store` for PostGIS
and for the GeoPackage file.

Every query is written once, over the tables of :mod:`geo.store.tables`; their column types
(:mod:`geo.store.types`) read shapely geometries and UTC datetimes on both backends. What
differs is a small :class:`Backend` per dialect (:mod:`geo.store.postgis`,
:mod:`geo.store.geopackage`): how the schema is checked, how a transaction waits for others,
how an upload's fixes are loaded in bulk, and which driver errors mean the store is
unavailable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    and_,
    delete,
    func,
    insert,
    select,
    text,
    true,
    update,
)
from sqlalchemy.exc import DataError, IntegrityError

from geo.audit import AuditEntry
from geo.coverage.camera_status import StatusChange
from geo.coverage.result import WeekCoverage
from geo.devices import Device
from geo.dispatch.outbox import MAX_ATTEMPTS, OutboxMessage, backoff
from geo.dispatch.outbox import Status as OutboxStatus
from geo.errors import Conflict, InvalidQuery, NotFound, StoreUnavailable
from geo.features import GAP_COLLECTIONS
from geo.keys import ApiKey
from geo.layers import TownshipLayers
from geo.store import rows
from geo.store.base import NewUpload, PrunedPart, UploadRecord, check_idempotent_retry
from geo.store.cql_sql import collection_columns
from geo.store.tables import (
    LAYER_TABLES,
    AlertOutbox,
    AuditLog,
    CameraStatusChange,
    CoverageGap,
    CoverageResult,
    DeviceRow,
    Fix,
    PatrolTrack,
    Township,
    TownshipDem,
    Upload,
)
from geo.store.tables import ApiKey as ApiKeyRow
from geo.store.tables import table_of as _table
from geo.tiles import TileRequest

#: Ids are ``integer`` (32-bit) columns in PostGIS; a larger one is never stored.
_MAX_ID = 2**31 - 1
_UPLOADS = _table(Upload)
_TRACKS = _table(PatrolTrack)
_FIXES = _table(Fix)
_HISTORY = _table(CameraStatusChange)
_RESULTS = _table(CoverageResult)
_GAPS = _table(CoverageGap)
_KEYS = _table(ApiKeyRow)
_AUDIT = _table(AuditLog)
_DEVICES = _table(DeviceRow)
_TOWNSHIP = _table(Township)
_OUTBOX = _table(AlertOutbox)
_DEM = _table(TownshipDem)


class Backend(Protocol):
    """What differs between PostGIS and the GeoPackage file."""

    engine: Engine
    #: Driver errors that mean the store cannot be used now (503 with Retry-After).
    unavailable_errors: tuple[type[Exception], ...]

    def unavailable(self, exc: Exception) -> StoreUnavailable:
        """The domain error for one of :attr:`unavailable_errors`."""

    def check(self) -> None:
        """Raise :class:`StoreUnavailable` unless the store is reachable and current."""

    def lock(self, conn: Connection, key: str) -> None:
        """Wait, inside a write transaction, for other transactions that locked ``key``."""

    def prepare_upload(self, upload: NewUpload) -> None:
        """Make room for an upload's fixes before its transaction begins (PostGIS: the
        partitions of their months)."""

    def load_upload(self, conn: Connection, upload: NewUpload, upload_id: int) -> None:
        """Write an upload's segments and fixes in bulk, in the caller's transaction."""

    def prune_fixes(self, conn: Connection, before: date, *, apply: bool) -> list[PrunedPart]:
        """The fixes before the month ``before`` that pruning removes, removed when
        ``apply`` (in the caller's transaction)."""

    def epoch_ms(self, column: ColumnElement[datetime]) -> ColumnElement[int]:
        """A time column as whole milliseconds since 1970 UTC, computed by the database, so
        a week of fixes reaches Python as plain integers (no datetime object per fix)."""

    def vector_tile(self, conn: Connection, request: TileRequest) -> bytes:
        """One vector tile as MVT bytes, empty when nothing falls in it (:mod:`geo.tiles`)."""


def _holds_id(value: int) -> bool:
    return -_MAX_ID - 1 <= value <= _MAX_ID


def _add_audit(conn: Connection, entry: AuditEntry | None) -> None:
    """Write an audit entry in the caller's transaction (nothing when None)."""
    if entry is not None:
        conn.execute(insert(_AUDIT).values(**rows.audit_row(entry)))


def _frame(conn: Connection, query: Select[Any]) -> pd.DataFrame:
    """Run ``query`` (parameters bound through the column types) and read its rows straight
    from the driver's cursor into a frame: no per-value conversion, for large reads."""
    result = conn.execute(query)
    return pd.DataFrame.from_records(result.cursor.fetchall(), columns=list(result.keys()))


def _not_applicable(collection: str, exc: DataError) -> InvalidQuery:
    """A filter the database refused for one of its values (400, not a 500)."""
    reason = str(getattr(exc, "orig", exc)).splitlines()[0]
    return InvalidQuery(f"the filter cannot be applied to {collection}: {reason}")


class SqlStore:
    """A :class:`geo.store.base.Store` on SQLAlchemy Core, for either backend.

    Parameters
    ----------
    backend
        The dialect's :class:`Backend`; its engine is the store's.
    """

    def __init__(self, backend: Backend):
        self.backend = backend
        self.engine = backend.engine
        self.check()

    @contextmanager
    def _begin(self, *, write: bool = False) -> Iterator[Connection]:
        """One transaction (``write`` ones take the backend's write lock at their start).
        A driver error that means the store cannot be used now becomes
        :class:`StoreUnavailable`; the transaction is rolled back, so nothing of it is
        stored."""
        try:
            with self.engine.connect() as conn:
                if write:
                    conn.execution_options(geo_write=True)
                with conn.begin():
                    yield conn
        except self.backend.unavailable_errors as exc:
            raise self.backend.unavailable(exc) from None

    def check(self) -> None:
        self.backend.check()

    def townships(self) -> list[str]:
        with self._begin() as conn:
            return list(conn.scalars(select(_TOWNSHIP.c.code).order_by(_TOWNSHIP.c.code)))

    def save_layers(
        self,
        layers: TownshipLayers,
        *,
        imported_flights: rows.ImportedFlights = "keep",
        audit: AuditEntry | None = None,
    ) -> None:
        with self._begin(write=True) as conn:
            self._save_layers(conn, layers, imported_flights)
            _add_audit(conn, audit)

    def edit_layers(
        self,
        township: str,
        change: Callable[[TownshipLayers], TownshipLayers],
        *,
        audit: Callable[[TownshipLayers], AuditEntry] | None = None,
    ) -> TownshipLayers:
        with self._begin(write=True) as conn:
            self._lock_township(conn, township)
            edited = change(self._load_layers(conn, township))
            self._save_layers(conn, edited, "replace")
            _add_audit(conn, None if audit is None else audit(edited))
        return edited

    def _lock_township(self, conn: Connection, township: str) -> None:
        """Wait for other edits of the township's layers (and camera status changes) to end;
        the load that follows then reads what they stored."""
        self.backend.lock(conn, f"geo:layers:{township}")

    @staticmethod
    def _save_layers(
        conn: Connection, layers: TownshipLayers, imported_flights: rows.ImportedFlights
    ) -> None:
        info = layers.info
        conn.execute(delete(_TOWNSHIP).where(_TOWNSHIP.c.code == info.code))
        conn.execute(
            insert(_TOWNSHIP).values(
                code=info.code,
                name=info.name,
                name_en=info.name_en,
                settings=info.to_dict(),
                updated_at=datetime.now(UTC),
                geom=layers.outline.geometry.iloc[0],
            )
        )
        conn.execute(delete(_DEM).where(_DEM.c.township == info.code))
        if layers.dem is not None:
            conn.execute(insert(_DEM).values(township=info.code, data=layers.dem))
        for name, table in LAYER_TABLES.items():
            only = rows.LAYER_ROW_FILTER.get(name) if imported_flights == "keep" else None
            condition = text(only) if only else true()
            conn.execute(delete(table).where(table.c.township == info.code, condition))
            cols, values = rows.layer_rows(layers, name, imported_flights=imported_flights)
            if values:
                conn.execute(insert(table), [dict(zip(cols, v, strict=True)) for v in values])

    def load_layers(self, township: str) -> TownshipLayers:
        with self._begin() as conn:
            return self._load_layers(conn, township)

    def layers_version(self, township: str) -> str | None:
        flights = LAYER_TABLES["drone_flights"]
        with self._begin() as conn:
            row = conn.execute(
                select(
                    _TOWNSHIP.c.updated_at,
                    select(func.max(_HISTORY.c.id))
                    .where(_HISTORY.c.township == township)
                    .scalar_subquery(),
                    select(func.max(flights.c.id))
                    .where(flights.c.township == township)
                    .scalar_subquery(),
                ).where(_TOWNSHIP.c.code == township)
            ).first()
        return None if row is None else f"{row[0].isoformat()}|{row[1]}|{row[2]}"

    def layer_features(
        self,
        township: str,
        layer: str,
        *,
        where: Callable[[Table], ColumnElement[bool] | None] = lambda _table: None,
        order_by: Sequence[tuple[str, bool]] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[gpd.GeoDataFrame, int]:
        """One page of a layer in SQL: the rows ``where`` selects (a condition over the
        layer's table, see :func:`geo.store.cql_sql.to_sql`), sorted by ``order_by``
        (column, descending) then by the stored order, ``limit`` rows from ``offset``;
        with the number of matching rows."""
        table = LAYER_TABLES[layer]
        cols = rows.LAYER_COLUMNS_OF[layer]
        chosen = where(table)
        condition = and_(table.c.township == township, *([chosen] if chosen is not None else []))
        order = [table.c[c].desc() if desc else table.c[c].asc() for c, desc in order_by]
        query = (
            select(*[table.c[c] for c in cols], table.c.geom)
            .where(condition)
            .order_by(*order, table.c.id)
            .limit(limit)
            .offset(offset)
        )
        try:
            with self._begin() as conn:
                records = conn.execute(query).all()
                matched = conn.execute(select(func.count()).select_from(table).where(condition))
                count = int(matched.scalar_one())
        except DataError as exc:  # a value the database cannot compare (out of its range)
            raise _not_applicable(layer, exc) from None
        frame = rows.layer_frame(layer, [tuple(r)[:-1] for r in records], [r[-1] for r in records])
        return frame, count

    def gap_features(
        self,
        township: str,
        collection: str,
        *,
        where: Callable[[Table], ColumnElement[bool] | None] = lambda _table: None,
        order_by: Sequence[tuple[str, bool]] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[gpd.GeoDataFrame, int]:
        """One page of the stored gaps of one kind (``area_gaps`` or ``road_gaps``) in SQL,
        as :meth:`layer_features` does for a layer: the rows ``where`` selects over
        ``coverage_gaps``, sorted by ``order_by`` then by week and rank, with the number of
        matching rows. The frame has the columns of :func:`geo.features.gaps_frame`."""
        columns = collection_columns(collection, _GAPS)
        chosen = where(_GAPS)
        condition = and_(
            _GAPS.c.township == township,
            _GAPS.c.kind == GAP_COLLECTIONS[collection],
            *([chosen] if chosen is not None else []),
        )
        order = [columns[c].desc() if desc else columns[c].asc() for c, desc in order_by]
        query = (
            select(*[c.label(name) for name, c in columns.items()], _GAPS.c.geom)
            .where(condition)
            .order_by(*order, _GAPS.c.week, _GAPS.c.rank)
            .limit(limit)
            .offset(offset)
        )
        try:
            with self._begin() as conn:
                records = conn.execute(query).all()
                matched = conn.execute(select(func.count()).select_from(_GAPS).where(condition))
                count = int(matched.scalar_one())
        except DataError as exc:
            raise _not_applicable(collection, exc) from None
        frame = pd.DataFrame([tuple(r)[:-1] for r in records], columns=list(columns))
        geoms = gpd.GeoSeries([r[-1] for r in records], crs="EPSG:4326")
        return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326"), count

    @staticmethod
    def _load_layers(conn: Connection, township: str) -> TownshipLayers:
        row = conn.execute(
            select(_TOWNSHIP.c.settings, _TOWNSHIP.c.geom).where(_TOWNSHIP.c.code == township)
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
            geoms = [r[-1] for r in records]
            frames[name] = rows.layer_frame(name, [tuple(r)[:-1] for r in records], geoms)
        dem = conn.scalar(select(_DEM.c.data).where(_DEM.c.township == township))
        layers = rows.township_layers(row.settings, row.geom, frames)
        return layers if dem is None else replace(layers, dem=bytes(dem))

    def add_upload(self, upload: NewUpload) -> UploadRecord:
        try:
            return self._add_upload(upload)
        except IntegrityError:
            # A concurrent request stored the same file or key first: answer with that one.
            return self._add_upload(upload)

    def _add_upload(self, upload: NewUpload) -> UploadRecord:
        u = _UPLOADS.c
        self.backend.prepare_upload(upload)
        mine = (u.township == upload.township, u.squad == upload.squad)
        with self._begin(write=True) as conn:
            if upload.idempotency_key:
                keyed = conn.execute(
                    select(_UPLOADS).where(*mine, u.idempotency_key == upload.idempotency_key)
                ).first()
                if keyed is not None:
                    return check_idempotent_retry(rows.upload_record(keyed._asdict()), upload)
            existing = conn.execute(
                select(_UPLOADS).where(*mine, u.sha256 == upload.sha256)
            ).first()
            if existing is not None:
                return rows.upload_record(existing._asdict(), duplicate=True)
            first_fix_at, last_fix_at = rows.fix_time_range(upload.fixes)
            # The stored row comes back with the INSERT (no second query for it).
            row = conn.execute(
                insert(_UPLOADS)
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
                .returning(*_UPLOADS.c)
            ).one()
            self.backend.load_upload(conn, upload, int(row.id))
            return rows.upload_record(row._asdict())

    def add_drone_flight(self, row: dict[str, Any]) -> bool:
        table = LAYER_TABLES["drone_flights"]
        with self._begin(write=True) as conn:
            found = conn.execute(
                select(table.c.id).where(
                    table.c.township == row["township"], table.c.flight_id == row["flight_id"]
                )
            ).first()
            if found:
                return False
            conn.execute(insert(table).values(**row))
            return True

    def uploads(
        self,
        township: str,
        *,
        squad: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[UploadRecord]:
        u = _UPLOADS.c
        query = select(_UPLOADS).where(u.township == township)
        if squad is not None:
            query = query.where(u.squad == squad)
        if start is not None and end is not None:
            query = query.where(u.last_fix_at >= start, u.first_fix_at < end)
        with self._begin() as conn:
            found = conn.execute(query.order_by(u.id)).all()
        return [rows.upload_record(r._asdict()) for r in found]

    def upload(self, upload_id: int) -> UploadRecord:
        row = None
        if _holds_id(upload_id):
            with self._begin() as conn:
                row = conn.execute(select(_UPLOADS).where(_UPLOADS.c.id == upload_id)).first()
        if row is None:
            raise NotFound(f"upload {upload_id} is not in the store")
        return rows.upload_record(row._asdict())

    def upload_segments(self, upload_id: int) -> gpd.GeoDataFrame:
        if not _holds_id(upload_id):
            return rows.track_frame([], [], extra=("segment",))
        t = _TRACKS.c
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
            [r._asdict() for r in found], [r.geom for r in found], extra=("segment",)
        )

    def week_fixes(
        self,
        township: str,
        start: datetime,
        end: datetime,
        *,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> pd.DataFrame:
        # The time bounds let PostGIS read only the months' partitions (tests/storage/
        # test_partitions.py reads the plans of both forms of this query).
        f = _FIXES.c
        where = [f.township == township, f.t >= start, f.t < end]
        if bbox is not None:
            west, south, east, north = bbox
            where += [f.lon.between(west, east), f.lat.between(south, north)]
        query = (
            select(self.backend.epoch_ms(f.t).label("time_ms"), f.lon, f.lat, f.squad)
            .add_columns(f.device, f.upload_id, f.segment)
            .where(*where)
            .order_by(f.upload_id, f.seq)
        )
        with self._begin() as conn:
            return rows.week_fix_frame(_frame(conn, query))

    def vector_tile(self, request: TileRequest) -> bytes:
        with self._begin() as conn:
            return self.backend.vector_tile(conn, request)

    def week_tracks(self, township: str, start: datetime, end: datetime) -> gpd.GeoDataFrame:
        t = _TRACKS.c
        with self._begin() as conn:
            found = conn.execute(
                select(t.squad, t.device, t.upload_id, t.started_at, t.ended_at, t.fixes, t.geom)
                .where(t.township == township, t.ended_at >= start, t.started_at < end)
                .order_by(t.squad, t.started_at)
            ).all()
        return rows.track_frame([r._asdict() for r in found], [r.geom for r in found])

    def inputs_fingerprint(self, township: str, start: datetime, end: datetime) -> str:
        u, h = _UPLOADS.c, _HISTORY.c
        with self._begin() as conn:
            updated = conn.scalar(
                select(_TOWNSHIP.c.updated_at).where(_TOWNSHIP.c.code == township)
            )
            count, last = conn.execute(
                select(func.count(), func.max(u.id)).where(
                    u.township == township, u.last_fix_at >= start, u.first_fix_at < end
                )
            ).one()
            changes, last_change = conn.execute(
                select(func.count(), func.max(h.id)).where(
                    h.township == township, h.changed_at < end
                )
            ).one()
        stamp = updated.isoformat(timespec="milliseconds") if updated else ""
        return rows.fingerprint(stamp, count, last, changes, last_change)

    def add_camera_status(
        self, township: str, change: StatusChange, *, audit: AuditEntry | None = None
    ) -> str:
        cameras = LAYER_TABLES["cameras"]
        h = _HISTORY.c
        this_camera = (h.township == township, h.camera_code == change.camera_code)
        with self._begin(write=True) as conn:
            # One at a time with layer edits, which rewrite the cameras' rows.
            self._lock_township(conn, township)
            layer_status = conn.scalar(
                select(cameras.c.status)
                .where(cameras.c.township == township, cameras.c.code == change.camera_code)
                .with_for_update()
            )
            if layer_status is None:
                raise NotFound(f"township {township} has no camera {change.camera_code!r}")
            known = conn.scalar(select(func.count()).where(*this_camera))
            new = (
                [change]
                if known
                else [rows.baseline_change(change.camera_code, layer_status), change]
            )
            conn.execute(
                insert(_HISTORY),
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
                select(h.status)
                .where(*this_camera)
                .order_by(h.changed_at.desc(), h.id.desc())
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
        h = _HISTORY.c
        query = select(_HISTORY).where(h.township == township)
        if camera is not None:
            query = query.where(h.camera_code == camera)
        if before is not None:
            query = query.where(h.changed_at < before)
        with self._begin() as conn:
            found = conn.execute(query.order_by(h.id)).all()
        return [rows.status_change(r._asdict()) for r in found]

    def coverage_weeks(self, township: str) -> list[str]:
        r = _RESULTS.c
        with self._begin() as conn:
            found = conn.scalars(
                select(r.week).where(r.township == township).distinct().order_by(r.week)
            ).all()
        return [str(w) for w in found]

    def coverage_stamps(self, township: str) -> dict[str, tuple[str, str]]:
        """Week → the inputs' fingerprint and the engine of its stored result, without
        reading the result."""
        r = _RESULTS.c
        with self._begin() as conn:
            found = conn.execute(
                select(r.week, r.fingerprint, r.method).where(r.township == township).distinct()
            ).all()
        return {str(w): (str(f), str(m)) for w, f, m in found}

    def save_coverage(self, result: WeekCoverage, fingerprint: str) -> None:
        township, week = result.township_code, result.week
        with self._begin(write=True) as conn:
            # Concurrent reads of a stale week compute it at once: the second save waits for
            # the first and replaces it, instead of failing on the unique constraints.
            self.backend.lock(conn, f"geo:coverage:{township}:{week}")
            for table in (_RESULTS, _GAPS):
                conn.execute(
                    delete(table).where(table.c.township == township, table.c.week == week)
                )
            conn.execute(insert(_RESULTS), rows.coverage_rows(result, fingerprint))
            gaps = rows.gap_rows(result)
            if gaps:
                conn.execute(insert(_GAPS), gaps)

    def load_coverage(self, township: str, week: str) -> tuple[WeekCoverage, str] | None:
        r, g = _RESULTS.c, _GAPS.c
        with self._begin() as conn:
            results = conn.execute(
                select(_RESULTS).where(r.township == township, r.week == week).order_by(r.id)
            ).all()
            if not results:
                return None
            gaps = conn.execute(
                select(g.properties, g.geom)
                .where(g.township == township, g.week == week)
                .order_by(g.rank)
            ).all()
        return rows.week_coverage(
            township, week, [x._asdict() for x in results], [(x[0], x[1]) for x in gaps]
        )

    def add_api_key(self, key: ApiKey, *, audit: AuditEntry | None = None) -> None:
        try:
            with self._begin(write=True) as conn:
                conn.execute(insert(_KEYS).values(**rows.api_key_row(key)))
                _add_audit(conn, audit)
        except IntegrityError:
            raise Conflict(f"an API key with id {key.key_id} exists already") from None

    def api_keys(self) -> list[ApiKey]:
        with self._begin() as conn:
            found = conn.execute(select(_KEYS).order_by(_KEYS.c.id)).all()
        return [rows.api_key(r._asdict()) for r in found]

    def api_key(self, key_id: str) -> ApiKey | None:
        with self._begin() as conn:
            row = conn.execute(select(_KEYS).where(_KEYS.c.key_id == key_id)).first()
        return None if row is None else rows.api_key(row._asdict())

    def revoke_api_key(
        self, key_id: str, at: datetime, *, audit: AuditEntry | None = None
    ) -> ApiKey:
        row = self._revoke(_KEYS.c.key_id, key_id, at, audit)
        if row is None:
            raise NotFound(f"no API key with id {key_id}; see geo keys list")
        return rows.api_key(row)

    def touch_api_key(self, key_id: str, at: datetime, *, audit: AuditEntry | None = None) -> None:
        with self._begin(write=True) as conn:
            conn.execute(update(_KEYS).where(_KEYS.c.key_id == key_id).values(last_used_at=at))
            _add_audit(conn, audit)

    def add_device(self, device: Device, *, audit: AuditEntry | None = None) -> None:
        try:
            with self._begin(write=True) as conn:
                conn.execute(insert(_DEVICES).values(**rows.device_row(device)))
                _add_audit(conn, audit)
        except IntegrityError:
            raise Conflict(f"a device with id {device.public_id} exists already") from None

    def device_by_hash(self, id_sha256: str) -> Device | None:
        with self._begin() as conn:
            row = conn.execute(select(_DEVICES).where(_DEVICES.c.id_sha256 == id_sha256)).first()
        return None if row is None else rows.device(row._asdict())

    def devices(self, township: str | None = None) -> list[Device]:
        query = select(_DEVICES).order_by(_DEVICES.c.id)
        if township is not None:
            query = query.where(_DEVICES.c.township == township)
        with self._begin() as conn:
            found = conn.execute(query).all()
        return [rows.device(r._asdict()) for r in found]

    def revoke_device(
        self, public_id: str, at: datetime, *, audit: AuditEntry | None = None
    ) -> Device:
        row = self._revoke(_DEVICES.c.public_id, public_id, at, audit)
        if row is None:
            raise NotFound(f"no device with id {public_id}; see geo devices list")
        return rows.device(row)

    def _revoke(
        self, key: Any, value: str, at: datetime, audit: AuditEntry | None
    ) -> dict[str, Any] | None:
        """Mark the row whose ``key`` column is ``value`` revoked from ``at`` on (a row revoked
        before keeps its first time; ``audit`` is written only when this call revoked it);
        the row as it is then, or None when there is none."""
        table = key.table
        with self._begin(write=True) as conn:
            revoked = conn.execute(
                update(table)
                .where(key == value, table.c.revoked_at.is_(None))
                .values(revoked_at=at)
            ).rowcount
            if revoked:
                _add_audit(conn, audit)
            row = conn.execute(select(table).where(key == value)).first()
        return None if row is None else dict(row._asdict())

    def touch_device(self, id_sha256: str, last_fix_at: datetime, battery: float | None) -> None:
        d = _DEVICES.c
        # Only a later fix moves the device's last fix (a replayed old batch does not).
        later = (d.last_fix_at.is_(None)) | (d.last_fix_at < last_fix_at)
        with self._begin(write=True) as conn:
            conn.execute(
                update(_DEVICES)
                .where(d.id_sha256 == id_sha256, later)
                .values(last_fix_at=last_fix_at, last_battery=battery)
            )

    def enqueue_alert(self, message: OutboxMessage) -> bool:
        """Store ``message`` unless one with its key is stored already; True when stored."""
        values = message.model_dump(exclude={"id"}, mode="python")
        try:
            with self._begin(write=True) as conn:
                if conn.execute(select(_OUTBOX.c.id).where(_OUTBOX.c.key == message.key)).first():
                    return False
                conn.execute(insert(_OUTBOX).values(**values))
        except IntegrityError:  # the same key enqueued at once by another run
            return False
        return True

    def due_alerts(self, now: datetime, *, limit: int = 100) -> list[OutboxMessage]:
        o = _OUTBOX.c
        query = (
            select(_OUTBOX)
            .where(o.status == "pending", o.next_attempt_at <= now)
            .order_by(o.next_attempt_at, o.id)
            .limit(max(0, limit))
        )
        with self._begin() as conn:
            found = conn.execute(query).all()
        return [OutboxMessage.model_validate(r._asdict()) for r in found]

    def alerts(
        self, township: str | None = None, *, status: OutboxStatus | None = None
    ) -> list[OutboxMessage]:
        query = select(_OUTBOX).order_by(_OUTBOX.c.id)
        if township is not None:
            query = query.where(_OUTBOX.c.township == township)
        if status is not None:
            query = query.where(_OUTBOX.c.status == status)
        with self._begin() as conn:
            found = conn.execute(query).all()
        return [OutboxMessage.model_validate(r._asdict()) for r in found]

    def claim_alert(self, message_id: int, now: datetime, until: datetime) -> bool:
        """Take a due pending message for one send: its next attempt moves to ``until`` in
        one conditional UPDATE, so of several processes claiming it at once exactly one
        succeeds (SQLite: the write transaction is exclusive; PostgreSQL: the second UPDATE
        waits for the first's commit and re-reads the row, no longer due)."""
        o = _OUTBOX.c
        with self._begin(write=True) as conn:
            claimed = conn.execute(
                update(_OUTBOX)
                .where(o.id == message_id, o.status == "pending", o.next_attempt_at <= now)
                .values(next_attempt_at=until)
            ).rowcount
        return bool(claimed)

    def requeue_alert(self, message_id: int, at: datetime) -> OutboxMessage:
        """Put a message (pending, failed or sent) back in the outbox, due at ``at`` with its
        attempts counted from zero (``geo alerts resend``); :class:`NotFound` when unknown."""
        o = _OUTBOX.c
        with self._begin(write=True) as conn:
            done = conn.execute(
                update(_OUTBOX)
                .where(o.id == message_id)
                .values(status="pending", attempts=0, next_attempt_at=at, sent_at=None)
            ).rowcount
            if not done:
                raise NotFound(f"no alert message with id {message_id}")
            row = conn.execute(select(_OUTBOX).where(o.id == message_id)).one()
        return OutboxMessage.model_validate(row._asdict())

    def mark_alert_sent(self, message_id: int, at: datetime) -> None:
        o = _OUTBOX.c
        with self._begin(write=True) as conn:
            conn.execute(
                update(_OUTBOX)
                .where(o.id == message_id, o.status == "pending")
                .values(status="sent", sent_at=at, attempts=o.attempts + 1, last_error="")
            )

    def mark_alert_failed(self, message_id: int, at: datetime, error: str) -> OutboxMessage:
        o = _OUTBOX.c
        with self._begin(write=True) as conn:
            row = conn.execute(select(_OUTBOX).where(o.id == message_id)).first()
            if row is None:
                raise NotFound(f"no alert message with id {message_id}")
            attempts = int(row.attempts) + 1
            conn.execute(
                update(_OUTBOX)
                .where(o.id == message_id, o.status == "pending")
                .values(
                    attempts=attempts,
                    last_error=error[:2000],
                    next_attempt_at=at + backoff(attempts),
                    status="failed" if attempts >= MAX_ATTEMPTS else "pending",
                )
            )
            row = conn.execute(select(_OUTBOX).where(o.id == message_id)).one()
        return OutboxMessage.model_validate(row._asdict())

    def audit_entries(
        self,
        *,
        since: datetime | None = None,
        township: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditEntry]:
        a = _AUDIT.c
        query = select(_AUDIT)
        if since is not None:
            query = query.where(a.at >= since)
        if township is not None:
            query = query.where(a.township == township)
        query = query.order_by(a.at.desc(), a.id.desc()).limit(max(0, limit)).offset(max(0, offset))
        with self._begin() as conn:
            found = conn.execute(query).all()
        return [rows.audit_entry(r._asdict()) for r in found]

    def prune_fixes(
        self,
        before: date,
        *,
        apply: bool = False,
        audit: Callable[[list[PrunedPart]], AuditEntry] | None = None,
    ) -> list[PrunedPart]:
        with self._begin(write=apply) as conn:
            parts = self.backend.prune_fixes(conn, before, apply=apply)
            if apply:
                _add_audit(conn, None if audit is None else audit(parts))
        return parts

    def close(self) -> None:
        self.engine.dispose()


__all__ = ["Backend", "SqlStore"]
