"""The emailed link opened on a phone that has not been used for the intake, in English and
Spanish at 390 px (issue 18, item 11): the date of birth first, a wrong one counted with the
tries left, the right one opens the answers, and five wrong ones lock the link. The care team's
"needs info" link gets the same check before the steps to change."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import screenshot, serving
from tests.web.intake_client import complete_until
from tests.web.patient_cases import ask_for_information, routed
from workflows.messaging.mail import newest_messages
from workflows.messaging.models import OutboxMessage

WORDS = {
    "en": {
        "heading": "Confirm your date of birth",
        "continue": "Continue",
        "tries": "you can try 4 more times.",
        "step3": "Step 3 of 7",
        "locked": "This link is locked for now",
        "amending": "Updating your intake: part 1 of 1",
    },
    "es": {
        "heading": "Confirme su fecha de nacimiento",
        "continue": "Continuar",
        "tries": "puede intentarlo 4 veces más.",
        "step3": "Paso 3 de 7",
        "locked": "Este enlace está bloqueado por ahora",
        "amending": "Actualización de su formulario: parte 1 de 1",
    },
}


@pytest.fixture
def site(app: Any) -> Iterator[str]:
    with serving(app) as base:
        yield base


def emailed_link(app: Any, base: str, language: str) -> str:
    """A draft made at step 2 by another browser, in ``language``: the link its email gives."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    complete_until(client, "diagnoses")
    [newest, *_] = [
        m for m in newest_messages(app.extensions["ldn"].sessions) if m.kind == "resume_link"
    ]
    token = re.search(r"/intake/resume\?t=(\S+)", newest.body).group(1)
    return f"{base}/intake/resume?t={token}"


def new_phone(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def type_date(page: Any, month: str, day: str, year: str, words: dict[str, str]) -> None:
    for part, typed in (("month", month), ("day", day), ("year", year)):
        page.locator(f"#date_of_birth-{part}").fill(typed)
    page.get_by_role("button", name=words["continue"]).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_new_phone_answers_the_date_of_birth_then_sees_the_answers(
    browser: Any, app: Any, site: str, language: str
) -> None:
    words = WORDS[language]
    link = emailed_link(app, site, language)
    page = new_phone(browser)
    page.goto(link)
    assert page.get_by_role("heading", name=words["heading"]).is_visible()
    assert "?t=" not in page.url  # the check page's address names no token
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"issue18-11-check-{language}-390")

    type_date(page, "4", "3", "1980", words)
    summary = page.get_by_role("alert")
    assert summary.evaluate("node => node === document.activeElement")
    assert words["tries"] in summary.inner_text()
    assert page.locator("#date_of_birth-month").input_value() == ""  # a wrong secret is not kept
    screenshot(page, f"issue18-11-check-error-{language}-390")

    type_date(page, "4", "2", "1980", words)
    page.wait_for_url("**/intake/medications")
    assert page.get_by_text(words["step3"]).is_visible()
    # The same phone opens the link again without being asked, after the browser closed.
    page.context.clear_cookies(name="session")
    page.goto(link)
    page.wait_for_url("**/intake/medications")
    page.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_five_wrong_dates_lock_the_link_with_what_to_do(
    browser: Any, app: Any, site: str, language: str
) -> None:
    words = WORDS[language]
    link = emailed_link(app, site, language)
    page = new_phone(browser)
    page.goto(link)
    for _ in range(5):
        type_date(page, "1", "1", "1990", words)
    assert page.get_by_role("heading", name=words["locked"]).is_visible()
    assert page.locator("input[name^=date_of_birth]").count() == 0
    screenshot(page, f"issue18-11-locked-{language}-390")
    page.context.close()


def amend_link(app: Any, base: str, language: str) -> str:
    """A case submitted through the pages in ``language`` by another browser, on which the care
    team asked about the medications: the link of the patient's message."""
    _client, case_id = routed(app, language)
    ask_for_information(app, case_id)
    with app.extensions["ldn"].sessions() as db:
        [body] = db.scalars(
            select(OutboxMessage.body).where(OutboxMessage.kind == "needs_info")
        ).all()
    token = re.search(r"/intake/amend\?t=(\S+)", body).group(1)
    return f"{base}/intake/amend?t={token}"


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_care_teams_link_on_a_new_phone_asks_the_date_of_birth_then_opens_the_step(
    browser: Any, app: Any, site: str, language: str
) -> None:
    words = WORDS[language]
    link = amend_link(app, site, language)
    page = new_phone(browser)  # a browser set to English: the page follows the patient's
    page.goto(link)
    assert page.get_by_role("heading", name=words["heading"]).is_visible()
    assert page.locator("html").get_attribute("lang") == language
    assert "?t=" not in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"issue18-11-amend-check-{language}-390")

    type_date(page, "4", "3", "1980", words)
    assert words["tries"] in page.get_by_role("alert").inner_text()
    type_date(page, "4", "2", "1980", words)
    page.wait_for_url("**/intake/amend/medications")
    assert page.get_by_text(words["amending"]).is_visible()
    assert page.get_by_text("When did you last take it?").is_visible()  # the care team's words
    screenshot(page, f"issue18-11-amend-after-check-{language}-390")
    # Opened again on this phone, the link goes straight to the step.
    page.context.clear_cookies(name="session")
    page.goto(link)
    page.wait_for_url("**/intake/amend/medications")
    page.context.close()
