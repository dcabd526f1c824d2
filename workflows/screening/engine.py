"""The screening engine: a pure function from a validated intake to its screening result.

No Flask, Celery, database or clock: "today" is the intake's ``submitted_at``, so the same
intake and rule set always give the same result (screening-contract.md §1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .codes import FlagKind
from .decide import Verdict, decide
from .findings import ConditionFinding, MedicationFinding, find_conditions, find_medications
from .intake import Intake
from .ruledata import RuleSet, default_rules
from .rules import Flag, evaluate_flags
from .validation import validate_intake

__all__ = ["ScreeningResult", "screen", "screen_document"]


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    verdict: Verdict
    hard_stops: tuple[Flag, ...]
    cautions: tuple[Flag, ...]
    conditions: tuple[ConditionFinding, ...]
    wants_ketosis: bool
    ketosis_stops: tuple[Flag, ...]
    ketosis_cautions: tuple[Flag, ...]
    reviews: tuple[Flag, ...]
    medications: tuple[MedicationFinding, ...]
    rule_set_version: str

    @property
    def ketosis_ok(self) -> bool | None:
        return None if not self.wants_ketosis else not self.ketosis_stops

    @property
    def earliest_start(self) -> date | None:
        """The latest washout end among recently stopped opioids, if any."""
        dates = [f.earliest_start for f in self.cautions if f.earliest_start is not None]
        return max(dates, default=None)

    def to_dict(self) -> dict[str, Any]:
        verdict = self.verdict
        earliest = self.earliest_start
        return {
            "decision": verdict.decision.value,
            "hard_stops": [flag.to_dict() for flag in self.hard_stops],
            "cautions": [flag.to_dict() for flag in self.cautions],
            "reviews": [flag.to_dict() for flag in self.reviews],
            "medications": [finding.to_dict() for finding in self.medications],
            "conditions": [condition.to_dict() for condition in self.conditions],
            "ketosis": {
                "requested": self.wants_ketosis,
                "ok": self.ketosis_ok,
                "stops": [flag.to_dict() for flag in self.ketosis_stops],
                "cautions": [flag.to_dict() for flag in self.ketosis_cautions],
            },
            "route": {"queue": verdict.queue.value, "priority": verdict.priority},
            "score": verdict.score,
            "score_parts": {
                "evidence": verdict.evidence_points,
                "burden": verdict.burden_points,
                "readiness": verdict.readiness_points,
            },
            "earliest_start": earliest.isoformat() if earliest else None,
            "rule_set_version": self.rule_set_version,
        }


def screen(
    intake: Intake,
    rules: RuleSet | None = None,
    identifications: Mapping[str, Sequence[str]] | None = None,
) -> ScreeningResult:
    """Screen one intake. ``identifications`` maps a medication's text, exactly as typed, to
    the ingredients a coordinator recorded for it; they replace the software's reading."""
    rules = rules or default_rules()
    medications = find_medications(intake, rules, identifications)
    conditions = find_conditions(intake, rules)
    flags = evaluate_flags(intake, rules, medications)
    by_kind: dict[FlagKind, list[Flag]] = {kind: [] for kind in FlagKind}
    for flag in flags:
        by_kind[flag.kind].append(flag)
    hard_stops = tuple(by_kind[FlagKind.HARD_STOP])
    cautions = tuple(by_kind[FlagKind.CAUTION])
    reviews = tuple(by_kind[FlagKind.REVIEW])
    return ScreeningResult(
        verdict=decide(hard_stops, cautions, reviews, conditions, intake.goals),
        hard_stops=hard_stops,
        cautions=cautions,
        conditions=conditions,
        wants_ketosis=intake.wants_ketosis,
        ketosis_stops=tuple(by_kind[FlagKind.KETO_STOP]),
        ketosis_cautions=tuple(by_kind[FlagKind.KETO_CAUTION]),
        reviews=reviews,
        medications=medications,
        rule_set_version=rules.version,
    )


def screen_document(
    document: Any,
    rules: RuleSet | None = None,
    *,
    identifications: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Validate and screen one intake document; raises InvalidIntake with every bad field."""
    return screen(validate_intake(document), rules, identifications).to_dict()
