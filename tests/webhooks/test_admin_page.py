"""/staff/admin/webhooks: admins only, CSRF on every form, every change audited, the secret
shown once, and the deliveries listed with their outcome."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import wait_until
from tests.staff.helpers import PASSWORD, csrf, login, make_staff
from tests.webhooks.receiver import Receiver
from workflows.messaging.models import WebhookEndpoint
from workflows.staff.accounts import create_staff
from workflows.staff.models import AuditEntry, Role

PAGE = "/staff/admin/webhooks"
SECRET = re.compile(r"<code class=\"resume-link\" data-secret>(whsec_[0-9a-f]{64})</code>")


@pytest.fixture
def admin(app: Any) -> Any:
    make_staff(app)
    client = app.test_client()
    login(client, "admin@test")
    return client


def endpoints(app: Any) -> list[WebhookEndpoint]:
    with app.extensions["ldn"].sessions() as db:
        return list(db.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def audited(app: Any, action: str) -> list[dict[str, Any]]:
    with app.extensions["ldn"].sessions() as db:
        query = select(AuditEntry.detail).where(AuditEntry.action == action)
        return list(db.scalars(query))


def register(client: Any, url: str, events: tuple[str, ...] = ("case.routed",)) -> Any:
    return client.post(
        PAGE,
        data={
            "url": url,
            "description": "CRM",
            "events": list(events),
            "csrf_token": csrf(client, PAGE),
        },
        follow_redirects=True,
    )


@pytest.mark.parametrize(
    ("email", "home"), [("coord@test", "/staff/queue"), ("tx@test", "/staff/physician")]
)
def test_coordinators_and_physicians_may_not_see_or_change_webhooks(
    app: Any, admin: Any, email: str, home: str
) -> None:
    register(admin, "https://crm.example/h")
    client = app.test_client()
    login(client, email)
    assert client.get(PAGE).status_code == 403
    token = csrf(client, home)  # a valid token of their own session: the role is what refuses
    data = {"url": "https://other.example/h", "events": "case.routed", "csrf_token": token}
    assert client.post(PAGE, data=data).status_code == 403
    for action in ("deactivate", "rotate", "test"):
        assert client.post(f"{PAGE}/1/{action}", data={"csrf_token": token}).status_code == 403
    (stored,) = endpoints(app)
    assert stored.url == "https://crm.example/h" and stored.is_active


def test_strangers_are_sent_to_sign_in(client: Any) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_the_staff_navigation_links_the_page_for_admins_only(app: Any, admin: Any) -> None:
    assert f'href="{PAGE}"' in admin.get("/staff/queue").get_data(as_text=True)
    coordinator = app.test_client()
    login(coordinator, "coord@test")
    assert f'href="{PAGE}"' not in coordinator.get("/staff/queue").get_data(as_text=True)


def test_an_admin_registers_an_endpoint_sees_its_secret_once_and_it_is_audited(
    app: Any, admin: Any
) -> None:
    response = register(
        admin, "https://crm.practice.example/hooks", ("case.routed", "case.declined")
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    (stored,) = endpoints(app)
    assert SECRET.search(page).group(1) == stored.secret
    assert stored.url == "https://crm.practice.example/hooks" and stored.is_active
    assert stored.event_types == {"events": ["case.routed", "case.declined"]}
    # Shown once: the page it was shown on, reloaded, no longer has it.
    assert stored.secret not in admin.get(response.request.full_path).get_data(as_text=True)
    assert stored.secret not in admin.get(PAGE).get_data(as_text=True)
    (entry,) = audited(app, "webhook_registered")
    assert entry["endpoint_id"] == stored.id and entry["url"] == stored.url
    assert stored.secret not in str(entry)


def test_the_page_that_showed_a_secret_shows_it_to_no_other_admin(app: Any, admin: Any) -> None:
    create_staff(app.extensions["ldn"].sessions, "admin2@test", "Abe Admin", Role.ADMIN, PASSWORD)
    response = register(admin, "https://crm.practice.example/hooks")
    (stored,) = endpoints(app)
    other = app.test_client()
    login(other, "admin2@test")
    assert stored.secret not in other.get(response.request.full_path).get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(app: Any, admin: Any) -> None:
    response = admin.post(PAGE, data={"url": "https://crm.example/h", "events": "case.routed"})
    assert response.status_code == 400
    assert endpoints(app) == []
    register(admin, "https://crm.example/h")
    (stored,) = endpoints(app)
    assert admin.post(f"{PAGE}/{stored.id}/deactivate").status_code == 400
    assert admin.post(f"{PAGE}/{stored.id}/rotate").status_code == 400
    assert endpoints(app)[0].is_active and endpoints(app)[0].secret == stored.secret


@pytest.mark.parametrize(
    ("url", "events", "message"),
    [
        ("http://crm.practice.example/hooks", ("case.routed",), "must use https://"),
        ("https://user:pw@crm.practice.example/h", ("case.routed",), "passwords out"),
        ("https://crm.practice.example/hooks", (), "Choose at least one event."),
        ("", ("case.routed",), "Enter the endpoint"),
    ],
)
def test_a_bad_registration_says_what_is_wrong_and_keeps_what_was_typed(
    app: Any, admin: Any, url: str, events: tuple[str, ...], message: str
) -> None:
    response = register(admin, url, events)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'role="alert"' in page
    assert 'value="CRM"' in page
    assert endpoints(app) == []


def test_an_admin_deactivates_and_rotates_and_each_change_is_audited(app: Any, admin: Any) -> None:
    register(admin, "https://crm.practice.example/hooks")
    (stored,) = endpoints(app)
    rotated = admin.post(
        f"{PAGE}/{stored.id}/rotate", data={"csrf_token": csrf(admin, PAGE)}, follow_redirects=True
    )
    new_secret = SECRET.search(rotated.get_data(as_text=True)).group(1)
    assert new_secret != stored.secret and endpoints(app)[0].secret == new_secret
    response = admin.post(f"{PAGE}/{stored.id}/deactivate", data={"csrf_token": csrf(admin, PAGE)})
    assert response.status_code == 302
    assert not endpoints(app)[0].is_active
    assert "deactivated" in admin.get(PAGE).get_data(as_text=True)
    assert [e["endpoint_id"] for e in audited(app, "webhook_secret_rotated")] == [stored.id]
    assert [e["endpoint_id"] for e in audited(app, "webhook_deactivated")] == [stored.id]
    assert (
        admin.post(f"{PAGE}/999/deactivate", data={"csrf_token": csrf(admin, PAGE)}).status_code
        == 404
    )


def test_a_test_event_reaches_the_receiver_signed_and_the_page_lists_its_outcome(
    app: Any, admin: Any, worker: Any, receiver: Receiver
) -> None:
    secret = SECRET.search(register(admin, receiver.url()).get_data(as_text=True)).group(1)
    (stored,) = endpoints(app)
    response = admin.post(f"{PAGE}/{stored.id}/test", data={"csrf_token": csrf(admin, PAGE)})
    assert response.status_code == 302
    (request,) = wait_until(receiver.received)
    assert request.headers["LDN-Event-Type"] == "test.ping" and request.is_signed_by(secret)
    assert audited(app, "webhook_test_sent")[0]["event_id"] == request.payload["id"]

    def listed(status: str) -> str:
        return admin.get(f"{PAGE}?status={status}").get_data(as_text=True)

    page = wait_until(lambda: "delivered</span>" in listed("delivered") and listed("delivered"))
    assert request.payload["id"] in page
    assert request.payload["id"] not in listed("failed")
    assert "No deliveries with this outcome." in listed("failed")


def test_a_refused_registration_links_each_error_in_the_summary_to_its_field(admin: Any) -> None:
    response = register(admin, "", ())
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)[0]
    assert re.findall(r'<a href="#([^"]+)">', summary) == ["wh-url", "wh-events-0"]
    assert 'id="wh-url-error"' in page and 'id="wh-events-error"' in page
    assert "<title>Error: Webhooks" in page
