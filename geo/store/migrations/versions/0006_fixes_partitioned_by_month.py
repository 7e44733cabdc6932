"""fixes partitioned by month of the fix time; BRIN indexes per partition; fixes_points keyed
(issue 15 item 3, issue 14 item 5)

The stored fixes are copied into the partitioned table in this migration's transaction (Alembic
runs every migration of ``geo db upgrade`` in one transaction on PostgreSQL): a failure leaves
the database at 0005 with its rows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 21:30:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from alembic import op
from sqlalchemy import text

from geo.store.partitions import MONTHS_AHEAD, ensure_months, months_from

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "upload_id, seq, township, squad, device, t, lon, lat, accuracy_m, segment, drop_reason"
_TABLE = """
CREATE TABLE {name} (
  upload_id integer NOT NULL,
  seq integer NOT NULL,
  township varchar NOT NULL,
  squad varchar NOT NULL,
  device varchar NOT NULL,
  t timestamp with time zone,
  lon double precision NOT NULL,
  lat double precision NOT NULL,
  accuracy_m double precision,
  segment integer NOT NULL,
  drop_reason smallint NOT NULL
){partitioned}
"""
#: Block-range indexes only (COPY stays fast, see tables.Fix); each is created on every
#: partition, and ``autosummarize`` summarises a block range as soon as it is full.
_INDEXES = {
    "ix_fixes_t": "t",
    "ix_fixes_upload_id": "upload_id",
    "ix_fixes_township_t": "township, t",
    "ix_fixes_lon_lat": "lon, lat",
}
#: A fix's identity (upload, position in the file) as one integer: QGIS needs a unique
#: integer column to open a view (issue 14).
FIXES_POINTS = (
    "CREATE VIEW fixes_points AS SELECT (CAST(upload_id AS bigint) << 32) | seq AS fid, *, "
    "ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geometry(Point, 4326) AS geom FROM fixes"
)


def upgrade() -> None:
    conn = op.get_bind()
    op.execute("DROP VIEW IF EXISTS fixes_points")
    op.execute("ALTER TABLE fixes RENAME TO fixes_0005")
    op.execute("ALTER INDEX ix_fixes_t RENAME TO ix_fixes_0005_t")
    op.execute("ALTER INDEX ix_fixes_upload_id RENAME TO ix_fixes_0005_upload_id")
    op.execute(_TABLE.format(name="fixes", partitioned=" PARTITION BY RANGE (t)"))
    for name, columns in _INDEXES.items():
        op.execute(
            f"CREATE INDEX {name} ON fixes USING brin ({columns}) "
            "WITH (pages_per_range = 32, autosummarize = on)"
        )
    op.execute("CREATE TABLE fixes_default PARTITION OF fixes DEFAULT")
    stored = conn.scalars(
        text("SELECT DISTINCT date_trunc('month', t, 'UTC') FROM fixes_0005 WHERE t IS NOT NULL")
    ).all()
    ensure_months(conn, [*stored, *months_from(datetime.now(UTC).date(), MONTHS_AHEAD + 1)])
    op.execute(f"INSERT INTO fixes ({COLUMNS}) SELECT {COLUMNS} FROM fixes_0005")
    op.execute("DROP TABLE fixes_0005")
    op.execute(FIXES_POINTS)
    op.execute("ANALYZE fixes")


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS fixes_points")
    op.execute(_TABLE.format(name="fixes_0005", partitioned=""))
    op.execute(f"INSERT INTO fixes_0005 ({COLUMNS}) SELECT {COLUMNS} FROM fixes")
    op.execute("DROP TABLE fixes")  # with every partition
    op.execute("ALTER TABLE fixes_0005 RENAME TO fixes")
    op.execute("CREATE INDEX ix_fixes_t ON fixes USING brin (t)")
    op.execute("CREATE INDEX ix_fixes_upload_id ON fixes USING brin (upload_id)")
    op.execute(
        "CREATE VIEW fixes_points AS SELECT *, "
        "ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geometry(Point, 4326) AS geom FROM fixes"
    )
