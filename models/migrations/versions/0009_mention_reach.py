"""a mention's reach as its source gives it (followers, points, score, likes), for the reach-weighted share

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("mention", sa.Column("reach", sa.Integer(), nullable=True))  # an ALTER: no table copy


def downgrade() -> None:
    with op.batch_alter_table("mention") as batch:
        batch.drop_column("reach")
