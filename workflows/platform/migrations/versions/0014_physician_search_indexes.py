"""a physician's search by name reads only the cases they may see

A physician searches the physician queue's routed cases (in their states) and their own cases.
The name indexes of 0010 hold every case: at 1,000,000 cases a name prefix matched thousands
of cases a physician may not see, read and skipped before a page of theirs was found (p95 2.2
times the 10,000-case figure). Four indexes read only theirs: the physician queue's cases by
name (partial), and each assignee's cases by name.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_PHYSICIAN_QUEUE = "status = 'routed' AND queue = 'physician'"


def upgrade() -> None:
    op.create_index(
        "ix_intake_case_physician_queue_name",
        "intake_case",
        ["name_key", "birth_date"],
        postgresql_ops={"name_key": "text_pattern_ops"},
        postgresql_where=sa.text(IN_PHYSICIAN_QUEUE),
        sqlite_where=sa.text(IN_PHYSICIAN_QUEUE),
    )
    op.create_index(
        "ix_intake_case_physician_queue_surname",
        "intake_case",
        ["surname_key"],
        postgresql_ops={"surname_key": "text_pattern_ops"},
        postgresql_where=sa.text(IN_PHYSICIAN_QUEUE),
        sqlite_where=sa.text(IN_PHYSICIAN_QUEUE),
    )
    op.create_index(
        "ix_intake_case_assignee_name",
        "intake_case",
        ["assignee_id", "name_key", "birth_date"],
        postgresql_ops={"name_key": "text_pattern_ops"},
    )
    op.create_index(
        "ix_intake_case_assignee_surname",
        "intake_case",
        ["assignee_id", "surname_key"],
        postgresql_ops={"surname_key": "text_pattern_ops"},
    )


def downgrade() -> None:
    for name in ("assignee_surname", "assignee_name", "physician_queue_surname"):
        op.drop_index(f"ix_intake_case_{name}", table_name="intake_case")
    op.drop_index("ix_intake_case_physician_queue_name", table_name="intake_case")
