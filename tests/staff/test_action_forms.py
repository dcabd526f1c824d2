"""The case page's action forms behave as the patient's steps do (issue 15, item 5): a refused
action shows the page again with its form open, the error beside the field and in a summary
that links to it, and everything typed kept; each reason box belongs to its own action."""

from __future__ import annotations

import re
from collections import Counter
from html import unescape
from typing import Any

import pytest

from tests.conftest import stored_case
from tests.staff.helpers import act, login, make_staff, routed_case
from workflows.cases import casework
from workflows.cases.models import Case

# Each coordinator action: the names it posts besides its reason, the reason's name, and the
# start of the form's ids on the page (decline, waitlist and retry all post act-reason).
COORDINATOR_ACTIONS: dict[str, tuple[dict[str, str], str, str]] = {
    "assign": ({}, "assign-reason", "assign"),
    "request-info": (
        {"info-steps": "medications", "info-message": "When did you last take it?"},
        "info-reason",
        "info",
    ),
    "reroute": ({"reroute-queue": "coordinator"}, "reroute-reason", "reroute"),
    "waitlist": ({}, "act-reason", "waitlist"),
    "decline": ({}, "act-reason", "decline"),
    "note": ({}, "note-note", "note"),
}
LONG_TEXT = "Spoke with the patient's pharmacist about the Norco refill. " * 40  # > 2,000


@pytest.fixture
def staff(app: Any) -> dict[str, int]:
    return make_staff(app)


@pytest.fixture
def case(app: Any, staff: dict[str, int], base_intake: dict[str, Any]) -> Case:
    return routed_case(app, base_intake)  # Texas, physician queue


@pytest.fixture
def coordinator(app: Any, staff: dict[str, int]) -> Any:
    client = app.test_client()
    login(client, "coord@test")
    return client


def post_action(
    client: Any, case: Case, action: str, reason: str, version: int | None = None
) -> Any:
    extra, reason_name, _ = COORDINATOR_ACTIONS[action]
    data = {**extra, reason_name: reason}
    if action == "assign":
        data["assign-physician"] = str(_physician_id(client, case))
    if action != "note":
        prefix = reason_name.split("-")[0]
        data[f"{prefix}-version"] = str(case.version if version is None else version)
    return act(client, case.public_id, action, **data)


def _physician_id(client: Any, case: Case) -> int:
    page = client.get(f"/staff/cases/{case.public_id}").get_data(as_text=True)
    return int(re.search(r'<select[^>]*id="assign-physician".*?value="(\d+)"', page, re.S)[1])


def textarea(page: str, field_id: str) -> str:
    found = re.search(rf'<textarea[^>]*id="{field_id}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, f"no textarea {field_id}"
    return unescape(found[1]).strip()


def summary_links(page: str) -> list[tuple[str, str]]:
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert summary, "no error summary"
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary[0])


def open_details(page: str) -> list[str]:
    return re.findall(r'<details class="action[^"]*" id="([^"]+)" open>', page)


@pytest.mark.parametrize("action", COORDINATOR_ACTIONS)
def test_a_missing_reason_shows_the_form_open_with_its_error_beside_the_field_and_linked(
    coordinator: Any, case: Case, action: str
) -> None:
    html_id = COORDINATOR_ACTIONS[action][2]
    field = f"{html_id}-{'note' if action == 'note' else 'reason'}"
    response = post_action(coordinator, case, action, "")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<title>Error: Case" in page
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and ("Give a reason" in error[1] or "Write the note" in error[1])
    assert re.search(rf'<textarea[^>]*aria-describedby="[^"]*{field}-error"[^>]*aria-invalid', page)
    [(target, message)] = summary_links(page)
    assert target == field and message in error[1]
    assert f"{html_id}-action" in open_details(page)
    assert stored_case(coordinator.application, case.id).status == "routed"


@pytest.mark.parametrize("action", COORDINATOR_ACTIONS)
def test_a_refused_form_keeps_what_was_typed_and_the_other_forms_stay_empty(
    coordinator: Any, case: Case, action: str
) -> None:
    html_id = COORDINATOR_ACTIONS[action][2]
    field = f"{html_id}-{'note' if action == 'note' else 'reason'}"
    response = post_action(coordinator, case, action, LONG_TEXT)  # too long: refused
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert textarea(page, field) == LONG_TEXT.strip()
    assert "2,000 characters or fewer" in page
    for other, (_, _, other_id) in COORDINATOR_ACTIONS.items():
        if other != action:
            assert textarea(page, f"{other_id}-{'note' if other == 'note' else 'reason'}") == ""
    if action == "request-info":  # the ticked step stays ticked
        assert re.search(
            r'<input checked[^>]*id="info-steps-2"|id="info-steps-2"[^>]*checked', page
        )


