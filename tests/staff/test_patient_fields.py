"""Who a case is about, kept in columns the staff lists show, search and match on."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.staff.helpers import routed_case
from workflows.cases.patient_fields import (
    birth_date_of,
    email_key,
    main_condition_of,
    person_key,
)


def test_names_fold_case_accents_punctuation_and_spaces() -> None:
    assert person_key("Rosa", "Hernández-Díaz") == "rosa hernandez diaz"
    assert person_key("  ROSA ", "hernandez  díaz") == "rosa hernandez diaz"
    assert person_key("Zoë", "O'Brien") == "zoe obrien"
    assert person_key(None, "") == ""


def test_an_email_is_compared_trimmed_and_in_lower_case() -> None:
    assert email_key("  Rosa.H@Example.ORG ") == "rosa.h@example.org"
    assert email_key("") is None
    assert email_key(None) is None


def test_a_birth_date_is_a_date_or_nothing() -> None:
    assert birth_date_of("1980-04-02") == date(1980, 4, 2)
    assert birth_date_of("04/02/1980") is None
    assert birth_date_of(None) is None


def test_the_main_condition_is_the_first_matched_one() -> None:
    result = {
        "conditions": [
            {"input": "tired", "matched": None},
            {"input": "crohns", "matched": "crohn_disease"},
            {"input": "fibro", "matched": "fibromyalgia"},
        ]
    }
    assert main_condition_of(result) == "crohn_disease"
    assert main_condition_of({"conditions": []}) is None
    assert main_condition_of(None) is None


def test_a_submitted_case_keeps_who_it_is_about_beside_its_intake(
    app: Any, base_intake: dict[str, Any]
) -> None:
    base_intake["patient"].update(
        first_name="Rosa",
        last_name="Hernández",
        email=" Rosa@Example.org",
        date_of_birth="1975-06-30",
        state_of_residence="Ontario",
    )
    base_intake["diagnoses"] = [{"name": "crohns"}]
    case = routed_case(app, base_intake)
    assert (case.patient_name, case.name_key, case.surname_key) == (
        "Rosa Hernández",
        "rosa hernandez",
        "hernandez",
    )
    assert case.email_key == "rosa@example.org"
    assert case.birth_date == date(1975, 6, 30)
    assert (case.patient_state, case.state_typed) == ("OTHER", "Ontario")
    assert case.main_condition == "crohn_disease"
