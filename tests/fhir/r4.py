"""FHIR validation for the tests: the R4B models of fhir.resources 8.x.

fhir.resources 8.x ships R5 by default and R4B (4.3) under ``fhir.resources.R4B``; it has no
R4 (4.0.1) package, and the official R4 JSON schema cannot be fetched here. R4B is the
R4-compatible release: the resources we export (Bundle, Patient, Questionnaire,
QuestionnaireResponse, Condition, MedicationStatement, RiskAssessment, DetectedIssue) have the
same elements in R4 and R4B, and the builders use only those. The models reject unknown
elements, wrong types, bad dates and empty strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

__all__ = ["validate", "references", "resources"]


def validate(resource: dict[str, Any]) -> None:
    """Raise pydantic's ValidationError, naming each bad element, if the resource is not R4."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def references(node: Any) -> Iterator[str]:
    """Every Reference.reference anywhere in a resource."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == resource_type
    ]
