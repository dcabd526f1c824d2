"""How each medication is read, and what happens to the ones nothing identifies
(screening-contract §5, clinical-facts §3.8-3.9)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import valid_intake
from workflows.screening import default_rules, screen_document
from workflows.screening.findings import read_medication

EVERYDAY_NAMES = Path(__file__).with_name("everyday_names.txt")


def intake_taking(*medications: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The shared valid intake (Crohn's disease, Texas) taking ``medications``."""
    document = valid_intake()
    document["diagnoses"] = [{"name": "crohns", "icd10": "K50.90"}]
    document["medications"] = list(medications)
    document.update(changes)
    return document


def current(name: str) -> dict[str, Any]:
    return {"name": name, "status": "current"}


def stopped(name: str, on: str) -> dict[str, Any]:
    return {"name": name, "status": "stopped", "stopped_on": on}


def codes(result: dict[str, Any], key: str) -> set[str]:
    return {flag["code"] for flag in result[key]}


def every_code(result: dict[str, Any]) -> set[str]:
    ketosis = result["ketosis"]
    return {
        flag["code"]
        for flag in [
            *result["hard_stops"],
            *result["cautions"],
            *result["reviews"],
            *ketosis["stops"],
            *ketosis["cautions"],
        ]
    }


# --- the shape of the reading -----------------------------------------------------------------


def test_each_medication_is_listed_in_input_order_with_how_it_was_read() -> None:
    result = screen_document(
        intake_taking(current("Norco 10/325"), current("white pill from urgent care"))
    )
    norco, unknown = result["medications"]
    assert norco == {
        "input": "Norco 10/325",
        "status": "current",
        "identified": True,
        "ingredients": ["hydrocodone", "acetaminophen"],
        "matched_name": "Norco",
        "source": "rules",
        "field": "medications[0].name",
        "flagged": ["opioid_agonist"],
    }
    assert unknown["identified"] is False and unknown["ingredients"] == []
    assert "source" not in unknown and unknown["field"] == "medications[1].name"
    [review] = result["reviews"]
    assert review["code"] == "MEDICATION_UNIDENTIFIED"
    assert review["evidence"] == "white pill from urgent care"
    assert review["field"] == "medications[1].name"
    assert review["reason"].strip()


def test_a_brand_only_the_vocabulary_knows_fires_through_its_ingredient() -> None:
    # Not in the rule data: the vocabulary resolves it to tramadol, and the rule data decides.
    assert read_medication("Tramagetic 50 mg", default_rules()).source == "vocabulary"
    result = screen_document(intake_taking(current("Tramagetic 50 mg")))
    assert codes(result, "hard_stops") == {"OPIOID_CURRENT"}
    assert result["medications"][0]["source"] == "vocabulary"
    assert "tramadol" in result["medications"][0]["ingredients"]


def test_a_common_drug_only_the_vocabulary_knows_is_identified_and_fires_nothing() -> None:
    result = screen_document(intake_taking(current("Zoloft 50 mg")))
    [zoloft] = result["medications"]
    assert zoloft["identified"] and zoloft["ingredients"] == ["sertraline"]
    assert result["decision"] == "eligible" and result["reviews"] == []


def test_ikervis_eye_drops_are_identified_and_fire_nothing() -> None:
    result = screen_document(intake_taking(current("Ikervis 0.1% eye drops")))
    assert result["medications"][0]["identified"]
    assert result["medications"][0]["flagged"] == []
    assert every_code(result) == set()


# --- entries that say there is no medication ----------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "None",
        "none",
        "n/a",
        "N/A",
        "NA",
        "nothing",
        "no meds",
        "No medications",
        "none currently",
        "Ninguno",
        "nada",
        "ninguna",
        "no tomo ningún medicamento",
        "Not applicable",
        "no",
    ],
)
def test_an_entry_that_says_there_is_no_medication_is_left_out(typed: str) -> None:
    result = screen_document(intake_taking(current(typed)))
    assert result["medications"] == [] and result["reviews"] == []
    assert result["decision"] == "eligible"


@pytest.mark.parametrize("typed", ["no meds except Norco", "none but oxycodone"])
def test_a_no_medication_entry_that_names_a_drug_is_still_read(typed: str) -> None:
    result = screen_document(intake_taking(current(typed)))
    assert codes(result, "hard_stops") == {"OPIOID_CURRENT"}


@pytest.mark.parametrize("typed", ["magnesium 400 mg", "potassium chloride 20 mEq"])
def test_a_product_named_only_in_salt_words_is_a_product_not_a_none(typed: str) -> None:
    [reading] = screen_document(intake_taking(current(typed)))["medications"]
    assert reading["identified"]


def test_an_entry_with_no_letters_is_not_a_none_and_goes_to_a_person() -> None:
    result = screen_document(intake_taking(current("?")))
    assert codes(result, "reviews") == {"MEDICATION_UNIDENTIFIED"}


# --- unidentified medications --------------------------------------------------------------------


def test_an_unidentified_current_medication_makes_the_case_needs_review() -> None:
    result = screen_document(intake_taking(current("BP pill, not sure of the name")))
    assert codes(result, "reviews") == {"MEDICATION_UNIDENTIFIED"}
    assert (result["decision"], result["route"]["queue"]) == ("needs_review", "coordinator")


