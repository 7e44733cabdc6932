"""The store interface: one typed protocol, implemented by the GeoPackage and PostGIS stores.

Both implementations pass the same test suite (tests/storage). Every row carries its township
code, so one store can hold a whole county.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

import geopandas as gpd
import pandas as pd
from pydantic import AfterValidator, BaseModel, Field

from geo.audit import AuditEntry
from geo.coverage.camera_status import StatusChange
from geo.coverage.result import IsoTime, WeekCoverage, with_example
from geo.devices import Device
from geo.dispatch.outbox import OutboxMessage
from geo.dispatch.outbox import Status as OutboxStatus
from geo.errors import Conflict
from geo.keys import ApiKey
from geo.layers import TownshipLayers
from geo.tiles import TileRequest

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Table

#: Columns of :meth:`Store.week_fixes`.
WEEK_FIX_COLUMNS = ("time", "lon", "lat", "squad", "device", "upload_id", "segment")


@dataclass(frozen=True)
class PrunedPart:
    """What :meth:`Store.prune_fixes` removes (or would remove) from one place: a month's
    partition dropped whole (PostGIS), or rows deleted by time (PostGIS's DEFAULT partition,
    the GeoPackage's ``fixes`` table)."""

    name: str
    rows: int
    dropped: bool
    """True for a partition dropped whole, False for rows deleted."""


#: Segment keys are ``upload_id * SEGMENT_KEY_BASE + segment`` so they are unique across uploads.
SEGMENT_KEY_BASE = 1_000_000


@dataclass(frozen=True)
class NewUpload:
    """One cleaned upload, ready to store in a single transaction.

    ``fixes`` holds every fix read (nothing is lost): ``time`` (UTC, may be NaT), ``lon``,
    ``lat``, ``accuracy_m``, ``segment`` (-1 where cleaning dropped the fix) and ``drop``
    (the :class:`geo.ingest.cleaning.Drop` code). ``segments`` is a GeoDataFrame in
    EPSG:4326 with ``segment``, ``started_at``, ``ended_at``, ``fixes`` and a LineString each.
    """

    township: str
    squad: str
    device: str
    filename: str
    source_format: str
    source_crs: str
    sha256: str
    uploaded_at: datetime
    fixes: pd.DataFrame
    segments: pd.DataFrame
    report: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None
    """The client's ``Idempotency-Key``: a retry with the same key gets the first answer. A
    key belongs to its uploader (township and squad; a live batch's key holds its device too):
    another squad's key is never looked at."""


def check_idempotent_retry(existing: UploadRecord, upload: NewUpload) -> UploadRecord:
    """The stored upload a retry with the same idempotency key refers to; a key the same
    uploader reused for another file is a :class:`geo.errors.Conflict` naming the uploader's
    own upload (stores only look keys up within the uploader's township and squad)."""
    if existing.sha256 != upload.sha256 or existing.squad != upload.squad:
        raise Conflict(
            f"Idempotency-Key {upload.idempotency_key!r} was already used for upload "
            f"{existing.id} ({existing.filename}, squad {existing.squad}) with other content"
        )
    return existing.model_copy(update={"duplicate": True})


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


#: A stored upload as the API answers it (the example of the upload routes).
UPLOAD_RECORD_EXAMPLE: dict[str, Any] = {
    "id": 12,
    "township": "433122207",
    "squad": "squad-01",
    "device": "phone-01",
    "filename": "2026-11-18.gpx",
    "source_format": "gpx",
    "source_crs": "gcj02",
    "sha256": "9f2b5c0e" + "0" * 56,
    "uploaded_at": "2026-11-18T10:02:11+00:00",
    "duplicate": False,
    "report": {"fixes_read": 1051, "fixes_kept": 1050, "speed_spikes": 1, "segments": 1},
}


class UploadRecord(BaseModel):
    """A stored upload and its cleaning report. ``duplicate`` is True when the same file had
    been stored before and this call stored nothing."""

    model_config = with_example(UPLOAD_RECORD_EXAMPLE)

    id: int
    township: str = Field(examples=["433122207"])
    squad: str = Field(examples=["squad-01"])
    device: str
    filename: str
    source_format: str = Field(examples=["gpx"])
    source_crs: str = Field(examples=["wgs84"])
    sha256: str
    uploaded_at: Annotated[IsoTime, AfterValidator(_utc)]
    duplicate: bool = Field(default=False, description="True when this file had been stored before")
    report: dict[str, Any] = Field(
        examples=[{"fixes_read": 1051, "fixes_kept": 1050, "speed_spikes": 1, "segments": 1}]
    )


class Store(Protocol):
    """What the service needs from storage."""

    def check(self) -> None:
        """Raise :class:`geo.errors.StoreUnavailable` unless the store is reachable and its
        schema is current."""

    def townships(self) -> list[str]:
        """Codes of the townships whose layers are stored."""

    def save_layers(
        self,
        layers: TownshipLayers,
        *,
        imported_flights: Literal["keep", "replace"] = "keep",
        audit: AuditEntry | None = None,
    ) -> None:
        """Replace all layers of ``layers.info.code`` in one transaction (with ``audit``
        written in it, when given).

        Drone flights stored by ``geo drone import`` or the API are kept
        (``imported_flights="keep"``, what ``geo layers load`` does), or replaced by the
        flights of ``layers`` too (``"replace"``, for an edit of layers loaded from the store).
        The township's update time changes, so every week's stored coverage is stale."""

    def edit_layers(
        self,
        township: str,
        change: Callable[[TownshipLayers], TownshipLayers],
        *,
        audit: Callable[[TownshipLayers], AuditEntry] | None = None,
    ) -> TownshipLayers:
        """Load the township's layers, apply ``change`` and save its result (every drone
        flight as returned, ``imported_flights="replace"``) in one transaction, so concurrent
        edits apply one after the other and none is lost; when ``change`` raises, nothing is
        stored. ``audit`` makes the audit entry from the edited layers, written in the same
        transaction. Returns the saved layers."""

    def load_layers(self, township: str) -> TownshipLayers:
        """The township's layers; :class:`geo.errors.NotFound` when not stored."""

    def layer_features(
        self,
        township: str,
        layer: str,
        *,
        where: Callable[[Table], ColumnElement[bool] | None] = ...,
        order_by: Sequence[tuple[str, bool]] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[gpd.GeoDataFrame, int]:
        """One page of a stored layer selected, sorted and paged in SQL, with the number of
        matching features (:meth:`geo.store.sql.SqlStore.layer_features`)."""

    def gap_features(
        self,
        township: str,
        collection: str,
        *,
        where: Callable[[Table], ColumnElement[bool] | None] = ...,
        order_by: Sequence[tuple[str, bool]] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[gpd.GeoDataFrame, int]:
        """One page of the stored gaps of ``area_gaps`` or ``road_gaps`` selected, sorted and
        paged in SQL (:meth:`geo.store.sql.SqlStore.gap_features`)."""

    def coverage_stamps(self, township: str) -> dict[str, tuple[str, str]]:
        """Week → fingerprint and engine of its stored result."""

    def layers_version(self, township: str) -> str | None:
        """A stamp that changes whenever what :meth:`load_layers` returns may have changed
        (layers saved or edited, a camera status recorded, a drone flight imported), in one
        cheap query; None when the township is not stored. Lets a reader keep the layers
        it loaded while the stamp is the same (the upload path does)."""

    def add_upload(self, upload: NewUpload) -> UploadRecord:
        """Store an upload with its fixes and segments in one transaction. The same file
        (township, squad, sha256), or the same idempotency key of the same uploader (township,
        squad, key), stored again returns the first record with ``duplicate=True`` and stores
        nothing; the uploader's key reused for another file is a Conflict."""

    def add_drone_flight(self, row: dict[str, Any]) -> bool:
        """Store an imported drone flight (a ``drone_flights`` row with a shapely geometry);
        False when a flight with that id was stored before (then nothing is written)."""

    def uploads(
        self,
        township: str,
        *,
        squad: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[UploadRecord]:
        """Uploads of a township, oldest first; only ``squad``'s when given, and only those
        with fixes in ``start <= time < end`` when both are given."""

    def upload(self, upload_id: int) -> UploadRecord:
        """One upload; :class:`geo.errors.NotFound` when not stored."""

    def upload_segments(self, upload_id: int) -> gpd.GeoDataFrame:
        """The cleaned segments of one upload, in order: the columns of :meth:`week_tracks`
        and ``segment``."""

    def week_fixes(
        self,
        township: str,
        start: datetime,
        end: datetime,
        *,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> pd.DataFrame:
        """Fixes with ``start <= time < end`` and the columns :data:`WEEK_FIX_COLUMNS`;
        ``segment`` is a key unique across uploads, or -1 for fixes cleaning dropped. With
        ``bbox`` (min lon, min lat, max lon, max lat; edges included) only the fixes in it."""

    def week_tracks(self, township: str, start: datetime, end: datetime) -> gpd.GeoDataFrame:
        """Cleaned segments overlapping the window: ``squad``, ``device``, ``upload_id``,
        ``started_at``, ``ended_at``, ``fixes`` and a WGS-84 LineString each."""

    def vector_tile(self, request: TileRequest) -> bytes:
        """One tile of a tile collection (:data:`geo.tiles.TILE_COLLECTIONS`) as Mapbox Vector
        Tile bytes: the features in the tile's box that match the request's township, window,
        squad and weeks, at most :data:`geo.tiles.MAX_TILE_FEATURES`; empty bytes when none."""

    def inputs_fingerprint(self, township: str, start: datetime, end: datetime) -> str:
        """A string that changes whenever the layers, the uploads touching the window or the
        camera status changes before its end change."""

    def add_camera_status(
        self, township: str, change: StatusChange, *, audit: AuditEntry | None = None
    ) -> str:
        """Record a camera's status from ``change.changed_at`` on and set the camera's current
        status (the status of its latest change by time), with ``audit`` when given, in one
        transaction; return that current status. The first change of a camera also records its
        layer status as valid since ever (:func:`geo.store.rows.baseline_change`).
        :class:`geo.errors.NotFound` for an unknown camera."""

    def camera_status_changes(
        self, township: str, *, camera: str | None = None, before: datetime | None = None
    ) -> list[StatusChange]:
        """Recorded status changes (of one camera, or all), in the order recorded; only those
        with ``changed_at < before`` when given."""

    def coverage_weeks(self, township: str) -> list[str]:
        """The weeks with a stored coverage result, oldest first."""

    def save_coverage(self, result: WeekCoverage, fingerprint: str) -> None:
        """Replace the stored result of ``(result.township_code, result.week)``: a
        township-week holds one result and its gaps, never more (unique constraints)."""

    def load_coverage(self, township: str, week: str) -> tuple[WeekCoverage, str] | None:
        """The stored result and the fingerprint it was computed from, or None."""

    def add_api_key(self, key: ApiKey, *, audit: AuditEntry | None = None) -> None:
        """Store a new key (its hash, never its secret) and ``audit`` in one transaction;
        :class:`geo.errors.Conflict` when its ``key_id`` is taken."""

    def api_keys(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""

    def api_key(self, key_id: str) -> ApiKey | None:
        """The key with this public id, or None."""

    def revoke_api_key(
        self, key_id: str, at: datetime, *, audit: AuditEntry | None = None
    ) -> ApiKey:
        """Mark a key revoked from ``at`` on (a key revoked before keeps its first time, and
        ``audit`` is written only when this call revoked it);
        :class:`geo.errors.NotFound` for an unknown id."""

    def touch_api_key(self, key_id: str, at: datetime, *, audit: AuditEntry | None = None) -> None:
        """Record that the key was used at ``at`` (callers do this at most once a minute),
        with ``audit`` in the same transaction."""

    def add_device(self, device: Device, *, audit: AuditEntry | None = None) -> None:
        """Register a phone (the hash of its id, never the id) and ``audit`` in one
        transaction; :class:`geo.errors.Conflict` when its id is taken."""

    def device_by_hash(self, id_sha256: str) -> Device | None:
        """The device whose id hashes to ``id_sha256`` (revoked ones too), or None."""

    def devices(self, township: str | None = None) -> list[Device]:
        """Every device (of ``township`` when given), revoked ones included, oldest first."""

    def revoke_device(
        self, public_id: str, at: datetime, *, audit: AuditEntry | None = None
    ) -> Device:
        """Mark a device revoked from ``at`` on (a device revoked before keeps its first time;
        ``audit`` is written only when this call revoked it); :class:`geo.errors.NotFound`
        for an unknown public id."""

    def touch_device(self, id_sha256: str, last_fix_at: datetime, battery: float | None) -> None:
        """Record the device's latest fix time and battery, when ``last_fix_at`` is later
        than the one stored."""

    def enqueue_alert(self, message: OutboxMessage) -> bool:
        """Store an alert message unless one with its ``key`` is stored already (then
        nothing changes); True when this call stored it."""

    def due_alerts(self, now: datetime, *, limit: int = 100) -> list[OutboxMessage]:
        """Pending messages whose next attempt is due at ``now``, the longest waiting first."""

    def alerts(
        self, township: str | None = None, *, status: OutboxStatus | None = None
    ) -> list[OutboxMessage]:
        """Every stored alert message (of ``township`` and with ``status`` when given),
        oldest first."""

    def claim_alert(self, message_id: int, now: datetime, until: datetime) -> bool:
        """Take a pending message due at ``now`` for one send by moving its next attempt to
        ``until``; True for exactly one of several callers at once (no double send)."""

    def requeue_alert(self, message_id: int, at: datetime) -> OutboxMessage:
        """Put a message back in the outbox as pending, due at ``at``, attempts from zero;
        :class:`geo.errors.NotFound` for an unknown id."""

    def mark_alert_sent(self, message_id: int, at: datetime) -> None:
        """Mark a pending message sent at ``at`` (it is never sent again)."""

    def mark_alert_failed(self, message_id: int, at: datetime, error: str) -> OutboxMessage:
        """Count a failed attempt: the message stays pending with its next attempt delayed
        exponentially (:func:`geo.dispatch.outbox.backoff`), or is marked failed once
        :data:`geo.dispatch.outbox.MAX_ATTEMPTS` are spent; the message as now stored."""

    def audit_entries(
        self,
        *,
        since: datetime | None = None,
        township: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditEntry]:
        """Audit entries, newest first: only those at or after ``since`` and of ``township``
        when given; ``limit`` entries after the first ``offset``."""

    def prune_fixes(
        self,
        before: date,
        *,
        apply: bool = False,
        audit: Callable[[list[PrunedPart]], AuditEntry] | None = None,
    ) -> list[PrunedPart]:
        """Remove the stored fixes timed before the month ``before`` (its first day, UTC):
        PostGIS drops the months' partitions whole, the GeoPackage deletes the rows. Without
        ``apply`` nothing is removed and the answer says what would be; with it, ``audit``'s
        entry for what was removed is written in the same transaction. Uploads, tracks and
        stored results stay."""

    def close(self) -> None:
        """Release connections."""
