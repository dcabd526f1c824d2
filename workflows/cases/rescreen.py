"""Re-screening open cases when the rule set changes, recording what changed on each case.

In batches of BATCH_SIZE cases by id (keyset), each batch its own transaction and its own
session: memory stays that of one batch, a crash loses at most one batch, and a second run
(the next start) carries on where the first stopped, because a re-screened case has the
current rule_set_version and is no longer selected. One transaction for every case held all
of them in memory (879 MB at 100,000 cases) and lost all the work on any fault.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, defer, selectinload, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from workflows.cases.casework import flag_codes
from workflows.cases.medications import identifications_for_cases, unidentified_names_of_cases
from workflows.cases.models import IS_OPEN, Case, CaseEvent
from workflows.cases.pipeline import screen_case
from workflows.platform.orm import utcnow
from workflows.screening import RuleSet, default_rules

__all__ = ["rescreen_open_cases", "BATCH_SIZE"]

log = logging.getLogger("workflows.cases.rescreen")

# Big enough that the round trips do not count, small enough that a batch's cases (two JSON
# documents each) stay a few megabytes.
BATCH_SIZE = 500


def rescreen_open_cases(sessions: sessionmaker[Session], batch_size: int = BATCH_SIZE) -> list[int]:
    """Cases still open whose rule_set_version differs from the current one: screen them
    again, keep their state and queue (a person decides on any move), and write a
    `rescreened` event with the flags added and removed and the new decision. Returns the
    ids of the cases re-screened, in order."""
    rules = default_rules()
    changed: list[int] = []
    after_id = 0
    while True:
        batch = _rescreen_batch(sessions, rules, after_id, batch_size)
        if not batch:
            return changed
        changed.extend(batch)
        after_id = batch[-1]
        log.info("cases.rescreened_batch", extra={"cases": len(batch), "last_case_id": after_id})


def _rescreen_batch(
    sessions: sessionmaker[Session], rules: RuleSet, after_id: int, batch_size: int
) -> Sequence[int]:
    """The next batch after ``after_id``, screened and stored in one transaction."""
    with sessions.begin() as db:
        # FOR UPDATE (PostgreSQL): a staff action on one of these cases waits for the batch
        # instead of failing on the version check.
        cases = db.scalars(
            select(Case)
            .where(
                Case.id > after_id,
                IS_OPEN,
                Case.rule_set_version.is_not(None),
                Case.rule_set_version != rules.version,
            )
            .order_by(Case.id)
            .limit(batch_size)
            .with_for_update(of=Case)
            # The flag rows screening replaces, in one query rather than one per case; they
            # are also the old result's codes, so the old result itself is not read (parsing
            # a batch's results was the largest part of a batch's time).
            .options(selectinload(Case.flags), defer(Case.screening_result))
        ).all()
        case_ids = [case.id for case in cases]
        recorded = identifications_for_cases(db, case_ids)
        noted = unidentified_names_of_cases(db, case_ids)
        now = utcnow()
        # No flush until the commit: a query inside the loop (the unidentified names) would
        # otherwise flush the batch a few rows at a time instead of in one executemany.
        events = []
        with db.no_autoflush:
            for case in cases:
                before = {flag.code for flag in case.flags}
                previous_version, previous_decision = case.rule_set_version, case.decision
                screen_case(db, case, rules, recorded[case.id], noted[case.id])
                after = set(flag_codes(case))
                events.append(
                    {
                        "case_id": case.id,
                        "at": now,
                        "actor": "system:rescreen",
                        "action": "rescreened",
                        "detail": {
                            "from_rules": previous_version,
                            "to_rules": rules.version,
                            "flags_added": sorted(after - before),
                            "flags_removed": sorted(before - after),
                            "decision_before": previous_decision,
                            "decision_after": case.decision,
                        },
                    }
                )
        _store_results(db, cases, now)
        # The events in one executemany, without an ORM object each (the batch's unit of work
        # was a large part of its time; nothing reads these events back in this session).
        if events:  # (an empty list would insert one row of defaults)
            db.execute(insert(CaseEvent), events)
        return [case.id for case in cases]


# The columns a screening sets on the case (pipeline.screen_case).
RESULT_COLUMNS = ("screening_result", "rule_set_version", "decision")


def _store_results(db: Session, cases: Sequence[Case], now: datetime) -> None:
    """One executemany UPDATE for the batch's results, each row's version checked and moved
    on, instead of the ORM's one UPDATE per case. The cases' new values are then marked as
    stored, so the commit's flush sends only the rest of the batch (events, unidentified
    names, anything else screening added) and no second UPDATE of the cases."""
    if not cases:
        return
    table = cast(Table, Case.__table__)
    rows = [
        {
            "case_id": case.id,
            "old_version": case.version,
            "updated_at": now,
            **{column: getattr(case, column) for column in RESULT_COLUMNS},
        }
        for case in cases
    ]
    statement = (
        update(table)
        .where(table.c.id == bindparam("case_id"), table.c.version == bindparam("old_version"))
        .values(
            updated_at=bindparam("updated_at"),
            version=table.c.version + 1,
            **{column: bindparam(column) for column in RESULT_COLUMNS},
        )
    )
    updated = db.connection().execute(statement, rows).rowcount
    if updated != len(rows):  # changed by someone else since it was read: redo the batch
        raise StaleDataError(f"re-screening expected {len(rows)} cases, updated {updated}")
    for case, row in zip(cases, rows, strict=True):
        for column in RESULT_COLUMNS:
            set_committed_value(case, column, row[column])
        set_committed_value(case, "updated_at", now)
        set_committed_value(case, "version", row["old_version"] + 1)
