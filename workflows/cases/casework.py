"""Staff work on cases: the state machine and every coordinator and physician action.

Plain Python: no Flask. Each action loads the case, checks the transition against
TRANSITIONS and the version the staff member saw, changes the case, and writes one CaseEvent
(the case's history) and one audit entry. Two people acting on the same case at once cannot
both win: the version column makes the second commit fail, and the loser is told who acted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from workflows.cases import drafts
from workflows.cases.amendments import hard_stops_of, intake_changes
from workflows.cases.lifecycle import (
    TRANSITIONS,
    TransitionNotAllowed,
    possible_actions,
    transition,
)
from workflows.cases.models import Case, CaseEvent, CaseFlag, CaseStatus
from workflows.cases.patient_fields import main_condition_of, set_patient_fields
from workflows.messaging import webhooks
from workflows.messaging.mail import Outbox, messages
from workflows.platform.orm import utcnow
from workflows.platform.tokens import hash_token, new_token
from workflows.screening.codes import codes_of
from workflows.staff import audit
from workflows.staff.models import Role, StaffUser

__all__ = [
    "TRANSITIONS",
    "possible_actions",
    "TransitionNotAllowed",
    "CaseAlreadyHandled",
    "NotPermitted",
    "InvalidAction",
    "CaseNotFound",
    "SERVICE_TARGETS",
    "AMENDABLE_STEPS",
    "InfoRequest",
    "case_for_info_token",
    "NothingToSend",
    "MESSAGE_MAX",
    "PatientNotice",
]

S = CaseStatus
# How long a case may wait in each queue before it is late.
SERVICE_TARGETS = {"physician": timedelta(hours=24), "coordinator": timedelta(hours=4)}
AMENDABLE_STEPS = ("about", "diagnoses", "medications", "history", "goals", "ketosis")
# The longest question to a patient and answer from one (characters).
MESSAGE_MAX = 2000


class CaseNotFound(LookupError):
    pass


class CaseAlreadyHandled(Exception):
    """Someone else changed the case since it was shown: says who, what and when."""

    def __init__(self, case_id: int, by: str, action: str, at: datetime | None) -> None:
        when = f" at {at:%Y-%m-%d %H:%M} UTC" if at else ""
        super().__init__(f"{by} already did this ({action}){when}")
        self.case_id, self.by, self.action, self.at = case_id, by, action, at


class NotPermitted(Exception):
    pass


class NothingToSend(ValueError):
    """A patient's update that changes no answer and answers nothing: the care team would
    receive nothing, so the patient is told instead of the case going round again."""


class InvalidAction(ValueError):
    """An action refused for what was typed in it. ``field`` names the input (reason, note,
    physician, queue, steps) so that the page can show the message beside it and keep the
    rest of what was typed; the message is a sentence fragment, as the other errors here."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _actor(db: Session, staff_id: int) -> StaffUser:
    user = db.get(StaffUser, staff_id)
    if user is None or not user.is_active:
        raise NotPermitted("unknown staff account")
    return user


def _last_change(db: Session, case: Case) -> CaseAlreadyHandled:
    last = db.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()
    by = (last.actor.removeprefix("staff:") if last else "someone") or "someone"
    if last is not None and last.actor.startswith("staff:"):
        user = db.scalars(select(StaffUser).where(StaffUser.email == by)).one_or_none()
        by = user.name if user else by
    return CaseAlreadyHandled(
        case.id, by, last.action if last else "changed it", last.at if last else None
    )


@dataclass
class Action:
    """One staff change: loads the case at the version seen, applies ``change``, records it."""

    sessions: sessionmaker[Session]

    def run(
        self,
        staff_id: int,
        case_id: int,
        expected_version: int | None,
        name: str,
        change: Callable[[Session, Case, StaffUser], dict[str, Any]],
    ) -> None:
        try:
            with self.sessions.begin() as db:
                case = db.get(Case, case_id)
                if case is None:
                    raise CaseNotFound(case_id)
                user = _actor(db, staff_id)
                if expected_version is not None and case.version != expected_version:
                    raise _last_change(db, case)
                detail = change(db, case, user)
                case.updated_at = utcnow()
                db.add(
                    CaseEvent(
                        case_id=case.id, actor=f"staff:{user.email}", action=name, detail=detail
                    )
                )
                audit.record(db, user, name, case.id, **detail)
        except StaleDataError:
            with self.sessions() as db:
                case = db.get(Case, case_id)
                assert case is not None
                raise _last_change(db, case) from None


