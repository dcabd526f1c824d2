"""Development-only pages: the mail outbox (registered only with LDN_DEV_OUTBOX=1 or in tests)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from intake.services import services
from workflows.cases.drafts import store_unchecked
from workflows.messaging.delivery import SMTP_TRANSPORT
from workflows.messaging.mail import newest_messages
from workflows.platform.settings import is_loopback

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def _this_machine_only() -> None:
    """The outbox holds every patient's address and live links: a client on another machine
    gets 404, as if the page did not exist (the app registers it only on a loopback-bound
    development server: intake/__init__.py)."""
    if not is_loopback(request.remote_addr or ""):
        abort(404)


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
