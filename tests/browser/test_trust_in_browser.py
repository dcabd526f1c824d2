"""Issue 18, items 6, 10 and 12 in a real browser, in English and Spanish on a 390 px phone:
the page of an expired session, the practice's details and the privacy notice, the start page
after submitting (another intake, for a family member) and the confirmation's status link.
Screenshots: issue18-<item>-<what>-<language>-390.png."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import (
    LOCALES,
    PHONE,
    SCREENSHOTS,
    fits_the_phone,
    screenshot,
    serving,
    share_session,
)
from tests.web.intake_client import ABOUT, complete_until
from tests.web.patient_cases import submitted

WORDS = {
    "en": {
        "expired": "This page has expired",
        "continue": "Continue",
        "start_page": "Go to the start page",
        "privacy": "Privacy notice: how we use your information",
        "rights": "Your rights",
        "another": "Start another intake",
        "sent_before": "Intakes sent from this browser",
        "status_link": "Your private status link",
        "keep_private": "Keep it private:",
        "phone": "Phone:",
    },
    "es": {
        "expired": "Esta página ha caducado",
        "continue": "Continuar",
        "start_page": "Ir a la página de inicio",
        "privacy": "Aviso de privacidad: cómo usamos su información",
        "rights": "Sus derechos",
        "another": "Comenzar otro formulario",
        "sent_before": "Formularios enviados desde este navegador",
        "status_link": "Su enlace privado para ver el estado",
        "keep_private": "No lo comparta:",
        "phone": "Teléfono:",
    },
}


class Phone:
    """A page in a 390 px phone's browser that speaks ``language``."""

    def __init__(self, page: Any, language: str) -> None:
        self.page, self.language = page, language

    def __getattr__(self, name: str) -> Any:
        return getattr(self.page, name)


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    language = request.param
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale=LOCALES[language])
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Phone(page, language)
    context.close()


@pytest.mark.parametrize("phone", LOCALES, indirect=True)
def test_an_expired_page_says_what_happened_and_leads_back(app: Any, phone: Any) -> None:
    words = WORDS[phone.language]
    with serving(app) as base:
        phone.goto(f"{base}/intake/about")
        phone.locator("#first_name").fill(ABOUT["first_name"])
        # The session ends (the browser was closed, or left too long) before the form is sent.
        phone.context.clear_cookies()
        phone.locator("button[value=next]:visible").click()
        phone.wait_for_load_state()
        assert phone.get_by_role("heading", name=words["expired"], level=1).is_visible()
        assert "CSRF" not in phone.locator("main").inner_text()
        assert phone.locator("html").get_attribute("lang") == phone.language
        fits_the_phone(phone)
        screenshot(phone.page, f"issue18-06-expired-{phone.language}-390")
        phone.get_by_role("link", name=words["start_page"]).click()
        phone.wait_for_url(f"{base}/")


@pytest.mark.parametrize("phone", ["en"], indirect=True)
def test_an_expired_page_leads_back_to_this_browsers_intake(app: Any, phone: Any) -> None:
    client = app.test_client()
    complete_until(client, "diagnoses")
    with serving(app) as base:
        share_session(phone.context, client, base)
        phone.goto(f"{base}/intake/medications")
        # A form from before the session was replaced: its token no longer matches.
        phone.locator("input[name=csrf_token]").evaluate("input => { input.value = 'stale'; }")
        phone.locator("button[value=next]:visible").click()
        phone.wait_for_load_state()
        assert phone.get_by_role("heading", name="This page has expired").is_visible()
        fits_the_phone(phone)
        screenshot(phone.page, "issue18-06-expired-with-draft-en-390")
        phone.get_by_role("link", name="Continue your intake").click()
        phone.wait_for_url(f"{base}/intake/medications")


@pytest.mark.parametrize("phone", LOCALES, indirect=True)
def test_the_footer_gives_the_practice_and_the_privacy_notice(app: Any, phone: Any) -> None:
    words = WORDS[phone.language]
    with serving(app) as base:
        phone.goto(f"{base}/")
        footer = phone.locator("footer")
        assert footer.get_by_role("link", name="(515) 555-0142").get_attribute("href") == (
            "tel:5155550142"
        )
        assert footer.get_by_role("link", name="care@riverbend.example").get_attribute("href") == (
            "mailto:care@riverbend.example"
        )
        assert words["phone"] in footer.inner_text()
        footer.scroll_into_view_if_needed()
        fits_the_phone(phone)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        footer.screenshot(path=str(SCREENSHOTS / f"issue18-10-footer-{phone.language}-390.png"))
        footer.get_by_role("link", name=words["privacy"]).click()
        phone.wait_for_url(f"{base}/privacy")
        assert phone.get_by_role("heading", name=words["privacy"], level=1).is_visible()
        assert phone.get_by_role("heading", name=words["rights"], level=2).is_visible()
        fits_the_phone(phone)
        screenshot(phone.page, f"issue18-10-privacy-{phone.language}-390")


@pytest.mark.parametrize("phone", LOCALES, indirect=True)
def test_after_submitting_the_done_page_and_another_intake(app: Any, phone: Any) -> None:
    words = WORDS[phone.language]
    client, _ = submitted(app, phone.language)
    with serving(app) as base:
        share_session(phone.context, client, base)
        phone.goto(f"{base}/intake/done")
        link_panel = phone.locator("aside.resume")
        assert link_panel.get_by_role("heading", name=words["status_link"]).is_visible()
        assert words["keep_private"] in link_panel.inner_text()
        assert "/intake/resume?t=" in link_panel.get_by_role("link").first.inner_text()
        fits_the_phone(phone)
        screenshot(phone.page, f"issue18-12-done-{phone.language}-390")

        phone.goto(f"{base}/")
        assert phone.get_by_role("button", name=words["another"]).is_visible()
        fits_the_phone(phone)
        screenshot(phone.page, f"issue18-12-start-after-submitting-{phone.language}-390")
        phone.get_by_role("button", name=words["another"]).click()
        phone.wait_for_url(f"{base}/intake/about")
        assert phone.locator("#first_name").input_value() == ""

        phone.goto(f"{base}/")
        sent = phone.locator("ul.sent-before")
        assert phone.get_by_role("heading", name=words["sent_before"]).is_visible()
        fits_the_phone(phone)
        screenshot(phone.page, f"issue18-12-start-another-started-{phone.language}-390")
        sent.get_by_role("link").click()
        phone.wait_for_url(f"{base}/intake/status/0")
        assert phone.locator(".status-pill").is_visible()
