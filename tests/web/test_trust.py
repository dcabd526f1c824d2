"""Issue 18, items 6, 10 and 12: the page a patient sees when their session expired, the
practice's contact details and privacy notice on every patient page and message, and what
follows a submission (another intake from the same browser, the status link, the news
message when a person decides)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import build_app
from tests.staff.helpers import act, login
from tests.web.intake_client import ABOUT, complete_until, open_resume_link, post_step
from tests.web.patient_cases import (
    SPANISH,
    ask_for_information,
    case_row,
    routed,
    staff_of,
    submitted,
)
from tests.web.test_device_check import amend_link
from tests.web.test_patient_status_page import visible_text
from workflows.cases import casework, pipeline
from workflows.cases.models import CaseEvent
from workflows.cases.submission import submit_intake
from workflows.messaging.mail import DatabaseOutbox
from workflows.messaging.models import OutboxMessage
from workflows.platform.settings import Practice, Settings
from workflows.staff.models import AuditEntry

LINK = re.compile(r"http://localhost/intake/resume\?t=[\w-]+")


def outbox(app: Any, kind: str) -> list[OutboxMessage]:
    with app.extensions["ldn"].sessions() as db:
        rows = list(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))
        for row in rows:
            db.expunge(row)
        return rows


def spanish_client(app: Any) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH
    return client


# --- item 10: the practice's details and the privacy notice ------------------------------


def test_the_practice_settings_have_defaults_and_are_read_from_the_environment(
    tmp_path: Path,
) -> None:
    defaults = Settings.from_env({"LDN_INSTANCE_PATH": str(tmp_path)})
    assert defaults.practice == Practice(
        "Riverbend Integrative Health",
        "(515) 555-0142",
        "care@riverbend.example",
        "http://127.0.0.1:5000/privacy",
    )
    assert defaults.practice.tel == "5155550142"
    chosen = Settings.from_env(
        {
            "LDN_INSTANCE_PATH": str(tmp_path),
            "PRACTICE_NAME": "Lakeside Clinic",
            "PRACTICE_PHONE": "+1 312 555 0199",
            "PRACTICE_EMAIL": "hello@lakeside.example",
            "PUBLIC_URL": "https://intake.lakeside.example/",
        }
    )
    assert chosen.practice == Practice(
        "Lakeside Clinic",
        "+1 312 555 0199",
        "hello@lakeside.example",
        "https://intake.lakeside.example/privacy",
    )
    assert chosen.practice.tel == "+13125550199"


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PRACTICE_PHONE", "call us", "PRACTICE_PHONE='call us' is not a phone number"),
        ("PRACTICE_EMAIL", "care at riverbend", "PRACTICE_EMAIL='care at riverbend' is not an"),
    ],
)
def test_a_practice_setting_that_patients_could_not_use_stops_the_start(
    tmp_path: Path, name: str, value: str, says: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        Settings.from_env({"LDN_INSTANCE_PATH": str(tmp_path), name: value})


PATIENT_PAGES = ["/", "/privacy", "/intake/about", "/intake/resume?t=nothing", "/nowhere"]


@pytest.mark.parametrize("path", PATIENT_PAGES)
def test_every_patient_page_shows_the_practice_and_links_the_privacy_notice(
    client: Any, path: str
) -> None:
    page = client.get(path).get_data(as_text=True)
    assert '<a href="tel:5155550142">(515) 555-0142</a>' in page
    assert '<a href="mailto:care@riverbend.example">care@riverbend.example</a>' in page
    assert '<a href="/privacy">Privacy notice: how we use your information</a>' in page
    assert "· Riverbend Integrative Health</title>" in page


def test_the_pages_after_submitting_show_the_practice_too(app: Any) -> None:
    client, _ = submitted(app)
    for path in ("/intake/done", "/intake/status"):
        assert 'href="tel:5155550142"' in client.get(path).get_data(as_text=True)


def test_the_practice_settings_of_the_app_are_the_ones_shown(
    tmp_path: Path, redis_url: str, database_url: str
) -> None:
    app = build_app(
        tmp_path,
        redis_url,
        database_url,
        PRACTICE_NAME="Lakeside Clinic",
        PRACTICE_PHONE="+1 312 555 0199",
        PRACTICE_EMAIL="hello@lakeside.example",
    )
    page = app.test_client().get("/privacy").get_data(as_text=True)
    assert '<a href="tel:+13125550199">+1 312 555 0199</a>' in page
    assert '<a href="mailto:hello@lakeside.example">hello@lakeside.example</a>' in page
    assert "· Lakeside Clinic</title>" in page
    assert "Riverbend" not in page
    # and the messages are signed with them
    post_step(app.test_client(), "about", ABOUT)
    [message] = outbox(app, "resume_link")
    assert "Lakeside Clinic\nPhone: +1 312 555 0199\nEmail: hello@lakeside.example" in (
        message.body
    )


def test_staff_pages_do_not_carry_the_patients_contact_block(client: Any) -> None:
    assert "tel:" not in client.get("/staff/login").get_data(as_text=True)


def test_the_privacy_notice_says_what_why_who_how_long_and_rights_in_english(
    client: Any,
) -> None:
    text = visible_text(client.get("/privacy"))
    for heading in (
        "What we collect",
        "Why we collect it",
        "Who sees it",
        "How long we keep it",
        "Your rights",
        "How to contact us",
    ):
        assert heading in text
    assert "An intake you start but do not send is deleted 30 days after your last change." in (
        text
    )


def test_the_privacy_notice_in_spanish(app: Any) -> None:
    response = spanish_client(app).get("/privacy")
    assert response.status_code == 200
    text = visible_text(response)
    assert '<html lang="es">' in response.get_data(as_text=True)
    for heading in ("Qué datos recogemos", "Quién los ve", "Sus derechos"):
        assert heading in text
    assert "se borra 30 días después de su último cambio" in text
    assert "Teléfono: (515) 555-0142" in text


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_message_to_a_patient_is_signed_with_the_practice(app: Any, language: str) -> None:
    # The app's own outbox (outbox_for its settings), as the worker and the staff pages use.
    ldn = app.extensions["ldn"]
    _, case_id = submitted(app, language)
    pipeline.process(ldn.sessions, case_id, ldn.outbox)
    casework.request_info(
        ldn.sessions,
        staff_of(app)["coordinator"],
        case_id,
        None,
        ["medications"],
        "Checking",
        ldn.outbox,
        lambda token: f"http://localhost/intake/amend?t={token}",
        message="When did you last take it?",
    )
    phone = "Phone" if language == "en" else "Teléfono"
    privacy = "How we use your information" if language == "en" else "Cómo usamos su información"
    for kind in ("resume_link", "received", "needs_info"):
        [message] = outbox(app, kind)
        assert f"\n--\nRiverbend Integrative Health\n{phone}: (515) 555-0142\n" in message.body, (
            kind
        )
        assert "care@riverbend.example" in message.body
        assert f"{privacy}: http://localhost/privacy\n" in message.body


# --- item 6: the session expired --------------------------------------------------------


def test_a_form_sent_without_its_session_says_the_page_expired(client: Any) -> None:
    response = client.post("/intake/about", data=ABOUT)
    assert response.status_code == 400
    text = visible_text(response)
    assert "This page has expired" in text
    assert "For your security, this page expired after a while without activity" in text
    assert "Nothing you saved before is lost" in text
    assert "open the link we emailed you after the first step" in text
    assert "CSRF" not in text and "Bad Request" not in text
    assert 'href="/"' in response.get_data(as_text=True)


def test_the_expired_page_in_spanish(app: Any) -> None:
    response = spanish_client(app).post("/intake/about", data=ABOUT)
    assert response.status_code == 400
    text = visible_text(response)
    assert "Esta página ha caducado" in text
    assert "No se pierde nada de lo que guardó antes" in text
    assert "«Su formulario de LDN: enlace para continuar»" in text
    assert "CSRF" not in text


def test_the_expired_page_leads_back_to_the_intake_this_browser_holds(client: Any) -> None:
    complete_until(client, "diagnoses")
    response = client.post("/intake/medications", data={"csrf_token": "stale"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    [link] = LINK.findall(page)
    assert "Continue your intake" in visible_text(response)
    followed = client.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert followed.headers["Location"] == "/intake/medications"


def test_a_staff_form_without_its_session_keeps_the_staff_error(client: Any) -> None:
    response = client.post("/staff/login", data={"email": "a@b", "password": "x"})
    assert response.status_code == 400
    assert "This page has expired" not in response.get_data(as_text=True)


# --- item 12: after submitting --------------------------------------------------------------


def test_the_done_page_repeats_the_private_status_link(app: Any) -> None:
    client, _ = submitted(app)
    response = client.get("/intake/done")
    text = visible_text(response)
    assert "Your private status link" in text
    assert "Keep it private: anyone with the link can see your answers." in text
    [link] = set(LINK.findall(response.get_data(as_text=True)))
    # On another device, the date of birth first (item 11), then the status.
    other_device, path = app.test_client(), urlsplit(link).path + "?" + urlsplit(link).query
    assert other_device.get(path).headers["Location"] == "/intake/check"
    assert open_resume_link(other_device, path).headers["Location"] == "/intake/status"


def test_the_start_page_offers_another_intake_and_keeps_the_first_ones_status(
    app: Any,
) -> None:
    client, first_case = submitted(app)
    reference = case_row(app, first_case).public_id
    start = visible_text(client.get("/"))
    assert "See the status of your intake" in start
    assert "Start another intake" in start
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
        client.get("/").get_data(as_text=True),
    )
    assert token
    response = client.post(
        "/intake/start-another", data={"csrf_token": token.group(1) or token.group(2)}
    )
    assert response.headers["Location"] == "/intake/about"
    # A new, empty intake: nothing of the first one's answers is on its first step.
    assert ABOUT["first_name"] not in client.get("/intake/about").get_data(as_text=True)
    start = client.get("/")
    assert "Intakes sent from this browser" in visible_text(start)
    assert f"See the status of intake {reference}" in visible_text(start)
    earlier = client.get("/intake/status/0")
    assert earlier.status_code == 200
    assert reference in visible_text(earlier)
    # The second intake, sent too: both are on the start page.
    complete_until(client, "review", about={**ABOUT, "email": "family@example.org"})
    start = visible_text(client.get("/"))
    assert f"See the status of intake {reference}" in start
    assert "See the status of your intake" in start
    assert client.get("/intake/status/7").headers["Location"] == "/"


def test_starting_another_before_sending_keeps_the_draft(client: Any) -> None:
    complete_until(client, "diagnoses")
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"',
        client.get("/intake/medications").get_data(as_text=True),
    )
    assert token
    client.post("/intake/start-another", data={"csrf_token": token.group(1)})
    assert client.get("/intake/about").status_code == 200
    assert ABOUT["first_name"] in client.get("/intake/about").get_data(as_text=True)


def _accept_through_the_staff_page(app: Any, case_id: int) -> None:
    sessions, staff = app.extensions["ldn"].sessions, staff_of(app)
    casework.assign(sessions, staff["coordinator"], case_id, None, staff["dr_tx"], "Reviewed")
    physician = app.test_client()
    login(physician, "tx@test")
    response = act(physician, case_row(app, case_id).public_id, "accept")
    assert response.status_code == 302, visible_text(response)


def test_an_accepted_spanish_case_tells_the_patient_in_spanish_with_the_status_link(
    app: Any,
) -> None:
    patient, case_id = routed(app, "es")
    reference = case_row(app, case_id).public_id
    _accept_through_the_staff_page(app, case_id)
    [message] = outbox(app, "accepted")
    assert message.to_address == ABOUT["email"]
    assert message.subject == f"Novedades sobre su formulario ({reference})"
    assert message.body.startswith(f"Hola:\n\nHay novedades sobre su formulario ({reference}).")
    assert "No lo comparta" in message.body and "Teléfono: (515) 555-0142" in message.body
    # No health details, not even the decision: only that there is news and where to read it.
    for word in ("aceptado", "accepted", "Norco", "crohns", "médico ha"):
        assert word not in message.body
    [link] = LINK.findall(message.body)
    assert patient.get("/intake/status").status_code == 200  # the browser keeps its draft
    other_device, path = app.test_client(), urlsplit(link).path + "?" + urlsplit(link).query
    assert other_device.get(path).headers["Location"] == "/intake/check"  # item 11's check
    assert open_resume_link(other_device, path).headers["Location"] == "/intake/status"
    assert "Un médico ha aceptado su formulario" in visible_text(other_device.get("/intake/status"))
    # The link's token is in the message only: not in the case's history or the audit.
    token = urlsplit(link).query.removeprefix("t=")
    with app.extensions["ldn"].sessions() as db:
        events = list(db.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)))
        audit_entries = list(db.scalars(select(AuditEntry)))
    assert [e.detail for e in events if e.action == "accepted"] == [{"patient_told": "email"}]
    assert token not in repr([e.detail for e in events])
    assert token not in repr([(a.__dict__) for a in audit_entries])


def test_a_declined_case_gets_the_same_words_without_the_reason(app: Any) -> None:
    _, case_id = routed(app, "en")
    reference = case_row(app, case_id).public_id
    _decline(app, case_id, "Opioid within 7 days")
    [message] = outbox(app, "declined")
    assert message.subject == f"News about your intake ({reference})"
    assert "Opioid" not in message.body and "declin" not in message.body.lower()
    assert LINK.search(message.body)


def test_a_case_sent_through_the_api_hears_the_news_without_a_link(
    app: Any, base_intake: dict[str, Any]
) -> None:
    case_id = _case_from_the_api(app, base_intake)
    _decline(app, case_id, "Duplicate", link_for=lambda token: f"/never?t={token}")
    [message] = outbox(app, "declined")
    assert "please call or email us" in message.body
    assert "/never" not in message.body


def test_an_api_case_whose_care_team_link_was_opened_hears_the_news_with_a_status_link(
    app: Any, base_intake: dict[str, Any]
) -> None:
    """Opening the amend link made the case a draft to hold the link check: the news message
    carries a status link, which asks a new browser for the date of birth first."""
    case_id = _case_from_the_api(app, base_intake)
    ask_for_information(app, case_id)
    assert app.test_client().get(amend_link(app)).headers["Location"] == "/intake/check"
    _decline(app, case_id, "Duplicate")
    [message] = outbox(app, "declined")
    [link] = LINK.findall(message.body)
    phone, path = app.test_client(), urlsplit(link).path + "?" + urlsplit(link).query
    assert phone.get(path).headers["Location"] == "/intake/check"
    assert open_resume_link(phone, path).headers["Location"] == "/intake/status"
    assert "declined" not in message.body.lower()


def _decline(
    app: Any,
    case_id: int,
    reason: str,
    link_for: Callable[[str], str] = lambda token: f"http://localhost/intake/resume?t={token}",
) -> None:
    """The coordinator declines the case; the patient is told (the outbox keeps the message)."""
    casework.decline(
        app.extensions["ldn"].sessions,
        staff_of(app)["coordinator"],
        case_id,
        None,
        reason,
        notice=casework.PatientNotice(DatabaseOutbox(), link_for),
    )


def _case_from_the_api(app: Any, document: dict[str, Any]) -> int:
    """A case sent through the API (no draft, so no status link), screened and routed."""
    ldn = app.extensions["ldn"]
    document["patient"]["email"] = "api@example.org"
    case = submit_intake(ldn.sessions, document, ldn.today(), lambda case_id: None, actor="api")
    pipeline.process(ldn.sessions, case.id, DatabaseOutbox())
    return case.id


def test_the_needs_info_message_is_in_the_patients_language_with_its_link(app: Any) -> None:
    _, case_id = routed(app, "es")
    ask_for_information(app, case_id)
    [message] = outbox(app, "needs_info")
    assert message.subject.startswith("Nuestro equipo médico tiene una pregunta")
    assert "http://localhost/intake/amend?t=" in message.body
