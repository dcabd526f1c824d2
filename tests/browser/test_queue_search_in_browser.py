"""The queue says who waits and finds a patient, on a desktop and on a 390 px phone (the rows
become cards; the page never scrolls sideways)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, serving, sign_in_staff
from tests.staff.helpers import make_staff, routed_case

SEARCH = "Search by reference, name, email or date of birth"


def _case(app: Any, intake: dict[str, Any], first: str, last: str, state: str, meds: list) -> str:
    intake["patient"].update(first_name=first, last_name=last, state_of_residence=state)
    intake["medications"] = meds
    intake["diagnoses"] = [{"name": "Crohn's disease"}]
    return routed_case(app, intake).public_id


def test_a_coordinator_finds_a_patient_by_name_on_a_desktop_and_on_a_phone(
    browser: Any, app: Any, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    rosa = _case(app, base_intake, "Rosa", "Hernández", "TX", [])
    _case(app, base_intake, "Oliver", "North", "Ontario", [])
    _case(app, base_intake, "Paula", "Opie", "IL", [{"name": "Norco", "status": "current"}])
    _case(app, base_intake, "Theo", "Thyro", "FL", [{"name": "Synthroid", "status": "current"}])
    unknown = [{"name": "white pill from urgent care", "status": "current"}]
    _case(app, base_intake, "Uma", "Unknown", "GA", unknown)
    with serving(app) as base:
        for width, name in ((1200, "desktop"), (390, "phone")):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.set_default_timeout(15_000)
            sign_in_staff(page, base, app, "coord@test")
            page.goto(f"{base}/staff/queue")
            for words in ("Hard stop", "Caution", "Eligible", "Review"):
                expect(page.locator(".badge", has_text=words).first).to_be_visible()
            expect(page.get_by_text("not licensed")).to_be_visible()
            expect(page.get_by_text("No physician licensed in Ontario")).to_be_visible()
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width
            screenshot(page, f"30-staff-queue-who-{name}")

            page.get_by_label(SEARCH).fill("hernan")
            page.get_by_role("button", name="Search").click()
            expect(page.get_by_text("1 case found.")).to_be_visible()
            expect(page.get_by_role("link", name=rosa)).to_be_visible()
            assert page.get_by_label(SEARCH).input_value() == "hernan"
            assert "hernan" not in page.url
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width
            screenshot(page, f"31-staff-queue-search-{name}")

            page.get_by_label(SEARCH).fill("31/12/1980")
            page.get_by_role("button", name="Search").click()
            expect(page.get_by_text("type it as YYYY-MM-DD or MM/DD/YYYY")).to_be_visible()
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width
            context.close()
