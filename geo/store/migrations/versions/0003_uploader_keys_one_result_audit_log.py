"""idempotency keys per uploader, one stored result per township-week, audit log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 15:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An Idempotency-Key (and a live batch id) belongs to its uploader: township + squad. The
    # new constraint is looser than the old one, so every stored row satisfies it.
    op.drop_constraint("uq_track_uploads_township_idempotency_key", "track_uploads", type_="unique")
    op.create_unique_constraint(
        op.f("uq_track_uploads_township_squad_idempotency_key"),
        "track_uploads",
        ["township", "squad", "idempotency_key"],
    )
    # One stored result per township-week: gaps are replaced, never accumulated. Keep the
    # newest row of any duplicate left by an older geo before the constraint is added.
    op.execute(
        "DELETE FROM coverage_gaps a USING coverage_gaps b WHERE a.township = b.township "
        "AND a.week = b.week AND a.rank = b.rank AND a.id < b.id"
    )
    op.create_unique_constraint(
        op.f("uq_coverage_gaps_township_week_rank"),
        "coverage_gaps",
        ["township", "week", "rank"],
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("township", sa.String(), nullable=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_constraint(op.f("uq_coverage_gaps_township_week_rank"), "coverage_gaps", type_="unique")
    op.drop_constraint(
        op.f("uq_track_uploads_township_squad_idempotency_key"), "track_uploads", type_="unique"
    )
    # Refused when two squads of a township used the same key since the upgrade.
    op.create_unique_constraint(
        "uq_track_uploads_township_idempotency_key",
        "track_uploads",
        ["township", "idempotency_key"],
    )
