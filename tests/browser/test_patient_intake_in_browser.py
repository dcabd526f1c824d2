"""A patient completes the intake in a real browser; the case screens and routes itself."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.conftest import wait_until
from workflows.cases.models import Case


def fill_date_of_birth(page: Any, month: str, day: str, year: str) -> None:
    """The three boxes of the date of birth, by id: their labels (Month, Day, Year) are the
    same words as any other date's boxes."""
    for part, typed in (("month", month), ("day", day), ("year", year)):
        page.locator(f"#date_of_birth-{part}").fill(typed)


def fill_about(page: Any, state: str = "TX") -> None:
    page.get_by_label("First name").fill("Zebulon")
    page.get_by_label("Last name").fill("Fogwhistle")
    fill_date_of_birth(page, "4", "2", "1980")
    page.get_by_label("Email address").fill("zebulon@example.org")
    page.get_by_label("Phone number (optional)").fill("555-0100")
    page.get_by_label("State where you live").select_option(state)


def save_and_continue(page: Any) -> None:
    # Wait for the next page: is_visible() right after a click may read the old one.
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()


def answer_history_all_no(page: Any) -> None:
    for group in page.locator("fieldset.radios--inline").all():
        group.get_by_label("No", exact=True).check()
    page.get_by_label("No liver disease").check()
    page.get_by_label("No diabetes").check()


def complete_steps_1_to_3(page: Any, base: str) -> None:
    page.goto(f"{base}/")
    page.get_by_role("link", name="Start now").click()
    fill_about(page)
    save_and_continue(page)
    page.get_by_label("Diagnosis", exact=True).fill("Crohn's disease")
    page.get_by_label("ICD-10 code (optional)").fill("K50.90")
    save_and_continue(page)
    page.get_by_label("Medication or supplement").fill("Norco 10/325")
    page.get_by_label("Dose (optional)").fill("1 tablet twice a day")
    save_and_continue(page)


def test_a_texas_patient_with_crohns_on_norco_completes_the_intake_and_the_case_routes(
    page: Any, live_server: str, app: Any
) -> None:
    page.goto(f"{live_server}/")
    screenshot(page, "00-start")
    page.get_by_role("link", name="Start now").click()
    expect(page.get_by_text("Step 1 of 7")).to_be_visible()
    fill_about(page)
    screenshot(page, "01-about")
    save_and_continue(page)

    assert page.get_by_text("Step 2 of 7").is_visible()
    page.get_by_label("Diagnosis", exact=True).fill("Crohn's disease")
    page.get_by_label("ICD-10 code (optional)").fill("K50.90")
    screenshot(page, "02-diagnoses")
    save_and_continue(page)

    assert page.get_by_text("Step 3 of 7").is_visible()
    page.get_by_label("Medication or supplement").fill("Norco 10/325")
    page.get_by_label("Dose (optional)").fill("1 tablet twice a day")
    # The stopped date shows only for a stopped medication (progressive enhancement).
    assert not page.get_by_label("Date you stopped").is_visible()
    page.get_by_role("button", name="Add another medication").click()
    page.get_by_label("Medication or supplement").nth(1).fill("oxycodone")
    page.get_by_label("Do you take it now?").nth(1).select_option("stopped")
    assert page.get_by_label("Date you stopped").nth(1).is_visible()
    page.get_by_label("Date you stopped").nth(1).fill("2026-09-01")
    screenshot(page, "03-medications")
    save_and_continue(page)

    assert page.get_by_text("Step 4 of 7").is_visible()
    answer_history_all_no(page)
    screenshot(page, "04-history")
    save_and_continue(page)

    assert page.get_by_text("Step 5 of 7").is_visible()
    page.get_by_label("Fatigue or low energy", exact=True).check()
    page.get_by_label("How much does fatigue or low energy affect you?").select_option("8")
    page.get_by_label("Pain", exact=True).check()
    page.get_by_label("How much does pain affect you?").select_option("6")
    screenshot(page, "05-goals")
    save_and_continue(page)

    assert page.get_by_text("Step 6 of 7").is_visible()
    page.get_by_label("No, LDN only").check()
    screenshot(page, "06-ketosis")
    save_and_continue(page)

    assert page.get_by_text("Step 7 of 7").is_visible()
    assert page.get_by_text("Norco 10/325, 1 tablet twice a day (taking now)").is_visible()
    for checkbox in page.locator("input[type=checkbox]").all():
        checkbox.check()
    page.get_by_label("Type your full name as your signature").fill("Zebulon Fogwhistle")
    screenshot(page, "07-review")
    page.get_by_role("button", name="Submit my intake").click()

    expect(page.get_by_role("heading", name="Thank you, we received your intake")).to_be_visible()
    reference = page.locator(".reference").inner_text()
    screenshot(page, "08-confirmation")

    def routed_case() -> Case | None:
        with app.extensions["ldn"].sessions() as db:
            case = db.scalars(select(Case).where(Case.public_id == reference)).one()
            return case if case.status == "routed" else None

    case = wait_until(routed_case)
    assert [flag["code"] for flag in case.screening_result["hard_stops"]] == ["OPIOID_CURRENT"]
    assert case.screening_result["hard_stops"][0]["evidence"] == "Norco 10/325"
    assert case.queue == "coordinator"
    page.get_by_role("link", name="See the status now").click()
    expect(page.locator(".status-pill")).to_have_text("With the care team")
    screenshot(page, "09-status")


