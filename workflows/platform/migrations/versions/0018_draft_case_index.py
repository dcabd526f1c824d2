"""an index on the draft's case: a physician's or coordinator's decision finds the draft

A decision sends the patient a message with a fresh status link (issue 18, item 12), which
belongs to the draft the case was sent from; without an index each decision read every draft.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 16:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_intake_draft_case_id", "intake_draft", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_intake_draft_case_id", table_name="intake_draft")
