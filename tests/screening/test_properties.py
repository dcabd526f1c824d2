"""Random valid intakes never crash the engine, and the decision always agrees with the flags.
Random documents of any shape are either screened or refused with field errors, and the fast
and precise validators agree on every one."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows.screening import InvalidIntake, intake_errors, screen_document, validate_intake
from workflows.screening.validation import _fast_path

pytestmark = pytest.mark.slow  # Hypothesis: hundreds of generated documents per test

DRUG_WORDS = [
    "Norco 10/325",
    "oxycodon",
    "Suboxone",
    "Embeda",
    "LDN 3 mg",
    "synthriod",
    "Prograf",
    "Restasis eye drops",
    "Jardiance",
    "Lantus",
    "glipizide",
    "metformin",
    "oxybutynin",
    "naloxone",
    "Tylenol #3",
    "Tylenol",
    "kratom",
    "vitamin D",
    "mg",
    "10/325",
]
DIAGNOSIS_WORDS = [
    "crohns",
    "MS",
    "fibro",
    "migraine",
    "SLE",
    "Sjögren",
    "ulcerative colitis",
    "",
    "x",
]
STATES = ["TX", "Tex.", "ms", "Kansas", "", " Ill. ", "georgia", None]

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))
text = st.text(max_size=30)


@st.composite
def valid_intakes(draw: st.DrawFn) -> dict[str, Any]:
    submitted = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=submitted))
    medications = []
    for _ in range(draw(st.integers(0, 8))):
        name = draw(st.one_of(st.sampled_from(DRUG_WORDS), text.filter(str.strip)))
        if draw(st.booleans()):
            stopped = submitted - timedelta(days=draw(st.integers(0, 60)))
            medications.append(
                {"name": name, "status": "stopped", "stopped_on": stopped.isoformat()}
            )
        else:
            medications.append({"name": name, "status": "current"})
    surgery = draw(st.one_of(st.none(), dates.map(date.isoformat)))
    return {
        "submitted_at": submitted.isoformat(),
        "patient": {
            "date_of_birth": born.isoformat(),
            "state_of_residence": draw(st.one_of(st.sampled_from(STATES), text)),
        },
        "diagnoses": [
            {
                "name": draw(st.one_of(st.sampled_from(DIAGNOSIS_WORDS), text)),
                "icd10": draw(st.sampled_from([None, "", "K50.90", "M79.7", "Z00"])),
            }
            for _ in range(draw(st.integers(0, 4)))
        ],
        "medications": medications,
        "history": {
            "pregnant": draw(st.booleans()),
            "breastfeeding": draw(st.booleans()),
            "liver_disease": draw(
                st.sampled_from(["none", "chronic", "acute_hepatitis", "liver_failure"])
            ),
            "organ_transplant": draw(st.booleans()),
            "planned_surgery_date": surgery,
            "diabetes": draw(st.sampled_from(["none", "prediabetes", "type1", "type2"])),
            "eating_disorder": draw(st.booleans()),
            "pancreatitis": draw(st.booleans()),
            "kidney_stones": draw(st.booleans()),
            "gallbladder_disease": draw(st.booleans()),
            "inborn_metabolic_disorder": draw(st.booleans()),
            "naltrexone_allergy": draw(st.booleans()),
            "notes": draw(text),
        },
        "goals": [
            {
                "goal": draw(st.sampled_from(["fatigue", "pain", "sleep", "other"])),
                "severity": draw(st.integers(0, 10)),
            }
            for _ in range(draw(st.integers(0, 3)))
        ],
        "ketosis": {"interested": draw(st.booleans())},
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_intakes())
def test_random_valid_intakes_screen_to_a_decision_consistent_with_the_flags(
    intake: dict[str, Any],
) -> None:
    result = screen_document(intake)
    hard = {flag["code"] for flag in result["hard_stops"]}
    matched = [c for c in result["conditions"] if c["matched"]]
    unidentified = [m for m in result["medications"] if not m["identified"]]
    assert {flag["code"] for flag in result["reviews"]} <= {"MEDICATION_UNIDENTIFIED"}
    if hard:
        assert result["decision"] == "ineligible"
        assert result["route"]["queue"] == (
            "waitlist" if hard == {"OUT_OF_STATE"} else "coordinator"
        )
        assert result["score"] == 0
    elif not matched or result["reviews"]:
        assert (result["decision"], result["route"]["queue"]) == ("needs_review", "coordinator")
    else:
        expected = "eligible_with_cautions" if result["cautions"] else "eligible"
        assert (result["decision"], result["route"]["queue"]) == (expected, "physician")
    keto = result["ketosis"]
    if not intake["ketosis"]["interested"]:
        assert keto == {"requested": False, "ok": None, "stops": [], "cautions": []}
    else:
        assert keto["ok"] is (not keto["stops"])
    assert 0 <= result["score"] <= 100 and 0 <= result["route"]["priority"] <= 100
    # Every unidentified current medication is reported; nothing unidentified passes silently.
    reported = {flag["field"] for flag in result["reviews"]}
    for medication in unidentified:
        if medication["status"] == "current":
            assert medication["field"] in reported
    flags = [*result["hard_stops"], *result["cautions"], *result["reviews"]]
    for flag in [*flags, *keto["stops"], *keto["cautions"]]:
        assert flag["reason"].strip() and flag["evidence"].strip()
        assert "{" not in flag["reason"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mangled_intakes(draw: st.DrawFn) -> Any:
    """A valid intake with one or more parts replaced by arbitrary JSON."""
    document = draw(valid_intakes())
    for _ in range(draw(st.integers(1, 3))):
        section = draw(
            st.sampled_from(
                [
                    "submitted_at",
                    "patient",
                    "diagnoses",
                    "medications",
                    "history",
                    "goals",
                    "ketosis",
                ]
            )
        )
        target = document[section]
        if isinstance(target, dict) and target and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(target)))
            target[key] = draw(json_values)
        elif isinstance(target, list) and target and draw(st.booleans()):
            target[draw(st.integers(0, len(target) - 1))] = draw(json_values)
        else:
            document[section] = draw(json_values)
    return document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mangled_intakes(), json_values))
def test_any_document_is_screened_or_refused_with_field_errors(document: Any) -> None:
    try:
        screen_document(document)
    except InvalidIntake as refused:
        assert refused.errors
        assert all(error.field and error.message for error in refused.errors)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mangled_intakes(), valid_intakes()))
def test_fast_and_precise_validators_agree(document: Any) -> None:
    fast_ok = isinstance(document, dict) and _fast_path(document) is not None
    try:
        validate_intake(document)  # the fast path plus the order of dates
        valid = True
    except InvalidIntake:
        valid = False
    precise_ok = intake_errors(document) == []
    assert valid is precise_ok
    # The fast path may only accept what the precise validator accepts (dates in an impossible
    # order are checked after it, on both paths).
    assert not fast_ok or precise_ok or not valid
