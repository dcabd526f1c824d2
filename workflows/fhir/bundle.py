"""A case as a FHIR R4 Bundle for the physician's EHR: the patient, the intake as a
QuestionnaireResponse, a Condition per diagnosis, a MedicationStatement per medication, the
screening as one RiskAssessment and one DetectedIssue per flag.

The Bundle is a ``collection``, not a ``document``: a document needs a Composition authored and
attested by someone, and nothing here is; it is patient-reported data and the output of
decision support, each resource meant to be imported (or not) on its own by the physician. Entries
are ``urn:uuid:`` ids derived from the case id, so exporting a case twice gives the same ids and
every reference resolves inside the Bundle. Pure: no Flask, database or clock (the caller says
when the export was made). Only elements present in FHIR R4 (4.0.1) are used; the tests validate
with the R4B models of fhir.resources (see questionnaire.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from workflows.screening.normalise import icd10_key

from . import systems
from .data import fhir_data
from .response import questionnaire_response

__all__ = ["CaseView", "case_bundle", "SEVERITY_OF_KIND"]

# How sure the screening is that a flag matters, in DetectedIssue's words: hard stops are
# "high"; cautions "moderate"; a ketosis caution only shapes an optional diet plan, so "low".
SEVERITY_OF_KIND = {
    "hard_stop": "high",
    "keto_stop": "high",
    "caution": "moderate",
    "keto_caution": "low",
    # Nothing is known to be wrong, but a person must find out (an unidentified medication).
    "review": "moderate",
}
KIND_WORDS = {
    "hard_stop": "LDN hard stop",
    "caution": "LDN caution",
    "keto_stop": "Ketosis plan stop",
    "keto_caution": "Ketosis plan caution",
    "review": "Needs a person's review",
}
SOURCE_WORDS = {
    "rules": "the practice's rule data",
    "everyday": "the practice's list of everyday medications and supplements",
    "vocabulary": "the drug vocabulary",
    "coordinator": "a coordinator's recorded identification",
}
DECISION_WORDS = {
    "eligible": "Eligible",
    "eligible_with_cautions": "Eligible with cautions",
    "needs_review": "Needs review",
    "ineligible": "Ineligible",
}
TIER_WORDS = {
    "A": "controlled trials exist",
    "B": "small studies or consistent case series",
    "C": "case reports or clinical experience only",
}
FOR_REVIEW = (
    "For physician review. The software screens, flags and routes; it never prescribes, and a "
    "physician of the practice makes every decision."
)
_INDEXED_FIELD = re.compile(r"^(diagnoses|medications)\[(\d+)\]")


@dataclass(frozen=True)
class CaseView:
    """What the export needs of a case, detached from the database."""

    public_id: str
    submitted_at: date
    intake: Mapping[str, Any]
    screening_result: Mapping[str, Any] | None
    patient_state: str | None = None  # the licensed state's code, or "OTHER"


class _Ids:
    """Stable urn:uuid ids for the resources of one case."""

    def __init__(self, base_url: str, public_id: str) -> None:
        self._seed = f"{base_url.rstrip('/')}/cases/{public_id}/"

    def __call__(self, name: str) -> str:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, self._seed + name)}"


def _ref(full_url: str) -> dict[str, str]:
    return {"reference": full_url}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _patient(intake: Mapping[str, Any], patient_state: str | None) -> dict[str, Any]:
    """Only what the intake has: name, birth date, email, phone and the state of residence."""
    typed = intake.get("patient", {})
    resource: dict[str, Any] = {"resourceType": "Patient"}
    family, given = _text(typed.get("last_name")), _text(typed.get("first_name"))
    if family or given:
        name: dict[str, Any] = {"use": "official"}
        if family:
            name["family"] = family
        if given:
            name["given"] = given.split()
        resource["name"] = [name]
    telecom = [
        {"system": system, "value": value}
        for system, value in (
            ("email", _text(typed.get("email"))),
            ("phone", _text(typed.get("phone"))),
        )
        if value
    ]
    if telecom:
        resource["telecom"] = telecom
    if _text(typed.get("date_of_birth")):
        resource["birthDate"] = typed["date_of_birth"]
    # The screening's reading of the state ("Texas" -> TX) when it is a licensed state; what
    # the patient typed otherwise.
    state = patient_state if patient_state and patient_state != "OTHER" else None
    state = state or _text(typed.get("state_of_residence"))
    if state:
        resource["address"] = [{"state": state}]
    return resource


def _icd10_code(typed: str) -> str:
    """A typed code in its usual form: "k5090" and "K50.90" both give "K50.90"."""
    key = icd10_key(typed)
    return key if len(key) <= 3 else f"{key[:3]}.{key[3:]}"


def _condition(
    diagnosis: Mapping[str, Any],
    matches: list[Mapping[str, Any]],
    patient: str,
    recorded: str,
) -> dict[str, Any]:
    data = fhir_data()
    by_code = {entry.code: entry for entry in data.icd10_codes.values()}
    codings: list[dict[str, Any]] = []
    typed_code = _text(diagnosis.get("icd10"))
    if typed_code:
        # The patient's own code wins: it is what their physician recorded.
        code = _icd10_code(typed_code)
        coding: dict[str, Any] = {"system": data.icd10_system, "code": code}
        if code in by_code:
            coding["display"] = by_code[code].display
        codings.append({**coding, "userSelected": True})
    else:
        for key in dict.fromkeys(m["matched"] for m in matches if m.get("matched")):
            if key in data.icd10_codes:
                known = data.icd10_codes[key]
                codings.append(
                    {
                        "system": data.icd10_system,
                        "version": data.icd10_release,
                        "code": known.code,
                        "display": known.display,
                    }
                )
    concept: dict[str, Any] = {"text": diagnosis["name"]}
    if codings:
        concept = {"coding": codings, **concept}
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": systems.CONDITION_CLINICAL, "code": "active"}]},
        # Patient-reported: nobody has confirmed it yet.
        "verificationStatus": {
            "coding": [{"system": systems.CONDITION_VERIFICATION, "code": "unconfirmed"}],
            "text": "Reported by the patient on the intake",
        },
        "category": [
            {
                "coding": [
                    {
                        "system": systems.CONDITION_CATEGORY,
                        "code": "problem-list-item",
                        "display": "Problem List Item",
                    }
                ]
            }
        ],
        "code": concept,
        "subject": _ref(patient),
        "recordedDate": recorded,
        "asserter": _ref(patient),
    }
    notes = [
        f"Screening matched {m.get('label') or m['matched']} (evidence tier {m['evidence_tier']}: "
        f"{TIER_WORDS.get(m['evidence_tier'], 'unknown')}). For physician review."
        for m in matches
        if m.get("matched")
    ]
    if notes:
        resource["note"] = [{"text": note} for note in notes]
    return resource


def _medication(
    medication: Mapping[str, Any],
    reading: Mapping[str, Any] | None,
    base_url: str,
    patient: str,
    response: str,
    asserted: str,
) -> dict[str, Any]:
    is_stopped = medication.get("status") == "stopped"
    concept: dict[str, Any] = {"text": medication["name"]}
    ingredients = list((reading or {}).get("ingredients") or [])
    if ingredients:
        # What screening read the typed name as ("Norco" -> hydrocodone, acetaminophen): the
        # text stays as typed.
        system = systems.code_system(base_url, "screening-ingredient")
        concept = {
            "coding": [{"system": system, "code": name, "display": name} for name in ingredients],
            **concept,
        }
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "status": "stopped" if is_stopped else "active",
        "medicationCodeableConcept": concept,
        "subject": _ref(patient),
        "dateAsserted": asserted,
        "informationSource": _ref(patient),
        "derivedFrom": [_ref(response)],
    }
    if is_stopped and _text(medication.get("stopped_on")):
        resource["effectivePeriod"] = {"end": medication["stopped_on"]}
    if _text(medication.get("dose")):
        resource["dosage"] = [{"text": medication["dose"]}]
    note = _reading_note(reading)
    if note:
        resource["note"] = [{"text": note}]
    return resource


def _reading_from_flags(
    index: int, flags: list[tuple[str, Mapping[str, Any]]]
) -> Mapping[str, Any] | None:
    """A result screened before medications[] existed: what its flags say of the medication."""
    fired = [f for _, f in flags if _field_index(f, "medications") == index and f.get("ingredient")]
    if not fired:
        return None
    # Imported on first export: the web process does not otherwise load the rule set.
    from workflows.screening.ruledata import default_rules

    classes = default_rules().ingredient_classes
    ingredients = list(dict.fromkeys(f["ingredient"] for f in fired))
    return {
        "identified": True,
        "ingredients": ingredients,
        "flagged": sorted({c for i in ingredients for c in classes.get(i, ())}),
        "matched_name": ", ".join(dict.fromkeys(f.get("matched_name") or "" for f in fired)),
        "source": "rules",
    }


def _reading_note(reading: Mapping[str, Any] | None) -> str | None:
    """How screening read the medication, in words, for the physician."""
    if reading is None:
        return None
    if not reading.get("identified"):
        return (
            "Screening could not identify this medication (MEDICATION_UNIDENTIFIED): a "
            "coordinator should find out what it is. For physician review."
        )
    what = ", ".join(reading.get("ingredients") or []) or "a known product"
    flagged = reading.get("flagged") or []
    if flagged:
        # Imported on first export: the web process does not otherwise load the rule set.
        from workflows.screening.ruledata import default_rules

        labels = default_rules().class_labels
        what += f" ({', '.join(labels.get(c, c) for c in flagged)})"
    source = SOURCE_WORDS.get(reading.get("source") or "", reading.get("source") or "")
    matched = reading.get("matched_name")
    how = f", matched as {matched!r}" if matched else ""
    return f"Screening read this as {what}{how}, from {source}. For physician review."


def _every_flag(result: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    ketosis = result.get("ketosis") or {}
    return [
        *(("hard_stop", f) for f in result.get("hard_stops") or []),
        *(("caution", f) for f in result.get("cautions") or []),
        *(("keto_stop", f) for f in ketosis.get("stops") or []),
        *(("keto_caution", f) for f in ketosis.get("cautions") or []),
        *(("review", f) for f in result.get("reviews") or []),
    ]


def _source_of(field: str, refs: Mapping[str, list[str]], patient: str, response: str) -> str:
    """The resource holding the input that fired a flag."""
    indexed = _INDEXED_FIELD.match(field)
    if indexed:
        found = refs[indexed.group(1)]
        index = int(indexed.group(2))
        if index < len(found):
            return found[index]
    if field.startswith("patient."):
        return patient
    return response


def _detected_issue(
    kind: str,
    flag: Mapping[str, Any],
    base_url: str,
    patient: str,
    source: str,
    identified: str,
) -> dict[str, Any]:
    code = flag["code"]
    resource: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "status": "final",
        "code": {
            "coding": [
                {
                    "system": systems.code_system(base_url, "screening-flag"),
                    "code": code,
                    "display": code.replace("_", " ").capitalize(),
                }
            ],
            "text": f"{KIND_WORDS.get(kind, kind)}: {code}",
        },
        "severity": SEVERITY_OF_KIND.get(kind, "moderate"),
        "patient": _ref(patient),
        "identifiedDateTime": identified,
        "evidence": [
            {
                # The patient's own words (or "field: value" for an answer), and where they are.
                "code": [{"text": flag.get("evidence") or flag.get("field") or code}],
                "detail": [_ref(source)],
            }
        ],
        "detail": flag["reason"],
    }
    # Only a medication or a diagnosis is "implicated"; an answer or the patient is evidence.
    if _INDEXED_FIELD.match(flag.get("field") or ""):
        resource["implicated"] = [_ref(source)]
    return resource


def _risk_assessment(
    result: Mapping[str, Any],
    base_url: str,
    patient: str,
    basis: list[str],
    occurred: str,
) -> dict[str, Any]:
    decision = result["decision"]
    version = result.get("rule_set_version") or "unknown"
    parts = result.get("score_parts") or {}
    rationale = f"Score {result.get('score')} of 100"
    if parts:
        rationale += (
            f" (evidence {parts.get('evidence')}, burden {parts.get('burden')}, "
            f"readiness {parts.get('readiness')})"
        )
    rationale += (
        ". The score ranks cases for a physician's attention; it is not a probability and "
        "decides nothing."
    )
    decisions = systems.code_system(base_url, "screening-decision")
    predictions: list[dict[str, Any]] = [
        {
            "outcome": {
                "coding": [
                    {
                        "system": decisions,
                        "code": decision,
                        "display": DECISION_WORDS.get(decision, decision),
                    }
                ],
                "text": f"LDN screening: {DECISION_WORDS.get(decision, decision).lower()}",
            },
            "rationale": rationale,
        }
    ]
    ketosis = result.get("ketosis") or {}
    if ketosis.get("requested"):
        code = "ketosis_plan_clear" if ketosis.get("ok") else "ketosis_plan_stopped"
        words = "no ketosis stop fired" if ketosis.get("ok") else "a ketosis stop fired (see flags)"
        predictions.append(
            {
                "outcome": {
                    "coding": [{"system": decisions, "code": code}],
                    "text": f"Ketosis plan: {words}",
                }
            }
        )
    route = result.get("route") or {}
    resource: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "status": "final",
        "subject": _ref(patient),
        "occurrenceDateTime": occurred,
        "code": {
            "coding": [
                {
                    "system": systems.code_system(base_url, "screening"),
                    "code": "ldn-intake-screening",
                    "display": "LDN intake screening",
                }
            ],
            "text": "LDN intake screening (screening-contract rules)",
        },
        "method": {
            "coding": [{"system": systems.code_system(base_url, "rule-set"), "code": version}],
            "text": f"ldn-intake clinical rule set {version}",
        },
        "basis": [_ref(reference) for reference in basis],
        "prediction": predictions,
        "mitigation": FOR_REVIEW,
    }
    if route.get("queue"):
        resource["note"] = [
            {"text": f"Routed to the {route['queue']} queue, priority {route.get('priority')}."}
        ]
    return resource


def case_bundle(
    case: CaseView, base_url: str, exported_at: datetime | None = None
) -> dict[str, Any]:
    """The case as a Bundle of type collection (see the module docstring for why)."""
    ids = _Ids(base_url, case.public_id)
    intake = case.intake
    submitted = case.submitted_at.isoformat()
    patient, response = ids("patient"), ids("questionnaire-response")
    diagnoses = list(intake.get("diagnoses") or [])
    medications = list(intake.get("medications") or [])
    refs = {
        "diagnoses": [ids(f"condition/{i}") for i in range(len(diagnoses))],
        "medications": [ids(f"medication-statement/{i}") for i in range(len(medications))],
    }
    result = case.screening_result or None
    matches = _matches_by_diagnosis(diagnoses, (result or {}).get("conditions") or [])
    flags = _every_flag(result) if result else []

    entries: list[tuple[str, dict[str, Any]]] = [
        (patient, _patient(intake, case.patient_state)),
        (response, questionnaire_response(intake, base_url, patient, submitted)),
    ]
    for index, diagnosis in enumerate(diagnoses):
        entries.append(
            (refs["diagnoses"][index], _condition(diagnosis, matches[index], patient, submitted))
        )
    readings = {
        _field_index(reading, "medications"): reading
        for reading in (result or {}).get("medications") or []
    }
    for index, medication in enumerate(medications):
        reading = readings.get(index)
        if reading is None and result and "medications" not in result:
            reading = _reading_from_flags(index, flags)
        entries.append(
            (
                refs["medications"][index],
                _medication(medication, reading, base_url, patient, response, submitted),
            )
        )
    if result:
        basis = [response, *refs["diagnoses"], *refs["medications"]]
        entries.append(
            (ids("risk-assessment"), _risk_assessment(result, base_url, patient, basis, submitted))
        )
        for number, (kind, flag) in enumerate(flags):
            source = _source_of(flag.get("field") or "", refs, patient, response)
            entries.append(
                (
                    ids(f"detected-issue/{number}"),
                    _detected_issue(kind, flag, base_url, patient, source, submitted),
                )
            )

    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "identifier": {
            "system": systems.case_identifier_system(base_url),
            "value": case.public_id,
        },
        "type": "collection",
    }
    if exported_at is not None:
        if exported_at.tzinfo is not None:  # naive datetimes are UTC, as everywhere in the app
            exported_at = exported_at.astimezone(UTC).replace(tzinfo=None)
        bundle["timestamp"] = exported_at.replace(microsecond=0).isoformat() + "Z"
    bundle["entry"] = [{"fullUrl": url, "resource": resource} for url, resource in entries]
    return bundle


def _field_index(flag: Mapping[str, Any], collection: str) -> int | None:
    indexed = _INDEXED_FIELD.match(flag.get("field") or "")
    return int(indexed.group(2)) if indexed and indexed.group(1) == collection else None


def _matches_by_diagnosis(
    diagnoses: list[Mapping[str, Any]], conditions: list[Mapping[str, Any]]
) -> list[list[Mapping[str, Any]]]:
    """The screening's condition entries of each diagnosis. Screening lists them in diagnosis
    order, one or more per diagnosis, each naming the diagnosis as typed (`input`)."""
    found: list[list[Mapping[str, Any]]] = [[] for _ in diagnoses]
    position = 0
    for index, diagnosis in enumerate(diagnoses):
        while position < len(conditions) and conditions[position].get("input") == diagnosis["name"]:
            found[index].append(conditions[position])
            position += 1
    return found
