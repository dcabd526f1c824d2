"""What the typed names of an intake mean: drug ingredients per medication, conditions per
diagnosis. Every finding keeps the patient's own words, which become a flag's evidence."""

from __future__ import annotations

from dataclasses import dataclass

from .intake import Intake, Medication
from .normalise import has_percent, icd10_key, tokens
from .ruledata import Product, RuleSet

__all__ = [
    "IngredientFinding",
    "MedicationFinding",
    "ConditionFinding",
    "find_medications",
    "find_conditions",
]


@dataclass(frozen=True, slots=True)
class IngredientFinding:
    ingredient: str
    classes: frozenset[str]
    matched_name: str  # the rule-data name it matched ("Norco", "Synthroid")
    is_fuzzy: bool
    is_local: bool  # an eye drop or skin preparation


@dataclass(frozen=True, slots=True)
class MedicationFinding:
    index: int
    medication: Medication
    ingredients: tuple[IngredientFinding, ...]


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


def find_medications(intake: Intake, rules: RuleSet) -> tuple[MedicationFinding, ...]:
    return tuple(
        MedicationFinding(index, medication, _ingredients(medication.name, rules))
        for index, medication in enumerate(intake.medications)
    )


_MEMO_LIMIT = 100_000


def _ingredients(name: str, rules: RuleSet) -> tuple[IngredientFinding, ...]:
    found = rules.medication_memo.get(name)
    if found is None:
        if len(rules.medication_memo) >= _MEMO_LIMIT:
            rules.medication_memo.clear()
        found = rules.medication_memo[name] = _find_ingredients(name, rules)
    return found


def _find_ingredients(name: str, rules: RuleSet) -> tuple[IngredientFinding, ...]:
    hits = rules.drugs.find(name)
    if not hits:
        return ()
    written_as_local = (
        rules.local_form_percent and has_percent(name)
    ) or not rules.local_form_words.isdisjoint(tokens(name))
    found: list[IngredientFinding] = []
    for hit in hits:
        product: Product = hit.meaning  # type: ignore[assignment]
        for ingredient in product.ingredients:
            found.append(
                IngredientFinding(
                    ingredient=ingredient,
                    classes=rules.ingredient_classes[ingredient],
                    matched_name=hit.name,
                    is_fuzzy=hit.is_fuzzy,
                    is_local=product.is_local or written_as_local,
                )
            )
    return tuple(found)


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
        condition = rules.conditions[key] if key else None
        found.append(
            ConditionFinding(
                input=diagnosis.name,
                matched=condition.key if condition else None,
                evidence_tier=condition.tier if condition else None,
                label=condition.label if condition else None,
                matched_by="icd10" if condition else None,
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
