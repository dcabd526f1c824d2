"""The Celery pipeline on a real worker and a real Redis: intakes reach `routed` by themselves,
each step is idempotent, and a case the pipeline cannot handle lands in screening_failed."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import func, select

from tests.conftest import TODAY, case_actions, stored_case, wait_until
from workflows.cases import pipeline
from workflows.cases.models import Case
from workflows.cases.submission import submit_intake
from workflows.messaging.mail import DatabaseOutbox
from workflows.messaging.models import OutboxMessage
from workflows.platform.enqueue import enqueue_pipeline

# The history of a case that went through the whole pipeline once.
EVERY_STEP = ["received", "screening_started", "screened", "routed", "notified"]


def submit(app: Any, document: dict[str, Any], enqueue: Any = lambda case_id: None) -> int:
    return submit_intake(app.extensions["ldn"].sessions, document, TODAY, enqueue).id


def test_an_intake_posted_to_the_api_reaches_routed(
    client: Any, worker: Any, base_intake: dict[str, Any]
) -> None:
    base_intake["medications"] = [{"name": "Norco 10/325", "status": "current"}]
    response = client.post("/api/v1/intakes", json=base_intake)
    assert response.status_code == 202
    body = response.get_json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}

    def routed() -> Any:
        status = client.get(f"/api/v1/intakes/{body['id']}", headers=headers).get_json()
        return status if status["status"] == "routed" else None

    status = wait_until(routed)
    assert status["submitted_at"] == TODAY.isoformat()
    with client.application.extensions["ldn"].sessions() as db:
        case = db.scalars(select(Case).where(Case.public_id == body["id"])).one()
        assert case.queue == "coordinator" and case.decision == "ineligible"
        assert [f["code"] for f in case.screening_result["hard_stops"]] == ["OPIOID_CURRENT"]


def test_the_pipeline_writes_one_event_per_step_and_one_message(
    app: Any, worker: Any, base_intake: dict[str, Any]
) -> None:
    services = app.extensions["ldn"]
    case_id = submit(app, base_intake, services.enqueue)
    wait_until(lambda: stored_case(app, case_id).notified_at is not None)
    assert case_actions(app, case_id) == EVERY_STEP
    case = stored_case(app, case_id)
    assert (case.status, case.queue, case.priority) == (
        "routed",
        "physician",
        case.screening_result["score"],
    )
    with services.sessions() as db:
        [message] = db.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id)).all()
        assert message.kind == "received" and case.public_id in message.body
        assert "fibromyalgia" not in message.body.lower()  # no health data in mail


def test_enqueuing_the_same_case_twice_changes_nothing_the_second_time(
    app: Any, worker: Any, base_intake: dict[str, Any]
) -> None:
    from celery.signals import task_postrun

    services = app.extensions["ldn"]
    finished: list[str] = []

    def count_notify(sender: Any = None, args: Any = None, **kwargs: Any) -> None:
        if sender is not None and sender.name == "workflows.process_case" and args == [case_id]:
            finished.append(sender.name)

    task_postrun.connect(count_notify, weak=False)
    try:
        case_id = submit(app, base_intake)
        enqueue_pipeline(services.celery, case_id)
        enqueue_pipeline(services.celery, case_id)
        wait_until(lambda: len(finished) >= 2)  # both deliveries ran
    finally:
        task_postrun.disconnect(count_notify)
    events = case_actions(app, case_id)
    assert events == EVERY_STEP
    with services.sessions() as db:
        count = (
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.case_id == case_id)
        )
        assert db.scalar(count) == 1


def test_each_step_run_twice_is_a_no_op_the_second_time(
    app: Any, base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions
    case_id = submit(app, base_intake)
    outbox = DatabaseOutbox()
    assert pipeline.start_screening(sessions, case_id) is True
    assert pipeline.start_screening(sessions, case_id) is False
    assert pipeline.screen(sessions, case_id) is True
    assert pipeline.screen(sessions, case_id) is False
    assert pipeline.route(sessions, case_id) is True
    assert pipeline.route(sessions, case_id) is False
    assert pipeline.notify(sessions, case_id, outbox) is True
    assert pipeline.notify(sessions, case_id, outbox) is False
    assert case_actions(app, case_id) == EVERY_STEP


def test_a_stored_intake_that_no_longer_validates_goes_to_screening_failed(
    app: Any, base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions
    case_id = submit(app, base_intake)
    with sessions.begin() as db:
        case = db.get(Case, case_id)
        broken = copy.deepcopy(case.intake)
        broken["history"]["liver_disease"] = "maybe"
        case.intake = broken
    pipeline.start_screening(sessions, case_id)
    case = stored_case(app, case_id)
    assert case.status == "screening_failed" and case.last_error == "InvalidIntake"


def test_a_task_that_keeps_failing_parks_the_case_in_screening_failed(
    app: Any, worker: Any, base_intake: dict[str, Any], monkeypatch: Any
) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug, not a transient fault")

    monkeypatch.setattr(pipeline, "screen_document", explode)  # screening raises
    services = app.extensions["ldn"]
    case_id = submit(app, base_intake, services.enqueue)
    wait_until(lambda: stored_case(app, case_id).status == "screening_failed")
    assert stored_case(app, case_id).last_error == "RuntimeError"
    assert case_actions(app, case_id)[-1] == "screening_failed"


def test_stuck_cases_are_claimed_once_per_interval(app: Any, base_intake: dict[str, Any]) -> None:
    from datetime import timedelta

    from workflows.platform.orm import utcnow

    sessions = app.extensions["ldn"].sessions
    stuck = submit(app, base_intake)
    fresh = submit(app, base_intake)
    with sessions.begin() as db:
        db.get(Case, stuck).updated_at = utcnow() - timedelta(minutes=6)
    assert pipeline.claim_stuck_cases(sessions, timedelta(minutes=5)) == [stuck]
    assert pipeline.claim_stuck_cases(sessions, timedelta(minutes=5)) == []
    assert fresh not in pipeline.claim_stuck_cases(sessions, timedelta(minutes=5))
    assert case_actions(app, stuck)[-1] == "requeued"


def test_abandoned_drafts_are_deleted_after_they_expire(app: Any) -> None:
    from datetime import timedelta

    from workflows.cases import drafts
    from workflows.cases.models import Draft
    from workflows.platform.orm import utcnow

    sessions = app.extensions["ldn"].sessions
    old, _ = drafts.create_draft(sessions, timedelta(days=30))
    live, _ = drafts.create_draft(sessions, timedelta(days=30))
    with sessions.begin() as db:
        db.get(Draft, old.id).expires_at = utcnow() - timedelta(seconds=1)
    assert pipeline.purge_abandoned_drafts(sessions) == 1
    with sessions() as db:
        assert db.get(Draft, old.id) is None and db.get(Draft, live.id) is not None
