"""Webhooks end to end: a real Celery worker sends signed deliveries over verified TLS to a
real HTTPS receiver on 127.0.0.1, for routed, accepted and declined cases; failures are retried
with backoff and given up three days after the event (on an injected clock)."""

from __future__ import annotations

import ssl
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.canary import CANARY_MEDICATION, CANARY_PATIENT
from tests.conftest import wait_until
from tests.staff.helpers import act, login, make_staff, routed_case
from tests.webhooks.receiver import Receiver
from workflows.cases.models import Case
from workflows.messaging import webhooks
from workflows.messaging.models import WebhookDelivery
from workflows.platform.enqueue import webhook_requester
from workflows.platform.orm import utcnow
from workflows.staff.models import StaffUser

# The phone as typed and as digits (not "0199" alone: a random hex id contains it now and then).
CANARY_WORDS = [
    "Quintessa",
    "Marblethorpe",
    "1971-03-17",
    "quintessa",
    "555-0199",
    "5550199",
    "Zorbulax",
]
CANARY_NOTE = "Rhubarbulous aches every morning"


def register(app: Any, url: str, events: tuple[str, ...] = webhooks.EVENT_TYPES) -> tuple[int, str]:
    """An endpoint registered by the admin of make_staff: (id, secret)."""
    with app.extensions["ldn"].sessions.begin() as db:
        admin = db.scalars(select(StaffUser).where(StaffUser.email == "admin@test")).one()
        # The test app is a development one (loopback-bound, http PUBLIC_URL): the receiver on
        # 127.0.0.1 may be called (tests/security/test_webhook_addresses.py: elsewhere not).
        assert app.extensions["ldn"].settings.is_development
        endpoint = webhooks.register_endpoint(
            db, admin, url, "test receiver", events, allow_loopback=True
        )
        return endpoint.id, endpoint.secret


def deliveries(app: Any, **where: Any) -> list[WebhookDelivery]:
    with app.extensions["ldn"].sessions() as db:
        query = select(WebhookDelivery).filter_by(**where).order_by(WebhookDelivery.id)
        rows = list(db.scalars(query))
        for row in rows:
            db.expunge(row)
        return rows


def send_recorded(worker: Any, app: Any, case_id: int) -> None:
    """What the pipeline does after its commit, for a case routed by `routed_case` (which
    records the deliveries without sending them)."""
    send_soon = webhook_requester(worker)
    for recorded in deliveries(app, case_id=case_id, status="pending"):
        send_soon(recorded.id)


def delivery(app: Any, delivery_id: int) -> WebhookDelivery:
    (row,) = deliveries(app, id=delivery_id)
    return row


def sender_for(app: Any) -> webhooks.HttpsSender:
    return webhooks.HttpsSender(
        ca_bundle=app.extensions["ldn"].settings.webhook_ca_bundle, allow_loopback=True
    )


