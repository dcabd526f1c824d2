"""Two-factor enrolment in a real browser: a new physician scans (here: reads) the key, types
a code from it, saves the recovery codes, and signs in with a code next time."""

from __future__ import annotations

from typing import Any

import pyotp
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in_staff
from tests.staff.helpers import PASSWORD, make_staff, next_code
from workflows.staff.accounts import create_staff
from workflows.staff.models import Role


def test_a_new_physician_enrols_at_first_sign_in_and_then_signs_in_with_a_code(
    browser: Any, live_server: str, app: Any
) -> None:
    create_staff(
        app.extensions["ldn"].sessions,
        "dr.new@test",
        "Dr. Nora New",
        Role.PHYSICIAN,
        PASSWORD,
        ["TX"],
        10,
    )
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    refused_by_csp: list[str] = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and refused_by_csp.append(message.text)
        ),
    )

    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Email").fill("dr.new@test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    screenshot(page, "30-staff-two-factor-enrol")

    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        10
    )
    screenshot(page, "31-staff-recovery-codes")
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page.get_by_role("heading", name="Cases for you")).to_be_visible()

    page.get_by_role("link", name="Account").click()
    expect(page.get_by_text("Recovery codes left:")).to_be_visible()
    assert secret not in page.content().replace(" ", "")
    screenshot(page, "33-staff-account")
    page.get_by_role("button", name="Sign out").click()

    page.get_by_label("Email").fill("dr.new@test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    screenshot(page, "32-staff-two-factor-code")
    page.get_by_label("Code from your authenticator app").fill(next_code(app, "dr.new@test"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Cases for you")).to_be_visible()
    assert refused_by_csp == []  # the QR code and the pages need no inline style or script


def test_an_admin_resets_a_lost_phone_from_the_staff_page(
    browser: Any, live_server: str, app: Any
) -> None:
    make_staff(app)
    page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
    page.set_default_timeout(15_000)
    sign_in_staff(page, live_server, app, "admin@test")
    page.get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", name="Staff accounts")).to_be_visible()
    screenshot(page, "34-admin-staff-accounts")
    page.get_by_role("button", name="Reset two-factor sign-in of tx@test").click()
    expect(page.get_by_text("Two-factor sign-in reset for tx@test")).to_be_visible()
    expect(page.get_by_role("button", name="Reset two-factor sign-in of tx@test")).to_have_count(0)


def test_a_coordinator_enrols_with_the_password_and_changes_it(
    browser: Any, live_server: str, app: Any
) -> None:
    """From a signed-in session, a new authenticator needs the password too; a new password
    signs out the account's other browsers and keeps this one."""
    make_staff(app)
    other = browser.new_context().new_page()
    sign_in_staff(other, live_server, app, "coord@test")
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    sign_in_staff(page, live_server, app, "coord@test")
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    expect(page.get_by_label("Your password")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    code = pyotp.TOTP(secret).now()
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("alert")).to_contain_text("Not set up yet")
    expect(page.get_by_label("Code from your authenticator app")).to_have_value(code)  # kept
    screenshot(page, "35-staff-enrol-asks-for-the-password")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    page.get_by_role("link", name="I have saved them, continue").click()

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a brand new passphrase here")
    page.get_by_label("New password again").fill("a brand new passphrase here")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password was changed.")).to_be_visible()
    screenshot(page, "36-staff-password-changed")

    other.reload()
    expect(other.get_by_text("Your session has ended")).to_be_visible()
    expect(other.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    screenshot(other, "37-staff-session-ended")
