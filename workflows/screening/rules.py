"""The flag triggers of ``schemas/rules/flags.yaml``: one small function per trigger type.

A trigger looks at the intake (and what its names were found to mean) and yields one
TriggerHit per input that fires it, carrying the evidence: the patient's own text, or the
history field and its value. Which flags exist, what fires them and why lives in the data.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .codes import FlagCode, FlagKind
from .findings import IngredientFinding, MedicationFinding
from .intake import Intake, Medication
from .normalise import state_key
from .ruledata import RuleSet

__all__ = ["Flag", "evaluate_flags", "age_on", "TRIGGERS"]


@dataclass(frozen=True, slots=True)
class Flag:
    code: FlagCode
    kind: FlagKind
    reason: str
    evidence: str  # the input exactly as typed, or "field: value" for answers and blanks
    field: str  # where the evidence sits in the intake document
    ingredient: str | None = None
    matched_name: str | None = None
    earliest_start: date | None = None

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "code": self.code.value,
            "reason": self.reason,
            "evidence": self.evidence,
            "field": self.field,
        }
        if self.ingredient is not None:
            result["ingredient"] = self.ingredient
            result["matched_name"] = self.matched_name
        if self.earliest_start is not None:
            result["earliest_start"] = self.earliest_start.isoformat()
        return result


@dataclass(frozen=True, slots=True)
class TriggerHit:
    evidence: str
    field: str
    # dataclasses.field: in this class body the bare name is the attribute above.
    fill: Mapping[str, str] = dataclasses.field(default_factory=dict)
    ingredient: str | None = None
    matched_name: str | None = None
    earliest_start: date | None = None


@dataclass(frozen=True, slots=True)
class Context:
    intake: Intake
    rules: RuleSet
    medications: tuple[MedicationFinding, ...]
    # Only medications with a flagged ingredient can fire anything; most have none.
    flagged_medications: tuple[MedicationFinding, ...]


def age_on(born: date, day: date) -> int:
    """Whole years on ``day``; a 29 February birthday falls on 1 March in other years."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _residence_outside_licensed_states(
    trigger: Mapping[str, Any], ctx: Context
) -> Iterator[TriggerHit]:
    typed = ctx.intake.patient.state_of_residence
    if state_key(typed or "") in ctx.rules.licensed_states:
        return
    # A blank answer still needs evidence a coordinator can read: name the field.
    evidence = typed if typed and typed.strip() else f"state_of_residence: {json.dumps(typed)}"
    yield TriggerHit(evidence, "patient.state_of_residence")


def _age_under(trigger: Mapping[str, Any], ctx: Context) -> Iterator[TriggerHit]:
    born = ctx.intake.patient.date_of_birth
    age = age_on(born, ctx.intake.submitted_at)
    if age < trigger["years"]:
        yield TriggerHit(
            f"date_of_birth: {born.isoformat()}", "patient.date_of_birth", {"age": str(age)}
        )


def _current_medication(trigger: Mapping[str, Any], ctx: Context) -> Iterator[TriggerHit]:
    condition = trigger.get("when_history")
    if condition and ctx.intake.history.value(condition["field"]) not in condition["values"]:
        return
    for finding, matching in _medications_in_classes(trigger, ctx, is_current=True):
        yield _medication_hit(finding, matching)


def _recently_stopped_medication(trigger: Mapping[str, Any], ctx: Context) -> Iterator[TriggerHit]:
    # clinical-facts §3 rule 5: of stopped medications only the opioids matter, and a stop
    # `days` or more before submission fires nothing (fewer than 14 days is the washout).
    washout = timedelta(days=trigger["days"])
    for finding, matching in _medications_in_classes(trigger, ctx, is_current=False):
        stopped_on = finding.medication.stopped_on
        if stopped_on is not None and _stopped_within(
            finding.medication, ctx.intake.submitted_at, washout
        ):
            yield _medication_hit(finding, matching, earliest_start=stopped_on + washout)


def _stopped_within(medication: Medication, day: date, days: timedelta) -> bool:
    """Stopped fewer than ``days`` before ``day``: a stop that long ago or more fires nothing."""
    stopped_on = medication.stopped_on
    return stopped_on is not None and day - stopped_on < days


