"""FHIR R4 endpoints: the intake Questionnaire (public) and a case's Bundle (staff only).

The builders are pure (workflows/fhir); these views only find the case, check who may see it,
audit the export and answer ``application/fhir+json``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import abort, current_app, request

from intake.api.views import bp, visible_case
from intake.services import services
from intake.staff.auth import Principal, api_role_required
from workflows.fhir import FHIR_JSON, QUESTIONNAIRE_ID, CaseView, case_bundle, questionnaire
from workflows.models import Case, StaffUser, utcnow
from workflows.staff import audit

__all__ = ["read_questionnaire", "export_case"]

# The Questionnaire holds no patient data and changes only with a release: caches may keep it
# and revalidate by ETag.
QUESTIONNAIRE_CACHE = "public, max-age=3600"


def _fhir_response(resource: dict[str, Any]) -> Any:
    body = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
    return current_app.response_class(body, mimetype=FHIR_JSON)


def _base_url() -> str:
    return services().settings.public_url


@bp.get(f"/fhir/Questionnaire/{QUESTIONNAIRE_ID}")
def read_questionnaire() -> Any:
    response = _fhir_response(questionnaire(_base_url()))
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.headers["Cache-Control"] = QUESTIONNAIRE_CACHE
    return response.make_conditional(request)


def case_view(case: Case) -> CaseView:
    return CaseView(
        public_id=case.public_id,
        submitted_at=case.submitted_at,
        intake=case.intake,
        screening_result=case.screening_result,
        patient_state=case.patient_state,
    )


@bp.get("/api/v1/cases/<public_id>/fhir")
@api_role_required("coordinator", "admin", "physician")
def export_case(staff: Principal, public_id: str) -> Any:
    with services().sessions() as db:
        case = visible_case(db, staff, public_id)
        if case is None:
            abort(404, description="No such case.")
        bundle = case_bundle(case_view(case), _base_url(), exported_at=utcnow())
        filename = f"case-{case.public_id}.fhir.json"
        audit.record(
            db,
            db.get(StaffUser, staff.id),
            "case_fhir_exported",
            case.id,
            resources=len(bundle["entry"]),
        )
        db.commit()
    response = _fhir_response(bundle)
    # Health data: never cached (the app also sets no-store on every /api/ answer).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
