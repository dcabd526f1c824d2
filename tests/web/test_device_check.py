"""A resume link opened in a browser not used for its intake asks for the date of birth first
(issue 18, item 11): a right date opens the draft and the browser is remembered, a wrong one
is counted, five lock the link for a day; the browser that made the draft is never asked."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from intake.patient.device import COOKIE
from tests.staff.helpers import routed_case
from tests.web.intake_client import (
    ABOUT,
    complete_until,
    csrf_token,
    errors,
    open_amend_link,
    open_resume_link,
)
from tests.web.patient_cases import ask_for_information, routed
from workflows.cases.device_check import (
    LOCKED_FOR,
    MAX_WRONG_ANSWERS,
    Outcome,
    after_answer,
)
from workflows.cases.drafts import renew_email_link
from workflows.cases.models import CaseEvent, Draft
from workflows.messaging.mail import newest_messages
from workflows.messaging.models import OutboxMessage

RIGHT = {"date_of_birth-month": "4", "date_of_birth-day": "2", "date_of_birth-year": "1980"}
WRONG = {"date_of_birth-month": "4", "date_of_birth-day": "3", "date_of_birth-year": "1980"}
LINK = re.compile(r"http://localhost(/intake/resume\?t=\S+)")


def emailed_link(app: Any) -> str:
    [message] = [
        m for m in newest_messages(app.extensions["ldn"].sessions) if m.kind == "resume_link"
    ]
    return LINK.search(message.body).group(1)


def page_link(client: Any) -> str:
    """The browser's own link, as its pages show it."""
    page = client.get("/intake/diagnoses").get_data(as_text=True)
    return LINK.search(page).group(1).split('"')[0].replace("&amp;", "&")


def answer(client: Any, typed: dict[str, str]) -> Any:
    data = {**typed, "csrf_token": csrf_token(client, "/intake/check")}
    return client.post("/intake/check", data=data)


def the_draft(app: Any) -> Draft:
    with app.extensions["ldn"].sessions() as db:
        return db.scalars(select(Draft)).one()


@pytest.fixture
def started(app: Any) -> Any:
    """The browser that filled in step 1 and 2."""
    client = app.test_client()
    complete_until(client, "diagnoses")
    return client


def test_a_new_browser_is_asked_for_the_date_of_birth_before_any_answer(
    app: Any, started: Any
) -> None:
    stranger = app.test_client()
    response = stranger.get(emailed_link(app))
    assert response.status_code == 302 and response.headers["Location"] == "/intake/check"
    page = stranger.get("/intake/check").get_data(as_text=True)
    assert "Confirm your date of birth" in page and 'id="date_of_birth-month"' in page
    assert ABOUT["first_name"] not in page
    # Nothing opens without the answer, and the link has not been taken over.
    assert stranger.get("/intake/diagnoses").headers["Location"].endswith("/intake/about")
    assert "crohns" in started.get("/intake/diagnoses").get_data(as_text=True)


def test_the_right_date_opens_the_draft_and_this_browser_is_not_asked_again(
    app: Any, started: Any
) -> None:
    link = emailed_link(app)
    phone = app.test_client()
    phone.get(link)
    response = answer(phone, RIGHT)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/intake/medications"
    )
    assert "crohns" in phone.get("/intake/diagnoses").get_data(as_text=True)
    assert "/intake/check" not in response.headers["Location"]
    # Later, the browser session over (only the long-lived cookie stays), the link opens at once.
    phone.delete_cookie("session")
    assert phone.get(link).headers["Location"].endswith("/intake/medications")


def test_the_browser_that_made_the_draft_is_never_asked(app: Any, started: Any) -> None:
    own = page_link(started)
    assert started.get(own).headers["Location"].endswith("/intake/medications")
    started.delete_cookie("session")  # the browser closed: the device cookie remains
    response = started.get(emailed_link(app))
    assert response.headers["Location"].endswith("/intake/medications")


def test_a_forged_device_cookie_does_not_skip_the_check(app: Any, started: Any) -> None:
    stranger = app.test_client()
    stranger.set_cookie(COOKIE, f"[{the_draft(app).id}]")
    assert stranger.get(emailed_link(app)).headers["Location"] == "/intake/check"


def test_a_wrong_date_is_counted_and_says_how_many_tries_are_left(app: Any, started: Any) -> None:
    stranger = app.test_client()
    stranger.get(emailed_link(app))
    response = answer(stranger, WRONG)
    assert response.status_code == 302 and response.headers["Location"] == "/intake/check"
    assert "1980" not in response.headers["Location"]  # the date never rides in a URL
    page = stranger.get("/intake/check")
    assert errors(page) == {
        "date_of_birth-month": "This date of birth does not match the intake. Check it and "
        "try again: you can try 4 more times."
    }
    assert the_draft(app).check_failures == 1
    # A date that cannot be one is refused by the form, not counted.
    typed = {**RIGHT, "date_of_birth-year": "80"}
    refused = answer(stranger, typed)
    assert errors(refused) == {"date_of_birth-year": "Year must be 4 numbers."}
    assert the_draft(app).check_failures == 1


