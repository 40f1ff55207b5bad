"""the distributed mode's ledger of scheduled work: one row per job and tick (models/ticks.py)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.schema

WHEN = models.schema.UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_tick",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("job", sa.String(300), nullable=False),
        sa.Column("tick", sa.Integer(), nullable=False),
        sa.Column("enqueued_at", WHEN(), nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("lease_until", WHEN(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", WHEN(), nullable=True),
        sa.UniqueConstraint("job", "tick"),
    )
    op.create_index("ix_scheduled_tick_enqueued_at", "scheduled_tick", ["enqueued_at"])
    op.create_index("ix_scheduled_tick_done_at", "scheduled_tick", ["done_at"])


def downgrade() -> None:
    op.drop_table("scheduled_tick")
