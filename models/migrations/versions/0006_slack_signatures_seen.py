"""Slack request signatures already accepted, so a replay is refused across restarts and processes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.schema

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_signature",
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("expires_at", models.schema.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("signature"),
    )
    op.create_index("ix_slack_signature_expires_at", "slack_signature", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_signature_expires_at", table_name="slack_signature")
    op.drop_table("slack_signature")
