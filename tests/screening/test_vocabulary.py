"""The drug vocabulary: brands resolve to ingredients, everyday words resolve to nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import modules_loaded_by
from workflows.screening import vocabulary_build
from workflows.screening.normalise import tokens
from workflows.screening.vocabulary import (
    DEFAULT_PATH,
    Vocabulary,
    VocabularyError,
    default_vocabulary,
    load_vocabulary,
)

UNPACKED_SOURCE = Path("/tmp/dner-dl/x")


def find(text: str) -> list[tuple[str, tuple[str, ...], bool]]:
    return [
        (hit.name, hit.ingredients, hit.is_fuzzy) for hit in default_vocabulary().find(tokens(text))
    ]


def ingredients_of(text: str) -> set[str]:
    return {ingredient for _, ingredients, _ in find(text) for ingredient in ingredients}


@pytest.mark.parametrize(
    ("typed", "ingredients"),
    [
        ("Tradol", {"tramadol"}),
        ("Berlthyrox 100", {"thyroxine"}),
        ("Damason-P", {"hydrocodone", "aspirin"}),
        ("Lupkynis 7.9 mg", {"voclosporin"}),
        ("Belbuca film", {"buprenorphine"}),
        ("Apadaz 6.12/325", {"benzhydrocodone", "acetaminophen"}),
        ("Lipitor 20mg", {"atorvastatin"}),
        ("Humira pen", {"adalimumab"}),
        ("Synthroid 75 mcg", {"thyroxine"}),
        ("Triumeq", {"abacavir", "dolutegravir", "lamivudine"}),
        ("vitamin D3", {"cholecalciferol"}),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_known_name_resolves_to_its_ingredients(typed: str, ingredients: set[str]) -> None:
    assert ingredients_of(typed) == ingredients


def test_combination_canonicals_are_split_into_single_generic_ingredients() -> None:
    vocabulary = default_vocabulary()
    assert sorted(vocabulary.ingredients("apadaz")) == ["acetaminophen", "benzhydrocodone"]
    assert vocabulary.ingredients("belbuca") == ("buprenorphine",)
    assert all(
        "/" not in ingredient and " and " not in ingredient
        for name in ("damason p", "triumeq", "suboxone", "contrave")
        for ingredient in vocabulary.ingredients(name)
    )


def test_a_hit_gives_the_token_span_it_covers() -> None:
    words = tokens("Lipitor 20 mg and Damason-P")
    hits = default_vocabulary().find(words)
    assert [(hit.name, words[hit.start : hit.stop]) for hit in hits] == [
        ("lipitor", ("lipitor",)),
        ("damason p", ("damason", "p")),
    ]


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("NP Thyroid", "np thyroid"),
        ("NPThyroid", "np thyroid"),
        ("Levo-T", "levo t"),
        ("LevoT", "levo t"),
        ("Oxy Contin", "oxycontin"),
        ("Lipi-tor", "lipitor"),
    ],
)
def test_a_brand_typed_with_or_without_its_spaces_is_the_same_name(typed: str, name: str) -> None:
    assert [found for found, _, _ in find(typed)] == [name]


def test_one_slip_in_a_long_name_still_matches() -> None:
    assert find("atorvastatn") == [("atorvastatin", ("atorvastatin",), True)]
    assert find("synthriod") == [("synthroid", ("thyroxine",), True)]


def test_two_slips_match_nothing() -> None:
    assert find("atrvastatn") == []


@pytest.mark.parametrize("typed", ["advl", "humra", "xanx"])
def test_words_under_six_letters_never_match_by_a_slip(typed: str) -> None:
    assert find(typed) == []


@pytest.mark.parametrize(
    "typed",
    [
        "BP pill, not sure of the name",
        "white pill from urgent care",
        "pain pill from urgent care",
        "old pill from my last doctor",
        "water pill",
        "sleeping pill",
        "blood pressure medicine",
        "something for my heart",
        "unknown medication",
        "the little blue pill for my nerves",
        "new medicine from the clinic",
        "pastilla para la presion",
        "no se el nombre",
        "an opioid painkiller",
        "statins",
        "generic tablets",
        "vitamin",
        "antibiotic",
        "steroid",
    ],
)
def test_a_pill_described_instead_of_named_matches_nothing(typed: str) -> None:
    assert find(typed) == []


def test_a_slip_that_could_mean_two_different_drugs_matches_nothing() -> None:
    vocabulary = Vocabulary({"fentorin": ("fentanyl",), "fentolin": ("salbutamol",)})
    assert vocabulary.find(("fentokin",)) == ()
    assert vocabulary.find(("fentorim",))[0].ingredients == ("fentanyl",)


def test_two_names_one_slip_away_that_mean_the_same_drug_still_match() -> None:
    vocabulary = Vocabulary({"tramadox": ("tramadol",), "tramadol": ("tramadol",)})
    assert [hit.ingredients for hit in vocabulary.find(("tramadok",))] == [("tramadol",)]


def test_everyday_words_are_never_glued_into_a_brand() -> None:
    vocabulary = Vocabulary({"forthe": ("x",)}, stopwords=frozenset({"for", "the"}))
    assert vocabulary.find(("for", "the")) == ()


def test_the_data_file_names_its_source_version_and_licence() -> None:
    header = [line for line in DEFAULT_PATH.read_text().splitlines()[:12] if line[0] == "#"]
    text = "\n".join(header)
    assert f"{vocabulary_build.SOURCE_PACKAGE}=={vocabulary_build.SOURCE_VERSION}" in text
    assert vocabulary_build.PICKLE_SHA256 in text
    assert "MIT" in text


def test_the_data_file_stays_compact() -> None:
    assert DEFAULT_PATH.stat().st_size < 4_000_000
    assert len(default_vocabulary()) > 80_000


@pytest.mark.slow  # builds the whole vocabulary twice
@pytest.mark.skipif(not UNPACKED_SOURCE.is_dir(), reason="source package not unpacked here")
def test_the_build_is_deterministic_and_the_committed_file_is_current() -> None:
    data = vocabulary_build.read_pickle_bytes(UNPACKED_SOURCE)
    source_sha256 = hashlib.sha256(data).hexdigest()
    first, _ = vocabulary_build.build(vocabulary_build.load_source(data), source_sha256)
    second, _ = vocabulary_build.build(vocabulary_build.load_source(data), source_sha256)
    assert first == second
    assert first.encode() == DEFAULT_PATH.read_bytes()


def test_the_build_refuses_a_source_it_has_not_reviewed() -> None:
    with pytest.raises(ValueError, match="expected ec10a1c7"):
        vocabulary_build.load_source(b"not the reviewed pickle")


def test_a_malformed_data_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "drug_names.tsv"
    path.write_text("# header\ntramadol\ttradol\njust one field\n")
    with pytest.raises(VocabularyError, match=r"drug_names.tsv:3:"):
        load_vocabulary(path)


def test_importing_the_vocabulary_loads_no_framework_and_reads_nothing() -> None:
    probe = "import workflows.screening.vocabulary"
    frameworks = ("flask", "celery", "sqlalchemy", "redis", "rapidfuzz", "yaml")
    assert modules_loaded_by(probe, frameworks) == []


def test_exact_lookups_need_no_rapidfuzz() -> None:
    probe = (
        "from workflows.screening.vocabulary import default_vocabulary\n"
        "default_vocabulary().find(('lipitor',))"
    )
    assert modules_loaded_by(probe, ("flask", "celery", "sqlalchemy", "redis", "rapidfuzz")) == []
