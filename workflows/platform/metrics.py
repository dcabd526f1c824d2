"""Every Prometheus metric the service exports, defined here and nowhere else (issue 17).

Labels carry codes only: route templates, statuses, decisions, queues, task names, outcomes.
Never a path, an address, a name or free text: a label value is stored by Prometheus for
weeks and shown to anyone with a dashboard (tests/ops/test_labels_carry_no_personal_data.py).

Counters and histograms count events in the process that saw them. Under gunicorn each web
worker is its own process, so PROMETHEUS_MULTIPROC_DIR makes them write to files there that
a scrape of any worker adds up (intake/gunicorn_hooks.py). The worker process (Celery) reports
its counters in the same directory when it shares the instance folder.

The gauges about cases and deliveries are read from the database when /metrics is scraped
(`StateCollector`): each is one aggregate over an indexed column, cheap at 1M cases since they
count the open cases (a partial index) and the unsent messages, not the whole table.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from workflows.platform.metrics_dir import MULTIPROC_ENV

HTTP_REQUESTS = Counter(
    "ldn_http_requests_total",
    "HTTP requests answered, by route template (never the raw path: it may hold a token) and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "ldn_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
INTAKES_SUBMITTED = Counter(
    "ldn_intakes_submitted_total",
    "Intakes stored as new cases, by channel (web, api).",
    ["channel"],
)
CASES_ROUTED = Counter(
    "ldn_cases_routed_total",
    "Cases routed by the pipeline, by decision and queue.",
    ["decision", "queue"],
)
SUBMITTED_TO_ROUTED = Histogram(
    "ldn_pipeline_submitted_to_routed_seconds",
    "From the case's creation to its routing: what the alert on routing p95 watches.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
)
TASKS_RETRIED = Counter("ldn_tasks_retried_total", "Celery task retries, by task name.", ["task"])
TASKS_FAILED = Counter(
    "ldn_tasks_failed_total", "Celery tasks that raised, by task name.", ["task"]
)
TASKS_SUCCEEDED = Counter(
    "ldn_tasks_succeeded_total",
    "Celery tasks that returned, by task name: beat's jobs included, so a silent worker shows.",
    ["task"],
)
UNIDENTIFIED_MEDICATIONS = Counter(
    "ldn_unidentified_medications_total",
    "Medication names screening could not identify, once per case and name. No label: the "
    "names are what patients typed.",
)
SIGN_INS = Counter("ldn_staff_sign_ins_total", "Staff password sign-ins, by outcome.", ["outcome"])
ACCOUNTS_LOCKED = Counter(
    "ldn_staff_accounts_locked_total", "Staff accounts locked after too many failed sign-ins."
)


def record_routed(
    decision: str | None, queue: str | None, created_at: datetime, routed_at: datetime
) -> None:
    CASES_ROUTED.labels(decision or "none", queue or "none").inc()
    SUBMITTED_TO_ROUTED.observe(max(0.0, (routed_at - created_at).total_seconds()))


class StateCollector(Collector):
    """Gauges computed at scrape time from the database (see the module's docstring)."""

    def __init__(self, sessions: sessionmaker[Session], now: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.now = now

    def collect(self) -> Iterator[Any]:
        from workflows.cases.casework import SERVICE_TARGETS
        from workflows.cases.models import IS_OPEN, WAITING_SINCE, Case, CaseStatus
        from workflows.messaging.models import OutboxMessage, WebhookDelivery

        now = self.now()
        open_cases = GaugeMetricFamily(
            "ldn_open_cases", "Cases waiting for a person, per queue.", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            "ldn_oldest_open_case_age_seconds",
            "How long the longest-waiting open case has waited, per queue.",
            labels=["queue"],
        )
        past = GaugeMetricFamily(
            "ldn_cases_past_target",
            "Open cases waiting longer than their queue's service target.",
            labels=["queue"],
        )
        failed = GaugeMetricFamily(
            "ldn_cases_screening_failed", "Cases the pipeline could not screen."
        )
        mail = GaugeMetricFamily("ldn_mail_pending", "Mail not sent yet and not given up on.")
        mail_oldest = GaugeMetricFamily(
            "ldn_mail_oldest_pending_age_seconds", "Age of the oldest unsent mail."
        )
        mail_given_up = GaugeMetricFamily(
            "ldn_mail_given_up", "Mail given up on after its retries."
        )
        hooks = GaugeMetricFamily(
            "ldn_webhook_deliveries", "Webhook deliveries by status.", labels=["status"]
        )
        hooks_oldest = GaugeMetricFamily(
            "ldn_webhook_oldest_pending_age_seconds",
            "Age of the oldest undelivered webhook delivery.",
        )
        with self.sessions() as db:
            for queue, count, since in db.execute(
                select(Case.queue, func.count(), func.min(WAITING_SINCE))
                .where(IS_OPEN)
                .group_by(Case.queue)
            ):
                label = queue or "none"
                open_cases.add_metric([label], count)
                oldest.add_metric([label], (now - since).total_seconds() if since else 0)
            for queue, target in SERVICE_TARGETS.items():
                late = db.scalar(
                    select(func.count()).where(
                        IS_OPEN, Case.queue == queue, WAITING_SINCE < now - target
                    )
                )
                past.add_metric([queue], late or 0)
            failed.add_metric(
                [],
                db.scalar(select(func.count()).where(Case.status == CaseStatus.SCREENING_FAILED))
                or 0,
            )
            unsent = (OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_(None))
            count, first = db.execute(
                select(func.count(), func.min(OutboxMessage.created_at)).where(*unsent)
            ).one()
            mail.add_metric([], count)
            mail_oldest.add_metric([], (now - first).total_seconds() if first else 0)
            mail_given_up.add_metric(
                [],
                db.scalar(select(func.count()).where(OutboxMessage.given_up_at.is_not(None))) or 0,
            )
            for status, n in db.execute(
                select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
            ):
                hooks.add_metric([status], n)
            first_hook = db.scalar(
                select(func.min(WebhookDelivery.created_at)).where(
                    WebhookDelivery.delivered_at.is_(None), WebhookDelivery.status != "failed"
                )
            )
            hooks_oldest.add_metric([], (now - first_hook).total_seconds() if first_hook else 0)
        yield from (
            open_cases,
            oldest,
            past,
            failed,
            mail,
            mail_oldest,
            mail_given_up,
            hooks,
            hooks_oldest,
        )


class _FilesCollector(Collector):
    """The counters of every process that wrote into the metrics folder: the web workers
    (web/) and the Celery worker's processes (worker/), merged into one family per name, so
    one scrape of the web answers for the whole service on this machine."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def collect(self) -> Iterator[Any]:
        files = sorted(str(path) for path in self.root.glob("*/*.db"))
        return iter(MultiProcessCollector.merge(files, accumulate=True))


def exposition(state: Collector | None) -> bytes:
    """The text of one scrape: this process's counters (or, in production, every process's,
    from the multiprocess files), then the gauges read from the database."""
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        registry = CollectorRegistry()
        registry.register(_FilesCollector(Path(folder).parent))
        text = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        text = generate_latest(REGISTRY)
    if state is not None:
        own = CollectorRegistry()
        own.register(state)
        text += generate_latest(own)
    return text


def connect_task_signals() -> None:
    """Count every task's outcome by its name (a code: workflows.route_case), in whichever
    process runs it. Connected once per process (dispatch_uid), from make_celery, so the worker,
    beat's jobs run by it and the tests' in-process worker all count."""
    from celery.signals import task_failure, task_retry, task_success

    def _name(sender: Any, request: Any = None) -> str:
        name = getattr(sender, "name", None) or getattr(
            getattr(request, "task", None), "name", None
        )
        return str(name or "unknown")

    def retried(sender: Any = None, request: Any = None, **_: Any) -> None:
        TASKS_RETRIED.labels(_name(sender, request)).inc()

    def failed(sender: Any = None, **_: Any) -> None:
        TASKS_FAILED.labels(_name(sender)).inc()

    def succeeded(sender: Any = None, **_: Any) -> None:
        TASKS_SUCCEEDED.labels(_name(sender)).inc()

    task_retry.connect(retried, weak=False, dispatch_uid="ldn-metrics-retry")
    task_failure.connect(failed, weak=False, dispatch_uid="ldn-metrics-failure")
    task_success.connect(succeeded, weak=False, dispatch_uid="ldn-metrics-success")
