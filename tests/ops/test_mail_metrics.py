"""Mail deliveries by outcome and the unsent mail's gauges, with a real SMTP server that is
down, then up (the fixtures of tests/mail/test_smtp_delivery.py)."""

from __future__ import annotations

from typing import Any

from tests.conftest import wait_until
from tests.mail.test_smtp_delivery import (  # noqa: F401 - app and smtp_port are fixtures
    Inbox,
    app,
    outbox_rows,
    smtp_port,
    smtp_server,
)
from tests.ops.scrape import scrape, value


def test_mail_failing_then_sent_is_counted_and_the_waiting_mail_shows(
    app: Any,  # noqa: F811
    worker: Any,
    smtp_port: int,  # noqa: F811
    base_intake: dict[str, Any],
) -> None:
    client = app.test_client()
    before = scrape(client)
    client.post("/api/v1/intakes", json=base_intake)  # nothing listens on smtp_port yet
    wait_until(lambda: (rows := outbox_rows(app)) and rows[0].attempts)
    failing = wait_until(
        lambda: (
            value(s := scrape(client), "ldn_mail_deliveries_total", outcome="failed")
            > value(before, "ldn_mail_deliveries_total", outcome="failed")
            and s
        )
    )
    assert value(failing, "ldn_mail_pending") >= 1
    assert value(failing, "ldn_mail_oldest_pending_age_seconds") >= 0

    sweep = worker.tasks["workflows.deliver_waiting_mail"]
    with smtp_server(smtp_port, Inbox()):
        wait_until(lambda: sweep.apply().get() >= 1, timeout=10, interval=0.2)
        wait_until(lambda: outbox_rows(app)[0].sent_at)
    sent = wait_until(
        lambda: (
            value(s := scrape(client), "ldn_mail_deliveries_total", outcome="sent")
            > value(before, "ldn_mail_deliveries_total", outcome="sent")
            and s
        )
    )
    assert value(sent, "ldn_mail_pending") == 0
