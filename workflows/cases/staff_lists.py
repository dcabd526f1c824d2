"""The staff lists as pages ask for them: each read in one transaction with its audit entry.

The views held these sessions, reads, audit entries and commits themselves; here each sits
behind one call, so a view only parses its arguments and renders. The reads are those of
queries.py and medications.py, unchanged (they are tuned for a million cases): this module
only decides which session they run in and what the audit log says about them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from workflows.cases import medications, queries, search
from workflows.staff import audit
from workflows.staff.accounts import acting_staff
from workflows.staff.models import StaffUser

__all__ = [
    "view_coordinator_queue",
    "view_physician_list",
    "search_as_coordinator",
    "search_as_physician",
    "read_queue_for_api",
    "view_unidentified_names",
    "record_unidentified_names_export",
    "unidentified_names_for_export",
]


def view_coordinator_queue(
    sessions: sessionmaker[Session],
    staff_id: int,
    filters: queries.QueueFilters,
    page_size: int,
    cursor: str | None,
    backwards: bool,
    now: datetime,
) -> tuple[queries.Page, queries.Staffing]:
    """One page of the coordinator queue, audited as viewed with the filters that were set, and
    the states a case can be assigned in (the list offers Assign only there).
    Raises InvalidCursor (nothing is audited) or StaffNotFound."""
    with sessions() as db:
        page = queries.coordinator_queue(db, filters, page_size, cursor, backwards, now)
        staffing = queries.states_with_room(db)
        audit.record(
            db,
            acting_staff(db, staff_id),
            "queue_viewed",
            None,
            filters={k: v for k, v in vars(filters).items() if v},
        )
        db.commit()
    return page, staffing


def view_physician_list(
    sessions: sessionmaker[Session],
    staff_id: int,
    page_size: int,
    cursor: str | None,
    backwards: bool,
) -> queries.Page:
    """One page of a physician's list (their cases, then the shared queue), audited as viewed.
    Raises InvalidCursor (nothing is audited) or StaffNotFound."""
    with sessions() as db:
        physician = acting_staff(db, staff_id)
        page = queries.physician_list(db, physician, page_size, cursor, backwards)
        audit.record(db, physician, "physician_queue_viewed")
        db.commit()
    return page


def search_as_coordinator(
    sessions: sessionmaker[Session], staff_id: int, term: str, limit: int
) -> tuple[search.SearchResult, queries.Staffing]:
    """Every case that matches ``term`` (up to ``limit``), audited as a search, and the states
    a case can be assigned in. Raises InvalidSearch (nothing is read or audited) or
    StaffNotFound."""
    wanted = search.parse_search(term)
    with sessions() as db:
        staff = acting_staff(db, staff_id)
        result = search.search_cases(db, wanted, limit)
        staffing = queries.states_with_room(db)
        _record_search(db, staff, "queue", result)
        db.commit()
    return result, staffing


def search_as_physician(
    sessions: sessionmaker[Session], staff_id: int, term: str, limit: int
) -> search.SearchResult:
    """The cases the physician may see that match ``term`` (up to ``limit``), audited as a
    search. Raises InvalidSearch (nothing is read or audited) or StaffNotFound."""
    wanted = search.parse_search(term)
    with sessions() as db:
        physician = acting_staff(db, staff_id)
        result = search.search_cases(db, wanted, limit, physician)
        _record_search(db, physician, "physician", result)
        db.commit()
    return result


def _record_search(db: Session, staff: StaffUser, where: str, result: search.SearchResult) -> None:
    """A search is audited by its kind and what it found, never by its term: the term is a
    name, an email or a date of birth, and the audit log is read, filtered and exported by
    admins who need to know that a search was made and what it showed (the case references),
    not whom someone was looking for when nothing matched."""
    audit.record(
        db,
        staff,
        "cases_searched",
        None,
        list=where,
        kind=result.kind,
        results=len(result.rows),
        more=result.more,
        cases=[row.public_id for row in result.rows],
    )


def read_queue_for_api(
    sessions: sessionmaker[Session],
    staff_id: int,
    asked_queue: str | None,
    page_size: int,
    cursor: str | None,
) -> queries.Page:
    """The API's queue: a physician's list for a physician, the coordinator queue otherwise,
    filtered by ``asked_queue`` when it is not empty. The audit entry keeps the queue as it was
    asked for. Raises InvalidCursor (nothing is audited)."""
    queue = asked_queue or None
    with sessions() as db:
        staff = db.get_one(StaffUser, staff_id)
        if staff.role == "physician":
            page = queries.physician_list(db, staff, page_size, cursor, queue=queue)
        else:
            page = queries.coordinator_queue(
                db, queries.QueueFilters(queue=queue), page_size, cursor
            )
        audit.record(db, staff, "queue_read_api", None, queue=asked_queue)
        db.commit()
    return page


def view_unidentified_names(
    sessions: sessionmaker[Session], staff_id: int, order: str, per_page: int, page_number: int
) -> tuple[list[medications.UnidentifiedName], int]:
    """One page of the names screenings could not identify and how many there are, audited as
    viewed. Raises StaffNotFound."""
    with sessions() as db:
        names, total = medications.unidentified_names(
            db, order, per_page, (page_number - 1) * per_page
        )
        audit.record(
            db,
            acting_staff(db, staff_id),
            "unidentified_medications_viewed",
            order=order,
            page=page_number,
        )
        db.commit()
    return names, total


def record_unidentified_names_export(
    sessions: sessionmaker[Session], staff_id: int, order: str
) -> None:
    """Audit the export before its first row is read: the export streams a page at a time,
    each in its own short session (unidentified_names_for_export). Raises StaffNotFound."""
    with sessions() as db:
        audit.record(
            db, acting_staff(db, staff_id), "unidentified_medications_exported", order=order
        )
        db.commit()


def unidentified_names_for_export(
    sessions: sessionmaker[Session], order: str, limit: int, offset: int
) -> list[medications.UnidentifiedName]:
    """One page of the export; its audit entry was written once, when the export began."""
    with sessions() as db:
        names, _ = medications.unidentified_names(db, order, limit, offset)
    return names
