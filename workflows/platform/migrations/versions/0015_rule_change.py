"""the last rule change previewed and the last one applied, for the operations page

`flask rules preview` records its summary (counts by change, who, when, from -> to version)
and `flask rescreen` the change it applied; the admins' operations page shows both. One row
per kind, replaced each time. The page also counts the messages delivery gave up on, through a
partial index of those alone (never a scan of every message ever sent).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_change",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("from_version", sa.String(length=40), nullable=True),
        sa.Column("to_version", sa.String(length=40), nullable=False),
        sa.Column(
            "summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("kind"),
    )
    op.create_index(
        "ix_outbox_message_given_up",
        "outbox_message",
        ["given_up_at"],
        postgresql_where=sa.text("given_up_at IS NOT NULL"),
        sqlite_where=sa.text("given_up_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_message_given_up", table_name="outbox_message")
    op.drop_table("rule_change")
