"""The date of birth in three boxes on a 390 px phone, in English and Spanish (issue 18,
item 1): a two-digit year is refused by name, only the year box is marked, the summary's link
lands in it, and the corrected date carries the patient to step 2."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, serving

WORDS = {
    "en": {
        "year_error": "Year must be 4 numbers.",
        "missing": "Date of birth must include a month and a year.",
        "next": "Save and continue",
        "step2": "Step 2 of 7",
    },
    "es": {
        "year_error": "El año debe tener 4 cifras.",
        "missing": "La fecha de nacimiento debe incluir el mes y el año.",
        "next": "Guardar y continuar",
        "step2": "Paso 2 de 7",
    },
}


@pytest.fixture
def phone(browser: Any, app: Any) -> Iterator[tuple[Any, str]]:
    with serving(app) as base:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page, base
        context.close()


def fill_the_rest(page: Any) -> None:
    for field, typed in (("first_name", "Zebulon"), ("last_name", "Fogwhistle")):
        page.locator(f"#{field}").fill(typed)
    page.locator("#email").fill("zebulon@example.org")
    page.locator("#state_of_residence").select_option("TX")


def boxes(page: Any) -> dict[str, Any]:
    return {part: page.locator(f"#date_of_birth-{part}") for part in ("month", "day", "year")}


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_two_digit_year_is_named_and_fixed_on_a_phone(
    phone: tuple[Any, str], language: str
) -> None:
    page, base = phone
    words = WORDS[language]
    page.goto(f"{base}/language/{language}?next=/intake/about")
    fill_the_rest(page)
    screenshot(page, f"issue18-01-dob-{language}-390")
    month, day, year = boxes(page).values()
    # Half typed: the message says which parts are missing, and the link lands on the first.
    day.fill("2")
    page.get_by_role("button", name=words["next"]).click()
    page.wait_for_load_state()
    page.get_by_role("alert").get_by_role("link", name=words["missing"]).click()
    expect(month).to_be_focused()
    assert day.get_attribute("aria-invalid") is None
    screenshot(page, f"issue18-01-dob-missing-{language}-390")

    month.fill("4")
    year.fill("85")
    page.get_by_role("button", name=words["next"]).click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert")
    assert summary.evaluate("node => node === document.activeElement")
    assert [box.get_attribute("aria-invalid") for box in (month, day, year)] == [
        None,
        None,
        "true",
    ]
    assert year.input_value() == "85"  # as typed: not 0085, not a guessed 1985
    assert page.locator("#date_of_birth-error").inner_text().endswith(words["year_error"])
    screenshot(page, f"issue18-01-dob-error-{language}-390")
    summary.get_by_role("link", name=words["year_error"]).click()
    expect(year).to_be_focused()
    # The boxes fit the phone's width: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.keyboard.press("Control+A")
    page.keyboard.type("1985")
    page.get_by_role("button", name=words["next"]).click()
    page.wait_for_url("**/intake/diagnoses")
    assert page.get_by_text(words["step2"]).is_visible()
