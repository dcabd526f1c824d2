"""The two steps of a staff sign-in, as the session sees them.

Between the password and the second factor nobody is signed in: the session holds only a
*pending* sign-in (the staff id, when the password was right, where to go next, and whether
the account must first enrol) for five minutes. Flask-Login's session starts only once the
second factor is passed, so no page, API call or template can mistake a half-signed-in
visitor for staff.

Passing the last factor opens a session on the server too (workflows/staff/web_sessions.py):
its id goes into the cookie, and the session ends when that row does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import redirect, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user

from intake.services import services
from intake.staff.auth import SESSION_ID, Principal
from workflows.platform.orm import utcnow
from workflows.staff.accounts import staff_account
from workflows.staff.models import StaffUser
from workflows.staff.two_factor import must_enrol
from workflows.staff.web_sessions import close_session, open_session

__all__ = [
    "PENDING_LIFETIME",
    "PendingSignIn",
    "locked_message",
    "landing_page",
    "start_sign_in",
    "pending_sign_in",
    "forget_pending",
    "sign_in",
    "principal_for",
]

PENDING_LIFETIME = timedelta(minutes=5)
_PENDING = "staff_pending"


@dataclass(frozen=True)
class PendingSignIn:
    staff_id: int
    next_page: str
    must_enrol: bool


def locked_message(resets_in: timedelta) -> str:
    minutes = max(1, int(resets_in.total_seconds() // 60))
    return f"Too many failed sign-ins. This account is locked; try again in {minutes} minutes."


def landing_page(role: str) -> str:
    return url_for("staff.physician") if role == "physician" else url_for("staff.queue")


def start_sign_in(user: StaffUser, next_page: str | None) -> ResponseReturnValue:
    """After the right password: sign in now, or ask for the second factor (or, for a physician
    or admin without one, enrolment) first."""
    # A new session at each sign-in: nothing from before survives, on the server either.
    close_session(services().sessions, session.get(SESSION_ID))
    session.clear()
    enrolled = user.totp_enabled_at is not None
    if not enrolled and not must_enrol(user.role):
        return redirect(sign_in(Principal.of(user), next_page))
    session[_PENDING] = {
        "id": user.id,
        "since": utcnow().timestamp(),
        "next": next_page or "",
        "enrol": not enrolled,
    }
    session.permanent = True
    return redirect(url_for("staff.two_factor_code" if enrolled else "staff.two_factor_enrol"))


def pending_sign_in() -> PendingSignIn | None:
    """The sign-in waiting for its second factor, if it is not older than five minutes."""
    pending = session.get(_PENDING)
    if not isinstance(pending, dict):
        return None
    if utcnow().timestamp() - float(pending.get("since", 0)) > PENDING_LIFETIME.total_seconds():
        forget_pending()
        return None
    return PendingSignIn(int(pending["id"]), str(pending["next"]), bool(pending["enrol"]))


def forget_pending() -> None:
    session.pop(_PENDING, None)


def sign_in(principal: Principal, next_page: str | None = None) -> str:
    """Start the Flask-Login session and its row on the server; returns the page to go to."""
    close_session(services().sessions, session.get(SESSION_ID))
    session.clear()
    login_user(principal)
    session[SESSION_ID] = open_session(services().sessions, principal.id)
    session.permanent = True
    session["staff_seen"] = utcnow().timestamp()
    return next_page or landing_page(principal.role)


def principal_for(staff_id: int) -> Principal:
    return Principal.of(staff_account(services().sessions, staff_id))
