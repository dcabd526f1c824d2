"""The coordinator's question reaches the patient, the answer comes back with the changed
steps, and every round stays in the case's history: through the pages, on the real services."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.canary import CANARY_MEDICATION, CANARY_PATIENT
from tests.conftest import stored_case
from tests.staff.helpers import act, login, make_staff, routed_case
from tests.web.intake_client import csrf_token, open_amend_link
from workflows.cases import casework, pipeline
from workflows.cases.models import CaseEvent
from workflows.messaging.mail import DatabaseOutbox
from workflows.messaging.models import OutboxMessage

QUESTION = "When did you last take Percocet?"


def text_of(page: str) -> str:
    """The page's text, tags and runs of white space collapsed, as a reader sees it (inline
    tags join their words, block tags separate them)."""
    inline = re.sub(r"</?(?:strong|span|em|q|a|code)\b[^>]*>", "", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def ask(coordinator: Any, app: Any, case_id: int, public_id: str, message: str) -> Any:
    return act(
        coordinator,
        public_id,
        "request-info",
        **{
            "info-steps": "medications",
            "info-message": message,
            "info-reason": "OPIOID_CURRENT: check the stop date before assigning",
            "info-version": str(stored_case(app, case_id).version),
        },
    )


def open_link(app: Any) -> tuple[Any, str]:
    """A new browser (another device) opening the newest needs_info link; its email body."""
    with app.extensions["ldn"].sessions() as db:
        body = db.scalars(
            select(OutboxMessage.body)
            .where(OutboxMessage.kind == "needs_info")
            .order_by(OutboxMessage.id.desc())
        ).first()
    assert body is not None
    link = re.search(r"http://localhost(/intake/amend\?t=\S+)", body).group(1)
    patient = app.test_client()
    # A case sent through the API has no draft to check the link against until the patient's
    # first amendment makes one; from then on a new browser answers the date of birth first.
    opened = open_amend_link(patient, link, born=CANARY_PATIENT["date_of_birth"])
    assert opened.headers["Location"].endswith("/intake/amend/medications")
    return patient, body


def medications_step(patient: Any, rows: list[dict[str, str]]) -> Any:
    data = {
        f"rows-{index}-{key}": value for index, row in enumerate(rows) for key, value in row.items()
    }
    path = "/intake/amend/medications"
    return patient.post(path, data={**data, "csrf_token": csrf_token(patient, path)})


def send(patient: Any, answer: str) -> Any:
    """Send the update and follow the redirect: the page the patient lands on."""
    path = "/intake/amend/send"
    return patient.post(
        path,
        data={"answer": answer, "csrf_token": csrf_token(patient, path)},
        follow_redirects=True,
    )


@pytest.fixture
def percocet_case(app: Any, base_intake: dict[str, Any]) -> Any:
    make_staff(app)
    base_intake["patient"] = dict(CANARY_PATIENT)
    base_intake["medications"] = [
        {"name": "Percocet", "status": "current"},
        {"name": CANARY_MEDICATION, "status": "current"},
    ]
    case = routed_case(app, base_intake)
    assert case.queue == "coordinator"  # OPIOID_CURRENT
    return case


def test_the_email_says_a_question_waits_without_the_question_or_any_health_detail(
    app: Any, percocet_case: Any
) -> None:
    coordinator = app.test_client()
    login(coordinator, "coord@test")
    assert (
        ask(coordinator, app, percocet_case.id, percocet_case.public_id, QUESTION).status_code
        == 302
    )
    with app.extensions["ldn"].sessions() as db:
        message = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "needs_info")).one()
    words = f"{message.subject}\n{message.body}"
    assert "has a question about your intake" in words
    for secret in [
        QUESTION,
        "Percocet",
        CANARY_MEDICATION,
        "OPIOID",
        CANARY_PATIENT["first_name"],
        CANARY_PATIENT["last_name"],
        CANARY_PATIENT["date_of_birth"],
        CANARY_PATIENT["phone"],
    ]:
        assert secret not in words


def test_a_request_without_a_message_to_the_patient_is_refused_and_nothing_is_sent(
    app: Any, percocet_case: Any
) -> None:
    coordinator = app.test_client()
    login(coordinator, "coord@test")
    response = ask(coordinator, app, percocet_case.id, percocet_case.public_id, "   ")
    assert response.status_code == 422  # the form comes back open, with its error
    page = response.get_data(as_text=True)
    assert "write the message to the patient" in page.casefold()
    assert stored_case(app, percocet_case.id).status == "routed"
    with pytest.raises(ValueError, match="message to the patient"):
        casework.request_info(
            app.extensions["ldn"].sessions,
            _coordinator_id(app),
            percocet_case.id,
            None,
            ["medications"],
            "internal",
            DatabaseOutbox(),
            lambda token: token,
            message="",
        )


def _coordinator_id(app: Any) -> int:
    from workflows.staff.models import StaffUser

    with app.extensions["ldn"].sessions() as db:
        return db.scalars(select(StaffUser.id).where(StaffUser.email == "coord@test")).one()


def test_two_rounds_of_question_and_answer_each_stay_in_the_history(
    app: Any, percocet_case: Any
) -> None:
    case = percocet_case
    sessions = app.extensions["ldn"].sessions
    coordinator = app.test_client()
    login(coordinator, "coord@test")
    staff_form = text_of(coordinator.get(f"/staff/cases/{case.public_id}").get_data(as_text=True))
    assert (
        "Message to the patient" in staff_form and "The patient's language is English" in staff_form
    )

    # Round 1: the patient reads the question as written, changes Percocet and answers.
    ask(coordinator, app, case.id, case.public_id, QUESTION)
    patient, _body = open_link(app)
    step = text_of(patient.get("/intake/amend/medications").get_data(as_text=True))
    assert "Our care team's question" in step and QUESTION in step
    assert "internal" not in step.casefold() and "check the stop date" not in step
    medications_step(
        patient,
        [
            {"name": "Percocet", "status": "stopped", "stopped_on": "2026-10-30"},
            {"name": CANARY_MEDICATION, "status": "current"},
        ],
    )
    summary = text_of(patient.get("/intake/amend/send").get_data(as_text=True))
    assert "What you changed" in summary
    assert "Percocet: stopped 2026-10-30, was: I take it now" in summary
    sent = send(patient, "I took the last one on 30 October, after my knee surgery.")
    assert "your answers are updated" in sent.get_data(as_text=True)
    pipeline.process(sessions, case.id, DatabaseOutbox())
    assert stored_case(app, case.id).queue == "coordinator"  # the hard stop it cleared: verify

    page = text_of(coordinator.get(f"/staff/cases/{case.public_id}").get_data(as_text=True))
    assert "Question to the patient" in page and QUESTION in page
    assert "I took the last one on 30 October, after my knee surgery." in page
    assert "Percocet: stopped 2026-10-30, was: I take it now" in page
    assert "medications[0].status, medications[0].stopped_on" in page  # the raw paths kept

    # Round 2: another question; the patient answers in words only, changing nothing.
    second = "Which dose of Percocet did you take, and how often?"
    ask(coordinator, app, case.id, case.public_id, second)
    patient, _body = open_link(app)
    medications_step(
        patient,
        [
            {"name": "Percocet", "status": "stopped", "stopped_on": "2026-10-30"},
            {"name": CANARY_MEDICATION, "status": "current"},
        ],
    )
    # Nothing changed and nothing written: the patient is told, the case waits.
    refused = send(patient, "  ")
    assert refused.request.path == "/intake/amend/send"
    assert "You have not changed any answer and not written an answer" in refused.get_data(
        as_text=True
    )
    assert stored_case(app, case.id).status == "needs_info"
    send(patient, "5 mg, twice a day.")
    pipeline.process(sessions, case.id, DatabaseOutbox())

    with sessions() as db:
        events = list(
            db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
        )
    asked = [e.detail["message"] for e in events if e.action == "info_requested"]
    answered = [(e.detail["question"], e.detail["answer"]) for e in events if e.action == "amended"]
    assert asked == [QUESTION, second]
    assert answered == [
        (QUESTION, "I took the last one on 30 October, after my knee surgery."),
        (second, "5 mg, twice a day."),
    ]
    page = text_of(coordinator.get(f"/staff/cases/{case.public_id}").get_data(as_text=True))
    assert "(round 2; earlier rounds are in the history)" in page
    assert "No answer of the intake changed." in page and "5 mg, twice a day." in page
    history = page[page.index("History") :]
    for words in [QUESTION, second, "after my knee surgery", "5 mg, twice a day."]:
        assert words in history
    # The first round's changes, labelled in the history too.
    assert "Percocet: stopped 2026-10-30, was: I take it now" in history
