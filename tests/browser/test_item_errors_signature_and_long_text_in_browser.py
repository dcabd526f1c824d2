"""Issue 18, items 4, 5 and 9 in a real browser on a 390 px phone, in English and Spanish:
errors that name their goal or medication, a signature typed without accents, and the live
character count (typing, a paste over the limit, the error that keeps it all, no JavaScript)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    LOCALES,
    PHONE,
    fits_the_phone,
    screenshot,
    serving,
    share_session,
)
from tests.web.intake_client import ABOUT, complete_until

TOO_LONG = "The rash comes and goes. " * 200  # 5,000 characters

WORDS = {
    "en": {
        "goals": ["Sleep", "Pain", "Mood"],
        "save": "Save and continue",
        "submit": "Submit my intake",
        "named_goals": [
            "Sleep: choose how much it affects you, from 0 to 10.",
            "Pain: choose how much it affects you, from 0 to 10.",
            "Mood: choose how much it affects you, from 0 to 10.",
        ],
        "named_medications": [
            "Percocet: say when you stopped taking it.",
            "Medication 2: enter the medication name, or remove this row.",
            "Norco: say when you stopped taking it.",
        ],
        "limit": "You can enter up to 4,000 characters",
        "untouched": "You have 4,000 characters remaining",
        "typed": "You have 3,995 characters remaining",
        "over": "You have 1,000 characters too many",
        "error": "Notes must be 4,000 characters or fewer; you have 5,000.",
        "signature": "Type your full name as your signature",
        "received": "Thank you, we received your intake",
    },
    "es": {
        "goals": ["Sueño", "Dolor", "Estado de ánimo"],
        "save": "Guardar y continuar",
        "submit": "Enviar mi formulario",
        "named_goals": [
            "Sueño: elija cuánto le afecta, de 0 a 10.",
            "Dolor: elija cuánto le afecta, de 0 a 10.",
            "Estado de ánimo: elija cuánto le afecta, de 0 a 10.",
        ],
        "named_medications": [
            "Percocet: indique cuándo dejó de tomarlo.",
            "Medicamento 2: escriba el nombre del medicamento o elimine esta fila.",
            "Norco: indique cuándo dejó de tomarlo.",
        ],
        "limit": "Puede escribir hasta 4.000 caracteres",
        "untouched": "Le quedan 4.000 caracteres",
        "typed": "Le quedan 3.995 caracteres",
        "over": "Tiene 1.000 caracteres de más",
        "error": "Las notas deben tener 4.000 caracteres como máximo; usted escribió 5.000.",
        "signature": "Escriba su nombre completo como firma",
        "received": "Gracias, hemos recibido su formulario",
    },
}


@pytest.fixture
def base(app: Any) -> Iterator[str]:
    with serving(app) as url:
        yield url


def phone_at(
    browser: Any,
    app: Any,
    base: str,
    language: str,
    last_step: str,
    about: dict[str, str] | None = None,
    javascript: bool = True,
) -> Any:
    """A phone whose patient answered every step up to ``last_step`` in ``language``."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = LOCALES[language]
    complete_until(client, last_step, about=about)
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        locale=LOCALES[language],
        java_script_enabled=javascript,
    )
    share_session(context, client, base)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.mark.parametrize("language", ["en", "es"])
