"""The FHIR endpoints: a case's Bundle for staff who may see the case (audited, never cached),
and the public Questionnaire (cacheable, revalidated by ETag)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.fhir.r4 import references, resources, validate
from tests.staff.helpers import login, make_staff, routed_case
from workflows.staff.accounts import issue_api_token
from workflows.staff.models import AuditEntry

FHIR_JSON = "application/fhir+json"


@pytest.fixture
def case_id(app: Any, base_intake: dict[str, Any]) -> str:
    make_staff(app)
    base_intake["medications"] = [{"name": "Synthroid 50 mcg", "status": "current"}]
    return routed_case(app, base_intake).public_id


def bearer(app: Any, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_api_token(app.extensions['ldn'].sessions, email)}"}


def exports(app: Any) -> list[tuple[str, int | None, dict[str, Any]]]:
    with app.extensions["ldn"].sessions() as db:
        rows = db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "case_fhir_exported")
            .order_by(AuditEntry.id)
        )
        return [(row.actor, row.case_id, row.detail) for row in rows]


@pytest.mark.parametrize("email", ["coord@test", "admin@test", "tx@test"])
def test_staff_who_may_see_the_case_get_a_valid_bundle(app: Any, case_id: str, email: str) -> None:
    response = app.test_client().get(f"/api/v1/cases/{case_id}/fhir", headers=bearer(app, email))
    assert response.status_code == 200
    assert response.mimetype == FHIR_JSON
    assert response.headers["Cache-Control"] == "no-store"
    bundle = response.get_json(force=True)
    validate(bundle)
    assert bundle["identifier"]["value"] == case_id
    assert set(references(bundle)) <= {entry["fullUrl"] for entry in bundle["entry"]}
    [issue] = resources(bundle, "DetectedIssue")
    assert issue["code"]["coding"][0]["code"] == "THYROID_REPLACEMENT"
    public_url = app.extensions["ldn"].settings.public_url
    assert bundle["entry"][1]["resource"]["questionnaire"].startswith(
        f"{public_url}/fhir/Questionnaire/ldn-intake|intake-"
    )


def test_every_export_is_audited_with_who_and_which_case(app: Any, case_id: str) -> None:
    headers = bearer(app, "coord@test")
    client = app.test_client()
    client.get(f"/api/v1/cases/{case_id}/fhir", headers=headers)
    client.get(f"/api/v1/cases/{case_id}/fhir", headers=headers)
    audited = exports(app)
    assert len(audited) == 2
    actor, audited_case, detail = audited[0]
    assert actor == "coordinator:coord@test" and audited_case is not None
    assert detail == {"resources": 6}  # counts only: no patient data in the audit log


def test_a_physician_licensed_elsewhere_gets_404_like_an_unknown_case(
    app: Any, case_id: str
) -> None:
    client = app.test_client()
    headers = bearer(app, "il@test")
    assert client.get(f"/api/v1/cases/{case_id}/fhir", headers=headers).status_code == 404
    assert client.get("/api/v1/cases/no-such-case/fhir", headers=headers).status_code == 404
    coordinator = bearer(app, "coord@test")
    assert client.get("/api/v1/cases/no-such-case/fhir", headers=coordinator).status_code == 404
    assert exports(app) == []


def test_strangers_and_patient_tokens_are_refused(
    client: Any, case_id: str, base_intake: dict[str, Any]
) -> None:
    url = f"/api/v1/cases/{case_id}/fhir"
    assert client.get(url).status_code == 401
    patient_token = client.post("/api/v1/intakes", json=base_intake).get_json()["access_token"]
    refused = client.get(url, headers={"Authorization": f"Bearer {patient_token}"})
    assert refused.status_code == 401
    assert "Patient" not in refused.get_data(as_text=True)


def test_a_signed_in_coordinator_finds_the_export_link_on_the_case_page(
    app: Any, case_id: str
) -> None:
    client = app.test_client()
    login(client, "coord@test")
    page = client.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert f'href="/api/v1/cases/{case_id}/fhir"' in page and "Export FHIR" in page
    response = client.get(f"/api/v1/cases/{case_id}/fhir")  # the session works, no token
    assert response.status_code == 200 and response.mimetype == FHIR_JSON
    assert len(exports(app)) == 1


def test_the_questionnaire_is_public_cacheable_and_revalidated_by_etag(app: Any) -> None:
    client = app.test_client()
    response = client.get("/fhir/Questionnaire/ldn-intake")
    assert response.status_code == 200
    assert response.mimetype == FHIR_JSON
    assert "public" in response.headers["Cache-Control"]
    questionnaire = response.get_json(force=True)
    validate(questionnaire)
    public_url = app.extensions["ldn"].settings.public_url
    assert questionnaire["url"] == f"{public_url}/fhir/Questionnaire/ldn-intake"
    etag = response.headers["ETag"]
    again = client.get("/fhir/Questionnaire/ldn-intake", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


def test_the_openapi_document_describes_both_fhir_endpoints(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    export = paths["/api/v1/cases/{id}/fhir"]["get"]
    assert {"200", "401", "404"} <= set(export["responses"])
    assert FHIR_JSON in export["responses"]["200"]["content"]
    assert (
        FHIR_JSON in paths["/fhir/Questionnaire/ldn-intake"]["get"]["responses"]["200"]["content"]
    )