@dataclass(frozen=True)
class PatientNotice:
    """How to tell a patient that a person decided about their case: the outbox, and the
    address of the status link for a token (built by the web layer from PUBLIC_URL)."""

    outbox: Outbox
    link_for: Callable[[str], str]


def _tell_patient(db: Session, case: Case, notice: PatientNotice | None, kind: str) -> str:
    """Send the patient the news message (workflows.messaging.mail.messages.news), in their
    language, in the action's transaction; returns the channel for the case history. The
    link's token goes only into the message, never into the history or the audit."""
    address = (case.intake.get("patient", {}).get("email") or "").strip()
    if notice is None or not address:
        return "none"
    token = drafts.renew_email_link(db, case.id)
    link = notice.link_for(token) if token else None
    notice.outbox.send(
        db, messages.news(kind, address, case.public_id, link, case.id, case.language)
    )
    return "email"


def _require_reason(reason: str, field: str = "reason") -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        # Spaces alone pass a form's "required" check: this is the rule that counts.
        if field == "note":
            raise InvalidAction(field, "write the note")
        raise InvalidAction(field, "give a reason: it goes into the case history")
    return reason


def _require_role(user: StaffUser, *roles: Role) -> None:
    if user.role not in {r.value for r in roles}:
        raise NotPermitted(f"{user.role} may not do this")


def assign(
    sessions: sessionmaker[Session],
    staff_id: int,
    case_id: int,
    version: int | None,
    physician_id: int,
    reason: str,
) -> None:
    reason = _require_reason(reason)

    def change(db: Session, case: Case, user: StaffUser) -> dict[str, Any]:
        _require_role(user, Role.COORDINATOR, Role.ADMIN)
        physician = db.get(StaffUser, physician_id)
        # What was chosen, not who chose it: shown beside the physician field.
        if physician is None or physician.role != Role.PHYSICIAN:
            raise InvalidAction("physician", "choose a physician from the list")
        if case.patient_state not in physician.states:
            raise InvalidAction(
                "physician",
                f"{physician.name} is not licensed in {case.patient_state or 'the patient state'}"
                ": choose a physician licensed there",
            )
        transition(case, S.ASSIGNED)
        case.assignee_id, case.queue = physician.id, "physician"
        return {"reason": reason, "physician": physician.name}

    Action(sessions).run(staff_id, case_id, version, "assigned", change)


def accept(
    sessions: sessionmaker[Session],
    staff_id: int,
    case_id: int,
    version: int | None,
    send_webhook: Callable[[int], None] | None = None,
    note: str = "",
    notice: PatientNotice | None = None,
) -> None:
    """A physician takes the case; ``note`` (optional) goes into the case history. With a
    ``notice`` the patient is told there is news (the same words as for a decline)."""
    note = " ".join((note or "").split())

    def change(db: Session, case: Case, user: StaffUser) -> dict[str, Any]:
        _require_role(user, Role.PHYSICIAN)
        if case.status == S.ACCEPTED:
            raise _last_change(db, case)
        if not may_physician_see(case, user):
            raise NotPermitted("this case is not yours to accept")
        transition(case, S.ACCEPTED)
        case.assignee_id, case.accepted_at = user.id, utcnow()
        webhooks.record_event(db, case, "case.accepted", send_soon=send_webhook)
        told = _tell_patient(db, case, notice, "accepted")
        return {"note": note, "patient_told": told} if note else {"patient_told": told}

    Action(sessions).run(staff_id, case_id, version, "accepted", change)


def physician_decline(
    sessions: sessionmaker[Session], staff_id: int, case_id: int, version: int | None, reason: str
) -> None:
    """A physician hands the case back: it returns to the coordinator queue."""
    reason = _require_reason(reason)

    def change(db: Session, case: Case, user: StaffUser) -> dict[str, Any]:
        _require_role(user, Role.PHYSICIAN)
        if not may_physician_see(case, user):
            raise NotPermitted("this case is not yours to decline")
        transition(case, S.ROUTED)
        case.queue, case.assignee_id, case.routed_at = (
            "coordinator",
            None,
            utcnow(),
        )
        return {"reason": reason}

    Action(sessions).run(staff_id, case_id, version, "physician_declined", change)


def decline(
    sessions: sessionmaker[Session],
    staff_id: int,
    case_id: int,
    version: int | None,
    reason: str,
    send_webhook: Callable[[int], None] | None = None,
    notice: PatientNotice | None = None,
) -> None:
    """A coordinator closes the case. With a ``notice`` the patient is told there is news, in
    the same words as an acceptance: the reason is staff's, and neither it nor the decision
    goes by email (the status page says it kindly; a person explains on the phone)."""
    reason = _require_reason(reason)

    def change(db: Session, case: Case, user: StaffUser) -> dict[str, Any]:
        _require_role(user, Role.COORDINATOR, Role.ADMIN)
        transition(case, S.DECLINED)
        case.assignee_id = None
        webhooks.record_event(db, case, "case.declined", send_soon=send_webhook)
        return {"reason": reason, "patient_told": _tell_patient(db, case, notice, "declined")}

    Action(sessions).run(staff_id, case_id, version, "declined", change)


