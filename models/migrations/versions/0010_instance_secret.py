"""secrets the installation generates for itself (the author pseudonym key when none is set)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import models.schema

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The key every installation used before 0010 when [crawl] pseudonym_secret was empty: public, in the code.
LEGACY_PSEUDONYM_KEY = "veilleur-default-pseudonym-key"


def upgrade() -> None:
    table = op.create_table(
        "instance_secret",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", models.schema.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # Authors already stored carry handles made with the old public key, and those whose name retention or an
    # erasure removed cannot be re-keyed: such a database keeps that key (a repeat author keeps one handle), and
    # models/identity.py warns that it is public.
    # A new database gets a generated key on first use.
    if op.get_bind().execute(sa.text("SELECT 1 FROM author LIMIT 1")).first() is not None:
        row = {"name": "pseudonym", "value": LEGACY_PSEUDONYM_KEY, "created_at": datetime.now(UTC)}
        op.bulk_insert(table, [row])


def downgrade() -> None:
    op.drop_table("instance_secret")
