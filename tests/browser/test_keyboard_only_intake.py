"""A patient who uses only the keyboard completes the whole intake, sees where the focus is at
every stop, and is taken to the error summary when something needs fixing.

Only key presses: Tab, Shift+Tab, Space, Enter, the arrow keys, and typing into whatever has
focus. No clicks, no fill(), no focus() calls.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.conftest import wait_until
from tests.web.intake_client import YES_NO_QUESTIONS
from workflows.cases.models import Case

# A focus indicator a person can see: an outline at least 2 px wide, or a box-shadow ring,
# on an element the browser treats as keyboard-focused.
_FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  // The last stop of a date input is its calendar button, inside the browser's own shadow
  // tree: the input no longer matches :focus and Chromium draws the ring round the button.
  if (el.type === "date" && !el.matches(":focus")) return {shown: true, html: el.outerHTML};
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const ring = style.boxShadow !== "none" && /0px 0px 0px [1-9]/.test(style.boxShadow);
  return {shown: el.matches(":focus-visible") && (outline || ring), html: el.outerHTML.slice(0, 160)};
}"""


def assert_focus_shown(page: Any) -> None:
    focus = page.evaluate(_FOCUS_SHOWN)
    assert focus["shown"], f"no visible focus indicator on {focus['html']}"


def focused_matches(page: Any, selector: str) -> bool:
    return page.evaluate("s => document.activeElement.matches(s)", selector)


def tab_to(page: Any, selector: str, most: int = 40, key: str = "Tab") -> None:
    """Press Tab (or Shift+Tab) until the focused element matches the CSS selector, checking
    that every element passed on the way shows where the focus is."""
    for _ in range(most):
        page.keyboard.press(key)
        assert_focus_shown(page)
        if focused_matches(page, selector):
            return
    raise AssertionError(f"{key} never reached {selector}")


def continue_to(page: Any, next_slug: str) -> None:
    """Tab to "Save and continue" and press Enter."""
    tab_to(page, "button[value=next]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/intake/{next_slug}")


def test_the_keyboard_alone_completes_the_whole_intake_and_the_case_routes(
    page: Any, live_server: str, app: Any
) -> None:
    page.goto(f"{live_server}/")
    tab_to(page, "a.skip-link", most=1)
    tab_to(page, "a.button")  # Start now
    page.keyboard.press("Enter")
    page.wait_for_url("**/intake/about")

    # Step 1. Continuing with nothing typed puts the focus on the error summary.
    tab_to(page, "button[value=next]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("problems to fix")
    tab_to(page, "#first_name")
    page.keyboard.type("Zebulon")
    tab_to(page, "#last_name")
    page.keyboard.type("Fogwhistle")
    for part, typed in [("month", "4"), ("day", "2"), ("year", "1980")]:
        tab_to(page, f"#date_of_birth-{part}")
        page.keyboard.type(typed)
    tab_to(page, "#email")
    page.keyboard.type("zebulon@example.org")
    tab_to(page, "#state_of_residence")
    page.keyboard.type("Texas")
    # Back up to the phone number (optional) with Shift+Tab.
    tab_to(page, "#phone", key="Shift+Tab")
    page.keyboard.type("555-0100")
    continue_to(page, "diagnoses")

    tab_to(page, "#rows-0-name")
    page.keyboard.type("Crohn's disease")
    tab_to(page, "#rows-0-icd10")
    page.keyboard.type("K50.90")
    continue_to(page, "medications")

    tab_to(page, "#rows-0-name")
    page.keyboard.type("Norco 10/325")
    tab_to(page, "#rows-0-dose")
    page.keyboard.type("1 tablet twice a day")
    continue_to(page, "history")

    # Yes/No questions: Tab into the group lands on "Yes"; the right arrow chooses "No".
    for question in YES_NO_QUESTIONS:
        tab_to(page, f"#{question}-0")
        page.keyboard.press("ArrowRight")
        assert page.evaluate(f"document.getElementById('{question}-1').checked")
    for question in ["liver_disease", "diabetes"]:
        tab_to(page, f"#{question}-0")  # "No liver disease", "No diabetes"
        page.keyboard.press("Space")
        assert page.evaluate(f"document.getElementById('{question}-0').checked")
    continue_to(page, "goals")

    tab_to(page, "#goal_fatigue")
    page.keyboard.press("Space")
    tab_to(page, "#severity_fatigue", most=1)  # the question appears right after the box
    page.keyboard.type("7")
    assert page.evaluate("document.getElementById('severity_fatigue').value") == "7"
    continue_to(page, "ketosis")

    tab_to(page, "#interested-0")
    page.keyboard.press("ArrowDown")  # "No, LDN only"
    assert page.evaluate("document.getElementById('interested-1').checked")
    continue_to(page, "review")

    assert page.get_by_text("Norco 10/325, 1 tablet twice a day (taking now)").is_visible()
    for consent in ["consent_accurate", "consent_review", "consent_contact"]:
        tab_to(page, f"#{consent}")
        page.keyboard.press("Space")
    tab_to(page, "#signature")
    page.keyboard.type("Zebulon Fogwhistle")
    screenshot(page, "31-keyboard-review")
    tab_to(page, "button[value=next]")  # Submit my intake
    page.keyboard.press("Enter")
    page.wait_for_url("**/intake/done")

    reference = page.locator(".reference").inner_text()

    def routed() -> Case | None:
        with app.extensions["ldn"].sessions() as db:
            case = db.scalars(select(Case).where(Case.public_id == reference)).one()
            return case if case.status == "routed" else None

    case = wait_until(routed)
    assert case.intake["patient"]["phone"] == "555-0100"
    assert case.intake["goals"] == [{"goal": "fatigue", "severity": 7}]
    assert case.queue == "coordinator"  # the current opioid goes to a coordinator first


def test_enter_in_a_text_field_continues_rather_than_adding_a_row(
    page: Any, live_server: str
) -> None:
    """The first submit button of a form is what Enter presses; on the row steps it must be
    "Save and continue", not "Add another diagnosis"."""
    page.goto(f"{live_server}/intake/about")
    for field, text in [
        ("#first_name", "Zebulon"),
        ("#last_name", "Fogwhistle"),
        ("#date_of_birth-month", "4"),
        ("#date_of_birth-day", "2"),
        ("#date_of_birth-year", "1980"),
        ("#email", "zebulon@example.org"),
        ("#state_of_residence", "Texas"),
    ]:
        tab_to(page, field)
        page.keyboard.type(text)
    tab_to(page, "#email", key="Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/intake/diagnoses")
    tab_to(page, "#rows-0-name")
    page.keyboard.type("lupus")
    page.keyboard.press("Enter")
    page.wait_for_url("**/intake/medications")
