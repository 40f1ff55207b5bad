"""crisis cells: a Slack channel per crisis, its timeline, and the outbox of its Slack steps

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.schema

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crisis_cell",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("open_brand_id", sa.Integer(), nullable=True),
        sa.Column("channel_name", sa.String(length=80), nullable=False),
        sa.Column("channel_id", sa.String(length=100), nullable=True),
        sa.Column("evidence_ref", sa.String(length=200), nullable=True),
        sa.Column("since", models.schema.UTCDateTime(), nullable=False),
        sa.Column("opened_at", models.schema.UTCDateTime(), nullable=False),
        sa.Column("closed_at", models.schema.UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brand.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_brand_id"),
    )
    op.create_index("ix_crisis_cell_brand_id", "crisis_cell", ["brand_id"])
    op.create_table(
        "crisis_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", models.schema.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["cell_id"], ["crisis_cell.id"]),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"]),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_crisis_event_cell_id", "crisis_event", ["cell_id"])
    op.create_table(
        "crisis_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("arg", sa.String(length=200), nullable=True),
        sa.Column("created_at", models.schema.UTCDateTime(), nullable=False),
        sa.Column("sent_at", models.schema.UTCDateTime(), nullable=True),
        sa.Column("failed_at", models.schema.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", models.schema.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["cell_id"], ["crisis_cell.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_crisis_step_cell_id", "crisis_step", ["cell_id"])


def downgrade() -> None:
    op.drop_index("ix_crisis_step_cell_id", table_name="crisis_step")
    op.drop_table("crisis_step")
    op.drop_index("ix_crisis_event_cell_id", table_name="crisis_event")
    op.drop_table("crisis_event")
    op.drop_index("ix_crisis_cell_brand_id", table_name="crisis_cell")
    op.drop_table("crisis_cell")
