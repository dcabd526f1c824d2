"""Database models: the case, its event history, intake drafts and the mail outbox.

Typed declarative classes (SQLAlchemy 2.0). Schema changes go through the Alembic migrations in
``workflows/migrations``; a test checks that the migrations produce exactly these tables.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "AuditEntry",
    "Base",
    "Case",
    "CaseEvent",
    "CaseStatus",
    "Draft",
    "OutboxMessage",
    "Role",
    "StaffUser",
    "utcnow",
]

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONType}


class CaseStatus(StrEnum):
    RECEIVED = "received"
    SCREENING = "screening"
    ROUTED = "routed"
    NEEDS_INFO = "needs_info"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"
    SCREENING_FAILED = "screening_failed"


class Case(Base):
    __tablename__ = "intake_case"
    __table_args__ = (Index("ix_intake_case_status_updated", "status", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the patient sees and the API uses: random, so ids cannot be walked.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    access_token_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24), default=CaseStatus.RECEIVED)
    submitted_at: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    intake: Mapped[dict[str, Any]]
    screening_result: Mapped[dict[str, Any] | None]
    rule_set_version: Mapped[str | None] = mapped_column(String(40))
    decision: Mapped[str | None] = mapped_column(String(32))
    queue: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[int | None]
    pipeline_attempts: Mapped[int] = mapped_column(default=0)
    # The exception's class name only: messages may quote patient data.
    last_error: Mapped[str | None] = mapped_column(String(120))
    notified_at: Mapped[datetime | None]
    routed_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    # The licensed state's code ("TX"), or "OTHER": what physicians' licences are matched on.
    patient_state: Mapped[str | None] = mapped_column(String(8))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # A coordinator's request for more information: which steps the patient may amend.
    info_token_hash: Mapped[str | None] = mapped_column(String(64))
    info_steps: Mapped[dict[str, Any] | None]
    version: Mapped[int] = mapped_column(default=1)

    assignee: Mapped[StaffUser | None] = relationship()

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class CaseEvent(Base):
    """One thing that happened to a case: append-only history, shown to staff."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("intake_case.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    case: Mapped[Case] = relationship(back_populates="events")


class Draft(Base):
    """An intake in progress, saved step by step; found again by its resume token."""

    __tablename__ = "intake_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What was typed on a step that did not validate yet: kept so nothing typed is lost.
    pending: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    resume_link_sent: Mapped[bool] = mapped_column(default=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("intake_case.id"))

    case: Mapped[Case | None] = relationship()


class OutboxMessage(Base):
    """A message to a patient: kept here, and sent by SMTP when that is configured."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("intake_case.id"))
    sent_at: Mapped[datetime | None]
    transport: Mapped[str] = mapped_column(String(16), default="database")


class Role(StrEnum):
    COORDINATOR = "coordinator"
    PHYSICIAN = "physician"
    ADMIN = "admin"


class StaffUser(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    # Physicians only: the states they are licensed in, and how many open cases they take.
    licensed_states: Mapped[dict[str, Any]] = mapped_column(default=dict)
    capacity: Mapped[int] = mapped_column(default=0)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def states(self) -> list[str]:
        return list(self.licensed_states.get("states", []))


class AuditEntry(Base):
    """Who did what to which case, and when: every staff view and change. Append-only: the
    ORM refuses updates and deletes, and database triggers refuse them too."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("intake_case.id"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
