"""Possible duplicates: a new case whose patient is the patient of an open or recent case.

The same person submitting twice (a second try after a typo, a form sent from two devices)
would otherwise become two unrelated cases worked by two people. A case is matched on the
keys it keeps beside its intake (workflows.cases.patient_fields): the same email, or the same
name and date of birth, folded (no case, accents or extra spaces). A match is a mark on both
cases (case_duplicate, and a "possible_duplicate" event in each history naming the other case
and what matched, never the matched values); a coordinator merges the two (closes one as a
duplicate of the other, both histories kept) or dismisses the mark with a reason. Both are
casework actions: audited, refused on a stale page.

Plain functions of a session; no Flask.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from workflows.cases.casework import (
    Action,
    CaseNotFound,
    S,
    _last_change,
    _require_reason,
    _require_role,
    may_physician_see,
)
from workflows.cases.lifecycle import transition
from workflows.cases.models import IS_OPEN, Case, CaseDuplicate, CaseEvent
from workflows.platform.orm import utcnow
from workflows.staff import audit
from workflows.staff.models import Role, StaffUser

__all__ = [
    "RECENT_WINDOW",
    "MARKS_PER_CASE",
    "BASIS_EMAIL",
    "BASIS_NAME_BIRTH_DATE",
    "BASIS_WORDS",
    "Match",
    "DuplicateMark",
    "MarkNotFound",
    "find_matches",
    "record_matches",
    "mark_possible_duplicates",
    "marks_of",
    "has_open_mark",
    "merge",
    "dismiss",
]

log = logging.getLogger("workflows.cases.duplicates")

# A closed case is still compared for this long after it was created: a patient who was
# declined or withdrew and submits again within a quarter is most likely the same request
# come back (and the coordinator should see the earlier decision), while a case from last
# year is history, not a duplicate. Open cases are compared whatever their age.
RECENT_WINDOW = timedelta(days=90)
# At most this many cases are marked from one new case: a shared family address could match
# dozens, and a coordinator needs to see that there are others, not every one of them.
MARKS_PER_CASE = 10

BASIS_EMAIL = "email"
BASIS_NAME_BIRTH_DATE = "name_birth_date"
# What each basis says on the staff pages.
BASIS_WORDS = {BASIS_EMAIL: "same email", BASIS_NAME_BIRTH_DATE: "same name and date of birth"}
ACTOR = "system:duplicates"


class MarkNotFound(LookupError):
    """No such mark on this case (an edited form, or a mark of another case)."""


@dataclass(frozen=True)
class Match:
    """Another case of the same patient, and what matched (never the values)."""

    case_id: int
    public_id: str
    basis: str


def find_matches(db: Session, case: Case, now: datetime | None = None) -> list[Match]:
    """The other cases, open or created within RECENT_WINDOW, with the case's email key or
    its name key and date of birth, newest first; at most MARKS_PER_CASE.

    Two lookups, each on an index (ix_intake_case_email_key; ix_intake_case_name_birth on
    both columns), so the cost is that of the patient's own few cases at any table size."""
    recent_from = (now or utcnow()) - RECENT_WINDOW
    candidates = select(Case.id, Case.public_id).where(
        Case.id != case.id, or_(IS_OPEN, Case.created_at >= recent_from)
    )
    lookups: list[tuple[str, Any]] = []
    if case.email_key:
        lookups.append((BASIS_EMAIL, candidates.where(Case.email_key == case.email_key)))
    if case.name_key and case.birth_date:
        lookups.append(
            (
                BASIS_NAME_BIRTH_DATE,
                candidates.where(
                    Case.name_key == case.name_key, Case.birth_date == case.birth_date
                ),
            )
        )
    found: dict[int, Match] = {}
    for basis, query in lookups:  # the email first: when both match, it is the one named
        for row in db.execute(query.order_by(Case.id.desc()).limit(MARKS_PER_CASE)):
            found.setdefault(row.id, Match(row.id, row.public_id, basis))
    return sorted(found.values(), key=lambda match: -match.case_id)[:MARKS_PER_CASE]


