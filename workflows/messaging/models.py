"""The tables of what leaves the service: the mail outbox and webhook endpoints and deliveries.

Cases are referred to by id only (a foreign key by table name), so messaging imports no
case code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.platform.orm import Base, utcnow

__all__ = ["OutboxMessage", "WebhookDelivery", "WebhookEndpoint"]


def _created_at(context: Any) -> Any:
    """A new message is due at once: its first attempt is due when it was created."""
    return context.get_current_parameters()["created_at"]


class OutboxMessage(Base):
    """A message to a patient: kept here, and sent by SMTP when that is configured."""

    __tablename__ = "outbox_message"
    # The mail sweep (workflows.messaging.delivery.due_message_ids): the messages still to send,
    # in the order their next attempt falls due, read from an index of those alone.
    __table_args__ = (
        Index(
            "ix_outbox_message_next_attempt",
            "transport",
            "next_attempt_at",
            "id",
            postgresql_where=text("sent_at IS NULL AND given_up_at IS NULL"),
            sqlite_where=text("sent_at IS NULL AND given_up_at IS NULL"),
        ),
        # The operations page counts the messages delivery gave up on: few, among every
        # message ever sent, so an index of those alone (migration 0015).
        Index(
            "ix_outbox_message_given_up",
            "given_up_at",
            postgresql_where=text("given_up_at IS NOT NULL"),
            sqlite_where=text("given_up_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("intake_case.id"))
    sent_at: Mapped[datetime | None]
    transport: Mapped[str] = mapped_column(String(16), default="database")
    # Delivery's record (workflows.messaging.delivery): failed attempts so far, the class name
    # of the last error (never its message, which may quote an address), when to try next, and
    # when delivery gave up (a message that cannot be sent as written, or after GIVE_UP_AFTER).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(120))
    next_attempt_at: Mapped[datetime] = mapped_column(default=_created_at)
    given_up_at: Mapped[datetime | None]


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
