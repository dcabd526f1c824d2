"""Diagnoses map to conditions and tiers; states of residence to the licensed six."""

from __future__ import annotations

from typing import Any

import pytest

from workflows.screening import screen_document


def conditions_of(base: dict[str, Any], *diagnoses: dict[str, Any]) -> list[dict[str, Any]]:
    base["diagnoses"] = list(diagnoses)
    return screen_document(base)["conditions"]


@pytest.mark.parametrize(
    ("typed", "key", "tier"),
    [
        ("crohns", "crohn_disease", "A"),
        ("Crohn's disease", "crohn_disease", "A"),
        ("chrons", "crohn_disease", "A"),
        ("regional enteritis", "crohn_disease", "A"),
        ("UC", "ulcerative_colitis", "B"),
        ("ulcerative colitis", "ulcerative_colitis", "B"),
        ("proctitis (ulcerative)", "ulcerative_colitis", "B"),
        ("fibro", "fibromyalgia", "A"),
        ("FMS", "fibromyalgia", "A"),
        ("Fibromyalgia", "fibromyalgia", "A"),
        ("fibromyalga", "fibromyalgia", "A"),
        ("MS", "multiple_sclerosis", "A"),
        ("relapsing-remitting MS", "multiple_sclerosis", "A"),
        ("RRMS", "multiple_sclerosis", "A"),
        ("multiple sclerosis", "multiple_sclerosis", "A"),
        ("RA", "rheumatoid_arthritis", "B"),
        ("rheumatoid arthritis", "rheumatoid_arthritis", "B"),
        ("rheumatoid", "rheumatoid_arthritis", "B"),
        ("lupus", "systemic_lupus", "B"),
        ("SLE", "systemic_lupus", "B"),
        ("systemic lupus erythematosus", "systemic_lupus", "B"),
        ("Sjogren's", "sjogren_syndrome", "C"),
        ("Sjögren syndrome", "sjogren_syndrome", "C"),
        ("sjogrens", "sjogren_syndrome", "C"),
        ("sicca syndrome", "sjogren_syndrome", "C"),
        ("psoriasis", "psoriasis", "C"),
        ("plaque psoriasis", "psoriasis", "C"),
        ("scleroderma", "systemic_sclerosis", "C"),
        ("systemic sclerosis", "systemic_sclerosis", "C"),
        ("dermatomyositis", "dermatomyositis", "C"),
        ("Hashimoto's", "hashimoto_thyroiditis", "C"),
        ("Hashimoto thyroiditis", "hashimoto_thyroiditis", "C"),
        ("chronic lymphocytic thyroiditis", "hashimoto_thyroiditis", "C"),
        ("CRPS", "complex_regional_pain_syndrome", "C"),
        ("RSD", "complex_regional_pain_syndrome", "C"),
        ("complex regional pain syndrome", "complex_regional_pain_syndrome", "C"),
        ("long covid", "long_covid", "B"),
        ("post-COVID condition", "long_covid", "B"),
        ("PASC", "long_covid", "B"),
        ("ME/CFS", "me_cfs", "B"),
        ("chronic fatigue syndrome", "me_cfs", "B"),
        ("myalgic encephalomyelitis", "me_cfs", "B"),
        ("SIBO", "sibo", "C"),
        ("small intestinal bacterial overgrowth", "sibo", "C"),
    ],
)
def test_typed_diagnosis_matches_its_condition_and_tier(
    base_intake: dict[str, Any], typed: str, key: str, tier: str
) -> None:
    [condition] = conditions_of(base_intake, {"name": typed})
    assert (condition["matched"], condition["evidence_tier"]) == (key, tier)
    assert condition["input"] == typed


@pytest.mark.parametrize("typed", ["migraine", "anxiety", "broken leg", "arthritis", "colitis"])
def test_unknown_diagnosis_is_listed_unmatched(base_intake: dict[str, Any], typed: str) -> None:
    [condition] = conditions_of(base_intake, {"name": typed})
    assert condition["matched"] is None and condition["input"] == typed


@pytest.mark.parametrize("typed", ["ums", "drama", "carsick", "sled", "pass"])
def test_short_forms_match_whole_words_only(base_intake: dict[str, Any], typed: str) -> None:
    [condition] = conditions_of(base_intake, {"name": typed})
    assert condition["matched"] is None


