"""Ending a staff session is real (issue 16, item 5 and the sign-out Low item): sign-out, a
two-factor reset and a password change end sessions on the server, so a copy of the cookie
stops working too; every session ends 12 hours after its sign-in however active it is; and a
new authenticator is set up only after the password, never on the strength of a session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
from sqlalchemy import select, update

from tests.staff.helpers import PASSWORD, csrf, login, make_staff, totp_secret
from workflows.platform.orm import utcnow
from workflows.staff.models import AuditEntry, StaffSession, StaffUser
from workflows.staff.web_sessions import SESSION_LIFETIME

COOKIE = "ldn_session"
NEW_PASSWORD = "a different horse battery staple"


def sessions_of(app: Any) -> Any:
    return app.extensions["ldn"].sessions


def cookie_of(client: Any) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie"
    return str(cookie.value)


def browser_with(app: Any, cookie: str) -> Any:
    """Another browser holding a copy of a session cookie (copied, stolen, or kept)."""
    replay = app.test_client()
    replay.set_cookie(COOKIE, cookie)
    return replay


def signed_out(response: Any) -> bool:
    return response.status_code == 302 and "/staff/login" in response.headers["Location"]


def login_page_says(client: Any, text: str) -> bool:
    return text in client.get("/staff/login").get_data(as_text=True)


def staff_id(app: Any, email: str) -> int:
    with sessions_of(app)() as db:
        return db.scalars(select(StaffUser.id).where(StaffUser.email == email)).one()


def change_password(client: Any, current: str, new: str, repeat: str | None = None) -> Any:
    return client.post(
        "/staff/account/password",
        data={
            "password-current": current,
            "password-new": new,
            "password-repeat": new if repeat is None else repeat,
            "csrf_token": csrf(client, "/staff/account"),
        },
    )


# --- sign-out --------------------------------------------------------------------------------


def test_a_cookie_copied_before_sign_out_does_not_work_after_it(app: Any) -> None:
    make_staff(app)
    browser = app.test_client()
    login(browser, "coord@test")
    assert browser.get("/staff/queue").status_code == 200
    copy = cookie_of(browser)
    assert browser_with(app, copy).get("/staff/queue").status_code == 200  # a working copy

    browser.post("/staff/logout", data={"csrf_token": csrf(browser, "/staff/queue")})

    replay = browser_with(app, copy)
    assert signed_out(replay.get("/staff/queue"))
    assert login_page_says(replay, "Your session has ended")
    assert browser_with(app, copy).get("/api/v1/queue").status_code == 401


def test_signing_out_ends_only_that_browsers_session(app: Any) -> None:
    make_staff(app)
    office, home = app.test_client(), app.test_client()
    login(office, "coord@test")
    login(home, "coord@test")
    office.post("/staff/logout", data={"csrf_token": csrf(office, "/staff/queue")})
    assert signed_out(office.get("/staff/queue"))
    assert home.get("/staff/queue").status_code == 200


def test_a_session_without_its_server_side_row_is_signed_out(app: Any) -> None:
    """A cookie made with the SECRET_KEY but never opened on the server (or opened before the
    server kept sessions) does not sign anyone in."""
    make_staff(app)
    browser = app.test_client()
    login(browser, "coord@test")
    with browser.session_transaction() as session:
        session["staff_sid"] = "made-up"
    assert signed_out(browser.get("/staff/queue"))


# --- a two-factor reset ----------------------------------------------------------------------


def test_an_admins_reset_ends_the_physicians_sessions(app: Any) -> None:
    make_staff(app)
    physician = app.test_client()
    login(physician, "tx@test")
    assert physician.get("/staff/physician").status_code == 200
    copy = cookie_of(physician)

    admin = app.test_client()
    login(admin, "admin@test")
    reset = admin.post(
        f"/staff/admin/staff/{staff_id(app, 'tx@test')}/reset-2fa",
        data={"csrf_token": csrf(admin, "/staff/admin/staff")},
    )
    assert reset.status_code == 302

    assert signed_out(physician.get("/staff/physician"))
    assert login_page_says(physician, "two-factor sign-in was")
    assert signed_out(browser_with(app, copy).get("/staff/physician"))
    assert admin.get("/staff/queue").status_code == 200  # the admin's own session goes on


def test_after_a_reset_the_old_session_cannot_reach_the_enrolment_page(app: Any) -> None:
    make_staff(app)
    physician = app.test_client()
    login(physician, "tx@test")
    copy = cookie_of(physician)
    app.test_cli_runner().invoke(args=["staff", "reset-2fa", "tx@test"])

    for browser in (physician, browser_with(app, copy)):
        page = browser.get("/staff/two-factor/enrol")
        assert signed_out(page), page.get_data(as_text=True)[:300]
        assert totp_secret(app, "tx@test") is None  # no new secret was made for it
    # the password, and then the enrolment
    fresh = app.test_client()
    response = fresh.post(
        "/staff/login",
        data={"email": "tx@test", "password": PASSWORD, "csrf_token": csrf(fresh, "/staff/login")},
    )
    assert response.headers["Location"].endswith("/staff/two-factor/enrol")
    assert 'id="totp-secret"' in fresh.get("/staff/two-factor/enrol").get_data(as_text=True)


def test_a_session_whose_second_factor_vanished_under_it_is_sent_to_the_password(
    app: Any,
) -> None:
    """However the second factor went (a reset racing the request, a hand edit of the
    database), an open session of a physician is never enough to set up a new one."""
    make_staff(app)
    physician = app.test_client()
    login(physician, "tx@test")
    with sessions_of(app).begin() as db:
        db.execute(
            update(StaffUser)
            .where(StaffUser.email == "tx@test")
            .values(totp_secret=None, totp_enabled_at=None, totp_last_step=None)
        )
    assert signed_out(physician.get("/staff/two-factor/enrol"))
    assert totp_secret(app, "tx@test") is None
    assert signed_out(physician.get("/staff/physician"))  # and it is over
    assert signed_out(physician.get("/staff/two-factor/enrol"))


def test_enrolling_from_a_signed_in_session_asks_for_the_password(app: Any) -> None:
    make_staff(app)
    coordinator = app.test_client()
    login(coordinator, "coord@test")
    page = coordinator.get("/staff/two-factor/enrol").get_data(as_text=True)
    assert 'type="password"' in page and "Your password" in page
    secret = totp_secret(app, "coord@test")
    assert secret is not None
    token = csrf(coordinator, "/staff/two-factor/enrol")

    def confirm(**password: str) -> Any:
        code = pyotp.TOTP(secret).now()
        return coordinator.post(
            "/staff/two-factor/enrol", data={"code": code, "csrf_token": token, **password}
        )

    missing = confirm()
    assert missing.status_code == 400 and "setting up two-factor sign-in needs it" in (
        missing.get_data(as_text=True)
    )
    wrong = confirm(password="not the password at all")
    assert wrong.status_code == 400 and "Your password is not right" in wrong.get_data(as_text=True)
    with sessions_of(app)() as db:
        user = db.scalars(select(StaffUser).where(StaffUser.email == "coord@test")).one()
        assert user.totp_enabled_at is None and user.failed_logins == 1  # counted
    assert confirm(password=PASSWORD).status_code == 200
    with sessions_of(app)() as db:
        user = db.scalars(select(StaffUser).where(StaffUser.email == "coord@test")).one()
        assert user.totp_enabled_at is not None


# --- a password change -----------------------------------------------------------------------


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app: Any) -> None:
    make_staff(app)
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "coord@test")
    login(elsewhere, "coord@test")

    changed = change_password(here, PASSWORD, NEW_PASSWORD)
    assert changed.status_code == 302

    still_in = here.get("/staff/queue")
    assert still_in.status_code == 200 and "Your password was changed" in still_in.get_data(
        as_text=True
    )
    assert signed_out(elsewhere.get("/staff/queue"))
    assert login(app.test_client(), "coord@test").status_code == 401  # the old password
    assert (
        login(app.test_client(), "coord@test", NEW_PASSWORD)
        .headers["Location"]
        .endswith("/staff/queue")
    )
    with sessions_of(app)() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "password_changed")).one()
    assert entry.actor == "coordinator:coord@test" and PASSWORD not in str(entry.detail)


def test_a_wrong_current_password_changes_nothing(app: Any) -> None:
    make_staff(app)
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "coord@test")
    login(elsewhere, "coord@test")
    refused = change_password(here, "not my password at all", NEW_PASSWORD)
    assert refused.status_code == 400
    assert "Your current password is not right" in refused.get_data(as_text=True)
    short = change_password(here, PASSWORD, "short", "short")
    assert "at least 12 characters" in short.get_data(as_text=True)
    unequal = change_password(here, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert "not the same" in unequal.get_data(as_text=True)
    assert elsewhere.get("/staff/queue").status_code == 200
    assert login(app.test_client(), "coord@test").headers["Location"].endswith("/staff/queue")


def test_a_password_set_on_the_command_line_ends_every_session(app: Any) -> None:
    make_staff(app)
    browser = app.test_client()
    login(browser, "coord@test")
    result = app.test_cli_runner().invoke(
        args=["staff", "set-password", "coord@test", "--password", NEW_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert signed_out(browser.get("/staff/queue"))
    assert login(app.test_client(), "coord@test", NEW_PASSWORD).status_code == 302
    short = app.test_cli_runner().invoke(
        args=["staff", "set-password", "coord@test", "--password", "short"]
    )
    assert short.exit_code == 1 and "at least 12 characters" in short.output


# --- the absolute lifetime -------------------------------------------------------------------


def signed_in_ago(app: Any, email: str, ago: timedelta) -> None:
    """Move the sign-in back in time, as the idle-timeout test moves the last activity."""
    with sessions_of(app).begin() as db:
        db.execute(
            update(StaffSession)
            .where(StaffSession.staff_id == staff_id(app, email))
            .values(signed_in_at=utcnow() - ago)
        )


def test_a_session_ends_twelve_hours_after_sign_in_however_active(app: Any) -> None:
    make_staff(app)
    browser = app.test_client()
    login(browser, "coord@test")
    assert SESSION_LIFETIME == timedelta(hours=12)

    signed_in_ago(app, "coord@test", SESSION_LIFETIME - timedelta(minutes=1))
    assert browser.get("/staff/queue").status_code == 200  # active a minute ago: still in

    signed_in_ago(app, "coord@test", SESSION_LIFETIME + timedelta(minutes=1))
    assert signed_out(browser.get("/staff/queue"))
    assert login_page_says(browser, "signed out 12 hours after signing in")
    assert signed_out(browser.get("/staff/queue"))
    assert browser.get("/api/v1/queue").status_code == 401
