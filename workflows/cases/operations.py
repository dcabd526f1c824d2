"""The admins' operations page (/staff/admin/operations): queues, stuck and failed cases, the
mail and webhook backlogs, the rule set in force and recent errors, as aggregates.

Every query reads open or unsent rows only, through an index (the open cases' queue index,
read alone; the status/updated_at index; the outbox's partial indexes of unsent and of given-up
messages; the deliveries' status index) and lists at most LIST_LIMIT rows, so the page stays fast at a million cases:
the closed cases and the sent messages, which grow without end, are never scanned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from workflows.cases.models import IS_OPEN, WAITING_SINCE, Case, CaseStatus
from workflows.messaging.delivery import WAITING_SMTP_MAIL
from workflows.messaging.models import OutboxMessage, WebhookDelivery
from workflows.messaging.webhooks import DeliveryStatus
from workflows.platform.orm import utcnow
from workflows.staff import audit
from workflows.staff.accounts import acting_staff

__all__ = [
    "LIST_LIMIT",
    "Backlog",
    "OperationsFigures",
    "ProblemCase",
    "QueueDepth",
    "compute_operations",
    "view_operations",
]

LIST_LIMIT = 50


@dataclass(frozen=True)
class QueueDepth:
    queue: str
    open_cases: int
    oldest_waiting_since: datetime | None


@dataclass(frozen=True)
class ProblemCase:
    case_id: int
    public_id: str
    status: str
    since: datetime
    last_error: str | None
    version: int


@dataclass(frozen=True)
class Backlog:
    waiting: int  # unsent / still due
    given_up: int
    oldest_waiting: datetime | None  # created_at of the oldest still waiting
    next_attempt_at: datetime | None
    most_attempts: int
    errors: list[tuple[str, int]]  # last_error class -> rows still waiting


@dataclass(frozen=True)
class OperationsFigures:
    computed_at: datetime
    queues: list[QueueDepth]
    stuck: list[ProblemCase]
    failed: list[ProblemCase]
    failed_total: int
    case_errors: list[tuple[str, int]]
    mail: Backlog
    webhooks: Backlog
    rule_set_version: str


def _problem(row: tuple[int, str, str, datetime, str | None, int]) -> ProblemCase:
    return ProblemCase(*row)


def compute_operations(
    db: Session,
    rule_set_version: str,
    stuck_after: timedelta,
    received_stuck_after: timedelta,
    now: datetime | None = None,
) -> OperationsFigures:
    """The figures, by aggregate queries only (see the module's docstring)."""
    now = now or utcnow()
    queues = [
        QueueDepth(queue or "none", count, oldest)
        for queue, count, oldest in db.execute(
            select(Case.queue, func.count(), func.min(WAITING_SINCE))
            .where(IS_OPEN)
            .group_by(Case.queue)
            .order_by(Case.queue)
        )
    ]
    # The same test as pipeline.claim_stuck_cases, so the page shows what the sweep will claim.
    columns = (Case.id, Case.public_id, Case.status, Case.updated_at, Case.last_error, Case.version)
    stuck = [
        _problem(row)
        for status, cutoff in (
            (CaseStatus.RECEIVED, now - received_stuck_after),
            (CaseStatus.SCREENING, now - stuck_after),
        )
        for row in db.execute(
            select(*columns)
            .where(Case.status == status, Case.updated_at < cutoff)
            .order_by(Case.updated_at)
            .limit(LIST_LIMIT)
        )
    ]
    failed_where = Case.status == CaseStatus.SCREENING_FAILED
    failed = [
        _problem(row)
        for row in db.execute(
            select(*columns).where(failed_where).order_by(Case.updated_at).limit(LIST_LIMIT)
        )
    ]
    failed_total = db.scalar(select(func.count()).where(failed_where)) or 0
    # Errors of the cases still in trouble (failed or in the pipeline): closed cases keep no
    # error worth grouping, and would make this a scan of every case.
    case_errors = [
        (error or "", count)
        for error, count in db.execute(
            select(Case.last_error, func.count())
            .where(
                Case.status.in_(
                    [CaseStatus.SCREENING_FAILED, CaseStatus.RECEIVED, CaseStatus.SCREENING]
                ),
                Case.last_error.is_not(None),
            )
            .group_by(Case.last_error)
            .order_by(func.count().desc())
            .limit(LIST_LIMIT)
        )
    ]
    return OperationsFigures(
        computed_at=now,
        queues=queues,
        stuck=sorted(stuck, key=lambda problem: problem.since)[:LIST_LIMIT],
        failed=failed,
        failed_total=failed_total,
        case_errors=case_errors,
        mail=_mail_backlog(db),
        webhooks=_webhook_backlog(db),
        rule_set_version=rule_set_version,
    )


def _mail_backlog(db: Session) -> Backlog:
    # SMTP mail only, as /metrics counts it: the database outbox (no SMTP_URL) never sends, so
    # every message it ever kept would count as unsent, a backlog that only grows (and a read
    # of a million rows at a million cases).
    unsent = WAITING_SMTP_MAIL
    waiting, oldest, next_at, attempts = db.execute(
        select(
            func.count(),
            func.min(OutboxMessage.created_at),
            func.min(OutboxMessage.next_attempt_at),
            func.max(OutboxMessage.attempts),
        ).where(*unsent)
    ).one()
    given_up = db.scalar(select(func.count()).where(OutboxMessage.given_up_at.is_not(None))) or 0
    errors = db.execute(
        select(OutboxMessage.last_error, func.count())
        .where(*unsent, OutboxMessage.last_error.is_not(None))
        .group_by(OutboxMessage.last_error)
        .order_by(func.count().desc())
        .limit(LIST_LIMIT)
    ).all()
    return Backlog(
        waiting, given_up, oldest, next_at, attempts or 0, [(e or "", n) for e, n in errors]
    )


def _webhook_backlog(db: Session) -> Backlog:
    due = WebhookDelivery.status.in_(DeliveryStatus.DUE)
    waiting, oldest, next_at, attempts = db.execute(
        select(
            func.count(),
            func.min(WebhookDelivery.created_at),
            func.min(WebhookDelivery.next_attempt_at),
            func.max(WebhookDelivery.attempts),
        ).where(due)
    ).one()
    given_up = (
        db.scalar(select(func.count()).where(WebhookDelivery.status == DeliveryStatus.ABANDONED))
        or 0
    )
    errors = db.execute(
        select(WebhookDelivery.last_error, func.count())
        .where(due, WebhookDelivery.last_error.is_not(None))
        .group_by(WebhookDelivery.last_error)
        .order_by(func.count().desc())
        .limit(LIST_LIMIT)
    ).all()
    return Backlog(
        waiting, given_up, oldest, next_at, attempts or 0, [(e or "", n) for e, n in errors]
    )


def view_operations(
    sessions: sessionmaker[Session],
    staff_id: int,
    rule_set_version: str,
    stuck_after: timedelta,
    received_stuck_after: timedelta,
) -> OperationsFigures:
    """The figures, audited as viewed. Raises StaffNotFound."""
    with sessions() as db:
        figures = compute_operations(db, rule_set_version, stuck_after, received_stuck_after)
        audit.record(db, acting_staff(db, staff_id), "operations_viewed")
        db.commit()
    return figures
