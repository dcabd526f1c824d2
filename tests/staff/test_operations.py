"""The admins' operations page: its figures, its retry button (audited), and previewing a
rule change without saving it."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.staff.helpers import csrf, login, make_staff, routed_case
from workflows.cases.models import Case, CaseEvent, RuleChange
from workflows.cases.operations import OperationsFigures, compute_operations
from workflows.messaging.delivery import SMTP_TRANSPORT
from workflows.messaging.models import OutboxMessage
from workflows.platform.orm import utcnow
from workflows.screening import default_rules
from workflows.screening.ruledata import RULES_DIR
from workflows.staff.models import AuditEntry


@pytest.fixture
def staff(app: Any) -> dict[str, int]:
    return make_staff(app)


def _case(app: Any, intake: dict[str, Any], medications: list[dict[str, str]]) -> Case:
    intake["patient"]["state_of_residence"] = "TX"
    intake["medications"] = medications
    return routed_case(app, intake)


def _opioid_case(app: Any, intake: dict[str, Any]) -> Case:
    return _case(app, intake, [{"name": "Norco", "status": "current"}])


def _set(app: Any, case_id: int, **values: Any) -> None:
    with app.extensions["ldn"].sessions.begin() as db:
        db.execute(update(Case).where(Case.id == case_id).values(**values))


def _seed(app: Any, intake: dict[str, Any]) -> dict[str, Case]:
    cases = {
        "plain": _case(app, intake, []),
        "opioid": _opioid_case(app, intake),
        "failed": _case(app, intake, []),
        "stuck": _case(app, intake, []),
        "closed_failed_long_ago": _case(app, intake, []),
    }
    hour_ago = utcnow() - timedelta(hours=1)
    _set(app, cases["failed"].id, status="screening_failed", last_error="ScreeningTimeout")
    _set(app, cases["stuck"].id, status="screening", updated_at=hour_ago)
    _set(app, cases["closed_failed_long_ago"].id, status="declined", last_error="OldError")
    return cases


def _outbox(app: Any) -> None:
    now = utcnow()
    with app.extensions["ldn"].sessions.begin() as db:
        common = {
            "kind": "test",
            "to_address": "p@example.org",
            "subject": "s",
            "body": "b",
            "transport": SMTP_TRANSPORT,
        }
        db.add_all(
            [
                # Kept by the database outbox (no SMTP_URL): never sent, so no backlog.
                OutboxMessage(**{**common, "transport": "database"}),
                OutboxMessage(**common, sent_at=now),
                OutboxMessage(**common, attempts=2, last_error="SMTPServerDisconnected"),
                OutboxMessage(**common, attempts=1, last_error="SMTPServerDisconnected"),
                OutboxMessage(**common, attempts=9, last_error="Refused", given_up_at=now),
            ]
        )


def test_the_figures_count_open_queues_failed_stuck_and_unsent_mail(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    cases = _seed(app, base_intake)

    def figures_now() -> OperationsFigures:
        with app.extensions["ldn"].sessions() as db:
            return compute_operations(db, "rules-x", timedelta(minutes=5), timedelta(seconds=30))

    # The cases' own messages, kept by the tests' database outbox, are no backlog.
    assert figures_now().mail.waiting == 0
    _outbox(app)
    figures = figures_now()
    # plain, opioid and the failed case (a failed case waits for a coordinator).
    assert sum(queue.open_cases for queue in figures.queues) == 3
    assert {queue.queue for queue in figures.queues} == {"physician", "coordinator"}
    assert [problem.case_id for problem in figures.failed] == [cases["failed"].id]
    assert figures.failed_total == 1
    assert [problem.case_id for problem in figures.stuck] == [cases["stuck"].id]
    # Errors of cases still in trouble only: the closed case's old error is not counted.
    assert figures.case_errors == [("ScreeningTimeout", 1)]
    assert figures.mail.waiting == 2 and figures.mail.given_up == 1
    assert figures.mail.most_attempts == 2
    assert figures.mail.errors == [("SMTPServerDisconnected", 2)]
    assert figures.webhooks.waiting == 0
    assert figures.rule_set_version == "rules-x"


def test_only_admins_see_the_page_and_each_view_is_audited(
    app: Any, client: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    cases = _seed(app, base_intake)
    _outbox(app)
    login(client, "coord@test")
    assert client.get("/staff/admin/operations").status_code == 403
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/queue")})
    login(client, "admin@test")
    page = client.get("/staff/admin/operations").get_data(as_text=True)
    assert cases["failed"].public_id in page and cases["stuck"].public_id in page
    assert default_rules().version in page and "SMTPServerDisconnected" in page
    # The tests' app has no SMTP_URL: the page says the outbox keeps mail and sends none.
    assert "no SMTP server is set" in page
    with app.extensions["ldn"].sessions() as db:
        viewed = db.scalars(select(AuditEntry).where(AuditEntry.action == "operations_viewed"))
        assert [entry.actor_id for entry in viewed] == [staff["admin"]]


def test_retry_sends_a_failed_case_through_screening_again_and_is_audited(
    app: Any, client: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    cases = _seed(app, base_intake)
    failed = cases["failed"].id
    login(client, "admin@test")
    token = csrf(client, "/staff/admin/operations")
    refused = client.post(
        f"/staff/admin/operations/cases/{failed}/retry", data={"csrf_token": token, "reason": ""}
    )
    assert refused.status_code == 302
    with app.extensions["ldn"].sessions() as db:
        assert db.get(Case, failed).status == "screening_failed"  # no reason, no retry
    response = client.post(
        f"/staff/admin/operations/cases/{failed}/retry",
        data={"csrf_token": token, "reason": "worker was restarted"},
    )
    assert response.status_code == 302
    with app.extensions["ldn"].sessions() as db:
        case = db.get(Case, failed)
        assert case.status == "received" and case.last_error is None
        retried = db.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "screening_retried", AuditEntry.case_id == failed
            )
        ).all()
        assert [entry.actor_id for entry in retried] == [staff["admin"]]
        assert retried[0].detail["reason"] == "worker was restarted"
    # A case that is not failed is refused, and stays as it was.
    again = client.post(
        f"/staff/admin/operations/cases/{cases['plain'].id}/retry",
        data={"csrf_token": token, "reason": "x"},
        follow_redirects=True,
    )
    assert "was not sent again" in again.get_data(as_text=True)


def _rules_where_hydrocodone_is_no_opioid(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    drugs = rules / "drugs.yaml"
    text = drugs.read_text(encoding="utf-8")
    changed = text.replace(
        "  - ingredient: hydrocodone\n    classes: [opioid_agonist]",
        "  - ingredient: hydrocodone\n    classes: [thyroid_hormone]",
    )
    assert changed != text
    drugs.write_text(changed, encoding="utf-8")
    return rules


def test_rules_preview_lists_the_cases_that_would_change_and_saves_nothing(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any], tmp_path: Path
) -> None:
    plain = _case(app, base_intake, [])
    opioid = _opioid_case(app, base_intake)
    sessions = app.extensions["ldn"].sessions

    def stored() -> dict[int, tuple[Any, ...]]:
        with sessions() as db:
            rows = db.execute(
                select(
                    Case.id, Case.version, Case.rule_set_version, Case.decision, Case.queue
                ).where(Case.id.in_([plain.id, opioid.id]))
            )
            return {row[0]: tuple(row) for row in rows}

    before = stored()
    result = app.test_cli_runner().invoke(
        args=["rules", "preview", "--rules", str(_rules_where_hydrocodone_is_no_opioid(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    assert "1 of 2 case(s) would change (nothing was saved)" in result.output
    assert f"{opioid.public_id}: " in result.output and plain.public_id not in result.output
    assert "flag removed OPIOID_CURRENT" in result.output
    assert stored() == before
    with sessions() as db:
        assert not db.scalars(select(CaseEvent).where(CaseEvent.action == "rescreened")).all()
        preview = db.get(RuleChange, "preview")
        assert preview is not None and preview.from_version == default_rules().version
        assert preview.to_version != default_rules().version
        assert preview.summary["cases_changed"] == 1
        assert preview.summary["counts"]["flag removed OPIOID_CURRENT"] == 1
    # The operations page shows it.
    client = app.test_client()
    login(client, "admin@test")
    page = client.get("/staff/admin/operations").get_data(as_text=True)
    assert "Last preview of a rule change" in page and preview.to_version in page
    # With the case that would change, linked, and what would change in it.
    assert f'/staff/cases/{opioid.public_id}"' in page
    assert "flag removed OPIOID_CURRENT" in page
    assert plain.public_id not in page


def test_rules_preview_refuses_invalid_rule_data_saying_why(app: Any, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    (rules / "drugs.yaml").write_text("classes: 3\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["rules", "preview", "--rules", str(rules)])
    assert result.exit_code != 0 and "the rule data is not valid" in result.output


def test_rescreen_records_the_change_it_applied(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    case = _case(app, base_intake, [])
    _set(app, case.id, rule_set_version="rules-older")
    result = app.test_cli_runner().invoke(args=["rescreen"])
    assert result.exit_code == 0, result.output
    with app.extensions["ldn"].sessions() as db:
        applied = db.get(RuleChange, "applied")
        assert applied is not None
        assert (applied.from_version, applied.to_version) == (
            "rules-older",
            default_rules().version,
        )
        assert applied.summary == {"cases_rescreened": 1}


def test_rules_preview_takes_recent_closed_cases_only_when_asked(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any], tmp_path: Path
) -> None:
    closed = _opioid_case(app, base_intake)
    _set(app, closed.id, status="declined")
    rules = str(_rules_where_hydrocodone_is_no_opioid(tmp_path))
    runner = app.test_cli_runner()
    open_only = runner.invoke(args=["rules", "preview", "--rules", rules])
    assert "0 of 0 case(s) would change" in open_only.output
    recent = runner.invoke(args=["rules", "preview", "--rules", rules, "--recent-days", "7"])
    assert "1 of 1 case(s) would change" in recent.output and closed.public_id in recent.output


def test_the_page_lists_the_workers_seen_without_pinging_them(
    app: Any, client: Any, redis_url: str
) -> None:
    from workflows.platform.redis_clients import redis_client
    from workflows.platform.worker_heartbeat import start_heartbeat

    make_staff(app)
    login(client, "admin@test")
    page = "/staff/admin/operations"
    assert "no worker has reported" in client.get(page).get_data(as_text=True)
    stop = start_heartbeat(redis_client(redis_url), "worker@intake-1")
    try:
        shown = client.get(page).get_data(as_text=True)
    finally:
        stop()
    assert "Workers seen in the last 60 seconds" in shown
    assert "worker@intake-1" in shown
