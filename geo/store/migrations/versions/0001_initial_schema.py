"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 04:00:22.809822
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_geospatial_table(
        "cameras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("village", sa.String(), nullable=False),
        sa.Column("bearing_deg", sa.Float(), nullable=True),
        sa.Column("fov_deg", sa.Float(), nullable=True),
        sa.Column("range_m", sa.Float(), nullable=True),
        sa.Column("ptz", sa.Boolean(), nullable=False),
        sa.Column("height_m", sa.Float(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("installed_on", sa.String(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
        sa.UniqueConstraint("township", "code", name=op.f("uq_cameras_township_code")),
    )
    op.create_geospatial_index(
        "idx_cameras_geom",
        "cameras",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_cameras_township"), "cameras", ["township"], unique=False)
    op.create_geospatial_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("village", sa.String(), nullable=False),
        sa.Column("mandatory", sa.Boolean(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoints")),
    )
    op.create_geospatial_index(
        "idx_checkpoints_geom",
        "checkpoints",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_checkpoints_township"), "checkpoints", ["township"], unique=False)
    op.create_geospatial_table(
        "coverage_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township", sa.String(), nullable=False),
        sa.Column("week", sa.String(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("village_code", sa.String(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_gaps")),
    )
    op.create_geospatial_index(
        "idx_coverage_gaps_geom",
        "coverage_gaps",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        "ix_coverage_gaps_township_week", "coverage_gaps", ["township", "week"], unique=False
    )
    op.create_table(
        "coverage_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township", sa.String(), nullable=False),
        sa.Column("week", sa.String(), nullable=False),
        sa.Column("village_code", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("meets_requirement", sa.Boolean(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.String(), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("fixes_used", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("cameras_online", sa.Integer(), server_default="0", nullable=False),
        sa.Column("drone_flights", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_results")),
        sa.UniqueConstraint(
            "township",
            "week",
            "village_code",
            name=op.f("uq_coverage_results_township_week_village_code"),
        ),
    )
    op.create_geospatial_table(
        "drone_flights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township", sa.String(), nullable=False),
        sa.Column("flight_id", sa.String(), nullable=False),
        sa.Column("started_at", sa.String(), nullable=False),
        sa.Column("ended_at", sa.String(), nullable=False),
        sa.Column("altitude_source", sa.String(), nullable=False),
        sa.Column("hfov_deg", sa.Float(), nullable=True),
        sa.Column("drone", sa.String(), nullable=False),
        sa.Column("times_s", sa.String(), nullable=False),
        sa.Column("source", sa.String(), server_default="layers", nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="LINESTRINGZ",
                srid=4326,
                dimension=3,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drone_flights")),
        sa.UniqueConstraint(
            "township", "flight_id", name=op.f("uq_drone_flights_township_flight_id")
        ),
    )
    op.create_geospatial_index(
        "idx_drone_flights_geom",
        "drone_flights",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_drone_flights_township"), "drone_flights", ["township"], unique=False)
    op.create_table(
        "fixes",
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("township", sa.String(), nullable=False),
        sa.Column("squad", sa.String(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("t", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("drop_reason", sa.SmallInteger(), nullable=False),
    )
    op.create_index("ix_fixes_t", "fixes", ["t"], unique=False, postgresql_using="brin")
    op.create_index(
        "ix_fixes_upload_id", "fixes", ["upload_id"], unique=False, postgresql_using="brin"
    )
    op.create_geospatial_table(
        "roads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("class", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roads")),
    )
    op.create_geospatial_index(
        "idx_roads_geom",
        "roads",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_roads_township"), "roads", ["township"], unique=False)
    op.create_geospatial_table(
        "township",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_township")),
        sa.UniqueConstraint("code", name=op.f("uq_township_code")),
    )
    op.create_geospatial_index(
        "idx_township_geom",
        "township",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "track_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township", sa.String(), nullable=False),
        sa.Column("squad", sa.String(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("source_format", sa.String(), nullable=False),
        sa.Column("source_crs", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_fix_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_fix_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_track_uploads")),
        sa.UniqueConstraint(
            "township", "idempotency_key", name=op.f("uq_track_uploads_township_idempotency_key")
        ),
        sa.UniqueConstraint(
            "township", "squad", "sha256", name=op.f("uq_track_uploads_township_squad_sha256")
        ),
    )
    op.create_index(op.f("ix_track_uploads_township"), "track_uploads", ["township"], unique=False)
    op.create_geospatial_table(
        "villages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("squad", sa.String(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_villages")),
        sa.UniqueConstraint("township", "code", name=op.f("uq_villages_township_code")),
    )
    op.create_geospatial_index(
        "idx_villages_geom",
        "villages",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_villages_township"), "villages", ["township"], unique=False)
    op.create_geospatial_table(
        "patrol_tracks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township", sa.String(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("squad", sa.String(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fixes", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["track_uploads.id"],
            name=op.f("fk_patrol_tracks_upload_id_track_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_tracks")),
    )
    op.create_geospatial_index(
        "idx_patrol_tracks_geom",
        "patrol_tracks",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_patrol_tracks_township"), "patrol_tracks", ["township"], unique=False)
    op.execute(
        "CREATE VIEW fixes_points AS SELECT *, "
        "ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geometry(Point, 4326) AS geom FROM fixes"
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS fixes_points")
    op.drop_index(op.f("ix_patrol_tracks_township"), table_name="patrol_tracks")
    op.drop_geospatial_index(
        "idx_patrol_tracks_geom",
        table_name="patrol_tracks",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("patrol_tracks")
    op.drop_index(op.f("ix_villages_township"), table_name="villages")
    op.drop_geospatial_index(
        "idx_villages_geom", table_name="villages", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("villages")
    op.drop_index(op.f("ix_track_uploads_township"), table_name="track_uploads")
    op.drop_table("track_uploads")
    op.drop_geospatial_index(
        "idx_township_geom", table_name="township", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("township")
    op.drop_index(op.f("ix_roads_township"), table_name="roads")
    op.drop_geospatial_index(
        "idx_roads_geom", table_name="roads", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("roads")
    op.drop_index("ix_fixes_upload_id", table_name="fixes", postgresql_using="brin")
    op.drop_index("ix_fixes_t", table_name="fixes", postgresql_using="brin")
    op.drop_table("fixes")
    op.drop_index(op.f("ix_drone_flights_township"), table_name="drone_flights")
    op.drop_geospatial_index(
        "idx_drone_flights_geom",
        table_name="drone_flights",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("drone_flights")
    op.drop_table("coverage_results")
    op.drop_index("ix_coverage_gaps_township_week", table_name="coverage_gaps")
    op.drop_geospatial_index(
        "idx_coverage_gaps_geom",
        table_name="coverage_gaps",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("coverage_gaps")
    op.drop_index(op.f("ix_checkpoints_township"), table_name="checkpoints")
    op.drop_geospatial_index(
        "idx_checkpoints_geom",
        table_name="checkpoints",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("checkpoints")
    op.drop_index(op.f("ix_cameras_township"), table_name="cameras")
    op.drop_geospatial_index(
        "idx_cameras_geom", table_name="cameras", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("cameras")
    # ### end Alembic commands ###
