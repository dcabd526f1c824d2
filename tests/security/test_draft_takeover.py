"""Draft seeding (issue 16, item 7): whoever types someone else's address at step 1 must not
see what the owner of that address answers after opening the emailed link."""

from __future__ import annotations

import re
from typing import Any

from tests.web.intake_client import ABOUT, complete_until, open_resume_link, post_step
from workflows.messaging.mail import newest_messages

LINK = re.compile(r"http://localhost(/intake/resume\?t=\S+)")


def emailed_link(app: Any) -> str:
    [message] = [
        m for m in newest_messages(app.extensions["ldn"].sessions) if m.kind == "resume_link"
    ]
    match = LINK.search(message.body)
    assert match, "no resume link in the message"
    return match.group(1)


def test_opening_the_emailed_link_ends_the_access_of_whoever_started_the_draft(app: Any) -> None:
    seeder = app.test_client()
    assert post_step(seeder, "about", ABOUT).status_code == 302  # the victim's address
    link = emailed_link(app)

    owner = app.test_client()  # the victim, from their inbox
    assert open_resume_link(owner, link).status_code == 302
    complete_until_diagnoses = post_step(owner, "diagnoses", {"rows-0-name": "lupus"})
    assert complete_until_diagnoses.status_code == 302

    # The seeder's session is worthless now: nothing of the owner's answers, back to step 1.
    response = seeder.get("/intake/diagnoses")
    assert response.status_code == 302 and response.headers["Location"].endswith("/intake/about")
    page = seeder.get("/intake/about").get_data(as_text=True)
    assert "lupus" not in page and ABOUT["first_name"] not in page
    assert "it was opened from the link we emailed" in page
    assert "lupus" in owner.get("/intake/diagnoses").get_data(as_text=True)


def test_the_page_shows_a_link_of_its_own_never_the_emailed_one(app: Any) -> None:
    seeder = app.test_client()
    post_step(seeder, "about", ABOUT)
    link = emailed_link(app)
    pages = "".join(
        seeder.get(path).get_data(as_text=True) for path in ["/intake/diagnoses", "/intake/about"]
    )
    assert "/intake/resume?t=" in pages  # this browser's own link, to bookmark
    assert link.split("t=")[1] not in pages


def test_the_seeders_own_link_stops_working_once_the_owner_takes_over(app: Any) -> None:
    seeder = app.test_client()
    post_step(seeder, "about", ABOUT)
    page = seeder.get("/intake/diagnoses").get_data(as_text=True)
    own_link = re.search(r'href="http://localhost(/intake/resume\?t=[^"]+)"', page).group(1)
    open_resume_link(app.test_client(), emailed_link(app))  # the owner opens the email
    replay = app.test_client().get(own_link.replace("&amp;", "&"))
    assert replay.status_code == 404


def test_the_emailed_link_keeps_working_and_the_latest_browser_has_the_draft(app: Any) -> None:
    first = app.test_client()
    complete_until(first, "diagnoses")
    link = emailed_link(app)
    phone, laptop = app.test_client(), app.test_client()
    assert open_resume_link(phone, link).status_code == 302
    assert open_resume_link(laptop, link).status_code == 302
    assert "crohns" in laptop.get("/intake/diagnoses").get_data(as_text=True)
    assert phone.get("/intake/diagnoses").status_code == 302  # ended by the later opening
