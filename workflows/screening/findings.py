"""What the typed names of an intake mean: drug ingredients per medication, conditions per
diagnosis. Every finding keeps the patient's own words, which become a flag's evidence.

A medication is read in this order (screening-contract §5, clinical-facts §3.8-3.9):
  1. an entry made only of "none", "n/a", "nada"... is no medication at all;
  2. a coordinator's recorded identification of exactly this text, when there is one;
  3. the practice's rule data: flagged drugs, look-alikes and everyday products (the authority
     for what fires);
  4. the drug vocabulary, for the words the rule data did not explain: a brand resolves to its
     ingredients, and each ingredient the rule data knows fires its family's flags.
A medication that nothing explains is unidentified, and a person must look at it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .intake import Intake, Medication
from .lexicon import Ambiguous, Hit
from .normalise import has_percent, icd10_key, tokens
from .ruledata import Everyday, NotFlagged, Product, RuleSet

__all__ = [
    "IngredientFinding",
    "MedicationFinding",
    "Reading",
    "Source",
    "ConditionFinding",
    "find_medications",
    "read_medication",
    "find_conditions",
]


@dataclass(frozen=True, slots=True)
class IngredientFinding:
    ingredient: str
    classes: frozenset[str]
    matched_name: str  # the rule-data name it matched ("Norco", "Synthroid")
    is_fuzzy: bool
    is_local: bool  # an eye drop or skin preparation


class Source:
    """Where a medication's reading came from (the result's ``source``)."""

    COORDINATOR = "coordinator"  # recorded by staff for this typed text
    RULES = "rules"  # the practice's rule data (schemas/rules/drugs.yaml, not_flagged.yaml)
    EVERYDAY = "everyday"  # the everyday list (schemas/rules/everyday.yaml)
    VOCABULARY = "vocabulary"  # the drug vocabulary (schemas/vocabulary/)


@dataclass(frozen=True, slots=True)
class Reading:
    """What one typed medication name was read as."""

    flagged: tuple[IngredientFinding, ...]  # the ingredients the rule data flags
    ingredients: tuple[str, ...]  # every ingredient read, flagged or not, in typed order
    matched_names: tuple[str, ...]
    source: str | None  # None when nothing was identified
    is_no_medication: bool = False

    @property
    def identified(self) -> bool:
        return self.source is not None

    @property
    def flagged_classes(self) -> list[str]:
        """The rule-data classes its systemic ingredients belong to (local forms fire nothing)."""
        return sorted({c for found in self.flagged if not found.is_local for c in found.classes})


NO_MEDICATION = Reading((), (), (), None, is_no_medication=True)


@dataclass(frozen=True, slots=True)
class MedicationFinding:
    index: int
    medication: Medication
    reading: Reading

    @property
    def ingredients(self) -> tuple[IngredientFinding, ...]:
        """The flagged ingredients: only these can fire a flag."""
        return self.reading.flagged

    def to_dict(self) -> dict[str, object]:
        medication = self.medication
        reading = self.reading
        entry: dict[str, object] = {
            "input": medication.name,
            "status": "current" if medication.is_current else "stopped",
            "identified": reading.identified,
            "ingredients": list(reading.ingredients),
        }
        if reading.identified:
            entry["matched_name"] = ", ".join(reading.matched_names)
            entry["source"] = reading.source
        if medication.stopped_on is not None:
            entry["stopped_on"] = medication.stopped_on.isoformat()
        entry["field"] = f"medications[{self.index}].name"
        entry["flagged"] = reading.flagged_classes if reading.flagged else []
        return entry


@dataclass(frozen=True, slots=True)
class ConditionFinding:
    input: str
    matched: str | None
    evidence_tier: str | None
    label: str | None
    matched_by: str | None  # "name", "name_with_typo" or "icd10"
    icd10: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "input": self.input,
            "matched": self.matched,
            "evidence_tier": self.evidence_tier,
            "label": self.label,
            "matched_by": self.matched_by,
            "icd10": self.icd10,
        }


def find_medications(
    intake: Intake,
    rules: RuleSet,
    identifications: Mapping[str, Sequence[str]] | None = None,
) -> tuple[MedicationFinding, ...]:
    """Every medication of the intake with its reading; "none"-style entries are left out."""
    found = []
    for index, medication in enumerate(intake.medications):
        recorded = identifications.get(medication.name) if identifications else None
        if recorded:
            reading = _recorded_reading(medication.name, recorded, rules)
        else:
            reading = read_medication(medication.name, rules)
        if not reading.is_no_medication:
            found.append(MedicationFinding(index, medication, reading))
    return tuple(found)


_MEMO_LIMIT = 100_000


def read_medication(name: str, rules: RuleSet) -> Reading:
    """What one typed medication name means under ``rules`` (memoised per rule set)."""
    found = rules.medication_memo.get(name)
    if found is None:
        if len(rules.medication_memo) >= _MEMO_LIMIT:
            rules.medication_memo.clear()
        found = rules.medication_memo[name] = _read(name, rules)
    return found


def _written_as_local(name: str, words: tuple[str, ...], rules: RuleSet) -> bool:
    """ "cyclosporine eye drops", "tacrolimus 0.1% ointment": a local form (clinical-facts §3.4)."""
    return (
        rules.local_form_percent and has_percent(name)
    ) or not rules.local_form_words.isdisjoint(words)


def _says_what(word: str, rules: RuleSet) -> bool:
    """A word that could name something: not a number, strength, unit, dose form or filler."""
    return not word[0].isdigit() and word not in rules.noise_words


def _is_no_medication(words: tuple[str, ...], rules: RuleSet) -> bool:
    content = [w for w in words if _says_what(w, rules)]
    # "magnesium 400 mg" is all noise words and still a product; "?" says nothing at all.
    return bool(content) and all(word in rules.no_medication_words for word in content)


class _Collector:
    """Gathers ingredients from hits in typed order, each once."""

    def __init__(self, rules: RuleSet, is_local: bool) -> None:
        self.rules = rules
        self.is_local = is_local
        self.flagged: list[IngredientFinding] = []
        self.ingredients: dict[str, None] = {}
        self.names: dict[str, None] = {}
        self.sources: list[str] = []

    def flagged_ingredient(
        self, ingredient: str, matched_name: str, is_fuzzy: bool, is_local: bool
    ) -> None:
        self.flagged.append(
            IngredientFinding(
                ingredient=ingredient,
                classes=self.rules.ingredient_classes[ingredient],
                matched_name=matched_name,
                is_fuzzy=is_fuzzy,
                is_local=is_local or self.is_local,
            )
        )
        self.ingredients.setdefault(ingredient)

    def ingredient_from_elsewhere(self, ingredient: str, matched_name: str, is_fuzzy: bool) -> None:
        """An ingredient named by the vocabulary or by staff: the rule data decides if it fires."""
        hit = self.rules.drugs.exact(ingredient)
        if hit is not None and isinstance(hit.meaning, Product):
            for flagged in hit.meaning.ingredients:
                self.flagged_ingredient(flagged, matched_name, is_fuzzy, hit.meaning.is_local)
        else:
            self.ingredients.setdefault(ingredient.lower())

    def reading(self, fallback_source: str | None = None) -> Reading:
        source = self.sources[0] if self.sources else fallback_source
        return Reading(tuple(self.flagged), tuple(self.ingredients), tuple(self.names), source)


def _read(name: str, rules: RuleSet) -> Reading:
    words = tokens(name)
    if _is_no_medication(words, rules):
        return NO_MEDICATION
    collect = _Collector(rules, _written_as_local(name, words, rules))
    hits = rules.drugs.read(name)
    for hit in hits:
        _collect_rule_hit(collect, hit, rules)
    # The vocabulary reads only what the rule data left unexplained: the rule data is the
    # authority wherever both know a word, and each stretch of unexplained words is read alone.
    covered = {i for hit in hits for i in range(hit.start, hit.stop)}
    for start, stop in _uncovered_runs(len(words), covered):
        # Strengths, units and dose forms alone ("10/325", "mg") name nothing: the vocabulary
        # is not even loaded for them.
        if not any(_says_what(w, rules) for w in words[start:stop]):
            continue
        vocabulary = rules.vocabulary
        if vocabulary is not None:
            for found in vocabulary.find(words[start:stop]):
                collect.names.setdefault(found.name)
                collect.sources.append(Source.VOCABULARY)
                for ingredient in found.ingredients:
                    collect.ingredient_from_elsewhere(ingredient, found.name, found.is_fuzzy)
    return collect.reading()


def _uncovered_runs(length: int, covered: set[int]) -> list[tuple[int, int]]:
    """The stretches of word positions no hit covers: [(start, stop), ...]."""
    runs: list[tuple[int, int]] = []
    start = None
    for i in range(length + 1):
        if i < length and i not in covered:
            if start is None:
                start = i
        elif start is not None:
            runs.append((start, i))
            start = None
    return runs


def _collect_rule_hit(collect: _Collector, hit: Hit, rules: RuleSet) -> None:
    meaning = hit.meaning
    if isinstance(meaning, Ambiguous):
        return  # one slip from a flagged name and from a look-alike: nobody can tell
    collect.names.setdefault(hit.name)
    if isinstance(meaning, Product):
        collect.sources.append(Source.RULES)
        for ingredient in meaning.ingredients:
            collect.flagged_ingredient(ingredient, hit.name, hit.is_fuzzy, meaning.is_local)
        for other in meaning.others:
            collect.ingredients.setdefault(other)
    elif isinstance(meaning, Everyday):
        collect.sources.append(Source.EVERYDAY)
        # An entry may group a family ("statins"): the vocabulary names the drug itself.
        for ingredient in _generic_names(hit.name, rules, meaning.ingredient):
            collect.ingredients.setdefault(ingredient)
    elif isinstance(meaning, NotFlagged):
        collect.sources.append(Source.RULES)
        for ingredient in _generic_names(hit.name, rules):
            collect.ingredients.setdefault(ingredient)


def _generic_names(name: str, rules: RuleSet, otherwise: str | None = None) -> tuple[str, ...]:
    """ "Imodium" -> ("loperamide",) when the vocabulary knows it, else ``otherwise`` or the
    name itself."""
    words = tokens(name)
    if rules.vocabulary is not None:
        for found in rules.vocabulary.find(words):
            if (found.start, found.stop) == (0, len(words)) and not found.is_fuzzy:
                return found.ingredients
    return (otherwise or name.lower(),)


def _recorded_reading(name: str, recorded: Sequence[str], rules: RuleSet) -> Reading:
    """A coordinator's identification of this exact text replaces the software's reading."""
    collect = _Collector(rules, _written_as_local(name, tokens(name), rules))
    collect.names.setdefault(name)
    for ingredient in recorded:
        collect.ingredient_from_elsewhere(ingredient, name, False)
    return collect.reading(Source.COORDINATOR)


def find_conditions(intake: Intake, rules: RuleSet) -> tuple[ConditionFinding, ...]:
    found: list[ConditionFinding] = []
    for diagnosis in intake.diagnoses:
        hits = rules.condition_names.find(diagnosis.name)
        for hit in hits:
            condition = rules.conditions[hit.meaning]  # type: ignore[index]
            found.append(
                ConditionFinding(
                    input=diagnosis.name,
                    matched=condition.key,
                    evidence_tier=condition.tier,
                    label=condition.label,
                    matched_by="name_with_typo" if hit.is_fuzzy else "name",
                    icd10=diagnosis.icd10,
                )
            )
        if hits:
            continue
        # clinical-facts §5: the code decides when the typed name matches nothing.
        key = _condition_for_code(diagnosis.icd10, rules) if diagnosis.icd10 else None
        coded = rules.conditions[key] if key else None
        found.append(
            ConditionFinding(
                input=diagnosis.name,
                matched=coded.key if coded else None,
                evidence_tier=coded.tier if coded else None,
                label=coded.label if coded else None,
                matched_by="icd10" if coded else None,
                icd10=diagnosis.icd10,
            )
        )
    return tuple(found)


def _condition_for_code(code: str, rules: RuleSet) -> str | None:
    typed = icd10_key(code)
    if not typed:
        return None
    for prefix, key in rules.icd10_prefixes:
        if typed.startswith(prefix):
            return key
    return None
