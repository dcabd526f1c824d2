"""JSON API (service-contract §3): submit an intake, read its status, health, OpenAPI."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request, url_for
from sqlalchemy import text

from intake.api.openapi import openapi_document
from intake.api.ratelimit import allow, redis_client
from intake.services import services
from workflows.screening import InvalidIntake
from workflows.services import patient_status, submit_intake

bp = Blueprint("api", __name__)


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@bp.post("/api/v1/intakes")
def create_intake() -> Any:
    ldn = services()
    limit = ldn_limit()
    if not allow(ldn.redis_url, "intakes", request.remote_addr or "unknown", limit):
        return jsonify(
            {
                "error": "too_many_requests",
                "message": "Too many intakes from this address; try again in a minute.",
            }
        ), 429
    document = request.get_json(silent=True)
    if document is None:
        return jsonify(
            {
                "errors": [
                    {
                        "field": "(document)",
                        "message": "Send the intake as a JSON object (Content-Type: application/json).",
                    }
                ]
            }
        ), 422
    try:
        submitted = submit_intake(ldn.sessions, document, ldn.today(), ldn.enqueue, actor="api")
    except InvalidIntake as invalid:
        return jsonify({"errors": [error.to_dict() for error in invalid.errors]}), 422
    status_url = url_for("api.read_intake", public_id=submitted.public_id, _external=True)
    response = jsonify(
        {
            "id": submitted.public_id,
            "status": "received",
            "status_url": status_url,
            "access_token": submitted.access_token,
        }
    )
    response.status_code = 202
    response.headers["Location"] = status_url
    return response


def ldn_limit() -> int:
    from flask import current_app

    return int(current_app.config["API_RATE_LIMIT_PER_MINUTE"])


@bp.get("/api/v1/intakes/<public_id>")
def read_intake(public_id: str) -> Any:
    status = patient_status(services().sessions, public_id, _bearer_token())
    if status is None:
        # Wrong id and wrong token look the same: never reveal that an id exists.
        abort(404, description="No intake with this id for this token.")
    return jsonify(status.to_dict())


@bp.get("/api/v1/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_document())


@bp.get("/healthz")
def healthz() -> Any:
    ldn = services()
    report: dict[str, Any] = {"database": "ok", "redis": "ok", "workers": 0}
    down = []
    try:
        with ldn.sessions() as db:
            db.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means the database is down
        report["database"] = f"down: {type(error).__name__}"
        down.append("database")
    try:
        redis_client(ldn.redis_url).ping()
    except Exception as error:  # noqa: BLE001
        report["redis"] = f"down: {type(error).__name__}"
        down.append("redis")
    else:
        replies = ldn.celery.control.ping(timeout=float(request.args.get("timeout", 1.0)))
        report["workers"] = len(replies or [])
    if down:
        report["down"] = down
        return jsonify(report), 503
    return jsonify(report)
