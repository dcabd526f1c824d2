"""The typed signature matches the name given in step 1 as people type their own name
(workflows.cases.signature): case, accents, spaces and punctuation forgiven, another name not."""

from __future__ import annotations

import pytest

from workflows.cases.signature import name_key, signature_matches

MATCHES = [
    ("Rosa Hernandez", "Rosa Hernández"),
    ("rosa hernández", "Rosa Hernández"),
    ("ROSA HERNANDEZ", "Rosa Hernández"),
    ("  Rosa   Hernández  ", "Rosa Hernández"),
    ("Rosa\tHernández", "Rosa Hernández"),
    ("Rosa Hernández", "Rosa Hernández"),  # NFD (decomposed) against NFC
    ("Jose Nunez", "José Núñez"),
    ("Gunter Muller", "Günter Müller"),
    ("Bjorn Ostergaard", "Bjørn Østergaard"),
    ("Lech Walesa", "Lech Wałęsa"),
    ("Hans Strauss", "Hans Strauß"),
    ("Mary Jane O'Neil", "Mary-Jane O'Neil"),
    ("mary jane oneil", "Mary-Jane O'Neil"),
    ("Mary-Jane O’Neil", "Mary-Jane O'Neil"),  # the phone's curly apostrophe
    ("Mary Jane ONeil", "Mary-Jane O'Neil"),
    ("Ana Garcia-Lopez", "Ana García López"),
    ("J.R. Smith", "J. R. Smith"),
    ("Martin Luther King Jr", "Martin Luther King Jr."),
    ("Ｒｏｓａ Ｈｅｒｎáｎｄｅｚ", "Rosa Hernández"),  # full-width letters (NFKD)
]

REFUSED = [
    ("Rosa Hernandes", "Rosa Hernández"),  # a different name
    ("Rosa", "Rosa Hernández"),  # a word missing
    ("Rosa Maria Hernández", "Rosa Hernández"),  # a word more
    ("Hernández Rosa", "Rosa Hernández"),  # another order
    ("Dr. Rosa Hernández", "Rosa Hernández"),  # a title is not ignored
    ("Dr Rosa Hernández", "Rosa Hernández"),
    ("RosaHernández", "Rosa Hernández"),  # two words are not one
    ("", "Rosa Hernández"),
    ("   ", "Rosa Hernández"),
    ("", ""),  # no name in step 1: nothing to match
    ("Ana", " "),
]


@pytest.mark.parametrize(("typed", "full_name"), MATCHES, ids=[t for t, _ in MATCHES])
def test_the_signature_matches_the_name_as_people_type_it(typed: str, full_name: str) -> None:
    assert signature_matches(typed, full_name)


@pytest.mark.parametrize(("typed", "full_name"), REFUSED, ids=[t or "empty" for t, _ in REFUSED])
def test_another_name_is_still_refused(typed: str, full_name: str) -> None:
    assert not signature_matches(typed, full_name)


def test_the_key_of_a_name_is_plain_lowercase_words() -> None:
    assert name_key("  Mary-Jane  O'Neil Núñez ") == "mary jane oneil nunez"
