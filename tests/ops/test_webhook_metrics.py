"""Webhook deliveries by outcome, with the real HTTPS receiver of tests/webhooks."""

from __future__ import annotations

from typing import Any

from tests.conftest import wait_until
from tests.ops.scrape import scrape, value
from tests.staff.helpers import make_staff
from tests.webhooks.conftest import app, certificate, receiver  # noqa: F401 - fixtures
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import register


def test_a_delivered_webhook_is_counted(
    app: Any,  # noqa: F811
    worker: Any,
    receiver: Receiver,  # noqa: F811
    base_intake: dict[str, Any],
) -> None:
    make_staff(app)
    register(app, receiver.url())
    client = app.test_client()
    before = scrape(client)
    client.post("/api/v1/intakes", json=base_intake)
    wait_until(receiver.received)
    after = wait_until(
        lambda: (
            value(s := scrape(client), "ldn_webhook_deliveries_total", outcome="delivered")
            > value(before, "ldn_webhook_deliveries_total", outcome="delivered")
            and s
        )
    )
    assert value(after, "ldn_webhook_deliveries_waiting", status="pending") == 0
    assert value(after, "ldn_webhook_oldest_pending_age_seconds") == 0


def test_a_failing_webhook_is_counted_and_waits_in_the_gauges(
    app: Any,  # noqa: F811
    worker: Any,
    receiver: Receiver,  # noqa: F811
    base_intake: dict[str, Any],
) -> None:
    make_staff(app)
    register(app, receiver.url())
    receiver.answer_with(*([500] * 10))
    client = app.test_client()
    before = scrape(client)
    client.post("/api/v1/intakes", json=base_intake)
    after = wait_until(
        lambda: (
            value(s := scrape(client), "ldn_webhook_deliveries_total", outcome="failed")
            > value(before, "ldn_webhook_deliveries_total", outcome="failed")
            and s
        )
    )
    # Waiting for its backoff: the alert on webhooks failing for 15 minutes reads these.
    assert value(after, "ldn_webhook_deliveries_waiting", status="failed") == 1
    assert value(after, "ldn_webhook_oldest_pending_age_seconds") >= 0
    assert ("ldn_webhook_oldest_pending_age_seconds", frozenset()) in after
