"""Delivery of the outbox by SMTP, at least once, with backoff while the server is away.

A message to a patient is first a row of the outbox, written in the same transaction as the
change that caused it (so a failed send can never undo a saved intake, and a rolled-back
change sends nothing). After that transaction commits, a `workflows.deliver_message` task
sends it. When the SMTP server is down or refuses it, the row stays unsent with its attempt
count, the error's class and the time of its next attempt; a warning names the message id, the
attempt and the error class; and beat's `workflows.deliver_waiting_mail` (every 30 s) hands it
to a worker again once its backoff has passed: 30 s, 1, 2, 4 ... up to 60 minutes between
attempts (the first wait is LDN_MAIL_RETRY_SECONDS), for 3 days. A failure no retry can cure
(the message cannot be written as it is), or the end of those 3 days, marks it given up: it
stays in the outbox, unsent, for a person to look at.

A short Redis claim per message keeps two workers from sending the same message at the same
time; a worker that dies between the server's "250 OK" and the database commit makes the
message go out twice, never zero times.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from workflows.messaging.models import OutboxMessage
from workflows.platform.orm import utcnow
from workflows.platform.redis_clients import redis_client

__all__ = [
    "SendClaims",
    "WAITING_SMTP_MAIL",
    "deliver",
    "due_message_ids",
    "give_up_expired",
    "TRANSIENT_ERRORS",
    "backoff",
    "SMTP_TRANSPORT",
    "GIVE_UP_AFTER",
]

log = logging.getLogger("workflows.messaging.delivery")

SMTP_TRANSPORT = "smtp"
# SMTP mail not sent and not given up on: what the sweep sends, gives up on, and the operations
# page and /metrics count as waiting. The partial index ix_outbox_message_next_attempt holds
# exactly these rows. (The database outbox, without SMTP_URL, never sends: not waiting.)
WAITING_SMTP_MAIL = (
    OutboxMessage.transport == SMTP_TRANSPORT,
    OutboxMessage.sent_at.is_(None),
    OutboxMessage.given_up_at.is_(None),
)
BACKOFF_MAX = timedelta(minutes=60)
GIVE_UP_AFTER = timedelta(days=3)
CLAIM_SECONDS = (
    60  # longer than an SMTP exchange may take (workflows/messaging/smtp.py TIMEOUT_SECONDS)
)

Sender = Callable[[OutboxMessage], None]


def backoff(attempts: int, first: timedelta) -> timedelta:
    """The wait after the `attempts`-th failure in a row: first, then twice as long each time."""
    return min(first * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


class SendClaims:
    """The claim of a message being sent, in Redis: a few seconds' lock per message id, so two
    workers never send the same message at the same time. Holds ids only."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @classmethod
    def for_url(cls, url: str) -> SendClaims:
        return cls(redis_client(url, socket_timeout=None))

    @contextmanager
    def claim(self, message_id: int) -> Iterator[bool]:
        """True while this process alone may send the message."""
        key = f"ldn:mail:{message_id}:sending"
        claimed = bool(self._redis.set(key, "1", nx=True, ex=CLAIM_SECONDS))
        try:
            yield claimed
        finally:
            if claimed:
                self._redis.delete(key)


def deliver(
    sessions: sessionmaker[Session],
    claims: SendClaims,
    send: Sender,
    message_id: int,
    first_wait: timedelta,
    now: datetime | None = None,
) -> str:
    """Send one outbox message unless it is sent already, given up on or being sent; returns
    what happened: "sent", "failed" (tried again after its backoff), "given_up", "busy" or
    "nothing_to_send"."""
    with claims.claim(message_id) as claimed:
        if not claimed:
            return "busy"
        with sessions() as db:
            row = db.get(OutboxMessage, message_id)
            if row is None or not _waiting(row):
                return "nothing_to_send"
            db.expunge(row)
        try:
            send(row)
        except Exception as error:  # every failure is recorded: none may loop unnoticed
            return _record_failure(sessions, row, error, first_wait, now or utcnow())
        with sessions.begin() as db:
            db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
                .values(sent_at=utcnow(), last_error=None)
            )
        log.info("mail.sent", extra={"message_id": message_id, "kind": row.kind})
        return "sent"


def _waiting(row: OutboxMessage) -> bool:
    return row.sent_at is None and row.given_up_at is None and row.transport == SMTP_TRANSPORT


# What a later attempt may cure: the server away or busy, the network, a refusal it may lift.
# Anything else (a header that cannot hold what was written, a character no encoding takes)
# fails the same way every time, so delivery gives up on it at once.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)


def _record_failure(
    sessions: sessionmaker[Session],
    row: OutboxMessage,
    error: Exception,
    first_wait: timedelta,
    now: datetime,
) -> str:
    attempts = row.attempts + 1
    error_class = type(error).__name__[:120]  # the class only: messages quote addresses
    expired = now - row.created_at >= GIVE_UP_AFTER
    give_up = expired or not isinstance(error, TRANSIENT_ERRORS)
    next_attempt_at = now + backoff(attempts, first_wait)
    with sessions.begin() as db:
        db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.sent_at.is_(None))
            .values(
                attempts=attempts,
                last_error=error_class,
                next_attempt_at=next_attempt_at,
                given_up_at=now if give_up else None,
            )
        )
    log.warning(
        "mail.given_up" if give_up else "mail.delivery_failed",
        extra={
            "message_id": row.id,
            "kind": row.kind,
            "attempt": attempts,
            "error": error_class,
            **({} if give_up else {"next_attempt_at": next_attempt_at.isoformat("T", "seconds")}),
        },
    )
    return "given_up" if give_up else "failed"


def due_message_ids(
    sessions: sessionmaker[Session], now: datetime | None = None, limit: int = 200
) -> list[int]:
    """The unsent SMTP messages whose next attempt is due, the longest due first.

    Read from the partial index of the waiting messages in next-attempt order, so messages
    that keep failing wait behind their own backoff instead of filling every batch; SKIP
    LOCKED (PostgreSQL) passes over rows another transaction is writing."""
    now = now or utcnow()
    with sessions() as db:
        due = db.scalars(
            select(OutboxMessage.id)
            .where(*WAITING_SMTP_MAIL, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        db.rollback()  # the sweep only reads: let go of the rows at once
    return list(due)


def give_up_expired(sessions: sessionmaker[Session], now: datetime | None = None) -> int:
    """Mark the messages still unsent after GIVE_UP_AFTER as given up (they stay in the outbox
    for a person to look at); returns how many."""
    now = now or utcnow()
    with sessions.begin() as db:
        result = db.execute(
            update(OutboxMessage)
            .where(*WAITING_SMTP_MAIL, OutboxMessage.created_at < now - GIVE_UP_AFTER)
            .values(given_up_at=now)
        )
    expired = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if expired:
        log.warning("mail.given_up_expired", extra={"messages": expired})
    return expired
