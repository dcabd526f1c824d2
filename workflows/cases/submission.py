"""Use cases of the patient side: submitting an intake and reading its status.

Services own their transaction and know nothing of Flask or Celery: the caller passes a
session factory and, for submission, a function that enqueues the pipeline, called only after
the case is committed so a worker that starts at once finds the row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflows.cases.drafts import attach_case
from workflows.cases.models import Case, CaseEvent, CaseStatus
from workflows.cases.patient_fields import set_patient_fields
from workflows.cases.patient_status import PatientStage, plain_status
from workflows.platform import metrics
from workflows.platform.i18n import known_language
from workflows.platform.tokens import hash_token, new_public_id, new_token, token_matches
from workflows.screening import InvalidIntake, validate_intake
from workflows.screening.validation import FieldError, unstorable_text_errors

log = logging.getLogger("workflows.cases.submission")

__all__ = [
    "SubmittedCase",
    "PatientStatus",
    "submit_intake",
    "check_intake",
    "patient_status",
    "status_of_submitted",
    "PUBLIC_STATUS",
]


@dataclass(frozen=True)
class SubmittedCase:
    id: int
    public_id: str
    access_token: str


@dataclass(frozen=True)
class PatientStatus:
    """A case as its patient may see it. `status` and `message` are the API's
    (service-contract §3); `title` and `stage` are the plain status the pages show
    (workflows.cases.patient_status), whose explanation `message` is."""

    public_id: str
    status: str
    submitted_at: date
    message: str
    title: str
    stage: PatientStage

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.public_id,
            "status": self.status,
            "submitted_at": self.submitted_at.isoformat(),
            "message": self.message,
        }


S = CaseStatus
# The status the API answers (service-contract §3 fixes its values): the states a patient need
# not see fold into the nearest public one. Pages show the plain status instead.
PUBLIC_STATUS: dict[CaseStatus, str] = {
    S.RECEIVED: "received",
    S.SCREENING: "screening",
    S.SCREENING_FAILED: "screening",
    S.ROUTED: "routed",
    S.ASSIGNED: "routed",
    S.WAITLISTED: "routed",
    S.NEEDS_INFO: "needs_info",
    S.ACCEPTED: "accepted",
    S.DECLINED: "declined",
    S.WITHDRAWN: "withdrawn",
}


def check_intake(document: Any, today: date) -> Any:
    """What submit_intake would store, checked as it checks it, storing nothing: the document
    dated ``today``, or InvalidIntake listing every bad field. (The patient's review page asks
    again to show the errors of a refused submission.)"""
    unstorable = unstorable_text_errors(document)
    if unstorable:
        raise InvalidIntake(unstorable)
    if isinstance(document, dict):
        document = {**document, "submitted_at": today.isoformat()}
    validate_intake(document)
    bad_contact = contact_errors(document)
    if bad_contact:
        raise InvalidIntake(bad_contact)
    return document


def submit_intake(
    sessions: sessionmaker[Session],
    document: Any,
    today: date,
    enqueue: Callable[[int], None],
    actor: str = "patient",
    language: str = "en",
    draft_id: int | None = None,
) -> SubmittedCase:
    """Store a valid intake as a received case and enqueue its pipeline.

    The server's date is "today": a `submitted_at` in the document is replaced. Raises
    InvalidIntake, listing every bad field, and then stores nothing. ``language`` is the
    patient's ("en" or "es"): messages to them follow it. ``draft_id``: the draft the intake
    was typed in, marked as this case in the same transaction.
    """
    document = check_intake(document, today)
    token = new_token()
    with sessions.begin() as db:
        case = Case(
            public_id=new_public_id(),
            access_token_hash=hash_token(token),
            status=CaseStatus.RECEIVED,
            submitted_at=today,
            intake=document,
            language=known_language(language),
        )
        set_patient_fields(case, document)
        db.add(case)
        db.flush()
        db.add(CaseEvent(case_id=case.id, actor=actor, action="received", detail={}))
        if draft_id is not None:
            attach_case(db, draft_id, case.id)
        submitted = SubmittedCase(case.id, case.public_id, token)
    enqueue(submitted.id)
    # "channel", not "actor": an actor elsewhere is a staff member's address, never logged.
    log.info("case.received", extra={"case_id": submitted.id, "channel": actor})
    # Two fixed values: an actor could one day be a staff address, which no label may carry.
    metrics.INTAKES_SUBMITTED.labels("api" if actor == "api" else "web").inc()
    return submitted


def contact_errors(document: dict[str, Any]) -> list[FieldError]:
    """The patient's email, when given, must be one address, checked as the intake form checks
    it: "a@x.org, b@y.org" would mail both, and CR/LF would break the message's headers."""
    address = (document.get("patient") or {}).get("email")
    if not isinstance(address, str) or not address.strip():
        return []
    try:
        validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError:
        return [FieldError("patient.email", "Enter one email address like name@example.com.")]
    return []


def patient_status(
    sessions: sessionmaker[Session], public_id: str, access_token: str | None
) -> PatientStatus | None:
    """The status a patient may see through the API (in English, as the API speaks), or None
    when the id or the token is wrong (same answer)."""
    with sessions() as db:
        case = db.scalars(select(Case).where(Case.public_id == public_id)).one_or_none()
        if case is None or not token_matches(access_token, case.access_token_hash):
            return None
        return status_of(case)


def status_of_submitted(
    sessions: sessionmaker[Session], case_id: int, language: str = "en"
) -> PatientStatus | None:
    """The status of the case a patient's own draft became, in ``language`` (the status page
    finds it through the draft in the patient's session, so no token is asked for)."""
    with sessions() as db:
        case = db.get(Case, case_id)
        return status_of(case, language) if case is not None else None


def status_of(case: Case, language: str = "en") -> PatientStatus:
    plain = plain_status(
        case.status,
        queue=case.queue,
        patient_state=case.patient_state,
        reference=case.public_id,
        language=language,
    )
    return PatientStatus(
        case.public_id,
        PUBLIC_STATUS[CaseStatus(case.status)],
        case.submitted_at,
        plain.explanation,
        plain.title,
        plain.stage,
    )
