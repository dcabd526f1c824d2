"""Re-screening open cases when the rule set changes, recording what changed on each case."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflows.cases.casework import OPEN_STATES, flag_codes
from workflows.cases.pipeline import screen_case
from workflows.models import Case, CaseEvent, utcnow
from workflows.screening import default_rules

__all__ = ["rescreen_open_cases"]


def rescreen_open_cases(sessions: sessionmaker[Session]) -> list[int]:
    """Cases still open whose rule_set_version differs from the current one: screen them
    again, keep their state and queue (a person decides on any move), and write a
    `rescreened` event with the flags added and removed and the new decision."""
    rules = default_rules()
    changed: list[int] = []
    with sessions.begin() as db:
        cases = db.scalars(
            select(Case).where(
                Case.status.in_([s.value for s in OPEN_STATES]),
                Case.rule_set_version.is_not(None),
                Case.rule_set_version != rules.version,
            )
        ).all()
        for case in cases:
            before = set(flag_codes(case))
            previous_version, previous_decision = case.rule_set_version, case.decision
            screen_case(db, case, rules)
            after = set(flag_codes(case))
            case.updated_at = utcnow()
            db.add(
                CaseEvent(
                    case_id=case.id,
                    actor="system:rescreen",
                    action="rescreened",
                    detail={
                        "from_rules": previous_version,
                        "to_rules": rules.version,
                        "flags_added": sorted(after - before),
                        "flags_removed": sorted(before - after),
                        "decision_before": previous_decision,
                        "decision_after": case.decision,
                    },
                )
            )
            changed.append(case.id)
    return changed
