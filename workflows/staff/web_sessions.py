"""Staff sessions kept on the server, so that ending one is real.

Flask's session is a signed cookie: forgetting it in one browser does nothing to a copy of it.
So each signed-in browser gets a random id (in its cookie) and a row here (the id's hash,
whose account, when the password was typed). A request whose id has no row is signed out.

Why a row per browser rather than one "generation" number per account: signing out then ends
only the browser that signed out, not every device of the account, while a two-factor reset,
a password change or deactivation still end them all at once (``end_sessions``). The cost is
one indexed read per staff request, next to the account read the session already made.

Plain functions: no Flask. ``now`` is naive UTC, as every timestamp column.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from workflows.platform.orm import utcnow
from workflows.platform.tokens import hash_token, new_token
from workflows.staff.models import StaffSession, StaffUser

__all__ = [
    "SESSION_LIFETIME",
    "SessionEnded",
    "open_session",
    "session_account",
    "close_session",
    "end_sessions",
]

# However busy, a staff session ends this long after its sign-in: a stolen cookie (or a
# forgotten browser on a shared desk) is good for a working day at most. On top of the
# 15-minute idle timeout (intake/staff/auth.py).
SESSION_LIFETIME = timedelta(hours=12)


class SessionEnded(Exception):
    """The session is over: ``"expired"`` (older than SESSION_LIFETIME) or ``"revoked"``
    (signed out, ended by a reset, a password change or deactivation, or never known)."""

    def __init__(self, reason: Literal["expired", "revoked"]) -> None:
        super().__init__(f"staff session {reason}")
        self.reason = reason


def open_session(
    sessions: sessionmaker[Session], staff_id: int, now: datetime | None = None
) -> str:
    """A new session for a sign-in that just passed every factor; returns the id for the
    cookie (its only clear copy). Drops the account's sessions past their lifetime, so the
    table holds at most a day's sign-ins."""
    now = now or utcnow()
    token = new_token()
    with sessions.begin() as db:
        db.execute(
            delete(StaffSession).where(
                StaffSession.staff_id == staff_id,
                StaffSession.signed_in_at < now - SESSION_LIFETIME,
            )
        )
        db.add(StaffSession(staff_id=staff_id, token_hash=hash_token(token), signed_in_at=now))
    return token


def session_account(
    sessions: sessionmaker[Session], staff_id: int, token: str | None, now: datetime | None = None
) -> StaffUser:
    """The active account behind this session (detached), or SessionEnded."""
    now = now or utcnow()
    if not token:
        raise SessionEnded("revoked")
    with sessions() as db:
        row = db.execute(
            select(StaffSession.signed_in_at, StaffUser)
            .join(StaffUser, StaffUser.id == StaffSession.staff_id)
            .where(StaffSession.token_hash == hash_token(token), StaffSession.staff_id == staff_id)
        ).one_or_none()
        if row is None or not row.StaffUser.is_active:
            raise SessionEnded("revoked")
        if now - row.signed_in_at > SESSION_LIFETIME:
            raise SessionEnded("expired")
        return row.StaffUser


def close_session(sessions: sessionmaker[Session], token: str | None) -> None:
    """Sign-out: this session ends, on the server, whatever copies of its cookie exist."""
    if token:
        with sessions.begin() as db:
            db.execute(delete(StaffSession).where(StaffSession.token_hash == hash_token(token)))


def end_sessions(db: Session, staff_id: int, keep: str | None = None) -> None:
    """End every session of an account, in the caller's transaction (so the change that
    ends them and the ending commit together); ``keep``: the id of the one browser that made
    the change (a password change keeps its own session)."""
    query = delete(StaffSession).where(StaffSession.staff_id == staff_id)
    if keep:
        query = query.where(StaffSession.token_hash != hash_token(keep))
    db.execute(query)
