"""Issue 13 in a real browser: a coordinator finds a case whose medication nobody could
identify, sees how each medication was read, records what it is, and sees the case screened
again by the worker; an admin sees the name on the page of unidentified names."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import SCREENSHOTS, screenshot, sign_in_staff
from tests.conftest import wait_until
from tests.staff.helpers import make_staff
from workflows.cases.models import Case
from workflows.staff.models import AuditEntry

UNKNOWN = "white pill from urgent care"


def case_state(app: Any, public_id: str) -> Case:
    with app.extensions["ldn"].sessions() as db:
        case = db.scalars(select(Case).where(Case.public_id == public_id)).one()
        db.expunge(case)
        return case


def test_a_coordinator_identifies_an_unknown_medication_and_the_case_is_screened_again(
    browser: Any, live_server: str, app: Any, client: Any, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    base_intake["medications"] = [
        {"name": "vitamin D3 2000 IU", "status": "current"},
        {"name": UNKNOWN, "status": "current"},
    ]
    reference = client.post("/api/v1/intakes", json=base_intake).get_json()["id"]
    case = wait_until(lambda: (c := case_state(app, reference)).status == "routed" and c)
    assert (case.decision, case.queue) == ("needs_review", "coordinator")

    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in_staff(page, live_server, app, "coord@test")
    page.get_by_label("Flag").select_option("MEDICATION_UNIDENTIFIED")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    screenshot(page, "30-staff-queue-unidentified")
    page.get_by_role("link", name=reference).click()

    medications = page.locator("table.medications")
    expect(medications.get_by_text("Not identified")).to_be_visible()
    expect(medications.get_by_text("everyday list")).to_be_visible()
    expect(page.get_by_text("Ask the patient for more information")).to_be_visible()
    assert page.get_by_role("checkbox", name="Medications").is_checked()  # the step is chosen
    screenshot(page, "31-staff-case-unidentified")

    form = page.locator("#identify-1")
    form.locator("summary").click()
    form.get_by_role("button", name="Record and screen again").click()
    form = page.locator("#identify-1")
    expect(form.get_by_text("Choose at least one ingredient")).to_be_visible()
    expect(form.get_by_text("Give a reason: it goes into the case history.")).to_be_visible()
    form.get_by_label("oxycodone", exact=True).check()
    screenshot(page, "32-staff-identify-errors")
    form.screenshot(path=str(SCREENSHOTS / "32b-staff-identify-form.png"))
    form.get_by_label("Reason").fill("Pharmacy label: OxyContin 10 mg")
    form.get_by_role("button", name="Record and screen again").click()
    expect(page.get_by_text("Identification recorded.")).to_be_visible()

    case = wait_until(
        lambda: (c := case_state(app, reference)).status == "routed" and c.rule_set_version and c
    )
    assert (case.decision, case.queue) == ("ineligible", "coordinator")
    page.reload()
    medications = page.locator("table.medications")
    expect(medications.get_by_text("recorded by Casey Coordinator on")).to_be_visible()
    expect(medications.get_by_text("Not identified")).to_have_count(0)
    expect(page.locator(".flag-code", has_text="OPIOID_CURRENT")).to_be_visible()
    screenshot(page, "33-staff-case-identified")

    admin = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in_staff(admin, live_server, app, "admin@test")
    admin.get_by_role("link", name="Unidentified medications").click()
    row = admin.locator("tbody tr", has_text=UNKNOWN)
    expect(row.get_by_role("link", name=reference)).to_be_visible()
    expect(row.get_by_text("oxycodone")).to_be_visible()
    screenshot(admin, "34-admin-unidentified-medications")

    with app.extensions["ldn"].sessions() as db:
        audited = list(db.scalars(select(AuditEntry.action).where(AuditEntry.case_id == case.id)))
    assert {"case_viewed", "medication_identified"} <= set(audited)
