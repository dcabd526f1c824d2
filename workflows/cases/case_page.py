"""What the staff case page shows, read in one transaction that also audits the view.

The page's view held these reads (and the audit entry's commit) itself; here they sit behind
one call, so the view only builds forms and renders. A physician asking for a case outside
their licences gets None, as for an unknown case: the page answers 404 either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflows.cases import medications
from workflows.cases.case_reads import visible_case
from workflows.cases.casework import may_physician_see
from workflows.cases.duplicates import DuplicateMark, marks_of
from workflows.cases.models import Case, CaseEvent
from workflows.cases.queries import PhysicianLoad, physicians_for_state
from workflows.staff import audit
from workflows.staff.models import AuditEntry, StaffUser

__all__ = [
    "AUDIT_ENTRIES_SHOWN",
    "CasePage",
    "view_case",
    "case_id_for_staff",
    "assignable_physicians",
]


AUDIT_ENTRIES_SHOWN = 50


@dataclass(frozen=True)
class CasePage:
    case: Case  # detached: its columns are loaded, its relationships are not to be used
    events: list[CaseEvent]
    audit_entries: list[AuditEntry]  # the newest AUDIT_ENTRIES_SHOWN, oldest first
    more_audit_entries: bool  # older ones exist (the admins' audit log has them all)
    assignee: StaffUser | None
    # Licensed in the patient's state, least loaded first (the first one is suggested).
    physicians: list[PhysicianLoad]
    readings: list[medications.Reading]
    may_physician_accept: bool
    # Open possible-duplicate marks (workflows.cases.duplicates), oldest first.
    duplicate_marks: list[DuplicateMark]


def view_case(sessions: sessionmaker[Session], staff_id: int, public_id: str) -> CasePage | None:
    with sessions.begin() as db:
        staff = db.get(StaffUser, staff_id)
        case = visible_case(db, staff, public_id) if staff else None
        if staff is None or case is None:
            return None
        audit.record(db, staff, "case_viewed", case.id)
        db.flush()  # this view is in the audit trail the page shows
        # Every view is audited, so a case worked for months gathers hundreds of entries: the
        # page shows the newest, one more read to know whether there are older ones.
        audit_entries = list(
            db.scalars(
                select(AuditEntry)
                .where(AuditEntry.case_id == case.id)
                .order_by(AuditEntry.id.desc())
                .limit(AUDIT_ENTRIES_SHOWN + 1)
            )
        )
        page = CasePage(
            case=case,
            events=list(
                db.scalars(
                    select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
                )
            ),
            audit_entries=audit_entries[:AUDIT_ENTRIES_SHOWN][::-1],
            more_audit_entries=len(audit_entries) > AUDIT_ENTRIES_SHOWN,
            assignee=db.get(StaffUser, case.assignee_id) if case.assignee_id else None,
            physicians=physicians_for_state(db, case.patient_state),
            readings=medications.readings(db, case),
            may_physician_accept=staff.role == "physician" and may_physician_see(case, staff),
            duplicate_marks=marks_of(db, case, staff),
        )
        db.expunge_all()
        return page


def case_id_for_staff(sessions: sessionmaker[Session], staff_id: int, public_id: str) -> int | None:
    """The id of a case this staff member may see, for the actions posted from its page."""
    with sessions() as db:
        staff = db.get(StaffUser, staff_id)
        case = visible_case(db, staff, public_id) if staff else None
        return case.id if case else None


def assignable_physicians(sessions: sessionmaker[Session], case_id: int) -> list[PhysicianLoad]:
    """Physicians licensed in the case's state: the choices of the assign form."""
    with sessions() as db:
        state = db.scalar(select(Case.patient_state).where(Case.id == case_id))
        return physicians_for_state(db, state)
