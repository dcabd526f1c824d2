"""a draft's emailed link has a token of its own

Whoever typed step 1 held the resume token, and the practice emailed the same link to the
address typed there, unverified: when the real owner of that address continued, the first
browser saw their answers. The emailed link now carries a token that no page shows; opening it
gives that browser a new token and ends every earlier one. Drafts from before keep the link
they were sent: their emailed token is their current one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("intake_draft", sa.Column("email_token_hash", sa.String(length=64)))
    op.execute("UPDATE intake_draft SET email_token_hash = token_hash")
    with op.batch_alter_table("intake_draft") as batch:
        batch.create_unique_constraint("uq_intake_draft_email_token_hash", ["email_token_hash"])


def downgrade() -> None:
    with op.batch_alter_table("intake_draft") as batch:
        batch.drop_constraint("uq_intake_draft_email_token_hash", type_="unique")
        batch.drop_column("email_token_hash")