def test_a_patient_who_stops_at_step_4_resumes_from_the_link_with_every_answer(
    browser: Any, live_server: str
) -> None:
    first = browser.new_context()
    page = first.new_page()
    complete_steps_1_to_3(page, live_server)
    assert page.get_by_text("Step 4 of 7").is_visible()
    link = page.locator(".resume-link a").first.get_attribute("href")
    first.close()  # the browser is closed: the session cookie is gone

    second = browser.new_context()  # a browser new to the intake: the date of birth first
    page = second.new_page()
    page.goto(link)
    fill_date_of_birth(page, "4", "2", "1980")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/intake/history")
    assert page.get_by_text("Step 4 of 7").is_visible()
    assert page.get_by_text("Welcome back").is_visible()
    page.get_by_role("link", name="About you").click()
    assert page.get_by_label("First name").input_value() == "Zebulon"
    assert page.get_by_label("State where you live").input_value() == "TX"
    page.get_by_role("link", name="Your medications").click()
    assert page.get_by_label("Medication or supplement").input_value() == "Norco 10/325"
    second.close()


def test_invalid_input_shows_the_error_summary_and_keeps_the_rest(
    page: Any, live_server: str
) -> None:
    page.goto(f"{live_server}/intake/about")
    fill_about(page)
    fill_date_of_birth(page, "1", "1", "2090")
    page.get_by_label("Email address").fill("zebulon-at-example")
    save_and_continue(page)
    summary = page.get_by_role("alert")
    assert "There are 2 problems to fix" in summary.inner_text()
    assert summary.evaluate("node => node === document.activeElement")
    assert page.get_by_label("First name").input_value() == "Zebulon"
    assert page.locator("#date_of_birth-year").get_attribute("aria-invalid") == "true"
    screenshot(page, "10-about-errors")
    summary.get_by_role("link", name="Enter an email address like name@example.com.").click()
    expect(page.get_by_label("Email address")).to_be_focused()


def tab_to(
    page: Any, element_id: str, most: int = 6, script: str = "document.activeElement.id"
) -> None:
    """Press Tab until the element has focus (a date input holds several stops)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(script) == element_id:
            return
    raise AssertionError(f"Tab never reached {element_id}")


def test_the_keyboard_alone_completes_a_step(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/intake/about")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    tab_to(page, "first_name", most=12)
    page.keyboard.type("Zebulon")
    tab_to(page, "last_name")
    page.keyboard.type("Fogwhistle")
    for part, typed in [("month", "4"), ("day", "2"), ("year", "1980")]:
        tab_to(page, f"date_of_birth-{part}")
        page.keyboard.type(typed)
    tab_to(page, "email")
    page.keyboard.type("zebulon@example.org")
    tab_to(page, "state_of_residence")
    page.keyboard.type("Texas")
    tab_to(page, "next", script="document.activeElement.value")  # Save and continue
    page.keyboard.press("Enter")
    page.wait_for_url("**/intake/diagnoses")
    assert page.get_by_text("Step 2 of 7").is_visible()


def test_the_form_reads_well_on_a_phone(browser: Any, live_server: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server}/intake/about")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width} px)"
    screenshot(page, "11-about-phone")
    context.close()


def test_the_intake_works_with_javascript_off(browser: Any, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/intake/about")
    fill_about(page)
    save_and_continue(page)
    page.get_by_label("Diagnosis", exact=True).fill("lupus")
    save_and_continue(page)
    # Without the script every row shows its stopped date, and rows are added by the server.
    page.get_by_label("Medication or supplement").fill("tramadol")
    page.get_by_role("button", name="Add another medication").click()
    expect(page.get_by_label("Medication or supplement")).to_have_count(2)
    assert page.get_by_label("Medication or supplement").first.input_value() == "tramadol"
    page.get_by_label("Do you take it now?").first.select_option("stopped")
    page.get_by_label("Date you stopped").first.fill("2026-10-20")
    save_and_continue(page)
    assert page.get_by_text("Step 4 of 7").is_visible()
    context.close()
