"""Celery tasks: each takes a case id only, re-reads the case and delegates to the pipeline.

No personal data travels in arguments or results. Transient faults (database, broker) are
retried with backoff; a task that still fails, or fails for any other reason, moves the case
to `screening_failed`, where coordinators see it, instead of losing it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import redis.exceptions
from celery import Celery, Task, chain, shared_task
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from workflows import pipeline, webhooks
from workflows.database import sessions_for
from workflows.mail import outbox_for
from workflows.settings import Settings

__all__ = ["enqueue_pipeline", "enqueue_case_webhooks", "PIPELINE_TASKS"]

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
    if pipeline.route(_sessions(self.app), case_id):
        enqueue_case_webhooks(self.app, case_id)  # after the routing committed
    return case_id


@shared_task(bind=True, base=CaseTask, name="workflows.notify_case")
def notify_case(self: CaseTask, case_id: int) -> int:
    settings = _settings(self.app)
    pipeline.notify(_sessions(self.app), case_id, outbox_for(settings))
    return case_id


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


@shared_task(bind=True, name="workflows.deliver_webhook", acks_late=True, ignore_result=True)
def deliver_webhook(self: Task, delivery_id: int) -> None:
    """Send one webhook delivery if it is due; a delivered or abandoned one is left alone.
    Failures are not retried here: the delivery row holds its next attempt, and beat sends it
    then (a Redis broker would hand long countdowns back after the visibility timeout)."""
    settings = _settings(self.app)
    sender = webhooks.HttpsSender(
        ca_bundle=settings.webhook_ca_bundle,
        timeout=settings.webhook_timeout_seconds,
        allow_local_http=settings.webhook_allow_local_http,
    )
    webhooks.deliver(_sessions(self.app), delivery_id, sender)


@shared_task(bind=True, name="workflows.enqueue_due_webhooks", acks_late=True)
def enqueue_due_webhooks(self: Task) -> int:
    due = webhooks.due_deliveries(_sessions(self.app))
    for delivery_id in due:
        self.app.signature("workflows.deliver_webhook", args=[delivery_id]).apply_async()
    return len(due)


def enqueue_case_webhooks(app: Celery, case_id: int) -> None:
    """Send the case's new deliveries now, after the transaction that recorded them committed;
    if the broker is down, beat sends them once it is back."""
    for delivery_id in webhooks.pending_for_case(
        sessions_for(_settings(app).database_url), case_id
    ):
        app.signature("workflows.deliver_webhook", args=[delivery_id]).apply_async()
