"""Re-screening after a rule change goes in batches, each its own transaction, and a second
run carries on where the first stopped."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, update

from tests.staff.helpers import routed_case
from workflows.cases.models import Case, CaseEvent
from workflows.cases.rescreen import rescreen_open_cases


def _screened_by_older_rules(app: Any, case_ids: list[int]) -> None:
    with app.extensions["ldn"].sessions.begin() as db:
        db.execute(update(Case).where(Case.id.in_(case_ids)).values(rule_set_version="rules-older"))


def test_every_open_case_is_rescreened_once_across_batches(
    app: Any, base_intake: dict[str, Any]
) -> None:
    case_ids = [routed_case(app, base_intake).id for _ in range(5)]
    _screened_by_older_rules(app, case_ids)
    sessions = app.extensions["ldn"].sessions
    with sessions() as db:
        query = select(Case.id, Case.version).where(Case.id.in_(case_ids))
        versions = {case_id: version for case_id, version in db.execute(query)}
    updates: list[str] = []

    def note_update(*arguments: Any) -> None:
        if arguments[2].startswith("UPDATE intake_case"):
            updates.append(arguments[2])

    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", note_update)
    try:
        assert rescreen_open_cases(sessions, batch_size=2) == case_ids
    finally:
        event.remove(engine, "before_cursor_execute", note_update)
    # One UPDATE (an executemany) per batch of two: the commit sends no second one per case.
    assert len(updates) == 3
    with sessions() as db:
        events = db.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "rescreened"))
        assert sorted(events) == case_ids
        cases = db.scalars(select(Case).where(Case.id.in_(case_ids))).all()
    assert {case.rule_set_version for case in cases} != {"rules-older"}
    assert all(case.decision == "eligible" and case.status == "routed" for case in cases)
    # Each re-screening is a change: the version moves, so a page opened before it is stale.
    assert {case.id: case.version - 1 for case in cases} == versions


def test_a_second_run_takes_only_the_cases_still_on_older_rules(
    app: Any, base_intake: dict[str, Any]
) -> None:
    case_ids = [routed_case(app, base_intake).id for _ in range(3)]
    sessions = app.extensions["ldn"].sessions
    _screened_by_older_rules(app, case_ids[:1])
    assert rescreen_open_cases(sessions, batch_size=2) == case_ids[:1]
    # As if the first run had stopped after its first batch: the rest are still to do.
    _screened_by_older_rules(app, case_ids[1:])
    assert rescreen_open_cases(sessions, batch_size=2) == case_ids[1:]
    assert rescreen_open_cases(sessions, batch_size=2) == []


def test_two_processes_share_the_cases_and_each_case_is_rescreened_once(
    app: Any, base_intake: dict[str, Any]
) -> None:
    """On PostgreSQL the cases are split into ranges of ids, one screened here and one in a
    spawned process; on SQLite (one writer) the same call screens them all here."""
    case_ids = [routed_case(app, base_intake).id for _ in range(7)]
    _screened_by_older_rules(app, case_ids)
    sessions = app.extensions["ldn"].sessions
    from workflows.cases.rescreen import _id_ranges
    from workflows.screening import default_rules

    ranges = _id_ranges(sessions, default_rules(), 2)
    assert ranges == [(0, case_ids[3]), (case_ids[3], None)]  # about half each

    assert rescreen_open_cases(sessions, batch_size=2, processes=2) == case_ids

    with sessions() as db:
        events = db.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "rescreened"))
        assert sorted(events) == case_ids
        versions = set(db.scalars(select(Case.rule_set_version).where(Case.id.in_(case_ids))))
    assert versions != {"rules-older"} and len(versions) == 1
    assert rescreen_open_cases(sessions, batch_size=2, processes=2) == []