def test_goals_and_medications_errors_name_their_item(
    browser: Any, app: Any, base: str, language: str
) -> None:
    words = WORDS[language]
    page = phone_at(browser, app, base, language, "history")
    page.goto(f"{base}/intake/goals")
    for goal in words["goals"]:
        page.get_by_label(goal, exact=True).check()
    page.get_by_role("button", name=words["save"]).click()
    summary = page.get_by_role("alert")
    for message in words["named_goals"]:
        expect(summary.get_by_role("link", name=message)).to_be_visible()
        expect(page.locator(".goal .field-error", has_text=message)).to_be_visible()
    expect(summary).to_be_focused()
    fits_the_phone(page)
    screenshot(page, f"issue18-04-named-errors-goals-{language}-390")

    page.goto(f"{base}/intake/medications")
    page.locator("#rows-0-name").fill("Percocet")
    page.locator("#rows-0-status").select_option("stopped")
    page.locator("button[value=add]").click()
    page.locator("#rows-1-dose").fill("10 mg")
    page.locator("button[value=add]").click()
    page.locator("#rows-2-name").fill("Norco")
    page.locator("#rows-2-status").select_option("stopped")
    page.get_by_role("button", name=words["save"]).click()
    summary = page.get_by_role("alert")
    for message in words["named_medications"]:
        expect(summary.get_by_role("link", name=message)).to_be_visible()
        expect(page.locator(".row-card .field-error", has_text=message)).to_be_visible()
    # A summary link takes the patient to the field it names.
    summary.get_by_role("link", name=words["named_medications"][2]).click()
    expect(page.locator("#rows-2-stopped_on")).to_be_in_viewport()
    fits_the_phone(page)
    screenshot(page, f"issue18-04-named-errors-medications-{language}-390")
    page.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_signature_typed_without_accents_is_accepted(
    browser: Any, app: Any, base: str, language: str
) -> None:
    words = WORDS[language]
    rosa = {**ABOUT, "first_name": "Rosa", "last_name": "Hernández", "email": "rosa@example.org"}
    page = phone_at(browser, app, base, language, "ketosis", about=rosa)
    page.goto(f"{base}/intake/review")
    for consent in ("consent_accurate", "consent_review", "consent_contact"):
        page.locator(f"#{consent}").check()
    page.get_by_label(words["signature"]).fill("rosa hernandez")
    page.get_by_label(words["signature"]).scroll_into_view_if_needed()
    screenshot(page, f"issue18-05-signature-without-accents-{language}-390")
    page.get_by_role("button", name=words["submit"]).click()
    expect(page.get_by_role("heading", name=words["received"])).to_be_visible()
    screenshot(page, f"issue18-05-signature-accepted-{language}-390")
    page.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_live_count_then_a_paste_over_the_limit_then_the_error_keeping_it_all(
    browser: Any, app: Any, base: str, language: str
) -> None:
    words = WORDS[language]
    page = phone_at(browser, app, base, language, "history")
    page.goto(f"{base}/intake/history")
    notes = page.locator("#notes")
    status = page.locator(".character-count-status")
    spoken = page.locator("#notes ~ [aria-live=polite]")
    # The limit stays for screen readers (described by), the count shows on screen.
    assert "notes-info" in notes.get_attribute("aria-describedby")
    expect(page.locator("#notes-info")).to_have_text(words["limit"])
    expect(status).to_have_text(words["untouched"])

    notes.press_sequentially("Hello")
    expect(status).to_have_text(words["typed"])
    expect(status).to_have_attribute("aria-hidden", "true")
    # A screen reader hears the count once typing pauses.
    expect(spoken).to_have_text(words["typed"])
    fits_the_phone(page)
    screenshot(page, f"issue18-09-count-{language}-390")

    notes.fill("")
    notes.focus()
    page.keyboard.insert_text(TOO_LONG)  # a paste: nothing cut
    expect(status).to_have_text(words["over"])
    expect(status).to_have_class("hint character-count-status character-count-status--over")
    assert len(notes.input_value()) == 5000
    screenshot(page, f"issue18-09-over-limit-{language}-390")

    page.get_by_role("button", name=words["save"]).click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name=words["error"])).to_be_visible()
    expect(page.locator("#notes-error")).to_contain_text(words["error"])
    assert page.locator("#notes").input_value() == TOO_LONG
    expect(page.locator(".character-count-status")).to_have_text(words["over"])
    fits_the_phone(page)
    screenshot(page, f"issue18-09-too-long-error-{language}-390")
    page.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_without_javascript_the_limit_is_said_and_the_error_keeps_the_text(
    browser: Any, app: Any, base: str, language: str
) -> None:
    words = WORDS[language]
    page = phone_at(browser, app, base, language, "history", javascript=False)
    page.goto(f"{base}/intake/history")
    expect(page.get_by_text(words["limit"])).to_be_visible()
    page.locator("#notes").fill(TOO_LONG)
    page.get_by_role("button", name=words["save"]).click()
    expect(page.locator("#notes-error")).to_contain_text(words["error"])
    expect(page.get_by_text(words["limit"])).to_be_visible()
    assert page.locator("#notes").input_value() == TOO_LONG
    page.locator("#notes").scroll_into_view_if_needed()
    screenshot(page, f"issue18-09-no-javascript-{language}-390")
    page.context.close()
