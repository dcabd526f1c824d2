"""indexes for the staff lists and sweeps; case flags where SQL can filter them

Every filter and sort of the staff queues, the physician list, the audit search, the amend
link's token and the mail sweep gets an index (issue 14), and the flag codes of each screening
result are copied into case_flag, backfilled here from the stored results.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from workflows.screening.codes import codes_of

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_INDEXES = {
    "ix_intake_case_queue_status": ["queue", "status"],
    "ix_intake_case_patient_state": ["patient_state"],
    "ix_intake_case_decision": ["decision"],
    "ix_intake_case_assignee_status": ["assignee_id", "status"],
    "ix_intake_case_created_at": ["created_at"],
    "ix_intake_case_info_token_hash": ["info_token_hash"],
}
BACKFILL_BATCH = 2000


def upgrade() -> None:
    op.create_table(
        "case_flag",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["intake_case.id"]),
        sa.PrimaryKeyConstraint("case_id", "code"),
    )
    op.create_index("ix_case_flag_code", "case_flag", ["code", "case_id"], unique=False)
    for name, columns in CASE_INDEXES.items():
        op.create_index(name, "intake_case", columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # workflows.cases.models QUEUE_RANK, WAITING_SINCE: the order of every staff queue
        op.create_index(
            "ix_intake_case_queue_order",
            "intake_case",
            [
                sa.text("(- coalesce(priority, 0))"),
                sa.text("coalesce(routed_at, created_at)"),
                "id",
            ],
            unique=False,
        )
    op.create_index("ix_audit_entry_actor", "audit_entry", ["actor"], unique=False)
    op.create_index("ix_audit_entry_actor_id", "audit_entry", ["actor_id"], unique=False)
    op.create_index(
        "ix_outbox_message_due",
        "outbox_message",
        ["transport", "sent_at", "created_at"],
        unique=False,
    )
    _backfill_case_flags()


def _backfill_case_flags() -> None:
    """Copy the flag codes of every stored result, a batch of cases at a time (bounded memory
    on a large table), with the same definition the application writes them with."""
    connection = op.get_bind()
    cases = sa.table(
        "intake_case", sa.column("id", sa.Integer), sa.column("screening_result", sa.JSON)
    )
    flags = sa.table(
        "case_flag",
        sa.column("case_id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("position", sa.Integer),
    )
    last_id = 0
    while True:
        batch = connection.execute(
            sa.select(cases.c.id, cases.c.screening_result)
            .where(cases.c.id > last_id, cases.c.screening_result.is_not(None))
            .order_by(cases.c.id)
            .limit(BACKFILL_BATCH)
        ).all()
        if not batch:
            return
        rows = [
            {"case_id": case_id, "code": code, "position": position}
            for case_id, result in batch
            for position, code in enumerate(codes_of(result))
        ]
        if rows:
            connection.execute(flags.insert(), rows)
        last_id = batch[-1].id


def downgrade() -> None:
    op.drop_index("ix_outbox_message_due", table_name="outbox_message")
    op.drop_index("ix_audit_entry_actor_id", table_name="audit_entry")
    op.drop_index("ix_audit_entry_actor", table_name="audit_entry")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_intake_case_queue_order", table_name="intake_case")
    for name in CASE_INDEXES:
        op.drop_index(name, table_name="intake_case")
    op.drop_index("ix_case_flag_code", table_name="case_flag")
    op.drop_table("case_flag")
