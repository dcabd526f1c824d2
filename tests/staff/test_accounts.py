"""Staff sign-in: argon2 passwords, lock-out, idle timeout, roles, API tokens, the CLI."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.staff.helpers import PASSWORD, login, make_staff
from workflows.platform.orm import utcnow
from workflows.staff.accounts import (
    MAX_FAILED_LOGINS,
    InvalidLogin,
    TooManyFailedLogins,
    authenticate,
)
from workflows.staff.models import StaffUser


def test_passwords_are_stored_as_argon2id_hashes(app: Any) -> None:
    make_staff(app)
    with app.extensions["ldn"].sessions() as db:
        user = db.scalars(select(StaffUser).where(StaffUser.email == "coord@test")).one()
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_five_failed_logins_lock_the_account_for_fifteen_minutes(app: Any) -> None:
    make_staff(app)
    sessions = app.extensions["ldn"].sessions
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(InvalidLogin):
            authenticate(sessions, "coord@test", "wrong password")
    with pytest.raises(TooManyFailedLogins) as locked:
        authenticate(sessions, "coord@test", "wrong password")
    assert locked.value.resets_in == timedelta(minutes=15)
    with pytest.raises(TooManyFailedLogins):
        authenticate(sessions, "coord@test", PASSWORD)  # even the right password waits
    assert authenticate(sessions, "coord@test", PASSWORD, now=utcnow() + timedelta(minutes=16))


def test_the_login_page_says_when_an_account_is_locked(client: Any) -> None:
    make_staff(client.application)
    for _ in range(MAX_FAILED_LOGINS):
        response = login(client, "coord@test", "wrong password")
    assert response.status_code == 401
    assert "locked" in response.get_data(as_text=True)


def test_a_wrong_password_and_an_unknown_email_read_the_same(client: Any) -> None:
    make_staff(client.application)
    wrong = login(client, "coord@test", "nope").get_data(as_text=True)
    unknown = login(client, "nobody@test", "nope").get_data(as_text=True)
    assert (
        "The email or password is not right." in wrong
        and "The email or password is not right." in unknown
    )


def test_a_coordinator_lands_on_the_queue_and_a_physician_on_their_cases(app: Any) -> None:
    make_staff(app)
    assert login(app.test_client(), "coord@test").headers["Location"].endswith("/staff/queue")
    assert login(app.test_client(), "tx@test").headers["Location"].endswith("/staff/physician")


def test_fifteen_idle_minutes_sign_a_staff_member_out(client: Any) -> None:
    make_staff(client.application)
    login(client, "coord@test")
    assert client.get("/staff/queue").status_code == 200
    with client.session_transaction() as session:
        session["staff_seen"] = (utcnow() - timedelta(minutes=16)).timestamp()
    response = client.get("/staff/queue")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert client.get("/staff/queue").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site(client: Any) -> None:
    make_staff(client.application)
    cookie = login(client, "coord@test").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_cli_adds_staff_and_issues_a_token(app: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "staff",
            "add",
            "new@test",
            "--name",
            "New Doc",
            "--role",
            "physician",
            "--states",
            "tx, il",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    with app.extensions["ldn"].sessions() as db:
        user = db.scalars(select(StaffUser).where(StaffUser.email == "new@test")).one()
        assert user.states == ["IL", "TX"]
    token = runner.invoke(args=["staff", "token", "new@test"]).output.strip()
    assert (
        app.test_client()
        .get("/api/v1/queue", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 200
    )


def test_seed_demo_creates_the_accounts_once(app: Any) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"]).output
    assert "coordinator@ldn-intake.test" in first and "password:" in first
    assert "set up two-factor sign-in at their first sign-in" in first
    assert runner.invoke(args=["seed-demo"]).output == ""
