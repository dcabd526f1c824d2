"""An amendment's changes in a clinician's words, and the intake before each amendment rebuilt
from the stored changes."""

from __future__ import annotations

import copy
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import valid_intake
from workflows.cases.amendments import (
    documents_of_amendments,
    info_rounds,
    intake_changes,
    revert_changes,
)
from workflows.cases.change_labels import Vocabulary, label_changes

WORDS = Vocabulary(
    sections={"patient": "About you", "history": "Medical history", "ketosis": "Ketosis plan"},
    fields={
        "patient.state_of_residence": "State where you live",
        "medications.dose": "Dose",
        "medications.name": "Name",
        "diagnoses.icd10": "ICD-10 code",
        "goals.severity": "How much does it affect you?",
        "history.pregnant": "Are you pregnant?",
        "history.liver_disease": "Have you been told you have liver disease?",
        "ketosis.interested": "Ketosis plan with LDN?",
    },
    choices={
        "medications.status": {"current": "I take it now", "stopped": "I stopped it"},
        "history.liver_disease": {"none": "No liver disease", "chronic": "Long-term"},
        "patient.state_of_residence": {"TX": "Texas", "Other": "Somewhere else"},
        "goals.goal": {"pain": "Pain", "sleep": "Sleep"},
    },
    yes="Yes",
    no="No",
)


def lines_of(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [
        line.text for line in label_changes(intake_changes(before, after), before, after, WORDS)
    ]


def amended(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(document)
    result.update(changes)
    return result


def test_a_stopped_percocet_reads_as_its_stop_date_was_i_take_it_now() -> None:
    before = {"medications": [{"name": "Percocet", "status": "current"}]}
    after = {"medications": [{"name": "Percocet", "status": "stopped", "stopped_on": "2026-11-30"}]}
    [line] = label_changes(intake_changes(before, after), before, after, WORDS)
    assert line.text == "Percocet: stopped 2026-11-30, was: I take it now"
    # The raw paths stay with the line.
    assert line.paths == ("medications[0].status", "medications[0].stopped_on")


def test_removing_the_first_medication_does_not_rename_the_others() -> None:
    before = {
        "medications": [
            {"name": "Percocet", "status": "current"},
            {"name": "Vitamin D", "status": "current", "dose": "1000 IU"},
        ]
    }
    after = {"medications": [{"name": "Vitamin D", "status": "current", "dose": "2000 IU"}]}
    assert lines_of(before, after) == [
        "Vitamin D (Dose): 2000 IU, was: 1000 IU",
        "Percocet: removed, was: I take it now",
    ]


def test_a_medication_added_and_a_name_corrected_in_place() -> None:
    before = {"medications": [{"name": "Percoset", "status": "current"}]}
    after = {
        "medications": [
            {"name": "Percocet", "status": "current"},
            {"name": "Magnesium", "status": "current", "dose": "200 mg"},
        ]
    }
    assert lines_of(before, after) == [
        "Percocet (Name): Percocet, was: Percoset",
        "Magnesium: added, I take it now, 200 mg",
    ]


def test_diagnoses_and_goals_by_their_names_and_codes() -> None:
    before = {
        "diagnoses": [{"name": "fibromyalgia"}],
        "goals": [{"goal": "pain", "severity": 4}, {"goal": "sleep", "severity": 6}],
    }
    after = {
        "diagnoses": [{"name": "fibromyalgia", "icd10": "M79.7"}, {"name": "Crohn's disease"}],
        "goals": [{"goal": "sleep", "severity": 8}],
    }
    assert lines_of(before, after) == [
        "fibromyalgia (ICD-10 code): M79.7, was: (none)",
        "Crohn's disease: added",
        "Sleep (How much does it affect you?): 8 out of 10, was: 6 out of 10",
        "Pain: removed, was: 4 out of 10",
    ]


def test_history_ketosis_and_about_answers_read_with_their_questions_and_choices() -> None:
    before = valid_intake()
    after = amended(
        before,
        history={**before["history"], "pregnant": True, "liver_disease": "chronic"},
        ketosis={"interested": True},
        patient={**before["patient"], "state_of_residence": "Other"},
    )
    before["ketosis"] = {"interested": False}
    text = lines_of(before, after)
    assert "About you (State where you live): Somewhere else, was: Texas" in text
    assert "Medical history (Are you pregnant?): Yes, was: No" in text
    assert (
        "Medical history (Have you been told you have liver disease?): Long-term, "
        "was: No liver disease"
    ) in text
    assert "Ketosis plan (Ketosis plan with LDN?): Yes, was: No" in text


def test_an_unknown_field_still_shows_with_its_path_words() -> None:
    before = {"patient": {"nickname": "Q"}}
    after = {"patient": {"nickname": "Quin"}}
    [line] = label_changes(intake_changes(before, after), before, after, WORDS)
    assert (line.subject, line.field, line.after, line.before) == (
        "About you",
        "nickname",
        "Quin",
        "Q",
    )
    assert line.paths == ("patient.nickname",)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["medications"].append({"name": "Magnesium", "status": "current"}),
        lambda d: d["medications"].clear(),
        lambda d: d["medications"][0].update(status="stopped", stopped_on="2026-10-01"),
        lambda d: d["history"].update(pregnant=True, notes="new notes"),
        lambda d: d["patient"].pop("phone"),
        lambda d: d.update(goals=[{"goal": "sleep", "severity": 3}]),
    ],
    ids=["added", "all-removed", "stopped", "history", "phone-removed", "goals-replaced"],
)
def test_reverting_the_changes_gives_back_the_intake_before(change: Any) -> None:
    before = valid_intake()
    before["medications"] = [{"name": "Percocet", "status": "current"}]
    after = copy.deepcopy(before)
    change(after)
    assert revert_changes(after, intake_changes(before, after)) == before


def test_each_amendment_gets_the_intake_before_and_after_it() -> None:
    first = valid_intake()
    first["medications"] = [{"name": "Percocet", "status": "current"}]
    second = copy.deepcopy(first)
    second["medications"][0].update(status="stopped", stopped_on="2026-11-30")
    third = copy.deepcopy(second)
    third["medications"].append({"name": "Magnesium", "status": "current"})
    documents = documents_of_amendments(
        third,
        [
            (10, {"changes": intake_changes(first, second)}),
            (20, {"changes": intake_changes(second, third)}),
        ],
    )
    assert documents == {10: (first, second), 20: (second, third)}


def test_rounds_pair_each_question_with_the_answer_that_followed_it() -> None:
    at = datetime(2026, 12, 1, 9, 0)

    def event(action: str, **detail: Any) -> Any:
        return SimpleNamespace(action=action, detail=detail, at=at, actor="staff:coord@test")

    rounds = info_rounds(
        [
            event("routed"),
            event("info_requested", reason="opioid", message="When did you stop?", steps=["a"]),
            event("amended", answer="On 30 November."),
            event("info_requested", reason="check", message="Which dose?", steps=["b"]),
        ]
    )
    assert [(r.question, r.answer) for r in rounds] == [
        ("When did you stop?", "On 30 November."),
        ("Which dose?", None),
    ]
    assert rounds[0].asked_by == "coord@test" and rounds[1].answered_at is None
