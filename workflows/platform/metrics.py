"""Every Prometheus metric the service exports, defined here and nowhere else (issue 17).

Labels carry codes only: route templates, statuses, decisions, queues, task names, outcomes.
Never a path, an address, a name or free text: a label value is stored by Prometheus for
weeks and shown to anyone with a dashboard (tests/ops/test_labels_carry_no_personal_data.py).

Counters and histograms count events in the process that saw them. Under gunicorn each web
worker is its own process, so PROMETHEUS_MULTIPROC_DIR makes them write to files there that
a scrape of any worker adds up (intake/gunicorn_hooks.py). The worker process (Celery) reports
its counters in the same directory when it shares the instance folder.

The gauges about cases and deliveries are read from the database when /metrics is scraped
(workflows/cases/scrape_figures.py): each is one aggregate over an indexed column, cheap at 1M cases since they
count the open cases (a partial index) and the unsent messages, not the whole table.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

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
MAIL_DELIVERIES = Counter(
    "ldn_mail_deliveries_total",
    "SMTP delivery attempts by outcome (sent, failed, given_up, busy, nothing_to_send).",
    ["outcome"],
)
WEBHOOK_DELIVERIES = Counter(
    "ldn_webhook_deliveries_total",
    "Webhook delivery attempts by the delivery's new status (delivered, failed, abandoned).",
    ["outcome"],
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
