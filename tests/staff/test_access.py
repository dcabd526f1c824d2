"""Every staff page and endpoint refuses the wrong people: nobody signed in, a patient's access
token, a staff member of the wrong role. And every staff view and change is audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.staff.helpers import act, login, make_staff, routed_case
from workflows.staff.accounts import issue_api_token
from workflows.staff.models import AuditEntry

PAGES = {
    "/staff/queue": {"coordinator", "admin"},
    "/staff/dashboard": {"coordinator", "admin"},
    "/staff/physician": {"physician"},
    "/staff/admin/audit": {"admin"},
    "/staff/admin/staff": {"admin"},
    "/staff/account": {"coordinator", "admin", "physician"},
    "/staff/admin/webhooks": {"admin"},
    "/staff/admin/operations": {"admin"},
    "/staff/admin/unidentified-medications": {"admin"},
    "/staff/admin/unidentified-medications.csv": {"admin"},
    "/staff/cases/{case}": {"coordinator", "admin", "physician"},
}
API = {
    "/api/v1/cases/{case}": {"coordinator", "admin", "physician"},
    "/api/v1/queue?queue=physician": {"coordinator", "admin", "physician"},
}
LOGINS = {"coordinator": "coord@test", "admin": "admin@test", "physician": "tx@test"}


@pytest.fixture
def case_id(app: Any, base_intake: dict[str, Any]) -> str:
    make_staff(app)
    return routed_case(app, base_intake).public_id


@pytest.mark.parametrize("path", PAGES)
def test_staff_pages_send_strangers_to_the_login(client: Any, case_id: str, path: str) -> None:
    response = client.get(path.format(case=case_id))
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("path", "role"), [(p, r) for p, roles in PAGES.items() for r in LOGINS if r not in roles]
)
def test_staff_pages_refuse_the_wrong_role(app: Any, case_id: str, path: str, role: str) -> None:
    client = app.test_client()
    login(client, LOGINS[role])
    assert client.get(path.format(case=case_id)).status_code == 403


# sorted: a set's order changes between processes, and pytest-xdist's workers must collect the
# same tests in the same order.
@pytest.mark.parametrize(
    ("path", "role"), [(p, r) for p, roles in PAGES.items() for r in sorted(roles)]
)
def test_staff_pages_open_for_the_right_role(app: Any, case_id: str, path: str, role: str) -> None:
    client = app.test_client()
    login(client, LOGINS[role])
    response = client.get(path.format(case=case_id))
    assert response.status_code == 200
    if path == "/staff/dashboard":
        assert "<svg" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", API)
def test_staff_api_refuses_no_token_and_a_patient_token(
    client: Any, case_id: str, base_intake: dict[str, Any], path: str
) -> None:
    url = path.format(case=case_id)
    assert client.get(url).status_code == 401
    patient_token = client.post("/api/v1/intakes", json=base_intake).get_json()["access_token"]
    assert client.get(url, headers={"Authorization": f"Bearer {patient_token}"}).status_code == 401


@pytest.mark.parametrize("path", API)
def test_staff_api_answers_a_staff_token(app: Any, case_id: str, path: str) -> None:
    token = issue_api_token(app.extensions["ldn"].sessions, "coord@test")
    response = app.test_client().get(
        path.format(case=case_id), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


def test_the_case_api_returns_the_case_and_audits_the_read(app: Any, case_id: str) -> None:
    token = issue_api_token(app.extensions["ldn"].sessions, "coord@test")
    body = (
        app.test_client()
        .get(f"/api/v1/cases/{case_id}", headers={"Authorization": f"Bearer {token}"})
        .get_json()
    )
    assert (
        body["id"] == case_id
        and body["queue"] == "physician"
        and body["screening_result"]["decision"] == "eligible"
    )
    assert [event["action"] for event in body["history"]][:2] == ["received", "screening_started"]
    with app.extensions["ldn"].sessions() as db:
        assert db.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "case_read_api")
        ).all()


def test_a_physician_never_gets_a_case_outside_their_licences_by_page_or_api(
    app: Any, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    texas = routed_case(app, base_intake).public_id
    client = app.test_client()
    login(client, "il@test")
    assert client.get(f"/staff/cases/{texas}").status_code == 404
    token = issue_api_token(app.extensions["ldn"].sessions, "il@test")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/cases/{texas}", headers=headers).status_code == 404
    assert client.get("/api/v1/queue", headers=headers).get_json() == {"cases": [], "next": None}


def test_staff_actions_need_the_csrf_token(app: Any, case_id: str) -> None:
    client = app.test_client()
    login(client, "coord@test")
    response = client.post(f"/staff/cases/{case_id}/note", data={"note-note": "hi"})
    assert response.status_code == 400


def test_a_physician_cannot_use_coordinator_actions(app: Any, case_id: str) -> None:
    client = app.test_client()
    login(client, "tx@test")
    response = act(client, case_id, "decline", **{"act-reason": "no"})
    assert response.status_code == 403
    assert "Not saved: physician may not do this." in response.get_data(as_text=True)


def test_every_staff_view_and_change_is_audited(app: Any, case_id: str) -> None:
    client = app.test_client()
    login(client, "coord@test")
    client.get("/staff/queue")
    client.get(f"/staff/cases/{case_id}")
    act(client, case_id, "note", **{"note-note": "Called; voicemail."})
    with app.extensions["ldn"].sessions() as db:
        actions = list(
            db.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.actor == "coordinator:coord@test")
                .order_by(AuditEntry.id)
            )
        )
    assert actions[:2] == ["queue_viewed", "case_viewed"]
    assert "note" in actions
    admin = app.test_client()
    login(admin, "admin@test")
    page = admin.get(f"/staff/admin/audit?case={case_id}").get_data(as_text=True)
    assert "case_viewed" in page and "coordinator:coord@test" in page