def _medications_in_classes(
    trigger: Mapping[str, Any], ctx: Context, *, is_current: bool
) -> Iterator[tuple[MedicationFinding, list[IngredientFinding]]]:
    classes = set(trigger["classes"])
    # Eye drops and ointments of a systemic-only class (tacrolimus ointment) act locally.
    local_excluded = classes & ctx.rules.systemic_only_classes
    for finding in ctx.flagged_medications:
        if finding.medication.is_current is not is_current:
            continue
        matching = [
            found
            for found in finding.ingredients
            if not classes.isdisjoint(found.classes)
            and not (found.is_local and not local_excluded.isdisjoint(found.classes))
        ]
        if matching:
            yield finding, matching


def _medication_hit(
    finding: MedicationFinding,
    matching: list[IngredientFinding],
    earliest_start: date | None = None,
) -> TriggerHit:
    ingredients = ", ".join(dict.fromkeys(found.ingredient for found in matching))
    names = ", ".join(dict.fromkeys(found.matched_name for found in matching))
    fill = {"ingredient": ingredients}
    if earliest_start is not None:
        fill["earliest_start"] = earliest_start.isoformat()
    # Evidence is the text as typed, not the normalised name: the physician must see what the
    # patient wrote (clinical-facts §3, rule 6).
    return TriggerHit(
        finding.medication.name,
        f"medications[{finding.index}].name",
        fill,
        ingredients,
        names,
        earliest_start,
    )


def _unidentified_medication(trigger: Mapping[str, Any], ctx: Context) -> Iterator[TriggerHit]:
    # screening-contract §5: what nothing identifies could be an opioid. Current ones, and
    # those stopped fewer than `days` days ago (they could still be in washout), go to a person.
    washout = timedelta(days=trigger["days"])
    for finding in ctx.medications:
        if finding.reading.identified:
            continue
        medication = finding.medication
        if medication.is_current or _stopped_within(medication, ctx.intake.submitted_at, washout):
            yield TriggerHit(medication.name, f"medications[{finding.index}].name")


def _history_flag(trigger: Mapping[str, Any], ctx: Context) -> Iterator[TriggerHit]:
    for name in trigger["fields"]:
        if ctx.intake.history.value(name) is True:
            yield TriggerHit(f"{name}: true", f"history.{name}")


def _history_value(trigger: Mapping[str, Any], ctx: Context) -> Iterator[TriggerHit]:
    value = ctx.intake.history.value(trigger["field"])
    if value in trigger["values"]:
        yield TriggerHit(f"{trigger['field']}: {value}", f"history.{trigger['field']}")


def _history_date_on_or_after_submission(
    trigger: Mapping[str, Any], ctx: Context
) -> Iterator[TriggerHit]:
    value = ctx.intake.history.value(trigger["field"])
    if value is not None and value >= ctx.intake.submitted_at:
        yield TriggerHit(f"{trigger['field']}: {value.isoformat()}", f"history.{trigger['field']}")


TRIGGERS: dict[str, Callable[[Mapping[str, Any], Context], Iterator[TriggerHit]]] = {
    "residence_outside_licensed_states": _residence_outside_licensed_states,
    "age_under": _age_under,
    "current_medication": _current_medication,
    "recently_stopped_medication": _recently_stopped_medication,
    "unidentified_medication": _unidentified_medication,
    "history_flag": _history_flag,
    "history_value": _history_value,
    "history_date_on_or_after_submission": _history_date_on_or_after_submission,
}


def evaluate_flags(
    intake: Intake, rules: RuleSet, medications: tuple[MedicationFinding, ...]
) -> tuple[Flag, ...]:
    """Every flag that fires, in rule-data order, then trigger order, then input order."""
    ctx = Context(intake, rules, medications, tuple(m for m in medications if m.ingredients))
    flags: list[Flag] = []
    for rule in rules.flags:
        # Ketosis flags are only evaluated when ketosis is requested (screening-contract §4).
        if rule.kind.is_ketosis and not intake.wants_ketosis:
            continue
        for trigger in rule.triggers:
            for hit in TRIGGERS[trigger["type"]](trigger, ctx):
                flags.append(
                    Flag(
                        code=rule.code,
                        kind=rule.kind,
                        reason=rule.reason.format_map(hit.fill),
                        evidence=hit.evidence,
                        field=hit.field,
                        ingredient=hit.ingredient,
                        matched_name=hit.matched_name,
                        earliest_start=hit.earliest_start,
                    )
                )
    return tuple(flags)
