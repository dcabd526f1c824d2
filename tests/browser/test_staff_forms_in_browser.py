"""A staff form's error in a real browser (issue 15, item 5): the form stays open with what was
typed, the summary at the top takes focus and its link lands on the field; a physician's
accept and decline are two boxes. Screenshots at desktop width and on a 390 px phone."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, screenshot, sign_in_staff
from tests.staff.helpers import make_staff, routed_case
from workflows.cases import casework

# The forms and the summary fit a phone; the case page's wide tables are another matter.
FITS = """(width) => [...document.querySelectorAll('.error-summary, .actions-panel, .actions-panel *')]
  .every((node) => node.getBoundingClientRect().right <= width)"""
REASON = "Please confirm when you last took Norco, and the dose."


def forms_fit(page: Any, width: int) -> bool:
    return bool(page.evaluate(FITS, width))


def test_a_coordinators_refused_request_stays_open_with_the_reason_typed(
    browser: Any, live_server: str, app: Any, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    base_intake["medications"] = [{"name": "Norco 10/325", "status": "current"}]
    case = routed_case(app, base_intake)
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    sign_in_staff(page, live_server, app, "coord@test")
    page.goto(f"{live_server}/staff/cases/{case.public_id}")
    page.get_by_text("Ask the patient for more information").click()
    page.locator("#info-message").fill("When did you last take Norco?")
    page.locator("#info-reason").fill(REASON)  # and no step ticked
    page.get_by_role("button", name="Send the request").click()

    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Choose at least one step.")
    expect(summary).to_be_focused()
    expect(page.locator("#info-action")).to_have_attribute("open", "")
    expect(page.locator("#info-reason")).to_have_value(REASON)
    expect(page.locator("#info-message")).to_have_value("When did you last take Norco?")
    expect(page.locator("#info-steps .field-error")).to_contain_text("Choose at least one step.")
    expect(page).to_have_title(f"Error: Case {case.public_id} · Riverbend Integrative Health")
    screenshot(page, "50-staff-form-error")
    summary.get_by_role("link", name="Choose at least one step.").click()
    expect(page.locator("#info-steps-0")).to_be_focused()

    page.set_viewport_size({"width": 390, "height": 844})
    assert forms_fit(page, 390)
    screenshot(page, "51-staff-form-error-390px")

    # Ticked and sent again, the request goes through with the reason as typed.
    page.get_by_label("Medications").check()
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("The patient was asked for more information.")).to_be_visible()


def test_someone_acting_first_is_said_beside_the_form_and_the_reason_is_kept(
    browser: Any, live_server: str, app: Any, base_intake: dict[str, Any]
) -> None:
    staff = make_staff(app)
    case = routed_case(app, base_intake)
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    sign_in_staff(page, live_server, app, "coord@test")
    page.goto(f"{live_server}/staff/cases/{case.public_id}")
    page.get_by_text("Move to the waitlist").first.click()
    page.locator("#waitlist-reason").fill("No physician free in Texas this month.")
    # Meanwhile an admin moves the case.
    casework.reroute(
        app.extensions["ldn"].sessions, staff["admin"], case.id, None, "coordinator", "check"
    )
    page.get_by_role("button", name="Move to the waitlist").click()

    problem = page.locator("#waitlist-problem")
    expect(problem).to_contain_text("Ada Admin changed this case first (rerouted")
    expect(page.locator("#waitlist-reason")).to_have_value("No physician free in Texas this month.")
    page.locator(".error-summary a").click()
    expect(problem).to_be_focused()
    screenshot(page, "52-staff-form-conflict")


def test_a_physician_decides_in_two_boxes_and_a_decline_needs_its_reason(
    browser: Any, live_server: str, app: Any, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    case = routed_case(app, base_intake)  # Texas, physician queue
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    sign_in_staff(page, live_server, app, "tx@test")
    page.goto(f"{live_server}/staff/cases/{case.public_id}")
    accept = page.get_by_role("group", name="Accept this case")
    decline = page.get_by_role("group", name="Decline and return it to the coordinators")
    expect(accept.get_by_label("Note for the case history (optional)")).to_be_visible()
    expect(decline.get_by_label("Why you decline this case")).to_be_visible()
    page.locator(".decisions").scroll_into_view_if_needed()
    screenshot(page, "53-physician-decision")

    accept.get_by_label("Note for the case history (optional)").fill("Would start at 1.5 mg.")
    decline.get_by_role("button", name="Decline and return to coordinators").click()
    expect(page.locator(".error-summary")).to_contain_text("Give a reason for declining")
    field = page.get_by_label("Why you decline this case")
    expect(field).to_have_attribute("aria-invalid", "true")
    page.locator(".error-summary a").click()
    expect(field).to_be_focused()
    page.set_viewport_size({"width": 390, "height": 844})
    assert forms_fit(page, 390)
    screenshot(page, "54-physician-decline-error-390px")
    page.locator(".actions-panel").screenshot(
        path=str(SCREENSHOTS / "54b-physician-decisions-390px.png")
    )
