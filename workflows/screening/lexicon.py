"""Phrase lookup with a fuzzy fallback: what a typed name means.

A lexicon maps token sequences ("norco", "tylenol #3", "relapsing remitting ms") to meanings.
`find()` scans the typed text for the longest known phrases first (so combinations written
with `/`, `-`, `and` or `with` yield every ingredient), then gives words that matched nothing
one chance at a fuzzy match: one typing slip (a letter added, dropped, changed, or two
neighbours swapped: optimal string alignment distance 1) from a name of six or more letters.
Names registered as negative (look-alikes) win over any fuzzy match, so a word that is one slip
from both a look-alike and a flagged drug matches nothing.

A name typed with spaces or hyphens inside, or without the ones it has, is the same name
("Roxy Bond" is RoxyBond, "ArmourThyroid" is Armour Thyroid, "LevoT" is Levo-T: clinical-facts
§3.8): every alphabetic name is also indexed by its letters alone, and up to three typed words
are tried joined. The one-slip rule applies to the joined form too.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .normalise import tokens

__all__ = [
    "Ambiguous",
    "Hit",
    "PhraseLexicon",
    "LexiconConflict",
    "FUZZY_MIN_LETTERS",
    "FUZZY_MAX_DISTANCE",
]

# clinical-facts §3 rule 2: one slip in a name of six or more letters must still match;
# shorter names and acronyms match exactly only. The typed word must be as long too, so a
# five-letter word ("ultra") is never stretched into a six-letter brand ("Ultram").
FUZZY_MIN_LETTERS = 6
FUZZY_MAX_DISTANCE = 1
_CACHE_LIMIT = 100_000
# Up to this many typed words are tried joined into one brand ("Tussi - Caps" is 2).
_JOIN_LIMIT = 3


@dataclass(frozen=True, slots=True)
class Hit:
    """One meaning found in a typed text."""

    meaning: Hashable
    name: str  # the lexicon name that matched, as written in the rule data
    is_fuzzy: bool
    is_negative: bool = False  # a known name that fires nothing (look-alike, everyday drug)
    start: int = 0  # the span of typed words it covers
    stop: int = 0


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """Typed words one slip from a flagged name and from a look-alike: we cannot tell which."""

    start: int


class LexiconConflict(ValueError):
    """Two different meanings claim the same phrase."""

    def __init__(self, phrase: str, first: Hashable, second: Hashable) -> None:
        super().__init__(f"{phrase!r} means both {first!r} and {second!r}")
        self.phrase = phrase


class PhraseLexicon:
    def __init__(self, never_fuzzy: Iterable[str] = ()) -> None:
        self._phrases: dict[tuple[str, ...], tuple[Hashable, str, bool]] = {}
        # Letters of each alphabetic name with its spaces removed -> the name's words.
        self._joined: dict[str, tuple[str, ...]] = {}
        self._negative: set[Hashable] = set()
        self._never_fuzzy = frozenset(never_fuzzy)
        self._longest = 1
        self._fuzzy_choices: dict[int, dict[int, tuple[list[str], list[tuple[Hashable, str]]]]] = {}
        self._cache: dict[str, tuple[Hit, ...]] = {}
        self._near_cache: dict[tuple[str, int], list[tuple[Hashable, str]]] = {}
        self._order: dict[str, int] = {}
        self._slips: tuple[dict[str, list[int]], list[str], list[tuple[Hashable, str]]] | None = (
            None
        )

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
        self._order.setdefault(name, len(self._order))
        if negative:
            self._negative.add(meaning)
        joined = "".join(phrase)
        if joined.isalpha():
            other = self._joined.get(joined)
            if other is not None and other != phrase and self._phrases[other][0] != meaning:
                raise LexiconConflict(joined, self._phrases[other][0], meaning)
            # The name as written wins over a joined reading of another spelling.
            if other is None or len(phrase) == 1:
                self._joined[joined] = phrase
        self._longest = max(self._longest, len(phrase))
        self._fuzzy_choices.clear()
        self._cache.clear()
        self._near_cache.clear()
        self._slips = None

    def prepare(self) -> None:
        """Build the one-slip search tables now rather than at the first misspelling: a worker
        calls it before forking, so its pool processes share them."""
        self._slip_index()
        self._choices(2)

    def __contains__(self, name: str) -> bool:
        return tokens(name) in self._phrases

    def find(self, text: str) -> tuple[Hit, ...]:
        """Every meaning in ``text``, in the order typed, negatives left out."""
        return tuple(hit for hit in self.read(text) if not hit.is_negative)

    def read(self, text: str) -> tuple[Hit, ...]:
        """Every known name in ``text``, negatives included (marked), first hit per meaning."""
        cached = self._cache.get(text)
        if cached is None:
            cached = self._read(tokens(text))
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[text] = cached
        return cached

    def exact(self, text: str) -> Hit | None:
        """The meaning of ``text`` as a whole name, without fuzzy matching."""
        words = tokens(text)
        entry = self._phrases.get(words)
        if entry is None and "".join(words).isalpha():
            phrase = self._joined.get("".join(words))
            entry = self._phrases.get(phrase) if phrase else None
        if entry is None:
            return None
        return Hit(entry[0], entry[1], False, entry[0] in self._negative, 0, len(words))

    def _read(self, words: tuple[str, ...]) -> tuple[Hit, ...]:
        found: list[Hit] = []
        unmatched: list[int] = []
        i = 0
        while i < len(words):
            hit = self._longest_at(words, i)
            if hit is not None:
                found.append(hit)
                i = hit.stop
            else:
                unmatched.append(i)
                i += 1
        found.extend(self._fuzzy(words, unmatched))
        # Keep the first hit per meaning; a look-alike is kept (marked) so callers know the
        # name was recognised, and find() leaves it out.
        seen: set[Hashable] = set()
        kept = []
        for hit in found:
            if hit.meaning in seen:
                continue
            seen.add(hit.meaning)
            kept.append(hit)
        return tuple(kept)

    def _longest_at(self, words: tuple[str, ...], i: int) -> Hit | None:
        for size in range(min(self._longest, len(words) - i), 0, -1):
            entry = self._phrases.get(words[i : i + size])
            if entry is not None:
                return self._hit(entry, False, i, i + size)
        # A brand typed with its words split or run together ("Roxy Bond", "NPThyroid").
        for size in range(min(_JOIN_LIMIT, len(words) - i), 0, -1):
            part = words[i : i + size]
            joined = "".join(part)
            if not joined.isalpha():
                continue
            phrase = self._joined.get(joined)
            if phrase is not None and phrase != part:
                return self._hit(self._phrases[phrase], False, i, i + size)
        return None

    def _hit(self, entry: tuple[Hashable, str, bool], is_fuzzy: bool, start: int, stop: int) -> Hit:
        meaning, name, _ = entry
        return Hit(meaning, name, is_fuzzy, meaning in self._negative, start, stop)

    def _fuzzy(self, words: tuple[str, ...], unmatched: list[int]) -> list[Hit]:
        hits: list[Hit] = []
        used: set[int] = set()
        candidates = set(unmatched)
        # Two-word names first ("armor thyroid" for "Armour Thyroid"), then the same two words
        # joined ("Roxi Bond" for RoxyBond), then single words.
        for i in unmatched:
            if i + 1 in candidates and i not in used and self._fuzzable(words[i], 3):
                if self._fuzzable(words[i + 1], 3):
                    pair = self._closest(f"{words[i]} {words[i + 1]}", 2, i, i + 2)
                    if pair is None:
                        pair = self._closest(words[i] + words[i + 1], 1, i, i + 2)
                    if pair is not None:
                        hits.extend(pair)
                        used.update((i, i + 1))
        for i in unmatched:
            if i not in used and self._fuzzable(words[i], FUZZY_MIN_LETTERS):
                single = self._closest(words[i], 1, i, i + 1)
                if single is not None:
                    hits.extend(single)
        return hits

    def _fuzzable(self, word: str, min_letters: int) -> bool:
        return word.isalpha() and len(word) >= min_letters and word not in self._never_fuzzy

    def _closest(self, query: str, size: int, start: int, stop: int) -> list[Hit] | None:
        picked = self._near(query, size)
        if not picked:
            return None
        # A look-alike as close as the drug means we cannot tell which was meant: no meaning,
        # but the words are marked as read (Ambiguous) so that no weaker source guesses them.
        if any(meaning in self._negative for meaning, _ in picked):
            if all(meaning in self._negative for meaning, _ in picked):
                meaning, name = picked[0]
                return [Hit(meaning, name, True, True, start, stop)]
            return [Hit(Ambiguous(start), query, True, True, start, stop)]
        return [Hit(meaning, name, True, False, start, stop) for meaning, name in picked]

    def _near(self, query: str, size: int) -> list[tuple[Hashable, str]]:
        """The (meaning, name) of every name one slip from ``query``; memoised per word, since
        the same misspelling recurs across intakes in other company."""
        key = (query, size)
        near = self._near_cache.get(key)
        if near is None:
            near = self._near_one_word(query) if size == 1 else self._near_by_length(query, size)
            # The name registered first (a generic before its brands) names the match.
            near.sort(key=lambda found: self._order[found[1]])
            if len(self._near_cache) >= _CACHE_LIMIT:
                self._near_cache.clear()
            self._near_cache[key] = near
        return near

    def _near_one_word(self, query: str) -> list[tuple[Hashable, str]]:
        """One-word names one slip away, through the deletion index: two words one slip apart
        (a letter added, dropped, changed, or two swapped) always share the word itself or a
        one-letter deletion of it, so a few dict lookups find every candidate and only those
        are measured, instead of every name of a near length."""
        index, keys, meanings = self._slip_index()
        candidates: set[int] = set()
        for variant in (query, *_deletions(query)):
            candidates.update(index.get(variant, ()))
        return [
            meanings[i]
            for i in sorted(candidates)
            if OSA.distance(query, keys[i], score_cutoff=FUZZY_MAX_DISTANCE) <= FUZZY_MAX_DISTANCE
        ]

    def _slip_index(self) -> tuple[dict[str, list[int]], list[str], list[tuple[Hashable, str]]]:
        if self._slips is None:
            keys: list[str] = []
            meanings: list[tuple[Hashable, str]] = []
            for names, bucket_meanings in self._choices(1).values():
                keys.extend(names)
                meanings.extend(bucket_meanings)
            index: dict[str, list[int]] = {}
            for i, key in enumerate(keys):
                for variant in (key, *_deletions(key)):
                    index.setdefault(variant, []).append(i)
            self._slips = (index, keys, meanings)
        return self._slips

    def _near_by_length(self, query: str, size: int) -> list[tuple[Hashable, str]]:
        buckets = self._choices(size)
        near: list[tuple[Hashable, str]] = []
        # One slip changes the length by at most one: only those lengths can match.
        for length in (len(query) - 1, len(query), len(query) + 1):
            bucket = buckets.get(length)
            if bucket is None:
                continue
            names, meanings = bucket
            matches = process.extract(
                query, names, scorer=OSA.distance, score_cutoff=FUZZY_MAX_DISTANCE, limit=None
            )
            near.extend(meanings[index] for _, _, index in matches)
        return near

    def _choices(self, size: int) -> dict[int, tuple[list[str], list[tuple[Hashable, str]]]]:
        """The names a fuzzy match of ``size`` typed words may reach, by their length."""
        choices = self._fuzzy_choices.get(size)
        if choices is None:
            choices = {}
            seen: set[str] = set()
            for phrase, (meaning, name, fuzzy) in self._phrases.items():
                joined = " ".join(phrase)
                letters = sum(ch.isalpha() for ch in joined)
                if letters < FUZZY_MIN_LETTERS or not joined.replace(" ", "").isalpha():
                    continue
                # Negative names always take part: they guard the flagged ones.
                if not (fuzzy or meaning in self._negative):
                    continue
                # Single-word choices include every name's joined form, so one slip in a
                # brand typed as one word ("ArmorThyroid") still finds "Armour Thyroid".
                if size == 1:
                    key = joined.replace(" ", "")
                elif len(phrase) == size:
                    key = joined
                else:
                    continue
                if key in seen:
                    continue
                seen.add(key)
                names, meanings = choices.setdefault(len(key), ([], []))
                names.append(key)
                meanings.append((meaning, name))
            self._fuzzy_choices[size] = choices
        return choices


def _deletions(word: str) -> set[str]:
    """``word`` with one letter left out, each way."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}
