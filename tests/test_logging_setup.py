"""Log lines as the processes print them (workflows/platform/logging_setup.py): each names its event and
the case, task and request it belongs to, and a key that is not on the allow-list never
reaches the output."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import build_app, wait_until
from workflows.cases.models import Case
from workflows.platform.logging_setup import handler_for


class RenderedLogs:
    """What a process would print: the root logger's records through this set-up's handler."""

    def __init__(self, log_format: str = "json") -> None:
        self.stream = io.StringIO()
        self.handler = handler_for(log_format, self.stream)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines()]

    def events(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["event"] == event]


@pytest.fixture
def rendered_logs() -> Iterator[RenderedLogs]:
    logs = RenderedLogs()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(logs.handler)
    root.setLevel(logging.INFO)
    yield logs
    root.removeHandler(logs.handler)
    root.setLevel(previous_level)


def case_id_of(app: Any, public_id: str) -> int:
    with app.extensions["ldn"].sessions() as db:
        return db.scalars(select(Case.id).where(Case.public_id == public_id)).one()


def test_a_submitted_and_screened_case_is_logged_with_its_case_task_and_request_ids(
    app: Any, client: Any, worker: Any, rendered_logs: RenderedLogs, base_intake: dict[str, Any]
) -> None:
    response = client.post("/api/v1/intakes", json=base_intake)
    assert response.status_code == 202
    case_id = case_id_of(app, response.get_json()["id"])

    wait_until(lambda: rendered_logs.events("case.notified"))

    [received] = rendered_logs.events("case.received")
    assert received["case_id"] == case_id
    assert received["request_id"] == response.headers["X-Request-ID"]
    assert received["logger"] == "workflows.cases.submission" and received["level"] == "info"
    [screened] = rendered_logs.events("case.screened")
    assert screened["case_id"] == case_id
    assert screened["task_id"]  # the worker's task, which the request knows nothing of
    assert screened["request_id"] is None
    assert screened["decision"] and isinstance(screened["flags"], list)
    [routed] = rendered_logs.events("case.routed")
    assert routed["task_id"] == screened["task_id"] and routed["queue"]


def test_every_request_gets_an_id_in_its_response_header(client: Any) -> None:
    first = client.get("/intake/start").headers["X-Request-ID"]
    second = client.get("/no-such-page").headers["X-Request-ID"]
    assert first and second and first != second


def test_a_callers_sane_request_id_is_kept(client: Any, rendered_logs: RenderedLogs) -> None:
    response = client.get("/intake/start", headers={"X-Request-ID": "lb-7f3a-0001"})
    assert response.headers["X-Request-ID"] == "lb-7f3a-0001"


@pytest.mark.parametrize(
    "header",
    ["has space", "x" * 65, "<script>", "quintessa@example.org", "añil", ""],
    ids=["space", "too-long", "markup", "address", "non-ascii", "empty"],
)
def test_a_strange_request_id_is_replaced_with_a_new_one(client: Any, header: str) -> None:
    returned = client.get("/intake/start", headers={"X-Request-ID": header}).headers["X-Request-ID"]
    assert returned != header and returned.isalnum()


def test_a_failed_enqueue_is_logged_with_its_case_and_request_ids(
    tmp_path: Path, database_url: str, rendered_logs: RenderedLogs, base_intake: dict[str, Any]
) -> None:
    # Nothing listens on port 1: the broker is down, the case is stored and left to the sweeper.
    app = build_app(tmp_path, "redis://127.0.0.1:1/0", database_url)
    response = app.test_client().post("/api/v1/intakes", json=base_intake)
    assert response.status_code == 202

    [failed] = rendered_logs.events("case.enqueue_failed")
    assert failed["case_id"] == case_id_of(app, response.get_json()["id"])
    assert failed["request_id"] == response.headers["X-Request-ID"]
    assert failed["level"] == "warning" and failed["error"]


def rendered(log_format: str, log_calls: Callable[[logging.Logger], None]) -> str:
    """What ``log_calls`` print through this set-up's handler, whatever the root's level."""
    logs = RenderedLogs(log_format)
    log = logging.getLogger("tests.logging_setup")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(logs.handler)
    try:
        log_calls(log)
    finally:
        log.removeHandler(logs.handler)
    return logs.text


@pytest.mark.parametrize("log_format", ["json", "text"])
@pytest.mark.parametrize(
    "key, value",
    [
        ("first_name", "Quintessa"),
        ("patient_name", "Quintessa Marblethorpe"),
        ("email", "quintessa.marblethorpe@example.org"),
        ("dob", "1971-03-17"),
        ("intake", {"patient": {"first_name": "Quintessa"}}),
    ],
)
def test_a_key_outside_the_allow_list_is_never_printed(
    log_format: str, key: str, value: object
) -> None:
    text = rendered(
        log_format, lambda log: log.warning("case.screened", extra={"case_id": 7, key: value})
    )
    assert "case.screened" in text and "7" in text
    assert key not in text and "Quintessa" not in text and "1971" not in text


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_free_text_under_an_allowed_key_and_an_exceptions_message_are_never_printed(
    log_format: str,
) -> None:
    def log_calls(log: logging.Logger) -> None:
        log.warning("mail.delivery_failed", extra={"error": "refused quintessa@example.org"})
        try:
            raise ValueError("Quintessa Marblethorpe, born 1971-03-17")
        except ValueError:
            log.exception("task.failed", extra={"case_id": 7})

    text = rendered(log_format, log_calls)
    assert "mail.delivery_failed" in text and "ValueError" in text
    assert "test_logging_setup.py" in text  # the frames, to find where it failed
    assert "quintessa" not in text.lower() and "1971" not in text


def test_a_text_line_carries_the_same_ids_as_a_json_line() -> None:
    text = rendered(
        "text",
        lambda log: log.info(
            "case.routed", extra={"case_id": 7, "queue": "physician", "priority": 2}
        ),
    )
    line = text.strip()
    assert " INFO " in line and " case.routed " in line
    assert "case_id=7 task_id=- request_id=-" in line
    assert "queue=physician priority=2" in line and line.endswith("[tests.logging_setup]")


def test_a_failed_task_is_logged_with_its_case_and_error_class_but_not_the_error_text(
    app: Any,
    client: Any,
    worker: Any,
    rendered_logs: RenderedLogs,
    base_intake: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workflows.cases import pipeline

    def explode(*args: Any, **kwargs: Any) -> None:
        # An error that quotes what it failed on, as a database error quotes its row.
        raise RuntimeError("could not screen Quintessa Marblethorpe, born 1971-03-17")

    monkeypatch.setattr(pipeline, "screen_document", explode)
    response = client.post("/api/v1/intakes", json=base_intake)
    case_id = case_id_of(app, response.get_json()["id"])

    wait_until(lambda: rendered_logs.events("task.failed"))
    [failed] = rendered_logs.events("task.failed")
    assert failed["case_id"] == case_id and failed["error"] == "RuntimeError" and failed["task_id"]
    # Celery's own line about the failure is printed too, after the task's on_failure.
    wait_until(
        lambda: [line for line in rendered_logs.lines() if line["logger"] == "celery.app.trace"]
    )
    assert "Quintessa" not in rendered_logs.text and "1971" not in rendered_logs.text
