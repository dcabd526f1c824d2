"""The TOTP secret at rest: sealed in the database with a key derived from SECRET_KEY, a
secret that no longer opens refuses sign-in with a clear error (not a 500), and a reset of
the account's two-factor sign-in recovers it."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pyotp
import pytest
from sqlalchemy import select, text

from tests.conftest import build_app
from tests.staff.helpers import (
    PASSWORD,
    RECOVERY_CODES,
    csrf,
    login,
    make_staff,
    totp_secret,
)
from workflows.platform.secret_box import SecretBox, SecretUnreadable
from workflows.staff.accounts import create_staff
from workflows.staff.models import AuditEntry, Role, StaffUser
from workflows.staff.two_factor import TOTP_SECRET_PURPOSE

SECRET_ON_PAGE = re.compile(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<')
UNREADABLE = "Two-factor secret cannot be read: reset two-factor for this account"


def stored_secret(app: Any, email: str) -> str | None:
    """The column as the database holds it, read with plain SQL (no ORM in between)."""
    with app.extensions["ldn"].sessions() as db:
        return db.execute(
            text("SELECT totp_secret FROM staff_user WHERE email = :email"), {"email": email}
        ).scalar_one()


def post_code(client: Any, path: str, code: str) -> Any:
    return client.post(path, data={"code": code, "csrf_token": csrf(client, path)})


def password_step(client: Any, email: str) -> Any:
    return client.post(
        "/staff/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(client, "/staff/login")},
    )


def enrol_through_the_pages(client: Any, email: str) -> str:
    """Password, enrolment page, a first code; returns the secret the page showed."""
    assert password_step(client, email).headers["Location"].endswith("/staff/two-factor/enrol")
    page = client.get("/staff/two-factor/enrol").get_data(as_text=True)
    secret = SECRET_ON_PAGE.search(page).group(1).replace(" ", "")
    confirmed = post_code(client, "/staff/two-factor/enrol", pyotp.TOTP(secret).now())
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    return secret


def same_data_other_key(app: Any, tmp_path: Path, redis_url: str, database_url: str) -> Any:
    """A second app on the same database and Redis, started with another SECRET_KEY."""
    return build_app(tmp_path / "other", redis_url, database_url, SECRET_KEY="another-secret")


def test_the_database_never_holds_the_base32_secret_and_sign_in_still_works(app: Any) -> None:
    create_staff(app.extensions["ldn"].sessions, "dr@test", "Dr. New", Role.PHYSICIAN, PASSWORD)
    secret = enrol_through_the_pages(app.test_client(), "dr@test")
    stored = stored_secret(app, "dr@test")
    assert totp_secret(app, "dr@test") == secret
    assert stored.startswith("v1:") and len(stored) <= 128
    assert secret not in stored and secret.lower() not in stored.lower()
    assert re.fullmatch(r"v1:[A-Za-z0-9_-]{80}", stored)

    signed_in = app.test_client()
    assert login(signed_in, "dr@test").headers["Location"].endswith("/staff/physician")
    assert signed_in.get("/staff/physician").status_code == 200


def test_a_secret_is_sealed_afresh_each_time_and_altered_values_do_not_open() -> None:
    box = SecretBox("a key", TOTP_SECRET_PURPOSE)
    secret = pyotp.random_base32()
    first, second = box.seal(secret, "row:1"), box.seal(secret, "row:1")
    assert first != second  # a new nonce each time: equal secrets do not look equal
    assert box.open(first, "row:1") == secret
    altered = first[:-2] + ("AA" if not first.endswith("AA") else "BB")
    for value, context in ((altered, "row:1"), (first, "row:2"), (secret, "row:1"), ("", "row:1")):
        with pytest.raises(SecretUnreadable):
            box.open(value, context)
    with pytest.raises(SecretUnreadable):
        SecretBox("another key", TOTP_SECRET_PURPOSE).open(first, "row:1")
    assert "a key" not in repr(box)


def test_a_changed_secret_key_gives_a_clear_error_and_a_reset_recovers(
    app: Any, tmp_path: Path, redis_url: str, database_url: str, caplog: Any
) -> None:
    make_staff(app)
    stored, secret = stored_secret(app, "tx@test"), totp_secret(app, "tx@test")
    other = same_data_other_key(app, tmp_path, redis_url, database_url)
    client = other.test_client()
    assert password_step(client, "tx@test").headers["Location"].endswith("/staff/login/code")
    with caplog.at_level(logging.ERROR, logger="workflows.staff.two_factor"):
        refused = post_code(client, "/staff/login/code", pyotp.TOTP(secret).now())
    assert refused.status_code == 401
    assert UNREADABLE in refused.get_data(as_text=True)
    assert client.get("/staff/physician").status_code == 302  # not signed in

    # logged for that account, without the secret or the stored value
    [record] = [r for r in caplog.records if r.getMessage() == "two_factor.secret_unreadable"]
    with app.extensions["ldn"].sessions() as db:
        user = db.scalars(select(StaffUser).where(StaffUser.email == "tx@test")).one()
        assert user.failed_logins == 0  # no code could have been right: not a guess
        assert db.scalars(
            select(AuditEntry).where(AuditEntry.action == "two_factor_secret_unreadable")
        ).one()
    assert record.staff_id == user.id
    for value in (secret, stored):
        assert value not in caplog.text and value not in str(vars(record))

    # a recovery code does not depend on the key
    recovery = other.test_client()
    password_step(recovery, "tx@test")
    key = (app.extensions["ldn"].settings.database_url, "tx@test")
    used = post_code(recovery, "/staff/login/recovery", RECOVERY_CODES[key].pop())
    assert used.headers["Location"].endswith("/staff/physician")

    result = other.test_cli_runner().invoke(args=["staff", "reset-2fa", "tx@test"])
    assert result.exit_code == 0, result.output
    again = other.test_client()
    new_secret = enrol_through_the_pages(again, "tx@test")
    assert new_secret != secret and new_secret not in stored_secret(other, "tx@test")
    assert login(other.test_client(), "tx@test").headers["Location"].endswith("/staff/physician")


def test_a_sealed_secret_copied_onto_another_account_does_not_open_there(app: Any) -> None:
    make_staff(app)
    with app.extensions["ldn"].sessions.begin() as db:
        db.execute(
            text("UPDATE staff_user SET totp_secret = :value WHERE email = 'il@test'"),
            {"value": stored_secret(app, "tx@test")},
        )
    client = app.test_client()
    password_step(client, "il@test")
    refused = post_code(client, "/staff/login/code", pyotp.TOTP(totp_secret(app, "tx@test")).now())
    assert refused.status_code == 401 and UNREADABLE in refused.get_data(as_text=True)