def test_five_wrong_dates_lock_the_link_for_every_new_browser_but_not_the_first(
    app: Any, started: Any
) -> None:
    link = emailed_link(app)
    stranger = app.test_client()
    stranger.get(link)
    token = csrf_token(stranger, "/intake/check")  # the locked page has no form to take it from
    for _ in range(MAX_WRONG_ANSWERS):
        answer(stranger, WRONG)
    locked = stranger.get("/intake/check")
    assert locked.status_code == 403
    page = locked.get_data(as_text=True)
    assert "This link is locked for now" in page
    # How to reach the practice, from its settings (item 10), as links.
    assert 'call us at <a href="tel:5155550142">(515) 555-0142</a>' in page
    assert '<a href="mailto:care@riverbend.example">care@riverbend.example</a>' in page
    assert 'name="date_of_birth-month"' not in page
    # Even the right date waits for the lock to end, from any browser.
    assert stranger.post("/intake/check", data={**RIGHT, "csrf_token": token}).status_code == 403
    other = app.test_client()
    other.get(link)
    assert other.get("/intake/check").status_code == 403
    # The browser that made the draft keeps working.
    started.delete_cookie("session")
    assert started.get(link).headers["Location"].endswith("/intake/medications")


def test_a_submitted_cases_status_link_gets_the_same_check_and_staff_see_wrong_answers(
    app: Any,
) -> None:
    client = app.test_client()
    complete_until(client, "review")
    link = emailed_link(app)
    stranger = app.test_client()
    assert stranger.get(link).headers["Location"] == "/intake/check"
    answer(stranger, WRONG)
    response = answer(stranger, RIGHT)
    assert response.headers["Location"].endswith("/intake/status")
    with app.extensions["ldn"].sessions() as db:
        actions = db.scalars(select(CaseEvent.action)).all()
    assert "link_check_wrong" in actions


def test_the_check_page_speaks_the_patients_language(app: Any) -> None:
    spanish = app.test_client()
    spanish.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    complete_until(spanish, "about")
    other = app.test_client()  # a browser in English
    other.get(emailed_link(app))
    page = other.get("/intake/check").get_data(as_text=True)
    assert "Confirme su fecha de nacimiento" in page


def test_an_invalid_link_reveals_nothing_more_than_before(client: Any) -> None:
    assert client.get("/intake/resume?t=not-a-token").status_code == 404
    assert client.get("/intake/check").status_code == 404


def test_open_resume_link_helper_answers_the_check(app: Any, started: Any) -> None:
    response = open_resume_link(app.test_client(), emailed_link(app))
    assert response.headers["Location"].endswith("/intake/medications")


# --- the rule, on plain values ---------------------------------------------------------------

NOW = datetime(2026, 11, 1, 12, 0)


def test_the_fifth_wrong_answer_locks_and_a_right_one_clears_the_count() -> None:
    answered, failures, until = after_answer(False, MAX_WRONG_ANSWERS - 1, None, NOW)
    assert answered.outcome is Outcome.LOCKED and until == NOW + LOCKED_FOR
    answered, failures, until = after_answer(True, 3, None, NOW)
    assert (answered.outcome, failures, until) == (Outcome.PASSED, 0, None)


def test_a_locked_link_refuses_the_right_answer_until_the_lock_ends_then_starts_afresh() -> None:
    until = NOW + timedelta(hours=1)
    answered, failures, _ = after_answer(True, MAX_WRONG_ANSWERS, until, NOW)
    assert answered.outcome is Outcome.LOCKED and failures == MAX_WRONG_ANSWERS
    later = until + timedelta(seconds=1)
    answered, failures, lock = after_answer(False, MAX_WRONG_ANSWERS, until, later)
    assert (answered.outcome, answered.tries_left, failures, lock) == (
        Outcome.WRONG,
        MAX_WRONG_ANSWERS - 1,
        1,
        None,
    )


# --- the care team's "needs info" link gets the same check ------------------------------------

AMEND_LINK = re.compile(r"http://localhost(/intake/amend\?t=\S+)")


def amend_link(app: Any) -> str:
    with app.extensions["ldn"].sessions() as db:
        [body] = db.scalars(
            select(OutboxMessage.body).where(OutboxMessage.kind == "needs_info")
        ).all()
    return AMEND_LINK.search(body).group(1)


@pytest.fixture
def asked(app: Any) -> tuple[Any, int]:
    """A patient's browser whose submitted case the care team asked about its medications."""
    client, case_id = routed(app)
    ask_for_information(app, case_id)
    return client, case_id


def test_the_amend_link_in_a_new_browser_asks_for_the_date_of_birth_first(
    app: Any, asked: Any
) -> None:
    stranger = app.test_client()
    response = stranger.get(amend_link(app))
    assert response.status_code == 302 and response.headers["Location"] == "/intake/check"
    page = stranger.get("/intake/check").get_data(as_text=True)
    assert "Confirm your date of birth" in page and "Norco" not in page
    # The amend steps stay shut until the answer: no amendment was started.
    assert stranger.get("/intake/amend/medications").status_code == 404


