"""Staff reads of one case through the API: the case document and its FHIR export.

Each use case finds the case, checks that the staff member may see it, writes the audit entry
and commits, in one transaction, so the views only parse the request and answer. A physician
asking for a case outside their licences gets the same None as for an unknown case: the API
never reveals that it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflows.cases.casework import may_physician_see
from workflows.cases.models import Case, CaseEvent
from workflows.staff import audit
from workflows.staff.models import StaffUser

__all__ = ["case_document", "read_case_document", "export_case", "visible_case"]


def visible_case(db: Session, staff: StaffUser, public_id: str) -> Case | None:
    case = db.scalars(select(Case).where(Case.public_id == public_id)).one_or_none()
    if case is None:
        return None
    if staff.role == "physician" and not may_physician_see(case, staff):
        return None
    return case


def case_document(db: Session, case: Case) -> dict[str, Any]:
    assignee = db.get(StaffUser, case.assignee_id) if case.assignee_id else None
    events = db.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()
    return {
        "id": case.public_id,
        "status": case.status,
        "submitted_at": case.submitted_at.isoformat(),
        "queue": case.queue,
        "priority": case.priority,
        "decision": case.decision,
        "patient_state": case.patient_state,
        "assignee": assignee.name if assignee else None,
        "intake": case.intake,
        "screening_result": case.screening_result,
        "history": [
            {
                "at": e.at.isoformat(timespec="seconds") + "Z",
                "actor": e.actor,
                "action": e.action,
                "detail": e.detail,
            }
            for e in events
        ],
    }


def read_case_document(
    sessions: sessionmaker[Session], staff_id: int, public_id: str
) -> dict[str, Any] | None:
    """The case as the API gives it to staff, the read audited; None if not theirs to see."""
    with sessions.begin() as db:
        staff = db.get(StaffUser, staff_id)
        case = visible_case(db, staff, public_id) if staff else None
        if case is None:
            return None
        audit.record(db, staff, "case_read_api", case.id)
        return case_document(db, case)


def export_case(
    sessions: sessionmaker[Session],
    staff_id: int,
    public_id: str,
    build: Callable[[Case], dict[str, Any]],
) -> dict[str, Any] | None:
    """A case's export (``build`` makes it from the case: the FHIR Bundle), the export
    audited with how many resources it held; None if not theirs to see."""
    with sessions.begin() as db:
        staff = db.get(StaffUser, staff_id)
        case = visible_case(db, staff, public_id) if staff else None
        if case is None:
            return None
        exported = build(case)
        audit.record(
            db, staff, "case_fhir_exported", case.id, resources=len(exported.get("entry", []))
        )
        return exported
