"""devices: phones registered to a squad, by the hash of their id (issue 13)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(), nullable=False),
        sa.Column("id_sha256", sa.String(), nullable=False),
        sa.Column("township", sa.String(), nullable=False),
        sa.Column("squad", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("crs", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_fix_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_battery", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("id_sha256", name=op.f("uq_devices_id_sha256")),
        sa.UniqueConstraint("public_id", name=op.f("uq_devices_public_id")),
    )
    op.create_index(op.f("ix_devices_township"), "devices", ["township"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_devices_township"), table_name="devices")
    op.drop_table("devices")
