"""aspect-level sentiment: a topic tag keeps the sentence(s) that speak of the topic and their sentiment

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Tags stored before this have neither: reports fall back to the whole mention's sentiment and text for them,
    # and the next tagger version (which includes the sentiment model) re-tags with both.
    op.add_column("mention_topic", sa.Column("sentiment", sa.String(length=10), nullable=True))
    op.add_column("mention_topic", sa.Column("sentiment_score", sa.Double(), nullable=True))
    op.add_column("mention_topic", sa.Column("sentence", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mention_topic") as batch:
        batch.drop_column("sentence")
        batch.drop_column("sentiment_score")
        batch.drop_column("sentiment")
