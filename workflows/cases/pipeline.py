"""The screening pipeline's steps, as plain idempotent functions of a case id.

validate -> screen -> route -> notify, run by `process` as one task and one transaction per
case; then, in a transaction of its own, the marks of possible duplicates
(workflows.cases.duplicates). Each step re-reads the case, checks that the world is as it expects, and does nothing
when its work is already done, so a redelivered or duplicated task changes nothing the second
time. Each change writes one CaseEvent. The version column makes
two workers racing on one case conflict (StaleDataError) instead of both writing; the loser's
retry then finds the work done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from workflows.cases import duplicates, medications
from workflows.cases.amendments import VERIFY_QUEUE, hard_stops_removed
from workflows.cases.casework import flag_codes, store_screening_result
from workflows.cases.lifecycle import transition
from workflows.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseStatus, Draft
from workflows.messaging import webhooks
from workflows.messaging.mail import Outbox, messages
from workflows.platform import metrics, tracing
from workflows.platform.database import rows_changed
from workflows.platform.orm import utcnow
from workflows.screening import (
    InvalidIntake,
    RuleSet,
    default_rules,
    screen_document,
    validate_intake,
)
from workflows.screening.normalise import state_key

__all__ = [
    "process",
    "start_screening",
    "screen",
    "route",
    "notify",
    "mark_failed",
    "claim_stuck_cases",
    "purge_abandoned_drafts",
    "PIPELINE_ACTOR",
]

PIPELINE_ACTOR = "system:pipeline"
# Logs carry event names, ids and codes only: never names, dates, contact details or free text.
log = logging.getLogger("workflows.cases.pipeline")
IN_PIPELINE = (CaseStatus.RECEIVED, CaseStatus.SCREENING)


def _case(db: Session, case_id: int, lock: bool = False) -> Case:
    # FOR UPDATE where the database has row locks (PostgreSQL); SQLite ignores it.
    query = select(Case).where(Case.id == case_id)
    case = db.scalars(query.with_for_update() if lock else query).one_or_none()
    if case is None:
        raise LookupError(f"case {case_id} does not exist")
    return case


def _record(db: Session, case: Case, action: str, **detail: object) -> None:
    case.updated_at = utcnow()
    db.add(CaseEvent(case_id=case.id, actor=PIPELINE_ACTOR, action=action, detail=detail))
    # The detail holds codes, queues and field paths only (see each caller); its keys are on
    # the log's allow-list (workflows/platform/logging_setup.py), so each is printed.
    log.info("case.%s", action, extra={"case_id": case.id, **detail})


def process(
    sessions: sessionmaker[Session],
    case_id: int,
    outbox: Outbox,
    send_webhook: Callable[[int], None] | None = None,
) -> str:
    """Every step the case still needs, in one task and one transaction; returns the status.
    The outbox and the webhook deliveries are only written in it; sending (SMTP,
    ``send_webhook``) waits for the commit, so a server that is away never undoes a routing."""

    def advance(db: Session, case: Case) -> str:
        # Each step its own span when tracing is on: where a slow routing spends its time.
        with tracing.span("pipeline.validate", case_id=case.id):
            _start_screening(db, case)
        with tracing.span("pipeline.screen", case_id=case.id):
            _screen(db, case)
        with tracing.span("pipeline.route", case_id=case.id):
            _route(db, case, send_webhook)
            tracing.annotate(decision=case.decision or "none", queue=case.queue or "none")
        with tracing.span("pipeline.notify", case_id=case.id):
            _notify(db, case, outbox)
        return case.status

    status = _locked(sessions, case_id, advance)
    if status in OPEN_STATUSES:
        # After the routing committed, in a transaction of its own (see the function). Every
        # run checks again, so a redelivery after a crash between the two marks the case, an
        # amendment that changed who the patient is finds their other cases, and a pair marked
        # already is not marked twice.
        duplicates.mark_possible_duplicates(sessions, case_id)
    return status


_CONFLICT_RETRIES = 3
_T = TypeVar("_T")


def _locked(
    sessions: sessionmaker[Session], case_id: int, work: Callable[[Session, Case], _T]
) -> _T:
    """`work` in one transaction holding the case's row lock.

    Two deliveries of the same case queue on the lock (PostgreSQL). SQLite has no row locks but
    one writer at a time; there the second delivery's write conflicts on the version column, and
    it runs again at once on the committed case, whose work is done, so it changes nothing.
    """
    for attempt in range(_CONFLICT_RETRIES):
        try:
            with sessions.begin() as db:
                return work(db, _case(db, case_id, lock=True))
        except StaleDataError:
            if attempt + 1 == _CONFLICT_RETRIES:
                raise
    raise AssertionError("unreachable")


def start_screening(sessions: sessionmaker[Session], case_id: int) -> bool:
    """received -> screening, after checking the stored intake against the schema again."""
    with sessions.begin() as db:
        return _start_screening(db, _case(db, case_id))


def _start_screening(db: Session, case: Case) -> bool:
    if case.status != CaseStatus.RECEIVED:
        return False
    case.pipeline_attempts += 1
    try:
        validate_intake(case.intake)
    except InvalidIntake as invalid:
        transition(case, CaseStatus.SCREENING_FAILED)
        case.last_error = "InvalidIntake"
        _record(db, case, "screening_failed", fields=[e.field for e in invalid.errors])
        return True
    transition(case, CaseStatus.SCREENING)
    _record(db, case, "screening_started")
    return True


def screen(sessions: sessionmaker[Session], case_id: int) -> bool:
    """Store the screening result; skipped when this rule set already screened the case."""
    with sessions.begin() as db:
        return _screen(db, _case(db, case_id))


def _screen(db: Session, case: Case) -> bool:
    rules = default_rules()
    if case.status != CaseStatus.SCREENING or case.rule_set_version == rules.version:
        return False
    result = screen_case(db, case, rules)
    flags = flag_codes(case)
    amendment = _pending_amendment(db, case) if case.routed_at else None
    changed = {}
    if amendment is not None and "flags_before" in amendment:
        # The re-screening of a patient's amendment: what it added and removed.
        before = amendment["flags_before"]
        changed = {
            "flags_added": [code for code in flags if code not in before],
            "flags_removed": [code for code in before if code not in flags],
        }
    _record(
        db,
        case,
        "screened",
        decision=result["decision"],
        rule_set_version=rules.version,
        flags=flags,
        **changed,
    )
    return True


def screen_case(
    db: Session,
    case: Case,
    rules: RuleSet,
    recorded: Mapping[str, list[str]] | None = None,
    unidentified_noted: Collection[str] | None = None,
) -> dict[str, Any]:
    """Screen the case's intake with what coordinators recorded about its medications, store
    the result on the case and note the names nobody identified (the pipeline and the
    re-screening of open cases both screen this way). ``recorded``: the case's
    identifications when the caller read them already (the re-screening reads a batch's at once),
    and ``unidentified_noted`` likewise the names already noted as unidentified for it."""
    if recorded is None:
        # Only a case that was routed can have identifications (they are recorded on routed
        # or assigned cases), so a first screening skips the query.
        recorded = medications.identifications_for(db, case.id) if case.routed_at else {}
    result = screen_document(case.intake, rules, identifications=recorded)
    store_screening_result(case, result)
    case.rule_set_version = rules.version
    case.decision = result["decision"]
    medications.record_unidentified(db, case, result, unidentified_noted)
    return result


def route(sessions: sessionmaker[Session], case_id: int) -> bool:
    """screening -> routed: the queue and priority of the screening result go on the case."""
    with sessions.begin() as db:
        return _route(db, _case(db, case_id))


def _route(db: Session, case: Case, send_webhook: Callable[[int], None] | None = None) -> bool:
    if case.status != CaseStatus.SCREENING or case.screening_result is None:
        return False
    case.queue = case.screening_result["route"]["queue"]
    case.priority = case.screening_result["route"]["priority"]
    cleared = _hard_stops_cleared_by_amendment(db, case) if case.routed_at else []
    if cleared:
        case.queue = VERIFY_QUEUE  # a person checks the new answer before any physician sees it
    case.patient_state = licensed_state_of(case.intake)
    case.routed_at = utcnow()
    transition(case, CaseStatus.ROUTED)
    case.last_error = None
    verify = {"verify_hard_stops_cleared": cleared} if cleared else {}
    _record(db, case, "routed", queue=case.queue, priority=case.priority, **verify)
    # Counted before the commit: a rolled-back routing is counted and then routed again. Rare
    # (a version conflict), and the alternative, counting after, loses counts on a crash.
    metrics.record_routed(case.decision, case.queue, case.created_at, case.routed_at)
    # In this transaction: the delivery exists exactly when the routing committed.
    webhooks.record_event(db, case, "case.routed", send_soon=send_webhook)
    return True


def _pending_amendment(db: Session, case: Case) -> dict[str, Any] | None:
    """The detail of the patient's amendment this case was sent back to screening for, or
    None when it has been routed since (or never amended)."""
    last = db.execute(
        select(CaseEvent.action, CaseEvent.detail)
        .where(CaseEvent.case_id == case.id, CaseEvent.action.in_(("amended", "routed")))
        .order_by(CaseEvent.id.desc())
        .limit(1)
    ).first()
    return dict(last.detail) if last is not None and last.action == "amended" else None


def _hard_stops_cleared_by_amendment(db: Session, case: Case) -> list[str]:
    """The hard stops of the screening before the patient's last amendment that this
    screening no longer raises (none when the case was not amended since it was routed)."""
    amendment = _pending_amendment(db, case)
    if amendment is None:
        return []
    return hard_stops_removed(amendment.get("hard_stops_before") or [], case.screening_result)


def licensed_state_of(intake: dict) -> str:
    """The licensed state's code for the typed state of residence, or "OTHER"."""
    typed = (intake.get("patient") or {}).get("state_of_residence") or ""
    return default_rules().licensed_states.get(state_key(typed), "OTHER")


def notify(sessions: sessionmaker[Session], case_id: int, outbox: Outbox) -> bool:
    """Tell the patient the intake was received (once), if they gave an email address."""
    return _locked(sessions, case_id, lambda db, case: _notify(db, case, outbox))


def _notify(db: Session, case: Case, outbox: Outbox) -> bool:
    if case.status != CaseStatus.ROUTED or case.notified_at is not None:
        return False
    address = (case.intake.get("patient", {}).get("email") or "").strip()
    if address:
        outbox.send(db, messages.received(address, case.public_id, case.id, case.language))
    case.notified_at = utcnow()
    _record(db, case, "notified", channel="email" if address else "none")
    return True


def mark_failed(sessions: sessionmaker[Session], case_id: int, error: str) -> bool:
    """The dead letter: a case the pipeline gave up on stays visible to coordinators."""
    with sessions.begin() as db:
        case = db.get(Case, case_id)
        if case is None or case.status not in IN_PIPELINE:
            return False
        transition(case, CaseStatus.SCREENING_FAILED)
        case.last_error = error[:120]
        _record(db, case, "screening_failed", error=case.last_error)
        return True


def claim_stuck_cases(
    sessions: sessionmaker[Session],
    older_than: timedelta,
    received_older_than: timedelta | None = None,
) -> list[int]:
    """Cases left in received or screening too long (a lost message, a dead worker, a broker
    that was down when the case was submitted).

    A case still `received` is claimed after `received_older_than` (short: its first message
    may never have been sent); one in `screening` after `older_than`. Each is stamped as
    re-enqueued now, so a worker that stays down gets one more message per case per interval.
    """
    now = utcnow()
    received_cutoff = now - (received_older_than or older_than)
    screening_cutoff = now - older_than
    stuck = ((Case.status == CaseStatus.RECEIVED) & (Case.updated_at < received_cutoff)) | (
        (Case.status == CaseStatus.SCREENING) & (Case.updated_at < screening_cutoff)
    )
    with sessions() as db:
        candidates = list(db.scalars(select(Case.id).where(stuck).order_by(Case.id)))
    claimed = []
    # One small transaction per case: a worker may be moving some of them right now, and a
    # case it moved (StaleDataError, or no longer matching) is not stuck.
    for case_id in candidates:
        try:
            with sessions.begin() as db:
                case = db.scalars(select(Case).where(Case.id == case_id, stuck)).one_or_none()
                if case is None:
                    continue
                _record(db, case, "requeued", status=case.status)
            claimed.append(case_id)
        except StaleDataError:
            continue
    return claimed


def purge_abandoned_drafts(sessions: sessionmaker[Session], now: datetime | None = None) -> int:
    """Delete drafts never submitted whose resume link has expired."""
    with sessions.begin() as db:
        return rows_changed(
            db, delete(Draft).where(Draft.case_id.is_(None), Draft.expires_at < (now or utcnow()))
        )
