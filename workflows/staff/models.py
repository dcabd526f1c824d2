"""The tables of staff: accounts and roles, recovery codes, and the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from workflows.platform.orm import Base, utcnow

__all__ = ["AuditEntry", "RecoveryCode", "Role", "StaffSession", "StaffUser"]


class Role(StrEnum):
    COORDINATOR = "coordinator"
    PHYSICIAN = "physician"
    ADMIN = "admin"


class StaffUser(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    # Physicians only: the states they are licensed in, and how many open cases they take.
    licensed_states: Mapped[dict[str, Any]] = mapped_column(default=dict)
    capacity: Mapped[int] = mapped_column(default=0)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Two-factor sign-in (TOTP): the shared secret, sealed with a key derived from SECRET_KEY
    # ("v1:..." - workflows/platform/secret_box.py, never base32 in the clear), and the last time step
    # accepted, so a code cannot be used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(128))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]

    @property
    def states(self) -> list[str]:
        return list(self.licensed_states.get("states", []))


class AuditEntry(Base):
    """Who did what to which case, and when: every staff view and change. Append-only: the
    ORM refuses updates and deletes, and database triggers refuse them too."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    actor: Mapped[str] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("intake_case.id"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator app: only its hash is stored."""

    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class StaffSession(Base):
    """One signed-in browser of a staff member. The cookie carries a random id; only its hash is
    stored here, and a cookie whose row is gone is signed out on its next request. Signing out
    deletes the row of that browser; a two-factor reset, a password change or deactivation
    delete every row of the account (the password change keeps the browser that made it)."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # When the password (and second factor) were last typed: the absolute lifetime counts from
    # here, whatever the activity since.
    signed_in_at: Mapped[datetime] = mapped_column(default=utcnow)
