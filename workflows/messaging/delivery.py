"""Delivery of the outbox by SMTP, at least once, with backoff while the server is away.

A message to a patient is first a row of the outbox, written in the same transaction as the
change that caused it (so a failed send can never undo a saved intake, and a rolled-back
change sends nothing). After that transaction commits, a `workflows.deliver_message` task
sends it. When the SMTP server is down or refuses it, the row stays unsent, a warning names
the message id, the attempt and the error class, and beat's `workflows.deliver_waiting_mail`
(every 30 s) hands it to a worker again once its backoff has passed: 30 s, 1, 2, 4 ... up to
60 minutes between attempts (the first wait is LDN_MAIL_RETRY_SECONDS), for 3 days; after that it stays in the outbox, unsent, for a
person to look at.

The attempt count lives in Redis, not in the outbox table (no column for it yet): losing it
only means that a message is retried sooner than planned. A short Redis claim per message
keeps two workers from sending the same message at the same time; a worker that dies between
the server's "250 OK" and the database commit makes the message go out twice, never zero times.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from workflows.messaging.models import OutboxMessage
from workflows.platform.orm import utcnow

__all__ = [
    "RetryBook",
    "FailedAttempts",
    "deliver",
    "due_message_ids",
    "backoff",
    "SMTP_TRANSPORT",
    "GIVE_UP_AFTER",
]

log = logging.getLogger("workflows.messaging.delivery")

SMTP_TRANSPORT = "smtp"
BACKOFF_MAX = timedelta(minutes=60)
GIVE_UP_AFTER = timedelta(days=3)
CLAIM_SECONDS = (
    60  # longer than an SMTP exchange may take (workflows/messaging/smtp.py TIMEOUT_SECONDS)
)

Sender = Callable[[OutboxMessage], None]


def backoff(attempts: int, first: timedelta) -> timedelta:
    """The wait after the `attempts`-th failure in a row: first, then twice as long each time."""
    return min(first * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


@dataclass(frozen=True)
class FailedAttempts:
    count: int
    last_error: str
    next_attempt_at: datetime


class RetryBook:
    """Failed attempts per outbox message, and the claim of a message being sent, in Redis.

    Holds ids, counts, times and exception class names only: never an address or a body."""

    def __init__(self, client: redis.Redis, first_wait: timedelta) -> None:
        self._redis = client
        self.first_wait = first_wait

    @classmethod
    def for_url(cls, url: str, first_wait: timedelta) -> RetryBook:
        return cls(_redis_client(url), first_wait)

    @staticmethod
    def _key(message_id: int) -> str:
        return f"ldn:mail:{message_id}"

    def failed_attempts(self, message_id: int) -> FailedAttempts | None:
        fields = self._redis.hgetall(self._key(message_id))
        if not fields:
            return None
        return FailedAttempts(
            count=int(fields[b"count"]),
            last_error=_text(fields[b"error"]),
            next_attempt_at=datetime.fromisoformat(_text(fields[b"next"])),
        )

    def record_failure(self, message_id: int, error: str, now: datetime) -> FailedAttempts:
        key = self._key(message_id)
        count = int(self._redis.hincrby(key, "count", 1))
        attempts = FailedAttempts(count, error, now + backoff(count, self.first_wait))
        self._redis.hset(
            key, mapping={"error": error, "next": attempts.next_attempt_at.isoformat()}
        )
        self._redis.expire(key, int(GIVE_UP_AFTER.total_seconds()))
        return attempts

    def due_among(self, message_ids: list[int], now: datetime) -> list[int]:
        """The messages whose backoff has passed, asked of Redis in one round trip."""
        pipe = self._redis.pipeline(transaction=False)
        for message_id in message_ids:
            pipe.hget(self._key(message_id), "next")
        waits = pipe.execute() if message_ids else []
        return [
            message_id
            for message_id, next_attempt in zip(message_ids, waits, strict=True)
            if next_attempt is None or datetime.fromisoformat(next_attempt.decode()) <= now
        ]

    def forget(self, message_id: int) -> None:
        self._redis.delete(self._key(message_id))

    @contextmanager
    def claim(self, message_id: int) -> Iterator[bool]:
        """True while this process alone may send the message."""
        key = f"{self._key(message_id)}:sending"
        claimed = bool(self._redis.set(key, "1", nx=True, ex=CLAIM_SECONDS))
        try:
            yield claimed
        finally:
            if claimed:
                self._redis.delete(key)


@cache
def _text(value: bytes | str) -> str:
    # Our clients are made without decode_responses, so replies are bytes; redis-py types
    # them as bytes or str since that is a per-client setting.
    return value.decode() if isinstance(value, bytes) else value


def _redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per URL for the life of the process."""
    if url.startswith("redis+socket://"):
        return redis.Redis(unix_socket_path=url.removeprefix("redis+socket://"))
    return redis.Redis.from_url(url)


def deliver(
    sessions: sessionmaker[Session],
    book: RetryBook,
    send: Sender,
    message_id: int,
    now: datetime | None = None,
) -> str:
    """Send one outbox message unless it is sent already or being sent; returns what happened:
    "sent", "failed" (kept for a later attempt), "busy" or "nothing_to_send"."""
    with book.claim(message_id) as claimed:
        if not claimed:
            return "busy"
        with sessions() as db:
            row = db.get(OutboxMessage, message_id)
            if row is None or row.sent_at is not None or row.transport != SMTP_TRANSPORT:
                return "nothing_to_send"
            db.expunge(row)
        try:
            send(row)
        except (smtplib.SMTPException, OSError) as error:
            # The class name only: SMTP errors quote addresses (SMTPRecipientsRefused).
            attempts = book.record_failure(message_id, type(error).__name__, now or utcnow())
            log.warning(
                "mail.delivery_failed",
                extra={
                    "message_id": message_id,
                    "kind": row.kind,
                    "attempt": attempts.count,
                    "error": attempts.last_error,
                    "next_attempt_at": attempts.next_attempt_at.isoformat(timespec="seconds"),
                },
            )
            return "failed"
        with sessions.begin() as db:
            db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
                .values(sent_at=utcnow())
            )
        book.forget(message_id)
        log.info("mail.sent", extra={"message_id": message_id, "kind": row.kind})
        return "sent"


def due_message_ids(
    sessions: sessionmaker[Session], book: RetryBook, now: datetime | None = None, limit: int = 200
) -> list[int]:
    """Unsent SMTP messages of the last GIVE_UP_AFTER whose backoff has passed, oldest first.

    The predicate is the outbox's "due" columns only (unsent, SMTP, created since the cutoff),
    ordered by creation and LIMITed, so an index on them answers it without reading the sent
    messages of every year; SKIP LOCKED (PostgreSQL) passes over rows another transaction is
    writing, so two sweeps never wait on each other."""
    now = now or utcnow()
    with sessions() as db:
        waiting = db.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.transport == SMTP_TRANSPORT,
                OutboxMessage.created_at >= now - GIVE_UP_AFTER,
            )
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        db.rollback()  # the sweep only reads: let go of the rows at once
    return book.due_among(list(waiting), now)
