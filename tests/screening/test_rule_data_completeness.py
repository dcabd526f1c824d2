"""Every ingredient of every flagged family (clinical-facts §3.8) is in the rule data, under its
family's class, with the synonyms patients and labels use.

The table of §3.8 is restated below (FAMILIES, SYNONYMS) so that a reader sees what is checked;
a second test reads the table from ../shared/domain/clinical-facts.md and checks that every
ingredient it names resolves too, so a row added to the document cannot go unnoticed.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import SHARED_CASES
from workflows.screening import default_rules

CLINICAL_FACTS = SHARED_CASES.parent / "domain" / "clinical-facts.md"

# clinical-facts §3.8, "Beyond the listed names: every ingredient of each family": the class of
# drugs.yaml each family's flag is triggered by, and the family's ingredients.
FAMILIES: dict[str, list[str]] = {
    "opioid_agonist": [
        "morphine",
        "opium",
        "paregoric",
        "belladonna and opium",
        "hydromorphone",
        "oxycodone",
        "oxymorphone",
        "hydrocodone",
        "benzhydrocodone",
        "codeine",
        "dihydrocodeine",
        "ethylmorphine",
        "pethidine",
        "meperidine",
        "fentanyl",
        "sufentanil",
        "alfentanil",
        "remifentanil",
        "methadone",
        "levomethadyl",
        "propoxyphene",
        "dextropropoxyphene",
        "pentazocine",
        "buprenorphine",
        "butorphanol",
        "nalbuphine",
        "levorphanol",
        "tramadol",
        "tapentadol",
        "tilidine",
        "oliceridine",
        "meptazinol",
        "ketobemidone",
        "piritramide",
        "dextromoramide",
        "dezocine",
        "mitragynine",
        "7-hydroxymitragynine",
        "tianeptine",
    ],
    "naltrexone": ["naltrexone"],
    "thyroid_hormone": ["levothyroxine", "liothyronine", "liotrix", "desiccated thyroid"],
    "transplant_immunosuppressant": [
        "tacrolimus",
        "ciclosporin",
        "cyclosporine",
        "sirolimus",
        "everolimus",
        "voclosporin",
    ],
    "sglt2_inhibitor": [
        "dapagliflozin",
        "canagliflozin",
        "empagliflozin",
        "ertugliflozin",
        "ipragliflozin",
        "sotagliflozin",
        "luseogliflozin",
        "tofogliflozin",
        "remogliflozin",
        "bexagliflozin",
        "henagliflozin",
        "janagliflozin",
    ],
    # "every insulin and insulin analogue (human regular, NPH, lispro, aspart, glulisine,
    # glargine, detemir, degludec, icodec, inhaled)": each analogue on its own, as labels and
    # patients write it, so that "insulin" alone cannot make the check pass.
    "insulin": [
        "insulin",
        "regular insulin",
        "human insulin",
        "NPH insulin",
        "lispro",
        "aspart",
        "glulisine",
        "glargine",
        "detemir",
        "degludec",
        "icodec",
        "inhaled insulin",
    ],
    "sulfonylurea": [
        "glibenclamide",
        "glyburide",
        "glipizide",
        "gliclazide",
        "glimepiride",
        "gliquidone",
        "glibornuride",
        "glisoxepide",
        "tolbutamide",
        "tolazamide",
        "chlorpropamide",
        "acetohexamide",
        "carbutamide",
    ],
}

# Other names of an ingredient (§3.8's parentheses, the INN and USAN pairs, older spellings)
# and the drugs.yaml ingredient each must resolve to.
SYNONYMS: dict[str, str] = {
    "pethidine": "meperidine",
    "dextropropoxyphene": "propoxyphene",
    "LAAM": "levomethadyl",
    "levacetylmethadol": "levomethadyl",
    "pirinitramide": "piritramide",
    "paregoric": "opium",
    "belladonna and opium": "opium",
    "laudanum": "opium",
    "mitragynine": "kratom",
    "7-hydroxymitragynine": "kratom",
    "ciclosporin": "cyclosporine",
    "cyclosporin": "cyclosporine",
    "rapamycin": "sirolimus",
    "glibenclamide": "glyburide",
    "thyroxine": "levothyroxine",
    "L-thyroxine": "levothyroxine",
    "T4": "levothyroxine",
    "T3": "liothyronine",
    "triiodothyronine": "liothyronine",
    "thyroid USP": "desiccated thyroid",
    "porcine thyroid": "desiccated thyroid",
    "insulin icodec": "insulin",
    "icodec": "insulin",
    # Spanish spellings (names_es)
    "tianeptina": "tianeptine",
    "voclosporina": "voclosporin",
    "gliclazida": "gliclazide",
    "petidina": "meperidine",
    "dextropropoxifeno": "propoxyphene",
    "ciclosporina": "cyclosporine",
    "rapamicina": "sirolimus",
    "glibenclamida": "glyburide",
    "tiroxina": "levothyroxine",
}

# Words of §3.8's table that describe a row rather than name an ingredient.
DESCRIPTIONS = {"alone or combined", "biosimilars and premixes"}
# The family column of §3.8's table names the flag; two families share one flag.
FAMILY_CLASSES = [
    ("OPIOID_CURRENT", "opioid_agonist"),
    ("NALTREXONE_ALREADY", "naltrexone"),
    ("THYROID_REPLACEMENT", "thyroid_hormone"),
    ("TRANSPLANT_IMMUNOSUPPRESSANT", "transplant_immunosuppressant"),
    ("KETO_SGLT2", "sglt2_inhibitor"),
    ("insulins", "insulin"),
    ("sulfonylureas", "sulfonylurea"),
]


def exact_ingredients(name: str) -> set[str]:
    """The ingredients ``name`` is listed for, matched exactly (no spelling slip allowed)."""
    hits = default_rules().drugs.find(name)
    return {
        ingredient for hit in hits if not hit.is_fuzzy for ingredient in hit.meaning.ingredients
    }


@pytest.mark.parametrize(
    ("drug_class", "name"),
    [(drug_class, name) for drug_class, names in FAMILIES.items() for name in names],
)
def test_every_ingredient_of_a_family_is_listed_under_its_class(drug_class: str, name: str) -> None:
    rules = default_rules()
    found = exact_ingredients(name)
    assert found, f"{name!r} is not in drugs.yaml"
    assert all(drug_class in rules.ingredient_classes[ingredient] for ingredient in found)


@pytest.mark.parametrize(("name", "ingredient"), SYNONYMS.items())
def test_a_synonym_resolves_to_its_ingredient(name: str, ingredient: str) -> None:
    assert exact_ingredients(name) == {ingredient}


def test_tianeptine_is_its_own_ingredient_under_the_opioids() -> None:
    # an extension of §3.8: a full mu-opioid agonist, not an antidepressant for these rules
    assert default_rules().ingredient_classes["tianeptine"] == {"opioid_agonist"}


def test_voclosporin_is_a_systemic_transplant_immunosuppressant() -> None:
    rules = default_rules()
    assert rules.ingredient_classes["voclosporin"] == {"transplant_immunosuppressant"}
    [hit] = rules.drugs.find("Lupkynis 23.7 mg")
    assert hit.meaning.ingredients == ("voclosporin",) and not hit.meaning.is_local


def section_3_8_rows() -> list[tuple[str, str]]:
    """(family, ingredients) cells of the table of clinical-facts §3.8."""
    assert CLINICAL_FACTS.is_file(), (
        f"{CLINICAL_FACTS} not found: clone the repository beside shared/ "
        "or set LDN_SHARED_CASES to shared/cases"
    )
    text = CLINICAL_FACTS.read_text(encoding="utf-8")
    section = text.split("### 3.8", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    return [(family, ingredients) for family, ingredients, _atc in cells[1:]]


def listed_names(cell: str) -> list[str]:
    """The ingredients a cell names, without its parentheses, markup and descriptions."""
    while re.search(r"\([^()]*\)", cell):
        cell = re.sub(r"\s*\([^()]*\)", "", cell)
    cell = cell.replace("*extension:*", "")
    names = [name.strip() for name in re.split(r"[,;]", cell)]
    return [name for name in names if name and name not in DESCRIPTIONS]


def class_of(family: str) -> str:
    for marker, drug_class in FAMILY_CLASSES:
        if marker in family:
            return drug_class
    raise AssertionError(f"§3.8 has a family this test does not know: {family!r}")


def test_the_restated_table_covers_every_family_of_the_document() -> None:
    classes = [class_of(family) for family, _ in section_3_8_rows()]
    assert sorted(classes) == sorted(FAMILIES)


def test_every_ingredient_the_document_names_is_listed_under_its_class() -> None:
    rules = default_rules()
    missing = []
    for family, cell in section_3_8_rows():
        drug_class = class_of(family)
        for name in listed_names(cell):
            found = exact_ingredients(name)
            if not found or any(drug_class not in rules.ingredient_classes[i] for i in found):
                missing.append((drug_class, name))
    assert missing == []
