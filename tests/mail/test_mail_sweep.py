"""Beat's mail sweep picks the unsent SMTP messages whose next attempt is due, longest due
first, a batch at a time; messages that keep failing never hide later ones."""

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


def test_the_sweep_takes_only_due_messages_longest_due_first(app: Any) -> None:
    sessions = app.extensions["ldn"].sessions
    now = utcnow()
    with sessions.begin() as db:
        newer = _message(db, timedelta(minutes=1))
        older = _message(db, timedelta(hours=2))
        _message(db, timedelta(minutes=5), sent_at=now)
        _message(db, timedelta(minutes=5), transport="database")
        _message(db, timedelta(minutes=5), given_up_at=now)
        waiting = _message(db, timedelta(minutes=3), next_attempt_at=now + timedelta(seconds=30))
    assert delivery.due_message_ids(sessions, now) == [older, newer]
    assert delivery.due_message_ids(sessions, now, limit=1) == [older]
    later = now + timedelta(seconds=31)
    assert delivery.due_message_ids(sessions, later) == [older, newer, waiting]


def test_messages_that_keep_failing_do_not_hide_later_ones(app: Any) -> None:
    """The old code took the 200 oldest unsent messages and then dropped those in backoff: 200
    failing messages starved every later one."""
    sessions = app.extensions["ldn"].sessions
    now = utcnow()
    with sessions.begin() as db:
        for _ in range(250):
            _message(
                db, timedelta(hours=1), attempts=5, next_attempt_at=now + timedelta(minutes=30)
            )
        fresh = _message(db, timedelta(seconds=5))
    assert delivery.due_message_ids(sessions, now) == [fresh]


def test_a_message_unsent_after_three_days_is_given_up_and_leaves_the_sweep(app: Any) -> None:
    sessions = app.extensions["ldn"].sessions
    now = utcnow()
    with sessions.begin() as db:
        expired = _message(db, delivery.GIVE_UP_AFTER + timedelta(hours=1))
        recent = _message(db, timedelta(hours=1))
    assert delivery.give_up_expired(sessions, now) == 1
    assert delivery.due_message_ids(sessions, now) == [recent]
    with sessions() as db:
        assert db.get(OutboxMessage, expired).given_up_at is not None  # kept, not deleted


def test_a_failure_no_retry_can_cure_is_recorded_once_and_given_up(app: Any) -> None:
    """A header with CR/LF makes the email library raise ValueError on every attempt: it was
    not recorded, so the message went out to a worker every 30 s for three days."""
    sessions = app.extensions["ldn"].sessions
    claims = delivery.SendClaims.for_url(app.extensions["ldn"].redis_url)
    with sessions.begin() as db:
        message_id = _message(db, timedelta(seconds=1))

    def send(_: OutboxMessage) -> None:
        raise ValueError("Header values may not contain linefeed or carriage return characters")

    assert delivery.deliver(sessions, claims, send, message_id, timedelta(seconds=30)) == "given_up"
    with sessions() as db:
        row = db.get(OutboxMessage, message_id)
        assert (row.attempts, row.last_error, row.sent_at) == (1, "ValueError", None)
        assert row.given_up_at is not None
    assert delivery.due_message_ids(sessions, utcnow() + timedelta(days=1)) == []
    assert delivery.deliver(sessions, claims, send, message_id, timedelta(seconds=30)) == (
        "nothing_to_send"
    )


def test_a_server_away_is_retried_with_a_doubling_backoff(app: Any) -> None:
    sessions = app.extensions["ldn"].sessions
    claims = delivery.SendClaims.for_url(app.extensions["ldn"].redis_url)
    with sessions.begin() as db:
        message_id = _message(db, timedelta(seconds=1))

    def send(_: OutboxMessage) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    now = utcnow()
    waits = []
    for attempt in (1, 2, 3):
        assert delivery.deliver(sessions, claims, send, message_id, timedelta(seconds=30), now) == (
            "failed"
        )
        with sessions() as db:
            row = db.get(OutboxMessage, message_id)
            assert (row.attempts, row.last_error, row.given_up_at) == (
                attempt,
                "ConnectionRefusedError",
                None,
            )
            waits.append(row.next_attempt_at - now)
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
