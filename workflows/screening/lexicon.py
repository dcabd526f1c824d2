"""Phrase lookup with a fuzzy fallback: what a typed name means.

A lexicon maps token sequences ("norco", "tylenol #3", "relapsing remitting ms") to meanings.
`find()` scans the typed text for the longest known phrases first (so combinations written
with `/`, `-`, `and` or `with` yield every ingredient), then gives words that matched nothing
one chance at a fuzzy match: one typing slip (a letter added, dropped, changed, or two
neighbours swapped: optimal string alignment distance 1) from a name of six or more letters.
Names registered as negative (look-alikes) win over any fuzzy match, so a word that is one slip
from both a look-alike and a flagged drug matches nothing.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .normalise import tokens

__all__ = ["Hit", "PhraseLexicon", "LexiconConflict", "FUZZY_MIN_LETTERS", "FUZZY_MAX_DISTANCE"]

# clinical-facts §3 rule 2: one slip in a name of six or more letters must still match;
# shorter names and acronyms match exactly only. The typed word must be as long too, so a
# five-letter word ("ultra") is never stretched into a six-letter brand ("Ultram").
FUZZY_MIN_LETTERS = 6
FUZZY_MAX_DISTANCE = 1
_CACHE_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class Hit:
    """One meaning found in a typed text."""

    meaning: Hashable
    name: str  # the lexicon name that matched, as written in the rule data
    is_fuzzy: bool


class LexiconConflict(ValueError):
    """Two different meanings claim the same phrase."""

    def __init__(self, phrase: str, first: Hashable, second: Hashable) -> None:
        super().__init__(f"{phrase!r} means both {first!r} and {second!r}")
        self.phrase = phrase


class PhraseLexicon:
    def __init__(self, never_fuzzy: Iterable[str] = ()) -> None:
        self._phrases: dict[tuple[str, ...], tuple[Hashable, str, bool]] = {}
        self._negative: set[Hashable] = set()
        self._never_fuzzy = frozenset(never_fuzzy)
        self._longest = 1
        self._fuzzy_choices: dict[int, tuple[list[str], list[tuple[Hashable, str]]]] = {}
        self._cache: dict[str, tuple[Hit, ...]] = {}

    def add(
        self, name: str, meaning: Hashable, *, fuzzy: bool = True, negative: bool = False
    ) -> None:
        """Register ``name`` for ``meaning``; the same name twice must mean the same thing."""
        phrase = tokens(name)
        if not phrase:
            raise ValueError(f"{name!r} has no letters or digits to match")
        existing = self._phrases.get(phrase)
        if existing is not None:
            if existing[0] != meaning:
                raise LexiconConflict(" ".join(phrase), existing[0], meaning)
            return
        self._phrases[phrase] = (meaning, name, fuzzy)
        if negative:
            self._negative.add(meaning)
        self._longest = max(self._longest, len(phrase))
        self._fuzzy_choices.clear()
        self._cache.clear()

    def __contains__(self, name: str) -> bool:
        return tokens(name) in self._phrases

    def find(self, text: str) -> tuple[Hit, ...]:
        """Every meaning in ``text``, in the order typed, negatives left out."""
        cached = self._cache.get(text)
        if cached is None:
            cached = self._find(text)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[text] = cached
        return cached

    def _find(self, text: str) -> tuple[Hit, ...]:
        words = tokens(text)
        found: list[Hit] = []
        unmatched: list[int] = []
        i = 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                entry = self._phrases.get(words[i : i + size])
                if entry is not None:
                    found.append(Hit(entry[0], entry[1], False))
                    i += size
                    break
            else:
                unmatched.append(i)
                i += 1
        found.extend(self._fuzzy(words, unmatched))
        # Keep the first hit per meaning and drop look-alikes: they are known and fire nothing.
        seen: set[Hashable] = set()
        kept = []
        for hit in found:
            if hit.meaning in seen or hit.meaning in self._negative:
                continue
            seen.add(hit.meaning)
            kept.append(hit)
        return tuple(kept)

    def _fuzzy(self, words: tuple[str, ...], unmatched: list[int]) -> list[Hit]:
        hits: list[Hit] = []
        used: set[int] = set()
        candidates = set(unmatched)
        # Two-word names first ("armor thyroid" for "Armour Thyroid"), then single words.
        for i in unmatched:
            if i + 1 in candidates and i not in used and self._fuzzable(words[i], 3):
                if self._fuzzable(words[i + 1], 3):
                    pair = self._closest(f"{words[i]} {words[i + 1]}", 2)
                    if pair is not None:
                        hits.extend(pair)
                        used.update((i, i + 1))
        for i in unmatched:
            if i not in used and self._fuzzable(words[i], FUZZY_MIN_LETTERS):
                single = self._closest(words[i], 1)
                if single is not None:
                    hits.extend(single)
        return hits

    def _fuzzable(self, word: str, min_letters: int) -> bool:
        return word.isalpha() and len(word) >= min_letters and word not in self._never_fuzzy

    def _closest(self, query: str, size: int) -> list[Hit] | None:
        names, meanings = self._choices(size)
        matches = process.extract(
            query, names, scorer=OSA.distance, score_cutoff=FUZZY_MAX_DISTANCE, limit=None
        )
        if not matches:
            return None
        picked = [meanings[index] for _, _, index in matches]
        # A look-alike as close as the drug means we cannot tell which was meant: no match.
        if any(meaning in self._negative for meaning, _ in picked):
            return []
        return [Hit(meaning, name, True) for meaning, name in picked]

    def _choices(self, size: int) -> tuple[list[str], list[tuple[Hashable, str]]]:
        choices = self._fuzzy_choices.get(size)
        if choices is None:
            names: list[str] = []
            meanings: list[tuple[Hashable, str]] = []
            for phrase, (meaning, name, fuzzy) in self._phrases.items():
                joined = " ".join(phrase)
                letters = sum(ch.isalpha() for ch in joined)
                if (
                    len(phrase) == size
                    and letters >= FUZZY_MIN_LETTERS
                    and joined.replace(" ", "").isalpha()
                ):
                    # Negative names always take part: they guard the flagged ones.
                    if fuzzy or meaning in self._negative:
                        names.append(joined)
                        meanings.append((meaning, name))
            choices = (names, meanings)
            self._fuzzy_choices[size] = choices
        return choices
