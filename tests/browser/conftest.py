"""Browser tests: Debian's chromium driven by Playwright against the app served on 127.0.0.1,
with a real Celery worker behind it. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve the app on a free port of 127.0.0.1, in a thread; yields its base URL, which is
    also the app's PUBLIC_URL meanwhile (the links its pages and messages show open in it)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    services = app.extensions["ldn"]
    app.extensions["ldn"] = dataclasses.replace(
        services, settings=dataclasses.replace(services.settings, public_url=base)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    thread.join(timeout=10)
    app.extensions["ldn"] = services


@pytest.fixture
def live_server(app: Any, worker: Any) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, in a thread, with the test worker running."""
    with serving(app) as base:
        yield base


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in_staff(page: Any, base: str, app: Any, email: str) -> None:
    """Sign in as the staff tests' accounts do: the password, then for an enrolled account the
    code from its authenticator secret (tests.staff.helpers.next_code)."""
    from tests.staff.helpers import PASSWORD, RECOVERY_CODES, next_code

    page.goto(f"{base}/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if page.url.endswith("/staff/login/code"):
        code = next_code(app, email)
        if code is None:  # every code of this moment was used: a recovery code instead
            page.get_by_role("link", name="Use a recovery code").click()
            code = RECOVERY_CODES[(app.extensions["ldn"].settings.database_url, email)].pop()
            page.get_by_label("Recovery code").fill(code)
        else:
            page.get_by_label("Code from your authenticator app").fill(code)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()


def share_session(context: Any, client: Any, base: str) -> None:
    """Give a browser context the session a Flask test client holds (a patient's draft, or a
    staff member signed in through tests.staff.helpers.login), so a browser test starts where
    the client left off without typing its way there."""
    name = client.application.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None, f"the test client holds no {name} cookie"
    context.add_cookies([{"name": name, "value": cookie.value, "url": base}])


# A phone as issue 18's checks hold the patient pages to: 390 px wide, in either language.
PHONE = {"width": 390, "height": 844}
LOCALES = {"en": "en-US", "es": "es-MX"}


def fits_the_phone(page: Any) -> None:
    """The page does not scroll sideways on the phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


def open_care_team_link(page: Any, link: str, born: str = "1980-04-02") -> None:
    """Open the care team's link (/intake/amend) as its patient does in a browser new to the
    intake: the date of birth first (issue 18, item 11), then the amend step."""
    page.goto(link)
    if "/intake/check" not in page.url:
        return
    year, month, day = born.split("-")
    for part, typed in (("month", month), ("day", day), ("year", year)):
        page.locator(f"#date_of_birth-{part}").fill(str(int(typed)))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/intake/amend/**")
