"""JSON API (service-contract §3): submit an intake, read its status, health, OpenAPI."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request

from intake.api.openapi import HEALTH_TIMEOUT_MAX_SECONDS, openapi_document
from intake.api.worker_ping import worker_count
from intake.external_links import external_url
from intake.security import HEALTH_LIMIT, api_intake_limit, limiter
from intake.services import services
from intake.staff.auth import Principal, api_role_required
from workflows.cases import queries
from workflows.cases.case_reads import read_case_document
from workflows.cases.staff_lists import read_queue_for_api
from workflows.cases.submission import patient_status, submit_intake
from workflows.platform.database import check_database
from workflows.platform.i18n import known_language
from workflows.platform.redis_clients import redis_client
from workflows.screening import InvalidIntake

bp = Blueprint("api", __name__)


def _patient_language() -> str:
    """The patient's language from an optional Content-Language header ("es", "es-MX"):
    messages to the patient follow it. Anything else means English; never an error."""
    tag = request.headers.get("Content-Language", "").split(",")[0].strip()
    return known_language(tag.split("-")[0].lower())


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@bp.post("/api/v1/intakes")
@limiter.limit(api_intake_limit)
def create_intake() -> Any:
    ldn = services()
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
        submitted = submit_intake(
            ldn.sessions,
            document,
            ldn.today(),
            ldn.enqueue,
            actor="api",
            language=_patient_language(),
        )
    except InvalidIntake as invalid:
        return jsonify({"errors": [error.to_dict() for error in invalid.errors]}), 422
    status_url = external_url("api.read_intake", public_id=submitted.public_id)
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


def _health_timeout() -> float | None:
    """The ?timeout= of /healthz in seconds (default the maximum), or None when it is not a
    number in (0, HEALTH_TIMEOUT_MAX_SECONDS]."""
    try:
        timeout = float(request.args.get("timeout", HEALTH_TIMEOUT_MAX_SECONDS))
    except ValueError:
        return None
    return timeout if 0 < timeout <= HEALTH_TIMEOUT_MAX_SECONDS else None  # NaN fails both


@bp.get("/healthz")
@limiter.limit(HEALTH_LIMIT)
def healthz() -> Any:
    timeout = _health_timeout()
    if timeout is None:
        abort(
            400,
            description="timeout must be a number of seconds above 0 and at most "
            f"{HEALTH_TIMEOUT_MAX_SECONDS:g}.",
        )
    ldn = services()
    report: dict[str, Any] = {"database": "ok", "redis": "ok", "workers": 0}
    down = []
    try:
        check_database(ldn.sessions)
    except Exception as error:  # noqa: BLE001 - any failure means the database is down
        report["database"] = f"down: {type(error).__name__}"
        down.append("database")
    try:
        redis_client(ldn.redis_url, socket_timeout=2).ping()
    except Exception as error:  # noqa: BLE001
        report["redis"] = f"down: {type(error).__name__}"
        down.append("redis")
    else:
        report["workers"] = worker_count(ldn.celery, timeout)
    if down:
        report["down"] = down
        return jsonify(report), 503
    return jsonify(report)


# --- staff endpoints --------------------------------------------------------------------------


@bp.get("/api/v1/cases/<public_id>")
@api_role_required("coordinator", "admin", "physician")
def read_case(staff: Principal, public_id: str) -> Any:
    document = read_case_document(services().sessions, staff.id, public_id)
    if document is None:
        abort(404, description="No such case.")
    return jsonify(document)


@bp.get("/api/v1/queue")
@api_role_required("coordinator", "admin", "physician")
def read_queue(staff: Principal) -> Any:
    queue = request.args.get("queue") or None
    cursor = request.args.get("cursor") or None
    ldn = services()
    try:
        page = read_queue_for_api(
            ldn.sessions, staff.id, request.args.get("queue"), ldn.settings.page_size, cursor
        )
    except queries.InvalidCursor:
        abort(400, description="cursor is not one this API gave: use the next link.")
    next_url = (
        external_url("api.read_queue", queue=queue, cursor=page.next_cursor)
        if page.next_cursor
        else None
    )
    return jsonify(
        {
            "cases": [
                {
                    "id": row.public_id,
                    "status": row.status,
                    "queue": row.queue,
                    "priority": row.priority,
                    "decision": row.decision,
                    "patient_state": row.patient_state,
                    "flags": list(row.flags),
                    "waiting_since": row.waiting_since.isoformat(timespec="seconds") + "Z",
                }
                for row in page.rows
            ],
            "next": next_url,
        }
    )
