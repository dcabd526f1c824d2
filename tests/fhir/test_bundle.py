"""A case as a FHIR R4 Bundle: every shared acceptance case gives a valid Bundle whose
references resolve inside it, known conditions carry ICD-10-CM codes, and every flag is a
DetectedIssue with its reason and the resource that fired it."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import load_case, modules_loaded_by, shared_case_files
from tests.fhir.r4 import references, resources, validate
from tests.fhir.test_questionnaire import by_link_id
from workflows.fhir import CaseView, case_bundle, questionnaire
from workflows.fhir.data import fhir_data
from workflows.screening import screen_document

BASE = "https://intake.practice.example"
EXPORTED = datetime(2026, 11, 23, 12, 30, 5)
VALID = [p for p in shared_case_files() if not load_case(p)["expect"].get("invalid")]


def view_of(intake: dict[str, Any], screened: bool = True, public_id: str = "c-1") -> CaseView:
    return CaseView(
        public_id=public_id,
        submitted_at=date.fromisoformat(intake["submitted_at"]),
        intake=intake,
        screening_result=screen_document(intake) if screened else None,
    )


def bundle_of(intake: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return case_bundle(view_of(intake, **kwargs), BASE, exported_at=EXPORTED)


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.name)
def test_every_shared_case_gives_a_valid_bundle_whose_references_resolve(path: Path) -> None:
    intake = load_case(path)["intake"]
    bundle = bundle_of(intake)
    validate(bundle)
    for entry in bundle["entry"]:
        validate(entry["resource"])
    assert bundle["type"] == "collection"
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert all(url.startswith("urn:uuid:") for url in full_urls)
    assert len(set(full_urls)) == len(full_urls)
    assert set(references(bundle)) <= set(full_urls)
    counts = {t: len(resources(bundle, t)) for t in ("Patient", "QuestionnaireResponse")}
    assert counts == {"Patient": 1, "QuestionnaireResponse": 1}
    assert len(resources(bundle, "Condition")) == len(intake["diagnoses"])
    assert len(resources(bundle, "MedicationStatement")) == len(intake["medications"])
    assert len(resources(bundle, "RiskAssessment")) == 1


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.name)
def test_known_conditions_carry_icd10cm_codes(path: Path) -> None:
    intake = load_case(path)["intake"]
    result = screen_document(intake)
    conditions = resources(bundle_of(intake), "Condition")
    for diagnosis, condition in zip(intake["diagnoses"], conditions, strict=True):
        assert condition["code"]["text"] == diagnosis["name"]
        assert condition["verificationStatus"]["coding"][0]["code"] == "unconfirmed"
        matched = [c for c in result["conditions"] if c["input"] == diagnosis["name"]]
        if any(c["matched"] for c in matched) or diagnosis.get("icd10"):
            systems = {coding["system"] for coding in condition["code"]["coding"]}
            assert systems == {"http://hl7.org/fhir/sid/icd-10-cm"}, path.name
        else:
            assert "coding" not in condition["code"]  # text only: the name as typed


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.name)
def test_every_flag_becomes_a_detected_issue_with_its_reason(path: Path) -> None:
    intake = load_case(path)["intake"]
    result = screen_document(intake)
    flags = [
        *result["hard_stops"],
        *result["cautions"],
        *result["ketosis"]["stops"],
        *result["ketosis"]["cautions"],
        *result["reviews"],
    ]
    bundle = bundle_of(intake)
    issues = resources(bundle, "DetectedIssue")
    assert [(i["code"]["coding"][0]["code"], i["detail"]) for i in issues] == [
        (flag["code"], flag["reason"]) for flag in flags
    ]
    statements = {
        e["fullUrl"]: e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationStatement"
    }
    for flag, issue in zip(flags, issues, strict=True):
        assert issue["evidence"][0]["code"][0]["text"] == flag["evidence"]
        if flag["field"].startswith("medications["):
            [implicated] = issue["implicated"]
            statement = statements[implicated["reference"]]
            assert statement["medicationCodeableConcept"]["text"] == flag["evidence"]


def test_a_current_opioid_is_a_high_severity_issue_implicating_its_medication(
    base_intake: dict[str, Any],
) -> None:
    base_intake["medications"] = [
        {"name": "vitamin D", "status": "current"},
        {"name": "Norco 10/325", "dose": "1 tab", "status": "current"},
    ]
    bundle = bundle_of(base_intake)
    norco = bundle["entry"][4]  # Patient, response, one Condition, vitamin D, Norco
    assert norco["resource"]["medicationCodeableConcept"] == {
        "coding": [
            {
                "system": f"{BASE}/fhir/CodeSystem/ldn-screening-ingredient",
                "code": name,
                "display": name,
            }
            for name in ("hydrocodone", "acetaminophen")
        ],
        "text": "Norco 10/325",
    }
    assert norco["resource"]["dosage"] == [{"text": "1 tab"}]
    assert "hydrocodone" in norco["resource"]["note"][0]["text"]
    [issue] = resources(bundle, "DetectedIssue")
    assert issue["severity"] == "high"
    assert issue["code"]["coding"][0]["system"] == f"{BASE}/fhir/CodeSystem/ldn-screening-flag"
    assert issue["implicated"] == [{"reference": norco["fullUrl"]}]
    [risk] = resources(bundle, "RiskAssessment")
    assert risk["prediction"][0]["outcome"]["coding"][0]["code"] == "ineligible"


def test_an_unidentified_medication_is_a_review_issue_said_in_its_statement(
    base_intake: dict[str, Any],
) -> None:
    base_intake["medications"] = [{"name": "white pill from urgent care", "status": "current"}]
    bundle = bundle_of(base_intake)
    [statement] = resources(bundle, "MedicationStatement")
    assert "coding" not in statement["medicationCodeableConcept"]
    assert "could not identify" in statement["note"][0]["text"]
    [issue] = resources(bundle, "DetectedIssue")
    assert issue["code"]["coding"][0]["code"] == "MEDICATION_UNIDENTIFIED"
    assert issue["severity"] == "moderate"
    assert issue["evidence"][0]["code"][0]["text"] == "white pill from urgent care"
    [risk] = resources(bundle, "RiskAssessment")
    assert risk["prediction"][0]["outcome"]["coding"][0]["code"] == "needs_review"


def test_an_everyday_medication_is_coded_by_what_it_was_read_as(
    base_intake: dict[str, Any],
) -> None:
    base_intake["medications"] = [{"name": "Vitamin D3 2000 IU", "status": "current"}]
    [statement] = resources(bundle_of(base_intake), "MedicationStatement")
    assert [c["code"] for c in statement["medicationCodeableConcept"]["coding"]] == [
        "cholecalciferol"
    ]
    assert "everyday" in statement["note"][0]["text"]
    assert not resources(bundle_of(base_intake), "DetectedIssue")


def test_a_case_screened_before_medications_were_listed_is_coded_from_its_flags(
    base_intake: dict[str, Any],
) -> None:
    base_intake["medications"] = [{"name": "Norco 10/325", "status": "current"}]
    result = screen_document(base_intake)
    del result["medications"], result["reviews"]  # as stored before 2026-12-02
    view = CaseView("c-1", date(2026, 11, 1), base_intake, result)
    [statement] = resources(case_bundle(view, BASE, exported_at=EXPORTED), "MedicationStatement")
    assert [c["code"] for c in statement["medicationCodeableConcept"]["coding"]] == ["hydrocodone"]
    note = statement["note"][0]["text"]
    assert "hydrocodone (opioid agonist or partial agonist)" in note
    assert "matched as 'Norco'" in note


def test_a_stopped_medication_is_stopped_on_its_date(base_intake: dict[str, Any]) -> None:
    base_intake["medications"] = [
        {"name": "oxycodone", "status": "stopped", "stopped_on": "2026-10-28"}
    ]
    [statement] = resources(bundle_of(base_intake), "MedicationStatement")
    assert statement["status"] == "stopped"
    assert statement["effectivePeriod"] == {"end": "2026-10-28"}
    [issue] = resources(bundle_of(base_intake), "DetectedIssue")
    assert issue["code"]["coding"][0]["code"] == "OPIOID_WASHOUT"
    assert issue["severity"] == "moderate"
    assert "2026-11-11" in issue["detail"]


def test_the_patients_own_icd10_code_wins_over_the_map(base_intake: dict[str, Any]) -> None:
    base_intake["diagnoses"] = [
        {"name": "crohns", "icd10": "k50.10"},
        {"name": "Crohn's disease"},
        {"name": "migraine"},
    ]
    typed, known, unknown = resources(bundle_of(base_intake), "Condition")
    assert typed["code"]["coding"] == [
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "K50.10", "userSelected": True}
    ]
    assert known["code"]["coding"] == [
        {
            "system": "http://hl7.org/fhir/sid/icd-10-cm",
            "version": fhir_data().icd10_release,
            "code": "K50.90",
            "display": "Crohn's disease, unspecified, without complications",
        }
    ]
    assert "evidence tier A" in known["note"][0]["text"]
    assert unknown["code"] == {"text": "migraine"}
    assert "note" not in unknown


def test_the_risk_assessment_gives_the_decision_score_and_rule_set_for_physician_review(
    base_intake: dict[str, Any],
) -> None:
    base_intake["ketosis"] = {"interested": True}
    bundle = bundle_of(base_intake)
    result = screen_document(base_intake)
    [risk] = resources(bundle, "RiskAssessment")
    assert risk["status"] == "final"
    assert risk["method"]["coding"][0]["code"] == result["rule_set_version"]
    outcome, ketosis = risk["prediction"]
    assert outcome["outcome"]["coding"][0]["code"] == result["decision"] == "eligible"
    assert f"Score {result['score']} of 100" in outcome["rationale"]
    assert ketosis["outcome"]["coding"][0]["code"] == "ketosis_plan_clear"
    assert "physician review" in risk["mitigation"] and "never prescribes" in risk["mitigation"]
    response = resources(bundle, "QuestionnaireResponse")[0]
    assert {"reference": bundle["entry"][1]["fullUrl"]} in risk["basis"]
    assert response["authored"] == "2026-11-01"


def test_the_patient_carries_only_what_the_intake_has(base_intake: dict[str, Any]) -> None:
    [patient] = resources(bundle_of(base_intake), "Patient")
    assert patient == {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "Patient", "given": ["Test"]}],
        "telecom": [
            {"system": "email", "value": "test.patient@example.org"},
            {"system": "phone", "value": "555-0100"},
        ],
        "birthDate": "1980-04-02",
        "address": [{"state": "TX"}],
    }


def test_the_response_mirrors_the_questionnaires_items(base_intake: dict[str, Any]) -> None:
    base_intake["medications"] = [
        {"name": "Synthroid", "status": "current"},
        {"name": "oxycodone", "status": "stopped", "stopped_on": "2026-09-01"},
    ]
    base_intake["patient"]["state_of_residence"] = "tx"
    base_intake["patient"]["phone"] = ""  # blank: left out, never an empty FHIR string
    [response] = resources(bundle_of(base_intake), "QuestionnaireResponse")
    asked = by_link_id(questionnaire(BASE))
    answered = list(_items(response))
    for item in answered:
        assert item["linkId"] in asked
        assert item["text"] == asked[item["linkId"]]["text"]
    rows = [item for item in answered if item["linkId"] == "medications"]
    assert len(rows) == 2  # one repetition of the group per medication
    assert rows[1]["item"][-1] == {
        "linkId": "medications.stopped_on",
        "text": "Date you stopped",
        "answer": [{"valueDate": "2026-09-01"}],
    }
    state = next(i for i in answered if i["linkId"] == "patient.state_of_residence")
    assert state["answer"][0]["valueCoding"]["code"] == "TX"
    assert "patient.phone" not in {item["linkId"] for item in answered}
    assert response["questionnaire"] == (
        f"{BASE}/fhir/Questionnaire/ldn-intake|{questionnaire(BASE)['version']}"
    )


def test_a_case_not_yet_screened_exports_without_a_risk_assessment(
    base_intake: dict[str, Any],
) -> None:
    bundle = bundle_of(base_intake, screened=False)
    validate(bundle)
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert kinds == ["Patient", "QuestionnaireResponse", "Condition"]


def test_the_same_case_exports_the_same_ids_and_another_case_other_ids(
    base_intake: dict[str, Any],
) -> None:
    first = bundle_of(base_intake)
    again = bundle_of(copy.deepcopy(base_intake))
    other = bundle_of(base_intake, public_id="c-2")
    assert json.dumps(first) == json.dumps(again)
    assert first["timestamp"] == "2026-11-23T12:30:05Z"
    assert first["identifier"] == {"system": f"{BASE}/fhir/sid/case", "value": "c-1"}
    assert {e["fullUrl"] for e in first["entry"]}.isdisjoint(e["fullUrl"] for e in other["entry"])


def _items(node: dict[str, Any]) -> Any:
    for item in node.get("item", []):
        yield item
        yield from _items(item)


def test_the_builders_load_no_framework() -> None:
    probe = "import workflows.fhir as f\nf.questionnaire('http://x')"
    assert modules_loaded_by(probe, ("flask", "celery", "sqlalchemy", "redis")) == []
