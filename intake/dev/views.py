"""Development-only pages: the mail outbox (registered only with LDN_DEV_OUTBOX=1 or in tests)."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from intake.services import services
from workflows.models import OutboxMessage

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/outbox")
def outbox() -> str:
    with services().sessions() as db:
        rows = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(100)).all()
    return render_template("dev/outbox.html", messages=rows)
