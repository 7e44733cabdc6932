"""township_dem: a township's DEM GeoTIFF, saved and loaded with its layers (issue 16)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "township_dem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township", sa.String(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_township_dem")),
        sa.UniqueConstraint("township", name=op.f("uq_township_dem_township")),
    )


def downgrade() -> None:
    op.drop_table("township_dem")
