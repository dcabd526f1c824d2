"""partial indexes on the open cases, in queue order

The staff queues and the physician list read the open cases (a few per cent of the table once
a practice has kept years of cases) by priority, then wait, then id. Indexes that hold only
the open cases, in that order, and per patient state and per queue in that order, let a page
read a page of index entries whatever the size of the table (issue 14). PostgreSQL only: the
embedded SQLite path keeps small tables.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 22:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# workflows.cases.models OPEN_STATUSES, QUEUE_RANK and WAITING_SINCE, as they stand today.
IS_OPEN = "status IN ('routed', 'assigned', 'needs_info', 'screening_failed', 'waitlisted')"
ORDER = ["(- coalesce(priority, 0))", "coalesce(routed_at, created_at)", "id"]
INDEXES = {
    "ix_intake_case_open_order": [],
    "ix_intake_case_open_state_order": ["patient_state"],
    "ix_intake_case_open_queue_order": ["queue"],
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, leading in INDEXES.items():
        op.create_index(
            name,
            "intake_case",
            [*leading, *(sa.text(key) for key in ORDER)],
            unique=False,
            postgresql_where=sa.text(IS_OPEN),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.drop_index(name, table_name="intake_case")
