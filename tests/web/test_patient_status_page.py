"""The status page, the done page and the API's status read the plain status
(workflows.cases.patient_status) of a case brought to each state by the pipeline and the
staff's own actions, in English and Spanish; the API keeps its contract's values."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import valid_intake
from tests.web.patient_cases import (
    OUT_OF_STATE_ABOUT,
    SYNTHROID,
    accept,
    ask_for_information,
    case_row,
    decline,
    routed,
    screening_failed,
    staff_of,
    submitted,
    waitlist,
)
from workflows.cases import casework, pipeline
from workflows.cases.models import Case
from workflows.messaging.mail import DatabaseOutbox

# Text a patient must never read on their pages (the staff's words and the old labels).
INTERNAL = re.compile(
    r"\b(routed|queue|screening_failed|needs_info|needs info|coordinator|eligible|ineligible|"
    r"waitlisted|enviado al equipo médico|falta información)\b",
    re.IGNORECASE,
)


def visible_text(response: Any) -> str:
    """The page's text without tags, scripts or attributes (what a patient reads)."""
    page = response.get_data(as_text=True)
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def stage_of(response: Any) -> str:
    return re.search(r'data-stage="([a-z_]+)"', response.get_data(as_text=True)).group(1)


def test_a_submitted_intake_is_received_on_the_done_and_status_pages(app: Any) -> None:
    client, _ = submitted(app)
    for path in ("/intake/done", "/intake/status"):
        response = client.get(path)
        text = visible_text(response)
        assert stage_of(response) == "received"
        assert "Status Received" in text
        assert "We have received your intake and will check your answers shortly." in text
        assert not INTERNAL.search(text), INTERNAL.search(text)


def test_a_routed_intake_is_with_the_care_team_in_both_languages(app: Any) -> None:
    english, case_id = routed(app)
    assert case_row(app, case_id).queue == "coordinator"  # Norco: a hard stop to review
    text = visible_text(english.get("/intake/status"))
    assert "Status With the care team" in text
    assert "Our care team is reviewing your intake" in text
    assert not INTERNAL.search(text), INTERNAL.search(text)

    spanish, _ = routed(app, "es")
    text = visible_text(spanish.get("/intake/status"))
    assert "Estado Con el equipo médico" in text
    assert "Nuestro equipo médico está revisando su formulario" in text
    assert not INTERNAL.search(text), INTERNAL.search(text)


def test_a_failed_screening_is_being_checked_for_the_patient(app: Any) -> None:
    client = screening_failed(app, "en")
    response = client.get("/intake/status")
    text = visible_text(response)
    assert stage_of(response) == "being_checked"
    assert "Being checked" in text and "You do not need to do anything now." in text
    assert "OperationalError" not in text and not INTERNAL.search(text)


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_question_waiting_points_the_patient_to_their_email(app: Any, language: str) -> None:
    client, case_id = routed(app, language)
    ask_for_information(app, case_id)
    response = client.get("/intake/status")
    text = visible_text(response)
    assert stage_of(response) == "waiting_for_answer"
    expected = {
        "en": ("Waiting for your answer", "open the link in the email we sent you"),
        "es": ("Esperando su respuesta", "Abra el enlace del correo electrónico que le enviamos"),
    }[language]
    assert all(part in text for part in expected), text
    assert "When did you last take it?" not in text  # the internal reason stays internal


def test_an_assigned_then_accepted_intake_says_a_physician_accepted_it(app: Any) -> None:
    client, case_id = routed(app)
    sessions, staff = app.extensions["ldn"].sessions, staff_of(app)
    casework.assign(sessions, staff["coordinator"], case_id, None, staff["dr_tx"], "Reviewed")
    assert stage_of(client.get("/intake/status")) == "with_care_team"
    casework.accept(sessions, staff["dr_tx"], case_id, None)
    text = visible_text(client.get("/intake/status"))
    assert "Status Accepted" in text and "A physician has accepted your intake" in text


