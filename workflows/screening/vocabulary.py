"""A drug vocabulary: about 84,000 medication names as patients type them -> their ingredients.

    from workflows.screening.normalise import tokens
    from workflows.screening.vocabulary import default_vocabulary
    default_vocabulary().find(tokens("Damason-P 5/500"))
    # (VocabularyHit(name='damason p', ingredients=('aspirin', 'hydrocodone'), start=0, stop=2,
    #                is_fuzzy=False),)

The rule data names the drugs that fire flags; this vocabulary names everything else a patient
may take (brands from the US, Mexico, Canada and Europe, synonyms, generics), so a medication
can be told apart from one nobody can identify (clinical-facts §3.8-3.9, screening-contract
§5). It is built from drug-named-entity-recognition by `make vocabulary`
(workflows/screening/vocabulary_build.py; schemas/vocabulary/README.md says what is left out).

`find()` reads like the rule-data lexicon (lexicon.py): the longest known phrase first, then one
typing slip for a long word that matched nothing. It also reads a brand typed with spaces or
hyphens inside, or without the ones it has ("Roxy Bond", "NPThyroid"), as the brand.

Pure: the standard library and rapidfuzz only, and nothing is read at import time.
"""

from __future__ import annotations

import functools
import gc
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_PATH",
    "FUZZY_MIN_LETTERS",
    "FUZZY_MAX_DISTANCE",
    "JOINED_MAX_WORDS",
    "Vocabulary",
    "VocabularyError",
    "VocabularyHit",
    "default_vocabulary",
    "load_vocabulary",
]

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "schemas" / "vocabulary" / "drug_names.tsv"

# The same thresholds as the rule data (clinical-facts §3 rule 2): one slip in a word of six
# or more letters; shorter words and acronyms match exactly only.
FUZZY_MIN_LETTERS = 6
FUZZY_MAX_DISTANCE = 1
# "Tussi Caps", "Levo T", "Nature Throid": brands are one to three typed words glued together.
JOINED_MAX_WORDS = 3
# A glued form shorter than this is too likely to be two everyday words by chance.
_JOINED_MIN_LETTERS = 5
_CACHE_LIMIT = 50_000

_STOPWORDS_MARK = "*stopwords"
_NOISE_MARK = "*noise"
_INGREDIENT_SEPARATOR = "|"


class VocabularyError(ValueError):
    """The data file is not the vocabulary's format; names the file and the line."""

    def __init__(self, path: Path, line_number: int, problem: str) -> None:
        super().__init__(f"{path}:{line_number}: {problem} (rebuild it with `make vocabulary`)")
        self.path = path
        self.line_number = line_number


@dataclass(frozen=True, slots=True)
class VocabularyHit:
    """One vocabulary name found in the typed words."""

    name: str  # the vocabulary name that matched, as the vocabulary writes it
    ingredients: tuple[str, ...]  # generic names, single ingredients
    start: int  # token span in the words given: words[start:stop]
    stop: int
    is_fuzzy: bool