@pytest.mark.parametrize(
    ("stopped_on", "reported"),
    [
        ("2026-10-27", True),  # 5 days before: could still be an opioid in washout
        ("2026-10-19", True),  # 13 days
        ("2026-10-18", False),  # 14 days: past any washout
        ("2026-09-22", False),  # 40 days
    ],
)
def test_an_unidentified_stopped_medication_is_reported_only_within_14_days(
    stopped_on: str, reported: bool
) -> None:
    result = screen_document(intake_taking(stopped("pain pill from urgent care", stopped_on)))
    assert bool(result["reviews"]) is reported
    assert result["decision"] == ("needs_review" if reported else "eligible")
    assert result["medications"][0]["identified"] is False


def test_a_hard_stop_wins_over_a_review_but_the_review_is_still_listed() -> None:
    result = screen_document(
        intake_taking(current("Percocet 5/325"), current("something for my heart"))
    )
    assert result["decision"] == "ineligible"
    assert codes(result, "reviews") == {"MEDICATION_UNIDENTIFIED"}


def test_a_review_with_cautions_is_still_needs_review() -> None:
    result = screen_document(intake_taking(current("Synthroid"), current("my heart pill")))
    assert codes(result, "cautions") == {"THYROID_REPLACEMENT"}
    assert result["decision"] == "needs_review"


def test_ketosis_flags_are_evaluated_as_before_beside_a_review() -> None:
    result = screen_document(
        intake_taking(current("Jardiance"), current("mystery tablet"), ketosis={"interested": True})
    )
    assert codes(result, "reviews") == {"MEDICATION_UNIDENTIFIED"}
    assert result["ketosis"]["ok"] is False
    assert {f["code"] for f in result["ketosis"]["stops"]} == {"KETO_SGLT2"}


def test_a_word_one_slip_from_a_drug_and_from_a_lookalike_is_not_guessed() -> None:
    # "laanda" is one slip from Lazanda (fentanyl) and from lavanda (lavender): nobody can tell.
    result = screen_document(intake_taking(current("laanda")))
    assert codes(result, "hard_stops") == set()
    assert codes(result, "reviews") == {"MEDICATION_UNIDENTIFIED"}


# --- brand forms (clinical-facts §3.8, last paragraph) ------------------------------------------


@pytest.mark.parametrize(
    ("typed", "ingredient"),
    [
        ("Roxy Bond 5 mg", "oxycodone"),
        ("Roxi Bond", "oxycodone"),  # one slip in the joined form
        ("Tussi-Caps", "hydrocodone"),
        ("Tussi Caps", "hydrocodone"),
        ("NPThyroid 60 mg", "desiccated thyroid"),
        ("WPThyroid", "desiccated thyroid"),
        ("ArmourThyroid", "desiccated thyroid"),
        ("ArmorThyroid", "desiccated thyroid"),
        ("LevoT 50 mcg", "levothyroxine"),
        ("Levo T", "levothyroxine"),
        ("Oxy Contin 10", "oxycodone"),
        ("Xtampza", "oxycodone"),  # without its release suffix
        ("Nucynta-ER", "tapentadol"),
    ],
)
def test_a_brand_with_its_spaces_moved_or_missing_is_the_same_brand(
    typed: str, ingredient: str
) -> None:
    reading = read_medication(typed, default_rules())
    assert ingredient in {found.ingredient for found in reading.flagged}


@pytest.mark.parametrize("typed", ["Hydroxy Chloroquine", "Oxy Butynin", "Metho Carbamol"])
def test_lookalikes_typed_in_pieces_still_fire_nothing(typed: str) -> None:
    assert read_medication(typed, default_rules()).flagged == ()


# --- a coordinator's identification ---------------------------------------------------------------


def test_a_recorded_identification_replaces_the_reading_of_that_exact_text() -> None:
    document = intake_taking(current("pain pill from urgent care"), current("BP pill"))
    result = screen_document(
        document, identifications={"pain pill from urgent care": ["oxycodone", "acetaminophen"]}
    )
    pain, blood_pressure = result["medications"]
    assert pain["source"] == "coordinator" and pain["identified"]
    assert pain["ingredients"] == ["oxycodone", "acetaminophen"]
    assert codes(result, "hard_stops") == {"OPIOID_CURRENT"}
    # The other one is still unknown.
    assert [r["evidence"] for r in result["reviews"]] == ["BP pill"]


def test_an_identification_as_an_unflagged_drug_clears_the_review() -> None:
    document = intake_taking(current("BP pill"))
    result = screen_document(document, identifications={"BP pill": ["lisinopril"]})
    assert result["reviews"] == [] and result["decision"] == "eligible"
    assert result["medications"][0]["ingredients"] == ["lisinopril"]


def test_an_identification_does_not_follow_a_changed_text() -> None:
    document = intake_taking(current("BP pill 10 mg"))
    result = screen_document(document, identifications={"BP pill": ["lisinopril"]})
    assert codes(result, "reviews") == {"MEDICATION_UNIDENTIFIED"}


# --- everyday lists ------------------------------------------------------------------------------


def everyday_names() -> list[str]:
    lines = EVERYDAY_NAMES.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_hundreds_of_everyday_medications_and_supplements_are_identified_and_fire_nothing() -> None:
    names = everyday_names()
    assert len(names) >= 300
    base = intake_taking(
        ketosis={"interested": True}, history={**intake_taking()["history"], "diabetes": "type2"}
    )
    unidentified, fired = [], []
    for name in names:
        document = copy.deepcopy(base)
        document["medications"] = [current(name)]
        result = screen_document(document)
        if not all(m["identified"] for m in result["medications"]):
            unidentified.append(name)
        if every_code(result):
            fired.append((name, sorted(every_code(result))))
    assert unidentified == []
    assert fired == []
