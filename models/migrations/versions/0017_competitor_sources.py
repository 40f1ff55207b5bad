"""a source may be a competitor's public page (its name): compared in reports, never moderated nor alerted

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing sources are the brand's own: NULL.
    op.add_column("source", sa.Column("competitor", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.drop_column("competitor")
