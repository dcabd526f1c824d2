"""Staff authentication: Flask-Login sessions that time out after 15 idle minutes and end 12
hours after sign-in whatever the activity, each backed by a row on the server
(workflows/staff/web_sessions.py) so that signing out, a two-factor reset or a password change
really ends them; roles on every view, and bearer API tokens for the staff JSON endpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import abort, flash, g, jsonify, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, logout_user

from intake.services import services
from workflows.platform.orm import utcnow
from workflows.staff.accounts import staff_for_token
from workflows.staff.models import StaffUser
from workflows.staff.two_factor import must_enrol
from workflows.staff.web_sessions import (
    SESSION_LIFETIME,
    SessionEnded,
    close_session,
    session_account,
)

__all__ = [
    "login_manager",
    "Principal",
    "role_required",
    "api_role_required",
    "IDLE_TIMEOUT",
    "SESSION_LIFETIME",
    "SESSION_ID",
    "idle_too_long",
    "end_this_session",
    "session_ended_message",
]

IDLE_TIMEOUT = timedelta(minutes=15)
# The key of the server-side session's id in the cookie (workflows/staff/web_sessions.py).
SESSION_ID = "staff_sid"
ENDED_MESSAGES = {
    "expired": "You were signed out 12 hours after signing in. Please sign in again.",
    "revoked": (
        "Your session has ended: you signed out, or your password or two-factor sign-in was "
        "changed. Please sign in again."
    ),
}
login_manager = LoginManager()
login_manager.login_view = "staff.login"
login_manager.login_message = "Please sign in to see this page."
# "basic": a changed client identifier ends a staff session (they are permanent sessions),
# without rewriting every anonymous patient session as "strong" mode would.
login_manager.session_protection = "basic"


@dataclass(frozen=True)
class Principal(UserMixin):
    """The signed-in staff member, detached from the database session."""

    id: int
    email: str
    name: str
    role: str
    states: tuple[str, ...] = field(default_factory=tuple)
    has_two_factor: bool = False

    @classmethod
    def of(cls, user: StaffUser) -> Principal:
        return cls(
            user.id,
            user.email,
            user.name,
            user.role,
            tuple(user.states),
            has_two_factor=user.totp_enabled_at is not None,
        )

    @property
    def needs_enrolment(self) -> bool:
        """A physician or admin without a second factor (reset since signing in, say)."""
        return must_enrol(self.role) and not self.has_two_factor

    def get_id(self) -> str:
        return str(self.id)


@login_manager.user_loader
def _load(user_id: str) -> Principal | None:
    """The staff member of this request, while the session's row on the server stands and is
    younger than SESSION_LIFETIME; otherwise nobody, and the cookie is emptied."""
    if not user_id.isdigit():
        return None
    try:
        user = session_account(services().sessions, int(user_id), session.get(SESSION_ID))
    except SessionEnded as ended:
        session.clear()
        g.staff_session_ended = ended.reason
        return None
    return Principal.of(user)


def session_ended_message() -> str | None:
    """Why this request's staff session was just refused, for the sign-in page."""
    reason = g.get("staff_session_ended")
    return ENDED_MESSAGES[reason] if reason else None


def end_this_session() -> None:
    """Sign out here and on the server: a copy of this cookie stops working too."""
    close_session(services().sessions, session.get(SESSION_ID))
    logout_user()
    session.clear()


def idle_too_long() -> bool:
    seen = session.get("staff_seen")
    now = utcnow().timestamp()
    if seen is not None and now - float(seen) > IDLE_TIMEOUT.total_seconds():
        return True
    session["staff_seen"] = now
    return False


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Pages: sign-in required (redirect), then one of ``roles`` (403 otherwise)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                ended = session_ended_message()
                if ended is None:
                    return login_manager.unauthorized()
                flash(ended, "info")
                return redirect(url_for("staff.login", next=request.path))
            if idle_too_long():
                end_this_session()
                flash("You were signed out after 15 minutes without activity.", "info")
                return redirect(url_for("staff.login", next=request.path))
            if current_user.needs_enrolment:
                # Its second factor was removed while this session was open (a reset ends the
                # account's sessions, so only a session that raced it gets here): the new
                # authenticator is set up after the password, never on the strength of a session.
                end_this_session()
                flash(
                    "Two-factor sign-in was reset for your account: sign in with your password "
                    "to set it up again.",
                    "info",
                )
                return redirect(url_for("staff.login"))
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def api_staff() -> Principal | None:
    """The staff member behind a request: a bearer staff token, or a signed-in session."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer":
        user = staff_for_token(services().sessions, token.strip())
        return Principal.of(user) if user else None
    if current_user.is_authenticated and not current_user.needs_enrolment and not idle_too_long():
        return current_user._get_current_object()
    return None


def api_role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            staff = api_staff()
            if staff is None:
                return jsonify(
                    {"error": "unauthorized", "message": "A staff token or session is required."}
                ), 401
            if staff.role not in roles:
                return jsonify(
                    {"error": "forbidden", "message": "Your role may not use this endpoint."}
                ), 403
            return view(staff, *args, **kwargs)

        return wrapper

    return decorate
