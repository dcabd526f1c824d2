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


bench = Blueprint("bench", __name__, url_prefix="/bench")


@bench.post("/store")
def store() -> tuple[dict[str, str], int]:
    """The load benchmark's baseline: parse and store the JSON body, no validation, no pipeline."""
    from datetime import timedelta

    from flask import request

    from workflows.models import Draft, utcnow
    from workflows.tokens import hash_token, new_token

    with services().sessions.begin() as db:
        db.add(
            Draft(
                token_hash=hash_token(new_token()),
                answers={"raw": request.get_json(silent=True)},
                expires_at=utcnow() + timedelta(days=1),
            )
        )
    return {"status": "stored"}, 202
