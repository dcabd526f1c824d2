"""Staff accounts and cases for the staff tests.

Physicians and admins cannot work without two-factor sign-in, so ``make_staff`` enrols them
(through workflows.staff.two_factor, as the enrolment page does) and ``login`` types the second
factor for any enrolled account: a code from the account's secret, or a recovery code when
every code of the moment was used already (replays are refused). The secrets are stored
sealed: ``totp_secret`` opens one with the app's own box, as the server does.
"""

from __future__ import annotations

import re
from typing import Any

import pyotp
from sqlalchemy import select

from tests.conftest import TODAY
from workflows.cases import pipeline
from workflows.cases.models import Case
from workflows.cases.submission import submit_intake
from workflows.messaging.mail import DatabaseOutbox
from workflows.platform.orm import utcnow
from workflows.staff.accounts import create_staff
from workflows.staff.models import Role, StaffUser
from workflows.staff.two_factor import (
    confirm_enrolment,
    must_enrol,
    start_enrolment,
    time_step,
    totp_secret_context,
)

PASSWORD = "correct horse battery staple"
CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


# The clear-text recovery codes of the accounts enrolled here, by (database, email): the
# database keeps only their hashes.
RECOVERY_CODES: dict[tuple[str, str], list[str]] = {}


def make_staff(app: Any) -> dict[str, int]:
    """A coordinator, an admin and three physicians; the admin and physicians are enrolled in
    two-factor sign-in."""
    sessions = app.extensions["ldn"].sessions
    accounts = {
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
    for staff_id in accounts.values():
        with sessions() as db:
            user = db.get(StaffUser, staff_id)
            role, email = user.role, user.email
        if must_enrol(role):
            enrol(app, staff_id, email)
    return accounts


def enrol(app: Any, staff_id: int, email: str) -> list[str]:
    """Turn on two-factor sign-in for an account; returns (and keeps) its recovery codes."""
    services = app.extensions["ldn"]
    start_enrolment(services.sessions, services.totp_secrets, staff_id)
    codes = confirm_enrolment(
        services.sessions, services.totp_secrets, staff_id, next_code(app, email) or ""
    )
    RECOVERY_CODES[_key(app, email)] = list(codes)
    return codes


def _key(app: Any, email: str) -> tuple[str, str]:
    return (app.extensions["ldn"].settings.database_url, email)


def totp_secret(app: Any, email: str) -> str | None:
    """The account's clear TOTP secret (None: no enrolment), opened with the app's key."""
    with app.extensions["ldn"].sessions() as db:
        user = db.scalars(select(StaffUser).where(StaffUser.email == email)).one()
        if user.totp_secret is None:
            return None
        return app.extensions["ldn"].totp_secrets.open(
            user.totp_secret, totp_secret_context(user.id)
        )


def next_code(app: Any, email: str) -> str | None:
    """A code the server will accept now for this account, or None if none is left this step.

    Only the current step and the next are offered: the server accepts both whether its clock
    reads the same step as here or has just turned to the next one, so a sign-in never fails
    by the time it takes. A step already used is skipped (the server refuses replays).
    """
    with app.extensions["ldn"].sessions() as db:
        user = db.scalars(select(StaffUser).where(StaffUser.email == email)).one()
        last_step = user.totp_last_step
    secret = totp_secret(app, email)
    if secret is None:
        return None
    now = time_step(utcnow())
    for step in (now, now + 1):
        if last_step is None or step > last_step:
            return pyotp.TOTP(secret).generate_otp(step)
    return None


def second_factor(client: Any, email: str) -> Any:
    """Pass the second step of a sign-in: a code, or else one of the saved recovery codes."""
    app = client.application
    code = next_code(app, email)
    if code is not None:
        path, data = "/staff/login/code", {"code": code}
    else:
        path, data = "/staff/login/recovery", {"code": RECOVERY_CODES[_key(app, email)].pop()}
    return client.post(path, data={**data, "csrf_token": csrf(client, path)})


def routed_case(app: Any, document: dict[str, Any]) -> Case:
    """Submit and run the pipeline in-process (the worker is tested elsewhere)."""
    sessions = app.extensions["ldn"].sessions
    case_id = submit_intake(sessions, document, TODAY, lambda _: None).id
    pipeline.process(sessions, case_id, DatabaseOutbox())
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
    """Sign in; for an account with two-factor sign-in, the second step too. Returns the last
    answer (the redirect to the landing page, or the page that refused)."""
    response = client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf_token": csrf(client, "/staff/login")},
    )
    if response.status_code == 302 and response.headers["Location"].endswith("/staff/login/code"):
        return second_factor(client, email)
    return response


def act(client: Any, public_id: str, action: str, **data: Any) -> Any:
    token = csrf(client, f"/staff/cases/{public_id}")
    return client.post(f"/staff/cases/{public_id}/{action}", data={**data, "csrf_token": token})
