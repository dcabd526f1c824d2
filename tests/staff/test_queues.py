"""The staff lists are filtered, sorted and paged by the database: pages keep their filters, the
flag filter reads the stored flag codes, a physician sees only their states, and a page costs
the same number of SQL statements whatever the number of cases."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from tests.conftest import build_app
from tests.staff.helpers import login, make_staff, routed_case
from workflows.cases import casework, pipeline, queries
from workflows.cases.models import Case, CaseFlag
from workflows.messaging.mail import DatabaseOutbox
from workflows.platform.database import engine_for
from workflows.staff.accounts import issue_api_token

PAGE_SIZE = 2
NEXT = re.compile(r'<a rel="next" href="([^"]+)"')
PREVIOUS = re.compile(r'<a rel="prev" href="([^"]+)"')
CASE_LINK = re.compile(r'<a href="/staff/cases/([A-Z0-9-]+)">')


@pytest.fixture
def app(tmp_path: Path, redis_url: str, database_url: str) -> Any:
    return build_app(tmp_path, redis_url, database_url, PAGE_SIZE=PAGE_SIZE)


@pytest.fixture
def staff(app: Any) -> dict[str, int]:
    return make_staff(app)


def opioid_case(app: Any, intake: dict[str, Any], state: str = "TX") -> Case:
    """A case the opioid rule sends to the coordinators, flagged OPIOID_CURRENT."""
    intake["patient"]["state_of_residence"] = state
    intake["medications"] = [{"name": "Norco", "status": "current"}]
    return routed_case(app, intake)


def plain_case(app: Any, intake: dict[str, Any], state: str = "TX") -> Case:
    """An eligible case: the physician queue, no flags."""
    intake["patient"]["state_of_residence"] = state
    intake["medications"] = []
    return routed_case(app, intake)


def listed(client: Any, path: str) -> tuple[list[str], str]:
    page = client.get(path)
    assert page.status_code == 200, path
    text = page.get_data(as_text=True)
    return CASE_LINK.findall(text), text


def every_page(client: Any, path: str) -> list[list[str]]:
    """The case references of each page, following the Next links from ``path``."""
    pages = []
    while True:
        cases, text = listed(client, path)
        pages.append(cases)
        found = NEXT.search(text)
        if found is None:
            return pages
        path = html.unescape(found.group(1))


def test_every_page_of_a_filtered_queue_keeps_its_filters(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    texas = [opioid_case(app, base_intake, "TX").public_id for _ in range(5)]
    opioid_case(app, base_intake, "IL")
    plain_case(app, base_intake, "TX")
    client = app.test_client()
    login(client, "coord@test")

    pages = every_page(client, "/staff/queue?flag=OPIOID_CURRENT&patient_state=TX")

    assert [len(cases) for cases in pages] == [2, 2, 1]
    assert sorted(sum(pages, [])) == sorted(texas)


def test_previous_goes_back_to_the_same_page(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    for _ in range(3):
        opioid_case(app, base_intake)
    client = app.test_client()
    login(client, "coord@test")
    first, text = listed(client, "/staff/queue?queue=coordinator")
    second_path = html.unescape(NEXT.search(text).group(1))
    assert "queue=coordinator" in second_path
    second, text = listed(client, second_path)
    back, _ = listed(client, html.unescape(PREVIOUS.search(text).group(1)))
    assert back == first and not set(first) & set(second)


def test_the_queue_is_ordered_by_priority_then_the_longest_wait(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    cases = [
        opioid_case(app, base_intake),
        plain_case(app, base_intake),
        opioid_case(app, base_intake),
    ]
    expected = sorted(cases, key=lambda c: (-(c.priority or 0), c.routed_at, c.id))
    with app.extensions["ldn"].sessions() as db:
        rows = queries.coordinator_queue(db, queries.QueueFilters(), page_size=10).rows
    assert [row.public_id for row in rows] == [case.public_id for case in expected]


def test_the_flag_filter_finds_the_flagged_case_only(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    flagged = opioid_case(app, base_intake)
    unflagged = plain_case(app, base_intake)
    client = app.test_client()
    login(client, "coord@test")
    cases, _ = listed(client, "/staff/queue?flag=OPIOID_CURRENT")
    assert flagged.public_id in cases and unflagged.public_id not in cases


def test_a_flag_row_keeps_its_case_place_in_the_queue_while_the_case_is_open(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    """The flag filter reads the queue order from the flag rows; the database keeps it there
    (migration 0008's triggers), whatever writes the case."""
    sessions = app.extensions["ldn"].sessions
    case = opioid_case(app, base_intake)

    def place() -> tuple[Any, Any]:
        with sessions() as db:
            row = db.get(CaseFlag, (case.id, "OPIOID_CURRENT"))
            return row.open_rank, row.open_since

    assert place() == (-(case.priority or 0), case.routed_at)
    with sessions.begin() as db:  # any writer, even one that bypasses the actions
        db.get(Case, case.id).priority = 99
    assert place() == (-99, case.routed_at)
    with sessions.begin() as db:  # the same result stored again: the ORM rewrites the rows
        same = db.get(Case, case.id)
        casework.store_screening_result(same, dict(same.screening_result))
    assert place() == (-99, case.routed_at)
    casework.decline(sessions, staff["coordinator"], case.id, None, "not for us")
    assert place() == (None, None)
    client = app.test_client()
    login(client, "coord@test")
    assert listed(client, "/staff/queue?flag=OPIOID_CURRENT")[0] == []


def test_the_flag_filter_pages_in_the_queue_order(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    cases = [opioid_case(app, base_intake) for _ in range(5)]
    plain_case(app, base_intake)
    with app.extensions["ldn"].sessions.begin() as db:  # priorities apart from the pipeline's
        for case, priority in zip(cases, (20, 80, 20, 50, 80), strict=True):
            db.get(Case, case.id).priority = priority
    client = app.test_client()
    login(client, "coord@test")

    whole_queue = sum(every_page(client, "/staff/queue"), [])
    flagged = sum(every_page(client, "/staff/queue?flag=OPIOID_CURRENT"), [])

    references = {case.public_id for case in cases}
    assert flagged == [reference for reference in whole_queue if reference in references]
    assert len(flagged) == 5


def test_the_stored_flags_follow_the_screening_result(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions
    case = opioid_case(app, base_intake)

    def stored_flags() -> list[str]:
        with sessions() as db:
            query = (
                select(CaseFlag.code).where(CaseFlag.case_id == case.id).order_by(CaseFlag.position)
            )
            return list(db.scalars(query))

    assert stored_flags() == casework.flag_codes(case) and "OPIOID_CURRENT" in stored_flags()
    casework.reroute(sessions, staff["coordinator"], case.id, None, "coordinator", "x")
    with sessions.begin() as db:  # a screening that failed and is sent through again
        failed = db.get(Case, case.id)
        failed.status = "screening_failed"
    casework.retry_screening(sessions, staff["coordinator"], case.id, None, "try again")
    assert stored_flags() == []
    pipeline.process(sessions, case.id, DatabaseOutbox())
    assert "OPIOID_CURRENT" in stored_flags()


def test_a_physician_sees_their_own_cases_first_and_only_their_states(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions
    texas = [plain_case(app, base_intake, "TX").public_id for _ in range(2)]
    illinois = plain_case(app, base_intake, "IL").public_id
    theirs = plain_case(app, base_intake, "TX")
    casework.assign(sessions, staff["coordinator"], theirs.id, None, staff["dr_tx"], "yours")
    someone_elses = plain_case(app, base_intake, "TX")
    casework.assign(sessions, staff["coordinator"], someone_elses.id, None, staff["dr_tx2"], "x")
    client = app.test_client()
    login(client, "tx@test")

    pages = every_page(client, "/staff/physician")

    seen = sum(pages, [])
    assert seen[0] == theirs.public_id and sorted(seen[1:]) == sorted(texas)
    assert illinois not in seen and someone_elses.public_id not in seen


def test_the_api_queue_is_paged_with_next_links(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    created = {opioid_case(app, base_intake).public_id for _ in range(3)}
    token = issue_api_token(app.extensions["ldn"].sessions, "coord@test")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    url: str | None = "/api/v1/queue?queue=coordinator"
    seen = []
    while url:
        answer = client.get(url, headers=headers).get_json()
        seen += [case["id"] for case in answer["cases"]]
        url = answer["next"]
        assert url is None or "queue=coordinator" in url
    assert sorted(seen) == sorted(created)
    assert client.get("/api/v1/queue?cursor=not-a-cursor", headers=headers).status_code == 400


# --- statements per request --------------------------------------------------------------


@contextmanager
def counting_statements(app: Any) -> Iterator[Callable[[], int]]:
    """Counts the SQL statements the app's engine runs inside the block."""
    engine = engine_for(app.extensions["ldn"].settings.database_url)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield lambda: len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_per_page(app: Any, client: Any, path: str, **request: Any) -> int:
    client.get(path, **request)  # warm: sign-in checks and caches are not what is counted
    with counting_statements(app) as counted:
        assert client.get(path, **request).status_code == 200
        return counted()


@pytest.fixture
def big_app(tmp_path: Path, redis_url: str, database_url: str) -> Any:
    """Pages large enough to hold every case of the test: 30 cases fit on one."""
    return build_app(tmp_path, redis_url, database_url, PAGE_SIZE=50)


def test_a_page_issues_as_many_statements_for_30_cases_as_for_3(
    big_app: Any, base_intake: dict[str, Any]
) -> None:
    app = big_app
    accounts = make_staff(app)
    sessions = app.extensions["ldn"].sessions
    coordinator, doctor = app.test_client(), app.test_client()
    login(coordinator, "coord@test")
    login(doctor, "tx@test")
    token = issue_api_token(sessions, "coord@test")
    api = {"headers": {"Authorization": f"Bearer {token}"}}

    def add_cases(count: int) -> Case:
        for index in range(count):
            case = (opioid_case if index % 2 else plain_case)(app, base_intake)
            if index % 3 == 0:
                casework.assign(
                    sessions, accounts["coordinator"], case.id, None, accounts["dr_tx"], "x"
                )
        return case

    def counts(case: Case) -> dict[str, int]:
        return {
            "queue": statements_per_page(app, coordinator, "/staff/queue"),
            "queue by flag": statements_per_page(
                app, coordinator, "/staff/queue?flag=OPIOID_CURRENT"
            ),
            "physician": statements_per_page(app, doctor, "/staff/physician"),
            "case page": statements_per_page(app, coordinator, f"/staff/cases/{case.public_id}"),
            "api queue": statements_per_page(app, coordinator, "/api/v1/queue", **api),
        }

    with_3 = counts(add_cases(3))
    with_30 = counts(add_cases(27))
    assert with_30 == with_3


def test_the_physician_list_pages_across_their_own_cases_into_the_queue_and_back(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions
    shared = [plain_case(app, base_intake, "TX").public_id for _ in range(2)]
    theirs = []
    for _ in range(3):
        case = plain_case(app, base_intake, "TX")
        casework.assign(sessions, staff["coordinator"], case.id, None, staff["dr_tx"], "yours")
        theirs.append(case.public_id)
    client = app.test_client()
    login(client, "tx@test")

    first, text = listed(client, "/staff/physician")
    second, text = listed(client, html.unescape(NEXT.search(text).group(1)))
    back, _ = listed(client, html.unescape(PREVIOUS.search(text).group(1)))

    # Page two holds their last own case, then the first of the shared queue.
    assert sorted(first + second[:1]) == sorted(theirs) and second[1:] == shared[:1]
    assert back == first
