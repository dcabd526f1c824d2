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
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from itertools import chain
from multiprocessing import get_context
from typing import cast

from sqlalchemy import ColumnElement, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, defer, selectinload, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from workflows.cases.casework import flag_codes
from workflows.cases.medications import identifications_for_cases, unidentified_names_of_cases
from workflows.cases.models import IS_OPEN, Case, CaseEvent
from workflows.cases.pipeline import screen_case
from workflows.platform.orm import utcnow
from workflows.screening import RuleSet, default_rules

__all__ = ["rescreen_open_cases", "BATCH_SIZE", "RESCREEN_PROCESSES"]

log = logging.getLogger("workflows.cases.rescreen")

# Big enough that the round trips do not count, small enough that a batch's cases (two JSON
# documents each) stay a few megabytes.
BATCH_SIZE = 500


def rescreen_open_cases(
    sessions: sessionmaker[Session], batch_size: int = BATCH_SIZE, processes: int = 1
) -> list[int]:
    """Cases still open whose rule_set_version differs from the current one: screen them
    again, keep their state and queue (a person decides on any move), and write a
    `rescreened` event with the flags added and removed and the new decision. Returns the
    ids of the cases re-screened, in order.

    ``processes`` > 1 (PostgreSQL; SQLite has a single writer): the cases are split into that
    many ranges of ids, re-screened at once by this process and processes-1 children.
    Screening is Python work that holds the GIL (two threads were slower than one), and the
    database has time to spare: 100,000 cases took 61-82 s in one process, 40 s in two."""
    rules = default_rules()
    if processes <= 1 or sessions.kw["bind"].dialect.name != "postgresql":
        return _rescreen_range(sessions, rules, batch_size, 0, None)
    ranges = _id_ranges(sessions, rules, processes)
    if len(ranges) <= 1:
        return _rescreen_range(sessions, rules, batch_size, 0, None)
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    # This process takes the first range and a child each other one (this one has the rule
    # data loaded already: it is the memory of one re-screening, not one more). Spawned, not
    # forked: a child starts without this process's connections and threads.
    with ProcessPoolExecutor(len(ranges) - 1, mp_context=get_context("spawn")) as pool:
        others = [
            pool.submit(_rescreen_range_in_process, (url, batch_size, low, high))
            for low, high in ranges[1:]
        ]
        first = _rescreen_range(sessions, rules, batch_size, *ranges[0])
        return first + list(chain.from_iterable(other.result() for other in others))


RESCREEN_PROCESSES = 2  # what `make run` and `flask rescreen` use


def _id_ranges(
    sessions: sessionmaker[Session], rules: RuleSet, count: int
) -> list[tuple[int, int | None]]:
    """(after this id, up to this one) ranges holding about as many cases to re-screen each."""
    with sessions() as db:
        stale = _stale(rules)
        total = db.scalar(select(func.count()).select_from(Case).where(*stale)) or 0
        cuts = [
            db.scalar(
                select(Case.id).where(*stale).order_by(Case.id).offset(total * k // count).limit(1)
            )
            for k in range(1, count)
        ]
    bounds = [0, *sorted({cut for cut in cuts if cut is not None})]
    return [(low, high) for low, high in zip(bounds, [*bounds[1:], None], strict=True)]


def _rescreen_range_in_process(job: tuple[str, int, int, int | None]) -> list[int]:
    url, batch_size, after_id, last_id = job
    from workflows.platform.database import sessions_for

    return _rescreen_range(sessions_for(url), default_rules(), batch_size, after_id, last_id)


def _rescreen_range(
    sessions: sessionmaker[Session],
    rules: RuleSet,
    batch_size: int,
    after_id: int,
    last_id: int | None,
) -> list[int]:
    changed: list[int] = []
    while True:
        batch = _rescreen_batch(sessions, rules, after_id, batch_size, last_id)
        if not batch:
            return changed
        changed.extend(batch)
        after_id = batch[-1]
        log.info("cases.rescreened_batch", extra={"cases": len(batch), "last_case_id": after_id})


def _stale(rules: RuleSet) -> list[ColumnElement[bool]]:
    """Open cases screened under another rule set."""
    return [IS_OPEN, Case.rule_set_version.is_not(None), Case.rule_set_version != rules.version]


def _rescreen_batch(
    sessions: sessionmaker[Session],
    rules: RuleSet,
    after_id: int,
    batch_size: int,
    last_id: int | None = None,
) -> Sequence[int]:
    """The next batch after ``after_id``, screened and stored in one transaction."""
    with sessions.begin() as db:
        # FOR UPDATE (PostgreSQL): a staff action on one of these cases waits for the batch
        # instead of failing on the version check.
        cases = db.scalars(
            select(Case)
            .where(
                Case.id > after_id,
                *([Case.id <= last_id] if last_id is not None else []),
                *_stale(rules),
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
RESULT_COLUMNS = ("screening_result", "rule_set_version", "decision", "main_condition")


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