def record_matches(db: Session, case: Case, now: datetime | None = None) -> list[Match]:
    """Mark each match of the case (find_matches) on both cases; returns the new marks.

    A pair is marked once, whichever case found it and whatever became of its mark
    (a dismissed mark does not come back): the insert does nothing when the pair exists, also
    when a worker routing the other case is inserting it at this moment (PostgreSQL waits for
    that transaction and then does nothing), so each history gets one event per pair."""
    new = []
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    for match in find_matches(db, case, now):
        # The newer case is the duplicate of the earlier one (ids grow with submission).
        newer, earlier = max(case.id, match.case_id), min(case.id, match.case_id)
        inserted = db.execute(
            insert(CaseDuplicate)
            .values(case_id=newer, duplicate_of_id=earlier, basis=match.basis, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["case_id", "duplicate_of_id"])
            .returning(CaseDuplicate.id)
        ).scalar()
        if inserted is None:
            continue
        for this_id, other in ((case.id, match.public_id), (match.case_id, case.public_id)):
            db.add(
                CaseEvent(
                    case_id=this_id,
                    actor=ACTOR,
                    action="possible_duplicate",
                    detail={"case": other, "basis": match.basis},
                )
            )
        new.append(match)
    if new:
        # Ids and a count only: the basis is a code, but the log needs no more than this.
        log.info("case.possible_duplicate", extra={"case_id": case.id, "count": len(new)})
    return new


