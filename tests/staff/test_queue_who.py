"""The staff lists say who is waiting (name, age, main condition, language, the state as
typed), badge the screening in words, offer Assign only where someone can take the case, and
search by reference, name, email or date of birth: posted, audited by kind, never by term."""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.canary import CANARY_PATIENT
from tests.conftest import TODAY, build_app
from tests.staff.helpers import csrf, login, make_staff
from workflows.cases import casework, pipeline, search
from workflows.cases.models import Case
from workflows.cases.submission import submit_intake
from workflows.messaging.mail import DatabaseOutbox
from workflows.staff.models import AuditEntry, StaffUser

CASE_LINK = re.compile(r'<a href="/staff/cases/([A-Z0-9-]+)">')


@pytest.fixture
def app(tmp_path: Path, redis_url: str, database_url: str) -> Any:
    return build_app(tmp_path, redis_url, database_url)


@pytest.fixture
def staff(app: Any) -> dict[str, int]:
    return make_staff(app)


def patient_case(
    app: Any,
    intake: dict[str, Any],
    first: str,
    last: str,
    born: str = "1980-04-02",
    state: str = "TX",
    email: str | None = None,
    language: str = "en",
) -> Case:
    intake["patient"].update(
        first_name=first,
        last_name=last,
        date_of_birth=born,
        state_of_residence=state,
        email=email or f"{first}.{last}@example.org".lower(),
    )
    intake["medications"] = []
    sessions = app.extensions["ldn"].sessions
    case_id = submit_intake(sessions, intake, TODAY, lambda _: None, language=language).id
    pipeline.process(sessions, case_id, DatabaseOutbox())
    with sessions() as db:
        case = db.get_one(Case, case_id)
        db.expunge(case)
        return case


def found(app: Any, term: str, physician_email: str | None = None) -> list[str]:
    with app.extensions["ldn"].sessions() as db:
        physician = (
            db.scalars(select(StaffUser).where(StaffUser.email == physician_email)).one()
            if physician_email
            else None
        )
        result = search.search_cases(db, search.parse_search(term), 50, physician)
    return [row.public_id for row in result.rows]


# --- what a term asks for -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "kind", "key"),
    [
        ("ldn-7kq2-m9xd", "reference", "LDN-7KQ2-M9XD"),
        (" Rosa@Example.ORG ", "email", "rosa@example.org"),
        ("1971-03-17", "birth_date", date(1971, 3, 17)),
        ("03/17/1971", "birth_date", date(1971, 3, 17)),
        ("Hernández", "name", "hernandez"),
        ("ROSA  hern", "name", "rosa hern"),
    ],
)
def test_a_term_says_what_it_searches_by(term: str, kind: str, key: Any) -> None:
    assert search.parse_search(term) == search.CaseSearch(kind, key)


@pytest.mark.parametrize("term", ["17.03.1971", "1971-02-30", "13/45/1971", "1971"])
def test_a_date_that_is_not_one_is_refused_with_the_formats_that_work(term: str) -> None:
    with pytest.raises(search.InvalidSearch, match="YYYY-MM-DD or MM/DD/YYYY"):
        search.parse_search(term)


@pytest.mark.parametrize("term", ["", "   ", "h", "é"])
def test_an_empty_term_or_a_single_letter_is_refused(term: str) -> None:
    with pytest.raises(search.InvalidSearch):
        search.parse_search(term)


# --- the searches ---------------------------------------------------------------------------


