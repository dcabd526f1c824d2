"""Text as patients type it, reduced to comparable tokens.

Pure string functions: no rule data here. The lexicon decides what the tokens mean.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "tokens", "state_key", "icd10_key", "has_percent"]

# "#3" stays one token so "Tylenol #3" differs from "Tylenol 325 mg"; letters and digits split
# apart so "10mg" reads as "10 mg" and "Jardiance10mg" still yields "jardiance".
_TOKEN = re.compile(r"#\d+|[a-z]+|\d+(?:\.\d+)?")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u2018`\u00b4")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower case without accents or apostrophes: "Sjögren's" -> "sjogrens"."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.lower().translate(_APOSTROPHES)


def tokens(text: str) -> tuple[str, ...]:
    """Words and numbers of ``text``; punctuation, `/`, `-`, `+` and `&` only separate."""
    return tuple(_TOKEN.findall(fold(text)))


def state_key(text: str) -> str:
    """A state spelling without case, dots or spaces: " Ill. " -> "ill"."""
    return _NOT_ALNUM.sub("", fold(text))


def icd10_key(code: str) -> str:
    """An ICD-10 code without dots, spaces or case: "k50.90 " -> "K5090"."""
    return _NOT_ALNUM.sub("", code.lower()).upper()


def has_percent(text: str) -> bool:
    return "%" in text
