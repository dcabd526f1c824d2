"""Staff accounts and cases for the staff tests."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import TODAY
from workflows import pipeline
from workflows.mail import DatabaseOutbox
from workflows.models import Case, Role
from workflows.services import submit_intake
from workflows.staff import create_staff

PASSWORD = "correct horse battery staple"
CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def make_staff(app: Any) -> dict[str, int]:
    sessions = app.extensions["ldn"].sessions
    return {
        "coordinator": create_staff(
            sessions, "coord@test", "Casey Coordinator", Role.COORDINATOR, PASSWORD
        ),
        "admin": create_staff(sessions, "admin@test", "Ada Admin", Role.ADMIN, PASSWORD),
        "dr_tx": create_staff(
            sessions, "tx@test", "Dr. Tessa Texas", Role.PHYSICIAN, PASSWORD, ["TX", "FL"], 10
        ),
        "dr_tx2": create_staff(
            sessions, "tx2@test", "Dr. Theo Texas", Role.PHYSICIAN, PASSWORD, ["TX"], 10
        ),
        "dr_il": create_staff(
            sessions, "il@test", "Dr. Ian Illinois", Role.PHYSICIAN, PASSWORD, ["IL"], 10
        ),
    }


def routed_case(app: Any, document: dict[str, Any]) -> Case:
    """Submit and run the pipeline in-process (the worker is tested elsewhere)."""
    sessions = app.extensions["ldn"].sessions
    case_id = submit_intake(sessions, document, TODAY, lambda _: None).id
    pipeline.start_screening(sessions, case_id)
    pipeline.screen(sessions, case_id)
    pipeline.route(sessions, case_id)
    pipeline.notify(sessions, case_id, DatabaseOutbox())
    with sessions() as db:
        case = db.get(Case, case_id)
        db.expunge(case)
        return case


def csrf(client: Any, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf_token": csrf(client, "/staff/login")},
    )


def act(client: Any, public_id: str, action: str, **data: Any) -> Any:
    token = csrf(client, f"/staff/cases/{public_id}")
    return client.post(f"/staff/cases/{public_id}/{action}", data={**data, "csrf_token": token})
