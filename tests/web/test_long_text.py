"""Long text is never cut (issue 18, item 9): the limit is said under the box, with or without
JavaScript; no maxlength lets a browser cut a paste; too long a text is refused with its count
and comes back whole. And the signature forgives accents (item 5), keeping what was typed."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import stored_case
from tests.web.intake_client import (
    ABOUT,
    CONSENT,
    HISTORY_ALL_NO,
    complete_until,
    csrf_token,
    errors,
    post_step,
)
from tests.web.test_named_errors import landed, open_amend_link, patient, summary_of
from workflows.cases.models import Case

NOTES = "The rash comes and goes. " * 200  # 5,000 characters


def textarea(page: Any, name: str) -> tuple[str, str]:
    """The textarea's opening tag and its text."""
    found = re.search(
        rf'(<textarea[^>]*name="{name}"[^>]*>)\r?\n?(.*?)</textarea>',
        page.get_data(as_text=True),
        re.S,
    )
    assert found, f"no textarea {name}"
    return found.group(1), html.unescape(found.group(2))


@pytest.mark.parametrize(
    ("step", "name", "limit"), [("history", "notes", "4,000"), ("goals", "goal_notes", "2,000")]
)
def test_the_limit_is_said_under_the_box_and_no_maxlength_cuts_a_paste(
    client: Any, step: str, name: str, limit: str
) -> None:
    complete_until(client, {"history": "medications", "goals": "history"}[step])
    page = client.get(f"/intake/{step}")
    tag, _text = textarea(page, name)
    assert "maxlength" not in tag
    assert f'aria-describedby="{name}-info"' in tag
    assert f'id="{name}-info"' in page.get_data(as_text=True)
    assert f"You can enter up to {limit} characters" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Notes must be 4,000 characters or fewer; you have 5,000."),
        ("es", "Las notas deben tener 4.000 caracteres como máximo; usted escribió 5.000."),
    ],
)
def test_a_pasted_5000_characters_are_refused_with_their_count_and_kept_whole(
    app: Any, language: str, expected: str
) -> None:
    client = patient(app, language)
    complete_until(client, "medications")
    page = landed(client, post_step(client, "history", {**HISTORY_ALL_NO, "notes": NOTES}))
    assert summary_of(page) == {"notes": expected}
    tag, text = textarea(page, "notes")
    assert text == NOTES
    assert 'aria-invalid="true"' in tag


def test_line_breaks_count_once_as_the_page_counts_them(client: Any) -> None:
    """Browsers send each line break as CR LF: 2,000 lines of one letter are 4,000 characters,
    not 6,000, and are saved with plain line breaks."""
    complete_until(client, "medications")
    notes = "a\r\n" * 2000
    response = post_step(client, "history", {**HISTORY_ALL_NO, "notes": notes[:-2]})
    assert response.headers["Location"].endswith("/intake/goals"), errors(response)
    _tag, text = textarea(client.get("/intake/history"), "notes")
    assert text == "a\n" * 1999 + "a"


def test_the_answer_to_the_care_teams_question_is_refused_whole_too(app: Any) -> None:
    amending = open_amend_link(app)
    step = "/intake/amend/medications"
    unchanged = {"rows-0-name": "Norco 10/325", "rows-0-status": "current"}
    amending.post(step, data={**unchanged, "csrf_token": csrf_token(amending, step)})
    path = "/intake/amend/send"
    assert "You can enter up to 2,000 characters" in amending.get(path).get_data(as_text=True)
    answer = "I stopped it. " * 150  # 2,100 characters
    response = amending.post(
        path, data={"answer": answer, "csrf_token": csrf_token(amending, path)}
    )
    page = landed(amending, response)
    body = page.get_data(as_text=True)
    assert "Your answer must be 2,000 characters or fewer; you have 2,100." in body
    assert textarea(page, "answer")[1] == answer


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_signature_without_the_accents_signs_and_keeps_what_was_typed(
    app: Any, language: str
) -> None:
    client = patient(app, language)
    about = {"first_name": "Rosa", "last_name": "Hernández", "email": "rosa@example.org"}
    complete_until(client, "ketosis", about={**ABOUT, **about})
    signed = "  rosa   HERNANDEZ "
    response = post_step(client, "review", {**CONSENT, "signature": signed})
    assert response.headers["Location"].endswith("/intake/done"), errors(response)
    with app.extensions["ldn"].sessions() as db:
        case_id = db.scalars(select(Case.id)).one()
    assert stored_case(app, case_id).intake["consent"]["signed_name"] == "rosa HERNANDEZ"


def test_another_name_is_still_refused_as_a_signature(client: Any) -> None:
    complete_until(client, "ketosis")
    page = landed(
        client, post_step(client, "review", {**CONSENT, "signature": "Dr. Zebulon Fogwhistle"})
    )
    assert summary_of(page) == {
        "signature": "Type your full name exactly as you gave it in step 1."
    }
