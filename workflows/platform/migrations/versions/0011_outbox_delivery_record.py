"""delivery's record of each outbox message, in the outbox

The failed attempts of a message lived in Redis, and the sweep took the 200 oldest unsent
messages before asking Redis which were due: 200 messages that kept failing (an address that
can never be sent to) hid every later one, and a failure that was not an SMTP or network error
was not recorded at all, so it was retried every 30 s for three days. The outbox now keeps
the attempts, the last error's class, when the next attempt is due and when delivery gave up,
and the sweep reads the due messages in that order from a partial index of the unsent ones.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "sent_at IS NULL AND given_up_at IS NULL"


def upgrade() -> None:
    op.add_column(
        "outbox_message",
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("outbox_message", sa.Column("last_error", sa.String(length=120)))
    op.add_column("outbox_message", sa.Column("next_attempt_at", sa.DateTime()))
    op.add_column("outbox_message", sa.Column("given_up_at", sa.DateTime()))
    op.execute("UPDATE outbox_message SET next_attempt_at = created_at")
    with op.batch_alter_table("outbox_message") as batch:
        batch.alter_column("next_attempt_at", existing_type=sa.DateTime(), nullable=False)
    op.drop_index("ix_outbox_message_due", table_name="outbox_message")
    op.create_index(
        "ix_outbox_message_next_attempt",
        "outbox_message",
        ["transport", "next_attempt_at", "id"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_message_next_attempt", table_name="outbox_message")
    op.create_index(
        "ix_outbox_message_due", "outbox_message", ["transport", "sent_at", "created_at"]
    )
    for name in ("given_up_at", "next_attempt_at", "last_error", "attempts"):
        op.execute(f"ALTER TABLE outbox_message DROP COLUMN {name}")
