"""Drug and diagnosis names typed in Spanish match the same rule data as the English generic:
same ingredient, same flags, same condition, with or without accents and with one slip."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from rapidfuzz.distance import OSA

from workflows.screening import default_rules, screen_document
from workflows.screening.findings import read_medication
from workflows.screening.normalise import fold
from workflows.screening.ruledata import RULES_DIR


def ingredients_of(typed: str) -> set[str]:
    return {found.ingredient for found in read_medication(typed, default_rules()).flagged}


def flags_for_medication(intake: dict[str, Any], name: str, status: str = "current") -> list[str]:
    document = copy.deepcopy(intake)
    # The ketosis codes fire too: SGLT2 inhibitors, and insulin or sulfonylureas in type 2.
    document["ketosis"] = {"interested": True}
    document["history"]["diabetes"] = "type2"
    medication: dict[str, Any] = {"name": name, "status": status}
    if status == "stopped":
        medication["stopped_on"] = "2026-10-25"
    document["medications"] = [medication]
    result = screen_document(document)
    found = result["hard_stops"] + result["cautions"]
    found += result["ketosis"]["stops"] + result["ketosis"]["cautions"]
    return sorted(flag["code"] for flag in found)


def condition_of(intake: dict[str, Any], typed: str) -> str | None:
    document = copy.deepcopy(intake)
    document["diagnoses"] = [{"name": typed}]
    [condition] = screen_document(document)["conditions"]
    return condition["matched"]


# (Spanish as typed, the English generic it is): the names first, then the lexicon's.
SPANISH_DRUGS = [
    ("oxicodona", "oxycodone"),
    ("levotiroxina", "levothyroxine"),
    ("tramadol", "tramadol"),
    ("naltrexona", "naltrexone"),
    ("hidrocodona", "hydrocodone"),
    ("morfina", "morphine"),
    ("codeína", "codeine"),
    ("dihidrocodeína", "dihydrocodeine"),
    ("fentanilo", "fentanyl"),
    ("metadona", "methadone"),
    ("meperidina", "meperidine"),
    ("petidina", "meperidine"),
    ("buprenorfina", "buprenorphine"),
    ("hidromorfona", "hydromorphone"),
    ("oximorfona", "oxymorphone"),
    ("tapentadol", "tapentadol"),
    ("levorfanol", "levorphanol"),
    ("butorfanol", "butorphanol"),
    ("pentazocina", "pentazocine"),
    ("nalbufina", "nalbuphine"),
    ("láudano", "opium"),
    ("tiroxina", "levothyroxine"),
    ("liotironina", "liothyronine"),
    ("tiroides desecada", "desiccated thyroid"),
    ("ciclosporina", "cyclosporine"),
    ("empagliflozina", "empagliflozin"),
    ("dapagliflozina", "dapagliflozin"),
    ("canagliflozina", "canagliflozin"),
    ("insulina", "insulin"),
    ("insulina glargina", "insulin"),
    ("glipizida", "glipizide"),
    ("glibenclamida", "glyburide"),
    ("glimepirida", "glimepiride"),
]


@pytest.mark.parametrize(("spanish", "english"), SPANISH_DRUGS)
def test_a_spanish_drug_name_fires_the_same_flags_as_the_english_generic(
    base_intake: dict[str, Any], spanish: str, english: str
) -> None:
    assert ingredients_of(spanish) == {english}
    english_flags = flags_for_medication(base_intake, english)
    assert english_flags, f"{english} should fire a flag"
    assert flags_for_medication(base_intake, spanish) == english_flags
    # recently stopped: the same stopped-medication rules
    assert flags_for_medication(base_intake, spanish, "stopped") == flags_for_medication(
        base_intake, english, "stopped"
    )


@pytest.mark.parametrize(("spanish", "english"), SPANISH_DRUGS)
def test_a_spanish_drug_name_matches_without_its_accents_and_in_capitals(
    spanish: str, english: str
) -> None:
    assert ingredients_of(fold(spanish)) == {english}
    assert ingredients_of(spanish.upper() + " 10 mg") == {english}


@pytest.mark.parametrize(
    ("typed", "ingredient"),
    [
        ("oxicodna", "oxycodone"),
        ("oxycodona", "oxycodone"),
        ("levotiroxin 50 mcg", "levothyroxine"),
        ("levotiroxyna", "levothyroxine"),
        ("naltrexon", "naltrexone"),
        ("naltrexonna 4.5 mg", "naltrexone"),
        ("hidrocodna", "hydrocodone"),
        ("morfna", "morphine"),
        ("fentanlo", "fentanyl"),
        ("buprenorfna", "buprenorphine"),
        ("codeina jarabe", "codeine"),
        ("metadna", "methadone"),
    ],
)
def test_a_one_letter_slip_in_a_spanish_drug_name_still_matches(
    typed: str, ingredient: str
) -> None:
    assert ingredients_of(typed) == {ingredient}


SPANISH_LOOKALIKES = [
    "naloxona 4 mg aerosol nasal",
    "inulina",
    "tirosina",
    "L-tirosina 500 mg",
    "metformina 850 mg",
    "hidrocortisona crema 1%",
    "hidroxicloroquina 200 mg",
    "trazodona 50 mg",
    "oxibutinina",
    "loperamida",
    "dextrometorfano",
    "prometazina",
    "acetaminofén 500 mg",
    "paracetamol",
    "bupropión 150 mg",
    "metimazol",
    "micofenolato de mofetilo",
    "prednisona 5 mg",
    "semaglutida",
    "sitagliptina",
    "metilnaltrexona",
    "jarabe sin codeína",
]


@pytest.mark.parametrize("typed", SPANISH_LOOKALIKES)
def test_a_spanish_lookalike_fires_nothing(typed: str) -> None:
    assert read_medication(typed, default_rules()).flagged == ()


SPANISH_COMMON_MEDICATIONS = [
    "vitamina D3 2000 UI",
    "aceite de pescado",
    "glicinato de magnesio",
    "omeprazol 20 mg",
    "ibuprofeno 400 mg",
    "naproxeno",
    "gabapentina 300 mg",
    "pregabalina",
    "duloxetina",
    "sertralina",
    "amitriptilina",
    "ciclobenzaprina",
    "tizanidina",
    "losartán",
    "atorvastatina",
    "metotrexato 15 mg semanal",
    "mesalazina",
    "melatonina",
    "cúrcuma",
    "probiótico",
    "hierro",
    "ácido fólico",
    "levocetirizina",
    "loratadina",
    "ondansetrón",
    "famotidina",
    "pantoprazol",
    "difenhidramina",
    "espironolactona",
    "progesterona",
    "budesonida",
    "buspirona",
    "lamotrigina",
    "topiramato",
    "rifaximina",
]


@pytest.mark.parametrize("typed", SPANISH_COMMON_MEDICATIONS)
def test_a_common_unflagged_medication_in_spanish_fires_nothing(typed: str) -> None:
    assert read_medication(typed, default_rules()).flagged == ()


def _spanish_lookalike_names() -> list[str]:
    """Single words: a slip in a phrase ("sin codeína" -> "in codeína") may rightly name a drug."""
    document = yaml.safe_load((RULES_DIR / "not_flagged.yaml").read_text(encoding="utf-8"))
    return [
        name
        for entry in document["entries"]
        for name in entry.get("names_es", ())
        if " " not in name
    ]


@pytest.mark.parametrize("name", _spanish_lookalike_names())
def test_every_spanish_lookalike_fires_nothing_even_with_one_slip(name: str) -> None:
    assert read_medication(name, default_rules()).flagged == ()
    for cut in range(len(name)):
        slipped = name[:cut] + name[cut + 1 :]
        found = ingredients_of(slipped)
        assert not found or OSA.distance(fold(slipped), fold(name)) > 1, (slipped, found)


SPANISH_DIAGNOSES = [
    ("enfermedad de Crohn", "crohn_disease"),
    ("lupus", "systemic_lupus"),
    ("fibromialgia", "fibromyalgia"),
    ("esclerosis múltiple", "multiple_sclerosis"),
    ("esclerosis múltiple remitente recurrente", "multiple_sclerosis"),
    ("colitis ulcerosa", "ulcerative_colitis"),
    ("lupus eritematoso sistémico", "systemic_lupus"),
    ("artritis reumatoide", "rheumatoid_arthritis"),
    ("síndrome de Sjögren", "sjogren_syndrome"),
    ("esclerodermia", "systemic_sclerosis"),
    ("esclerosis sistémica", "systemic_sclerosis"),
    ("dermatomiositis", "dermatomyositis"),
    ("tiroiditis de Hashimoto", "hashimoto_thyroiditis"),
    ("síndrome de dolor regional complejo", "complex_regional_pain_syndrome"),
    ("covid persistente", "long_covid"),
    ("síndrome de fatiga crónica", "me_cfs"),
    ("encefalomielitis miálgica", "me_cfs"),
    ("sobrecrecimiento bacteriano del intestino delgado", "sibo"),
]


@pytest.mark.parametrize(("typed", "key"), SPANISH_DIAGNOSES)
def test_a_spanish_diagnosis_matches_the_same_condition(
    base_intake: dict[str, Any], typed: str, key: str
) -> None:
    assert condition_of(base_intake, typed) == key
    assert condition_of(base_intake, fold(typed)) == key
    assert condition_of(base_intake, typed.upper()) == key


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("enfermedad de Chron", "crohn_disease"),
        ("fibromialgya", "fibromyalgia"),
        ("esclerosis multple", "multiple_sclerosis"),
        ("esclerosis multiples", "multiple_sclerosis"),
        ("artritis reumatoida", "rheumatoid_arthritis"),
        ("esclerodermya", "systemic_sclerosis"),
    ],
)
def test_a_slip_in_a_spanish_diagnosis_still_matches(
    base_intake: dict[str, Any], typed: str, key: str
) -> None:
    assert condition_of(base_intake, typed) == key


@pytest.mark.parametrize(
    "typed", ["esclerosis", "enfermedad", "síndrome", "artritis", "colitis", "migraña"]
)
def test_a_spanish_word_that_names_no_condition_matches_nothing(
    base_intake: dict[str, Any], typed: str
) -> None:
    assert condition_of(base_intake, typed) is None
