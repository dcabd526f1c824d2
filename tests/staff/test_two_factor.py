"""Two-factor sign-in: enrolment (forced for physicians and admins, voluntary for coordinators),
the code after the password, replays, the lock-out, recovery codes, the reset, and a secret
that is never shown again once enrolment is confirmed."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from sqlalchemy import select

from tests.staff.helpers import (
    PASSWORD,
    RECOVERY_CODES,
    csrf,
    login,
    make_staff,
    next_code,
    routed_case,
    totp_secret,
)
from workflows.platform.orm import utcnow
from workflows.staff.accounts import (
    MAX_FAILED_LOGINS,
    TooManyFailedLogins,
    authenticate,
    create_staff,
)
from workflows.staff.models import AuditEntry, RecoveryCode, Role, StaffUser
from workflows.staff.two_factor import (
    RECOVERY_CODE_COUNT,
    WrongCode,
    confirm_enrolment,
    sign_in_with_code,
    sign_in_with_recovery_code,
    start_enrolment,
    time_step,
)

SECRET_ON_PAGE = re.compile(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<')
RECOVERY_CODE_ON_PAGE = re.compile(r"<li>([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})</li>")


def sessions_of(app: Any) -> Any:
    return app.extensions["ldn"].sessions


def box_of(app: Any) -> Any:
    return app.extensions["ldn"].totp_secrets


def staff(app: Any, email: str) -> StaffUser:
    with sessions_of(app)() as db:
        user = db.scalars(select(StaffUser).where(StaffUser.email == email)).one()
        db.expunge(user)
        return user


def password_step(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf_token": csrf(client, "/staff/login")},
    )


def post_code(client: Any, path: str, code: str, **extra: str) -> Any:
    return client.post(path, data={"code": code, "csrf_token": csrf(client, path), **extra})


def wrong_code(secret: str) -> str:
    """A 6-digit code that no step near now produces: wrong for certain, never by luck."""
    step = time_step(utcnow())
    near = {pyotp.TOTP(secret).generate_otp(s) for s in range(step - 3, step + 4)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in near)


def enrol_in_the_browser_way(client: Any) -> tuple[str, list[str], Any]:
    """Read the secret from the enrolment page, confirm with a code made from it; returns the
    secret, the recovery codes shown and the page that showed them."""
    page = client.get("/staff/two-factor/enrol").get_data(as_text=True)
    secret = SECRET_ON_PAGE.search(page).group(1).replace(" ", "")
    # The password is asked only when enrolling from a signed-in session (ignored otherwise).
    confirmed = post_code(
        client, "/staff/two-factor/enrol", pyotp.TOTP(secret).now(), password=PASSWORD
    )
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    shown = confirmed.get_data(as_text=True)
    return secret, RECOVERY_CODE_ON_PAGE.findall(shown), confirmed


def actions(app: Any) -> list[str]:
    with sessions_of(app)() as db:
        return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- enrolment -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "landing"), [(Role.PHYSICIAN, "/staff/physician"), (Role.ADMIN, "/staff/queue")]
)
def test_physicians_and_admins_must_enrol_before_they_reach_anything(
    app: Any, role: Role, landing: str
) -> None:
    create_staff(sessions_of(app), "new@test", "New Person", role, PASSWORD, ["TX"], 5)
    client = app.test_client()
    response = password_step(client, "new@test")
    assert response.headers["Location"].endswith("/staff/two-factor/enrol")
    for path in (landing, "/staff/account", "/staff/cases/LDN-AAAA-BBBB", "/staff/dashboard"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and "/staff/login" in blocked.headers["Location"]
    assert client.get("/api/v1/queue").status_code == 401

    page = client.get("/staff/two-factor/enrol").get_data(as_text=True)
    assert "Physicians and admins sign in with a password and a code" in page
    assert "<svg" in page and "otpauth://totp/" in page and "style=" not in page

    secret, codes, shown = enrol_in_the_browser_way(client)
    assert len(codes) == RECOVERY_CODE_COUNT == len(set(codes))
    assert "This is the only time they are shown" in shown.get_data(as_text=True)
    assert client.get(landing).status_code == 200
    user = staff(app, "new@test")
    assert user.totp_enabled_at is not None and totp_secret(app, "new@test") == secret
    assert "two_factor_enabled" in actions(app)


def test_a_coordinator_is_not_forced_and_may_enrol_from_the_account_page(client: Any) -> None:
    make_staff(client.application)
    assert login(client, "coord@test").headers["Location"].endswith("/staff/queue")
    account = client.get("/staff/account").get_data(as_text=True)
    assert "Off." in account and "It is optional for your role" in account

    enrol_in_the_browser_way(client)
    assert "Recovery codes left: <strong>10</strong>" in client.get("/staff/account").get_data(
        as_text=True
    )
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/queue")})
    response = password_step(client, "coord@test")
    assert response.headers["Location"].endswith("/staff/login/code")


def test_a_wrong_code_does_not_confirm_the_enrolment(app: Any) -> None:
    staff_id = create_staff(sessions_of(app), "dr@test", "Dr. New", Role.PHYSICIAN, PASSWORD)
    client = app.test_client()
    password_step(client, "dr@test")
    page = client.get("/staff/two-factor/enrol").get_data(as_text=True)
    secret = SECRET_ON_PAGE.search(page).group(1).replace(" ", "")
    refused = post_code(client, "/staff/two-factor/enrol", wrong_code(secret))
    assert refused.status_code == 400 and "That code is not right" in refused.get_data(as_text=True)
    # the same secret again, so the account already added to the app still works
    assert secret in refused.get_data(as_text=True).replace(" ", "")
    assert staff(app, "dr@test").totp_enabled_at is None
    with sessions_of(app)() as db:
        assert db.scalars(select(RecoveryCode).where(RecoveryCode.staff_id == staff_id)).all() == []


def test_the_secret_is_never_shown_again_after_enrolment(
    app: Any, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    case = routed_case(app, base_intake).public_id
    pages = {
        "physician": ["/staff/physician", f"/staff/cases/{case}"],
        "admin": [
            "/staff/queue",
            "/staff/dashboard",
            "/staff/admin/audit",
            f"/staff/cases/{case}",
        ],
    }
    for role, paths in pages.items():
        create_staff(sessions_of(app), f"{role}-new@test", "New", Role(role), PASSWORD, ["TX"], 5)
        client = app.test_client()
        password_step(client, f"{role}-new@test")
        secret, _, _ = enrol_in_the_browser_way(client)
        uri_secret = f"secret={secret}"
        for path in [*paths, "/staff/account", "/staff/", "/staff/login"]:
            page = client.get(path, follow_redirects=True).get_data(as_text=True)
            assert secret not in page.replace(" ", ""), path
            assert uri_secret not in page and "otpauth://" not in page, path
        again = client.get("/staff/two-factor/enrol", follow_redirects=True)
        assert "already on" in again.get_data(as_text=True)
        assert secret not in again.get_data(as_text=True).replace(" ", "")
    with sessions_of(app)() as db:
        details = " ".join(str(d) for d in db.scalars(select(AuditEntry.detail)))
    assert "secret" not in details.lower()


# --- signing in with a code ------------------------------------------------------------------


def test_an_enrolled_physician_is_signed_in_only_after_the_code(client: Any) -> None:
    app = client.application
    make_staff(app)
    response = password_step(client, "tx@test")
    assert response.headers["Location"].endswith("/staff/login/code")
    assert client.get("/staff/physician").status_code == 302  # the password alone is not enough
    assert client.get("/api/v1/queue").status_code == 401

    page = client.get("/staff/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and "Use a recovery code" in page
    signed_in = post_code(client, "/staff/login/code", next_code(app, "tx@test"))
    assert signed_in.headers["Location"].endswith("/staff/physician")
    assert client.get("/staff/physician").status_code == 200
    with sessions_of(app)() as db:
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "signed_in_two_factor")
        ).one()
    assert entry.actor == "physician:tx@test" and entry.detail == {"method": "authenticator"}


def test_the_code_step_keeps_the_page_asked_for_before_the_sign_in(app: Any) -> None:
    make_staff(app)
    client = app.test_client()
    client.post(
        "/staff/login?next=/staff/admin/audit",
        data={
            "email": "admin@test",
            "password": PASSWORD,
            "csrf_token": csrf(client, "/staff/login"),
        },
    )
    done = post_code(client, "/staff/login/code", next_code(app, "admin@test"))
    assert done.headers["Location"].endswith("/staff/admin/audit")


def test_a_code_is_refused_the_second_time(app: Any) -> None:
    make_staff(app)
    client = app.test_client()
    password_step(client, "tx@test")
    code = next_code(app, "tx@test")
    assert post_code(client, "/staff/login/code", code).status_code == 302
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/physician")})

    password_step(client, "tx@test")
    replayed = post_code(client, "/staff/login/code", code)
    assert replayed.status_code == 401
    assert "used already" in replayed.get_data(as_text=True)
    assert client.get("/staff/physician").status_code == 302


def test_a_code_one_step_old_is_accepted_and_two_steps_old_is_not(app: Any) -> None:
    make_staff(app)
    user = staff(app, "il@test")
    totp = pyotp.TOTP(totp_secret(app, "il@test"))
    later = utcnow() + timedelta(minutes=10)  # past every step the enrolment used
    step = time_step(later)
    with pytest.raises(WrongCode):
        sign_in_with_code(
            sessions_of(app), box_of(app), user.id, totp.generate_otp(step - 2), now=later
        )
    sign_in_with_code(
        sessions_of(app), box_of(app), user.id, totp.generate_otp(step - 1), now=later
    )
    sign_in_with_code(
        sessions_of(app), box_of(app), user.id, totp.generate_otp(step + 1), now=later
    )
    with pytest.raises(WrongCode):  # a step before the last one used is a replay too
        sign_in_with_code(
            sessions_of(app), box_of(app), user.id, totp.generate_otp(step), now=later
        )


def test_wrong_codes_count_toward_the_lock_out_and_a_right_password_does_not_reset_them(
    app: Any,
) -> None:
    make_staff(app)
    secret = totp_secret(app, "tx@test")
    client = app.test_client()
    password_step(client, "tx@test")
    for _ in range(2):
        refused = post_code(client, "/staff/login/code", wrong_code(secret))
        assert refused.status_code == 401 and "That code is not right" in refused.get_data(
            as_text=True
        )
    assert staff(app, "tx@test").failed_logins == 2
    password_step(client, "tx@test")  # starting again does not wipe the count
    assert staff(app, "tx@test").failed_logins == 2
    for _ in range(MAX_FAILED_LOGINS - 3):
        post_code(client, "/staff/login/code", wrong_code(secret))
    locked = post_code(client, "/staff/login/code", wrong_code(secret))
    assert locked.status_code == 302 and locked.headers["Location"].endswith("/staff/login")
    assert "This account is locked" in client.get("/staff/login").get_data(as_text=True)
    # even the right password and code wait out the 15 minutes
    again = password_step(client, "tx@test")
    assert again.status_code == 401 and "locked" in again.get_data(as_text=True)
    with pytest.raises(TooManyFailedLogins):
        sign_in_with_code(
            sessions_of(app), box_of(app), staff(app, "tx@test").id, next_code(app, "tx@test")
        )
    assert authenticate(sessions_of(app), "tx@test", PASSWORD, now=utcnow() + timedelta(minutes=16))
    assert "two_factor_refused" in actions(app)


def test_a_right_code_clears_the_count_of_failures(app: Any) -> None:
    make_staff(app)
    secret = totp_secret(app, "tx@test")
    client = app.test_client()
    password_step(client, "tx@test")
    post_code(client, "/staff/login/code", wrong_code(secret))
    post_code(client, "/staff/login/code", next_code(app, "tx@test"))
    assert staff(app, "tx@test").failed_logins == 0


def test_the_code_step_needs_a_password_first_and_expires_after_five_minutes(app: Any) -> None:
    make_staff(app)
    client = app.test_client()
    assert client.get("/staff/login/code").headers["Location"].endswith("/staff/login")
    password_step(client, "tx@test")
    with client.session_transaction() as session:
        session["staff_pending"]["since"] = (utcnow() - timedelta(minutes=6)).timestamp()
    expired = client.get("/staff/login/code")
    assert expired.status_code == 302 and expired.headers["Location"].endswith("/staff/login")


# --- recovery codes --------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once(app: Any) -> None:
    make_staff(app)
    code = RECOVERY_CODES[(app.extensions["ldn"].settings.database_url, "tx@test")][0]
    client = app.test_client()
    password_step(client, "tx@test")
    typed = code.lower().replace("-", " ")  # as read off paper: case and spacing do not matter
    used = post_code(client, "/staff/login/recovery", typed)
    assert used.headers["Location"].endswith("/staff/physician")
    assert "recovery code; 9 left" in client.get("/staff/physician").get_data(as_text=True)
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/physician")})

    password_step(client, "tx@test")
    again = post_code(client, "/staff/login/recovery", code)
    assert again.status_code == 401 and "used already" in again.get_data(as_text=True)
    assert {"recovery_code_used", "two_factor_refused"} <= set(actions(app))


def test_recovery_codes_are_stored_only_as_hashes(app: Any) -> None:
    make_staff(app)
    codes = RECOVERY_CODES[(app.extensions["ldn"].settings.database_url, "admin@test")]
    with sessions_of(app)() as db:
        stored = list(db.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == 4 * RECOVERY_CODE_COUNT  # the admin and three physicians
    for code in codes:
        assert not any(code.replace("-", "") in hashed for hashed in stored)


def test_new_recovery_codes_need_a_current_code_and_replace_the_old_ones(app: Any) -> None:
    make_staff(app)
    key = (app.extensions["ldn"].settings.database_url, "tx@test")
    old_code, spent = RECOVERY_CODES[key][0], RECOVERY_CODES[key][-1]
    client = app.test_client()
    password_step(client, "tx@test")
    # in with a recovery code, so that a code of this very step is left for the form below
    post_code(client, "/staff/login/recovery", spent)
    secret = totp_secret(app, "tx@test")
    refused = client.post(
        "/staff/account/recovery-codes",
        data={"regenerate-code": wrong_code(secret), "csrf_token": csrf(client, "/staff/account")},
    )
    assert refused.status_code == 302
    assert "No new codes: That code is not right" in client.get("/staff/account").get_data(
        as_text=True
    )

    made = client.post(
        "/staff/account/recovery-codes",
        data={
            "regenerate-code": next_code(app, "tx@test"),
            "csrf_token": csrf(client, "/staff/account"),
        },
    )
    new_codes = RECOVERY_CODE_ON_PAGE.findall(made.get_data(as_text=True))
    assert len(new_codes) == RECOVERY_CODE_COUNT and old_code not in new_codes
    user_id = staff(app, "tx@test").id
    with pytest.raises(WrongCode):
        sign_in_with_recovery_code(sessions_of(app), user_id, old_code)
    assert sign_in_with_recovery_code(sessions_of(app), user_id, new_codes[0]) == 9
    with pytest.raises(WrongCode):
        sign_in_with_recovery_code(sessions_of(app), user_id, spent)
    assert "recovery_codes_regenerated" in actions(app)


# --- reset -----------------------------------------------------------------------------------


def test_the_cli_resets_two_factor_and_the_physician_enrols_again(app: Any) -> None:
    make_staff(app)
    signed_in = app.test_client()
    login(signed_in, "tx@test")
    result = app.test_cli_runner().invoke(args=["staff", "reset-2fa", "TX@test"])
    assert result.exit_code == 0, result.output
    assert "they set it up at their next sign-in" in result.output
    user = staff(app, "tx@test")
    assert user.totp_secret is None and user.totp_enabled_at is None
    with sessions_of(app)() as db:
        assert not db.scalars(select(RecoveryCode).where(RecoveryCode.staff_id == user.id)).all()
        reset = db.scalars(select(AuditEntry).where(AuditEntry.action == "two_factor_reset")).one()
    assert reset.detail == {"account": "tx@test", "by": "cli", "was_enabled": True}

    # a session opened before the reset is over (tests/security/test_sessions.py); the next
    # sign-in, after the password, enrols
    assert "/staff/login" in signed_in.get("/staff/physician").headers["Location"]
    fresh = app.test_client()
    assert password_step(fresh, "tx@test").headers["Location"].endswith("/staff/two-factor/enrol")


def test_an_admin_resets_a_physicians_two_factor_from_the_staff_page(app: Any) -> None:
    make_staff(app)
    admin = app.test_client()
    login(admin, "admin@test")
    page = admin.get("/staff/admin/staff").get_data(as_text=True)
    assert "tx@test" in page and "Reset two-factor sign-in of tx@test" in page
    assert "off (optional)" in page  # the coordinator
    user_id = staff(app, "tx@test").id
    token = csrf(admin, "/staff/admin/staff")
    assert admin.post(f"/staff/admin/staff/{user_id}/reset-2fa").status_code == 400  # no CSRF
    done = admin.post(f"/staff/admin/staff/{user_id}/reset-2fa", data={"csrf_token": token})
    assert done.status_code == 302
    page = admin.get("/staff/admin/staff").get_data(as_text=True)
    assert "they set it up at their next sign-in" in page and "asked at next sign-in" in page
    with sessions_of(app)() as db:
        reset = db.scalars(select(AuditEntry).where(AuditEntry.action == "two_factor_reset")).one()
    assert reset.actor == "admin:admin@test" and reset.detail["by"] == "admin"
    assert (
        password_step(app.test_client(), "tx@test")
        .headers["Location"]
        .endswith("/staff/two-factor/enrol")
    )


def test_only_admins_may_reset_two_factor(app: Any) -> None:
    make_staff(app)
    coordinator = app.test_client()
    login(coordinator, "coord@test")
    token = csrf(coordinator, "/staff/queue")
    user_id = staff(app, "tx@test").id
    refused = coordinator.post(
        f"/staff/admin/staff/{user_id}/reset-2fa", data={"csrf_token": token}
    )
    assert refused.status_code == 403
    assert staff(app, "tx@test").totp_enabled_at is not None


def test_the_cli_names_an_unknown_account(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["staff", "reset-2fa", "nobody@test"])
    assert result.exit_code == 1 and "there is no staff account nobody@test" in result.output


# --- forms and limits ------------------------------------------------------------------------


def test_the_two_factor_forms_need_the_csrf_token(app: Any) -> None:
    create_staff(sessions_of(app), "dr@test", "Dr. New", Role.PHYSICIAN, PASSWORD)
    make_staff(app)
    enrolling = app.test_client()
    password_step(enrolling, "dr@test")
    assert enrolling.post("/staff/two-factor/enrol", data={"code": "123456"}).status_code == 400

    pending = app.test_client()
    password_step(pending, "tx@test")
    for path in ("/staff/login/code", "/staff/login/recovery"):
        assert pending.post(path, data={"code": "123456"}).status_code == 400

    signed_in = app.test_client()
    login(signed_in, "il@test")
    refused = signed_in.post("/staff/account/recovery-codes", data={"regenerate-code": "123456"})
    assert refused.status_code == 400


def test_codes_are_rate_limited_per_address(app: Any) -> None:
    make_staff(app)
    client = app.test_client()
    password_step(client, "tx@test")
    token = csrf(client, "/staff/login/code")
    codes = [
        client.post("/staff/login/code", data={"code": "12", "csrf_token": token}).status_code
        for _ in range(11)
    ]
    assert codes[-1] == 429 and 429 not in codes[:10]


def test_an_enrolment_reloaded_keeps_its_secret_until_confirmed(app: Any) -> None:
    staff_id = create_staff(sessions_of(app), "dr@test", "Dr. New", Role.PHYSICIAN, PASSWORD)
    enrolment = start_enrolment(sessions_of(app), box_of(app), staff_id)
    assert (
        start_enrolment(sessions_of(app), box_of(app), staff_id) == enrolment
    )  # a reload: the same secret
    with pytest.raises(WrongCode):
        confirm_enrolment(sessions_of(app), box_of(app), staff_id, wrong_code(enrolment.secret))
    assert enrolment.uri.startswith("otpauth://totp/") and "issuer=" in enrolment.uri
    assert len(enrolment.grouped_secret.split(" ")) == len(enrolment.secret) // 4
