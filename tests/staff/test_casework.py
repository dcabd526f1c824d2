"""The case state machine and staff actions, as plain functions and through the pages."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.conftest import case_actions, stored_case
from tests.staff.helpers import act, login, make_staff, routed_case
from tests.web.intake_client import open_amend_link
from workflows.cases import casework, pipeline
from workflows.cases.models import Case, CaseEvent
from workflows.messaging.mail import DatabaseOutbox
from workflows.messaging.models import OutboxMessage
from workflows.staff.audit import AuditLogIsAppendOnly
from workflows.staff.models import AuditEntry


@pytest.fixture
def staff(app: Any) -> dict[str, int]:
    return make_staff(app)


def test_every_state_has_its_transitions_and_final_states_have_none() -> None:
    assert set(casework.TRANSITIONS) == set(casework.S)
    assert casework.TRANSITIONS[casework.S.DECLINED] == frozenset()
    assert casework.S.SCREENING in casework.TRANSITIONS[casework.S.NEEDS_INFO]


def test_an_illegal_transition_raises_with_the_states_named(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    case = routed_case(app, base_intake)
    sessions = app.extensions["ldn"].sessions
    casework.decline(sessions, staff["coordinator"], case.id, None, "duplicate")
    with pytest.raises(casework.TransitionNotAllowed) as refused:
        casework.waitlist(sessions, staff["coordinator"], case.id, None, "second thoughts")
    assert (refused.value.from_state, refused.value.to_state) == ("declined", "waitlisted")


def test_every_change_needs_a_reason(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    case = routed_case(app, base_intake)
    with pytest.raises(ValueError):
        casework.decline(app.extensions["ldn"].sessions, staff["coordinator"], case.id, None, "   ")


def test_two_physicians_accepting_at_once_exactly_one_wins_and_the_other_is_told_who(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    case = routed_case(app, base_intake)  # Texas, physician queue
    sessions = app.extensions["ldn"].sessions
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def accept(who: str) -> None:
        barrier.wait()
        try:
            casework.accept(sessions, staff[who], case.id, case.version)
            outcomes[who] = "won"
        except casework.CaseAlreadyHandled as lost:
            outcomes[who] = lost

    threads = [threading.Thread(target=accept, args=(who,)) for who in ("dr_tx", "dr_tx2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [who for who, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1
    [loser] = [outcome for outcome in outcomes.values() if outcome != "won"]
    winner_name = {"dr_tx": "Dr. Tessa Texas", "dr_tx2": "Dr. Theo Texas"}[winners[0]]
    assert loser.by == winner_name and loser.action == "accepted"
    assert stored_case(app, case.id).status == "accepted"
    assert case_actions(app, case.id).count("accepted") == 1


def test_a_stale_page_cannot_overwrite_a_newer_change(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    case = routed_case(app, base_intake)
    sessions = app.extensions["ldn"].sessions
    casework.reroute(
        sessions, staff["coordinator"], case.id, case.version, "coordinator", "check diagnosis"
    )
    with pytest.raises(casework.CaseAlreadyHandled) as stale:
        casework.waitlist(sessions, staff["admin"], case.id, case.version, "old page")
    assert stale.value.by == "Casey Coordinator"


def test_assigning_needs_a_licence_in_the_patient_state(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    case = routed_case(app, base_intake)
    sessions = app.extensions["ldn"].sessions
    with pytest.raises(casework.InvalidAction, match="not licensed in TX") as refused:
        casework.assign(sessions, staff["coordinator"], case.id, None, staff["dr_il"], "try")
    assert refused.value.field == "physician"  # the page shows it beside the choice
    casework.assign(sessions, staff["coordinator"], case.id, None, staff["dr_tx"], "licensed in TX")
    assert stored_case(app, case.id).assignee_id == staff["dr_tx"]


def test_the_least_loaded_licensed_physician_is_suggested_first(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    from workflows.cases.queries import physicians_for_state

    sessions = app.extensions["ldn"].sessions
    busy = routed_case(app, base_intake)
    casework.assign(sessions, staff["coordinator"], busy.id, None, staff["dr_tx"], "load")
    with sessions() as db:
        suggested = physicians_for_state(db, "TX")
    assert [p.name for p in suggested] == ["Dr. Theo Texas", "Dr. Tessa Texas"]


def test_a_physician_open_cases_are_counted_up_to_a_limit_and_shown_as_at_least(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    from workflows.cases.queries import physicians_for_state

    sessions = app.extensions["ldn"].sessions
    for _ in range(3):
        case = routed_case(app, base_intake)
        casework.assign(sessions, staff["coordinator"], case.id, None, staff["dr_tx"], "load")
    with sessions() as db:
        counted = {p.name: p for p in physicians_for_state(db, "TX", count_up_to=2)}
        exact = {p.name: p for p in physicians_for_state(db, "TX", count_up_to=4)}
    busy = next(name for name, p in exact.items() if p.open_cases == 3)
    assert (counted[busy].open_cases, counted[busy].open_cases_label) == (2, "2+")
    assert (exact[busy].open_cases, exact[busy].open_cases_label) == (3, "3")
    assert [p.name for p in counted.values()][-1] == busy  # still the most loaded


def test_a_physician_declining_returns_the_case_to_the_coordinators(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    case = routed_case(app, base_intake)
    sessions = app.extensions["ldn"].sessions
    casework.assign(sessions, staff["coordinator"], case.id, None, staff["dr_tx"], "please review")
    casework.physician_decline(
        sessions, staff["dr_tx"], case.id, None, "needs a rheumatologist first"
    )
    case = stored_case(app, case.id)
    assert (case.status, case.queue, case.assignee_id) == ("routed", "coordinator", None)


def test_audit_rows_cannot_be_changed_or_deleted(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    case = routed_case(app, base_intake)
    sessions = app.extensions["ldn"].sessions
    casework.add_note(sessions, staff["coordinator"], case.id, "called the patient")
    with sessions() as db:
        entry = db.scalars(select(AuditEntry)).first()
        entry.action = "forged"
        with pytest.raises(AuditLogIsAppendOnly):
            db.flush()
    with sessions() as db:
        entry = db.scalars(select(AuditEntry)).first()
        db.delete(entry)
        with pytest.raises(AuditLogIsAppendOnly):
            db.flush()
    with sessions() as db:  # and the database refuses behind the ORM's back
        with pytest.raises(Exception, match="append-only"):
            db.execute(text("UPDATE audit_entry SET action = 'forged'"))
        db.rollback()
        with pytest.raises(Exception, match="append-only"):
            db.execute(text("DELETE FROM audit_entry"))


def test_the_coordinator_loop_ask_amend_rescreen_route_accept(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    """Norco makes the case ineligible; the coordinator asks about medications; the patient
    removes it through the link; the case re-screens to eligible and a TX physician accepts."""
    from tests.web.intake_client import csrf_token

    base_intake["medications"] = [{"name": "Norco 10/325", "status": "current"}]
    base_intake["patient"]["email"] = "patient@example.org"
    case = routed_case(app, base_intake)
    assert case.queue == "coordinator"

    coordinator = app.test_client()
    login(coordinator, "coord@test")
    queue = coordinator.get("/staff/queue?flag=OPIOID_CURRENT").get_data(as_text=True)
    assert case.public_id in queue
    response = act(
        coordinator,
        case.public_id,
        "request-info",
        **{
            "info-steps": "medications",
            "info-reason": "Is the Norco still taken?",
            "info-message": "Do you still take Norco?",
            "info-version": str(case.version),
        },
    )
    assert response.status_code == 302
    assert stored_case(app, case.id).status == "needs_info"

    with app.extensions["ldn"].sessions() as db:
        message = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "needs_info")).one()
    link = re.search(r"http://localhost(/intake/amend\?t=\S+)", message.body).group(1)
    assert "Norco" not in message.body
    patient = app.test_client()
    step = open_amend_link(patient, link)  # another device: the date of birth first
    assert step.headers["Location"].endswith("/intake/amend/medications")
    page = patient.get("/intake/amend/medications").get_data(as_text=True)
    assert 'value="Norco 10/325"' in page
    assert patient.get("/intake/amend/history").status_code == 404  # only the asked-for step
    response = patient.post(
        "/intake/amend/medications",
        data={
            "rows-0-name": "vitamin D",
            "rows-0-status": "current",
            "csrf_token": csrf_token(patient, "/intake/amend/medications"),
        },
    )
    assert response.headers["Location"].endswith("/intake/amend/send")
    sent = patient.post(
        "/intake/amend/send",
        data={"csrf_token": csrf_token(patient, "/intake/amend/send")},
        follow_redirects=True,
    )
    assert "your answers are updated" in sent.get_data(as_text=True)
    assert stored_case(app, case.id).status == "screening"

    sessions = app.extensions["ldn"].sessions
    pipeline.process(sessions, case.id, DatabaseOutbox())  # re-screens the amended case
    case = stored_case(app, case.id)
    # Eligible now, but the answer that cleared the hard stop is the patient's word alone: the
    # case comes back to the coordinators to verify it, never straight to a physician.
    assert (case.status, case.queue, case.decision) == ("routed", "coordinator", "eligible")
    page = coordinator.get(f"/staff/cases/{case.public_id}").get_data(as_text=True)
    assert "the patient's answer cleared a hard stop (OPIOID_CURRENT)" in page
    assert "<strong>vitamin D</strong> · Name:\n  vitamin D" in page and "was: Norco 10/325" in page
    assert '<code class="change-path">medications[0].name</code>' in page
    assert "flags removed: OPIOID_CURRENT" in page  # the amendment's re-screening
    doctor = app.test_client()
    login(doctor, "tx@test")
    assert case.public_id not in doctor.get("/staff/physician").get_data(as_text=True)

    response = act(
        coordinator,
        case.public_id,
        "assign",
        **{
            "assign-physician": str(staff["dr_tx"]),
            "assign-reason": "Stopped Norco, confirmed by phone",
            "assign-version": str(case.version),
        },
    )
    assert response.status_code == 302
    case = stored_case(app, case.id)

    doctor_il = app.test_client()
    login(doctor_il, "il@test")
    assert case.public_id not in doctor_il.get("/staff/physician").get_data(as_text=True)
    assert doctor_il.get(f"/staff/cases/{case.public_id}").status_code == 404

    assert case.public_id in doctor.get("/staff/physician").get_data(as_text=True)
    act(doctor, case.public_id, "accept", **{"accept-version": str(case.version)})
    assert stored_case(app, case.id).status == "accepted"
    assert case_actions(app, case.id) == [
        "received",
        "screening_started",
        "screened",
        "routed",
        "notified",
        "info_requested",
        "amended",
        "screened",
        "routed",
        "assigned",
        "accepted",
    ]
    with sessions() as db:
        audited = set(db.scalars(select(AuditEntry.action).where(AuditEntry.case_id == case.id)))
    assert {"case_viewed", "info_requested", "accepted"} <= audited


def test_the_case_page_explains_every_flag_with_the_patient_words(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    base_intake["medications"] = [{"name": "synthriod 75 mcg", "status": "current"}]
    case = routed_case(app, base_intake)
    client = app.test_client()
    login(client, "coord@test")
    page = client.get(f"/staff/cases/{case.public_id}").get_data(as_text=True)
    assert "THYROID_REPLACEMENT" in page and "<q>synthriod 75 mcg</q>" in page
    assert "Fibromyalgia" in page and ">A<" in page


def test_rescreening_after_a_rule_change_records_what_changed(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    from workflows.cases.rescreen import rescreen_open_cases

    base_intake["medications"] = [{"name": "Synthroid", "status": "current"}]
    case = routed_case(app, base_intake)
    sessions = app.extensions["ldn"].sessions
    with sessions.begin() as db:  # as if screened by an older rule set that lacked the flag
        stored = db.get(Case, case.id)
        result = dict(stored.screening_result)
        result["cautions"] = []
        casework.store_screening_result(stored, result)  # its flag rows follow, as always
        stored.rule_set_version = "rules-older"
    assert rescreen_open_cases(sessions) == [case.id]
    assert rescreen_open_cases(sessions) == []
    with sessions() as db:
        event = db.scalars(select(CaseEvent).where(CaseEvent.action == "rescreened")).one()
    assert (
        event.detail["flags_added"] == ["THYROID_REPLACEMENT"]
        and event.detail["from_rules"] == "rules-older"
    )


def test_a_case_that_failed_screening_can_be_retried_by_a_coordinator(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    from tests.conftest import TODAY
    from workflows.cases.submission import submit_intake

    sessions = app.extensions["ldn"].sessions
    case_id = submit_intake(sessions, base_intake, TODAY, lambda _: None).id
    pipeline.start_screening(sessions, case_id)
    pipeline.mark_failed(sessions, case_id, "RuntimeError")
    case = stored_case(app, case_id)
    client = app.test_client()
    login(client, "coord@test")
    page = client.get(f"/staff/cases/{case.public_id}").get_data(as_text=True)
    assert "could not screen this case (RuntimeError)" in page
    act(
        client,
        case.public_id,
        "retry",
        **{"act-reason": "bug fixed", "act-version": str(case.version)},
    )
    assert stored_case(app, case_id).status == "received"
    pipeline.process(sessions, case_id, DatabaseOutbox())
    assert stored_case(app, case_id).status == "routed"
    assert "screening_retried" in case_actions(app, case_id)


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        ("routed", ["assign", "request-info", "reroute", "waitlist", "decline"]),
        ("assigned", ["assign", "request-info", "reroute"]),
        ("screening_failed", ["retry", "reroute", "waitlist", "decline"]),
        ("waitlisted", ["reroute", "decline"]),
        ("needs_info", ["reroute", "decline"]),
        ("withdrawn", []),
        ("declined", []),
        ("accepted", []),
    ],
)
def test_the_case_page_offers_only_what_the_case_state_allows(
    status: str, actions: list[str]
) -> None:
    assert casework.possible_actions(status) == actions


def test_a_closed_case_page_offers_a_note_and_no_action(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    case = routed_case(app, base_intake)
    casework.decline(app.extensions["ldn"].sessions, staff["coordinator"], case.id, None, "Test")
    client = app.test_client()
    login(client, "coord@test")
    page = client.get(f"/staff/cases/{case.public_id}").get_data(as_text=True)
    assert "Add a note" in page
    for label in [
        "Assign to a physician",
        "Ask the patient for more information",
        "Decline</summary>",
    ]:
        assert label not in page
