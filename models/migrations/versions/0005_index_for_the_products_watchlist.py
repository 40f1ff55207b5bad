"""index for the products watchlist: a product's reviews by date

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:46:31.519442
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Alembic's autogenerate skips expression indexes (it cannot reflect them on SQLite): written by hand.
    op.create_index("ix_mention_product_when", "mention", ["product", sa.text("coalesce(published_at, collected_at)")])


def downgrade() -> None:
    op.drop_index("ix_mention_product_when", table_name="mention")
