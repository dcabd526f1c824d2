"""Development-only pages: the mail outbox (registered only with LDN_DEV_OUTBOX=1 or in tests)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from intake.services import services
from workflows.cases.drafts import store_unchecked
from workflows.messaging.delivery import SMTP_TRANSPORT
from workflows.messaging.mail import newest_messages

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/outbox")
def outbox() -> str:
    ldn = services()
    rows = newest_messages(ldn.sessions, limit=100)
    return render_template("dev/outbox.html", messages=rows, smtp=SMTP_TRANSPORT)


bench = Blueprint("bench", __name__, url_prefix="/bench")


@bench.post("/store")
def store() -> tuple[dict[str, str], int]:
    """The load benchmark's baseline: parse and store the JSON body, no validation, no pipeline."""
    store_unchecked(services().sessions, request.get_json(silent=True))
    return {"status": "stored"}, 202
