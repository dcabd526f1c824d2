"""Issue 18, items 2 and 3: a child learns at step 1 that the practice sees adults only, and
someone living where it is not licensed chooses once, after step 1, between the waitlist and
stopping (which deletes the draft)."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from tests.conftest import TODAY
from tests.web.intake_client import (
    ABOUT,
    complete_until,
    csrf_token,
    join_waitlist,
    post_step,
)
from workflows.cases.models import Draft
from workflows.messaging.models import OutboxMessage

# Hidden inputs on a page (the adults-only page has only its delete form's CSRF token).
HIDDEN = re.compile(r'<input (?:type="hidden" )?name="([^"]+)" (?:type="hidden" )?value="([^"]*)">')
NOTICE = "We are not licensed in your state yet"
WAITLIST_LINE = "You are on our waitlist"


def born_on(day: date, **about: str) -> dict[str, str]:
    """Step 1's answers with this date of birth (the one place that knows how it is typed)."""
    typed = {
        "date_of_birth-month": str(day.month),
        "date_of_birth-day": str(day.day),
        "date_of_birth-year": str(day.year),
    }
    return {**ABOUT, **about, **typed}


def eighteenth_birthday_today() -> date:
    return TODAY.replace(year=TODAY.year - 18)


def count(app: Any, model: Any) -> int:
    with app.extensions["ldn"].sessions() as db:
        return db.scalar(select(func.count()).select_from(model))


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def the_hidden_answers(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


# --- adults only -----------------------------------------------------------------------------


def test_a_childs_step_1_is_answered_with_a_redirect_and_what_was_typed_waits_in_a_draft(
    app: Any, client: Any
) -> None:
    response = post_step(client, "about", born_on(date(2012, 6, 15)))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/intake/adults-only")
    page = text_of(client.get("/intake/adults-only"))
    assert "We can only see adults" in page and "June 15, 2012" in page
    assert "aged 18 and over" in page and "pediatrician" in page and "contact us" in page
    assert "We have not sent you an email" in page and "kept for a day after your last try" in page
    assert "Delete what I typed" in page
    # Nothing typed rides in the page (no hidden answers) or the session cookie.
    assert "Zebulon" not in page and the_hidden_answers(page).keys() == {"csrf_token"}
    with client.session_transaction() as cookie:
        assert "Zebulon" not in str(dict(cookie))
    with app.extensions["ldn"].sessions() as db:
        [draft] = db.scalars(select(Draft))
        assert draft.answers == {} and ["first_name", "Zebulon"] in draft.pending["about"]
    assert count(app, OutboxMessage) == 0
    assert client.get("/intake/diagnoses").headers["Location"].endswith("/intake/about")


def test_a_childs_date_sent_from_the_review_page_goes_back_to_it_once_corrected(
    client: Any,
) -> None:
    complete_until(client, "ketosis")
    child = post_step(client, "about", born_on(date(2012, 6, 15)), return_to="review")
    assert child.headers["Location"].endswith("/intake/adults-only?return_to=review")
    page = client.get("/intake/adults-only?return_to=review").get_data(as_text=True)
    assert "The answers you saved before are unchanged" in page
    assert 'href="/intake/about?return_to=review#date_of_birth"' in page
    corrected = post_step(client, "about", ABOUT, return_to="review")
    assert corrected.headers["Location"].endswith("/intake/review")


def test_on_their_18th_birthday_a_patient_continues_and_the_day_before_they_cannot(
    client: Any,
) -> None:
    day_before = post_step(client, "about", born_on(eighteenth_birthday_today() + timedelta(1)))
    assert day_before.headers["Location"].endswith("/intake/adults-only")
    on_the_day = post_step(client, "about", born_on(eighteenth_birthday_today()))
    assert on_the_day.headers["Location"].endswith("/intake/diagnoses")


def test_a_mistyped_year_is_corrected_without_typing_anything_again(client: Any) -> None:
    typed = born_on(date(2012, 4, 2), first_name="Dolores", email="dolores@example.org")
    post_step(client, "about", typed)
    adults_only = text_of(client.get("/intake/adults-only"))
    assert 'href="/intake/about#date_of_birth"' in adults_only

    page = text_of(client.get("/intake/about"))
    assert "Step 1 of 7" in page and "There is a problem" not in page
    for value in ["Dolores", "dolores@example.org", 'value="2012"', 'selected value="TX"']:
        assert value in page, value

    corrected = post_step(client, "about", {**typed, "date_of_birth-year": "1982"})
    assert corrected.headers["Location"].endswith("/intake/diagnoses")
    # Step 1 saved as an adult's: the adults-only page has nothing to show.
    assert client.get("/intake/adults-only").headers["Location"].endswith("/intake/about")


def test_a_saved_patient_who_types_a_childs_date_keeps_the_saved_answers(
    app: Any, client: Any
) -> None:
    complete_until(client, "about")
    response = post_step(client, "about", born_on(date(2015, 1, 9)))
    assert response.headers["Location"].endswith("/intake/adults-only")
    page = text_of(client.get("/intake/adults-only"))
    assert "We can only see adults" in page and "saved before are unchanged" in page
    assert "Delete what I typed" not in page
    # A delete sent anyway (an old page) deletes nothing saved.
    token = csrf_token(client, "/intake/about")  # the session's token, from any form
    kept = client.post("/intake/adults-only/delete", data={"csrf_token": token})
    assert kept.headers["Location"].endswith("/intake/adults-only")
    with app.extensions["ldn"].sessions() as db:
        [draft] = db.scalars(select(Draft))
        assert draft.answers["about"]["data"]["date_of_birth"] == "1980-04-02"  # ABOUT's date
    # What they typed waits on step 1, to be corrected there.
    assert 'value="2015"' in text_of(client.get("/intake/about"))


def test_the_adults_only_page_changes_language_with_a_plain_link(client: Any) -> None:
    post_step(client, "about", born_on(date(2012, 6, 15)))
    english = text_of(client.get("/intake/adults-only"))
    assert 'href="/language/es?next=/intake/adults-only"' in english
    switched = client.get("/language/es?next=/intake/adults-only")
    assert switched.headers["Location"].endswith("/intake/adults-only")
    spanish = text_of(client.get("/intake/adults-only"))
    assert "Solo podemos atender a adultos" in spanish and "15 de junio de 2012" in spanish
    assert "pediatra" in spanish and "Borrar lo que escribí" in spanish


def test_delete_what_i_typed_deletes_the_draft_and_keeps_the_language(
    app: Any, client: Any
) -> None:
    client.get("/language/es?next=/intake/about")
    post_step(client, "about", born_on(date(2012, 6, 15)))
    token = csrf_token(client, "/intake/adults-only")
    deleted = client.post("/intake/adults-only/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    assert deleted.headers["Location"].endswith("/intake/adults-only/deleted")
    assert "Lo que escribió se ha borrado" in text_of(client.get("/intake/adults-only/deleted"))
    assert count(app, Draft) == 0
    assert client.get("/intake/adults-only").headers["Location"].endswith("/intake/about")
    assert "Zebulon" not in text_of(client.get("/intake/about"))


def test_the_adults_only_page_without_a_childs_date_waiting_goes_to_step_1(client: Any) -> None:
    assert client.get("/intake/adults-only").headers["Location"].endswith("/intake/about")
    # An adult's date typed and switched to Spanish (waiting, unchecked) is not a child's.
    client.post(
        "/intake/about",
        data={**ABOUT, "action": "language-es", "csrf_token": csrf_token(client, "/intake/about")},
    )
    assert client.get("/intake/adults-only").headers["Location"].endswith("/intake/about")
    token = csrf_token(client, "/intake/about")
    refused = client.post("/intake/adults-only/delete", data={"csrf_token": token})
    assert refused.headers["Location"].endswith("/intake/about")
    assert "Zebulon" in text_of(client.get("/intake/about"))


# --- out of state: said once, with a choice --------------------------------------------------


def test_out_of_state_is_asked_once_and_the_waitlist_continues_without_the_notice(
    client: Any,
) -> None:
    response = post_step(client, "about", {**ABOUT, "state_of_residence": "KS"})
    assert response.headers["Location"].endswith("/intake/waitlist")
    # The later steps wait for the choice.
    assert client.get("/intake/diagnoses").headers["Location"].endswith("/intake/waitlist")
    choice = text_of(client.get("/intake/waitlist"))
    assert NOTICE in choice and "Kansas" in choice
    assert "Join the waitlist" in choice and "Stop and delete my answers" in choice
    assert "You will not get an appointment" in choice

    joined = join_waitlist(client)
    assert joined.headers["Location"].endswith("/intake/diagnoses")
    page = text_of(client.get("/intake/diagnoses"))
    assert NOTICE not in page and WAITLIST_LINE in page
    complete_until(client, "ketosis", about={**ABOUT, "state_of_residence": "KS"})
    review = text_of(client.get("/intake/review"))
    assert NOTICE not in review and review.count(WAITLIST_LINE) == 1
    complete_until(client, "review", about={**ABOUT, "state_of_residence": "KS"})
    done = text_of(client.get("/intake/done"))
    assert done.count("your intake goes on our waitlist") == 1


def test_stopping_here_deletes_the_draft_and_its_link(app: Any, client: Any) -> None:
    post_step(client, "about", {**ABOUT, "state_of_residence": "KS"})
    link = re.search(r"/intake/resume\?t=[^\s\"]+", outbox_body(app)).group(0)
    stop = client.post(
        "/intake/waitlist",
        data={"choice": "stop", "csrf_token": csrf_token(client, "/intake/waitlist")},
    )
    assert stop.headers["Location"].endswith("/intake/stopped")
    assert "Your answers are deleted" in text_of(client.get("/intake/stopped"))
    assert count(app, Draft) == 0
    assert client.get("/intake/diagnoses").headers["Location"].endswith("/intake/about")
    assert "Zebulon" not in text_of(client.get("/intake/about"))
    assert app.test_client().get(link).status_code == 404


def outbox_body(app: Any) -> str:
    with app.extensions["ldn"].sessions() as db:
        [message] = db.scalars(select(OutboxMessage))
        return str(message.body)


def test_a_licensed_state_ends_the_waitlist_and_an_unlicensed_one_asks_again(
    app: Any, client: Any
) -> None:
    complete_until(client, "diagnoses", about={**ABOUT, "state_of_residence": "KS"})
    moved = post_step(client, "about", {**ABOUT, "state_of_residence": "IA"})
    assert moved.headers["Location"].endswith("/intake/diagnoses")
    assert WAITLIST_LINE not in text_of(client.get("/intake/diagnoses"))
    assert client.get("/intake/waitlist").headers["Location"].endswith("/intake/medications")
    with app.extensions["ldn"].sessions() as db:
        [draft] = db.scalars(select(Draft))
        assert "waitlist" not in draft.answers["about"]

    back_out = post_step(client, "about", {**ABOUT, "state_of_residence": "KS"})
    assert back_out.headers["Location"].endswith("/intake/waitlist")


def test_another_unlicensed_state_keeps_the_waitlist_choice(client: Any) -> None:
    complete_until(client, "about", about={**ABOUT, "state_of_residence": "KS"})
    moved = post_step(client, "about", {**ABOUT, "state_of_residence": "NY"})
    assert moved.headers["Location"].endswith("/intake/diagnoses")
    assert WAITLIST_LINE in text_of(client.get("/intake/diagnoses"))


def test_the_waitlist_choice_is_in_spanish(client: Any) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-MX,es;q=0.9"
    post_step(client, "about", {**ABOUT, "state_of_residence": "NY"})
    page = text_of(client.get("/intake/waitlist"))
    assert "Todavía no tenemos licencia en su estado" in page and "Nueva York" in page