def waitlist(
    sessions: sessionmaker[Session], staff_id: int, case_id: int, version: int | None, reason: str
) -> None:
    reason = _require_reason(reason)

    def change(db: Session, case: Case, user: StaffUser) -> dict[str, Any]:
        _require_role(user, Role.COORDINATOR, Role.ADMIN)
        transition(case, S.WAITLISTED)
        case.queue, case.assignee_id = "waitlist", None
        return {"reason": reason}

    Action(sessions).run(staff_id, case_id, version, "waitlisted", change)


def reroute(
    sessions: sessionmaker[Session],
    staff_id: int,
    case_id: int,
    version: int | None,
    queue: str,
    reason: str,
) -> None:
    reason = _require_reason(reason)
    if queue not in ("physician", "coordinator", "waitlist"):
        raise InvalidAction("queue", "choose the physician, coordinator or waitlist queue")

    def change(db: Session, case: Case, user: StaffUser) -> dict[str, Any]:
        _require_role(user, Role.COORDINATOR, Role.ADMIN)
        target = S.WAITLISTED if queue == "waitlist" else S.ROUTED
        before = case.queue
        transition(case, target)
        case.queue, case.assignee_id, case.routed_at = queue, None, utcnow()
        return {"reason": reason, "from": before, "to": queue}

    Action(sessions).run(staff_id, case_id, version, "rerouted", change)


def retry_screening(
    sessions: sessionmaker[Session], staff_id: int, case_id: int, version: int | None, reason: str
) -> None:
    """Send a case the pipeline gave up on through it again (screening_failed -> received);
    the caller enqueues the pipeline once this has committed."""
    reason = _require_reason(reason)

    def change(db: Session, case: Case, user: StaffUser) -> dict[str, Any]:
        _require_role(user, Role.COORDINATOR, Role.ADMIN)
        failed_with = case.last_error
        transition(case, S.RECEIVED)
        case.last_error = None
        store_screening_result(case, None)
        case.rule_set_version, case.decision = None, None
        return {"reason": reason, "failed_with": failed_with}

    Action(sessions).run(staff_id, case_id, version, "screening_retried", change)


def add_note(sessions: sessionmaker[Session], staff_id: int, case_id: int, text: str) -> None:
    text = _require_reason(text, field="note")

    def change(db: Session, case: Case, user: StaffUser) -> dict[str, Any]:
        return {"note": text}

    Action(sessions).run(staff_id, case_id, None, "note", change)


def request_info(
    sessions: sessionmaker[Session],
    staff_id: int,
    case_id: int,
    version: int | None,
    steps: Iterable[str],
    reason: str,
    outbox: Outbox,
    link_for: Callable[[str], str],
    message: str = "",
) -> None:
    """Ask the patient a question (``message``, shown to them as written) and open the named
    steps for them to change; ``reason`` stays internal. The patient gets a link by email that
    says only that a question is waiting: the question itself may be health information."""
    reason = _require_reason(reason)
    message = (message or "").strip()
    if not message:
        raise InvalidAction(
            "message", "write the message to the patient: what the care team needs to know"
        )
    if len(message) > MESSAGE_MAX:
        raise InvalidAction(
            "message", f"the message to the patient is longer than {MESSAGE_MAX} characters"
        )
    chosen = [step for step in AMENDABLE_STEPS if step in set(steps)]
    if not chosen:
        raise InvalidAction("steps", "choose at least one step for the patient to amend")
    token = new_token()

    def change(db: Session, case: Case, user: StaffUser) -> dict[str, Any]:
        _require_role(user, Role.COORDINATOR, Role.ADMIN)
        transition(case, S.NEEDS_INFO)
        case.assignee_id = None
        case.info_token_hash = hash_token(token)
        case.info_steps = {"steps": chosen, "reason": reason, "message": message}
        address = (case.intake.get("patient", {}).get("email") or "").strip()
        if address:
            outbox.send(
                db,
                messages.needs_info(
                    address, case.public_id, link_for(token), case.id, case.language
                ),
            )
        return {"reason": reason, "message": message, "steps": chosen}

    Action(sessions).run(staff_id, case_id, version, "info_requested", change)


