"""FHIR R4 endpoints: the intake Questionnaire (public) and a case's Bundle (staff only).

The builders are pure (workflows/fhir); finding the case, checking who may see it and auditing
the export is workflows/cases/case_reads.py; these views answer ``application/fhir+json``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import abort, current_app, request

from intake.api.views import bp
from intake.services import services
from intake.staff.auth import Principal, api_role_required
from workflows.cases.case_reads import export_case as export_case_bundle
from workflows.cases.models import Case
from workflows.fhir import FHIR_JSON, QUESTIONNAIRE_ID, CaseView, case_bundle, questionnaire
from workflows.platform.orm import utcnow

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
    bundle = export_case_bundle(
        services().sessions,
        staff.id,
        public_id,
        lambda case: case_bundle(case_view(case), _base_url(), exported_at=utcnow()),
    )
    if bundle is None:
        abort(404, description="No such case.")
    filename = f"case-{public_id}.fhir.json"
    response = _fhir_response(bundle)
    # Health data: never cached (the app also sets no-store on every /api/ answer).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
