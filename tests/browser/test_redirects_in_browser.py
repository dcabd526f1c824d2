"""Issue 18 in a real browser, on a 390 px phone, in English and Spanish.

Item 8: a form sent with errors is answered with a redirect, so Back and Forward only GET pages
(no "Confirm Form Resubmission"). Item 7: "Add another medication" lands on the new row with
focus in its first field, with JavaScript and without; removing a row lands on the row that
took its place and says which was removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, SCREENSHOTS, screenshot, serving, share_session
from tests.web.intake_client import complete_until

# The words that differ between the languages; the rest is found by role or attribute.
WORDS = {
    "en": {
        "first_name": "First name",
        "email": "Email address",
        "removed": "Medication 1 removed.",
    },
    "es": {
        "first_name": "Nombre",
        "email": "Correo electrónico",
        "removed": "Medicamento 1 eliminado.",
    },
}


@pytest.fixture
def base(app: Any) -> Iterator[str]:
    with serving(app) as url:
        yield url


def phone_page(browser: Any, *, javascript: bool = True) -> Any:
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def shot_of_viewport(page: Any, name: str) -> None:
    """What the patient sees where the page landed (a full-page shot would hide it)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.mark.parametrize("language", ["en", "es"])
def test_back_and_forward_after_an_error_page_never_post_again(
    browser: Any, base: str, language: str
) -> None:
    page = phone_page(browser)
    page.goto(f"{base}/language/{language}?next=/intake/about")
    page.get_by_label(WORDS[language]["first_name"]).fill("Zebulon")
    page.get_by_label(WORDS[language]["email"]).fill("not-an-email")
    page.locator("button[value=next]:visible").click()
    page.wait_for_url(f"{base}/intake/about")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # the script still starts a screen reader there
    assert page.title().startswith("Error: ")
    expect(page.get_by_label(WORDS[language]["email"])).to_have_value("not-an-email")
    screenshot(page, f"issue18-08-error-after-redirect-{language}-390")

    # From here on, history navigation: record every request and every dialog.
    methods: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: methods.append(request.method))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    assert page.go_back() is not None
    assert page.url == f"{base}/intake/about"
    forward = page.go_forward()
    assert forward is not None and forward.request.method == "GET" and forward.ok
    assert page.url == f"{base}/intake/about"
    assert "POST" not in methods and dialogs == []
    # The page Forward brings back is the error page, with what was typed.
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.get_by_label(WORDS[language]["email"])).to_have_value("not-an-email")
    page.reload()
    assert "POST" not in methods and dialogs == []
    expect(page.get_by_label(WORDS[language]["first_name"])).to_have_value("Zebulon")
    page.context.close()


@pytest.mark.parametrize(
    ("language", "javascript"),
    [("en", True), ("es", True), ("en", False)],
    ids=["en", "es", "en-no-js"],
)
def test_adding_a_medication_lands_in_the_new_rows_first_field(
    browser: Any, base: str, app: Any, language: str, javascript: bool
) -> None:
    client = app.test_client()
    complete_until(client, "diagnoses")
    page = phone_page(browser, javascript=javascript)
    share_session(page.context, client, base)
    page.goto(f"{base}/language/{language}?next=/intake/medications")
    page.locator("#rows-0-name").fill("Norco 10/325")
    page.locator("button[value=add]").click()
    page.wait_for_url(f"{base}/intake/medications#rows-1-name")
    # The browser focuses a fragment's target after layout, which can come after the load
    # event: wait for it with a deadline rather than read the focus once.
    expect(page.locator("#rows-1-name")).to_be_focused()
    expect(page.locator("#rows-1-name")).to_be_in_viewport(ratio=1)
    # The row's legend shows above it too (scroll-margin), not only the field.
    legend = page.locator("fieldset:has(#rows-1-name) > legend")
    assert legend.evaluate("e => e.getBoundingClientRect().top >= 0")
    expect(page.locator("#rows-0-name")).to_have_value("Norco 10/325")
    page.keyboard.type("aspirin")  # typing goes straight into the new row
    expect(page.locator("#rows-1-name")).to_have_value("aspirin")
    suffix = "-nojs" if not javascript else ""
    shot_of_viewport(page, f"issue18-07-row-added{suffix}-{language}-390")
    page.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_removing_a_medication_lands_on_the_next_row_and_says_so(
    browser: Any, base: str, app: Any, language: str
) -> None:
    client = app.test_client()
    complete_until(client, "diagnoses")
    page = phone_page(browser)
    share_session(page.context, client, base)
    page.goto(f"{base}/language/{language}?next=/intake/medications")
    page.locator("#rows-0-name").fill("Norco 10/325")
    page.locator("button[value=add]").click()
    page.wait_for_url("**#rows-1-name")
    page.keyboard.type("aspirin")
    page.locator("button[value=remove-0]").click()
    page.wait_for_url(f"{base}/intake/medications#rows-0-name")
    status = page.get_by_role("status").filter(has_text=WORDS[language]["removed"])
    expect(status).to_be_visible()
    expect(page.locator("#rows-0-name")).to_be_focused()
    expect(page.locator("#rows-0-name")).to_have_value("aspirin")
    assert page.locator("#rows-1-name").count() == 0
    shot_of_viewport(page, f"issue18-07-row-removed-{language}-390")
    page.context.close()