def test_a_short_form_is_never_matched_fuzzily(base_intake: dict[str, Any]) -> None:
    [condition] = conditions_of(base_intake, {"name": "SIB0"})
    assert condition["matched"] is None


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("K50.90", "crohn_disease"),
        ("k50", "crohn_disease"),
        ("K51.90", "ulcerative_colitis"),
        ("M79.7", "fibromyalgia"),
        ("G35", "multiple_sclerosis"),
        ("G35.A", "multiple_sclerosis"),
        ("M05.79", "rheumatoid_arthritis"),
        ("M06.9", "rheumatoid_arthritis"),
        ("M32.14", "systemic_lupus"),
        ("M35.00", "sjogren_syndrome"),
        ("L40.0", "psoriasis"),
        ("M34.9", "systemic_sclerosis"),
        ("M33.20", "dermatomyositis"),
        ("E06.3", "hashimoto_thyroiditis"),
        ("G90.50", "complex_regional_pain_syndrome"),
        ("U09.9", "long_covid"),
        ("G93.32", "me_cfs"),
        ("K63.821", "sibo"),
        ("K63.8219", "sibo"),
        ("K63.829", "sibo"),
    ],
)
def test_icd10_code_decides_when_the_name_is_unclear(
    base_intake: dict[str, Any], code: str, key: str
) -> None:
    [condition] = conditions_of(base_intake, {"name": "my specialist's diagnosis", "icd10": code})
    assert condition["matched"] == key
    assert condition["matched_by"] == "icd10"


@pytest.mark.parametrize("code", ["M79.1", "K63.1", "M35.1", "E06.1", "G93.3", "Z00"])
def test_icd10_code_outside_every_prefix_matches_nothing(
    base_intake: dict[str, Any], code: str
) -> None:
    [condition] = conditions_of(base_intake, {"name": "something", "icd10": code})
    assert condition["matched"] is None


def test_a_clear_name_is_matched_by_name(base_intake: dict[str, Any]) -> None:
    [condition] = conditions_of(base_intake, {"name": "crohns", "icd10": "K50.90"})
    assert condition["matched_by"] == "name"


def test_one_line_naming_two_conditions_lists_both(base_intake: dict[str, Any]) -> None:
    conditions = conditions_of(base_intake, {"name": "RA and Sjogren's"})
    assert {c["matched"] for c in conditions} == {"rheumatoid_arthritis", "sjogren_syndrome"}


@pytest.mark.parametrize(
    "typed",
    [
        "TX",
        "tx",
        "Texas",
        "TEXAS",
        "Tex.",
        " tex ",
        "IA",
        "Iowa",
        "Ia.",
        "IL",
        "Illinois",
        " Ill. ",
        "MO",
        "Missouri",
        "Mo.",
        "FL",
        "Florida",
        "Fla.",
        "fla",
        "GA",
        "Georgia",
        "Ga.",
        "georgia",
    ],
)
def test_licensed_state_spellings_are_in_state(base_intake: dict[str, Any], typed: str) -> None:
    base_intake["patient"]["state_of_residence"] = typed
    assert screen_document(base_intake)["hard_stops"] == []


@pytest.mark.parametrize(
    "typed",
    ["MS", "Mississippi", "IN", "ID", "Kansas", "CA", "New York", "Texass", "Idaho", "Tejas"],
)
def test_other_states_are_out_of_state_with_the_typed_text_as_evidence(
    base_intake: dict[str, Any], typed: str
) -> None:
    base_intake["patient"]["state_of_residence"] = typed
    result = screen_document(base_intake)
    [flag] = result["hard_stops"]
    assert flag["code"] == "OUT_OF_STATE" and flag["evidence"] == typed
    assert result["route"]["queue"] == "waitlist"


@pytest.mark.parametrize(
    ("typed", "evidence"),
    [
        ("", 'state_of_residence: ""'),
        ("   ", 'state_of_residence: "   "'),
        (None, "state_of_residence: null"),
    ],
)
def test_blank_state_is_out_of_state_and_the_evidence_names_the_field(
    base_intake: dict[str, Any], typed: str | None, evidence: str
) -> None:
    base_intake["patient"]["state_of_residence"] = typed
    [flag] = screen_document(base_intake)["hard_stops"]
    assert (flag["code"], flag["evidence"]) == ("OUT_OF_STATE", evidence)
