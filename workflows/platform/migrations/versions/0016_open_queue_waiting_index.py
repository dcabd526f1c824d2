"""the open cases per queue from an index alone; the outbox's statistics brought up to date

/metrics (at every scrape) and the operations page count the open cases per queue with their
longest wait. The queue indexes of 0006 hold the wait as an expression, which PostgreSQL cannot
read back from the index: at 1,000,000 cases each count fetched the 50,000 open rows from the
table (110 ms, and one more such count per service target). An index of the plain columns, of
the open cases alone, answers them by itself.

0011 added the outbox's delivery columns without statistics, and autovacuum analyses the
table again only after a tenth of it changes: until then PostgreSQL took "given_up_at IS NOT
NULL" for nearly every row and read the whole outbox (300 ms at 1,000,000 cases) instead of
0015's partial index of the few given up. ANALYZE (a sample of the table, a second or so)
gives it the statistics now.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# workflows.cases.models.IS_OPEN, as constants.
IS_OPEN = "status IN ('routed', 'assigned', 'needs_info', 'screening_failed', 'waitlisted')"


def upgrade() -> None:
    op.create_index(
        "ix_intake_case_open_queue_waiting",
        "intake_case",
        ["queue", "routed_at", "created_at"],
        postgresql_where=sa.text(IS_OPEN),
        sqlite_where=sa.text(IS_OPEN),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE outbox_message")


def downgrade() -> None:
    op.drop_index("ix_intake_case_open_queue_waiting", table_name="intake_case")
