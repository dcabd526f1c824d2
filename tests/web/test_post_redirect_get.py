"""Every patient POST is answered with a redirect (issue 18, item 8), so the browser's Back
and Forward never post a form again; a row added or removed lands on it (item 7).

Errors wait in the draft (what was typed, and that the step was refused), not in the cookie:
the page after the redirect validates the waiting input again and shows the same errors.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.web.intake_client import (
    ABOUT,
    CONSENT,
    HISTORY_ALL_NO,
    complete_until,
    errors,
    landed_on,
    open_resume_link,
    post_step,
    redirected_to,
    send_step,
)
from workflows.cases import pipeline
from workflows.cases.models import Draft
from workflows.messaging.models import OutboxMessage
from workflows.platform.orm import utcnow

BAD_ABOUT = {**ABOUT, "first_name": "Zebulon", "email": "not-an-email"}


def title_of(response: Any) -> str:
    return html.unescape(re.search(r"<title>([^<]*)</title>", response.get_data(as_text=True))[1])


def drafts_of(app: Any) -> list[Draft]:
    with app.extensions["ldn"].sessions() as db:
        found = list(db.scalars(select(Draft)))
        for draft in found:
            db.expunge(draft)
        return found


def resume_mail(app: Any) -> list[OutboxMessage]:
    with app.extensions["ldn"].sessions() as db:
        found = list(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "resume_link")))
        for message in found:
            db.expunge(message)
        return found


# (step completed before, step posted, what is posted): each answered with a redirect to a GET.
POSTS = [
    pytest.param(None, "about", BAD_ABOUT, id="step-1-error-before-any-draft"),
    pytest.param(None, "about", {**BAD_ABOUT, "action": "language-es"}, id="step-1-switch"),
    pytest.param("about", "about", BAD_ABOUT, id="step-1-error"),
    pytest.param("about", "diagnoses", {"rows-0-name": "lupus", "action": "add"}, id="add"),
    pytest.param(
        "about",
        "diagnoses",
        {"rows-0-name": "lupus", "rows-1-name": "gout", "action": "remove-0"},
        id="remove",
    ),
    pytest.param("about", "diagnoses", {"rows-0-name": "x" * 500}, id="diagnoses-error"),
    pytest.param(
        "diagnoses",
        "medications",
        {"rows-0-name": "Norco", "rows-0-status": "stopped"},
        id="medications-error",
    ),
    pytest.param("medications", "history", {}, id="history-error"),
    pytest.param("ketosis", "review", {"signature": "Someone Else"}, id="review-error"),
    pytest.param("about", "diagnoses", {"action": "language-es"}, id="switch"),
    pytest.param("about", "diagnoses", {"action": "back"}, id="back"),
    pytest.param("about", "diagnoses", {"rows-0-name": "lupus"}, id="saved"),
]


@pytest.mark.parametrize(("done", "slug", "data"), POSTS)
def test_every_patient_post_is_answered_with_a_redirect(
    client: Any, done: str | None, slug: str, data: dict[str, str]
) -> None:
    if done:
        complete_until(client, done)
    response = post_step(client, slug, data)
    assert response.status_code == 302, response.status_code
    assert "<form" not in response.get_data(as_text=True)
    # Where the browser lands is a page, answered by a GET.
    assert client.get(redirected_to(response)).status_code == 200


def test_the_page_after_a_refused_post_shows_its_errors_and_what_was_typed(client: Any) -> None:
    response = send_step(client, "about", BAD_ABOUT)
    assert landed_on(response) == "/intake/about"
    page = response.get_data(as_text=True)
    assert list(errors(response)) == ["email"]
    assert title_of(response).startswith("Error: About you (step 1 of 7)")
    assert 'role="alert"' in page and "data-autofocus" in page and 'aria-invalid="true"' in page
    assert 'value="Zebulon"' in page and 'value="not-an-email"' in page
    # A reload (or Forward back to it) shows the same page: nothing is posted again.
    again = client.get("/intake/about")
    assert errors(again) == errors(response) and 'value="not-an-email"' in again.get_data(
        as_text=True
    )


def test_a_step_1_refused_before_any_draft_keeps_what_was_typed_in_a_draft_without_a_link(
    app: Any, client: Any
) -> None:
    response = send_step(client, "about", BAD_ABOUT)
    assert "/intake/resume" not in response.get_data(as_text=True)  # nothing emailed yet
    [draft] = drafts_of(app)
    assert draft.answers == {} and draft.email_token_hash is None
    assert resume_mail(app) == []
    # The cookie holds ids and tokens only: what was typed is not in it.
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    stored = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert "not-an-email" not in repr(stored) and "Zebulon" not in repr(stored)
    assert {"draft_id", "resume_token"} <= set(stored)
    # Only this browser can open it, so it lives a day, not 30, while nothing is saved.
    assert draft.expires_at - draft.updated_at <= timedelta(days=1)
    # Once step 1 validates, the link is emailed, once, and opens the same draft.
    assert landed_on(send_step(client, "about", ABOUT)) == "/intake/diagnoses"
    [message] = resume_mail(app)
    [draft] = drafts_of(app)
    assert draft.email_token_hash is not None and draft.resume_link_sent
    assert draft.expires_at - draft.updated_at == app.extensions["ldn"].draft_lifetime
    link = re.search(r"http://localhost(/intake/resume\?t=\S+)", message.body)[1]
    elsewhere = app.test_client()  # another device: the date of birth first (item 11)
    assert open_resume_link(elsewhere, link).headers["Location"].endswith("/intake/diagnoses")
    assert 'value="Zebulon"' in elsewhere.get("/intake/about").get_data(as_text=True)


def test_the_errors_go_once_the_step_is_saved(client: Any) -> None:
    complete_until(client, "about")
    refused = send_step(client, "diagnoses", {"rows-0-name": "x" * 500})
    assert list(errors(refused)) == ["rows-0-name"]
    assert landed_on(send_step(client, "diagnoses", {"rows-0-name": "lupus"})) == (
        "/intake/medications"
    )
    page = client.get("/intake/diagnoses")
    assert errors(page) == {} and not title_of(page).startswith("Error")
    assert 'value="lupus"' in page.get_data(as_text=True)


def test_leaving_a_refused_step_with_back_keeps_what_was_typed(client: Any) -> None:
    complete_until(client, "about")
    send_step(client, "diagnoses", {"rows-0-name": "x" * 500})
    back = send_step(client, "diagnoses", {"rows-0-name": "lupus"}, action="back")
    assert landed_on(back) == "/intake/about"
    assert 'value="lupus"' in client.get("/intake/diagnoses").get_data(as_text=True)


def test_a_refused_change_from_the_review_keeps_the_way_back_to_the_review(client: Any) -> None:
    complete_until(client, "ketosis")
    response = post_step(client, "history", {**HISTORY_ALL_NO, "pregnant": ""}, return_to="review")
    assert redirected_to(response).endswith("/intake/history?return_to=review")
    page = client.get(redirected_to(response))
    assert list(errors(page)) == ["pregnant"]
    assert "Save and return to review" in page.get_data(as_text=True)


def test_a_submission_refused_for_the_whole_document_shows_its_errors_on_the_review(
    app: Any, client: Any
) -> None:
    complete_until(client, "ketosis")
    # An answer saved under an older rule, which the whole document's check now refuses.
    with app.extensions["ldn"].sessions.begin() as db:
        draft = db.scalars(select(Draft)).one()
        about = draft.answers["about"]
        draft.answers = {
            **draft.answers,
            "about": {**about, "data": {**about["data"], "email": "a@example.org, b@example.org"}},
        }
    response = post_step(client, "review", CONSENT)
    assert redirected_to(response).endswith("/intake/review")
    page = client.get("/intake/review")
    text = page.get_data(as_text=True)
    assert "Enter one email address like name@example.com." in text
    assert title_of(page).startswith("Error: Review and consent")
    assert 'value="Zebulon Fogwhistle"' in text  # the signature typed, kept
    assert client.get("/intake/done").headers["Location"].endswith("/")  # nothing submitted


def test_adding_a_row_lands_on_its_first_field(client: Any) -> None:
    complete_until(client, "diagnoses")
    typed = {"rows-0-name": "Norco", "rows-0-status": "current", "rows-1-name": "aspirin"}
    response = post_step(client, "medications", typed, action="add")
    assert redirected_to(response).endswith("/intake/medications#rows-2-name")
    page = client.get(redirected_to(response)).get_data(as_text=True)
    assert re.search(r'<input[^>]*autofocus[^>]*id="rows-2-name"', page), "autofocus"
    assert page.count("autofocus") == 1 and 'value="aspirin"' in page
    # For that one page only: a reload lands at the top as usual.
    assert "autofocus" not in client.get("/intake/medications").get_data(as_text=True)


@pytest.mark.parametrize(
    ("remove", "target", "message"),
    [
        ("remove-1", "rows-1-name", "Medication 2 removed."),  # the row that took its place
        ("remove-2", "add-row", "Medication 3 removed."),  # the last: the add button
    ],
)
def test_removing_a_row_lands_on_what_took_its_place_and_says_so(
    client: Any, remove: str, target: str, message: str
) -> None:
    complete_until(client, "diagnoses")
    typed = {f"rows-{n}-name": name for n, name in enumerate(["Norco", "aspirin", "zinc"])}
    response = post_step(client, "medications", typed, action=remove)
    assert redirected_to(response).endswith(f"/intake/medications#{target}")
    page = client.get(redirected_to(response)).get_data(as_text=True)
    assert re.search(rf'<[^>]*id="{target}"[^>]*autofocus|<[^>]*autofocus[^>]*id="{target}"', page)
    assert re.search(rf'role="status" data-announce><p>{message}</p>', page)
    assert "removed." not in client.get("/intake/medications").get_data(as_text=True)


def test_removing_a_row_is_said_in_spanish(client: Any) -> None:
    complete_until(client, "about")
    client.get("/language/es")
    typed = {"rows-0-name": "lupus", "rows-1-name": "gota"}
    page = send_step(client, "diagnoses", typed, action="remove-0").get_data(as_text=True)
    assert "Diagnóstico 1 eliminado." in html.unescape(page)


def test_a_draft_with_nothing_saved_lives_a_day_from_the_last_try(app: Any, client: Any) -> None:
    send_step(client, "about", BAD_ABOUT)
    [draft] = drafts_of(app)
    with app.extensions["ldn"].sessions.begin() as db:
        db.get(Draft, draft.id).expires_at = utcnow() + timedelta(hours=1)
    send_step(client, "about", BAD_ABOUT)  # the patient tries again: another day from now
    [draft] = drafts_of(app)
    assert draft.expires_at >= utcnow() + timedelta(hours=23)
    # The nightly purge takes it a day after the last try, with what was typed.
    assert (
        pipeline.purge_abandoned_drafts(
            app.extensions["ldn"].sessions, utcnow() + timedelta(hours=25)
        )
        == 1
    )
    assert drafts_of(app) == []
