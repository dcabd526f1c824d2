"""The multi-step patient intake through the test client: saving, resuming, errors, CSRF."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select

from tests.web.intake_client import (
    ABOUT,
    HISTORY_ALL_NO,
    complete_until,
    csrf_token,
    errors,
    landed_on,
    open_resume_link,
    post_step,
    send_step,
)
from workflows.cases.models import Case, Draft
from workflows.messaging.models import OutboxMessage


def resume_link(client: Any) -> str:
    page = client.get("/intake/diagnoses").get_data(as_text=True)
    return html.unescape(re.search(r'href="(http://[^"]+/intake/resume\?t=[^"]+)"', page).group(1))


def test_the_start_page_leads_to_step_1(client: Any) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/intake/about"' in page
    step = client.get("/intake/about").get_data(as_text=True)
    assert "Step 1 of 7" in step and "<label" in step


def test_each_step_shows_its_number_and_later_steps_wait_for_earlier_ones(client: Any) -> None:
    assert client.get("/intake/goals").headers["Location"].endswith("/intake/about")
    post_step(client, "about", ABOUT)
    assert "Step 2 of 7" in client.get("/intake/diagnoses").get_data(as_text=True)
    assert client.get("/intake/history").headers["Location"].endswith("/intake/diagnoses")


def test_a_complete_intake_is_submitted_and_shows_its_reference(client: Any) -> None:
    complete_until(client, "review")
    page = client.get("/intake/done").get_data(as_text=True)
    reference = re.search(r"LDN-[A-Z0-9]{4}-[A-Z0-9]{4}", page).group(0)
    with client.application.extensions["ldn"].sessions() as db:
        case = db.scalars(select(Case).where(Case.public_id == reference)).one()
        assert case.status == "received"
        assert case.intake["medications"] == [
            {"name": "Norco 10/325", "status": "current", "dose": "1 tab"}
        ]
        assert case.intake["diagnoses"] == [{"name": "crohns", "icd10": "K50.90"}]
        assert case.intake["consent"]["signed_name"] == "Zebulon Fogwhistle"
        assert case.intake["consent"]["signed_at"].endswith("Z")
    assert "Received" in client.get("/intake/status").get_data(as_text=True)


def test_invalid_input_shows_an_error_summary_and_keeps_what_was_typed(client: Any) -> None:
    response = send_step(
        client,
        "about",
        {**ABOUT, "date_of_birth-month": "2", "date_of_birth-day": "30", "email": "x"},
    )
    assert landed_on(response) == "/intake/about"
    page = response.get_data(as_text=True)
    assert errors(response) == {
        "date_of_birth-day": "Date of birth must be a real date.",
        "email": "Enter an email address like name@example.com.",
    }
    assert 'role="alert"' in page and 'aria-invalid="true"' in page
    assert 'aria-describedby="email-hint email-error"' in page
    assert 'value="Zebulon"' in page and 'value="30"' in page and 'value="x"' in page


def test_a_stopped_medication_needs_its_date_and_the_other_rows_are_kept(client: Any) -> None:
    complete_until(client, "diagnoses")
    response = send_step(
        client,
        "medications",
        {
            "rows-0-name": "Synthroid 75 mcg",
            "rows-0-status": "current",
            "rows-1-name": "oxycodone",
            "rows-1-status": "stopped",
        },
    )
    assert landed_on(response) == "/intake/medications"
    assert list(errors(response)) == ["rows-1-stopped_on"]
    # The typed rows survive leaving the page: they wait in the draft.
    page = client.get("/intake/medications").get_data(as_text=True)
    assert 'value="Synthroid 75 mcg"' in page and 'value="oxycodone"' in page


def test_rows_can_be_added_and_removed_without_javascript(client: Any) -> None:
    complete_until(client, "about")
    added = send_step(
        client, "diagnoses", {"rows-0-name": "crohns", "rows-0-icd10": ""}, action="add"
    )
    assert "Diagnosis 2" in added.get_data(as_text=True)
    removed = send_step(
        client, "diagnoses", {"rows-0-name": "crohns", "rows-1-name": "migraine"}, action="remove-0"
    )
    page = removed.get_data(as_text=True)
    assert 'value="migraine"' in page and 'value="crohns"' not in page and "Diagnosis 2" not in page


def test_back_keeps_the_answers_of_the_page_being_left(client: Any) -> None:
    complete_until(client, "about")
    response = post_step(client, "diagnoses", {"rows-0-name": "lupus"}, action="back")
    assert response.headers["Location"].endswith("/intake/about")
    assert 'value="lupus"' in client.get("/intake/diagnoses").get_data(as_text=True)
    assert 'value="Zebulon"' in client.get("/intake/about").get_data(as_text=True)


def test_the_resume_link_brings_every_answer_back_in_a_new_browser(app: Any) -> None:
    first = app.test_client()
    complete_until(first, "history")
    link = resume_link(first)
    second = app.test_client()  # a closed browser: no cookie
    response = open_resume_link(second, link.removeprefix("http://localhost"))
    assert response.headers["Location"].endswith("/intake/goals")
    assert 'value="Zebulon"' in second.get("/intake/about").get_data(as_text=True)
    assert 'value="Norco 10/325"' in second.get("/intake/medications").get_data(as_text=True)
    assert 'value="yes" checked' not in second.get("/intake/history").get_data(as_text=True)


def test_the_resume_link_is_written_to_the_outbox_once(client: Any) -> None:
    complete_until(client, "diagnoses")
    post_step(client, "about", ABOUT)
    with client.application.extensions["ldn"].sessions() as db:
        [message] = db.scalars(select(OutboxMessage)).all()
    assert message.kind == "resume_link" and message.to_address == "zebulon@example.org"
    assert "http://localhost/intake/resume?t=" in message.body
    # The emailed link is the mailbox's own: never the one this browser's pages show
    # (tests/security/test_draft_takeover.py).
    assert resume_link(client) not in message.body
    assert "crohn" not in message.body.lower()


def test_a_wrong_resume_token_shows_a_plain_page(client: Any) -> None:
    response = client.get("/intake/resume?t=not-a-real-token")
    assert response.status_code == 404 and "expired or is not valid" in response.get_data(
        as_text=True
    )


def test_an_expired_draft_cannot_be_resumed(app: Any) -> None:
    from datetime import timedelta

    from workflows.platform.orm import utcnow

    client = app.test_client()
    complete_until(client, "about")
    link = resume_link(client)
    with app.extensions["ldn"].sessions.begin() as db:
        for draft in db.scalars(select(Draft)):
            draft.expires_at = utcnow() - timedelta(days=1)
    assert app.test_client().get(link.removeprefix("http://localhost")).status_code == 404


def test_an_out_of_state_resident_learns_it_at_step_1_and_may_continue(client: Any) -> None:
    assert "Iowa, Illinois, Missouri, Florida, Georgia and Texas" in client.get(
        "/intake/about"
    ).get_data(as_text=True)
    response = post_step(client, "about", {**ABOUT, "state_of_residence": "KS"})
    # Said once, with a choice (tests/web/test_step_one_eligibility.py follows both).
    assert response.headers["Location"].endswith("/intake/waitlist")
    page = client.get("/intake/waitlist").get_data(as_text=True)
    assert "not licensed in your state" in page and "Join the waitlist" in page


def test_the_review_lists_every_answer_with_change_links(client: Any) -> None:
    complete_until(client, "ketosis")
    page = client.get("/intake/review").get_data(as_text=True)
    for text in [
        "Zebulon Fogwhistle",
        "crohns (K50.90)",
        "Norco 10/325, 1 tab (taking now)",
        "7 out of 10",
        "No, LDN only",
    ]:
        assert text in page
    for slug in ["about", "diagnoses", "medications", "history", "goals", "ketosis"]:
        assert f'href="/intake/{slug}?return_to=review"' in page


def test_a_change_from_review_returns_to_review(client: Any) -> None:
    complete_until(client, "ketosis")
    response = post_step(
        client, "history", {**HISTORY_ALL_NO, "pregnant": "yes"}, return_to="review"
    )
    assert response.headers["Location"].endswith("/intake/review")


def test_consent_needs_every_box_and_the_typed_full_name(client: Any) -> None:
    complete_until(client, "ketosis")
    response = send_step(client, "review", {"consent_accurate": "y", "signature": "Someone Else"})
    assert landed_on(response) == "/intake/review"
    assert set(errors(response)) == {"consent_review", "consent_contact", "signature"}


def test_a_post_without_the_csrf_token_is_refused(client: Any) -> None:
    response = client.post("/intake/about", data=ABOUT)
    assert response.status_code == 400


def test_no_personal_data_travels_in_urls(client: Any) -> None:
    complete_until(client, "review")
    for path in ["/intake/done", "/intake/status"]:
        page = client.get(path).get_data(as_text=True)
        for url in re.findall(r'href="([^"]+)"', page):
            if url == "mailto:care@riverbend.example":  # the practice's own address (footer)
                continue
            assert "Zebulon" not in url and "1980" not in url and "@" not in url


def test_a_csrf_token_comes_with_every_form(client: Any) -> None:
    assert csrf_token(client, "/intake/about")
