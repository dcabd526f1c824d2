"""Links that leave the service are built from PUBLIC_URL, whatever Host a request names
(issue 16, low: Host header poisoning of emailed links and the API's status_url)."""

from __future__ import annotations

from typing import Any

from tests.web.intake_client import ABOUT, post_step
from workflows.messaging.mail import newest_messages

EVIL = "evil.example"
PUBLIC = "http://localhost"  # the tests' PUBLIC_URL (tests/conftest.py build_app)


def test_the_api_status_url_ignores_the_host_header(app: Any, base_intake: dict[str, Any]) -> None:
    response = app.test_client().post("/api/v1/intakes", json=base_intake, headers={"Host": EVIL})
    body = response.get_json()
    assert body["status_url"] == f"{PUBLIC}/api/v1/intakes/{body['id']}"
    assert response.headers["Location"] == body["status_url"]


def test_the_emailed_resume_link_ignores_the_host_header(app: Any) -> None:
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = EVIL
    assert post_step(client, "about", ABOUT).status_code == 302
    [message] = newest_messages(app.extensions["ldn"].sessions)
    assert f"{PUBLIC}/intake/resume?t=" in message.body
    assert EVIL not in message.body
