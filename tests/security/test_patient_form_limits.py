"""Rate limits on the patient forms (issue 16, item 8): 40 step-1 posts in 0.7 s from one
address queued 40 emails to one victim."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from intake.security import DRAFT_CREATE_LIMIT, RESUME_MAIL_LIMIT
from tests.conftest import build_app
from tests.web.intake_client import ABOUT, errors, landed_on, post_step, send_step
from workflows.messaging.mail import newest_messages


@pytest.fixture
def app(tmp_path: Path, redis_url: str, database_url: str) -> Any:
    """The real limits, as in production."""
    return build_app(
        tmp_path,
        redis_url,
        database_url,
        DRAFT_CREATE_LIMIT=DRAFT_CREATE_LIMIT,
        RESUME_MAIL_LIMIT=RESUME_MAIL_LIMIT,
    )


def resume_mail_to(app: Any, address: str) -> int:
    messages = newest_messages(app.extensions["ldn"].sessions, limit=1000)
    return sum(1 for m in messages if m.kind == "resume_link" and m.to_address == address)


def test_one_address_can_start_only_a_few_drafts_a_minute(app: Any) -> None:
    codes = []
    for n in range(8):
        client = app.test_client()  # a fresh cookie each time, as a script would
        codes.append(
            post_step(client, "about", {**ABOUT, "email": f"p{n}@example.org"}).status_code
        )
    assert codes == [302] * 5 + [429] * 3
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    assert post_step(elsewhere, "about", ABOUT).status_code == 302


def test_a_form_sent_back_to_fix_counts_once_for_its_browser(app: Any) -> None:
    client = app.test_client()
    for _ in range(10):  # the first refused post keeps what was typed in a draft
        refused = send_step(client, "about", {**ABOUT, "email": "not an address"})
        assert landed_on(refused) == "/intake/about" and "email" in errors(refused)
    assert landed_on(send_step(client, "about", ABOUT)) == "/intake/diagnoses"
    for n in range(4):  # four more browsers: five drafts in all
        fresh = app.test_client()
        assert post_step(fresh, "about", {**ABOUT, "email": f"p{n}@example.org"}).status_code == 302
    assert post_step(app.test_client(), "about", ABOUT).status_code == 429


def test_refused_posts_from_fresh_browsers_count_as_the_drafts_they_make(app: Any) -> None:
    codes = [
        post_step(app.test_client(), "about", {**ABOUT, "email": "nope"}).status_code
        for _ in range(7)
    ]
    assert codes == [302] * 5 + [429] * 2


def test_saving_later_steps_of_a_draft_does_not_count(app: Any) -> None:
    client = app.test_client()
    assert post_step(client, "about", ABOUT).status_code == 302
    for _ in range(10):  # step 1 changed again and again by its own browser
        assert post_step(client, "about", ABOUT).status_code == 302


def test_one_recipient_gets_only_a_few_links_a_day_from_any_number_of_addresses(
    app: Any,
) -> None:
    victim = "victim@example.org"
    for n in range(6):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        # the draft is still made (a patient is never stopped), only the mail is not sent
        assert post_step(client, "about", {**ABOUT, "email": victim}).status_code == 302
    assert resume_mail_to(app, victim) == 3
