"""Two-factor sign-in for staff: time-based codes from an authenticator app (TOTP, RFC 6238:
30-second steps, 6 digits, HMAC-SHA1, which every authenticator app reads) and one-time
recovery codes. Plain functions: no Flask, no request; each takes the session factory.

An enrolment is *started* when a secret is written to ``StaffUser.totp_secret`` and
*confirmed* when the staff member types a code from it; only then is ``totp_enabled_at`` set.
The secret is shown while the enrolment is pending and never after: no function here returns
it for an enrolled account.

The secret is stored sealed (workflows/platform/secret_box.py: AES-256-GCM, a key derived from
SECRET_KEY, bound to the account's row), so the functions that read or write it take the
``SecretBox`` made by ``totp_secret_box``. A secret that no longer opens (SECRET_KEY changed)
refuses sign-in with ``TotpSecretUnreadable`` until an admin resets the account's two-factor
sign-in; recovery codes (SHA-256 of 78 random bits) do not depend on the key and still work.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from workflows.platform.database import rows_changed
from workflows.platform.orm import utcnow
from workflows.platform.secret_box import SecretBox, SecretUnreadable
from workflows.platform.tokens import hash_token
from workflows.staff import audit
from workflows.staff.accounts import TooManyFailedLogins, count_failed_attempt, refuse_if_locked
from workflows.staff.models import RecoveryCode, Role, StaffUser
from workflows.staff.web_sessions import end_sessions

__all__ = [
    "ISSUER",
    "STEP_SECONDS",
    "RECOVERY_CODE_COUNT",
    "ROLES_THAT_MUST_ENROL",
    "TwoFactorError",
    "AlreadyEnrolled",
    "NotEnrolled",
    "NoEnrolmentStarted",
    "WrongCode",
    "NoSuchStaff",
    "TotpSecretUnreadable",
    "TOTP_SECRET_PURPOSE",
    "totp_secret_box",
    "totp_secret_context",
    "Enrolment",
    "TwoFactorStatus",
    "Reset",
    "must_enrol",
    "time_step",
    "start_enrolment",
    "confirm_enrolment",
    "sign_in_with_code",
    "sign_in_with_recovery_code",
    "regenerate_recovery_codes",
    "two_factor_status",
    "reset_two_factor",
    "StaffTwoFactor",
    "staff_two_factor_overview",
]

log = logging.getLogger("workflows.staff.two_factor")

# The HKDF info string of the key that seals TOTP secrets: changing it makes every stored
# secret unreadable, so a new key derivation gets a new name (and a new stored prefix).
TOTP_SECRET_PURPOSE = b"ldn-intake totp-secret v1"
ISSUER = "Riverbend Integrative Health"  # the name staff see in their authenticator app
STEP_SECONDS = 30
DIGITS = 6
# One step either side of now: a phone clock a little off, or a code typed as it turned over.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
ROLES_THAT_MUST_ENROL = frozenset({Role.PHYSICIAN.value, Role.ADMIN.value})
# Recovery codes are read off paper: no 0/O or 1/I/L. 16 of 30 symbols are 78 random bits, so
# a fast hash is enough (a slow one would make every enrolment cost a second).
_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
_RECOVERY_LENGTH = 16


class TwoFactorError(Exception):
    """Base of the two-factor errors."""


class AlreadyEnrolled(TwoFactorError):
    """The account already has two-factor sign-in; reset it first to enrol again."""


class NotEnrolled(TwoFactorError):
    """The account has no confirmed two-factor sign-in."""


class NoEnrolmentStarted(TwoFactorError):
    """A confirmation arrived with no enrolment in progress."""


class WrongCode(TwoFactorError):
    """The code is not right, or was already used."""


class TotpSecretUnreadable(TwoFactorError):
    """The stored secret does not open with this SECRET_KEY (it changed since enrolment, or the
    value was altered): only a reset of the account's two-factor sign-in recovers."""

    def __init__(self, staff_id: int) -> None:
        super().__init__("two-factor secret cannot be read: reset two-factor for this account")
        self.staff_id = staff_id


class NoSuchStaff(TwoFactorError):
    def __init__(self, email: str) -> None:
        super().__init__(f"no staff account {email}")
        self.email = email


@dataclass(frozen=True)
class Enrolment:
    """What an authenticator app needs: shown only while the enrolment is pending."""

    secret: str
    uri: str

    @property
    def grouped_secret(self) -> str:
        """The secret in groups of four, as people copy it by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


@dataclass(frozen=True)
class TwoFactorStatus:
    enabled_at: datetime | None
    recovery_codes_left: int

    @property
    def is_enabled(self) -> bool:
        return self.enabled_at is not None


def totp_secret_box(secret_key: str) -> SecretBox:
    """The box for TOTP secrets: every process with the same SECRET_KEY makes the same one."""
    return SecretBox(secret_key, TOTP_SECRET_PURPOSE)


def totp_secret_context(staff_id: int) -> str:
    """What a sealed secret is bound to: its row, so a value copied onto another account (by
    someone who can write the database) does not open there."""
    return f"staff_user:{staff_id}:totp_secret"


def _seal(box: SecretBox, user: StaffUser, secret: str) -> str:
    return box.seal(secret, totp_secret_context(user.id))


def _open(box: SecretBox, user: StaffUser) -> str:
    """The account's clear secret, or TotpSecretUnreadable (logged, without the value)."""
    try:
        return box.open(user.totp_secret or "", totp_secret_context(user.id))
    except SecretUnreadable:
        log.error("two_factor.secret_unreadable", extra={"staff_id": user.id})
        raise TotpSecretUnreadable(user.id) from None


