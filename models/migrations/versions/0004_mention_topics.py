"""mention topics for reports, and the index reports select mentions by

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.schema

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mention_topic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("created_at", models.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mention_id", "topic", "version"),
    )
    op.create_index("ix_mention_topic_mention_id", "mention_topic", ["mention_id"])
    op.create_index("ix_mention_topic_version_topic", "mention_topic", ["version", "topic"])
    op.create_index("ix_mention_source_when", "mention", ["source_id", sa.text("coalesce(published_at, collected_at)")])


def downgrade() -> None:
    op.drop_index("ix_mention_source_when", table_name="mention")
    op.drop_index("ix_mention_topic_version_topic", table_name="mention_topic")
    op.drop_index("ix_mention_topic_mention_id", table_name="mention_topic")
    op.drop_table("mention_topic")
