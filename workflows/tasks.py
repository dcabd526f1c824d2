"""Celery tasks: each takes a case id only, re-reads the case and delegates to the pipeline.

No personal data travels in arguments or results. Transient faults (database, broker) are
retried with backoff; a task that still fails, or fails for any other reason, moves the case
to `screening_failed`, where coordinators see it, instead of losing it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import redis.exceptions
from celery import Celery, Task, chain, shared_task
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from workflows import delivery, pipeline
from workflows.celery_app import redis_url_of
from workflows.database import sessions_for
from workflows.mail import outbox_for
from workflows.models import OutboxMessage
from workflows.settings import Settings
from workflows.smtp import SmtpServer, send_email

__all__ = ["enqueue_pipeline", "PIPELINE_TASKS", "delivery_requester"]

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, StaleDataError, redis.exceptions.ConnectionError, ConnectionError)
PIPELINE_TASKS = (
    "workflows.validate_case",
    "workflows.screen_case",
    "workflows.route_case",
    "workflows.notify_case",
)


class CaseTask(Task):
    """Retry transient faults; when retries run out, park the case in screening_failed."""

    autoretry_for = TRANSIENT
    retry_backoff = 2
    retry_backoff_max = 120
    retry_jitter = True
    max_retries = 6
    acks_late = True

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        case_id = args[0] if args else kwargs.get("case_id")
        if isinstance(case_id, int):
            pipeline.mark_failed(_sessions(self.app), case_id, type(exc).__name__)
        log.error(
            "task.failed",
            extra={"task": self.name, "case_id": case_id, "error": type(exc).__name__},
        )


def _settings(app: Celery) -> Settings:
    return app.conf.ldn_settings


def _sessions(app: Celery) -> sessionmaker[Session]:
    return sessions_for(_settings(app).database_url)


@shared_task(bind=True, base=CaseTask, name="workflows.validate_case")
def validate_case(self: CaseTask, case_id: int) -> int:
    pipeline.start_screening(_sessions(self.app), case_id)
    return case_id


@shared_task(bind=True, base=CaseTask, name="workflows.screen_case")
def screen_case(self: CaseTask, case_id: int) -> int:
    pipeline.screen(_sessions(self.app), case_id)
    return case_id


@shared_task(bind=True, base=CaseTask, name="workflows.route_case")
def route_case(self: CaseTask, case_id: int) -> int:
    pipeline.route(_sessions(self.app), case_id)
    return case_id


@shared_task(bind=True, base=CaseTask, name="workflows.notify_case")
def notify_case(self: CaseTask, case_id: int) -> int:
    settings = _settings(self.app)
    pipeline.notify(
        _sessions(self.app), case_id, outbox_for(settings, delivery_requester(self.app))
    )
    return case_id


# --- mail (workflows/delivery.py) -------------------------------------------------------------


def delivery_requester(app: Celery) -> Callable[[int], None]:
    """What an outbox calls after its transaction commits: a task to send that message. With
    the broker down the message waits in the outbox, and beat's sweep sends it later."""

    def deliver_soon(message_id: int) -> None:
        try:
            app.send_task("workflows.deliver_message", args=[message_id])
        except Exception as error:  # noqa: BLE001 - any broker fault: the sweep covers it
            log.warning(
                "mail.enqueue_failed",
                extra={"message_id": message_id, "error": type(error).__name__},
            )

    return deliver_soon


def _retry_book(app: Celery) -> delivery.RetryBook:
    settings = _settings(app)
    return delivery.RetryBook.for_url(
        redis_url_of(settings), timedelta(seconds=settings.mail_retry_seconds)
    )


@shared_task(bind=True, name="workflows.deliver_message", acks_late=True, ignore_result=True)
def deliver_message(self: Task, message_id: int) -> str:
    settings = _settings(self.app)
    if not settings.smtp_url:
        return "no_smtp"
    server = SmtpServer.from_url(settings.smtp_url)

    def send(message: OutboxMessage) -> None:
        send_email(server, settings.mail_from, message.to_address, message.subject, message.body)

    return delivery.deliver(_sessions(self.app), _retry_book(self.app), send, message_id)


@shared_task(bind=True, name="workflows.deliver_waiting_mail", acks_late=True, ignore_result=True)
def deliver_waiting_mail(self: Task) -> int:
    """Beat's sweep: a task per unsent message whose backoff has passed."""
    if not _settings(self.app).smtp_url:
        return 0
    due = delivery.due_message_ids(_sessions(self.app), _retry_book(self.app))
    for message_id in due:
        self.app.send_task("workflows.deliver_message", args=[message_id])
    return len(due)


@shared_task(bind=True, name="workflows.requeue_stuck_cases", acks_late=True)
def requeue_stuck_cases(self: Task) -> int:
    settings = _settings(self.app)
    stuck = pipeline.claim_stuck_cases(
        _sessions(self.app),
        timedelta(seconds=settings.stuck_after_seconds),
        timedelta(seconds=settings.received_stuck_after_seconds),
    )
    for case_id in stuck:
        enqueue_pipeline(self.app, case_id)
    return len(stuck)


@shared_task(bind=True, name="workflows.purge_abandoned_drafts", acks_late=True)
def purge_abandoned_drafts(self: Task) -> int:
    return pipeline.purge_abandoned_drafts(_sessions(self.app))


def enqueue_pipeline(app: Celery, case_id: int, start: str = PIPELINE_TASKS[0]) -> None:
    """validate -> screen -> route -> notify for one case id (from `start`), as immutable
    signatures: an amended case re-enters at screen."""
    names = PIPELINE_TASKS[PIPELINE_TASKS.index(start) :]
    chain(*(app.signature(name, args=[case_id], immutable=True) for name in names)).apply_async()
