"""Sending work to the Celery workers, by task name and with ids only.

The web process sends but never runs tasks, so it imports this module and not
workflows.cases.tasks, which would load the pipeline and the screening engine (rapidfuzz, the rule
data) into every gunicorn worker for nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import Celery

__all__ = ["PIPELINE_TASK", "delivery_requester", "enqueue_pipeline", "webhook_requester"]

log = logging.getLogger(__name__)

PIPELINE_TASK = "workflows.process_case"


def enqueue_pipeline(app: Celery, case_id: int) -> None:
    """Send the case through the pipeline: it picks up wherever the case stands (a new case is
    validated first, an amended one is screened again)."""
    # No result is kept: without ignore_result, sending would also subscribe to the result
    # backend, and wait on it for as long as Redis is down.
    app.send_task(PIPELINE_TASK, args=[case_id], ignore_result=True)


def delivery_requester(app: Celery) -> Callable[[int], None]:
    """What an outbox calls after its transaction commits: a task to send that message. With
    the broker down the message waits in the outbox, and beat's sweep sends it later."""
    return _sender(app, "workflows.deliver_message", "mail.enqueue_failed", "message_id")


def webhook_requester(app: Celery) -> Callable[[int], None]:
    """What a committed transaction calls for each webhook delivery it recorded: a task to send
    it. With the broker down the delivery waits, due, and beat sends it once it is back."""
    return _sender(app, "workflows.deliver_webhook", "webhooks.enqueue_failed", "delivery_id")


def _sender(app: Celery, task: str, failure_event: str, id_name: str) -> Callable[[int], None]:
    """`send(row_id)`: the task for that row, by name and without a result subscription; a
    broker fault is logged (the row id only) and left to beat, never raised to the caller,
    whose transaction has already committed."""

    def send(row_id: int) -> None:
        try:
            app.send_task(task, args=[row_id], ignore_result=True)
        except Exception as error:  # noqa: BLE001 - any broker fault: beat covers it
            log.warning(failure_event, extra={id_name: row_id, "error": type(error).__name__})

    return send
