"""A canary patient goes through the whole service; their personal data must appear in no log
line and no message the broker carried (Redis MONITOR sees every command).

The log lines are checked twice: as the processes print them (this service's handler, JSON and
text), and as raw records, which an error reporter or another handler would see whole."""

from __future__ import annotations

import io
import logging
import threading
from typing import Any

import redis

from tests.canary import CANARY_MEDICATION, CANARY_PATIENT
from tests.conftest import wait_until
from tests.web.intake_client import HISTORY_ALL_NO, post_step
from workflows.cases.models import Case
from workflows.platform.logging_setup import LOG_FORMATS, handler_for

CANARY = CANARY_PATIENT
MEDICATION = CANARY_MEDICATION
SECRETS = [
    CANARY["first_name"],
    CANARY["last_name"],
    CANARY["date_of_birth"],
    CANARY["email"],
    "Zorbulax",
    # The phone number as typed and as digits only; not a short part of it, which a random
    # task or request id (hex) contains now and then.
    CANARY["phone"],
    CANARY["phone"].replace("-", ""),
]


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {text} {record.__dict__}")


def redis_client(url: str) -> redis.Redis:
    if url.startswith("redis+socket://"):
        return redis.Redis(unix_socket_path=url.removeprefix("redis+socket://"))
    return redis.Redis.from_url(url)


def test_a_canary_patient_leaves_no_trace_in_logs_or_broker_messages(
    app: Any, client: Any, worker: Any, redis_url: str
) -> None:
    capture = Capture()
    printed = {log_format: io.StringIO() for log_format in LOG_FORMATS}
    printers = [handler_for(log_format, stream) for log_format, stream in printed.items()]
    root = logging.getLogger()
    previous_level = root.level
    for handler in [capture, *printers]:
        root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    monitored: list[str] = []
    monitor_client = redis_client(redis_url)
    stop = threading.Event()

    def watch() -> None:
        with monitor_client.monitor() as monitor:
            for command in monitor.listen():
                monitored.append(str(command))
                if stop.is_set():
                    return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        assert post_step(client, "about", CANARY).status_code == 302
        assert post_step(client, "diagnoses", {"rows-0-name": "Crohn's disease"}).status_code == 302
        assert (
            post_step(
                client, "medications", {"rows-0-name": MEDICATION, "rows-0-status": "current"}
            ).status_code
            == 302
        )
        assert post_step(client, "history", HISTORY_ALL_NO).status_code == 302
        assert (
            post_step(client, "goals", {"goal_fatigue": "y", "severity_fatigue": "6"}).status_code
            == 302
        )
        assert post_step(client, "ketosis", {"interested": "no"}).status_code == 302
        consent = {
            "consent_accurate": "y",
            "consent_review": "y",
            "consent_contact": "y",
            "signature": "Quintessa Marblethorpe",
        }
        assert post_step(client, "review", consent).status_code == 302

        def routed() -> bool:
            with app.extensions["ldn"].sessions() as db:
                case = db.query(Case).one()
                return case.notified_at is not None

        wait_until(routed)
        assert any("workflows.process_case" in line for line in monitored), (
            "the monitor saw the broker traffic"
        )
    finally:
        stop.set()
        redis_client(redis_url).ping()  # wakes the monitor so it can stop
        watcher.join(timeout=5)
        for handler in [capture, *printers]:
            root.removeHandler(handler)
        root.setLevel(previous_level)

    assert capture.lines, "logs were captured"
    for log_format, stream in printed.items():
        assert "case.screened" in stream.getvalue(), f"the {log_format} lines were printed"
    for secret in SECRETS:
        for log_format, stream in printed.items():
            assert secret not in stream.getvalue(), f"{secret!r} is in a printed {log_format} line"
        assert not [line for line in capture.lines if secret in line], (
            f"{secret!r} is in a log record"
        )
        assert not [line for line in monitored if secret in line], (
            f"{secret!r} went through the broker"
        )
