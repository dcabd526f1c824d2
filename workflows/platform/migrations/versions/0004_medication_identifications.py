"""medication identifications and unidentified names

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 16:08:16.485188
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "medication_identification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("medication", sa.String(length=500), nullable=False),
        sa.Column("name_key", sa.String(length=500), nullable=False),
        sa.Column(
            "ingredients",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["intake_case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("medication_identification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_medication_identification_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_medication_identification_name_key"), ["name_key"], unique=False
        )

    op.create_table(
        "unidentified_medication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("name_key", sa.String(length=500), nullable=False),
        sa.Column("typed", sa.String(length=500), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["intake_case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "name_key", name="uq_unidentified_medication_case_key"),
    )
    with op.batch_alter_table("unidentified_medication", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unidentified_medication_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_unidentified_medication_name_key"), ["name_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_unidentified_medication_seen_at"), ["seen_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("unidentified_medication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unidentified_medication_seen_at"))
        batch_op.drop_index(batch_op.f("ix_unidentified_medication_name_key"))
        batch_op.drop_index(batch_op.f("ix_unidentified_medication_case_id"))

    op.drop_table("unidentified_medication")
    with op.batch_alter_table("medication_identification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_medication_identification_name_key"))
        batch_op.drop_index(batch_op.f("ix_medication_identification_case_id"))

    op.drop_table("medication_identification")
