"""/healthz cannot be used to tie up the web server (issue 16, item 4): its wait is capped
well below a second, the workers' count is cached for a few seconds and asked once at a time,
and the endpoint is rate-limited per address."""

from __future__ import annotations

import threading
from typing import Any

from intake.api.openapi import HEALTH_TIMEOUT_MAX_SECONDS


class CountingControl:
    """The app's real control API, counting the pings that go out (they still go out)."""

    def __init__(self, control: Any) -> None:
        self.control, self.pings = control, 0

    def ping(self, **options: Any) -> Any:
        self.pings += 1
        return self.control.ping(**options)


def test_the_wait_is_capped_below_a_second(client: Any) -> None:
    assert HEALTH_TIMEOUT_MAX_SECONDS < 1
    assert client.get("/healthz?timeout=5").status_code == 400


def test_many_calls_at_once_send_one_ping(app: Any, worker: Any) -> None:
    celery = app.extensions["ldn"].celery
    counting = CountingControl(celery.control)
    celery.__dict__["control"] = counting  # (a cached property of the Celery app)
    answers: list[Any] = []

    def call() -> None:
        response = app.test_client().get("/healthz?timeout=0.5")
        answers.append((response.status_code, response.get_json()["workers"]))

    callers = [threading.Thread(target=call) for _ in range(16)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=30)
    assert len(answers) == 16 and all(answer == answers[0] for answer in answers)
    assert answers[0][0] == 200 and answers[0][1] >= 1
    assert counting.pings == 1


def test_it_is_rate_limited_per_address(app: Any) -> None:
    client = app.test_client()
    codes = [client.get("/healthz").status_code for _ in range(31)]
    assert codes[:30] == [codes[0]] * 30 and codes[0] in (200, 503)
    assert codes[30] == 429
    other = client.get("/healthz", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code != 429
