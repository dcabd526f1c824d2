"""The database away for a few seconds, during submission and during routing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import wait_until
from tests.faults.conftest import assert_each_case_handled_once, notified_count, submit_many

pytestmark = pytest.mark.production(reason="needs a PostgreSQL server the test can stop")


def test_a_submission_while_the_database_is_down_gets_a_clear_503(
    client: Any, postgres: Any, base_intake: dict[str, Any]
) -> None:
    postgres.stop()
    try:
        response = client.post("/api/v1/intakes", json=base_intake)
    finally:
        postgres.start()
    assert response.status_code == 503
    assert "try again in a minute" in response.get_json()["message"]
    assert client.post("/api/v1/intakes", json=base_intake).status_code == 202


def test_routing_survives_the_database_away_for_a_few_seconds(
    app: Any, start_worker: Any, postgres: Any, base_intake: dict[str, Any]
) -> None:
    ids = submit_many(app, base_intake, 30)
    start_worker("patient")
    time.sleep(0.3)  # let the worker get going, then take the database away mid-routing
    postgres.stop()
    time.sleep(4)
    postgres.start()
    restarted = time.monotonic()
    wait_until(lambda: notified_count(app, ids) == 30, timeout=120, interval=0.5)
    print(f"\n30 of 30 routed {time.monotonic() - restarted:.1f} s after the database came back")
    assert_each_case_handled_once(app, ids)
