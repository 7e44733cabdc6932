"""The storage schema, declared once with SQLAlchemy 2 and GeoAlchemy2.

One store (:class:`geo.store.sql.SqlStore`) reads and writes them on both backends. PostGIS
gets them from Alembic's migrations; the GeoPackage derives its DDL from the same metadata
(:func:`geo.store.geopackage.schema_script`), so both hold the same tables and columns.
Geometries (:class:`geo.store.types.Shape`, EPSG:4326) read as shapely and times
(:class:`geo.store.types.UtcTime`) as aware UTC datetimes on both.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from geo.store.types import Shape, UtcTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _geom(kind: str, dims: int = 2) -> Shape:
    return Shape(kind, dims)


class Township(Base):
    __tablename__ = "township"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String, unique=True)
    name: Mapped[str] = mapped_column(String)
    name_en: Mapped[str] = mapped_column(String, default="")
    settings: Mapped[dict[str, object]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcTime)
    geom: Mapped[object] = mapped_column(_geom("MULTIPOLYGON"))


class Village(Base):
    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("township", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township: Mapped[str] = mapped_column(String, index=True)
    code: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)
    name_en: Mapped[str] = mapped_column(String, default="")
    squad: Mapped[str] = mapped_column(String, default="")
    geom: Mapped[object] = mapped_column(_geom("MULTIPOLYGON"))


class Road(Base):
    __tablename__ = "roads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township: Mapped[str] = mapped_column(String, index=True)
    code: Mapped[str] = mapped_column(String)
    road_class: Mapped[str] = mapped_column("class", String)
    name: Mapped[str] = mapped_column(String, default="")
    geom: Mapped[object] = mapped_column(_geom("LINESTRING"))


class Camera(Base):
    __tablename__ = "cameras"
    __table_args__ = (UniqueConstraint("township", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township: Mapped[str] = mapped_column(String, index=True)
    code: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String, default="")
    village: Mapped[str] = mapped_column(String, default="")
    bearing_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    fov_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    range_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    ptz: Mapped[bool] = mapped_column(Boolean, default=False)
    height_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String, default="online")
    installed_on: Mapped[str] = mapped_column(String, default="")
    geom: Mapped[object] = mapped_column(_geom("POINT"))


class Checkpoint(Base):
    __tablename__ = "checkpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township: Mapped[str] = mapped_column(String, index=True)
    code: Mapped[str] = mapped_column(String, default="")
    name: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String, default="")
    village: Mapped[str] = mapped_column(String, default="")
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    geom: Mapped[object] = mapped_column(_geom("POINT"))


class DroneFlight(Base):
    __tablename__ = "drone_flights"
    __table_args__ = (UniqueConstraint("township", "flight_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township: Mapped[str] = mapped_column(String, index=True)
    flight_id: Mapped[str] = mapped_column(String)
    started_at: Mapped[str] = mapped_column(String, default="")
    ended_at: Mapped[str] = mapped_column(String, default="")
    altitude_source: Mapped[str] = mapped_column(String, default="agl")
    hfov_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    drone: Mapped[str] = mapped_column(String, default="")
    times_s: Mapped[str] = mapped_column(String, default="")
    source: Mapped[str] = mapped_column(String, default="layers", server_default="layers")
    """``layers`` (replaced by ``geo layers load``) or ``import`` (``geo drone import``)."""
    geom: Mapped[object] = mapped_column(_geom("LINESTRINGZ", 3))


class Upload(Base):
    __tablename__ = "track_uploads"
    __table_args__ = (
        UniqueConstraint("township", "squad", "sha256"),
        # Keys are the uploader's own: another squad's key never answers (migration 0003).
        UniqueConstraint("township", "squad", "idempotency_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township: Mapped[str] = mapped_column(String, index=True)
    squad: Mapped[str] = mapped_column(String)
    device: Mapped[str] = mapped_column(String, default="")
    filename: Mapped[str] = mapped_column(String, default="")
    source_format: Mapped[str] = mapped_column(String)
    source_crs: Mapped[str] = mapped_column(String)
    sha256: Mapped[str] = mapped_column(String)
    uploaded_at: Mapped[datetime] = mapped_column(UtcTime)
    first_fix_at: Mapped[datetime | None] = mapped_column(UtcTime, nullable=True)
    last_fix_at: Mapped[datetime | None] = mapped_column(UtcTime, nullable=True)
    report: Mapped[dict[str, object]] = mapped_column(JSON)
    idempotency_key: Mapped[str | None] = mapped_column(String, nullable=True)


class PatrolTrack(Base):
    """One cleaned segment of an upload, for maps and for QGIS."""

    __tablename__ = "patrol_tracks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township: Mapped[str] = mapped_column(String, index=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("track_uploads.id", ondelete="CASCADE"))
    squad: Mapped[str] = mapped_column(String)
    device: Mapped[str] = mapped_column(String, default="")
    segment: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcTime)
    ended_at: Mapped[datetime] = mapped_column(UtcTime)
    fixes: Mapped[int] = mapped_column(Integer)
    geom: Mapped[object] = mapped_column(_geom("LINESTRING"))


class Fix(Base):
    """Every fix read from every upload; ``segment`` is -1 where cleaning dropped it and
    ``drop_reason`` says why.

    A fix is identified by its upload and its position in the file (``seq``); PostGIS shows
    them as points in the view ``fixes_points``, whose ``fid`` is that identity as one
    integer (``upload_id << 32 | seq``, the unique key QGIS asks of a view). Fixes arrive
    in bulk and mostly in time order, so the table is written with COPY and indexed only
    with BRIN (block ranges). A B-tree primary key, a sequence or a per-row foreign key each
    made COPY several times slower (measured for bench/ingest.py: about 1.35 M rows/s bare,
    0.42 M with a B-tree key, 0.23 M with a serial key), so the key is declared to SQLAlchemy
    only; uploads are stored once by ``track_uploads``' unique constraints, and an upload's
    fixes go in its transaction.

    In PostGIS the table is partitioned by month of ``t`` (migration 0006,
    :mod:`geo.store.partitions`): a township-week's read scans one or two months, and
    retention drops whole months. The GeoPackage store adds its own integer ``fid`` and keeps
    one table.
    """

    __tablename__ = "fixes"
    __table_args__ = (
        Index("ix_fixes_t", "t", postgresql_using="brin"),
        Index("ix_fixes_upload_id", "upload_id", postgresql_using="brin"),
        # A township-week's fixes and the fixes in a box (PostGIS only: the GeoPackage's
        # indexes are its schema's, see gpkg_schema).
        Index(
            "ix_fixes_township_t",
            "township",
            "t",
            postgresql_using="brin",
            info={"postgis_only": True},
        ),
        Index(
            "ix_fixes_lon_lat", "lon", "lat", postgresql_using="brin", info={"postgis_only": True}
        ),
        {"postgresql_partition_by": "RANGE (t)"},
    )
    __mapper_args__ = {"primary_key": ["upload_id", "seq"]}  # noqa: RUF012
    upload_id: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    township: Mapped[str] = mapped_column(String)
    squad: Mapped[str] = mapped_column(String)
    device: Mapped[str] = mapped_column(String, default="")
    t: Mapped[datetime | None] = mapped_column(UtcTime, nullable=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    segment: Mapped[int] = mapped_column(Integer)
    drop_reason: Mapped[int] = mapped_column(SmallInteger)


# PostGIS shows fixes as points in the view ``fixes_points`` (migrations 0001, 0006): a stored
# geometry column cost a quarter of the COPY time, and maps draw ``patrol_tracks`` anyway.


class CoverageResult(Base):
    __tablename__ = "coverage_results"
    __table_args__ = (UniqueConstraint("township", "week", "village_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township: Mapped[str] = mapped_column(String)
    week: Mapped[str] = mapped_column(String)
    village_code: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    meets_requirement: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[dict[str, object]] = mapped_column(JSON)
    computed_at: Mapped[str] = mapped_column(String)
    fingerprint: Mapped[str] = mapped_column(String)
    fixes_used: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String)
    cameras_online: Mapped[int] = mapped_column(Integer, server_default="0")
    drone_flights: Mapped[int] = mapped_column(Integer, server_default="0")


class CoverageGap(Base):
    __tablename__ = "coverage_gaps"
    __table_args__ = (
        Index("ix_coverage_gaps_township_week", "township", "week"),
        # One stored result per township-week: its gaps are replaced, never accumulated.
        UniqueConstraint("township", "week", "rank"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township: Mapped[str] = mapped_column(String)
    week: Mapped[str] = mapped_column(String)
    rank: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String)
    village_code: Mapped[str] = mapped_column(String)
    area_m2: Mapped[float] = mapped_column(Float)
    length_m: Mapped[float] = mapped_column(Float)
    properties: Mapped[dict[str, object]] = mapped_column(JSON)
    geom: Mapped[object] = mapped_column(_geom("GEOMETRY"))


class CameraStatusChange(Base):
    """A camera's status from ``changed_at`` on (``PATCH /api/v1/cameras/{code}``), so a
    week's coverage counts the cameras that were online in that week, not today's status."""

    __tablename__ = "camera_status_changes"
    __table_args__ = (Index("ix_camera_status_changes_township_camera", "township", "camera_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township: Mapped[str] = mapped_column(String)
    camera_code: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    changed_at: Mapped[datetime] = mapped_column(UtcTime)
    note: Mapped[str] = mapped_column(String, default="")
    changed_by: Mapped[str] = mapped_column(String, default="")


class ApiKey(Base):
    """An API key: only the SHA-256 of the secret is kept (keys are 256-bit random tokens,
    so a slow password hash adds nothing); ``key_id`` is the public prefix shown in lists."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String, unique=True)
    secret_sha256: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String, default="")
    role: Mapped[str] = mapped_column(String)
    township: Mapped[str | None] = mapped_column(String, nullable=True)
    squad: Mapped[str | None] = mapped_column(String, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcTime, nullable=True)


