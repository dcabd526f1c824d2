"""who each case is about, in columns; possible duplicates

The staff lists show the patient's name, age, main condition and the state typed, and search
by name, email and date of birth; reading those out of every intake's JSON would cost a parse
per row and could use no index. The case keeps them in columns (set with the intake, see
workflows.cases.patient_fields), with folded keys for the search and the duplicate match, and
indexes for each lookup. case_duplicate holds the marks that a case may be an earlier one's
patient. Existing cases are backfilled here, in batches.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# Pure functions of a document (no database, no Flask): the same derivation the service uses.
from workflows.cases.patient_fields import main_condition_of, set_patient_fields

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS: dict[str, sa.types.TypeEngine[Any]] = {
    "patient_name": sa.String(length=200),
    "name_key": sa.String(length=200),
    "surname_key": sa.String(length=200),
    "email_key": sa.String(length=320),
    "birth_date": sa.Date(),
    "state_typed": sa.String(length=100),
    "main_condition": sa.String(length=64),
}
BATCH = 2000


class _Fields:
    """What set_patient_fields writes, collected for one UPDATE."""

    patient_name = name_key = surname_key = email_key = birth_date = state_typed = None


def upgrade() -> None:
    for name, type_ in COLUMNS.items():
        op.add_column("intake_case", sa.Column(name, type_, nullable=True))
    op.create_index("ix_intake_case_email_key", "intake_case", ["email_key"])
    op.create_index(
        "ix_intake_case_name_birth",
        "intake_case",
        ["name_key", "birth_date"],
        postgresql_ops={"name_key": "text_pattern_ops"},
    )
    op.create_index(
        "ix_intake_case_surname_key",
        "intake_case",
        ["surname_key"],
        postgresql_ops={"surname_key": "text_pattern_ops"},
    )
    op.create_index("ix_intake_case_birth_date", "intake_case", ["birth_date"])
    op.create_table(
        "case_duplicate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["intake_case.id"]),
        sa.ForeignKeyConstraint(["duplicate_of_id"], ["intake_case.id"]),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "duplicate_of_id", name="uq_case_duplicate_pair"),
    )
    op.create_index("ix_case_duplicate_duplicate_of", "case_duplicate", ["duplicate_of_id"])
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    case = sa.table(
        "intake_case",
        sa.column("id", sa.Integer),
        sa.column("intake", sa.JSON),
        sa.column("screening_result", sa.JSON),
        *(sa.column(name, type_) for name, type_ in COLUMNS.items()),
    )
    update = (
        case.update()
        .where(case.c.id == sa.bindparam("case_id"))
        .values({name: sa.bindparam(name) for name in COLUMNS})
    )
    after = 0
    while True:
        rows = bind.execute(
            sa.select(case.c.id, case.c.intake, case.c.screening_result)
            .where(case.c.id > after)
            .order_by(case.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(update, [_values(row) for row in rows])
        after = rows[-1].id


def _values(row: Any) -> dict[str, Any]:
    fields = _Fields()
    set_patient_fields(fields, row.intake or {})
    return {
        "case_id": row.id,
        **{name: getattr(fields, name) for name in vars(_Fields) if not name.startswith("_")},
        "main_condition": main_condition_of(row.screening_result),
    }


def downgrade() -> None:
    op.drop_index("ix_case_duplicate_duplicate_of", table_name="case_duplicate")
    op.drop_table("case_duplicate")
    for name in ("birth_date", "surname_key", "name_birth", "email_key"):
        op.drop_index(f"ix_intake_case_{name}", table_name="intake_case")
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would trip the triggers of
    # 0008 that name it.
    for name in COLUMNS:
        op.execute(f"ALTER TABLE intake_case DROP COLUMN {name}")
