"""Development-only pages: the mail outbox (registered only with LDN_DEV_OUTBOX=1 or in tests)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request

from intake.services import services
from workflows.cases.drafts import store_unchecked
from workflows.messaging.delivery import SMTP_TRANSPORT, RetryBook
from workflows.messaging.mail import newest_messages

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/outbox")
def outbox() -> str:
    ldn = services()
    rows = newest_messages(ldn.sessions, limit=100)
    # Failed SMTP attempts of the messages still waiting (workflows/messaging/delivery.py).
    book = RetryBook.for_url(ldn.redis_url, timedelta(seconds=ldn.settings.mail_retry_seconds))
    failures = {
        row.id: book.failed_attempts(row.id)
        for row in rows
        if row.transport == SMTP_TRANSPORT and row.sent_at is None
    }
    return render_template("dev/outbox.html", messages=rows, failures=failures)


bench = Blueprint("bench", __name__, url_prefix="/bench")


@bench.post("/store")
def store() -> tuple[dict[str, str], int]:
    """The load benchmark's baseline: parse and store the JSON body, no validation, no pipeline."""
    store_unchecked(services().sessions, request.get_json(silent=True))
    return {"status": "stored"}, 202
