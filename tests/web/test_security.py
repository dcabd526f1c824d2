"""Security: headers, CSRF on every form, rate limits, tokens unguessable and stored hashed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.staff.helpers import make_staff, routed_case
from tests.web.intake_client import ABOUT, complete_until, csrf_token, post_step
from workflows.cases.models import Case, Draft


def test_every_page_carries_the_security_headers(client: Any) -> None:
    response = client.get("/intake/about")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # plain http in development


def test_https_deployments_get_hsts_and_secure_cookies(
    tmp_path: Any, database_url: str, redis_url: str
) -> None:
    from intake import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "INSTANCE_PATH": tmp_path / "instance",
            "PUBLIC_URL": "https://intake.example",
        }
    )
    client = app.test_client()
    response = client.get("/intake/about", base_url="https://intake.example")
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    post = post_step_https(client)
    assert "Secure" in post.headers.get("Set-Cookie", "")


def post_step_https(client: Any) -> Any:
    import re

    page = client.get("/intake/about", base_url="https://intake.example").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post(
        "/intake/about",
        data={**ABOUT, "csrf_token": token},
        base_url="https://intake.example",
        headers={"Referer": "https://intake.example/intake/about"},
    )


@pytest.mark.parametrize(
    "path",
    [
        "/intake/about",
        "/intake/diagnoses",
        "/intake/medications",
        "/intake/history",
        "/intake/goals",
        "/intake/ketosis",
        "/intake/review",
        "/intake/start-over",
        "/intake/amend/send",
        "/staff/login",
        "/staff/logout",
    ],
)
def test_every_form_refuses_a_post_without_its_csrf_token(client: Any, path: str) -> None:
    complete_until(client, "ketosis")
    assert client.post(path, data={"action": "next"}).status_code == 400


def test_staff_actions_refuse_a_post_without_its_csrf_token(
    app: Any, base_intake: dict[str, Any]
) -> None:
    from tests.staff.helpers import login

    make_staff(app)
    case = routed_case(app, base_intake)
    client = app.test_client()
    login(client, "coord@test")
    for action in ["assign", "reroute", "request-info", "waitlist", "decline", "note"]:
        assert (
            client.post(
                f"/staff/cases/{case.public_id}/{action}", data={"act-reason": "x"}
            ).status_code
            == 400
        )


def test_staff_sign_in_is_rate_limited_per_address(client: Any) -> None:
    make_staff(client.application)
    from tests.staff.helpers import login

    codes = [login(client, "nobody@test", "wrong").status_code for _ in range(11)]
    assert codes[-1] == 429 and 429 not in codes[:10]


def test_resume_token_guessing_is_rate_limited(client: Any) -> None:
    codes = [client.get(f"/intake/resume?t=guess-{n}").status_code for n in range(21)]
    assert codes[:20] == [404] * 20 and codes[20] == 429


def test_care_team_link_guessing_is_rate_limited_like_the_resume_link(client: Any) -> None:
    codes = [client.get(f"/intake/amend?t=guess-{n}").status_code for n in range(21)]
    assert codes[:20] == [404] * 20 and codes[20] == 429


def test_the_date_of_birth_check_limits_answers_not_views_of_its_page(client: Any) -> None:
    assert 429 not in [client.get("/intake/check").status_code for _ in range(25)]
    token = csrf_token(client, "/intake/about")
    answers = [
        client.post("/intake/check", data={"csrf_token": token}).status_code for _ in range(21)
    ]
    assert 429 not in answers[:20] and answers[20] == 429


def test_tokens_are_long_random_and_stored_only_as_hashes(
    app: Any, client: Any, base_intake: dict[str, Any]
) -> None:
    body = client.post("/api/v1/intakes", json=base_intake).get_json()
    assert len(body["access_token"]) >= 43  # 32 random bytes
    post_step(client, "about", ABOUT)
    with client.session_transaction() as session:
        resume_token = session["resume_token"]
    with app.extensions["ldn"].sessions() as db:
        case = db.scalars(select(Case).where(Case.public_id == body["id"])).one()
        draft = db.scalars(select(Draft)).one()
    assert body["access_token"] not in case.access_token_hash and len(case.access_token_hash) == 64
    assert resume_token not in draft.token_hash and len(draft.token_hash) == 64


def test_a_patient_token_never_reaches_staff_data(client: Any, base_intake: dict[str, Any]) -> None:
    body = client.post("/api/v1/intakes", json=base_intake).get_json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get(f"/api/v1/cases/{body['id']}", headers=headers).status_code == 401
    assert client.get("/api/v1/queue", headers=headers).status_code == 401
    assert client.get("/staff/queue", headers=headers).status_code == 302


@pytest.mark.parametrize(
    "address",
    [
        "/api/v1/intakes/LDN%00X",
        "/api/v1/queue?queue=physician%00",
        "/api/v1/cases/%00",
        "/staff/queue?status=%00",
        "/healthz?%00=1",
    ],
)
def test_an_address_with_a_nul_character_gets_400_not_a_server_error(
    app: Any, address: str
) -> None:
    # Schemathesis found ?queue= with a NUL to be a server error on PostgreSQL (text cannot
    # hold one); every address of the service refuses it up front, for staff too.
    from workflows.staff.accounts import issue_api_token

    make_staff(app)
    token = issue_api_token(app.extensions["ldn"].sessions, "coord@test")
    response = app.test_client().get(address, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    if not address.startswith("/staff"):
        assert response.get_json() == {
            "error": "bad_request",
            "message": "The address contains a NUL character (%00); remove it.",
        }
