"""Decision, route, score and priority from the flags and matched conditions.

Decision rules are screening-contract.md §3, applied in this order:
  1. any LDN hard stop -> ineligible; queue `waitlist` when OUT_OF_STATE is the only hard
     stop, else `coordinator`;
  2. no diagnosis matched a known condition, or any review flag fired (a medication nothing
     identifies: screening-contract §5) -> needs_review, queue `coordinator`;
  3. any LDN caution -> eligible_with_cautions, else eligible; queue `physician`.
KETO flags never enter here: they only decide whether the ketosis plan is offered.

Score (0-100): how strong and how ready an eligible case is, for the physician's eye.
  score = 0 when any hard stop fired; otherwise
  score = evidence + burden + readiness, where
    evidence  = 50 / 40 / 30 for the best evidence tier A / B / C among matched conditions,
                0 when none matched;
    burden    = 2.5 x the highest goal severity (0-10), so 0-25;
    readiness = 25 - 8 per distinct LDN caution code, never below 0.
  Rounded half up. The score ranks; it never decides (a physician does).

Priority (0-100, higher first) orders each queue:
  physician   = score;
  coordinator = 50 + burden for needs_review (a case a human may unblock),
                25 + burden for ineligible cases (to be told and declined kindly);
  waitlist    = 10 (waits for a licence, not for a person).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from .codes import FlagCode
from .findings import ConditionFinding
from .intake import Goal
from .rules import Flag

__all__ = ["Decision", "Queue", "Verdict", "decide", "TIER_POINTS"]

TIER_POINTS = {"A": 50, "B": 40, "C": 30}
BURDEN_PER_SEVERITY_POINT = Decimal("2.5")
READINESS_FULL = 25
READINESS_PER_CAUTION = 8
WAITLIST_PRIORITY = 10


class Decision(StrEnum):
    ELIGIBLE = "eligible"
    ELIGIBLE_WITH_CAUTIONS = "eligible_with_cautions"
    NEEDS_REVIEW = "needs_review"
    INELIGIBLE = "ineligible"


class Queue(StrEnum):
    PHYSICIAN = "physician"
    COORDINATOR = "coordinator"
    WAITLIST = "waitlist"


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    queue: Queue
    priority: int
    score: int
    evidence_points: int
    burden_points: int
    readiness_points: int


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def decide(
    hard_stops: Sequence[Flag],
    cautions: Sequence[Flag],
    reviews: Sequence[Flag],
    conditions: Sequence[ConditionFinding],
    goals: Sequence[Goal],
) -> Verdict:
    tiers = [c.evidence_tier for c in conditions if c.evidence_tier is not None]
    evidence = max((TIER_POINTS[tier] for tier in tiers), default=0)
    burden = _round(BURDEN_PER_SEVERITY_POINT * max((g.severity for g in goals), default=0))
    caution_codes = {flag.code for flag in cautions}
    readiness = max(0, READINESS_FULL - READINESS_PER_CAUTION * len(caution_codes))

    if hard_stops:
        score = 0
        decision = Decision.INELIGIBLE
        if {flag.code for flag in hard_stops} == {FlagCode.OUT_OF_STATE}:
            queue, priority = Queue.WAITLIST, WAITLIST_PRIORITY
        else:
            queue, priority = Queue.COORDINATOR, 25 + burden
    else:
        score = min(100, evidence + burden + readiness)
        if not tiers or reviews:
            decision, queue, priority = Decision.NEEDS_REVIEW, Queue.COORDINATOR, 50 + burden
        else:
            decision = Decision.ELIGIBLE_WITH_CAUTIONS if cautions else Decision.ELIGIBLE
            queue, priority = Queue.PHYSICIAN, score
    return Verdict(decision, queue, priority, score, evidence, burden, readiness)
