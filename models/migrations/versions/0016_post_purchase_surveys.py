"""post-purchase surveys: orders, invitations (an outbox), answers, opt-outs

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.schema

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = models.schema.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "survey_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), sa.ForeignKey("brand.id"), nullable=False),
        sa.Column("order_ref", sa.String(length=150), nullable=False),
        sa.Column("campaign", sa.String(length=100), nullable=False),
        sa.Column("ordered_at", WHEN(), nullable=False),
        sa.Column("delivered_at", WHEN(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN(), nullable=False),
        sa.Column("skipped", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("brand_id", "order_ref"),
    )
    op.create_index("ix_survey_order_email", "survey_order", ["brand_id", "email"])
    op.create_table(
        "survey_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("survey_order.id"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("created_at", WHEN(), nullable=False),
        sa.Column("sent_at", WHEN(), nullable=True),
        sa.Column("failed_at", WHEN(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "kind"),
    )
    op.create_index("ix_survey_message_order_id", "survey_message", ["order_id"])
    op.create_index("ix_survey_message_recipient", "survey_message", ["recipient"])
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("survey_order.id"), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("ces", sa.Integer(), nullable=True),
        sa.Column("experienced_at", WHEN(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_at", WHEN(), nullable=False),
        sa.Column("updated_at", WHEN(), nullable=False),
        sa.Column("filed_at", WHEN(), nullable=True),
        sa.Column("mention_id", sa.Integer(), sa.ForeignKey("mention.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id"),
    )
    op.create_index("ix_survey_answer_filed_at", "survey_answer", ["filed_at"])
    op.create_table(
        "survey_opt_out",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), sa.ForeignKey("brand.id"), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("at", WHEN(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("brand_id", "email"),
    )


def downgrade() -> None:
    op.drop_table("survey_opt_out")
    op.drop_index("ix_survey_answer_filed_at", table_name="survey_answer")
    op.drop_table("survey_answer")
    op.drop_index("ix_survey_message_recipient", table_name="survey_message")
    op.drop_index("ix_survey_message_order_id", table_name="survey_message")
    op.drop_table("survey_message")
    op.drop_index("ix_survey_order_email", table_name="survey_order")
    op.drop_table("survey_order")
