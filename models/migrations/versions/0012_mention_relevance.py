"""a mention's relevance to its brand: off-topic flag, encoder score and what decided

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Mentions stored before this were never judged: they stay on topic, as they were counted until now.
    op.add_column("mention", sa.Column("off_topic", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("mention", sa.Column("relevance", sa.Double(), nullable=True))
    op.add_column("mention", sa.Column("relevance_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mention") as batch:
        batch.drop_column("relevance_reason")
        batch.drop_column("relevance")
        batch.drop_column("off_topic")
