"""The admins' audit log: searched by the database, newest first, a page at a time."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from tests.conftest import build_app
from tests.staff.helpers import login, make_staff, routed_case
from workflows.staff import audit
from workflows.staff.audit_queries import AuditSearch, search_audit_log
from workflows.staff.models import StaffUser


@pytest.fixture
def app(tmp_path: Path, redis_url: str, database_url: str) -> Any:
    return build_app(tmp_path, redis_url, database_url, PAGE_SIZE=2)


def _record(app: Any, action: str, case_id: int | None = None, n: int = 1) -> None:
    with app.extensions["ldn"].sessions() as db:
        coordinator = db.scalars(select(StaffUser).where(StaffUser.email == "coord@test")).one()
        for _ in range(n):
            audit.record(db, coordinator, action, case_id)
        db.commit()


def test_pages_run_newest_first_and_end(app: Any) -> None:
    make_staff(app)
    _record(app, "queue_viewed", n=5)
    with app.extensions["ldn"].sessions() as db:
        first = search_audit_log(db, AuditSearch(action="queue_viewed"), 2)
        second = search_audit_log(
            db, AuditSearch(action="queue_viewed", before=first.next_before), 2
        )
        third = search_audit_log(
            db, AuditSearch(action="queue_viewed", before=second.next_before), 2
        )
    ids = [row.id for page in (first, second, third) for row in page.rows]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5
    assert third.next_before is None


def test_each_row_carries_its_case_reference(app: Any, base_intake: dict[str, Any]) -> None:
    make_staff(app)
    case = routed_case(app, base_intake)
    _record(app, "case_viewed", case.id)
    _record(app, "queue_viewed")
    with app.extensions["ldn"].sessions() as db:
        page = search_audit_log(db, AuditSearch(case_reference=case.public_id.lower()), 50)
    assert [(row.action, row.case_reference) for row in page.rows] == [
        ("case_viewed", case.public_id)
    ]


def test_the_page_links_to_older_entries_keeping_the_search(app: Any) -> None:
    make_staff(app)
    _record(app, "queue_viewed", n=3)
    client = app.test_client()
    login(client, "admin@test")
    page = client.get("/staff/admin/audit?action=queue_viewed").get_data(as_text=True)
    assert page.count("<td>queue_viewed</td>") == 2
    older = re.search(r'<a href="([^"]+)" rel="next">Older entries</a>', page)
    assert older and "action=queue_viewed" in older.group(1)
    last = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert last.count("<td>queue_viewed</td>") == 1 and "Older entries" not in last
    assert "Newest entries" in last


def _statements_of(app: Any, search: AuditSearch) -> int:
    sessions = app.extensions["ldn"].sessions
    statements: list[str] = []

    def note(*arguments: Any) -> None:
        statements.append(arguments[2])

    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", note)
    try:
        with sessions() as db:
            search_audit_log(db, search, 50)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return len(statements)


def test_a_search_costs_the_same_statements_at_3_and_at_30_entries(
    app: Any, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    case = routed_case(app, base_intake)
    search = AuditSearch(actor="coord", case_reference=case.public_id)
    _record(app, "case_viewed", case.id, n=3)
    few = _statements_of(app, search)
    _record(app, "case_viewed", case.id, n=27)
    assert _statements_of(app, search) == few == 2  # the case's id, then the page


def test_the_case_page_shows_the_newest_audit_entries_and_says_where_the_rest_are(
    app: Any, base_intake: dict[str, Any]
) -> None:
    from workflows.cases.case_page import AUDIT_ENTRIES_SHOWN

    make_staff(app)
    case = routed_case(app, base_intake)
    _record(app, "note_added", case.id, n=AUDIT_ENTRIES_SHOWN + 5)
    admin, coordinator = app.test_client(), app.test_client()
    login(admin, "admin@test")
    login(coordinator, "coord@test")

    page = admin.get(f"/staff/cases/{case.public_id}").get_data(as_text=True)
    audit_section = page.split("<h2>Audit</h2>", 1)[1]
    assert audit_section.count("<li>") == AUDIT_ENTRIES_SHOWN
    assert "case viewed" in audit_section  # this very view is the newest entry
    assert f"/staff/admin/audit?case={case.public_id}" in audit_section

    page = coordinator.get(f"/staff/cases/{case.public_id}").get_data(as_text=True)
    assert "an admin can see them all in the audit log" in page
