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
from celery import Celery, Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from workflows.cases import pipeline
from workflows.cases.figures import FiguresCache, refresh_figures
from workflows.messaging import delivery, webhooks
from workflows.messaging.mail import outbox_for
from workflows.messaging.models import OutboxMessage
from workflows.messaging.smtp import SmtpServer, send_email
from workflows.platform import metrics
from workflows.platform.celery_app import redis_url_of
from workflows.platform.database import sessions_for
from workflows.platform.enqueue import (
    PIPELINE_TASK,
    delivery_requester,
    enqueue_pipeline,
    webhook_requester,
)
from workflows.platform.logging_setup import bound
from workflows.platform.orm import utcnow
from workflows.platform.settings import Settings
from workflows.platform.tracing import annotate, only_when_sampled

# The senders are in workflows.platform.enqueue: the web imports that, never this module.
__all__ = [
    "process_case",
    "deliver_message",
    "deliver_waiting_mail",
    "requeue_stuck_cases",
    "purge_abandoned_drafts",
    "deliver_webhook",
    "enqueue_due_webhooks",
    "refresh_dashboard_figures",
]

log = logging.getLogger(__name__)

# Faults that pass: a database or broker away for a moment, a lost race, an overloaded machine.
TRANSIENT = (
    OperationalError,
    StaleDataError,
    redis.exceptions.ConnectionError,
    ConnectionError,
    SoftTimeLimitExceeded,
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


@shared_task(bind=True, base=CaseTask, name=PIPELINE_TASK)
def process_case(self: CaseTask, case_id: int) -> str:
    """One message per case: validate, screen, route and notify (see pipeline.process)."""
    settings = _settings(self.app)
    # Every line of the task names the case, a failed enqueue of its mail or webhook too.
    annotate(case_id=case_id)
    with bound(case_id=case_id), only_when_sampled():
        return pipeline.process(
            _sessions(self.app),
            case_id,
            outbox_for(settings, delivery_requester(self.app)),
            webhook_requester(self.app),
        )


# --- mail (workflows/messaging/delivery.py) -------------------------------------------------------------


def _send_claims(app: Celery) -> delivery.SendClaims:
    return delivery.SendClaims.for_url(redis_url_of(_settings(app)))


@shared_task(bind=True, name="workflows.deliver_message", acks_late=True, ignore_result=True)
def deliver_message(self: Task, message_id: int) -> str:
    settings = _settings(self.app)
    if not settings.smtp_url:
        return "no_smtp"
    server = SmtpServer.from_url(settings.smtp_url)

    def send(message: OutboxMessage) -> None:
        send_email(server, settings.mail_from, message.to_address, message.subject, message.body)

    first_wait = timedelta(seconds=settings.mail_retry_seconds)
    outcome = delivery.deliver(
        _sessions(self.app), _send_claims(self.app), send, message_id, first_wait
    )
    metrics.MAIL_DELIVERIES.labels(outcome).inc()  # a fixed word: sent, failed, given_up, ...
    return outcome


@shared_task(bind=True, name="workflows.deliver_waiting_mail", acks_late=True, ignore_result=True)
def deliver_waiting_mail(self: Task) -> int:
    """Beat's sweep: a task per unsent message whose backoff has passed."""
    if not _settings(self.app).smtp_url:
        return 0
    metrics.MAIL_DELIVERIES.labels("given_up").inc(delivery.give_up_expired(_sessions(self.app)))
    due = delivery.due_message_ids(_sessions(self.app))
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
        allow_loopback=settings.is_development,
    )
    outcome = webhooks.deliver(_sessions(self.app), delivery_id, sender)
    if outcome is not None:  # None: nothing was due; a status word otherwise
        metrics.WEBHOOK_DELIVERIES.labels(outcome).inc()


@shared_task(bind=True, name="workflows.enqueue_due_webhooks", acks_late=True)
def enqueue_due_webhooks(self: Task) -> int:
    due = webhooks.due_deliveries(_sessions(self.app))
    send_soon = webhook_requester(self.app)
    for delivery_id in due:
        send_soon(delivery_id)
    return len(due)


@shared_task(bind=True, name="workflows.refresh_dashboard_figures", ignore_result=True)
def refresh_dashboard_figures(self: Task) -> None:
    """Beat, every minute: the dashboard reads these instead of counting a million cases."""
    refresh_figures(
        _sessions(self.app),
        FiguresCache.for_url(redis_url_of(_settings(self.app))),
        utcnow(),
    )
