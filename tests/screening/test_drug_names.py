"""Medication names as patients type them map to the right ingredients; look-alikes never do."""

from __future__ import annotations

import pytest
import yaml
from rapidfuzz.distance import OSA

from workflows.screening import default_rules
from workflows.screening.findings import IngredientFinding, read_medication
from workflows.screening.ruledata import RULES_DIR


def ingredients_of(typed: str) -> set[str]:
    return {found.ingredient for found in read_medication(typed, default_rules()).flagged}


def findings_of(typed: str) -> tuple[IngredientFinding, ...]:
    return read_medication(typed, default_rules()).flagged


@pytest.mark.parametrize(
    ("typed", "ingredient"),
    [
        # case, spacing, strengths, units, dose forms, salts, release suffixes
        ("OXYCODONE", "oxycodone"),
        ("  oxycodone   hcl 5mg  ", "oxycodone"),
        ("Oxycodone Hydrochloride 10 mg tablet", "oxycodone"),
        ("OxyContin 20mg ER", "oxycodone"),
        ("Xtampza", "oxycodone"),
        ("hydrocodone bitartrate", "hydrocodone"),
        ("Norco 10/325", "hydrocodone"),
        ("norco", "hydrocodone"),
        ("Vicodin ES", "hydrocodone"),
        ("Hysingla ER 30 mg", "hydrocodone"),
        ("Hycodan syrup", "hydrocodone"),
        ("Tussionex", "hydrocodone"),
        ("morphine sulfate ER", "morphine"),
        ("MS Contin 15", "morphine"),
        ("tramadol hydrochloride 50mg", "tramadol"),
        ("Ultram", "tramadol"),
        ("Ultracet", "tramadol"),
        ("Duragesic patch 25 mcg/hr", "fentanyl"),
        ("fentanyl transdermal patch", "fentanyl"),
        ("Methadose", "methadone"),
        ("Demerol", "meperidine"),
        ("pethidine", "meperidine"),
        ("Dilaudid 2mg", "hydromorphone"),
        ("Opana ER", "oxymorphone"),
        ("Nucynta", "tapentadol"),
        ("levorphanol", "levorphanol"),
        ("Subutex", "buprenorphine"),
        ("Butrans 10 mcg/hr patch", "buprenorphine"),
        ("Sublocade injection", "buprenorphine"),
        ("Suboxone 8/2 mg film", "buprenorphine"),
        ("buprenorphine-naloxone", "buprenorphine"),
        ("butorphanol nasal spray", "butorphanol"),
        ("Talwin NX", "pentazocine"),
        ("Nubain", "nalbuphine"),
        ("kratom capsules", "kratom"),
        ("7-hydroxymitragynine", "kratom"),
        ("Mitragyna speciosa powder", "kratom"),
        ("opium tincture", "opium"),
        ("paregoric", "opium"),
        ("Trezix", "dihydrocodeine"),
        ("Synalgos-DC", "dihydrocodeine"),
        # combinations written with /, -, +, &, and, with
        ("oxycodone/acetaminophen 5/325", "oxycodone"),
        ("oxycodone-acetaminophen", "oxycodone"),
        ("oxycodone + APAP", "oxycodone"),
        ("acetaminophen & codeine", "codeine"),
        ("acetaminophen and codeine #3", "codeine"),
        ("Tylenol with Codeine", "codeine"),
        ("Tylenol #3", "codeine"),
        ("tylenol#4", "codeine"),
        ("promethazine with codeine syrup", "codeine"),
        ("guaifenesin/codeine", "codeine"),
        ("Cheratussin AC", "codeine"),
        ("Robitussin AC", "codeine"),
        ("Fioricet with Codeine", "codeine"),
        ("Percocet 10/325", "oxycodone"),
        ("Percodan", "oxycodone"),
        ("Vicoprofen", "hydrocodone"),
        ("Apadaz", "hydrocodone"),
        # naltrexone products
        ("naltrexone 50 mg", "naltrexone"),
        ("Naltrexone HCl 4.5mg", "naltrexone"),
        ("LDN 3 mg (compounded)", "naltrexone"),
        ("low dose naltrexone", "naltrexone"),
        ("Low-Dose Naltrexone 1.5 mg", "naltrexone"),
        ("Vivitrol 380 mg injection", "naltrexone"),
        ("Revia", "naltrexone"),
        ("Contrave", "naltrexone"),
        ("naltrexone/bupropion", "naltrexone"),
        # thyroid hormones
        ("levothyroxine sodium 75 mcg", "levothyroxine"),
        ("Synthroid", "levothyroxine"),
        ("Tirosint-SOL", "levothyroxine"),
        ("Levo-T", "levothyroxine"),
        ("Cytomel 5 mcg", "liothyronine"),
        ("liothyronine", "liothyronine"),
        ("Armour Thyroid 60 mg", "desiccated thyroid"),
        ("NP Thyroid", "desiccated thyroid"),
        ("Nature-Throid", "desiccated thyroid"),
        ("Thyrolar", "liotrix"),
        # transplant immunosuppressants, systemic
        ("Prograf 1 mg", "tacrolimus"),
        ("tacrolimus 1mg capsule", "tacrolimus"),
        ("Envarsus XR", "tacrolimus"),
        ("Neoral 100 mg", "cyclosporine"),
        ("ciclosporin", "cyclosporine"),
        ("Rapamune", "sirolimus"),
        ("Zortress", "everolimus"),
        # SGLT2 inhibitors, alone and combined
        ("Jardiance 10mg", "empagliflozin"),
        ("Jardiance10mg", "empagliflozin"),
        ("Farxiga", "dapagliflozin"),
        ("Invokana", "canagliflozin"),
        ("Steglatro", "ertugliflozin"),
        ("Inpefa", "sotagliflozin"),
        ("Brenzavvy", "bexagliflozin"),
        ("Synjardy XR", "empagliflozin"),
        ("Glyxambi", "empagliflozin"),
        ("Xigduo XR", "dapagliflozin"),
        ("Qtern", "dapagliflozin"),
        ("Invokamet", "canagliflozin"),
        ("Segluromet", "ertugliflozin"),
        ("Steglujan", "ertugliflozin"),
        ("empagliflozin/metformin", "empagliflozin"),
        # insulins and sulfonylureas
        ("Lantus 20 units", "insulin"),
        ("insulin glargine", "insulin"),
        ("Humalog KwikPen", "insulin"),
        ("Novolog 5 units with meals", "insulin"),
        ("Toujeo", "insulin"),
        ("Afrezza inhaled insulin", "insulin"),
        ("Soliqua", "insulin"),
        ("glipizide 5 mg", "glipizide"),
        ("Glucotrol XL", "glipizide"),
        ("glyburide", "glyburide"),
        ("glibenclamide", "glyburide"),
        ("Amaryl 2mg", "glimepiride"),
        ("Glucovance", "glyburide"),
        ("Duetact", "glimepiride"),
        ("Metaglip", "glipizide"),
    ],
)
def test_typed_name_maps_to_its_ingredient(typed: str, ingredient: str) -> None:
    assert ingredient in ingredients_of(typed)


