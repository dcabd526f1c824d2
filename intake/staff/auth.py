"""Staff authentication: Flask-Login sessions that time out after 15 idle minutes, roles on
every view, and bearer API tokens for the staff JSON endpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import abort, flash, jsonify, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, logout_user

from intake.services import services
from workflows.platform.orm import utcnow
from workflows.staff.accounts import active_staff, staff_for_token
from workflows.staff.models import StaffUser
from workflows.staff.two_factor import must_enrol

__all__ = [
    "login_manager",
    "Principal",
    "role_required",
    "api_role_required",
    "IDLE_TIMEOUT",
    "idle_too_long",
]

IDLE_TIMEOUT = timedelta(minutes=15)
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
    user = active_staff(services().sessions, int(user_id)) if user_id.isdigit() else None
    return Principal.of(user) if user is not None else None


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
                return login_manager.unauthorized()
            if idle_too_long():
                logout_user()
                session.clear()
                flash("You were signed out after 15 minutes without activity.", "info")
                return redirect(url_for("staff.login", next=request.path))
            if current_user.needs_enrolment:
                return redirect(url_for("staff.two_factor_enrol"))
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
