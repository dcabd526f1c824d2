"""the second check of a resume link opened in a new browser: its counter and lock

A resume link opened in a browser not used for that intake before asks for the date of birth
first (issue 18, item 11). Wrong answers are counted on the draft, and too many lock the link
for a while: two columns, so the count survives restarts and holds across the app's processes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake_draft") as batch:
        batch.add_column(
            sa.Column("check_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("check_locked_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("intake_draft") as batch:
        batch.drop_column("check_locked_until")
        batch.drop_column("check_failures")