def test_a_routed_case_sends_a_signed_webhook_without_personal_data(
    app: Any, client: Any, worker: Any, receiver: Receiver, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    _, secret = register(app, receiver.url())
    base_intake["patient"] = CANARY_PATIENT
    base_intake["medications"] = [{"name": CANARY_MEDICATION, "status": "current"}]
    base_intake["history"]["notes"] = CANARY_NOTE
    reference = client.post("/api/v1/intakes", json=base_intake).get_json()["id"]

    (request,) = wait_until(receiver.received)
    assert request.headers["LDN-Event-Type"] == "case.routed"
    assert request.is_signed_by(secret)
    payload = request.payload
    assert payload["id"] == request.headers["LDN-Event-Id"]
    assert payload["type"] == "case.routed"
    assert payload["case"]["id"] == reference
    assert payload["case"]["status"] == "routed"
    assert payload["case"]["queue"] and payload["case"]["rule_set_version"]
    assert set(payload) == {"id", "type", "occurred_at", "case"}
    assert set(payload["case"]) == {
        "id",
        "status",
        "decision",
        "queue",
        "flags",
        "rule_set_version",
    }
    body = request.body.decode()
    for word in [*CANARY_WORDS, CANARY_NOTE]:
        assert word.lower() not in body.lower()
    sent = wait_until(lambda: deliveries(app, status="delivered"))
    assert (sent[0].attempts, sent[0].last_status_code) == (1, 200)
    assert sent[0].event_id == payload["id"] and sent[0].delivered_at is not None


def test_a_physician_accepting_and_a_coordinator_declining_send_webhooks(
    app: Any, worker: Any, receiver: Receiver, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    _, secret = register(app, receiver.url(), ("case.accepted", "case.declined"))
    accepted = routed_case(app, base_intake)
    declined = routed_case(app, base_intake)

    doctor = app.test_client()
    login(doctor, "tx@test")
    act(doctor, accepted.public_id, "accept", **{"accept-version": str(accepted.version)})
    coordinator = app.test_client()
    login(coordinator, "coord@test")
    act(
        coordinator,
        declined.public_id,
        "decline",
        **{"act-reason": "Duplicate intake", "act-version": str(declined.version)},
    )

    requests = wait_until(lambda: len(receiver.received()) == 2 and receiver.received())
    by_type = {r.payload["type"]: r for r in requests}
    assert set(by_type) == {"case.accepted", "case.declined"}
    assert by_type["case.accepted"].payload["case"]["id"] == accepted.public_id
    assert by_type["case.accepted"].payload["case"]["status"] == "accepted"
    assert by_type["case.declined"].payload["case"]["id"] == declined.public_id
    assert by_type["case.declined"].payload["case"]["status"] == "declined"
    # The reason typed by the coordinator is free text: it never leaves in a webhook.
    assert b"Duplicate" not in by_type["case.declined"].body
    assert all(r.is_signed_by(secret) for r in requests)
    wait_until(lambda: len(deliveries(app, status="delivered")) == 2)


def test_a_receiver_answering_500_then_200_gets_a_retry_with_backoff_then_is_delivered(
    app: Any, worker: Any, receiver: Receiver, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    _, secret = register(app, receiver.url())
    receiver.answer_with(500)
    case = routed_case(app, base_intake)
    send_recorded(worker, app, case.id)

    failed = wait_until(lambda: deliveries(app, status="failed"))[0]
    assert (failed.attempts, failed.last_status_code, failed.last_error) == (1, 500, "HTTP 500")
    gap = failed.next_attempt_at - failed.created_at
    assert timedelta(seconds=30) <= gap <= timedelta(seconds=37)
    sessions = app.extensions["ldn"].sessions
    assert webhooks.due_deliveries(sessions, failed.next_attempt_at - timedelta(seconds=1)) == []
    assert webhooks.due_deliveries(sessions, failed.next_attempt_at) == [failed.id]

    status = webhooks.deliver(
        sessions, failed.id, sender_for(app), now=lambda: failed.next_attempt_at
    )
    assert status == "delivered"
    first, second = receiver.received()
    assert (first.answered, second.answered) == (500, 200)
    # The same event on every attempt, so a receiver can drop one it already has.
    assert first.headers["LDN-Event-Id"] == second.headers["LDN-Event-Id"]
    assert first.body == second.body
    assert second.is_signed_by(secret, tolerance=10**9)
    done = delivery(app, failed.id)
    assert (done.status, done.attempts, done.last_status_code, done.last_error) == (
        "delivered",
        2,
        200,
        None,
    )


def test_beat_resends_a_failed_delivery_once_its_backoff_has_passed(
    app: Any, worker: Any, receiver: Receiver, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    case = routed_case(app, base_intake)
    _, secret = register(app, receiver.url())
    receiver.answer_with(502)
    sessions = app.extensions["ldn"].sessions
    # The event happened and its first attempt failed an hour ago (injected clock): its
    # retry is due now, and only beat will send it.
    an_hour_ago = utcnow() - timedelta(hours=1)
    with sessions.begin() as db:
        stored = db.get(Case, case.id)
        (pending,) = webhooks.record_event(db, stored, "case.routed", now=an_hour_ago)
    assert webhooks.deliver(sessions, pending.id, sender_for(app), now=lambda: an_hour_ago) == (
        "failed"
    )
    worker.send_task("workflows.enqueue_due_webhooks")
    wait_until(lambda: delivery(app, pending.id).status == "delivered")
    assert [r.answered for r in receiver.received()] == [502, 200]
    assert receiver.received()[1].is_signed_by(secret)
    assert delivery(app, pending.id).attempts == 2


def test_a_receiver_that_keeps_failing_is_retried_for_three_days_then_abandoned(
    app: Any, receiver: Receiver, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    register(app, receiver.url())
    receiver.answer_with(*([503] * 100))
    case = routed_case(app, base_intake)
    (pending,) = deliveries(app, case_id=case.id)
    sessions = app.extensions["ldn"].sessions

    clock = pending.created_at
    attempts_at = []
    while True:
        attempts_at.append(clock)
        status = webhooks.deliver(sessions, pending.id, sender_for(app), now=lambda at=clock: at)
        row = delivery(app, pending.id)
        if status == "abandoned":
            break
        assert status == "failed"
        clock = row.next_attempt_at

    gaps = [later - earlier for earlier, later in zip(attempts_at, attempts_at[1:], strict=False)]
    assert gaps[0] >= timedelta(seconds=30) and gaps[1] >= timedelta(minutes=1)
    assert all(gap <= timedelta(hours=6) * 1.2 for gap in gaps)
    assert gaps == sorted(gaps[:9]) + gaps[9:]  # doubling until the cap
    assert attempts_at[-1] <= pending.created_at + webhooks.RETRY_WINDOW
    assert row.status == "abandoned" and row.next_attempt_at is None
    assert row.attempts == len(attempts_at) == len(receiver.received())
    assert (row.last_status_code, row.last_error) == (503, "HTTP 503")
    # Nothing more is sent, whenever asked.
    later = pending.created_at + timedelta(days=4)
    assert webhooks.deliver(sessions, pending.id, sender_for(app), now=lambda: later) is None
    assert webhooks.due_deliveries(sessions, later) == []
    assert len(receiver.received()) == len(attempts_at)


def test_a_delivery_first_sent_after_three_days_is_abandoned_unsent(
    app: Any, receiver: Receiver, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    register(app, receiver.url())
    case = routed_case(app, base_intake)
    (pending,) = deliveries(app, case_id=case.id)
    too_late = pending.created_at + webhooks.RETRY_WINDOW + timedelta(seconds=1)
    sessions = app.extensions["ldn"].sessions
    assert webhooks.deliver(sessions, pending.id, sender_for(app), now=lambda: too_late) == (
        "abandoned"
    )
    assert receiver.received() == []
    assert delivery(app, pending.id).last_error == "RetryWindowPassed"


def test_a_deactivated_endpoint_gets_nothing(
    app: Any, client: Any, worker: Any, receiver: Receiver, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    old_id, _ = register(app, receiver.url("/old"))
    register(app, receiver.url("/current"))
    waiting = routed_case(app, base_intake)  # recorded for both, not sent yet
    with app.extensions["ldn"].sessions.begin() as db:
        admin = db.scalars(select(StaffUser).where(StaffUser.email == "admin@test")).one()
        assert webhooks.deactivate_endpoint(db, admin, old_id) == 1
    send_recorded(worker, app, waiting.id)
    client.post("/api/v1/intakes", json=base_intake)  # routed by the worker after deactivation

    wait_until(lambda: len(receiver.received("/current")) == 2)
    assert receiver.received("/old") == []
    (abandoned,) = deliveries(app, endpoint_id=old_id)
    assert (abandoned.status, abandoned.last_error, abandoned.attempts) == (
        "abandoned",
        "EndpointDeactivated",
        0,
    )


def test_tls_is_verified_a_receiver_with_an_untrusted_certificate_fails(
    app: Any, receiver: Receiver, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    register(app, receiver.url())
    case = routed_case(app, base_intake)
    (pending,) = deliveries(app, case_id=case.id)
    untrusting = webhooks.HttpsSender(ca_bundle=None, allow_loopback=True)
    with pytest.raises(ssl.SSLCertVerificationError):
        untrusting.post(receiver.url(), b"{}", {})
    assert webhooks.deliver(app.extensions["ldn"].sessions, pending.id, untrusting) == "failed"
    assert delivery(app, pending.id).last_error == "SSLCertVerificationError"
    assert receiver.received() == []


def test_an_unreachable_receiver_is_recorded_by_error_class(
    app: Any, receiver: Receiver, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    url = receiver.url()
    register(app, url)
    receiver.stop()
    case = routed_case(app, base_intake)
    (pending,) = deliveries(app, case_id=case.id)
    status = webhooks.deliver(app.extensions["ldn"].sessions, pending.id, sender_for(app))
    assert status == "failed"
    row = delivery(app, pending.id)
    assert row.last_status_code is None and row.last_error == "ConnectionRefusedError"


def test_plain_http_to_the_loopback_is_delivered_only_where_development_allows_it(
    app: Any, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    plain = Receiver(None, None).start()
    try:
        with app.extensions["ldn"].sessions.begin() as db:
            admin = db.scalars(select(StaffUser).where(StaffUser.email == "admin@test")).one()
            with pytest.raises(webhooks.InvalidWebhookUrl, match="https://"):
                webhooks.register_endpoint(
                    db, admin, plain.url(), "", ["case.routed"], allow_loopback=True
                )
            webhooks.register_endpoint(
                db,
                admin,
                plain.url(),
                "dev",
                ["case.routed"],
                allow_local_http=True,
                allow_loopback=True,
            )
        first, second = routed_case(app, base_intake), routed_case(app, base_intake)
        sessions = app.extensions["ldn"].sessions
        (refused,) = deliveries(app, case_id=first.id)
        https_only = webhooks.HttpsSender(allow_loopback=True)
        assert webhooks.deliver(sessions, refused.id, https_only) == "failed"
        assert delivery(app, refused.id).last_error == "InvalidWebhookUrl"
        (allowed,) = deliveries(app, case_id=second.id)
        dev_sender = webhooks.HttpsSender(allow_local_http=True, allow_loopback=True)
        assert webhooks.deliver(sessions, allowed.id, dev_sender) == "delivered"
        assert [r.payload["case"]["id"] for r in plain.received()] == [second.public_id]
    finally:
        plain.stop()


def test_deliveries_are_handed_to_the_sender_only_once_their_transaction_commits(
    app: Any, receiver: Receiver, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    register(app, receiver.url())
    case = routed_case(app, base_intake)
    sessions = app.extensions["ldn"].sessions
    handed: list[int] = []

    with pytest.raises(RuntimeError), sessions.begin() as db:
        stored = db.get(Case, case.id)
        webhooks.record_event(db, stored, "case.accepted", send_soon=handed.append)
        assert handed == []
        raise RuntimeError("the change fails after the event was recorded")
    assert handed == []
    assert deliveries(app, event_type="case.accepted") == []

    with sessions.begin() as db:
        stored = db.get(Case, case.id)
        recorded = webhooks.record_event(db, stored, "case.accepted", send_soon=handed.append)
        recorded_ids = [delivery.id for delivery in recorded]
        assert handed == []
    assert handed == recorded_ids == [d.id for d in deliveries(app, event_type="case.accepted")]