@pytest.mark.parametrize(
    ("typed", "ingredient"),
    [
        ("oxycodon", "oxycodone"),
        ("oxycodne 5mg", "oxycodone"),
        ("hydrocodon 5 mg", "hydrocodone"),
        ("tramadole", "tramadol"),
        ("tramdol 50", "tramadol"),
        ("synthriod 75 mcg", "levothyroxine"),
        ("levothyroxin 50 mcg", "levothyroxine"),
        ("levothyroxene", "levothyroxine"),
        ("morphne", "morphine"),
        ("fentanly", "fentanyl"),
        ("buprenorphin", "buprenorphine"),
        ("Percoset", "oxycodone"),
        ("Dilaudud", "hydromorphone"),
        ("Jardience", "empagliflozin"),
        ("glipizid", "glipizide"),
        ("naltrexon 4.5 mg", "naltrexone"),
        ("tacrolimis", "tacrolimus"),
        ("Armor Thyroid", "desiccated thyroid"),
    ],
)
def test_one_letter_misspelling_of_a_long_name_still_matches(typed: str, ingredient: str) -> None:
    assert ingredient in ingredients_of(typed)
    assert any(found.is_fuzzy for found in findings_of(typed))


@pytest.mark.parametrize("typed", ["Norko", "Opanna", "LDM", "Xodal", "Qtren"])
def test_misspelt_short_names_are_not_guessed(typed: str) -> None:
    assert ingredients_of(typed) == set()


# "trmdol" is not here: it is one slip from Tradol, tramadol's Mexican brand, so it rightly
# matches tramadol. "trmadl" is two slips from tramadol and from each of its brands.
@pytest.mark.parametrize("typed", ["oxcodne", "trmadl", "synthrd"])
def test_two_slips_are_too_many(typed: str) -> None:
    assert ingredients_of(typed) == set()


def test_embeda_yields_both_of_its_ingredients() -> None:
    assert ingredients_of("Embeda 30 mg/1.2 mg") == {"morphine", "naltrexone"}


def test_troxyca_yields_oxycodone_and_naltrexone() -> None:
    assert ingredients_of("Troxyca ER") == {"oxycodone", "naltrexone"}


def test_suboxone_is_buprenorphine_and_never_naltrexone() -> None:
    assert ingredients_of("Suboxone") == {"buprenorphine"}


def test_a_combination_written_with_and_yields_every_flagged_ingredient() -> None:
    assert ingredients_of("oxycodone and naltrexone") == {"oxycodone", "naltrexone"}


