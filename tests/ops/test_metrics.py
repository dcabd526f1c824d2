"""Each metric family, driven through the service as a user or the pipeline would, then read
from /metrics (issue 17). Counters are global to the test process: each test compares the
scrape after with the one before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.conftest import build_app, wait_until
from tests.ops.scrape import scrape, value
from tests.staff.helpers import login, make_staff, routed_case
from workflows.cases import pipeline
from workflows.cases.models import Case
from workflows.platform.orm import utcnow

API = "/api/v1/intakes"


def submit_and_route(client: Any, document: dict[str, Any]) -> Case:
    response = client.post(API, json=document)
    assert response.status_code == 202
    public_id = response.get_json()["id"]
    sessions = client.application.extensions["ldn"].sessions

    def routed() -> Case | None:
        with sessions() as db:
            case = db.scalars(select(Case).where(Case.public_id == public_id)).one()
            return case if case.status == "routed" else None

    return wait_until(routed)


def test_metrics_are_refused_to_another_network_without_the_token(
    tmp_path: Any, redis_url: str, database_url: str
) -> None:
    app = build_app(tmp_path, redis_url, database_url, METRICS_TOKEN="s3cret-scrape")
    client = app.test_client()
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 403
    wrong = {"Authorization": "Bearer guessed"}
    assert client.get("/metrics", environ_base=outside, headers=wrong).status_code == 403
    # A forged proxy header opens nothing: the socket's address decides.
    forged = {"X-Forwarded-For": "127.0.0.1"}
    assert client.get("/metrics", environ_base=outside, headers=forged).status_code == 403
    right = {"Authorization": "Bearer s3cret-scrape"}
    assert client.get("/metrics", environ_base=outside, headers=right).status_code == 200


def test_an_allowed_network_scrapes_without_a_token(
    tmp_path: Any, redis_url: str, database_url: str
) -> None:
    app = build_app(tmp_path, redis_url, database_url, METRICS_ALLOW=("10.0.0.0/8",))
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403


def test_the_loopback_scrapes_by_default(client: Any) -> None:
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_a_case_through_the_pipeline_is_counted_at_every_step(
    client: Any, worker: Any, base_intake: dict[str, Any]
) -> None:
    before = scrape(client)
    case = submit_and_route(client, base_intake)
    # The task's success is counted once it returns, just after the routing it committed.
    after = wait_until(
        lambda: (
            value(s := scrape(client), "ldn_tasks_succeeded_total")
            > value(before, "ldn_tasks_succeeded_total")
            and s
        )
    )

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("ldn_intakes_submitted_total", channel="api") == 1
    assert grew("ldn_cases_routed_total", decision=case.decision, queue=case.queue) == 1
    assert grew("ldn_pipeline_submitted_to_routed_seconds_count") == 1
    # By the route's template, and the status it answered.
    assert grew("ldn_http_requests_total", route=API, method="POST", status="202") == 1
    assert grew("ldn_http_request_duration_seconds_count", route=API) == 1
    assert grew("ldn_tasks_succeeded_total") >= 1
    assert value(after, "ldn_open_cases", queue=case.queue) >= 1
    assert value(after, "ldn_oldest_open_case_age_seconds", queue=case.queue) >= 0
    assert ("ldn_cases_past_target", frozenset({("queue", "physician")})) in after
    assert ("ldn_mail_pending", frozenset()) in after
    assert ("ldn_webhook_oldest_pending_age_seconds", frozenset()) in after


def test_a_path_with_an_id_is_counted_under_its_template(client: Any) -> None:
    before = scrape(client)
    client.get("/api/v1/intakes/not-a-real-case-id")
    after = scrape(client)
    routes = {
        dict(labels).get("route") for name, labels in after if name == "ldn_http_requests_total"
    }
    assert not any("not-a-real-case-id" in (route or "") for route in routes)
    assert value(after, "ldn_http_requests_total", route="/api/v1/intakes/<public_id>") > value(
        before, "ldn_http_requests_total", route="/api/v1/intakes/<public_id>"
    )


def test_failing_tasks_and_screening_failed_cases_are_counted(
    app: Any, client: Any, worker: Any, base_intake: dict[str, Any], monkeypatch: Any
) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug, not a transient fault")

    monkeypatch.setattr(pipeline, "screen_document", explode)
    before = scrape(client)
    public_id = client.post(API, json=base_intake).get_json()["id"]
    sessions = app.extensions["ldn"].sessions

    def failed() -> bool:
        with sessions() as db:
            return (
                db.scalars(select(Case.status).where(Case.public_id == public_id)).one()
                == "screening_failed"
            )

    wait_until(failed)
    # A bug is not retried: the task failed, by its name (counted just after on_failure,
    # which parked the case).
    task = {"task": "workflows.process_case"}
    after = wait_until(
        lambda: (
            value(s := scrape(client), "ldn_tasks_failed_total", **task)
            > value(before, "ldn_tasks_failed_total", **task)
            and s
        )
    )
    assert value(after, "ldn_cases_screening_failed") == 1
    assert (
        value(after, "ldn_tasks_failed_total", **task)
        - value(before, "ldn_tasks_failed_total", **task)
        == 1
    )
    assert value(after, "ldn_tasks_retried_total", **task) == value(
        before, "ldn_tasks_retried_total", **task
    )


def test_a_transient_fault_is_counted_as_a_retry(
    app: Any, client: Any, worker: Any, base_intake: dict[str, Any], monkeypatch: Any
) -> None:
    from sqlalchemy.exc import OperationalError

    real = pipeline.screen_document
    calls = {"n": 0}

    def once_unavailable(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("SELECT 1", {}, Exception("database restarting"))
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "screen_document", once_unavailable)
    before = scrape(client)
    submit_and_route(client, base_intake)
    after = scrape(client)
    task = {"task": "workflows.process_case"}
    assert (
        value(after, "ldn_tasks_retried_total", **task)
        - value(before, "ldn_tasks_retried_total", **task)
        == 1
    )


def test_web_intakes_are_counted_apart_from_the_api(app: Any) -> None:
    from tests.web.patient_cases import submitted

    client = app.test_client()
    before = scrape(client)
    submitted(app)
    after = scrape(client)
    assert (
        value(after, "ldn_intakes_submitted_total", channel="web")
        - value(before, "ldn_intakes_submitted_total", channel="web")
        == 1
    )
    assert value(after, "ldn_intakes_submitted_total", channel="api") == value(
        before, "ldn_intakes_submitted_total", channel="api"
    )


def test_beats_jobs_are_counted_by_name_when_the_worker_runs_them(client: Any, worker: Any) -> None:
    # What the "no worker" alert watches: beat sends these every 15-60 s.
    job = {"task": "workflows.requeue_stuck_cases"}
    before = value(scrape(client), "ldn_tasks_succeeded_total", **job)
    worker.send_task("workflows.requeue_stuck_cases")
    wait_until(lambda: value(scrape(client), "ldn_tasks_succeeded_total", **job) > before)


def test_sign_ins_are_counted_by_outcome_and_locks_too(app: Any, client: Any) -> None:
    make_staff(app)
    before = scrape(client)
    login(client, "coord@test", "not the password")
    mid = scrape(client)
    assert (
        value(mid, "ldn_staff_sign_ins_total", outcome="wrong_password")
        - value(before, "ldn_staff_sign_ins_total", outcome="wrong_password")
        == 1
    )
    for _ in range(4):
        login(client, "coord@test", "not the password")
    after = scrape(client)
    assert (
        value(after, "ldn_staff_accounts_locked_total")
        - value(before, "ldn_staff_accounts_locked_total")
        == 1
    )
    login(client, "nobody@test", "whatever")
    assert value(scrape(client), "ldn_staff_sign_ins_total", outcome="unknown_account") > value(
        after, "ldn_staff_sign_ins_total", outcome="unknown_account"
    )


def test_ldn_metrics_off_counts_nothing_and_serves_no_metrics(
    tmp_path: Any, redis_url: str, database_url: str
) -> None:
    app = build_app(tmp_path, redis_url, database_url, LDN_METRICS=False)
    assert app.test_client().get("/metrics").status_code == 404


def test_ldn_metrics_takes_on_or_off_only() -> None:
    from workflows.platform.settings import Settings

    assert Settings.from_env({"LDN_METRICS": "off"}).metrics_enabled is False
    assert Settings.from_env({}).metrics_enabled is True
    with pytest.raises(ValueError, match="LDN_METRICS must be on or off"):
        Settings.from_env({"LDN_METRICS": "no"})


def test_cases_past_target_are_counted_against_their_own_queues_target(
    app: Any, client: Any, base_intake: dict[str, Any]
) -> None:
    """One query gives every queue's count, longest wait and late cases (the coordinator's
    target is 4 hours, the physician's 24): each case is held to its own queue's target."""
    sessions = app.extensions["ldn"].sessions
    waited = [
        ("coordinator", 5),  # late
        ("coordinator", 3),
        ("physician", 25),  # late
        ("physician", 5),  # late for a coordinator, not for a physician
        ("waitlist", 500),  # a queue without a target
    ]
    for queue, hours in waited:
        case = routed_case(app, base_intake)
        with sessions.begin() as db:
            db.execute(
                update(Case)
                .where(Case.id == case.id)
                .values(queue=queue, routed_at=utcnow() - timedelta(hours=hours))
            )
    samples = scrape(client)
    assert value(samples, "ldn_cases_past_target", queue="coordinator") == 1
    assert value(samples, "ldn_cases_past_target", queue="physician") == 1
    assert ("ldn_cases_past_target", frozenset({("queue", "waitlist")})) not in samples
    assert value(samples, "ldn_open_cases", queue="waitlist") == 1
    assert value(samples, "ldn_oldest_open_case_age_seconds", queue="coordinator") >= 5 * 3600