def test_a_reason_of_spaces_is_refused_by_casework_beside_the_field(
    coordinator: Any, case: Case
) -> None:
    """Spaces pass the form's "required"; casework's rule refuses them, and the page maps its
    error onto the field it names."""
    response = post_action(coordinator, case, "decline", "   ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert summary_links(page) == [
        ("decline-reason", "Give a reason: it goes into the case history.")
    ]
    assert 'id="decline-reason-error"' in page


def test_casework_names_the_field_of_a_missing_reason(
    app: Any, staff: dict[str, int], case: Case
) -> None:
    with pytest.raises(casework.InvalidAction) as refused:
        casework.add_note(app.extensions["ldn"].sessions, staff["coordinator"], case.id, " ")
    assert refused.value.field == "note"


def test_someone_acting_first_is_said_beside_the_form_and_the_typed_reason_is_kept(
    app: Any, staff: dict[str, int], coordinator: Any, case: Case
) -> None:
    stale = case.version
    casework.add_note(app.extensions["ldn"].sessions, staff["admin"], case.id, "calling")
    casework.reroute(
        app.extensions["ldn"].sessions, staff["admin"], case.id, None, "coordinator", "check"
    )
    typed = "Out of our licensed states: the patient moved to Oregon."
    response = post_action(coordinator, case, "decline", typed, version=stale)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    problem = re.search(
        r'<div class="notice notice--error" id="decline-problem".*?</div>', page, re.S
    )
    assert problem and "Ada Admin changed this case first (rerouted, " in problem[0]
    assert summary_links(page)[0][0] == "decline-problem"
    assert "decline-action" in open_details(page)
    assert textarea(page, "decline-reason") == typed
    # The form now carries the version shown, so sending again is a decision on the case as is.
    current = stored_case(app, case.id).version
    assert f'name="act-version" value="{current}"' in page
    assert stored_case(app, case.id).status == "routed"


def test_a_refused_page_has_no_two_elements_with_one_id(coordinator: Any, case: Case) -> None:
    page = post_action(coordinator, case, "waitlist", "").get_data(as_text=True)
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert [name for name, count in ids.items() if count > 1] == []


def test_a_valid_action_still_redirects_with_its_message(coordinator: Any, case: Case) -> None:
    response = post_action(coordinator, case, "waitlist", "Waiting for a Texas physician.")
    assert response.status_code == 302
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Case moved to the waitlist." in page and "error-summary" not in page


# --- the physician's decision ---------------------------------------------------------------


@pytest.fixture
def doctor(app: Any, staff: dict[str, int]) -> Any:
    client = app.test_client()
    login(client, "tx@test")
    return client


def test_accept_and_decline_each_have_their_own_labelled_box(doctor: Any, case: Case) -> None:
    page = doctor.get(f"/staff/cases/{case.public_id}").get_data(as_text=True)
    accept = re.search(r'<form[^>]*id="accept-decision".*?</form>', page, re.S)[0]
    decline = re.search(r'<form[^>]*id="physician-decline-decision".*?</form>', page, re.S)[0]
    assert "<legend>Accept this case</legend>" in accept
    assert '<label for="accept-note">Note for the case history (optional)</label>' in accept
    assert 'name="accept-note"' in accept and "act-reason" not in accept
    assert "<legend>Decline and return it to the coordinators</legend>" in decline
    assert '<label for="physician-decline-reason">Why you decline this case</label>' in decline
    assert 'name="act-reason"' in decline and "accept-note" not in decline
    assert page.count("<textarea") == 3  # accept's note, decline's reason, and a case note


def test_a_physician_declining_without_a_reason_is_told_beside_the_decline_box(
    app: Any, doctor: Any, case: Case
) -> None:
    response = act(
        doctor,
        case.public_id,
        "physician-decline",
        **{"act-reason": "", "act-version": str(case.version)},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert summary_links(page) == [
        (
            "physician-decline-reason",
            "Give a reason for declining: the coordinators read it in the case history.",
        )
    ]
    assert 'id="physician-decline-reason-error"' in page and 'id="accept-note-error"' not in page
    assert stored_case(app, case.id).status == "routed"


def test_a_physician_may_accept_with_a_note_for_the_history(
    app: Any, doctor: Any, case: Case
) -> None:
    response = act(
        doctor,
        case.public_id,
        "accept",
        **{"accept-version": str(case.version), "accept-note": "Start at 1.5 mg."},
    )
    assert response.status_code == 302
    page = doctor.get(f"/staff/cases/{case.public_id}").get_data(as_text=True)
    assert "<strong>accepted</strong> · note: Start at 1.5 mg." in page
    assert stored_case(app, case.id).status == "accepted"
