"""Canonical URLs of the export: the Questionnaire, the practice's code systems, the case id.

All hang off the service's public URL (``PUBLIC_URL``), so an EHR can tell one practice's codes
from another's. Only the Questionnaire is served; the code systems name codes that are defined
in the project's contracts (screening-contract.md §3-4, schemas/intake.schema.json).
"""

from __future__ import annotations

__all__ = [
    "FHIR_JSON",
    "QUESTIONNAIRE_ID",
    "ICD10CM",
    "questionnaire_url",
    "code_system",
    "case_identifier_system",
]

FHIR_JSON = "application/fhir+json"
QUESTIONNAIRE_ID = "ldn-intake"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
# HL7 terminology (THO) code systems used by R4 Condition.
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"


def _base(base_url: str) -> str:
    return base_url.rstrip("/")


def questionnaire_url(base_url: str) -> str:
    return f"{_base(base_url)}/fhir/Questionnaire/{QUESTIONNAIRE_ID}"


def code_system(base_url: str, name: str) -> str:
    """``<PUBLIC_URL>/fhir/CodeSystem/ldn-<name>``: screening flags, decisions, answers."""
    return f"{_base(base_url)}/fhir/CodeSystem/ldn-{name.replace('_', '-')}"


def case_identifier_system(base_url: str) -> str:
    return f"{_base(base_url)}/fhir/sid/case"
