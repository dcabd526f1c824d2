"""Possible duplicates: the match, the marks on both cases, merging and dismissing."""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from tests.conftest import case_actions, stored_case
from tests.staff.helpers import act, csrf, login, make_staff, routed_case
from workflows.cases import casework, duplicates, pipeline, queries
from workflows.cases.models import Case, CaseDuplicate, CaseEvent
from workflows.messaging.mail import DatabaseOutbox
from workflows.platform.database import engine_for
from workflows.platform.orm import utcnow
from workflows.staff.models import AuditEntry


@pytest.fixture
def staff(app: Any) -> dict[str, int]:
    return make_staff(app)


def intake_of(
    base: dict[str, Any],
    first: str = "Rosa",
    last: str = "Hernández",
    email: str = "rosa@example.org",
    born: str = "1975-06-30",
) -> dict[str, Any]:
    document = copy.deepcopy(base)
    document["patient"].update(first_name=first, last_name=last, email=email, date_of_birth=born)
    return document


def marks(app: Any) -> list[tuple[int, int, str, str]]:
    with app.extensions["ldn"].sessions() as db:
        return [
            (mark.case_id, mark.duplicate_of_id, mark.basis, mark.state)
            for mark in db.scalars(select(CaseDuplicate).order_by(CaseDuplicate.id))
        ]


def events(app: Any, case_id: int, action: str) -> list[dict[str, Any]]:
    with app.extensions["ldn"].sessions() as db:
        return [
            dict(event.detail)
            for event in db.scalars(
                select(CaseEvent)
                .where(CaseEvent.case_id == case_id, CaseEvent.action == action)
                .order_by(CaseEvent.id)
            )
        ]


# --- the match ----------------------------------------------------------------------------


def test_the_same_email_in_another_case_marks_both_whatever_its_case(
    app: Any, base_intake: dict[str, Any]
) -> None:
    first = routed_case(app, intake_of(base_intake, email="Rosa@Example.org"))
    second = routed_case(
        app, intake_of(base_intake, first="R.", last="Diaz", email=" rosa@EXAMPLE.org ")
    )
    assert marks(app) == [(second.id, first.id, "email", "open")]
    # Both histories name the other case and what matched, never the address itself.
    assert events(app, second.id, "possible_duplicate") == [
        {"case": first.public_id, "basis": "email"}
    ]
    assert events(app, first.id, "possible_duplicate") == [
        {"case": second.public_id, "basis": "email"}
    ]


def test_the_same_name_and_birth_date_match_with_accents_case_and_spaces_ignored(
    app: Any, base_intake: dict[str, Any]
) -> None:
    first = routed_case(app, intake_of(base_intake, email="rosa@example.org"))
    second = routed_case(
        app,
        intake_of(base_intake, first="  ROSA ", last="hernandez", email="rosa.h@another.example"),
    )
    assert marks(app) == [(second.id, first.id, "name_birth_date", "open")]


def test_the_same_name_born_on_another_day_is_another_patient(
    app: Any, base_intake: dict[str, Any]
) -> None:
    routed_case(app, intake_of(base_intake, email="rosa@example.org", born="1975-06-30"))
    routed_case(app, intake_of(base_intake, email="other@example.org", born="1975-06-03"))
    assert marks(app) == []


