"""The intake as a FHIR R4 Questionnaire: one group per step, items that match the intake
schema, choices with the words of the form."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from intake.patient import choices
from intake.patient.steps import STEPS
from tests.fhir.r4 import validate
from workflows.fhir import questionnaire, questionnaire_version

BASE = "https://intake.practice.example"


def items(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in node.get("item", []):
        yield item
        yield from items(item)


def by_link_id(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["linkId"]: item for item in items(resource)}


def test_the_questionnaire_is_valid_r4_and_active_at_its_canonical_url() -> None:
    resource = questionnaire(BASE)
    validate(resource)
    assert resource["url"] == f"{BASE}/fhir/Questionnaire/ldn-intake"
    assert resource["status"] == "active"
    assert resource["version"] == questionnaire_version()
    assert resource["version"].startswith("intake-")
    assert "physician review" in resource["description"]


def test_there_is_one_group_per_intake_step_in_order() -> None:
    groups = questionnaire(BASE)["item"]
    assert [group["text"] for group in groups] == [step.title for step in STEPS]
    assert all(group["type"] == "group" for group in groups)


def test_every_link_id_is_unique() -> None:
    link_ids = [item["linkId"] for item in items(questionnaire(BASE))]
    assert len(link_ids) == len(set(link_ids))


def test_items_take_their_type_required_and_repeats_from_the_intake_schema() -> None:
    found = by_link_id(questionnaire(BASE))
    assert found["patient.date_of_birth"] | {"answerOption": None} == {
        "linkId": "patient.date_of_birth",
        "text": "Date of birth",
        "type": "date",
        "required": True,
        "answerOption": None,
    }
    assert "required" not in found["patient.first_name"]
    assert found["history.pregnant"]["type"] == "boolean"
    assert found["history.pregnant"]["required"] is True
    assert found["history.notes"]["type"] == "text"
    assert found["goals.severity"]["type"] == "integer"
    # Rows of diagnoses and medications are repeating groups; an empty list is allowed.
    assert found["medications"]["type"] == "group" and found["medications"]["repeats"] is True
    assert "required" not in found["medications"]
    assert [child["linkId"] for child in found["medications"]["item"]] == [
        "medications.name",
        "medications.dose",
        "medications.status",
        "medications.stopped_on",
    ]
    assert found["medications.name"]["required"] is True


def test_enumerations_become_answer_options_with_the_forms_words() -> None:
    found = by_link_id(questionnaire(BASE))
    goals = [option["valueCoding"] for option in found["goals.goal"]["answerOption"]]
    assert [(c["code"], c["display"]) for c in goals] == choices.GOALS
    assert {c["system"] for c in goals} == {f"{BASE}/fhir/CodeSystem/ldn-goal"}
    liver = found["history.liver_disease"]
    assert liver["type"] == "choice"
    assert [o["valueCoding"]["code"] for o in liver["answerOption"]] == [
        code for code, _ in choices.LIVER_CHOICES
    ]


def test_the_state_is_an_open_choice_of_usps_codes_as_on_the_form() -> None:
    state = by_link_id(questionnaire(BASE))["patient.state_of_residence"]
    assert state["type"] == "open-choice"  # the JSON API takes the state as typed
    offered = [
        (o["valueCoding"]["code"], o["valueCoding"]["display"]) for o in state["answerOption"]
    ]
    assert offered == choices.US_STATES
    assert state["answerOption"][0]["valueCoding"]["system"] == "https://www.usps.com/"


def test_the_date_stopped_is_asked_only_for_a_stopped_medication() -> None:
    stopped_on = by_link_id(questionnaire(BASE))["medications.stopped_on"]
    assert stopped_on["enableWhen"] == [
        {
            "question": "medications.status",
            "operator": "=",
            "answerCoding": {"system": f"{BASE}/fhir/CodeSystem/ldn-status", "code": "stopped"},
        }
    ]


def test_the_questionnaire_holds_no_patient_data_and_is_the_same_every_time() -> None:
    first, second = questionnaire(BASE), questionnaire(BASE)
    assert json.dumps(first) == json.dumps(second)
    assert "example.org" not in json.dumps(first)
