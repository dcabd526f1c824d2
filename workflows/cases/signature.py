"""Does a typed signature match the name the patient gave? (issue 18, item 5)

A signature here is an attestation typed on a phone, not a handwriting sample: "Rosa
Hernandez" typed on an English keyboard is Rosa Hernández signing. So the comparison forgives
what keyboards and habits vary in, and nothing that makes it another name:

- case ("rosa hernández");
- accents and other marks: Unicode NFKD, combining marks dropped (á = a, ñ = n, ü = u), plus
  the few letters NFKD does not split (ø = o, ł = l, đ = d, æ = ae, œ = oe, ı = i); ß = ss
  through case folding, as German spells it without the letter;
- spaces: leading, trailing and repeated ones;
- punctuation inside a name: hyphens, periods and commas separate words like a space
  ("Mary-Jane" = "Mary Jane", "J.R." = "J R"); apostrophes join them ("O'Neil" = "ONeil" =
  "O’Neil"), because "O Neil" is rarely how anyone writes it but "ONeil" is how forms that
  refuse apostrophes made many people write it.

What it does not forgive: a different name, a missing or extra word, a title ("Dr. Rosa
Hernández" is not "Rosa Hernández": the patient signs as the person in step 1), or the words
in another order.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["name_key", "signature_matches"]

# Letters that are not a base letter plus a combining mark, so NFKD leaves them whole.
_UNSPLIT_LETTERS = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
)
_JOINING = re.compile(r"['’ʼ‘`´]")  # apostrophes, typed or curled by the phone
_SEPARATING = re.compile(r"[-‐‑‒–—.,·]")  # hyphens and dashes, periods, commas


def name_key(name: str) -> str:
    """The form of a name that two spellings of it share."""
    folded = unicodedata.normalize("NFKD", name).casefold()
    without_marks = "".join(c for c in folded if not unicodedata.combining(c))
    plain = without_marks.translate(_UNSPLIT_LETTERS)
    plain = _SEPARATING.sub(" ", _JOINING.sub("", plain))
    return " ".join(plain.split())


def signature_matches(typed: str, full_name: str) -> bool:
    """Is ``typed`` the patient's ``full_name``, as people type their own name?

    An empty name matches nothing: an empty signature is no signature."""
    expected = name_key(full_name)
    return bool(expected) and name_key(typed) == expected
