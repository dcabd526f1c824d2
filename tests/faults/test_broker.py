"""Redis (the broker) killed and restarted during a burst of submissions: the web keeps
accepting, nothing is lost, and every case is routed within 60 s of the restart."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import wait_until
from tests.faults.conftest import another_patient, notified_count
from workflows.cases.models import Case

pytestmark = pytest.mark.production(reason="needs a redis-server the test can kill")


def test_redis_killed_and_restarted_during_100_submissions(
    app: Any, client: Any, start_worker: Any, redis_server: Any, base_intake: dict[str, Any]
) -> None:
    from workflows.platform import enqueue

    app.config["API_RATE_LIMIT_PER_MINUTE"] = 1000  # a burst from one address, on purpose
    start_worker("survivor")
    public_ids = []
    codes = []
    for n in range(100):
        if n == 40:
            redis_server.kill()  # append-only persistence keeps what was acknowledged
        if n == 70:
            redis_server.start()
            restarted = time.monotonic()
        response = client.post("/api/v1/intakes", json=another_patient(base_intake, n))
        codes.append(response.status_code)
        assert response.status_code == 202, (
            n,
            response.status_code,
            response.get_data(as_text=True)[:300],
        )
        public_ids.append(response.get_json()["id"])
    assert codes == [202] * 100  # the web kept accepting through the outage

    with app.extensions["ldn"].sessions() as db:
        ids = [case.id for case in db.query(Case).filter(Case.public_id.in_(public_ids))]
    # Beat's sweeper, as it runs every 15 s: cases whose message never reached the broker.
    settings = app.extensions["ldn"].settings

    def swept_and_done() -> bool:
        from datetime import timedelta

        from workflows.cases import pipeline

        for case_id in pipeline.claim_stuck_cases(
            app.extensions["ldn"].sessions,
            timedelta(seconds=settings.stuck_after_seconds),
            timedelta(seconds=2),
        ):
            enqueue.enqueue_pipeline(app.extensions["ldn"].celery, case_id)
        return notified_count(app, ids) == 100

    try:
        wait_until(swept_and_done, timeout=60, interval=2)
    except AssertionError:
        with app.extensions["ldn"].sessions() as db:
            statuses = db.execute(
                select(Case.status, Case.last_error, func.count())
                .where(Case.id.in_(ids))
                .group_by(Case.status, Case.last_error)
            ).all()
        raise AssertionError(f"not all routed and notified: {statuses}") from None
    print(f"\n100 of 100 routed {time.monotonic() - restarted:.1f} s after Redis restarted")
    assert_each_case_handled_once_or_requeued(app, ids)


def assert_each_case_handled_once_or_requeued(app: Any, ids: list[int]) -> None:
    """Exactly one screened/routed/notified per case; a 'requeued' stamp is allowed."""
    from sqlalchemy import select

    from workflows.cases.models import CaseEvent

    with app.extensions["ldn"].sessions() as db:
        rows = db.execute(
            select(CaseEvent.case_id, CaseEvent.action).where(CaseEvent.case_id.in_(ids))
        ).all()
    counts: dict[tuple[int, str], int] = {}
    for case_id, action in rows:
        counts[(case_id, action)] = counts.get((case_id, action), 0) + 1
    for case_id in ids:
        for action in ("received", "screening_started", "screened", "routed", "notified"):
            assert counts.get((case_id, action)) == 1, (case_id, action)
