"""Staff accounts: argon2id passwords (and changing them), lock-out after repeated failures,
API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflows.platform import metrics
from workflows.platform.orm import utcnow
from workflows.platform.tokens import hash_token, new_token
from workflows.staff import audit
from workflows.staff.models import Role, StaffUser
from workflows.staff.web_sessions import end_sessions

__all__ = [
    "MAX_FAILED_LOGINS",
    "LOCKOUT",
    "InvalidLogin",
    "TooManyFailedLogins",
    "StaffNotFound",
    "acting_staff",
    "staff_account",
    "active_staff",
    "staff_email",
    "refuse_if_locked",
    "count_failed_attempt",
    "create_staff",
    "authenticate",
    "MIN_PASSWORD_LENGTH",
    "WeakPassword",
    "confirm_password",
    "change_password",
    "set_password",
    "issue_api_token",
    "staff_for_token",
    "DEMO_ACCOUNTS",
    "seed_demo_accounts",
    "describe_demo_logins",
]

MAX_FAILED_LOGINS = 5
MIN_PASSWORD_LENGTH = 12
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()


class StaffNotFound(LookupError):
    """The account of the staff member acting is gone (removed while they were signed in):
    the page refuses (403) rather than audit an action by nobody."""

    def __init__(self, staff_id: int) -> None:
        super().__init__(f"no staff account {staff_id}")
        self.staff_id = staff_id


class InvalidLogin(Exception):
    """Wrong email or password (never says which)."""


class WeakPassword(ValueError):
    """A new password that is too short (the message says how long it must be)."""

    def __init__(self) -> None:
        super().__init__(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")


class TooManyFailedLogins(Exception):
    def __init__(self, resets_in: timedelta) -> None:
        super().__init__(f"locked for {resets_in}")
        self.resets_in = resets_in


def create_staff(
    sessions: sessionmaker[Session],
    email: str,
    name: str,
    role: Role,
    password: str,
    states: list[str] | None = None,
    capacity: int = 0,
) -> int:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword()
    with sessions.begin() as db:
        user = StaffUser(
            email=email.strip().lower(),
            name=name.strip(),
            role=Role(role).value,
            password_hash=_hasher.hash(password),
            licensed_states={
                "states": sorted({s.strip().upper() for s in states or [] if s.strip()})
            },
            capacity=capacity,
        )
        db.add(user)
        db.flush()
        return user.id


def authenticate(
    sessions: sessionmaker[Session], email: str, password: str, now: datetime | None = None
) -> int:
    """The staff id for these credentials; counts failures and locks the account after five."""
    now = now or utcnow()
    failure: Exception | None = None
    with sessions.begin() as db:
        user = db.scalars(
            select(StaffUser).where(StaffUser.email == email.strip().lower())
        ).one_or_none()
        if user is None or not user.is_active:
            _hasher.hash(password)  # the same work either way: no timing hint that the email exists
            metrics.SIGN_INS.labels("unknown_account").inc()
            raise InvalidLogin()
        try:
            refuse_if_locked(user, now)
        except TooManyFailedLogins:
            metrics.SIGN_INS.labels("locked").inc()
            raise
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            failure = count_failed_attempt(user, now)
        else:
            # With a second factor the sign-in is not over yet: the count of failures stands
            # until the code is right, or a thief with the password could guess codes forever.
            if user.totp_enabled_at is None:
                user.failed_logins = 0
            user.locked_until = None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
        user_id = user.id
    if failure is not None:
        metrics.SIGN_INS.labels("wrong_password").inc()
        if isinstance(failure, TooManyFailedLogins):
            metrics.ACCOUNTS_LOCKED.inc()
        raise failure  # after the commit: the failure count must stick
    metrics.SIGN_INS.labels("password_accepted").inc()  # a second factor may follow
    return user_id


def confirm_password(
    sessions: sessionmaker[Session], staff_id: int, password: str, now: datetime | None = None
) -> None:
    """A signed-in staff member types their password again before a change that a stolen
    session must not make (a new authenticator). Wrong: InvalidLogin, counted with failed
    sign-ins (the fifth locks the account: TooManyFailedLogins)."""
    now = now or utcnow()
    with sessions.begin() as db:
        user = db.get_one(StaffUser, staff_id)
        failure = _check_password(user, password, now)
    if failure is not None:
        raise failure  # after the commit: the failure count must stick


def _check_password(user: StaffUser, password: str, now: datetime) -> Exception | None:
    """None if ``password`` is the account's; else the exception to raise after the commit."""
    refuse_if_locked(user, now)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return count_failed_attempt(user, now)
    return None


def change_password(
    sessions: sessionmaker[Session],
    staff_id: int,
    current: str,
    new: str,
    keep_session: str | None = None,
    now: datetime | None = None,
) -> None:
    """A staff member changes their own password, typing the current one (InvalidLogin,
    counted, if wrong; WeakPassword if the new one is too short). Every other session of the
    account ends: whoever else knew the old password is signed out. ``keep_session``: the id
    of the session making the change, which stays signed in."""
    now = now or utcnow()
    if len(new) < MIN_PASSWORD_LENGTH:
        raise WeakPassword()
    with sessions.begin() as db:
        user = db.get_one(StaffUser, staff_id)
        failure = _check_password(user, current, now)
        if failure is None:
            user.password_hash = _hasher.hash(new)
            end_sessions(db, user.id, keep=keep_session)
            audit.record(db, user, "password_changed", by="self")
    if failure is not None:
        raise failure


