"""The question-and-answer loop in real browsers: the coordinator asks, the patient reads the
question on another device (in English and in Spanish, on a phone too) and answers, and the
coordinator sees the answer and the change in words: "stopped 2026-11-30, was: I take it now"."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import open_care_team_link, screenshot, sign_in_staff
from tests.conftest import build_app, wait_until
from tests.staff.helpers import make_staff
from workflows.cases.models import Case
from workflows.messaging.models import OutboxMessage

# The Percocet story of issue 15 happens in December: the patient stopped on 30 November.
TODAY = date(2026, 12, 2)


@pytest.fixture
def app(tmp_path: Path, redis_url: str, database_url: str) -> Any:
    return build_app(tmp_path, redis_url, database_url, TODAY=lambda: TODAY)


def case_state(app: Any, public_id: str) -> Case:
    with app.extensions["ldn"].sessions() as db:
        case = db.scalars(select(Case).where(Case.public_id == public_id)).one()
        db.expunge(case)
        return case


def submit_percocet_case(app: Any, client: Any, intake: dict[str, Any], language: str) -> str:
    intake["submitted_at"] = "2026-12-01"
    intake["medications"] = [{"name": "Percocet", "status": "current"}]
    intake["patient"]["email"] = f"percocet.{language}@example.org"
    headers = {"Content-Language": language}
    reference = client.post("/api/v1/intakes", json=intake, headers=headers).get_json()["id"]
    wait_until(lambda: case_state(app, reference).status == "routed")
    assert case_state(app, reference).language == language
    return reference


def newest_link(app: Any, live_server: str, to: str) -> str:
    with app.extensions["ldn"].sessions() as db:
        body = db.scalars(
            select(OutboxMessage.body)
            .where(OutboxMessage.kind == "needs_info", OutboxMessage.to_address == to)
            .order_by(OutboxMessage.id.desc())
        ).first()
    assert body is not None and "Percocet" not in body
    link = re.search(r"(http://\S+/intake/amend\?t=\S+)", body).group(1)
    return link.replace("http://localhost", live_server)


def ask(
    app: Any, coordinator: Any, live_server: str, reference: str, message: str, shot: str = ""
) -> None:
    coordinator.goto(f"{live_server}/staff/cases/{reference}")
    coordinator.get_by_text("Ask the patient for more information").click()
    coordinator.get_by_label("Medications").check()
    coordinator.get_by_label("Message to the patient").fill(message)
    coordinator.get_by_label("Internal reason (staff only)").fill(
        "OPIOID_CURRENT: the stop date decides whether LDN can start."
    )
    if shot:
        coordinator.locator("#info-message").scroll_into_view_if_needed()
        screenshot(coordinator, shot)
    coordinator.get_by_role("button", name="Send the request").click()
    expect(coordinator.get_by_text("The patient was asked for more information.")).to_be_visible()
    wait_until(lambda: case_state(app, reference).status == "needs_info")


def test_a_percocet_patient_answers_the_question_and_the_coordinator_sees_it_in_words(
    browser: Any, live_server: str, app: Any, client: Any, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    reference = submit_percocet_case(app, client, base_intake, "en")
    assert case_state(app, reference).queue == "coordinator"  # OPIOID_CURRENT, a hard stop

    coordinator = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in_staff(coordinator, live_server, app, "coord@test")
    ask(
        app,
        coordinator,
        live_server,
        reference,
        "When did you last take Percocet?",
        "40-question-staff-ask-form",
    )

    # Another device: the patient's phone.
    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    open_care_team_link(phone, newest_link(app, live_server, "percocet.en@example.org"))
    expect(phone.get_by_text("When did you last take Percocet?")).to_be_visible()
    screenshot(phone, "41-question-patient-en-390")
    phone.get_by_label("Do you take it now?").select_option("stopped")
    phone.get_by_label("Date you stopped").fill("2026-11-30")
    phone.get_by_role("button", name="Save and continue").click()
    expect(phone.get_by_text("stopped 2026-11-30, was: I take it now")).to_be_visible()
    phone.get_by_label("Your answer to the question").fill(
        "My last Percocet was on 30 November, after my dental surgery."
    )
    screenshot(phone, "42-question-patient-answer-en-390")
    phone.get_by_role("button", name="Send my updated answers").click()
    expect(phone.get_by_text("your answers are updated")).to_be_visible()

    case = wait_until(
        lambda: (c := case_state(app, reference)).status == "routed" and c.decision and c
    )
    # The answer cleared the hard stop: a coordinator verifies it, no physician yet.
    assert case.queue == "coordinator"
    coordinator.goto(f"{live_server}/staff/cases/{reference}")
    question_card = coordinator.locator(".question-card")
    expect(question_card.get_by_text("When did you last take Percocet?")).to_be_visible()
    expect(
        question_card.get_by_text("My last Percocet was on 30 November, after my dental surgery.")
    ).to_be_visible()
    expect(question_card.get_by_text("stopped 2026-11-30, was: I take it now")).to_be_visible()
    expect(coordinator.get_by_text("cleared a hard stop (OPIOID_CURRENT)")).to_be_visible()
    screenshot(coordinator, "43-question-staff-case-after-answer")


def test_a_spanish_patient_reads_the_question_as_written_and_answers_in_spanish(
    browser: Any, live_server: str, app: Any, client: Any, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    reference = submit_percocet_case(app, client, base_intake, "es")

    coordinator = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in_staff(coordinator, live_server, app, "coord@test")
    coordinator.goto(f"{live_server}/staff/cases/{reference}")
    expect(coordinator.get_by_text("The patient's language is Spanish")).to_be_attached()
    ask(app, coordinator, live_server, reference, "¿Cuándo tomó Percocet por última vez?")

    for width, shot in [(1100, "44-question-patient-es"), (390, "45-question-patient-es-390")]:
        patient = browser.new_context(viewport={"width": width, "height": 900}).new_page()
        open_care_team_link(patient, newest_link(app, live_server, "percocet.es@example.org"))
        expect(patient.get_by_text("La pregunta de nuestro equipo médico")).to_be_visible()
        expect(patient.get_by_text("¿Cuándo tomó Percocet por última vez?")).to_be_visible()
        screenshot(patient, shot)
    patient.get_by_label("¿Lo toma actualmente?").select_option("stopped")
    patient.get_by_label("Fecha en que lo dejó").fill("2026-11-30")
    patient.get_by_role("button", name="Guardar y continuar").click()
    expect(patient.get_by_text("Lo que ha cambiado")).to_be_visible()
    patient.get_by_label("Su respuesta a la pregunta").fill("El 30 de noviembre.")
    screenshot(patient, "46-question-patient-answer-es-390")
    patient.get_by_role("button", name="Enviar mis respuestas actualizadas").click()
    expect(patient.get_by_text("sus respuestas se han actualizado")).to_be_visible()

    wait_until(lambda: (c := case_state(app, reference)).status == "routed" and c.decision)
    coordinator.goto(f"{live_server}/staff/cases/{reference}")
    card = coordinator.locator(".question-card")
    expect(card.get_by_text("El 30 de noviembre.")).to_be_visible()
    # Staff read the change in English, whatever the patient's language.
    expect(card.get_by_text("stopped 2026-11-30, was: I take it now")).to_be_visible()
