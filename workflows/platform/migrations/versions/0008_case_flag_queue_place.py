"""each flag row carries its case's place in the queue while the case is open

The queue filtered by a flag (`/staff/queue?flag=OPIOID_CURRENT`) read the open cases in
queue order and kept those with the flag. A hard stop lowers a case's priority, so the open
cases with such a flag sit at the end of the queue: at 1,000,000 cases a page read 34,000
index entries and took 250 ms. case_flag.open_rank and open_since copy the case's queue rank
and wait (-coalesce(priority, 0), coalesce(routed_at, created_at)) while it is open, NULL once
closed, and a partial index (code, open_rank, open_since, case_id) of the open ones gives a
page of a flag's queue from a page of index entries (on both backends: SQLite can have it).

Triggers keep the copy, so every writer is covered (the pipeline, staff actions, re-screening,
bulk SQL): a flag row takes its case's place when inserted, and a case's rows follow it when
its status, priority or times change. On both backends, so both run the same queries.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# workflows.cases.models OPEN_STATUSES, QUEUE_RANK and WAITING_SINCE, as they stand today.
OPEN = "('routed', 'assigned', 'needs_info', 'screening_failed', 'waitlisted')"


def _rank(case: str) -> str:
    return f"CASE WHEN {case}.status IN {OPEN} THEN -coalesce({case}.priority, 0) END"


def _since(case: str) -> str:
    return (
        f"CASE WHEN {case}.status IN {OPEN} THEN coalesce({case}.routed_at, {case}.created_at) END"
    )


POSTGRESQL = [
    f"""
    CREATE FUNCTION case_flag_take_queue_place() RETURNS trigger AS $$
    BEGIN
        SELECT {_rank("c")}, {_since("c")} INTO NEW.open_rank, NEW.open_since
        FROM intake_case AS c WHERE c.id = NEW.case_id;
        RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER case_flag_queue_place BEFORE INSERT OR UPDATE OF case_id ON case_flag
    FOR EACH ROW EXECUTE FUNCTION case_flag_take_queue_place()
    """,
    f"""
    CREATE FUNCTION case_flags_follow_case() RETURNS trigger AS $$
    BEGIN
        UPDATE case_flag SET open_rank = {_rank("NEW")}, open_since = {_since("NEW")}
        WHERE case_id = NEW.id;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER intake_case_flags_follow AFTER UPDATE OF status, priority, routed_at,
    created_at ON intake_case FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.priority IS DISTINCT FROM NEW.priority
          OR OLD.routed_at IS DISTINCT FROM NEW.routed_at
          OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION case_flags_follow_case()
    """,
]

SQLITE = [
    f"""
    CREATE TRIGGER case_flag_queue_place AFTER INSERT ON case_flag
    BEGIN
        UPDATE case_flag SET
            open_rank = (SELECT {_rank("c")} FROM intake_case AS c WHERE c.id = NEW.case_id),
            open_since = (SELECT {_since("c")} FROM intake_case AS c WHERE c.id = NEW.case_id)
        WHERE case_id = NEW.case_id AND code = NEW.code;
    END
    """,
    f"""
    CREATE TRIGGER intake_case_flags_follow AFTER UPDATE OF status, priority, routed_at,
    created_at ON intake_case
    BEGIN
        UPDATE case_flag SET open_rank = {_rank("NEW")}, open_since = {_since("NEW")}
        WHERE case_id = NEW.id;
    END
    """,
]

BACKFILL = f"""
    UPDATE case_flag SET
        open_rank = (SELECT {_rank("c")} FROM intake_case AS c WHERE c.id = case_flag.case_id),
        open_since = (SELECT {_since("c")} FROM intake_case AS c WHERE c.id = case_flag.case_id)
    WHERE case_id IN (SELECT id FROM intake_case WHERE status IN {OPEN})
"""


def upgrade() -> None:
    op.add_column("case_flag", sa.Column("open_rank", sa.Integer(), nullable=True))
    op.add_column("case_flag", sa.Column("open_since", sa.DateTime(), nullable=True))
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)
    op.execute(BACKFILL)  # only the open cases' rows: the closed ones stay NULL
    op.create_index(
        "ix_case_flag_open_order",
        "case_flag",
        ["code", "open_rank", "open_since", "case_id"],
        postgresql_where=sa.text("open_rank IS NOT NULL"),
        sqlite_where=sa.text("open_rank IS NOT NULL"),
    )
    if postgresql:  # the planner's figures for the new columns, before autovacuum comes by
        op.execute("ANALYZE case_flag")


def downgrade() -> None:
    op.drop_index("ix_case_flag_open_order", table_name="case_flag")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER intake_case_flags_follow ON intake_case")
        op.execute("DROP TRIGGER case_flag_queue_place ON case_flag")
        op.execute("DROP FUNCTION case_flags_follow_case()")
        op.execute("DROP FUNCTION case_flag_take_queue_place()")
    else:
        op.execute("DROP TRIGGER intake_case_flags_follow")
        op.execute("DROP TRIGGER case_flag_queue_place")
    with op.batch_alter_table("case_flag") as batch:
        batch.drop_column("open_since")
        batch.drop_column("open_rank")
