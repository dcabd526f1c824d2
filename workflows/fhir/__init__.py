"""FHIR R4 export for the physician's EHR: the intake as a Questionnaire, a case as a Bundle.

    from workflows.fhir import CaseView, case_bundle, questionnaire
    questionnaire("https://intake.practice.example")           # the published Questionnaire
    case_bundle(CaseView(...), "https://intake.practice.example", exported_at=now)

Pure builders over plain data: no Flask, Celery or database (the staff API turns a stored
case into a CaseView). Output uses only elements of FHIR R4 (4.0.1).
"""

from .bundle import CaseView, case_bundle
from .data import FhirData, FhirDataError, fhir_data, load_fhir_data
from .questionnaire import questionnaire, questionnaire_version
from .systems import FHIR_JSON, QUESTIONNAIRE_ID, questionnaire_url

__all__ = [
    "FHIR_JSON",
    "QUESTIONNAIRE_ID",
    "CaseView",
    "FhirData",
    "FhirDataError",
    "case_bundle",
    "fhir_data",
    "load_fhir_data",
    "questionnaire",
    "questionnaire_url",
    "questionnaire_version",
]
