"""Beat's mail sweep picks the unsent SMTP messages of the last days whose backoff has passed,
oldest first, a batch at a time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from workflows.messaging import delivery
from workflows.messaging.models import OutboxMessage
from workflows.platform.orm import utcnow


def _message(db: Any, created_ago: timedelta, **columns: Any) -> int:
    row = OutboxMessage(
        created_at=utcnow() - created_ago,
        kind="received",
        to_address="someone@example.org",
        subject="s",
        body="b",
        transport=columns.pop("transport", delivery.SMTP_TRANSPORT),
        **columns,
    )
    db.add(row)
    db.flush()
    return row.id


def test_the_sweep_takes_only_due_messages_oldest_first(app: Any) -> None:
    services = app.extensions["ldn"]
    book = delivery.RetryBook.for_url(services.redis_url, timedelta(seconds=30))
    now = utcnow()
    with services.sessions.begin() as db:
        newer = _message(db, timedelta(minutes=1))
        older = _message(db, timedelta(hours=2))
        _message(db, timedelta(minutes=5), sent_at=now)
        _message(db, timedelta(minutes=5), transport="database")
        _message(db, delivery.GIVE_UP_AFTER + timedelta(hours=1))
        waiting = _message(db, timedelta(minutes=3))
    book.record_failure(waiting, "ConnectionRefusedError", now)  # next try in 30 s
    assert delivery.due_message_ids(services.sessions, book, now) == [older, newer]
    assert delivery.due_message_ids(services.sessions, book, now, limit=1) == [older]
    later = now + timedelta(seconds=31)
    assert delivery.due_message_ids(services.sessions, book, later) == [older, waiting, newer]
