"""a mention collected as history (a source's first crawl, or older than [moderation] backfill_days): queued and
counted, but it raised no alert and carries no reply deadline

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Mentions already routed were news when they were routed: false.
    op.add_column("mention", sa.Column("backlog", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("mention") as batch:
        batch.drop_column("backlog")