LOOKALIKES = [
    "oxybutynin 5 mg",
    "Ditropan XL",
    "methocarbamol 750 mg",
    "Robaxin",
    "trazodone 50 mg",
    "Desyrel",
    "hydroxychloroquine 200 mg",
    "Plaquenil",
    "hydrocortisone 1% cream",
    "Cortef",
    "naloxone 4 mg nasal spray",
    "Narcan",
    "Kloxxado",
    "Zimhi",
    "loperamide 2 mg",
    "Imodium",
    "dextromethorphan",
    "Delsym",
    "Robitussin DM",
    "Mucinex DM",
    "promethazine DM syrup",
    "promethazine",
    "Phenergan",
    "acetaminophen 500 mg",
    "Tylenol",
    "Tylenol PM",
    "Tylenol 325 mg",
    "guaifenesin",
    "nalmefene",
    "Opvee",
    "naloxegol",
    "Movantik",
    "hydroxyzine 25mg",
    "hydrochlorothiazide 25 mg",
    "oxcarbazepine",
    "oxaprozin",
    "trandolapril",
    "samidorphan",
    "Lybalvi",
    "bupropion XL 150",
    "Wellbutrin",
    "Zyban",
    "methimazole",
    "Tapazole",
    "propylthiouracil",
    "PTU",
    "mycophenolate",
    "CellCept",
    "Myfortic",
    "azathioprine",
    "prednisone 5 mg",
    "pimecrolimus",
    "Elidel cream",
    "metformin 500",
    "Glucophage",
    "Ozempic 0.5 mg weekly",
    "semaglutide",
    "Rybelsus",
    "Wegovy",
    "Victoza",
    "Trulicity",
    "Mounjaro",
    "tirzepatide",
    "Januvia",
    "Janumet",
    "sitagliptin",
    "Tradjenta",
    "pioglitazone",
    "repaglinide",
    "inulin fiber",
]


@pytest.mark.parametrize("typed", LOOKALIKES)
def test_lookalike_fires_nothing(typed: str) -> None:
    assert findings_of(typed) == ()


COMMON_MEDICATIONS = [
    "vitamin D3 2000 IU",
    "fish oil",
    "magnesium glycinate",
    "CoQ10 200 mg",
    "prenatal vitamin",
    "Copaxone 40 mg/mL",
    "mesalamine 1.2 g",
    "omeprazole 20 mg",
    "sumatriptan 50 mg",
    "ibuprofen 400mg",
    "naproxen",
    "celecoxib",
    "gabapentin 300 mg",
    "pregabalin",
    "duloxetine",
    "sertraline",
    "escitalopram",
    "amitriptyline 10mg",
    "cyclobenzaprine",
    "tizanidine",
    "lisinopril",
    "amlodipine",
    "losartan",
    "atorvastatin",
    "rosuvastatin",
    "levocetirizine",
    "cetirizine",
    "loratadine",
    "montelukast",
    "albuterol inhaler",
    "folic acid",
    "methotrexate 15 mg weekly",
    "adalimumab",
    "Humira",
    "infliximab",
    "Stelara",
    "Entyvio",
    "budesonide",
    "sulfasalazine",
    "probiotic",
    "melatonin",
    "B12 injection",
    "iron",
    "zinc",
    "turmeric",
    "curcumin",
    "estradiol patch",
    "progesterone",
    "spironolactone",
    "propranolol",
    "metoprolol",
    "buspirone",
    "lamotrigine",
    "topiramate",
    "rifaximin",
    "Xifaxan",
    "ondansetron",
    "dicyclomine",
    "famotidine",
    "pantoprazole",
    "Benadryl",
    "diphenhydramine",
    "codeine-free cough syrup",
]


@pytest.mark.parametrize("typed", COMMON_MEDICATIONS)
def test_common_unflagged_medication_fires_nothing(typed: str) -> None:
    assert findings_of(typed) == ()


def _must_not_fire_names() -> list[str]:
    document = yaml.safe_load((RULES_DIR / "not_flagged.yaml").read_text())
    return [
        name
        for entry in document["entries"]
        if entry.get("lookalike")
        for name in [*entry["names"], *entry.get("names_es", ())]
    ]


@pytest.mark.parametrize("name", _must_not_fire_names())
def test_every_listed_lookalike_fires_nothing_even_with_one_slip(name: str) -> None:
    assert findings_of(name) == ()
    # A slip in a look-alike must not land on a drug either: drop each letter in turn.
    for cut in range(len(name)):
        slipped = name[:cut] + name[cut + 1 :]
        found = ingredients_of(slipped)
        assert not found or OSA.distance(slipped.lower(), name.lower()) > 1, (slipped, found)


@pytest.mark.parametrize(
    "typed",
    [
        "Restasis 0.05% eye drops",
        "Cequa",
        "Vevye",
        "Verkazia",
        "cyclosporine eye drops",
        "cyclosporine ophthalmic emulsion",
        "Protopic ointment",
        "tacrolimus 0.1% ointment",
        "tacrolimus cream",
        "Hyftor gel",
    ],
)
def test_local_immunosuppressant_forms_are_marked_local(typed: str) -> None:
    found = findings_of(typed)
    assert found and all(item.is_local for item in found)


@pytest.mark.parametrize("typed", ["Prograf 1 mg", "cyclosporine 100 mg capsule", "Neoral"])
def test_systemic_immunosuppressants_are_not_local(typed: str) -> None:
    found = findings_of(typed)
    assert found and not any(item.is_local for item in found)
