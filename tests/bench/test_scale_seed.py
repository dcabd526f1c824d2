"""The scale benchmark's seeding (bench/scale_seed.py) at N = 200: the rows it promises, and
every page bench/scale.py measures answers on the seeded data (here through the test client;
the benchmark itself goes through gunicorn)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from bench.scale import (
    ADMIN,
    COORDINATOR,
    PHYSICIAN,
    fresh_amend_token,
    measured_case,
    pages,
    search_terms,
)
from bench.scale_seed import PASSWORD, seed, table_counts
from tests.conftest import PRODUCTION
from tests.staff.helpers import csrf, login
from workflows.platform.database import engine_for
from workflows.screening.codes import codes_of
from workflows.staff.accounts import issue_api_token

pytestmark = pytest.mark.skipif(
    not PRODUCTION,
    reason="the scale benchmark clones cases with PostgreSQL's SQL (generate_series, md5, "
    "a pg_temp function): production path only (LDN_TEST_BACKEND=production)",
)

SIZE = 200


@pytest.fixture
def seeded(app: Any, database_url: str) -> str:
    services = app.extensions["ldn"]
    seed(services.sessions, engine_for(database_url), services.totp_secrets, SIZE, 0.3)
    return database_url


def test_seeding_makes_n_cases_each_with_its_history(seeded: str) -> None:
    counts = table_counts(engine_for(seeded))
    assert counts["intake_case"] == SIZE
    assert 0 < counts["open"] < SIZE
    # Every case went through the pipeline (received ... notified) and was viewed at least once.
    assert counts["case_event"] >= 5 * SIZE
    assert counts["audit_entry"] >= SIZE
    assert counts["outbox_message"] >= SIZE // 2
    assert counts["unidentified_medication"] > 0
    with engine_for(seeded).connect() as connection:
        assert connection.scalar(text("SELECT count(DISTINCT public_id) FROM intake_case")) == SIZE
        # The unidentified names' totals count the cloned sightings too.
        assert connection.scalar(
            text("SELECT sum(cases) FROM unidentified_name")
        ) == connection.scalar(text("SELECT count(*) FROM unidentified_medication"))
        # A clone's flags moved with it: the queue's flag filter finds it.
        flags: dict[int, list[str]] = {}
        for case_id, code in connection.execute(
            text("SELECT case_id, code FROM case_flag ORDER BY case_id, position")
        ):
            flags.setdefault(case_id, []).append(code)
        results = connection.execute(text("SELECT id, screening_result FROM intake_case"))
        assert {case_id: codes_of(result) for case_id, result in results if codes_of(result)} == (
            flags
        )
        assert flags  # the templates raise flags, so the clones do
        # A clone's history moved with it: its first event is its arrival, not the template's.
        assert (
            connection.scalar(
                text(
                    "SELECT count(*) FROM intake_case c WHERE (SELECT min(at) FROM case_event e "
                    "WHERE e.case_id = c.id) < c.created_at - interval '1 minute'"
                )
            )
            == 0
        )


def test_every_measured_page_answers_on_the_seeded_cases(app: Any, seeded: str) -> None:
    clients = {"patient": app.test_client()}
    for who, email in (("coordinator", COORDINATOR), ("physician", PHYSICIAN), ("admin", ADMIN)):
        clients[who] = app.test_client()
        assert login(clients[who], email, PASSWORD).status_code == 302
    sessions = app.extensions["ldn"].sessions
    bearer = {
        "api-coordinator": issue_api_token(sessions, COORDINATOR),
        "api-physician": issue_api_token(sessions, PHYSICIAN),
    }
    reference = measured_case(seeded)
    terms = search_terms(seeded, reference)
    for page in pages(reference, fresh_amend_token(seeded), terms):
        if page.who in bearer:
            headers = {"Authorization": f"Bearer {bearer[page.who]}"}
            answer = clients["patient"].get(page.path, headers=headers)
        elif page.search is not None:  # posted, as the search box does
            client = clients[page.who]
            token = csrf(client, page.path)
            answer = client.post(page.path, data={"term": page.search, "csrf_token": token})
            assert "result" in answer.get_data(as_text=True).lower(), page.name
        else:
            answer = clients[page.who].get(page.path)
        assert answer.status_code == page.status, page.name
