"""The gauges of /metrics read from the database at each scrape (workflows/platform/metrics.py
holds the rest). Each is one aggregate over an indexed column: the open cases (partial index
ix_intake_case_open_queue_waiting, read alone: a few per cent of the table after years) and
the unsent mail (its partial index), so a scrape stays cheap at 1M cases, and the figures are never a minute
stale as beat's dashboard figures (workflows/cases/figures.py) may be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from workflows.cases.casework import SERVICE_TARGETS
from workflows.cases.models import IS_OPEN, WAITING_SINCE, Case, CaseStatus
from workflows.messaging.delivery import WAITING_SMTP_MAIL
from workflows.messaging.models import OutboxMessage, WebhookDelivery
from workflows.messaging.webhooks import DeliveryStatus

__all__ = ["StateCollector"]


class StateCollector(Collector):
    """Gauges computed at scrape time from the database (see the module's docstring)."""

    def __init__(self, sessions: sessionmaker[Session], now: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.now = now

    def collect(self) -> Iterator[Any]:
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
        hooks = GaugeMetricFamily(
            "ldn_webhook_deliveries_waiting",
            "Webhook deliveries waiting to be sent, by status (pending, failed).",
            labels=["status"],
        )
        hooks_oldest = GaugeMetricFamily(
            "ldn_webhook_oldest_pending_age_seconds",
            "Age of the oldest undelivered webhook delivery.",
        )
        first_hook: datetime | None = None
        # Each queue's target as a value of the row's queue (NULL for a queue without one), so
        # that one read of the open cases' index (ix_intake_case_open_queue_waiting, the index
        # alone) gives the counts, the longest waits and the late ones: one query, not one
        # per target, each fetching every open row of its queue from the table.
        cutoff = sql_case(
            {queue: now - target for queue, target in SERVICE_TARGETS.items()}, value=Case.queue
        )
        late_by_queue = dict.fromkeys(SERVICE_TARGETS, 0)
        with self.sessions() as db:
            for queue, count, since, late in db.execute(
                select(
                    Case.queue,
                    func.count(),
                    func.min(WAITING_SINCE),
                    func.count().filter(WAITING_SINCE < cutoff),
                )
                .where(IS_OPEN)
                .group_by(Case.queue)
            ):
                label = queue or "none"
                open_cases.add_metric([label], count)
                oldest.add_metric([label], (now - since).total_seconds() if since else 0)
                if queue in late_by_queue:
                    late_by_queue[queue] = late
            for queue, late in late_by_queue.items():
                past.add_metric([queue], late)
            failed.add_metric(
                [],
                db.scalar(select(func.count()).where(Case.status == CaseStatus.SCREENING_FAILED))
                or 0,
            )
            # SMTP mail only: with the database outbox (no SMTP_URL) nothing is ever sent.
            count, first = db.execute(
                select(func.count(), func.min(OutboxMessage.created_at)).where(*WAITING_SMTP_MAIL)
            ).one()
            mail.add_metric([], count)
            mail_oldest.add_metric([], (now - first).total_seconds() if first else 0)
            # The due ones only (index ix_webhook_delivery_status_next): never a count of the
            # millions delivered.
            for status, n, since in db.execute(
                select(WebhookDelivery.status, func.count(), func.min(WebhookDelivery.created_at))
                .where(WebhookDelivery.status.in_(DeliveryStatus.DUE))
                .group_by(WebhookDelivery.status)
            ):
                hooks.add_metric([status], n)
                first_hook = since if first_hook is None else min(first_hook, since)
            hooks_oldest.add_metric([], (now - first_hook).total_seconds() if first_hook else 0)
        yield from (
            open_cases,
            oldest,
            past,
            failed,
            mail,
            mail_oldest,
            hooks,
            hooks_oldest,
        )
