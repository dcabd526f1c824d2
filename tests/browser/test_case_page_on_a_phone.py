"""The case page on a 390 px phone: the page never scrolls sideways; the medication and
condition tables scroll within their own boxes, which the keyboard reaches too."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import screenshot, sign_in_staff
from tests.staff.helpers import make_staff, routed_case

PAGE_WIDTH = "document.scrollingElement.scrollWidth"
LEVOTHYROXINE = {
    "name": "levothyroxine sodium 88 microgram tablets",
    "dose": "1 daily",
    "status": "current",
}


def test_a_coordinator_and_a_physician_read_a_case_on_a_phone_without_sideways_scrolling(
    browser: Any, live_server: str, app: Any, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    eligible = routed_case(app, base_intake)  # the physician queue: a TX physician sees it
    assert eligible.queue == "physician"
    base_intake["diagnoses"] = [{"name": "Hashimoto's thyroiditis", "icd10": "E06.3"}]
    base_intake["medications"] = [LEVOTHYROXINE, {"name": "Norco 10/325", "status": "current"}]
    opioid = routed_case(app, base_intake)  # the coordinator queue
    for email, name, case in [
        ("coord@test", "coordinator", opioid),
        ("tx@test", "physician", eligible),
    ]:
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        page.set_default_timeout(15_000)
        sign_in_staff(page, live_server, app, email)
        page.goto(f"{live_server}/staff/cases/{case.public_id}")
        assert page.locator("#medications-title").count() == 1, (name, page.url)
        assert page.evaluate(PAGE_WIDTH) <= 390, name
        page.locator(".table-scroll").first.focus()  # a scrolling box the keyboard reaches
        assert page.evaluate("document.activeElement.classList.contains('table-scroll')")
        screenshot(page, f"55-case-page-{name}-390px")
        page.context.close()
