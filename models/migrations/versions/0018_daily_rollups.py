"""daily rollups of mentions and topic tags (models/rollups.py), kept by triggers that mark the days to recompute

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The mention columns the rollups read: an UPDATE of any other (a text erased, an assignee) marks nothing.
COUNTED = (
    "source_id, published_at, collected_at, kind, status, backlog, rejection_reason, off_topic, rating_normalised, "
    "reply_at, reply_text, reply_due_at, product, location"
)

POSTGRES = [
    """
    CREATE FUNCTION rollup_mark_mention() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO rollup_change (source_id, day)
            VALUES (OLD.source_id, CAST(COALESCE(OLD.published_at, OLD.collected_at) AS DATE));
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO rollup_change (source_id, day)
            VALUES (NEW.source_id, CAST(COALESCE(NEW.published_at, NEW.collected_at) AS DATE));
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE TRIGGER rollup_mention AFTER INSERT OR DELETE OR UPDATE OF {COUNTED} ON mention
    FOR EACH ROW EXECUTE FUNCTION rollup_mark_mention()
    """,
    """
    CREATE FUNCTION rollup_mark_of_mention() RETURNS trigger AS $$
    DECLARE
        target integer;
    BEGIN
        IF TG_OP = 'DELETE' THEN target := OLD.mention_id; ELSE target := NEW.mention_id; END IF;
        INSERT INTO rollup_change (source_id, day)
        SELECT source_id, CAST(COALESCE(published_at, collected_at) AS DATE) FROM mention WHERE id = target;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER rollup_classification AFTER INSERT OR DELETE OR UPDATE ON classification
    FOR EACH ROW EXECUTE FUNCTION rollup_mark_of_mention()
    """,
    """
    CREATE TRIGGER rollup_mention_topic AFTER INSERT OR DELETE OR UPDATE ON mention_topic
    FOR EACH ROW EXECUTE FUNCTION rollup_mark_of_mention()
    """,
]


def _mark(row: str) -> str:
    return (
        f"INSERT INTO rollup_change (source_id, day) "
        f"VALUES ({row}.source_id, date(COALESCE({row}.published_at, {row}.collected_at)));"
    )


def _mark_of_mention(row: str) -> str:
    return (
        "INSERT INTO rollup_change (source_id, day) SELECT source_id, date(COALESCE(published_at, collected_at)) "
        f"FROM mention WHERE id = {row}.mention_id;"
    )


SQLITE = [
    f"CREATE TRIGGER rollup_mention_insert AFTER INSERT ON mention BEGIN {_mark('NEW')} END",
    f"CREATE TRIGGER rollup_mention_delete AFTER DELETE ON mention BEGIN {_mark('OLD')} END",
    f"CREATE TRIGGER rollup_mention_update AFTER UPDATE OF {COUNTED} ON mention "
    f"BEGIN {_mark('OLD')} {_mark('NEW')} END",
    *(
        f"CREATE TRIGGER rollup_{table}_{event.lower()} AFTER {event} ON {table} BEGIN {_mark_of_mention(row)} END"
        for table in ("classification", "mention_topic")
        for event, row in (("INSERT", "NEW"), ("DELETE", "OLD"), ("UPDATE", "NEW"))
    ),
]


def upgrade() -> None:
    op.create_table(
        "mention_day",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("axis", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("backlog", sa.Boolean(), nullable=False),
        sa.Column("rejection_reason", sa.String(40), nullable=True),
        sa.Column("off_topic", sa.Boolean(), nullable=False),
        sa.Column("sentiment", sa.String(10), nullable=True),
        sa.Column("model_name", sa.String(100), nullable=True),
        sa.Column("model_version", sa.String(100), nullable=True),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("with_deadline", sa.Integer(), nullable=False),
        sa.Column("late_ever", sa.Integer(), nullable=False),
        sa.Column("open_ever", sa.Integer(), nullable=False),
    )
    op.create_index("ix_mention_day_source_day", "mention_day", ["source_id", "day"])
    op.create_table(
        "topic_day",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(60), nullable=False),
        sa.Column("sentiment", sa.String(10), nullable=True),
        sa.Column("mentions", sa.Integer(), nullable=False),
    )
    op.create_index("ix_topic_day_source_day", "topic_day", ["source_id", "day"])
    op.create_table(
        "rollup_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
    )
    # A report at a date corrects the deadline figures from the mentions replied or due after it: few, by these.
    op.create_index("ix_mention_reply_at", "mention", ["reply_at"])
    op.create_index("ix_mention_reply_due_at", "mention", ["reply_due_at"])
    # A report's quoted examples: each topic's clearest tags of one polarity, read in this order until enough.
    op.create_index(
        "ix_mention_topic_examples",
        "mention_topic",
        ["version", "topic", "sentiment", "score", "mention_id"],
    )
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    # An upgraded install: every day that holds mentions is to compute; the first report (or `veilleur rollups
    # --rebuild`) does it.
    op.execute(
        "INSERT INTO rollup_change (source_id, day) SELECT DISTINCT source_id, "
        + (
            "CAST(COALESCE(published_at, collected_at) AS DATE)"
            if op.get_bind().dialect.name == "postgresql"
            else "date(COALESCE(published_at, collected_at))"
        )
        + " FROM mention"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER rollup_mention ON mention")
        op.execute("DROP TRIGGER rollup_classification ON classification")
        op.execute("DROP TRIGGER rollup_mention_topic ON mention_topic")
        op.execute("DROP FUNCTION rollup_mark_mention()")
        op.execute("DROP FUNCTION rollup_mark_of_mention()")
    else:
        for name in ("mention_insert", "mention_delete", "mention_update"):
            op.execute(f"DROP TRIGGER rollup_{name}")
        for table in ("classification", "mention_topic"):
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER rollup_{table}_{event}")
    op.drop_index("ix_mention_topic_examples", "mention_topic")
    op.drop_index("ix_mention_reply_due_at", "mention")
    op.drop_index("ix_mention_reply_at", "mention")
    op.drop_table("rollup_change")
    op.drop_table("topic_day")
    op.drop_table("mention_day")
