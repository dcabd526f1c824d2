"""Invalid intakes get one clear, specific error per bad field, all at once."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from workflows.screening import InvalidIntake, intake_errors, validate_intake


def errors_of(document: Any) -> dict[str, str]:
    with pytest.raises(InvalidIntake) as refused:
        validate_intake(document)
    return {error.field: error.message for error in refused.value.errors}


def test_a_valid_intake_passes(base_intake: dict[str, Any]) -> None:
    assert validate_intake(base_intake).patient.state_of_residence == "TX"


def test_a_stopped_medication_without_a_date_names_stopped_on(base_intake: dict[str, Any]) -> None:
    base_intake["medications"] = [{"name": "aspirin"}, {"name": "oxycodone", "status": "stopped"}]
    errors = errors_of(base_intake)
    assert list(errors) == ["medications[1].stopped_on"]
    assert "when you stopped" in errors["medications[1].stopped_on"]


def test_a_stopped_medication_with_a_null_date_names_stopped_on(
    base_intake: dict[str, Any],
) -> None:
    base_intake["medications"] = [{"name": "oxycodone", "status": "stopped", "stopped_on": None}]
    assert "when you stopped" in errors_of(base_intake)["medications[0].stopped_on"]


@pytest.mark.parametrize(
    "bad_date", ["2026-02-30", "2026-13-01", "2026-00-10", "01/02/2026", "20261101", "yesterday"]
)
def test_impossible_dates_are_named_with_what_was_typed(
    base_intake: dict[str, Any], bad_date: str
) -> None:
    base_intake["patient"]["date_of_birth"] = bad_date
    message = errors_of(base_intake)["patient.date_of_birth"]
    assert bad_date in message and "YYYY-MM-DD" in message


def test_born_after_submission_is_impossible(base_intake: dict[str, Any]) -> None:
    base_intake["patient"]["date_of_birth"] = "2026-11-02"
    assert "after the submission date" in errors_of(base_intake)["patient.date_of_birth"]


def test_stopped_after_submission_is_impossible(base_intake: dict[str, Any]) -> None:
    base_intake["medications"] = [
        {"name": "tramadol", "status": "stopped", "stopped_on": "2026-11-02"}
    ]
    assert "after the submission date" in errors_of(base_intake)["medications[0].stopped_on"]


@pytest.mark.parametrize("severity", [-1, 11, 7.5, "high", None])
def test_severity_outside_0_to_10_is_refused(base_intake: dict[str, Any], severity: Any) -> None:
    base_intake["goals"][0]["severity"] = severity
    message = errors_of(base_intake)["goals[0].severity"]
    assert "0 to 10" in message


@pytest.mark.parametrize(
    ("section", "field", "value", "choices"),
    [
        ("history", "liver_disease", "maybe", "acute_hepatitis"),
        ("history", "diabetes", "type3", "prediabetes"),
    ],
)
def test_unknown_enum_values_list_the_choices(
    base_intake: dict[str, Any], section: str, field: str, value: str, choices: str
) -> None:
    base_intake[section][field] = value
    message = errors_of(base_intake)[f"{section}.{field}"]
    assert f'"{value}"' in message and choices in message


def test_an_unknown_medication_status_is_refused(base_intake: dict[str, Any]) -> None:
    base_intake["medications"] = [{"name": "aspirin", "status": "paused"}]
    assert "current" in errors_of(base_intake)["medications[0].status"]


def test_an_unknown_goal_is_refused(base_intake: dict[str, Any]) -> None:
    base_intake["goals"][0]["goal"] = "immortality"
    assert "fatigue" in errors_of(base_intake)["goals[0].goal"]


def test_every_error_is_reported_at_once(base_intake: dict[str, Any]) -> None:
    base_intake["submitted_at"] = "2026-02-30"
    base_intake["patient"].pop("date_of_birth")
    base_intake["medications"] = [{"name": "oxycodone", "status": "stopped"}]
    base_intake["history"]["liver_disease"] = "maybe"
    base_intake["history"]["pregnant"] = "no"
    base_intake["goals"][0]["severity"] = 11
    assert set(errors_of(base_intake)) == {
        "submitted_at",
        "patient.date_of_birth",
        "medications[0].stopped_on",
        "history.liver_disease",
        "history.pregnant",
        "goals[0].severity",
    }


def test_a_missing_history_answer_is_required_not_assumed(base_intake: dict[str, Any]) -> None:
    del base_intake["history"]["pregnant"]
    assert "required" in errors_of(base_intake)["history.pregnant"]


@pytest.mark.parametrize("document", [[], "intake", 3, None, True])
def test_a_document_that_is_not_an_object_is_refused(document: Any) -> None:
    assert "JSON object" in errors_of(document)["(document)"]


def test_optional_parts_may_be_left_out(base_intake: dict[str, Any]) -> None:
    for key in ("goals", "ketosis"):
        del base_intake[key]
    for key in ("first_name", "last_name", "email", "phone"):
        del base_intake["patient"][key]
    del base_intake["history"]["notes"]
    del base_intake["history"]["planned_surgery_date"]
    intake = validate_intake(base_intake)
    assert intake.goals == () and intake.wants_ketosis is False


def test_validation_does_not_change_the_document(base_intake: dict[str, Any]) -> None:
    before = copy.deepcopy(base_intake)
    validate_intake(base_intake)
    assert base_intake == before


def test_precise_errors_are_empty_for_a_valid_document(base_intake: dict[str, Any]) -> None:
    assert intake_errors(base_intake) == []


def test_the_generated_fast_validator_is_current_and_in_use() -> None:
    from workflows.screening import validation

    shipped = validation.GENERATED_VALIDATOR.read_text(encoding="utf-8")
    assert shipped == validation.fast_validator_source(), "run `make validator`"
    assert validation._fast_validator().__module__ == "workflows.screening.intake_fast_validator"


def test_a_schema_changed_without_regenerating_is_compiled_at_start_up_instead(
    monkeypatch: pytest.MonkeyPatch, base_intake: dict[str, Any]
) -> None:
    from workflows.screening import validation

    monkeypatch.setattr(validation, "_schema_digest", lambda: "another schema")
    validation._fast_validator.cache_clear()
    try:
        compiled = validation._fast_validator()
        assert compiled.__module__ != "workflows.screening.intake_fast_validator"
        assert validate_intake(base_intake).patient.state_of_residence == "TX"
    finally:
        validation._fast_validator.cache_clear()