def test_the_right_date_continues_to_the_amend_step_and_this_browser_is_not_asked_again(
    app: Any, asked: Any
) -> None:
    link = amend_link(app)
    phone = app.test_client()
    phone.get(link)
    response = answer(phone, RIGHT)
    assert response.status_code == 302 and "/intake/check" not in response.headers["Location"]
    step = phone.get(response.headers["Location"])
    assert step.headers["Location"].endswith("/intake/amend/medications")
    assert "Norco" in phone.get("/intake/amend/medications").get_data(as_text=True)
    phone.delete_cookie("session")  # the browser closed: the device cookie remains
    assert phone.get(link).headers["Location"].endswith("/intake/amend/medications")


def test_a_wrong_date_on_the_amend_link_is_counted_on_the_intakes_draft(
    app: Any, asked: Any
) -> None:
    stranger = app.test_client()
    stranger.get(amend_link(app))
    response = answer(stranger, WRONG)
    assert response.headers["Location"] == "/intake/check"
    assert errors(stranger.get("/intake/check")) == {
        "date_of_birth-month": "This date of birth does not match the intake. Check it and "
        "try again: you can try 4 more times."
    }
    assert the_draft(app).check_failures == 1
    with app.extensions["ldn"].sessions() as db:
        assert "link_check_wrong" in db.scalars(select(CaseEvent.action)).all()


def test_the_amend_link_and_the_status_link_share_one_count_and_one_lock(
    app: Any, asked: Any
) -> None:
    guesser = app.test_client()
    guesser.get(emailed_link(app))  # the resume (status) link of the same intake
    for _ in range(MAX_WRONG_ANSWERS - 2):
        answer(guesser, WRONG)
    other = app.test_client()
    other.get(amend_link(app))
    answer(other, WRONG)
    assert errors(other.get("/intake/check")) == {
        "date_of_birth-month": "This date of birth does not match the intake. Check it and "
        "try again: you can try 1 more time."
    }
    answer(other, WRONG)
    assert other.get("/intake/check").status_code == 403
    # Locked for both links, in every new browser.
    third = app.test_client()
    assert third.get(amend_link(app)).headers["Location"] == "/intake/check"
    assert third.get("/intake/check").status_code == 403
    fourth = app.test_client()
    fourth.get(emailed_link(app))
    assert fourth.get("/intake/check").status_code == 403


def test_the_browser_that_filled_the_intake_opens_the_amend_link_without_the_check(
    app: Any, asked: Any
) -> None:
    client, _ = asked
    client.delete_cookie("session")  # months later: only the device cookie is left
    assert client.get(amend_link(app)).headers["Location"].endswith("/intake/amend/medications")


def test_the_status_link_after_an_amendment_checks_the_cases_date_of_birth(
    app: Any, asked: Any
) -> None:
    """The decision's status link names the newest draft of the case, the amendment's, which
    holds only the steps it changed: the check compares with the case's date of birth."""
    _client, case_id = asked
    amending = app.test_client()
    open_amend_link(amending, amend_link(app))
    path = "/intake/amend/medications"
    stopped = {"rows-0-name": "Norco 10/325", "rows-0-status": "stopped"}
    stopped["rows-0-stopped_on"] = "2026-10-01"
    amending.post(path, data={**stopped, "csrf_token": csrf_token(amending, path)})
    send = "/intake/amend/send"
    amending.post(send, data={"answer": "Stopped.", "csrf_token": csrf_token(amending, send)})
    with app.extensions["ldn"].sessions.begin() as db:
        status_token = renew_email_link(db, case_id)
    assert status_token is not None
    link = f"/intake/resume?t={status_token}"
    # The browser that amended is not asked; a new one is, and the right date opens the status.
    assert amending.get(link).headers["Location"] == "/intake/status"
    phone = app.test_client()
    assert phone.get(link).headers["Location"] == "/intake/check"
    assert answer(phone, RIGHT).headers["Location"] == "/intake/status"


def test_a_case_sent_through_the_api_gets_the_same_check_on_its_amend_link(
    app: Any, base_intake: dict[str, Any]
) -> None:
    """No draft of the patient's holds the count: an empty one is made for the case."""
    case = routed_case(app, base_intake)
    ask_for_information(app, case.id)
    phone = app.test_client()
    assert phone.get(amend_link(app)).headers["Location"] == "/intake/check"
    assert answer(phone, WRONG).headers["Location"] == "/intake/check"
    with app.extensions["ldn"].sessions() as db:
        [holder] = db.scalars(select(Draft).where(Draft.case_id == case.id))
        assert holder.check_failures == 1 and holder.answers == {} and holder.pending == {}
    assert answer(phone, RIGHT).headers["Location"].startswith("/intake/amend?t=")
    assert phone.get(amend_link(app)).headers["Location"].startswith("/intake/amend/")
    with app.extensions["ldn"].sessions() as db:
        [holder] = db.scalars(select(Draft).where(Draft.case_id == case.id))
        assert holder.check_failures == 0