@dataclass(frozen=True)
class InfoRequest:
    """A live request for more information, as the patient's amend pages need it."""

    case_id: int
    steps: list[str]
    intake: dict[str, Any]
    language: str
    message: str  # the care team's question, as staff wrote it ("" for an older request)


def case_for_info_token(sessions: sessionmaker[Session], token: str) -> InfoRequest | None:
    """The live request for information that a patient's link names, or None.

    Anyone may try a link, so this is one equality on the token's hash (indexed) that reads one
    row and only the columns the pages use, whatever the number of cases."""
    with sessions() as db:
        row = db.execute(
            select(Case.id, Case.status, Case.info_steps, Case.intake, Case.language)
            .where(Case.info_token_hash == hash_token(token))
            .limit(1)
        ).first()
    if row is None or row.status != S.NEEDS_INFO or not row.info_steps:
        return None
    return InfoRequest(
        row.id,
        list(row.info_steps["steps"]),
        dict(row.intake),
        row.language,
        str(row.info_steps.get("message") or ""),
    )


def patient_amend(
    sessions: sessionmaker[Session],
    token: str,
    document: dict[str, Any],
    draft_id: int | None = None,
    answer: str = "",
) -> int:
    """Store the amended intake and the patient's answer to the care team's question, and send
    the case back to screening (needs_info -> screening); the draft the amendments were typed
    in is marked as this case's in the same transaction. An update that changes nothing and
    answers nothing raises NothingToSend."""
    answer = (answer or "").strip()
    if len(answer) > MESSAGE_MAX:
        raise ValueError(f"the answer is longer than {MESSAGE_MAX} characters")
    with sessions.begin() as db:
        case = db.scalars(
            select(Case).where(Case.info_token_hash == hash_token(token))
        ).one_or_none()
        if case is None or case.status != S.NEEDS_INFO:
            raise CaseNotFound("no open request for information")
        steps = case.info_steps["steps"] if case.info_steps else []
        # Field by field, before and after, and the hard stops the last screening raised: the
        # routing that follows sends a case whose hard stop the patient's answer cleared to a
        # coordinator to verify, never straight to a physician.
        changes = intake_changes(case.intake, document)
        if not changes and not answer:
            raise NothingToSend(case.id)
        detail = {
            "steps": steps,
            # The question travels with its answer: the request's own columns are cleared.
            "question": (case.info_steps or {}).get("message", ""),
            "answer": answer,
            "changes": changes,
            "hard_stops_before": hard_stops_of(case.screening_result),
            "flags_before": flag_codes(case),
        }
        transition(case, S.SCREENING)
        case.intake = document
        set_patient_fields(case, document)
        store_screening_result(case, None)
        case.rule_set_version, case.decision = None, None
        case.info_token_hash, case.info_steps = None, None
        case.updated_at = utcnow()
        db.add(CaseEvent(case_id=case.id, actor="patient", action="amended", detail=detail))
        if draft_id is not None:
            drafts.attach_case(db, draft_id, case.id)
        return case.id


def may_physician_see(case: Case, physician: StaffUser) -> bool:
    """Only cases assigned to them, or waiting in the physician queue in a state they hold."""
    if case.patient_state not in physician.states:
        return False
    if case.status == S.ASSIGNED:
        return case.assignee_id == physician.id
    if case.status == S.ACCEPTED:
        return case.assignee_id == physician.id
    return case.status == S.ROUTED and case.queue == "physician"


def flag_codes(case: Case) -> list[str]:
    """Every code of the case's screening result (the one definition is the screening's)."""
    return codes_of(case.screening_result)


def store_screening_result(case: Case, result: dict[str, Any] | None) -> None:
    """The one way a screening result is written: its flag codes are copied to case_flag in
    the same transaction, so the queue's flag filter (in SQL) never disagrees with the result."""
    case.screening_result = result
    case.main_condition = main_condition_of(result)
    codes = flag_codes(case)
    if [flag.code for flag in case.flags] == codes:
        return  # the same rows: a re-screening that changes no flag rewrites none
    case.flags = [CaseFlag(code=code, position=position) for position, code in enumerate(codes)]


def waiting_since(case: Case) -> datetime:
    return case.routed_at or case.created_at


def is_late(case: Case, now: datetime) -> bool:
    return is_past_target(case.queue, case.status, waiting_since(case), now)


def is_past_target(queue: str | None, status: str, since: datetime, now: datetime) -> bool:
    """Waiting in a queue longer than its service target (a list row has no Case to ask)."""
    target = SERVICE_TARGETS.get(queue or "")
    return target is not None and status in (S.ROUTED, S.SCREENING_FAILED) and now - since > target
