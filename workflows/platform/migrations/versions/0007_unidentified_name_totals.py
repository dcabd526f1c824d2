"""unidentified names' totals, kept as sightings are recorded

The admins' page of unidentified medication names grouped every sighting of every case on each
request (linear in the table). unidentified_name keeps each name's case count and first and
last sighting, updated in the transaction that records a sighting, and indexed in both orders
the page offers; a name's newest sightings are read from a (name, seen) index. Backfilled
here from the sightings.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 23:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unidentified_name",
        sa.Column("name_key", sa.String(length=500), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name_key"),
    )
    op.create_index(
        "ix_unidentified_name_recent", "unidentified_name", ["last_seen", "cases", "name_key"]
    )
    op.create_index(
        "ix_unidentified_name_frequent", "unidentified_name", ["cases", "last_seen", "name_key"]
    )
    op.create_index(
        "ix_unidentified_medication_name_seen",
        "unidentified_medication",
        ["name_key", "seen_at", "id"],
    )
    op.execute(
        "INSERT INTO unidentified_name (name_key, cases, first_seen, last_seen)"
        " SELECT name_key, count(DISTINCT case_id), min(seen_at), max(seen_at)"
        " FROM unidentified_medication GROUP BY name_key"
    )


def downgrade() -> None:
    op.drop_index("ix_unidentified_medication_name_seen", table_name="unidentified_medication")
    op.drop_index("ix_unidentified_name_frequent", table_name="unidentified_name")
    op.drop_index("ix_unidentified_name_recent", table_name="unidentified_name")
    op.drop_table("unidentified_name")
