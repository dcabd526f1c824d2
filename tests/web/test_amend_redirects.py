"""The amend flow (a patient answering the care team's question) answers every POST with a
redirect too (issue 18, item 8): errors wait in its draft and show on the page that follows;
a row added lands on it (item 7)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.canary import CANARY_MEDICATION, CANARY_PATIENT
from tests.conftest import stored_case
from tests.staff.helpers import login, make_staff, routed_case
from tests.staff.test_question_loop import QUESTION, ask, open_link
from tests.web.intake_client import csrf_token, errors, redirected_to

STEP = "/intake/amend/medications"
SEND = "/intake/amend/send"


@pytest.fixture
def case_id(app: Any, base_intake: dict[str, Any]) -> int:
    """A case whose patient a coordinator asked to update their medications."""
    make_staff(app)
    base_intake["patient"] = dict(CANARY_PATIENT)
    base_intake["medications"] = [
        {"name": "Percocet", "status": "current"},
        {"name": CANARY_MEDICATION, "status": "current"},
    ]
    case = routed_case(app, base_intake)
    coordinator = app.test_client()
    login(coordinator, "coord@test")
    ask(coordinator, app, case.id, case.public_id, QUESTION)
    return int(case.id)


@pytest.fixture
def patient(app: Any, case_id: int) -> Any:
    """The patient's browser, opened from the link in the message."""
    browser, _body = open_link(app)
    return browser


def post(patient: Any, path: str, data: dict[str, str]) -> Any:
    return patient.post(path, data={**data, "csrf_token": csrf_token(patient, path)})


def test_a_refused_amend_step_redirects_and_shows_its_errors_with_what_was_typed(
    patient: Any,
) -> None:
    response = post(patient, STEP, {"rows-0-name": "Percocet", "rows-0-status": "stopped"})
    assert redirected_to(response).endswith(STEP)
    page = patient.get(STEP)
    assert list(errors(page)) == ["rows-0-stopped_on"]
    text = page.get_data(as_text=True)
    assert re.search(r"<title>Error: ", text) and 'value="Percocet"' in text
    assert errors(patient.get(STEP)) == errors(page)  # Forward or a reload: the same page


def test_adding_a_row_while_amending_lands_on_it(patient: Any) -> None:
    typed = {"rows-0-name": "Percocet", "rows-0-status": "current"}
    response = post(patient, STEP, {**typed, "action": "add"})
    assert redirected_to(response).endswith(f"{STEP}#rows-1-name")
    page = patient.get(redirected_to(response)).get_data(as_text=True)
    assert re.search(r'<input[^>]*autofocus[^>]*id="rows-1-name"', page)


def test_a_refused_send_redirects_and_shows_the_reason_with_the_answer_typed(
    app: Any, case_id: int, patient: Any
) -> None:
    unchanged = {
        "rows-0-name": "Percocet",
        "rows-0-status": "current",
        "rows-1-name": CANARY_MEDICATION,
        "rows-1-status": "current",
    }
    assert redirected_to(post(patient, STEP, unchanged)).endswith(SEND)
    too_long = "x" * 2001
    response = post(patient, SEND, {"answer": too_long})
    assert redirected_to(response).endswith(SEND)
    page = patient.get(SEND)
    assert list(errors(page)) == ["answer"] and too_long in page.get_data(as_text=True)
    # Nothing changed and nothing written: said after the redirect too.
    response = post(patient, SEND, {"answer": "  "})
    assert redirected_to(response).endswith(SEND)
    text = patient.get(SEND).get_data(as_text=True)
    assert "You have not changed any answer and not written an answer" in text
    assert stored_case(app, case_id).status == "needs_info"
    # Sent: the thank-you page is a GET after the redirect, shown once.
    response = post(patient, SEND, {"answer": "I stopped last week."})
    assert redirected_to(response).endswith("/intake/amend/done")
    assert "your answers are updated" in patient.get("/intake/amend/done").get_data(as_text=True)
    assert patient.get("/intake/amend/done").headers["Location"].endswith("/")
    assert stored_case(app, case_id).status == "screening"