def set_password(sessions: sessionmaker[Session], email: str, new: str) -> None:
    """An operator sets an account's password (the command line): every session of the
    account ends. LookupError if there is no such account; WeakPassword if too short."""
    if len(new) < MIN_PASSWORD_LENGTH:
        raise WeakPassword()
    with sessions.begin() as db:
        user = db.scalars(
            select(StaffUser).where(StaffUser.email == email.strip().lower())
        ).one_or_none()
        if user is None:
            raise LookupError(email)
        user.password_hash = _hasher.hash(new)
        user.failed_logins = 0
        user.locked_until = None
        end_sessions(db, user.id)
        audit.record(db, None, "password_changed", account=user.email, by="cli")


def refuse_if_locked(user: StaffUser, now: datetime) -> None:
    if user.locked_until and user.locked_until > now:
        raise TooManyFailedLogins(user.locked_until - now)


def count_failed_attempt(user: StaffUser, now: datetime) -> InvalidLogin | TooManyFailedLogins:
    """Count one wrong password or code; the fifth in a row locks the account for 15 minutes.

    Returns the exception to raise once the caller's transaction has committed the count.
    """
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = now + LOCKOUT
        user.failed_logins = 0
        return TooManyFailedLogins(LOCKOUT)
    return InvalidLogin()


def acting_staff(db: Session, staff_id: int) -> StaffUser:
    """The signed-in staff member, for the audit entry of what they read or change."""
    user = db.get(StaffUser, staff_id)
    if user is None:
        raise StaffNotFound(staff_id)
    return user


def staff_account(sessions: sessionmaker[Session], staff_id: int) -> StaffUser:
    """An account that must exist (its id came from a check that just passed), detached:
    its columns are loaded, which is all a sign-in reads."""
    with sessions() as db:
        return db.get_one(StaffUser, staff_id)


def active_staff(sessions: sessionmaker[Session], staff_id: int) -> StaffUser | None:
    """The account behind a staff session, while it exists and is active (detached)."""
    with sessions() as db:
        user = db.get(StaffUser, staff_id)
        return user if user is not None and user.is_active else None


def staff_email(sessions: sessionmaker[Session], staff_id: int) -> str | None:
    """An account's email (what reset_two_factor looks it up by); None if there is no such
    account."""
    with sessions() as db:
        user = db.get(StaffUser, staff_id)
        return user.email if user is not None else None


def issue_api_token(sessions: sessionmaker[Session], email: str) -> str:
    """A new API token for this account (the old one stops working); shown once."""
    token = new_token()
    with sessions.begin() as db:
        user = db.scalars(select(StaffUser).where(StaffUser.email == email.strip().lower())).one()
        user.api_token_hash = hash_token(token)
    return token


def staff_for_token(sessions: sessionmaker[Session], token: str | None) -> StaffUser | None:
    """The active account an API token belongs to (detached), or None."""
    if not token:
        return None
    with sessions() as db:
        user = db.scalars(
            select(StaffUser).where(StaffUser.api_token_hash == hash_token(token))
        ).one_or_none()
        return user if user is not None and user.is_active else None


DEMO_ACCOUNTS = [
    ("coordinator@ldn-intake.test", "Casey Coordinator", Role.COORDINATOR, [], 0),
    ("dr.tx@ldn-intake.test", "Dr. Tessa Texas", Role.PHYSICIAN, ["TX", "FL", "GA"], 20),
    ("dr.il@ldn-intake.test", "Dr. Ian Illinois", Role.PHYSICIAN, ["IL", "IA", "MO"], 20),
    ("admin@ldn-intake.test", "Ada Admin", Role.ADMIN, [], 0),
]


def seed_demo_accounts(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, list[str]]]:
    """Create the demo accounts that are missing, each with a random password.

    Returns (email, role, password, states) for the ones created: the only time a password
    exists in clear text.
    """
    import secrets

    with sessions() as db:
        existing = set(db.scalars(select(StaffUser.email)))
    created = []
    for email, name, role, states, capacity in DEMO_ACCOUNTS:
        if email not in existing:
            password = secrets.token_urlsafe(12)
            create_staff(sessions, email, name, role, password, states, capacity)
            created.append((email, role.value, password, states))
    return created


def describe_demo_logins(created: list[tuple[str, str, str, list[str]]]) -> str:
    lines = ["Demo staff accounts (sign in at /staff/login):"]
    for email, role, password, states in created:
        extra = f"  licensed in {','.join(states)}" if states else ""
        lines.append(f"  {role:<12} {email:<30} password: {password}{extra}")
    lines += [
        "Physicians and the admin set up two-factor sign-in at their first sign-in: have an",
        "authenticator app ready (any app that makes 6-digit codes) to scan the QR code, and",
        "save the recovery codes it shows. The coordinator may turn it on at /staff/account.",
        "Lost it? .venv/bin/flask --app intake staff reset-2fa EMAIL",
    ]
    return "\n".join(lines)
