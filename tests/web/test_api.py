"""The JSON API of service-contract §3, against a real database and Redis."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from tests.conftest import TODAY
from workflows.cases.models import Case


def count_cases(client: Any) -> int:
    with client.application.extensions["ldn"].sessions() as db:
        return db.scalar(select(func.count()).select_from(Case))


def test_a_valid_intake_is_accepted_with_202_and_a_token(
    client: Any, base_intake: dict[str, Any]
) -> None:
    base_intake["submitted_at"] = "1999-01-01"  # the server's date wins
    response = client.post("/api/v1/intakes", json=base_intake)
    assert response.status_code == 202
    body = response.get_json()
    assert set(body) == {"id", "status", "status_url", "access_token"}
    assert body["status"] == "received" and body["status_url"].endswith(
        f"/api/v1/intakes/{body['id']}"
    )
    status = client.get(
        f"/api/v1/intakes/{body['id']}", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert status.status_code == 200
    assert status.get_json()["submitted_at"] == TODAY.isoformat()
    assert set(status.get_json()) == {"id", "status", "submitted_at", "message"}


def test_an_invalid_intake_gets_422_with_one_entry_per_field_and_stores_nothing(
    client: Any, base_intake: dict[str, Any]
) -> None:
    base_intake["medications"] = [{"name": "oxycodone", "status": "stopped"}]
    base_intake["goals"][0]["severity"] = 11
    base_intake["history"]["liver_disease"] = "maybe"
    response = client.post("/api/v1/intakes", json=base_intake)
    assert response.status_code == 422
    fields = {error["field"]: error["message"] for error in response.get_json()["errors"]}
    assert set(fields) == {
        "medications[0].stopped_on",
        "goals[0].severity",
        "history.liver_disease",
    }
    assert count_cases(client) == 0


def test_the_api_and_the_form_say_the_same_about_a_missing_stopped_date(
    client: Any, base_intake: dict[str, Any]
) -> None:
    from intake.patient.forms import STOPPED_ON_REQUIRED

    base_intake["medications"] = [{"name": "oxycodone", "status": "stopped"}]
    [error] = client.post("/api/v1/intakes", json=base_intake).get_json()["errors"]
    assert error["message"] == STOPPED_ON_REQUIRED


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"text"'])
def test_a_body_that_is_not_an_intake_object_gets_422(client: Any, body: str) -> None:
    response = client.post("/api/v1/intakes", data=body, content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "(document)"


def test_a_wrong_or_missing_token_gets_404_like_an_unknown_id(
    client: Any, base_intake: dict[str, Any]
) -> None:
    body = client.post("/api/v1/intakes", json=base_intake).get_json()
    url = f"/api/v1/intakes/{body['id']}"
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 404
    unknown = client.get(
        "/api/v1/intakes/LDN-XXXX-XXXX", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert unknown.status_code == 404
    assert (
        client.get(url, headers={"Authorization": "Bearer wrong"}).get_json() == unknown.get_json()
    )


def test_submissions_are_rate_limited_per_address(app: Any, base_intake: dict[str, Any]) -> None:
    app.config["API_RATE_LIMIT_PER_MINUTE"] = 3
    client = app.test_client()
    codes = [client.post("/api/v1/intakes", json=base_intake).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]


def test_healthz_reports_database_redis_and_workers(client: Any, worker: Any) -> None:
    response = client.get("/healthz?timeout=0.5")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok" and body["redis"] == "ok" and body["workers"] >= 1


def test_healthz_names_what_is_down(tmp_path: Any, database_url: str) -> None:
    from intake import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis+socket://{tmp_path}/nothing-here.sock",
            "INSTANCE_PATH": tmp_path / "instance",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert (
        body["database"] == "ok" and body["redis"].startswith("down") and body["down"] == ["redis"]
    )


def test_the_openapi_document_describes_the_endpoints_and_the_intake(
    client: Any, base_intake: dict[str, Any]
) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert {"/api/v1/intakes", "/api/v1/intakes/{id}", "/healthz"} <= set(document["paths"])
    # The published intake schema accepts a valid intake and refuses an invalid one.
    schema = {**document["components"]["schemas"]["Intake"], "components": document["components"]}
    text = json.dumps(schema).replace("#/components/schemas/", "#/components/schemas/")
    validator = Draft202012Validator(json.loads(text))
    assert validator.is_valid(base_intake)
    base_intake["goals"][0]["severity"] = 11
    assert not validator.is_valid(base_intake)


@pytest.mark.parametrize("timeout", ["abc", "nan", "inf", "0", "-1", "0.6", "5", "1e9", "1.6e308"])
def test_healthz_refuses_a_timeout_that_is_not_a_short_positive_number(
    client: Any, timeout: str
) -> None:
    # Schemathesis found 1.6e308 to be a server error (OverflowError in the workers' ping);
    # "abc" was one too (ValueError), and 1e9 would have held a web thread for 30 years.
    response = client.get(f"/healthz?timeout={timeout}")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "bad_request",
        "message": "timeout must be a number of seconds above 0 and at most 0.5.",
    }
