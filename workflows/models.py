"""Database models: the case, its event history, intake drafts and the mail outbox.

Typed declarative classes (SQLAlchemy 2.0). Schema changes go through the Alembic migrations in
``workflows/platform/migrations``; a test checks that the migrations produce exactly these tables.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "AuditEntry",
    "Base",
    "Case",
    "CaseEvent",
    "CaseStatus",
    "Draft",
    "MedicationIdentification",
    "OutboxMessage",
    "Role",
    "RecoveryCode",
    "StaffUser",
    "UnidentifiedMedication",
    "WebhookDelivery",
    "WebhookEndpoint",
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
    # The language the patient used ("en" or "es"): messages to the patient follow it.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

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
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
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


class MedicationIdentification(Base):
    """What a coordinator recorded a medication of a case to be: its ingredients and why.

    Keyed by the name exactly as the patient typed it, so a patient who amends the name gets a
    fresh reading. Rows are only added: a correction is a newer row for the same name.
    """

    __tablename__ = "medication_identification"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("intake_case.id"), index=True)
    medication: Mapped[str] = mapped_column(String(500))
    # The name folded and collapsed, as unidentified_medication groups it (the admins' page
    # shows what coordinators recorded each unidentified name to be).
    name_key: Mapped[str] = mapped_column(String(500), index=True)
    # {"ingredients": ["hydrocodone", "acetaminophen"]}: names of the rule data, or others
    ingredients: Mapped[dict[str, Any]]
    reason: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff: Mapped[StaffUser] = relationship()

    @property
    def ingredient_names(self) -> list[str]:
        return list(self.ingredients.get("ingredients", []))


class UnidentifiedMedication(Base):
    """A medication name a screening could not identify, once per case and normalised name:
    what the admins' page of unidentified names counts and groups (in SQL, by `name_key`)."""

    __tablename__ = "unidentified_medication"
    __table_args__ = (
        UniqueConstraint("case_id", "name_key", name="uq_unidentified_medication_case_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("intake_case.id"), index=True)
    # The name folded (no case or accents) with its spaces collapsed: "Tradol  50" -> "tradol 50"
    name_key: Mapped[str] = mapped_column(String(500), index=True)
    typed: Mapped[str] = mapped_column(String(500))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


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
    # Two-factor sign-in (TOTP): the shared secret, sealed with a key derived from SECRET_KEY
    # ("v1:..." - workflows/platform/secret_box.py, never base32 in the clear), and the last time step
    # accepted, so a code cannot be used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(128))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]

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


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator app: only its hash is stored."""

    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class WebhookEndpoint(Base):
    """An HTTPS address an admin registered to hear about case events."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Signs every delivery (HMAC-SHA256); the receiver holds the same secret.
    secret: Mapped[str] = mapped_column(String(128))
    # {"events": ["case.routed", ...]}
    event_types: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    deliveries: Mapped[list[WebhookDelivery]] = relationship(back_populates="endpoint")


class WebhookDelivery(Base):
    """One event for one endpoint, and how sending it went: ids and codes only."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable across retries, so receivers can drop a delivery they have already seen.
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("intake_case.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # pending, delivered, failed (will retry), abandoned (gave up after the retry window)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")