class Vocabulary:
    """Names (token tuples joined by spaces) -> ingredient tuples, with lazy fuzzy buckets."""

    def __init__(
        self,
        names: dict[str, tuple[str, ...]],
        stopwords: frozenset[str] = frozenset(),
        noise: frozenset[str] = frozenset(),
    ) -> None:
        self._names = names
        self._stopwords = stopwords
        self._never_fuzzy = stopwords | noise
        # Names of two or three words by their letters alone ("np thyroid" under "npthyroid"),
        # so a brand typed without its spaces or hyphens is found; single words are their own
        # glued form, and nobody glues four words together.
        self._joined: dict[str, str] = {
            glued: name
            for name in names
            if 0 < name.count(" ") < JOINED_MAX_WORDS and (glued := name.replace(" ", "")).isalpha()
        }
        # How many words the longest name starting with a given word has: most typed words
        # start no multi-word name, so the scan tries one span there instead of five.
        self._spans: dict[str, int] | None = None
        self._fuzzy_buckets: dict[int, list[str]] | None = None
        self._cache: dict[tuple[str, ...], tuple[VocabularyHit, ...]] = {}

    def __len__(self) -> int:
        return len(self._names)

    def ingredients(self, name: str) -> tuple[str, ...]:
        """The ingredients of a vocabulary name; KeyError when it is not one."""
        return self._names[name]

    def prepare(self) -> None:
        """Build the lookup tables find() would build on first use (a worker calls it before
        forking, so its pool processes share them)."""
        if self._spans is None:
            self._span_index()
        self._buckets()

    def find(self, words: tuple[str, ...]) -> tuple[VocabularyHit, ...]:
        """Every vocabulary name in ``words`` (normalise.tokens() of the typed text), in order."""
        cached = self._cache.get(words)
        if cached is None:
            cached = self._find(words)
            # Bounded: a long-running worker must not grow with every text it ever reads.
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[words] = cached
        return cached

    def _find(self, words: tuple[str, ...]) -> tuple[VocabularyHit, ...]:
        # Which words may be glued to a neighbour: letters only, and no everyday word ("for a"
        # must not become a drug). Worked out once per text, not once per span.
        gluable = [word.isalpha() and word not in self._stopwords for word in words]
        hits: list[VocabularyHit] = []
        unmatched: list[int] = []
        i = 0
        while i < len(words):
            hit = self._longest_at(words, gluable, i)
            if hit is None:
                unmatched.append(i)
                i += 1
            else:
                hits.append(hit)
                i = hit.stop
        for i in unmatched:
            hit = self._fuzzy(words[i], i)
            if hit is not None:
                hits.append(hit)
        hits.sort(key=lambda found: found.start)
        return tuple(hits)

    def _longest_at(
        self, words: tuple[str, ...], gluable: list[bool], start: int
    ) -> VocabularyHit | None:
        names = self._names
        spans = self._spans if self._spans is not None else self._span_index()
        # Glued spans ("roxy bond") start with a word that begins no name, so they are tried
        # up to JOINED_MAX_WORDS whatever the index says.
        widest = spans.get(words[start], 1)
        if gluable[start]:
            widest = max(widest, JOINED_MAX_WORDS)
        for size in range(min(widest, len(words) - start), 0, -1):
            stop = start + size
            name = " ".join(words[start:stop])
            if name in names:
                return VocabularyHit(name, names[name], start, stop, False)
            if size <= JOINED_MAX_WORDS and all(gluable[start:stop]):
                glued = self._glued(words[start:stop])
                if glued is not None:
                    return VocabularyHit(glued, names[glued], start, stop, False)
        return None

    def _span_index(self) -> dict[str, int]:
        """First word -> most words of a name it starts (built on the first find, once)."""
        spans: dict[str, int] = {}
        for name in self._names:
            if " " in name:
                parts = name.split(" ")
                if spans.get(parts[0], 1) < len(parts):
                    spans[parts[0]] = len(parts)
        self._spans = spans
        return spans

    def _glued(self, span: tuple[str, ...]) -> str | None:
        """The name ``span`` spells with its spaces removed or moved ("roxy bond" -> roxybond)."""
        letters = "".join(span)
        if len(letters) < _JOINED_MIN_LETTERS:
            return None
        if len(span) > 1 and letters in self._names:
            return letters
        return self._joined.get(letters)

    def _fuzzy(self, word: str, position: int) -> VocabularyHit | None:
        if len(word) < FUZZY_MIN_LETTERS or not word.isalpha() or word in self._never_fuzzy:
            return None
        # Imported here so that loading the vocabulary for exact lookups costs no rapidfuzz.
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        buckets = self._buckets()
        matches: list[tuple[str, int, int]] = []  # (name, OSA distance, index)
        for length in (len(word) - 1, len(word), len(word) + 1):
            choices = buckets.get(length)
            if choices:
                matches.extend(
                    process.extract(
                        word,
                        choices,
                        scorer=OSA.distance,
                        score_cutoff=FUZZY_MAX_DISTANCE,
                        limit=None,
                    )
                )
        if not matches:
            return None
        meanings = {self._names[name] for name, _, _ in matches}
        # Two names one slip away that mean different drugs: we cannot tell which was meant,
        # and guessing could hide an opioid behind a harmless look-alike.
        if len(meanings) != 1:
            return None
        name = min(name for name, _, _ in matches)
        return VocabularyHit(name, self._names[name], position, position + 1, True)

    def _buckets(self) -> dict[int, list[str]]:
        """Single-word names of six or more letters by length, built on the first fuzzy need."""
        if self._fuzzy_buckets is None:
            buckets: dict[int, list[str]] = {}
            for name in self._names:
                if len(name) >= FUZZY_MIN_LETTERS and name.isalpha():
                    buckets.setdefault(len(name), []).append(name)
            for choices in buckets.values():
                choices.sort()
            self._fuzzy_buckets = buckets
        return self._fuzzy_buckets


def load_vocabulary(path: Path = DEFAULT_PATH) -> Vocabulary:
    """Read the data file written by `make vocabulary` (format: its header comments)."""
    text = path.read_text(encoding="utf-8")
    # The collector would walk the growing dict again and again while ~20,000 tuples are made;
    # nothing here can form a cycle, so it waits until the load is done (a third of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _parse(path, text)
    finally:
        if collecting:
            gc.enable()


def _parse(path: Path, text: str) -> Vocabulary:
    names: dict[str, tuple[str, ...]] = {}
    marks: dict[str, list[str]] = {}
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line or line[0] == "#":
            continue
        fields = line.split("\t")
        head = fields[0]
        if head[:1] == "*":
            marks[head] = fields[1:]
            continue
        if len(fields) < 2:
            raise VocabularyError(path, line_number, "expected ingredients, a tab, then names")
        # One tuple object for every name of the line: a few MB less than one tuple each.
        names.update(dict.fromkeys(fields[1:], tuple(head.split(_INGREDIENT_SEPARATOR))))
    if not names:
        raise VocabularyError(path, 0, "no names")
    return Vocabulary(
        names,
        frozenset(marks.get(_STOPWORDS_MARK, ())),
        frozenset(marks.get(_NOISE_MARK, ())),
    )


@functools.cache
def default_vocabulary() -> Vocabulary:
    """The committed vocabulary, read once per process on first use."""
    return load_vocabulary()