class DeviceRow(Base):
    """A phone registered to a squad (:class:`geo.devices.Device`): only the SHA-256 of its
    device id is kept, and that hash is the lookup key of every tracker request."""

    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String, unique=True)
    id_sha256: Mapped[str] = mapped_column(String, unique=True)
    township: Mapped[str] = mapped_column(String, index=True)
    squad: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String, default="")
    crs: Mapped[str] = mapped_column(String, default="wgs84")
    created_at: Mapped[datetime] = mapped_column(UtcTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcTime, nullable=True)
    last_fix_at: Mapped[datetime | None] = mapped_column(UtcTime, nullable=True)
    last_battery: Mapped[float | None] = mapped_column(Float, nullable=True)


class AlertOutbox(Base):
    """One alert message to send to one webhook target (:mod:`geo.dispatch.outbox`).

    ``key`` is unique per township, channel, target, day and set of villages at risk, so a
    message is enqueued once however often ``geo alerts run`` runs; a failed send stays
    ``pending`` with a later ``next_attempt_at`` (``failed`` once its attempts are spent).
    """

    __tablename__ = "alert_outbox"
    __table_args__ = (Index("ix_alert_outbox_status_next_attempt_at", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String, unique=True)
    township: Mapped[str] = mapped_column(String)
    week: Mapped[str] = mapped_column(String)
    as_of: Mapped[str] = mapped_column(String)
    """The last day counted, ISO ``YYYY-MM-DD``."""
    channel: Mapped[str] = mapped_column(String)
    target: Mapped[str] = mapped_column(String)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcTime)
    last_error: Mapped[str] = mapped_column(String, default="")
    created_at: Mapped[datetime] = mapped_column(UtcTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcTime, nullable=True)


class AuditLog(Base):
    """One entry of the audit log (:mod:`geo.audit`): a layer edit, a camera status change or
    an API key's creation, revocation or use, written in the transaction of the change."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcTime)
    actor: Mapped[str] = mapped_column(String)
    """The API key id that acted, or ``cli``."""
    township: Mapped[str | None] = mapped_column(String, nullable=True)
    action: Mapped[str] = mapped_column(String)
    target: Mapped[str] = mapped_column(String, default="")
    detail: Mapped[dict[str, object]] = mapped_column(JSON)


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class."""
    return cast(Table, model.__table__)


#: Layer name → table, for the layers of :class:`geo.layers.TownshipLayers`.
LAYER_TABLES: dict[str, Table] = {
    name: cast(Table, model.__table__)
    for name, model in (
        ("villages", Village),
        ("roads", Road),
        ("cameras", Camera),
        ("checkpoints", Checkpoint),
        ("drone_flights", DroneFlight),
    )
}
