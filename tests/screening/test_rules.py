"""Each flag fires on its trigger, at its boundaries, with a reason and the triggering input."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from workflows.screening import screen_document
from workflows.screening.rules import age_on


def codes(flags: list[dict[str, Any]]) -> list[str]:
    return [flag["code"] for flag in flags]


def with_medication(base: dict[str, Any], name: str, **extra: Any) -> dict[str, Any]:
    base["medications"] = [{"name": name, **extra}]
    return screen_document(base)


# --- age -------------------------------------------------------------------------------------


def test_the_day_before_the_18th_birthday_is_under_18(base_intake: dict[str, Any]) -> None:
    base_intake["submitted_at"] = "2026-06-15"
    base_intake["patient"]["date_of_birth"] = "2008-06-16"
    [flag] = screen_document(base_intake)["hard_stops"]
    assert flag["code"] == "UNDER_18"
    assert flag["evidence"] == "date_of_birth: 2008-06-16"
    assert "17" in flag["reason"]


def test_the_18th_birthday_itself_is_adult(base_intake: dict[str, Any]) -> None:
    base_intake["submitted_at"] = "2026-06-15"
    base_intake["patient"]["date_of_birth"] = "2008-06-15"
    assert screen_document(base_intake)["hard_stops"] == []


def test_a_leap_day_birthday_turns_18_on_the_first_of_march() -> None:
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


# --- opioids -------------------------------------------------------------------------------


def test_a_current_opioid_is_a_hard_stop_with_the_typed_name_as_evidence(
    base_intake: dict[str, Any],
) -> None:
    result = with_medication(base_intake, "Norco 10/325", status="current")
    [flag] = result["hard_stops"]
    assert flag["code"] == "OPIOID_CURRENT"
    assert flag["evidence"] == "Norco 10/325"
    assert flag["ingredient"] == "hydrocodone"
    assert flag["field"] == "medications[0].name"
    assert result["decision"] == "ineligible" and result["route"]["queue"] == "coordinator"


def test_status_defaults_to_current(base_intake: dict[str, Any]) -> None:
    assert codes(with_medication(base_intake, "tramadol")["hard_stops"]) == ["OPIOID_CURRENT"]


@pytest.mark.parametrize(
    ("stopped_on", "fires", "earliest"),
    [
        ("2026-11-01", True, "2026-11-15"),  # stopped on the day of submission
        ("2026-10-19", True, "2026-11-02"),  # 13 days before
        ("2026-10-18", False, None),  # exactly 14 days before: washout complete
        ("2026-09-01", False, None),
    ],
)
def test_opioid_washout_is_fewer_than_14_days(
    base_intake: dict[str, Any], stopped_on: str, fires: bool, earliest: str | None
) -> None:
    result = with_medication(base_intake, "oxycodone", status="stopped", stopped_on=stopped_on)
    washouts = [flag for flag in result["cautions"] if flag["code"] == "OPIOID_WASHOUT"]
    assert bool(washouts) is fires
    if fires:
        assert washouts[0]["earliest_start"] == earliest
        assert earliest in washouts[0]["reason"]
        assert result["earliest_start"] == earliest
        assert result["decision"] == "eligible_with_cautions"


def test_the_latest_washout_end_is_the_earliest_start(base_intake: dict[str, Any]) -> None:
    base_intake["medications"] = [
        {"name": "tramadol", "status": "stopped", "stopped_on": "2026-10-25"},
        {"name": "Percocet", "status": "stopped", "stopped_on": "2026-10-30"},
    ]
    result = screen_document(base_intake)
    assert codes(result["cautions"]) == ["OPIOID_WASHOUT", "OPIOID_WASHOUT"]
    assert result["earliest_start"] == "2026-11-13"


def test_current_and_recently_stopped_opioids_fire_both_flags(base_intake: dict[str, Any]) -> None:
    base_intake["medications"] = [
        {"name": "Norco", "status": "current"},
        {"name": "oxycodone", "status": "stopped", "stopped_on": "2026-10-28"},
    ]
    result = screen_document(base_intake)
    assert codes(result["hard_stops"]) == ["OPIOID_CURRENT"]
    assert codes(result["cautions"]) == ["OPIOID_WASHOUT"]


@pytest.mark.parametrize(
    "name", ["naltrexone 50 mg", "Synthroid", "Prograf", "Jardiance", "Lantus", "glipizide"]
)
def test_stopped_non_opioids_fire_nothing(base_intake: dict[str, Any], name: str) -> None:
    base_intake["history"]["diabetes"] = "type2"
    base_intake["ketosis"]["interested"] = True
    result = with_medication(base_intake, name, status="stopped", stopped_on="2026-10-30")
    assert result["hard_stops"] == [] and result["cautions"] == []
    assert result["ketosis"]["stops"] == [] and result["ketosis"]["cautions"] == []


# --- naltrexone ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["LDN 3 mg", "Vivitrol", "Contrave", "naltrexone 50mg"])
def test_current_naltrexone_is_already_taking_it(base_intake: dict[str, Any], name: str) -> None:
    assert codes(with_medication(base_intake, name)["hard_stops"]) == ["NALTREXONE_ALREADY"]


def test_embeda_fires_opioid_and_naltrexone(base_intake: dict[str, Any]) -> None:
    result = with_medication(base_intake, "Embeda 30 mg/1.2 mg")
    assert codes(result["hard_stops"]) == ["OPIOID_CURRENT", "NALTREXONE_ALREADY"]
    assert {flag["evidence"] for flag in result["hard_stops"]} == {"Embeda 30 mg/1.2 mg"}


# --- history -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("liver", "hard_stops", "cautions", "keto_stops"),
    [
        ("none", [], [], []),
        ("chronic", [], ["CHRONIC_LIVER"], []),
        ("acute_hepatitis", ["ACUTE_LIVER"], [], ["KETO_LIVER_FAILURE"]),
        ("liver_failure", ["ACUTE_LIVER"], [], ["KETO_LIVER_FAILURE"]),
    ],
)
def test_liver_disease(
    base_intake: dict[str, Any],
    liver: str,
    hard_stops: list[str],
    cautions: list[str],
    keto_stops: list[str],
) -> None:
    base_intake["history"]["liver_disease"] = liver
    base_intake["ketosis"]["interested"] = True
    result = screen_document(base_intake)
    assert codes(result["hard_stops"]) == hard_stops
    assert codes(result["cautions"]) == cautions
    assert codes(result["ketosis"]["stops"]) == keto_stops
    for flag in result["hard_stops"] + result["cautions"]:
        assert flag["evidence"] == f"liver_disease: {liver}"


def test_naltrexone_allergy_is_a_hard_stop(base_intake: dict[str, Any]) -> None:
    base_intake["history"]["naltrexone_allergy"] = True
    [flag] = screen_document(base_intake)["hard_stops"]
    assert (flag["code"], flag["evidence"]) == ("NALTREXONE_ALLERGY", "naltrexone_allergy: true")


@pytest.mark.parametrize(
    ("surgery", "fires"),
    [("2026-11-01", True), ("2026-12-24", True), ("2026-10-31", False), (None, False)],
)
def test_planned_surgery_on_or_after_submission(
    base_intake: dict[str, Any], surgery: str | None, fires: bool
) -> None:
    base_intake["history"]["planned_surgery_date"] = surgery
    assert ("PLANNED_SURGERY" in codes(screen_document(base_intake)["cautions"])) is fires


def test_organ_transplant_alone_fires_the_transplant_caution(base_intake: dict[str, Any]) -> None:
    base_intake["history"]["organ_transplant"] = True
    [flag] = screen_document(base_intake)["cautions"]
    assert (flag["code"], flag["evidence"]) == (
        "TRANSPLANT_IMMUNOSUPPRESSANT",
        "organ_transplant: true",
    )


@pytest.mark.parametrize("name", ["Prograf 1 mg", "Neoral", "sirolimus", "Zortress"])
def test_systemic_immunosuppressant_fires_the_transplant_caution(
    base_intake: dict[str, Any], name: str
) -> None:
    assert codes(with_medication(base_intake, name)["cautions"]) == ["TRANSPLANT_IMMUNOSUPPRESSANT"]


@pytest.mark.parametrize(
    "name", ["Restasis 0.05% eye drops", "cyclosporine eye drops", "tacrolimus 0.1% ointment"]
)
def test_local_immunosuppressant_fires_nothing(base_intake: dict[str, Any], name: str) -> None:
    assert with_medication(base_intake, name)["cautions"] == []


@pytest.mark.parametrize("name", ["Synthroid 75 mcg", "Armour Thyroid", "Cytomel", "synthriod"])
def test_thyroid_hormone_is_a_caution(base_intake: dict[str, Any], name: str) -> None:
    [flag] = with_medication(base_intake, name)["cautions"]
    assert (flag["code"], flag["evidence"]) == ("THYROID_REPLACEMENT", name)


@pytest.mark.parametrize("field", ["pregnant", "breastfeeding"])
def test_pregnancy_or_breastfeeding_is_a_caution_and_a_keto_stop(
    base_intake: dict[str, Any], field: str
) -> None:
    base_intake["history"][field] = True
    base_intake["ketosis"]["interested"] = True
    result = screen_document(base_intake)
    assert codes(result["cautions"]) == ["PREGNANCY"]
    assert codes(result["ketosis"]["stops"]) == ["KETO_PREGNANCY"]
    assert result["decision"] == "eligible_with_cautions" and result["ketosis"]["ok"] is False


# --- ketosis -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("diabetes", "type1", "KETO_TYPE1_DIABETES"),
        ("eating_disorder", True, "KETO_EATING_DISORDER"),
        ("pancreatitis", True, "KETO_PANCREATITIS"),
        ("inborn_metabolic_disorder", True, "KETO_INBORN_ERROR"),
    ],
)
def test_history_ketosis_stops(
    base_intake: dict[str, Any], field: str, value: Any, code: str
) -> None:
    base_intake["history"][field] = value
    base_intake["ketosis"]["interested"] = True
    result = screen_document(base_intake)
    assert codes(result["ketosis"]["stops"]) == [code]
    assert result["ketosis"]["ok"] is False
    assert result["decision"] == "eligible"


@pytest.mark.parametrize(
    ("field", "code"),
    [("kidney_stones", "KETO_KIDNEY_STONES"), ("gallbladder_disease", "KETO_GALLBLADDER")],
)
def test_history_ketosis_cautions_keep_ketosis_ok(
    base_intake: dict[str, Any], field: str, code: str
) -> None:
    base_intake["history"][field] = True
    base_intake["ketosis"]["interested"] = True
    result = screen_document(base_intake)
    assert codes(result["ketosis"]["cautions"]) == [code]
    assert result["ketosis"]["ok"] is True


@pytest.mark.parametrize("name", ["Jardiance", "Synjardy XR", "dapagliflozin 10mg", "Invokamet"])
def test_sglt2_inhibitor_is_a_keto_stop_whatever_the_diabetes(
    base_intake: dict[str, Any], name: str
) -> None:
    base_intake["ketosis"]["interested"] = True
    result = with_medication(base_intake, name)
    assert codes(result["ketosis"]["stops"]) == ["KETO_SGLT2"]


@pytest.mark.parametrize(
    ("diabetes", "fires"),
    [("type2", True), ("type1", False), ("prediabetes", False), ("none", False)],
)
def test_insulin_or_sulfonylurea_caution_is_for_type_2_only(
    base_intake: dict[str, Any], diabetes: str, fires: bool
) -> None:
    base_intake["history"]["diabetes"] = diabetes
    base_intake["ketosis"]["interested"] = True
    for name in ("Lantus 20 units", "glipizide", "Amaryl", "Soliqua"):
        result = with_medication(base_intake, name)
        assert ("KETO_INSULIN_OR_SULFONYLUREA" in codes(result["ketosis"]["cautions"])) is fires


def test_ketosis_not_requested_means_no_keto_flags_and_ok_null(base_intake: dict[str, Any]) -> None:
    base_intake["history"].update(diabetes="type1", pancreatitis=True, kidney_stones=True)
    result = with_medication(base_intake, "Jardiance")
    assert result["ketosis"] == {"requested": False, "ok": None, "stops": [], "cautions": []}


def test_ketosis_is_evaluated_even_when_ldn_is_ineligible(base_intake: dict[str, Any]) -> None:
    base_intake["ketosis"]["interested"] = True
    base_intake["history"]["pancreatitis"] = True
    result = with_medication(base_intake, "Norco")
    assert result["decision"] == "ineligible"
    assert codes(result["ketosis"]["stops"]) == ["KETO_PANCREATITIS"]


# --- decision, route, score ----------------------------------------------------------------


def test_out_of_state_alone_goes_to_the_waitlist_and_with_another_stop_to_a_coordinator(
    base_intake: dict[str, Any],
) -> None:
    base_intake["patient"]["state_of_residence"] = "Kansas"
    assert screen_document(base_intake)["route"]["queue"] == "waitlist"
    base_intake["history"]["naltrexone_allergy"] = True
    assert screen_document(base_intake)["route"]["queue"] == "coordinator"


def test_no_matched_condition_needs_review_even_with_cautions(base_intake: dict[str, Any]) -> None:
    base_intake["diagnoses"] = [{"name": "migraine"}]
    result = with_medication(base_intake, "Synthroid")
    assert result["decision"] == "needs_review"
    assert result["route"]["queue"] == "coordinator"


def test_score_follows_the_documented_formula(base_intake: dict[str, Any]) -> None:
    base_intake["diagnoses"] = [{"name": "psoriasis"}, {"name": "crohns"}]  # best tier A: 50
    base_intake["goals"] = [{"goal": "pain", "severity": 3}, {"goal": "fatigue", "severity": 7}]
    base_intake["medications"] = [{"name": "Synthroid"}]  # one caution code: 25 - 8 = 17
    result = screen_document(base_intake)
    assert result["score_parts"] == {"evidence": 50, "burden": 18, "readiness": 17}
    assert result["score"] == 85 == result["route"]["priority"]


def test_a_hard_stop_scores_zero(base_intake: dict[str, Any]) -> None:
    assert with_medication(base_intake, "Norco")["score"] == 0


def test_flags_are_ordered_as_the_contract_lists_codes(base_intake: dict[str, Any]) -> None:
    base_intake["patient"]["state_of_residence"] = "Ohio"
    base_intake["history"].update(naltrexone_allergy=True, pregnant=True, organ_transplant=True)
    base_intake["medications"] = [{"name": "Embeda"}, {"name": "Synthroid"}]
    result = screen_document(base_intake)
    assert codes(result["hard_stops"]) == [
        "OUT_OF_STATE",
        "OPIOID_CURRENT",
        "NALTREXONE_ALREADY",
        "NALTREXONE_ALLERGY",
    ]
    assert codes(result["cautions"]) == [
        "THYROID_REPLACEMENT",
        "TRANSPLANT_IMMUNOSUPPRESSANT",
        "PREGNANCY",
    ]


def test_the_same_intake_always_gives_the_same_result(base_intake: dict[str, Any]) -> None:
    base_intake["medications"] = [{"name": "synthriod"}, {"name": "oxycodon"}]
    assert screen_document(base_intake) == screen_document(base_intake)
