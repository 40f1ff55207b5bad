"""report files written and the mentions they quote, so an erasure can write them again

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.schema

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("brand_slug", sa.String(length=100), nullable=False),
        sa.Column("start", models.schema.UTCDateTime(), nullable=False),
        sa.Column("end", models.schema.UTCDateTime(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("quoted", sa.JSON(), nullable=False),
        sa.Column("written_at", models.schema.UTCDateTime(), nullable=False),
        sa.Column("rewrite_due_at", models.schema.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("path"),
    )
    op.create_index("ix_report_file_rewrite_due_at", "report_file", ["rewrite_due_at"])


def downgrade() -> None:
    op.drop_index("ix_report_file_rewrite_due_at", table_name="report_file")
    op.drop_table("report_file")