def mark_possible_duplicates(
    sessions: sessionmaker[Session], case_id: int, now: datetime | None = None
) -> int:
    """record_matches in a transaction of its own; the number of new marks.

    The pipeline calls this after the routing committed, not inside it: the routing holds its
    case's row lock, and an event written to the other case waits for that case's lock, so two
    workers routing the same patient's two cases at once would wait on each other."""
    with sessions.begin() as db:
        case = db.get(Case, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        return len(record_matches(db, case, now))


# --- what the staff pages show ------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateMark:
    """An open mark as a case page shows it, from the point of view of that case."""

    id: int
    basis: str
    other_id: int
    other_public_id: str
    other_status: str
    other_version: int
    # The staff member may open the other case (a physician only in their licensed states).
    other_visible: bool

    @property
    def basis_words(self) -> str:
        return BASIS_WORDS.get(self.basis, self.basis.replace("_", " "))


def marks_of(db: Session, case: Case, staff: StaffUser) -> list[DuplicateMark]:
    """The open marks of the case, oldest first, each with the other case's reference, status
    and version (one statement; a merged or dismissed mark is in both histories)."""
    marks = db.execute(
        select(CaseDuplicate, Case)
        .join(
            Case,
            or_(
                (CaseDuplicate.case_id == case.id) & (Case.id == CaseDuplicate.duplicate_of_id),
                (CaseDuplicate.duplicate_of_id == case.id) & (Case.id == CaseDuplicate.case_id),
            ),
        )
        .where(
            or_(CaseDuplicate.case_id == case.id, CaseDuplicate.duplicate_of_id == case.id),
            CaseDuplicate.state == "open",
        )
        .order_by(CaseDuplicate.id)
    ).all()
    is_physician = staff.role == Role.PHYSICIAN.value
    return [
        DuplicateMark(
            id=mark.id,
            basis=mark.basis,
            other_id=other.id,
            other_public_id=other.public_id,
            other_status=other.status,
            other_version=other.version,
            other_visible=not is_physician or may_physician_see(other, staff),
        )
        for mark, other in marks
    ]


def has_open_mark(case_id: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """Whether the case has an open mark, as a column of a list's query: one probe of each
    index of case_duplicate per row shown, no statement of its own."""
    return or_(
        exists().where(CaseDuplicate.case_id == case_id, CaseDuplicate.state == "open"),
        exists().where(CaseDuplicate.duplicate_of_id == case_id, CaseDuplicate.state == "open"),
    )


# --- the coordinator's actions ------------------------------------------------------------


def _open_mark(db: Session, case: Case, mark_id: int) -> tuple[CaseDuplicate, Case]:
    """The mark ``mark_id`` of ``case`` and the other case; a mark no longer open means someone
    resolved it since the page was shown (CaseAlreadyHandled, naming who)."""
    mark = db.get(CaseDuplicate, mark_id)
    if mark is None or case.id not in (mark.case_id, mark.duplicate_of_id):
        raise MarkNotFound(mark_id)
    if mark.state != "open":
        raise _last_change(db, case)
    other = db.get(Case, mark.duplicate_of_id if mark.case_id == case.id else mark.case_id)
    assert other is not None  # a foreign key
    return mark, other


def _note_on_other(
    db: Session, user: StaffUser, other: Case, action: str, detail: dict[str, Any]
) -> None:
    """The other case's side of a merge or a dismissal: its history and its audit entry."""
    other.updated_at = utcnow()  # a new version: a page of it shown before is now stale
    db.add(CaseEvent(case_id=other.id, actor=f"staff:{user.email}", action=action, detail=detail))
    audit.record(db, user, action, other.id, **detail)


def merge(
    sessions: sessionmaker[Session],
    staff_id: int,
    case_id: int,
    mark_id: int,
    close: str,
    this_version: int | None,
    other_version: int | None,
    reason: str,
) -> None:
    """Close one of the two cases of an open mark as a duplicate of the other, as the
    coordinator chose on the page of case ``case_id``: ``close`` is "this" (that case) or
    "other". The closed case is withdrawn ("merged" in its history, naming the case it was
    merged into); the kept one stays as it is ("duplicate_merged" in its history, naming the
    closed one); the mark becomes "merged". Either case changed since the page showed the
    versions given: CaseAlreadyHandled, naming who changed it."""
    reason = _require_reason(reason)
    if close not in ("this", "other"):
        raise ValueError("choose which of the two cases to close")
    with sessions() as db:
        mark = db.get(CaseDuplicate, mark_id)
        if mark is None or case_id not in (mark.case_id, mark.duplicate_of_id):
            raise MarkNotFound(mark_id)
        other_id = mark.duplicate_of_id if mark.case_id == case_id else mark.case_id
    close_id, kept_id = (case_id, other_id) if close == "this" else (other_id, case_id)
    versions = {case_id: this_version, other_id: other_version}

    def change(db: Session, closed: Case, user: StaffUser) -> dict[str, Any]:
        _require_role(user, Role.COORDINATOR, Role.ADMIN)
        mark, kept = _open_mark(db, closed, mark_id)
        expected = versions[kept_id]
        if expected is not None and kept.version != expected:
            raise _last_change(db, kept)
        transition(closed, S.WITHDRAWN)
        closed.assignee_id = None
        mark.state, mark.resolved_at, mark.resolved_by_id = "merged", utcnow(), user.id
        _note_on_other(
            db,
            user,
            kept,
            "duplicate_merged",
            {"merged_from": closed.public_id, "reason": reason},
        )
        return {"merged_into": kept.public_id, "reason": reason}

    Action(sessions).run(staff_id, close_id, versions[close_id], "merged", change)


def dismiss(
    sessions: sessionmaker[Session],
    staff_id: int,
    case_id: int,
    version: int | None,
    mark_id: int,
    reason: str,
) -> None:
    """Not the same patient (or not a duplicate request): the mark becomes "dismissed", no
    longer shown as open; both histories say so, with the reason."""
    reason = _require_reason(reason)

    def change(db: Session, case: Case, user: StaffUser) -> dict[str, Any]:
        _require_role(user, Role.COORDINATOR, Role.ADMIN)
        mark, other = _open_mark(db, case, mark_id)
        mark.state, mark.resolved_at, mark.resolved_by_id = "dismissed", utcnow(), user.id
        _note_on_other(
            db,
            user,
            other,
            "duplicate_dismissed",
            {"case": case.public_id, "reason": reason},
        )
        return {"case": other.public_id, "reason": reason}

    Action(sessions).run(staff_id, case_id, version, "duplicate_dismissed", change)
