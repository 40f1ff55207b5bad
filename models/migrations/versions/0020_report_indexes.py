"""indexes for reports at ten million mentions: topic tags in quoting order, history-marked, answered and
unanswered reviews, product and location rollups by name

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.text("coalesce(published_at, collected_at)")


def upgrade() -> None:
    # (version, topic, score DESC, mention_id) serves every lookup (version, topic) served, in quoting order too.
    op.drop_index("ix_mention_topic_version_topic", table_name="mention_topic")
    op.create_index(
        "ix_mention_topic_ranked", "mention_topic", ["version", "topic", sa.text("score DESC"), "mention_id"]
    )
    op.create_index(
        "ix_mention_history_when",
        "mention",
        ["source_id", WHEN],
        postgresql_where=sa.text("backlog"),
        sqlite_where=sa.text("backlog"),
    )
    op.create_index(
        "ix_mention_replied_when",
        "mention",
        ["source_id", WHEN],
        postgresql_where=sa.text("kind = 'review' AND reply_at IS NOT NULL"),
        sqlite_where=sa.text("kind = 'review' AND reply_at IS NOT NULL"),
        postgresql_include=["published_at", "collected_at", "reply_at", "product", "location"],
    )
    unanswered = "reply_due_at IS NOT NULL AND reply_at IS NULL AND reply_text IS NULL"
    op.create_index(
        "ix_mention_unanswered",
        "mention",
        ["reply_due_at"],
        postgresql_where=sa.text(unanswered),
        sqlite_where=sa.text(unanswered),
        postgresql_include=["source_id", "off_topic", "status", "assignee"],
    )
    op.create_index(
        "ix_mention_day_axis", "mention_day", ["axis", "name", "source_id", "day"], postgresql_include=["mentions"]
    )


def downgrade() -> None:
    op.drop_index("ix_mention_day_axis", table_name="mention_day")
    op.drop_index("ix_mention_unanswered", table_name="mention")
    op.drop_index("ix_mention_replied_when", table_name="mention")
    op.drop_index("ix_mention_history_when", table_name="mention")
    op.drop_index("ix_mention_topic_ranked", table_name="mention_topic")
    op.create_index("ix_mention_topic_version_topic", "mention_topic", ["version", "topic"])