def test_an_accepted_intake_is_aceptado_in_spanish(app: Any) -> None:
    client, case_id = routed(app, "es")
    accept(app, case_id)
    text = visible_text(client.get("/intake/status"))
    assert "Estado Aceptado" in text and "Un médico ha aceptado su formulario" in text


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_declined_intake_says_who_to_contact_with_its_reference(app: Any, language: str) -> None:
    client, case_id = routed(app, language)
    decline(app, case_id)
    response = client.get("/intake/status")
    text = visible_text(response)
    reference = case_row(app, case_id).public_id
    assert stage_of(response) == "not_able_to_continue"
    expected = {
        "en": ("Not able to continue", "contact the practice and give your reference"),
        "es": ("No podemos continuar", "comuníquese con la consulta e indique su número"),
    }[language]
    assert all(part in text for part in expected), text
    assert f"{reference}." in text
    assert "opioid" not in text.lower()  # the coordinator's reason stays internal


def test_a_patient_waitlisted_by_a_coordinator_is_on_the_waitlist(app: Any) -> None:
    client, case_id = routed(app)
    waitlist(app, case_id)
    text = visible_text(client.get("/intake/status"))
    assert "Status On the waitlist" in text
    assert "Your intake is on our waitlist." in text and "licensed" not in text
    assert not INTERNAL.search(text), INTERNAL.search(text)


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_out_of_state_patient_is_told_we_are_not_licensed_in_their_state_yet(
    app: Any, language: str
) -> None:
    client, case_id = submitted(app, language, about=OUT_OF_STATE_ABOUT, medications=SYNTHROID)
    done = visible_text(client.get("/intake/done"))
    pipeline.process(app.extensions["ldn"].sessions, case_id, DatabaseOutbox())
    case = case_row(app, case_id)
    assert (case.status, case.queue, case.patient_state) == ("routed", "waitlist", "OTHER")
    response = client.get("/intake/status")
    text = visible_text(response)
    assert stage_of(response) == "on_waitlist"
    expected = {
        "en": ("On the waitlist", "We are not yet licensed in your state", "if that changes"),
        "es": ("En lista de espera", "Todavía no tenemos licencia en su estado", "si eso cambia"),
    }[language]
    assert all(part in text for part in expected), text
    # Neither page promises a physician licensed in the patient's state.
    for page in (done, text):
        assert "licensed in your state decides" not in page
        assert "licencia en su estado decide" not in page
    assert expected[1] in done


def test_an_in_state_patient_still_reads_who_decides_on_the_done_page(app: Any) -> None:
    client, _ = submitted(app)
    done = visible_text(client.get("/intake/done"))
    assert "A physician licensed in your state decides on any treatment" in done
    assert "not yet licensed" not in done


def test_the_api_keeps_its_contract_values_and_says_the_plain_explanation(app: Any) -> None:
    """service-contract §3: `status` is still one of the seven public values (a waitlisted
    case is "routed"), and `message` is the plain explanation the pages show, in English."""
    client = app.test_client()
    document = valid_intake()
    document["patient"]["state_of_residence"] = "Kansas"
    body = client.post("/api/v1/intakes", json=document).get_json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    url = f"/api/v1/intakes/{body['id']}"
    received = client.get(url, headers=headers).get_json()
    assert received["status"] == "received"
    assert received["message"] == (
        "We have received your intake and will check your answers shortly."
    )
    with app.extensions["ldn"].sessions() as db:
        case_id = db.scalars(select(Case.id).where(Case.public_id == body["id"])).one()
    pipeline.process(app.extensions["ldn"].sessions, case_id, DatabaseOutbox())
    status = client.get(url, headers=headers).get_json()
    assert set(status) == {"id", "status", "submitted_at", "message"}
    assert status["status"] == "routed"
    assert status["message"] == (
        "We are not yet licensed in your state, so your intake is on our waitlist. We will "
        "contact you if that changes."
    )