def test_a_name_prefix_finds_the_patient_whatever_the_accents_and_case(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    rosa = patient_case(app, base_intake, "Rosa", "Hernández", "1975-06-30").public_id
    hector = patient_case(app, base_intake, "Héctor", "Hernando").public_id
    other = patient_case(app, base_intake, "Ana", "Smith").public_id

    assert found(app, "hernan") == [hector, rosa]  # by name: "hector ..." before "rosa ..."
    assert found(app, "HERNÁNDEZ") == [rosa]
    assert found(app, "rosa hern") == [rosa]
    assert found(app, "Héctor") == [hector]
    assert other not in found(app, "her")


def test_email_date_of_birth_and_reference_find_exact_matches(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    rosa = patient_case(app, base_intake, "Rosa", "Hernández", "1975-06-30", email="Rosa@X.org")
    patient_case(app, base_intake, "Ana", "Smith", "1975-06-29", email="rosa@x.org.uk")

    assert found(app, "ROSA@x.org") == [rosa.public_id]
    assert found(app, "06/30/1975") == found(app, "1975-06-30") == [rosa.public_id]
    assert found(app, rosa.public_id.lower()) == [rosa.public_id]
    assert found(app, "LDN-ZZZZ-ZZZZ") == []


def test_a_physician_finds_only_the_cases_they_may_see(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions
    waiting = patient_case(app, base_intake, "Rosa", "Hernández", state="TX")
    theirs = patient_case(app, base_intake, "Raúl", "Hernández", state="TX")
    casework.assign(sessions, staff["coordinator"], theirs.id, None, staff["dr_tx"], "yours")
    someone_elses = patient_case(app, base_intake, "Rita", "Hernández", state="TX")
    casework.assign(sessions, staff["coordinator"], someone_elses.id, None, staff["dr_tx2"], "x")
    illinois = patient_case(app, base_intake, "Rubén", "Hernández", state="IL")

    assert set(found(app, "hernandez", "tx@test")) == {waiting.public_id, theirs.public_id}
    assert set(found(app, "hernandez")) == {
        waiting.public_id,
        theirs.public_id,
        someone_elses.public_id,
        illinois.public_id,
    }
    assert found(app, illinois.public_id, "tx@test") == []


# --- the pages ------------------------------------------------------------------------------


def test_the_queue_says_who_waits_and_badges_the_screening_in_words(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    base_intake["diagnoses"] = [{"name": "crohns"}]
    patient_case(app, base_intake, "Lucía", "Núñez", "1970-01-15", language="es")
    base_intake["diagnoses"] = [{"name": "crohns"}]
    patient_case(app, base_intake, "Oliver", "North", state="Ontario")
    client = app.test_client()
    login(client, "coord@test")

    page = client.get("/staff/queue").get_data(as_text=True)

    assert "Lucía Núñez" in page and "Crohn&#39;s disease" in page and "Spanish" in page
    assert f">{TODAY.year - 1970 - (TODAY < date(TODAY.year, 1, 15))}</td>" in page
    assert "Ontario" in page and "not licensed" in page
    assert 'class="badge badge--stop">Hard stop</span>' in page  # Ontario: OUT_OF_STATE
    assert "Hard stop: OUT_OF_STATE" in page
    assert "No physician licensed in Ontario" in page


def test_assign_is_offered_only_where_a_physician_licensed_there_has_room(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    texas = patient_case(app, base_intake, "Tex", "Ann", state="TX")
    ontario = patient_case(app, base_intake, "Oliver", "North", state="Ontario")
    client = app.test_client()
    login(client, "coord@test")

    queue = client.get("/staff/queue").get_data(as_text=True)
    assert f'href="/staff/cases/{texas.public_id}#assign-action">Assign' in queue
    assert f'href="/staff/cases/{ontario.public_id}#assign-action"' not in queue
    texas_page = client.get(f"/staff/cases/{texas.public_id}").get_data(as_text=True)
    assert 'action="/staff/cases/' + texas.public_id + '/assign"' in texas_page
    ontario_page = client.get(f"/staff/cases/{ontario.public_id}").get_data(as_text=True)
    assert "/assign" not in ontario_page
    assert "no physician is licensed in Ontario (not a state the practice is licensed in)" in (
        ontario_page
    )

    # Every Texas physician full: nobody can take a Texas case either.
    sessions = app.extensions["ldn"].sessions
    with sessions() as db:
        for physician in db.scalars(select(StaffUser).where(StaffUser.role == "physician")):
            physician.capacity = 0
        db.commit()
    full = client.get(f"/staff/cases/{texas.public_id}").get_data(as_text=True)
    assert "/assign" not in full and "every physician licensed in TX has as many" in full
    queue = client.get("/staff/queue").get_data(as_text=True)
    assert "Every physician licensed in TX is full" in queue


def test_a_search_is_posted_audited_by_kind_and_leaves_no_term_in_urls_audit_or_logs(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any], caplog: Any
) -> None:
    canary = patient_case(
        app,
        base_intake,
        CANARY_PATIENT["first_name"],
        CANARY_PATIENT["last_name"],
        CANARY_PATIENT["date_of_birth"],
        email=CANARY_PATIENT["email"],
    )
    patient_case(app, base_intake, "Ana", "Smith")
    client = app.test_client()
    login(client, "coord@test")
    secrets = [CANARY_PATIENT[k] for k in ("first_name", "last_name", "date_of_birth", "email")]
    caplog.set_level(logging.DEBUG)

    answers = []
    for term in [CANARY_PATIENT["email"], "03/17/1971", "quintessa marble", "Marblethorpe"]:
        answer = client.post(
            "/staff/queue", data={"term": term, "csrf_token": csrf(client, "/staff/queue")}
        )
        assert answer.status_code == 200 and answer.request.path == "/staff/queue"
        text = answer.get_data(as_text=True)
        assert CASE_LINK.findall(text) == [canary.public_id], term
        assert f'value="{term}"' in text  # the term stays in the box
        answers.append(text)

    with app.extensions["ldn"].sessions() as db:
        entries = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "cases_searched").order_by(AuditEntry.id)
        ).all()
    assert [entry.detail["kind"] for entry in entries] == ["email", "birth_date", "name", "name"]
    assert all(entry.detail["results"] == 1 for entry in entries)
    assert all(entry.detail["cases"] == [canary.public_id] for entry in entries)
    for secret in secrets:
        assert not [e for e in entries if secret.lower() in str(e.detail).lower()], secret
        assert not [r for r in caplog.records if secret in r.getMessage()], secret
    assert all("term=" not in text for text in answers)


def test_a_bad_date_of_birth_keeps_the_term_and_says_how_to_type_it(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    patient_case(app, base_intake, "Ana", "Smith")
    client = app.test_client()
    login(client, "coord@test")

    answer = client.post(
        "/staff/queue", data={"term": "31/12/1980", "csrf_token": csrf(client, "/staff/queue")}
    )

    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "YYYY-MM-DD or MM/DD/YYYY" in text and 'value="31/12/1980"' in text
    assert 'aria-invalid="true"' in text
    with app.extensions["ldn"].sessions() as db:
        assert not db.scalars(select(AuditEntry).where(AuditEntry.action == "cases_searched")).all()


def test_a_physician_searches_their_list_only(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    texas = patient_case(app, base_intake, "Rosa", "Hernández", state="TX")
    illinois = patient_case(app, base_intake, "Rubén", "Hernández", state="IL")
    client = app.test_client()
    login(client, "tx@test")

    answer = client.post(
        "/staff/physician",
        data={"term": "hernandez", "csrf_token": csrf(client, "/staff/physician")},
    )

    assert answer.status_code == 200
    assert CASE_LINK.findall(answer.get_data(as_text=True)) == [texas.public_id]
    assert illinois.public_id not in answer.get_data(as_text=True)
    no_match = client.post(
        "/staff/physician",
        data={"term": illinois.public_id, "csrf_token": csrf(client, "/staff/physician")},
    )
    assert "No case of yours matches this search." in no_match.get_data(as_text=True)