def must_enrol(role: str) -> bool:
    """Physicians and admins cannot sign in without a second factor."""
    return role in ROLES_THAT_MUST_ENROL


def time_step(now: datetime) -> int:
    """The TOTP counter for ``now`` (naive UTC, as the models store time)."""
    return int(now.replace(tzinfo=UTC).timestamp()) // STEP_SECONDS


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step within the window whose code is ``code``, if any."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = _totp(secret)
    current = time_step(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(db: Session, staff_id: int, step: int) -> bool:
    """Record ``step`` as used, unless it (or a later one) already was: one conditional UPDATE,
    so two sign-ins racing with the same code cannot both win."""
    claimed = rows_changed(
        db,
        update(StaffUser)
        .where(
            StaffUser.id == staff_id,
            or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False),
    )
    return claimed == 1


def _user(db: Session, staff_id: int) -> StaffUser:
    user = db.get(StaffUser, staff_id)
    if user is None:
        raise NoSuchStaff(str(staff_id))
    return user


def _new_recovery_codes(db: Session, user: StaffUser, now: datetime) -> list[str]:
    """Replace every recovery code of ``user`` with fresh ones; the clear text is returned once."""
    db.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
        db.add(RecoveryCode(staff_id=user.id, code_hash=hash_token(raw), created_at=now))
    return codes


def _normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def start_enrolment(sessions: sessionmaker[Session], box: SecretBox, staff_id: int) -> Enrolment:
    """A secret for a new enrolment; the pending one again if the page is reloaded, so a code
    already scanned keeps working (unless it no longer opens: then a new one)."""
    with sessions.begin() as db:
        user = _user(db, staff_id)
        if user.totp_enabled_at is not None:
            raise AlreadyEnrolled()
        secret = None
        if user.totp_secret:
            try:
                secret = _open(box, user)
            except TotpSecretUnreadable:
                secret = None  # unconfirmed: nothing is lost by starting again
        if secret is None:
            secret = pyotp.random_base32()
            user.totp_secret = _seal(box, user, secret)
            user.totp_last_step = None
        uri = _totp(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
        return Enrolment(secret=secret, uri=uri)


def confirm_enrolment(
    sessions: sessionmaker[Session],
    box: SecretBox,
    staff_id: int,
    code: str,
    now: datetime | None = None,
) -> list[str]:
    """Turn two-factor sign-in on with a first code from the app; returns the recovery codes,
    the only time they exist in clear text.

    A wrong code here is not counted against the account: the person typing it was just shown
    the secret, so there is nothing to guess.
    """
    now = now or utcnow()
    with sessions.begin() as db:
        user = _user(db, staff_id)
        if user.totp_enabled_at is not None:
            raise AlreadyEnrolled()
        if not user.totp_secret:
            raise NoEnrolmentStarted()
        try:
            secret = _open(box, user)
        except TotpSecretUnreadable:
            raise NoEnrolmentStarted() from None  # the page starts a new one
        step = _matching_step(secret, code, now)
        if step is None or not _claim_step(db, staff_id, step):
            raise WrongCode()
        user.totp_enabled_at = now
        codes = _new_recovery_codes(db, user, now)
        audit.record(db, user, "two_factor_enabled", recovery_codes=len(codes))
    return codes


def _enrolled_user(db: Session, staff_id: int, now: datetime) -> StaffUser:
    user = _user(db, staff_id)
    if user.totp_enabled_at is None or not user.totp_secret or not user.is_active:
        raise NotEnrolled()
    refuse_if_locked(user, now)
    return user


def sign_in_with_code(
    sessions: sessionmaker[Session],
    box: SecretBox,
    staff_id: int,
    code: str,
    now: datetime | None = None,
) -> None:
    """Accept a code from the app as the second step of a sign-in, once.

    Raises WrongCode (counted with wrong passwords: the fifth failure in a row locks the
    account for 15 minutes), TooManyFailedLogins, or TotpSecretUnreadable (not counted: no
    code could be right; audited so admins see which account needs a reset).
    """
    now = now or utcnow()
    failure: Exception | None = None
    with sessions.begin() as db:
        user = _enrolled_user(db, staff_id, now)
        try:
            secret = _open(box, user)
        except TotpSecretUnreadable as unreadable:
            audit.record(db, user, "two_factor_secret_unreadable")
            failure = unreadable
        else:
            step = _matching_step(secret, code, now)
            if step is not None and _claim_step(db, staff_id, step):
                user.failed_logins = 0
                audit.record(db, user, "signed_in_two_factor", method="authenticator")
            else:
                failure = _refuse(db, user, now, method="authenticator")
    if failure is not None:
        raise failure  # after the commit: the failure count (or the audit entry) must stick


def sign_in_with_recovery_code(
    sessions: sessionmaker[Session], staff_id: int, code: str, now: datetime | None = None
) -> int:
    """Accept a recovery code instead of the app, once; returns how many codes are left."""
    now = now or utcnow()
    failure: Exception | None = None
    left = 0
    with sessions.begin() as db:
        user = _enrolled_user(db, staff_id, now)
        code_hash = hash_token(_normalise_recovery_code(code))
        used = rows_changed(
            db,
            update(RecoveryCode)
            .where(
                RecoveryCode.staff_id == staff_id,
                RecoveryCode.code_hash == code_hash,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False),
        )
        if used == 1:
            user.failed_logins = 0
            left = _codes_left(db, staff_id)
            audit.record(db, user, "signed_in_two_factor", method="recovery_code")
            audit.record(db, user, "recovery_code_used", recovery_codes_left=left)
        else:
            failure = _refuse(db, user, now, method="recovery_code")
    if failure is not None:
        raise failure
    return left


def _refuse(db: Session, user: StaffUser, now: datetime, method: str) -> Exception:
    counted = count_failed_attempt(user, now)
    audit.record(db, user, "two_factor_refused", method=method)
    return counted if isinstance(counted, TooManyFailedLogins) else WrongCode()


def regenerate_recovery_codes(
    sessions: sessionmaker[Session],
    box: SecretBox,
    staff_id: int,
    code: str,
    now: datetime | None = None,
) -> list[str]:
    """New recovery codes (the old ones stop working), for a current code from the app.
    TotpSecretUnreadable if the secret no longer opens (nothing changes)."""
    now = now or utcnow()
    failure: Exception | None = None
    codes: list[str] = []
    with sessions.begin() as db:
        user = _enrolled_user(db, staff_id, now)
        step = _matching_step(_open(box, user), code, now)
        if step is not None and _claim_step(db, staff_id, step):
            user.failed_logins = 0
            codes = _new_recovery_codes(db, user, now)
            audit.record(db, user, "recovery_codes_regenerated", recovery_codes=len(codes))
        else:
            failure = _refuse(db, user, now, method="authenticator")
    if failure is not None:
        raise failure
    return codes


def _codes_left(db: Session, staff_id: int) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.staff_id == staff_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def two_factor_status(sessions: sessionmaker[Session], staff_id: int) -> TwoFactorStatus:
    """What the account page says of the second factor: since when, and codes left."""
    with sessions() as db:
        user = _user(db, staff_id)
        if user.totp_enabled_at is None:
            return TwoFactorStatus(None, 0)
        return TwoFactorStatus(user.totp_enabled_at, _codes_left(db, staff_id))


@dataclass(frozen=True)
class Reset:
    was_enabled: bool
    enrols_at_next_sign_in: bool  # a physician or admin: asked to set it up again


def reset_two_factor(
    sessions: sessionmaker[Session], email: str, by: str = "cli", actor_id: int | None = None
) -> Reset:
    """Remove an account's second factor and recovery codes (a lost phone), and end every
    session of the account: whoever holds the lost phone may hold a signed-in browser too, and
    the new authenticator is set up only after the password is typed again. A physician or
    admin enrols again at the next sign-in. ``actor_id``: the admin who did it (None: the
    command line, audited as "system")."""
    with sessions.begin() as db:
        user = db.scalars(
            select(StaffUser).where(StaffUser.email == email.strip().lower())
        ).one_or_none()
        if user is None:
            raise NoSuchStaff(email)
        was_enabled = user.totp_enabled_at is not None
        user.totp_secret = None
        user.totp_enabled_at = None
        user.totp_last_step = None
        db.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == user.id))
        end_sessions(db, user.id)
        actor = db.get(StaffUser, actor_id) if actor_id is not None else None
        audit.record(
            db, actor, "two_factor_reset", account=user.email, by=by, was_enabled=was_enabled
        )
        return Reset(was_enabled, must_enrol(user.role))


@dataclass(frozen=True)
class StaffTwoFactor:
    """One row of the admins' overview of staff accounts."""

    id: int
    name: str
    email: str
    role: str
    enabled_at: datetime | None
    recovery_codes_left: int

    @property
    def must_enrol(self) -> bool:
        return must_enrol(self.role)


def staff_two_factor_overview(sessions: sessionmaker[Session]) -> list[StaffTwoFactor]:
    """Every active staff account with its two-factor state, by role then name."""
    with sessions() as db:
        left = dict(
            db.execute(
                select(RecoveryCode.staff_id, func.count())
                .where(RecoveryCode.used_at.is_(None))
                .group_by(RecoveryCode.staff_id)
            ).all()
        )
        users = db.scalars(
            select(StaffUser)
            .where(StaffUser.is_active.is_(True))
            .order_by(StaffUser.role, StaffUser.name)
        )
        return [
            StaffTwoFactor(
                user.id,
                user.name,
                user.email,
                user.role,
                user.totp_enabled_at,
                left.get(user.id, 0) if user.totp_enabled_at else 0,
            )
            for user in users
        ]
