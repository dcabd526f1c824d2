"""The Procfile's web (gunicorn, two workers) and Celery worker as processes: one scrape of the
web adds up what every process counted, the worker's processes included."""

from __future__ import annotations

import http.client
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import wait_until
from tests.test_procfile import post_intake, procfile_service  # noqa: F401 - the fixture


def scrape_port(port: int) -> dict[str, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        assert response.status == 200
        text = response.read().decode()
    finally:
        connection.close()
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0) + sample.value
    return totals


@pytest.mark.slow  # starts the web and a worker as processes, as `make run` does
def test_one_scrape_of_the_web_counts_every_process(
    tmp_path: Path,
    procfile_service: int,  # noqa: F811 - the fixture imported above
    base_intake: dict[str, Any],
) -> None:
    port = procfile_service
    status, body = wait_until(
        lambda: (answer := post_intake(port, base_intake))[0] and answer, timeout=30
    )
    assert status == 202, body
    # Counted by a gunicorn worker (the submission) and by a Celery pool process (the routing,
    # inside the task, and its success, once it returns): wait for the last.
    routed = wait_until(
        lambda: (m := scrape_port(port)).get("ldn_tasks_succeeded_total", 0) >= 1 and m, timeout=30
    )
    assert routed["ldn_intakes_submitted_total"] == 1
    assert routed["ldn_cases_routed_total"] == 1
    # Whichever gunicorn worker answers, the same sums.
    for _ in range(4):
        assert scrape_port(port)["ldn_intakes_submitted_total"] == 1
    folders = tmp_path / "procfile-instance" / "prometheus"
    assert any((folders / "web").glob("*.db")) and any((folders / "worker").glob("*.db"))
