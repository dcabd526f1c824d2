"""The whole loop in a real browser: patient -> pipeline -> coordinator -> patient -> physician."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import open_care_team_link, screenshot, sign_in_staff
from tests.conftest import wait_until
from tests.staff.helpers import make_staff
from workflows.cases.models import Case
from workflows.messaging.models import OutboxMessage
from workflows.staff.models import AuditEntry


def case_state(app: Any, public_id: str) -> Case:
    with app.extensions["ldn"].sessions() as db:
        case = db.scalars(select(Case).where(Case.public_id == public_id)).one()
        db.expunge(case)
        return case


def test_coordinator_asks_patient_amends_case_rescreens_and_a_texas_physician_accepts(
    browser: Any, live_server: str, app: Any, client: Any, base_intake: dict[str, Any]
) -> None:
    staff = make_staff(app)
    base_intake["diagnoses"] = [{"name": "Crohn's disease"}]
    base_intake["medications"] = [{"name": "Norco 10/325", "status": "current"}]
    base_intake["patient"]["email"] = "patient@example.org"
    reference = client.post("/api/v1/intakes", json=base_intake).get_json()["id"]
    wait_until(lambda: case_state(app, reference).status == "routed")

    coordinator = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in_staff(coordinator, live_server, app, "coord@test")
    coordinator.get_by_label("Flag").select_option("OPIOID_CURRENT")
    coordinator.get_by_role("button", name="Filter").click()
    screenshot(coordinator, "20-staff-queue-opioid")
    coordinator.get_by_role("link", name=reference).click()
    expect(coordinator.get_by_text("OPIOID_CURRENT").first).to_be_visible()
    screenshot(coordinator, "21-staff-case")
    coordinator.get_by_text("Ask the patient for more information").click()
    coordinator.get_by_label("Medications").check()
    coordinator.locator("#info-message").fill("Do you still take Norco?")
    coordinator.locator("#info-reason").fill("Please confirm whether you still take Norco.")
    coordinator.get_by_role("button", name="Send the request").click()
    expect(coordinator.get_by_text("The patient was asked for more information.")).to_be_visible()
    wait_until(lambda: case_state(app, reference).status == "needs_info")

    with app.extensions["ldn"].sessions() as db:
        body = db.scalars(
            select(OutboxMessage.body).where(OutboxMessage.kind == "needs_info")
        ).one()
    link = re.search(r"(http://\S+/intake/amend\?t=\S+)", body).group(1)
    patient = browser.new_context().new_page()
    open_care_team_link(patient, link.replace("http://localhost", live_server))
    assert patient.get_by_label("Medication or supplement").input_value() == "Norco 10/325"
    patient.get_by_label("Medication or supplement").fill("vitamin D3")
    screenshot(patient, "22-patient-amend")
    patient.get_by_role("button", name="Save and continue").click()
    patient.get_by_role("button", name="Send my updated answers").click()
    expect(patient.get_by_text("your answers are updated")).to_be_visible()

    case = wait_until(
        lambda: (c := case_state(app, reference)).status == "routed" and c.decision and c
    )
    # Eligible on the patient's word alone: back to the coordinators to verify, with the diff.
    assert (case.decision, case.queue) == ("eligible", "coordinator")
    coordinator.goto(f"{live_server}/staff/cases/{reference}")
    expect(coordinator.get_by_text("cleared a hard stop (OPIOID_CURRENT)")).to_be_visible()
    # The latest round's diff at the top of the page (the history repeats it).
    expect(coordinator.locator(".question-card").get_by_text("was: Norco 10/325")).to_be_visible()
    screenshot(coordinator, "22b-staff-case-verify-amendment")
    coordinator.get_by_label("Physician").select_option(str(staff["dr_tx"]))
    coordinator.locator("#assign-reason").fill("Stopped Norco in October, confirmed by phone.")
    coordinator.get_by_role("button", name="Assign").click()
    case = wait_until(lambda: (c := case_state(app, reference)).status == "assigned" and c)

    illinois = browser.new_context().new_page()
    sign_in_staff(illinois, live_server, app, "il@test")
    assert reference not in illinois.content()
    response = illinois.goto(f"{live_server}/staff/cases/{reference}")
    assert response.status == 404

    texas = browser.new_context().new_page()
    sign_in_staff(texas, live_server, app, "tx@test")
    texas.get_by_role("link", name=reference).click()
    screenshot(texas, "23-physician-case")
    texas.get_by_role("button", name="Accept this case").click()
    expect(texas.get_by_text("You accepted this case.")).to_be_visible()
    wait_until(lambda: case_state(app, reference).status == "accepted")

    coordinator.goto(f"{live_server}/staff/dashboard")
    screenshot(coordinator, "24-dashboard")
    with app.extensions["ldn"].sessions() as db:
        audited = list(db.scalars(select(AuditEntry.action).where(AuditEntry.case_id == case.id)))
    for action in ("case_viewed", "info_requested", "accepted"):
        assert action in audited
