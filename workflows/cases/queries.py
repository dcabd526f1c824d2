"""What the staff lists read: the coordinator queue, the physician's list, the physicians to
suggest on a case page. Plain functions of a session; no Flask.

The database filters, sorts and counts, and a list is read a page at a time (keyset: a page
starts after, or ends before, the sort key of a row the reader saw), so a page costs the same
at a thousand cases and at a million. A list row holds only what the lists show: never the
intake or the screening result, whose flag codes are read from case_flag.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    func,
    literal,
    literal_column,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from workflows.cases.casework import is_past_target
from workflows.cases.duplicates import has_open_mark
from workflows.cases.models import (
    IS_OPEN,
    OPEN_STATUSES,
    QUEUE_RANK,
    WAITING_SINCE,
    Case,
    CaseFlag,
    CaseStatus,
)
from workflows.platform.orm import utcnow
from workflows.staff.models import Role, StaffUser

__all__ = [
    "QueueFilters",
    "QueueRow",
    "Page",
    "InvalidCursor",
    "coordinator_queue",
    "physician_list",
    "PhysicianLoad",
    "physicians_for_state",
    "states_with_room",
    "Staffing",
    "ROW_COLUMNS",
    "rows_with_flags",
]


@dataclass(frozen=True)
class QueueFilters:
    queue: str | None = None
    status: str | None = None
    decision: str | None = None
    flag: str | None = None
    patient_state: str | None = None
    older_than_hours: float | None = None

    def as_args(self) -> dict[str, str]:
        """The filters that are set, as the query string that set them (for page links)."""
        return {
            name: f"{value:g}" if isinstance(value, float) else str(value)
            for name, value in vars(self).items()
            if value is not None
        }


@dataclass(frozen=True)
class QueueRow:
    """One case as a staff list shows it."""

    id: int
    public_id: str
    status: str
    queue: str | None
    decision: str | None
    priority: int | None
    patient_state: str | None
    assignee_id: int | None
    language: str
    waiting_since: datetime
    # Who the case is about (workflows.cases.patient_fields), for the lists to say who waits.
    patient_name: str | None
    birth_date: date | None
    main_condition: str | None
    state_typed: str | None
    flags: tuple[str, ...]
    # An open possible-duplicate mark (workflows.cases.duplicates): the lists say so.
    possible_duplicate: bool = False

    def is_late(self, now: datetime) -> bool:
        return is_past_target(self.queue, self.status, self.waiting_since, now)


@dataclass(frozen=True)
class Page:
    """A page of a list; the cursors open the next and the previous page (None: no such page)."""

    rows: list[QueueRow]
    next_cursor: str | None
    previous_cursor: str | None


class InvalidCursor(ValueError):
    """A cursor this module did not write (edited or truncated): the caller answers 400."""


ROW_COLUMNS = (
    Case.id,
    Case.public_id,
    Case.status,
    Case.queue,
    Case.decision,
    Case.priority,
    Case.patient_state,
    Case.assignee_id,
    Case.language,
    WAITING_SINCE.label("waiting_since"),
    # Read with the row (an EXISTS on case_duplicate's indexes), not by a query per row.
    has_open_mark(Case.id).label("possible_duplicate"),
    Case.patient_name,
    Case.birth_date,
    Case.main_condition,
    Case.state_typed,
)
# The sort of every queue (workflows/models.py has its index): priority, wait, id.
QUEUE_ORDER: tuple[Any, ...] = (QUEUE_RANK, WAITING_SINCE, Case.id)
# The same order read from the flag rows, which copy it while their case is open (the index
# ix_case_flag_open_order): the values are those of QUEUE_ORDER, so cursors are the same.
FLAG_QUEUE_ORDER: tuple[Any, ...] = (CaseFlag.open_rank, CaseFlag.open_since, CaseFlag.case_id)


def coordinator_queue(
    db: Session,
    filters: QueueFilters,
    page_size: int,
    cursor: str | None = None,
    backwards: bool = False,
    now: datetime | None = None,
) -> Page:
    """The open cases that need a person, by priority then age (oldest first)."""
    query = select(*ROW_COLUMNS)
    order = QUEUE_ORDER
    if filters.flag:
        # From the flag's rows of open cases (a rank only while the case is open), in their
        # copy of the queue order: the open cases with a hard stop sit at the end of the
        # queue, too far to find by filtering it.
        query = query.join(CaseFlag, CaseFlag.case_id == Case.id).where(
            CaseFlag.code == filters.flag, CaseFlag.open_rank.is_not(None)
        )
        order = FLAG_QUEUE_ORDER
    else:
        query = query.where(IS_OPEN)
    if filters.queue:
        query = query.where(Case.queue == filters.queue)
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.decision:
        query = query.where(Case.decision == filters.decision)
    if filters.patient_state:
        query = query.where(Case.patient_state == filters.patient_state)
    if filters.older_than_hours is not None:
        waited_from = (now or utcnow()) - timedelta(hours=filters.older_than_hours)
        query = query.where(WAITING_SINCE <= waited_from)
    return _page(db, [query], page_size, cursor, backwards, order)


def physician_list(
    db: Session,
    physician: StaffUser,
    page_size: int,
    cursor: str | None = None,
    backwards: bool = False,
    queue: str | None = None,
) -> Page:
    """The physician's own assigned cases, then the physician queue, both only from the states
    they are licensed in (casework.may_physician_see); each by priority then age.

    Two segments read one after the other, each in the order of an index (their own cases by
    the assignee index, the queue by the open cases' per-state index), instead of one sort of
    every routed case of their states."""
    theirs = select(*ROW_COLUMNS).where(
        _status_is(CaseStatus.ASSIGNED),
        Case.assignee_id == physician.id,
        Case.patient_state.in_(physician.states),
    )
    shared = select(*ROW_COLUMNS).where(
        _status_is(CaseStatus.ROUTED),
        Case.queue == "physician",
        Case.patient_state.in_(physician.states),
    )
    if queue:
        theirs, shared = theirs.where(Case.queue == queue), shared.where(Case.queue == queue)
    return _page(db, [theirs, shared], page_size, cursor, backwards)


def _status_is(status: CaseStatus) -> ColumnElement[bool]:
    """One open status, written into the SQL as a constant: PostgreSQL then proves that it
    implies IS_OPEN and reads the partial indexes of open cases, prepared plans included.
    (Adding IS_OPEN beside it would make the planner count the status twice and think a
    physician's open cases a twentieth of what they are, and sort them all.)"""
    assert status in OPEN_STATUSES
    return Case.status == literal_column(f"'{status.value}'")


def _page(
    db: Session,
    segments: Sequence[Any],  # select()s of ROW_COLUMNS and their filters, listed in order
    page_size: int,
    cursor: str | None,
    backwards: bool,
    sort: tuple[Any, ...] = QUEUE_ORDER,  # or FLAG_QUEUE_ORDER: the same values
) -> Page:
    """One page of the segments, one after the other, each in QUEUE_ORDER, starting after
    ``cursor`` (or, backwards, ending before it). A segment is read only while the page is not
    full: at most one statement per segment, and one for the flags."""
    position = _decode(cursor, len(segments)) if cursor is not None else None
    numbers = range(len(segments))
    found: list[tuple[int, Any]] = []
    for number in reversed(numbers) if backwards else numbers:
        if len(found) > page_size:
            break
        query = segments[number].add_columns(
            *(key.label(f"sort_{i}") for i, key in enumerate(sort))
        )
        if position is not None:
            at_segment, values = position
            if (number < at_segment) if not backwards else (number > at_segment):
                continue  # before the cursor's segment: already shown
            if number == at_segment:
                bound, keys = tuple_(*values), tuple_(*sort)
                query = query.where(keys < bound if backwards else keys > bound)
        order = [key.desc() if backwards else key.asc() for key in sort]
        limit = page_size + 1 - len(found)
        found.extend((number, row) for row in db.execute(query.order_by(*order).limit(limit)))
    more, found = len(found) > page_size, found[:page_size]
    if backwards:
        found.reverse()
    rows = rows_with_flags(db, [row for _, row in found])
    first = _encode(*found[0], len(segments)) if found else None
    last = _encode(*found[-1], len(segments)) if found else None
    if backwards:
        return Page(rows, next_cursor=last, previous_cursor=first if more else None)
    return Page(rows, next_cursor=last if more else None, previous_cursor=first if cursor else None)


def rows_with_flags(db: Session, found: Sequence[Any]) -> list[QueueRow]:
    """QueueRows of result rows that hold ROW_COLUMNS, with their flag codes (one statement)."""
    flags = _flags_of(db, [row.id for row in found])
    return [
        QueueRow(
            **{column.key: getattr(row, column.key) for column in ROW_COLUMNS},
            flags=flags.get(row.id, ()),
        )
        for row in found
    ]


def _flags_of(db: Session, case_ids: list[int]) -> dict[int, tuple[str, ...]]:
    if not case_ids:
        return {}
    flags: dict[int, list[str]] = {}
    query = (
        select(CaseFlag.case_id, CaseFlag.code)
        .where(CaseFlag.case_id.in_(case_ids))
        .order_by(CaseFlag.case_id, CaseFlag.position)
    )
    for case_id, code in db.execute(query):
        flags.setdefault(case_id, []).append(code)
    return {case_id: tuple(codes) for case_id, codes in flags.items()}


# A cursor is the sort key of a row: whole numbers and times, never personal data, e.g.
# "-62.20261101T093000123456.17" (rank, waiting since, id), after the segment's number
# ("1.-62...") on a list of several segments.
_TIME = "%Y%m%dT%H%M%S%f"
_INTEGER = re.compile(r"-?\d{1,18}")
_TIMESTAMP = re.compile(r"\d{8}T\d{12}")


def _encode(segment: int, row: Any, segments: int) -> str:
    values = [getattr(row, f"sort_{i}") for i in range(len(QUEUE_ORDER))]
    parts = [
        value.strftime(_TIME) if isinstance(value, datetime) else str(int(value))
        for value in values
    ]
    return ".".join([str(segment), *parts] if segments > 1 else parts)


def _decode(cursor: str, segments: int) -> tuple[int, list[ColumnElement[Any]]]:
    """The segment and the sort key a cursor names; InvalidCursor for anything else."""
    parts = cursor.split(".")
    segment = 0
    if segments > 1:
        if not parts or not parts[0].isdigit() or int(parts[0]) >= segments:
            raise InvalidCursor(cursor)
        segment, parts = int(parts[0]), parts[1:]
    if len(parts) != len(QUEUE_ORDER):
        raise InvalidCursor(cursor)
    values: list[ColumnElement[Any]] = []
    for part in parts:
        if _INTEGER.fullmatch(part):
            values.append(literal(int(part), Integer()))
        elif _TIMESTAMP.fullmatch(part):
            try:
                values.append(literal(datetime.strptime(part, _TIME), DateTime()))
            except ValueError:
                raise InvalidCursor(cursor) from None
        else:
            raise InvalidCursor(cursor)
    return segment, values


# A physician's open cases are counted up to this many: far past any capacity, where the
# order of the suggestions no longer depends on the exact number, and a count that costs the
# same however many cases a physician has been left with.
OPEN_CASES_COUNTED = 500


@dataclass(frozen=True)
class PhysicianLoad:
    id: int
    name: str
    open_cases: int
    capacity: int
    counting_stopped: bool = False  # open_cases is where counting stopped: at least that many

    @property
    def load(self) -> float:
        return self.open_cases / self.capacity if self.capacity else float("inf")

    @property
    def has_room(self) -> bool:
        """Fewer open cases than their capacity: someone who can take one more."""
        return self.open_cases < self.capacity

    @property
    def open_cases_label(self) -> str:
        """The count as the assign form shows it: "500+" where counting stopped."""
        return f"{self.open_cases}+" if self.counting_stopped else str(self.open_cases)


def physicians_for_state(
    db: Session, state: str | None, count_up_to: int = OPEN_CASES_COUNTED
) -> list[PhysicianLoad]:
    """Physicians licensed in ``state``, least loaded first (open assigned cases / capacity).

    Only the candidates' open assigned cases are counted, each up to OPEN_CASES_COUNTED (one
    statement: a limited branch per candidate on the open assignee index, then a grouped
    COUNT), so the cost stays that of a page however many cases are assigned."""
    if not state:
        return []
    physicians = [
        physician
        for physician in db.scalars(
            select(StaffUser).where(
                StaffUser.role == Role.PHYSICIAN.value, StaffUser.is_active.is_(True)
            )
        )
        if state in physician.states
    ]
    if not physicians:
        return []
    open_counts = _open_cases_of(db, [p.id for p in physicians], count_up_to)
    loads = [
        PhysicianLoad(
            p.id,
            p.name,
            open_counts.get(p.id, 0),
            p.capacity,
            counting_stopped=open_counts.get(p.id, 0) >= count_up_to,
        )
        for p in physicians
    ]
    return sorted(loads, key=lambda p: (p.load, p.open_cases, p.name))


def _open_cases_of(db: Session, physician_ids: list[int], count_up_to: int) -> dict[int, int]:
    """Each physician's open assigned cases, counted up to ``count_up_to`` (one statement)."""
    if not physician_ids:
        return {}
    assigned = union_all(
        *(
            select(Case.assignee_id)
            .where(Case.assignee_id == physician_id, _status_is(CaseStatus.ASSIGNED))
            .limit(count_up_to)
            .subquery()
            .select()
            for physician_id in physician_ids
        )
    ).subquery()
    return {
        assignee: count
        for assignee, count in db.execute(
            select(assigned.c.assignee_id, func.count()).group_by(assigned.c.assignee_id)
        )
    }


@dataclass(frozen=True)
class Staffing:
    """Which states a case can be assigned in: licensed (an active physician holds the licence)
    and with room (one of them has fewer open cases than their capacity)."""

    licensed: frozenset[str]
    with_room: frozenset[str]

    def may_assign(self, state: str | None) -> bool:
        return state in self.with_room


def states_with_room(db: Session) -> Staffing:
    """The states where a case can be assigned now: two statements, whatever the list's
    length (each physician's open cases are counted only up to their capacity)."""
    physicians = db.scalars(
        select(StaffUser).where(
            StaffUser.role == Role.PHYSICIAN.value, StaffUser.is_active.is_(True)
        )
    ).all()
    counts = _open_cases_of(
        db, [p.id for p in physicians], max((p.capacity for p in physicians), default=0) or 1
    )
    licensed = frozenset(state for p in physicians for state in p.states)
    with_room = frozenset(
        state for p in physicians if counts.get(p.id, 0) < p.capacity for state in p.states
    )
    return Staffing(licensed, with_room)