def test_a_closed_case_older_than_the_window_is_not_a_duplicate_but_an_open_one_is(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions
    closed = routed_case(app, intake_of(base_intake))
    casework.decline(sessions, staff["coordinator"], closed.id, None, "not eligible then")
    still_open = routed_case(app, intake_of(base_intake, email="rosa@second.example"))
    long_ago = utcnow() - duplicates.RECENT_WINDOW - timedelta(days=1)
    with sessions.begin() as db:
        db.execute(update(Case).values(created_at=long_ago))
        db.execute(CaseDuplicate.__table__.delete())
    newest = routed_case(app, intake_of(base_intake))
    # The declined case from before the window is history; the open one waits still.
    assert marks(app) == [(newest.id, still_open.id, "name_birth_date", "open")]


def test_a_case_is_not_a_duplicate_of_itself(app: Any, base_intake: dict[str, Any]) -> None:
    case = routed_case(app, intake_of(base_intake))
    with app.extensions["ldn"].sessions() as db:
        assert duplicates.find_matches(db, db.get(Case, case.id)) == []
    assert marks(app) == []


def test_marking_again_or_a_redelivered_task_marks_a_pair_once(
    app: Any, base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions
    first = routed_case(app, intake_of(base_intake))
    second = routed_case(app, intake_of(base_intake))
    assert duplicates.mark_possible_duplicates(sessions, second.id) == 0
    assert duplicates.mark_possible_duplicates(sessions, first.id) == 0
    pipeline.process(sessions, second.id, DatabaseOutbox())
    assert marks(app) == [(second.id, first.id, "email", "open")]
    assert case_actions(app, first.id).count("possible_duplicate") == 1
    assert case_actions(app, second.id).count("possible_duplicate") == 1


def test_a_dismissed_mark_does_not_come_back(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions
    first = routed_case(app, intake_of(base_intake))
    second = routed_case(app, intake_of(base_intake))
    [mark_id] = mark_ids(app)
    duplicates.dismiss(sessions, staff["coordinator"], second.id, None, mark_id, "twins")
    assert duplicates.mark_possible_duplicates(sessions, second.id) == 0
    assert marks(app) == [(second.id, first.id, "email", "dismissed")]


def mark_ids(app: Any) -> list[int]:
    with app.extensions["ldn"].sessions() as db:
        return list(db.scalars(select(CaseDuplicate.id).order_by(CaseDuplicate.id)))


# --- merge and dismiss --------------------------------------------------------------------


def audit_actions(app: Any, case_id: int) -> list[tuple[str, dict[str, Any]]]:
    with app.extensions["ldn"].sessions() as db:
        return [
            (entry.action, dict(entry.detail))
            for entry in db.scalars(
                select(AuditEntry).where(AuditEntry.case_id == case_id).order_by(AuditEntry.id)
            )
        ]


def test_merging_closes_the_chosen_case_as_withdrawn_and_both_histories_say_so(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions
    first = routed_case(app, intake_of(base_intake))
    second = routed_case(app, intake_of(base_intake))
    [mark_id] = mark_ids(app)
    # On the newer case's page, the coordinator keeps the newer one and closes the first.
    versions = [stored_case(app, c.id).version for c in (second, first)]
    duplicates.merge(
        sessions, staff["coordinator"], second.id, mark_id, "other", *versions, "same person"
    )
    assert stored_case(app, first.id).status == "withdrawn"
    assert stored_case(app, second.id).status == "routed"
    assert marks(app) == [(second.id, first.id, "email", "merged")]
    assert events(app, first.id, "merged") == [
        {"merged_into": second.public_id, "reason": "same person"}
    ]
    assert events(app, second.id, "duplicate_merged") == [
        {"merged_from": first.public_id, "reason": "same person"}
    ]
    # Each history is kept whole: the marks and everything before them stay.
    assert case_actions(app, first.id)[:2] == ["received", "screening_started"]
    assert ("merged", {"merged_into": second.public_id, "reason": "same person"}) in (
        audit_actions(app, first.id)
    )
    assert ("duplicate_merged", {"merged_from": first.public_id, "reason": "same person"}) in (
        audit_actions(app, second.id)
    )
    with sessions() as db:
        mark = db.get(CaseDuplicate, mark_id)
        assert (mark.resolved_by_id, mark.resolved_at is not None) == (staff["coordinator"], True)


def test_a_merge_from_a_stale_page_of_either_case_is_refused(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions
    first = routed_case(app, intake_of(base_intake))
    second = routed_case(app, intake_of(base_intake))
    [mark_id] = mark_ids(app)
    seen = [stored_case(app, c.id).version for c in (second, first)]
    casework.add_note(sessions, staff["coordinator"], first.id, "called the patient")
    casework.reroute(sessions, staff["admin"], first.id, None, "coordinator", "check first")
    with pytest.raises(casework.CaseAlreadyHandled) as refused:
        # The kept case changed since the page was shown.
        duplicates.merge(sessions, staff["coordinator"], second.id, mark_id, "this", *seen, "x")
    assert refused.value.by == "Ada Admin"
    with pytest.raises(casework.CaseAlreadyHandled):
        # The case to close changed.
        duplicates.merge(sessions, staff["coordinator"], second.id, mark_id, "other", *seen, "x")
    assert marks(app)[0][3] == "open"
    assert {stored_case(app, c.id).status for c in (first, second)} == {"routed"}


def test_only_coordinators_and_admins_merge_or_dismiss(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions
    routed_case(app, intake_of(base_intake))  # Texas, physician queue
    second = routed_case(app, intake_of(base_intake))
    [mark_id] = mark_ids(app)
    with pytest.raises(casework.NotPermitted):
        duplicates.merge(sessions, staff["dr_tx"], second.id, mark_id, "other", None, None, "x")
    with pytest.raises(casework.NotPermitted):
        duplicates.dismiss(sessions, staff["dr_tx"], second.id, None, mark_id, "not the same")
    assert marks(app)[0][3] == "open"


def test_dismissing_needs_a_reason_and_leaves_the_mark_in_both_histories(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions
    first = routed_case(app, intake_of(base_intake))
    second = routed_case(app, intake_of(base_intake, first="Rosita"))
    [mark_id] = mark_ids(app)
    with pytest.raises(ValueError):
        duplicates.dismiss(sessions, staff["coordinator"], first.id, None, mark_id, "  ")
    version = stored_case(app, first.id).version
    duplicates.dismiss(
        sessions, staff["coordinator"], first.id, version, mark_id, "mother and daughter"
    )
    assert marks(app) == [(second.id, first.id, "email", "dismissed")]
    detail = {"reason": "mother and daughter"}
    assert events(app, first.id, "duplicate_dismissed") == [{"case": second.public_id, **detail}]
    assert events(app, second.id, "duplicate_dismissed") == [{"case": first.public_id, **detail}]
    assert [action for action, _ in audit_actions(app, second.id)] == ["duplicate_dismissed"]
    assert case_actions(app, first.id).count("possible_duplicate") == 1
    # The page that showed the open mark is stale now.
    with pytest.raises(casework.CaseAlreadyHandled):
        duplicates.dismiss(sessions, staff["coordinator"], first.id, version, mark_id, "again")


# --- the pages ----------------------------------------------------------------------------


def test_both_case_pages_and_the_queue_show_the_open_mark_until_it_is_merged(
    app: Any, client: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    first = routed_case(app, intake_of(base_intake))
    second = routed_case(app, intake_of(base_intake, email="rosa@other.example"))
    alone = routed_case(app, intake_of(base_intake, first="Ana", email="ana@example.org"))
    login(client, "coord@test")
    for this, other in ((first, second), (second, first)):
        page = client.get(f"/staff/cases/{this.public_id}").get_data(as_text=True)
        assert re.search(
            rf'Possible duplicate of <a href="/staff/cases/{other.public_id}">'
            rf"{other.public_id}</a>\s*\(same name and date of birth\)",
            page,
        ), page
    queue = client.get("/staff/queue").get_data(as_text=True)
    rows = {
        public_id: row
        for row in queue.split("<tr")
        for public_id in (first.public_id, second.public_id, alone.public_id)
        if public_id in row
    }
    assert "possible duplicate" in rows[first.public_id]
    assert "possible duplicate" in rows[second.public_id]
    assert "possible duplicate" not in rows[alone.public_id]

    [mark_id] = mark_ids(app)
    versions = {c.id: stored_case(app, c.id).version for c in (first, second)}
    response = act(
        client,
        second.public_id,
        f"duplicates/{mark_id}/merge",
        **{
            f"merge{mark_id}-version": versions[second.id],
            f"merge{mark_id}-other_version": versions[first.id],
            f"merge{mark_id}-close": "this",
            f"merge{mark_id}-reason": "sent twice",
        },
    )
    assert response.status_code == 302
    closed = client.get(f"/staff/cases/{second.public_id}").get_data(as_text=True)
    assert "Possible duplicate of" not in closed
    assert re.search(rf'Closed as a duplicate of <a href="[^"]+">{first.public_id}</a>', closed)
    kept = client.get(f"/staff/cases/{first.public_id}").get_data(as_text=True)
    assert re.search(rf'<a href="[^"]+">{second.public_id}</a> was merged into this case', kept)
    assert "possible duplicate" not in client.get("/staff/queue").get_data(as_text=True)


def test_a_merge_without_a_reason_keeps_the_case_open_and_says_why(
    app: Any, client: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    first = routed_case(app, intake_of(base_intake))
    second = routed_case(app, intake_of(base_intake))
    [mark_id] = mark_ids(app)
    login(client, "coord@test")
    response = act(
        client,
        second.public_id,
        f"duplicates/{mark_id}/merge",
        **{f"merge{mark_id}-close": "other", f"merge{mark_id}-reason": ""},
    )
    # The page comes back with the merge form open, the error beside the reason and in the
    # summary, and the choice kept.
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give a reason: it goes into both histories." in page
    assert re.search(r'<details class="action"[^>]*open><summary>Merge the two cases', page)
    assert re.search(r'value="other"[^>]*checked|checked[^>]*value="other"', page)
    assert stored_case(app, first.id).status == "routed"


def test_the_physician_list_marks_a_possible_duplicate(
    app: Any, client: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    first = routed_case(app, intake_of(base_intake))  # Texas, physician queue
    routed_case(app, intake_of(base_intake))
    login(client, "tx@test")
    page = client.get("/staff/physician").get_data(as_text=True)
    assert first.public_id in page and "possible duplicate" in page
    case_page = client.get(f"/staff/cases/{first.public_id}").get_data(as_text=True)
    assert "Possible duplicate of" in case_page
    assert "Merge" not in case_page  # a coordinator's action
    assert csrf(client, f"/staff/cases/{first.public_id}")


# --- at any number of cases ---------------------------------------------------------------


@pytest.mark.production(reason="reads PostgreSQL's query plans")
def test_the_match_and_the_list_marker_are_index_lookups(
    app: Any, base_intake: dict[str, Any]
) -> None:
    """Each statement of the match and the queue's marker can be answered from an index
    (sequential scans off: the plan a table of a million cases gets, on a table of three)."""
    sessions = app.extensions["ldn"].sessions
    case = routed_case(app, intake_of(base_intake))
    engine = engine_for(app.extensions["ldn"].settings.database_url)
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with sessions() as db:
            duplicates.find_matches(db, db.get(Case, case.id))
            queries.coordinator_queue(db, queries.QueueFilters(), 50)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans = []
    with engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in seen:
            if "email_key =" in statement or "name_key =" in statement or "EXISTS" in statement:
                rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
                plans.append("\n".join(row[0] for row in rows))
        connection.rollback()
    assert len(plans) == 3, plans
    email, name, queue = plans
    assert "ix_intake_case_email_key" in email and "Seq Scan" not in email
    # On a table this small either index of the name and birth date will do.
    assert re.search(r"ix_intake_case_(name_birth|birth_date)", name) and "Seq Scan" not in name
    assert "uq_case_duplicate_pair" in queue and "ix_case_duplicate_duplicate_of" in queue
    assert "Seq Scan" not in queue
