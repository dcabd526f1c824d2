"""What the web app needs from the back office, built once per app from its settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from celery import Celery
from flask import current_app

from workflows.messaging.mail import Outbox, outbox_for
from workflows.platform.celery_app import make_celery, redis_url_of
from workflows.platform.database import sessions_for
from workflows.platform.enqueue import delivery_requester, enqueue_pipeline, webhook_requester
from workflows.platform.secret_box import SecretBox
from workflows.platform.settings import Settings
from workflows.platform.tracing import annotate
from workflows.staff.two_factor import totp_secret_box

if TYPE_CHECKING:
    # Only the type of the session factory: views hand it on to workflows, never open it.
    from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Services", "services"]

log = logging.getLogger("intake.services")


@dataclass
class Services:
    settings: Settings
    sessions: sessionmaker[Session]
    celery: Celery
    outbox: Outbox
    redis_url: str
    today: Callable[[], date]
    # Seals staff TOTP secrets with a key derived from SECRET_KEY (nothing else to configure).
    totp_secrets: SecretBox
    # Asks a worker to send one webhook delivery; called after the commit that recorded it.
    send_webhook: Callable[[int], None]

    @classmethod
    def build(cls, settings: Settings, today: Callable[[], date] | None = None) -> Services:
        celery = make_celery(settings)
        return cls(
            settings=settings,
            sessions=sessions_for(settings.database_url),
            celery=celery,
            outbox=outbox_for(settings, delivery_requester(celery)),
            redis_url=redis_url_of(settings),
            today=today or date.today,
            totp_secrets=totp_secret_box(settings.secret_key),
            send_webhook=webhook_requester(celery),
        )

    @property
    def draft_lifetime(self) -> timedelta:
        return timedelta(days=self.settings.draft_days)

    def enqueue(self, case_id: int) -> None:
        """Send the pipeline; if the broker is down the case is already safe in the database,
        and the sweeper re-enqueues it within a minute of the broker's return."""
        # The request's span names the case, so its trace is found from the case's id.
        annotate(case_id=case_id)
        try:
            enqueue_pipeline(self.celery, case_id)
        except Exception as error:  # noqa: BLE001 - any broker fault: the sweeper covers it
            log.warning(
                "case.enqueue_failed", extra={"case_id": case_id, "error": type(error).__name__}
            )


def services() -> Services:
    return current_app.extensions["ldn"]
