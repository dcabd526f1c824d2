"""What a change of the rule data would do before it is applied (`flask rules preview`), and
the record of the last preview and the last change applied, shown on the operations page.

The preview screens each case's stored intake with the new rules in memory and compares the
result with the stored one: nothing is written to the cases (the session only reads), so a
preview can run at any time, as often as wanted. It reads in keyset batches of BATCH_SIZE as
the re-screening does, so memory stays that of one batch.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, sessionmaker

from workflows.cases.medications import identifications_for_cases
from workflows.cases.models import IS_OPEN, Case, RuleChange
from workflows.platform.orm import utcnow
from workflows.screening.codes import codes_of
from workflows.staff import audit

if TYPE_CHECKING:
    from workflows.screening import RuleSet

__all__ = [
    "apply_rule_change",
    "BATCH_SIZE",
    "CaseChange",
    "RuleChangeRecord",
    "Preview",
    "preview_rules",
    "read_rule_changes",
    "record_applied",
    "record_preview",
    "version_in_use",
]

BATCH_SIZE = 500
CASES_KEPT = 100  # cases of the last preview kept for the operations page


@dataclass(frozen=True)
class CaseChange:
    case_id: int
    public_id: str
    changes: list[str]  # "decision eligible -> ineligible", "route ...", "flag added X", ...


@dataclass(frozen=True)
class RuleChangeRecord:
    kind: str  # "preview" or "applied"
    at: datetime
    actor: str
    from_version: str | None
    to_version: str
    summary: dict[str, Any]


@dataclass
class Preview:
    from_version: str | None
    to_version: str
    cases_checked: int = 0
    changed: list[CaseChange] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        return {
            "cases_checked": self.cases_checked,
            "cases_changed": len(self.changed),
            "counts": dict(self.counts.most_common()),
            # The first ones by reference, for the operations page to link to; the command
            # line lists them all.
            "cases": [
                {"public_id": case.public_id, "changes": case.changes}
                for case in self.changed[:CASES_KEPT]
            ],
        }


def _route_of(result: dict[str, Any] | None) -> str | None:
    route = (result or {}).get("route") or {}
    return route.get("queue")


def _compare(old: dict[str, Any] | None, decision: str | None, new: dict[str, Any]) -> list[str]:
    changes = []
    if decision != new["decision"]:
        changes.append(f"decision {decision} -> {new['decision']}")
    if _route_of(old) != _route_of(new):
        changes.append(f"route {_route_of(old)} -> {_route_of(new)}")
    before, after = set(codes_of(old)), set(codes_of(new))
    changes += [f"flag added {code}" for code in sorted(after - before)]
    changes += [f"flag removed {code}" for code in sorted(before - after)]
    return changes


def version_in_use(db: Session) -> str | None:
    """The rule set version most open cases were screened under (an aggregate over the open
    cases only)."""
    return db.scalar(
        select(Case.rule_set_version)
        .where(IS_OPEN, Case.rule_set_version.is_not(None))
        .group_by(Case.rule_set_version)
        .order_by(func.count().desc())
        .limit(1)
    )


def preview_rules(
    sessions: sessionmaker[Session],
    rules: RuleSet,
    recent_days: int | None = None,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> Preview:
    """Screen the open cases (and, with ``recent_days``, every case created in those days)
    with ``rules`` without saving anything; list those whose decision, route or flags would
    change, with counts by change."""
    # Imported here: the web app imports this module for read_rule_changes, and the
    # screening engine is the workers' (and this command's) business.
    from workflows.screening import screen_document

    chosen: ColumnElement[bool] = IS_OPEN
    if recent_days is not None:
        chosen = IS_OPEN | (Case.created_at >= (now or utcnow()) - timedelta(days=recent_days))
    after_id = 0
    with sessions() as db:
        preview = Preview(version_in_use(db), rules.version)
        while True:
            batch = db.execute(
                select(
                    Case.id,
                    Case.public_id,
                    Case.intake,
                    Case.decision,
                    Case.screening_result,
                )
                .where(Case.id > after_id, Case.rule_set_version.is_not(None), chosen)
                .order_by(Case.id)
                .limit(batch_size)
            ).all()
            if not batch:
                break
            recorded = identifications_for_cases(db, [row.id for row in batch])
            for row in batch:
                try:
                    new = screen_document(row.intake, rules, identifications=recorded[row.id])
                except Exception as error:  # noqa: BLE001 - one case must not stop the preview
                    # The class only: a message may quote the intake.
                    changes = [f"screening would fail: {type(error).__name__}"]
                else:
                    changes = _compare(row.screening_result, row.decision, new)
                preview.cases_checked += 1
                if changes:
                    preview.changed.append(CaseChange(row.id, row.public_id, changes))
                    preview.counts.update(changes)
            after_id = batch[-1].id
            db.rollback()  # nothing was written; end the batch's snapshot
    return preview


def _replace(
    db: Session,
    kind: str,
    actor: str,
    from_version: str | None,
    to_version: str,
    summary: dict[str, Any],
) -> None:
    row = db.get(RuleChange, kind) or RuleChange(kind=kind)
    row.at, row.actor = utcnow(), actor[:120]
    row.from_version, row.to_version, row.summary = from_version, to_version, summary
    db.add(row)


def record_preview(sessions: sessionmaker[Session], actor: str, preview: Preview) -> None:
    """Keep the preview's summary (replacing the previous one) and audit it."""
    summary = preview.summary()
    with sessions.begin() as db:
        _replace(db, "preview", actor, preview.from_version, preview.to_version, summary)
        audit.record(
            db,
            None,
            "rules_previewed",
            by=actor,
            from_version=preview.from_version,
            to_version=preview.to_version,
            cases_changed=summary["cases_changed"],
        )


def record_applied(
    sessions: sessionmaker[Session],
    actor: str,
    from_version: str | None,
    to_version: str,
    cases: int,
) -> None:
    with sessions.begin() as db:
        _replace(db, "applied", actor, from_version, to_version, {"cases_rescreened": cases})
        audit.record(
            db,
            None,
            "rules_applied",
            by=actor,
            from_version=from_version,
            to_version=to_version,
            cases_rescreened=cases,
        )


def apply_rule_change(sessions: sessionmaker[Session], actor: str, processes: int) -> int:
    """`flask rescreen`: re-screen the open cases under the current rules, then record the
    change applied (from the version most open cases had). Returns how many were re-screened."""
    from workflows.cases.rescreen import rescreen_open_cases
    from workflows.screening import default_rules

    with sessions() as db:
        from_version = version_in_use(db)
    changed = rescreen_open_cases(sessions, processes=processes)
    to_version = default_rules().version
    if changed or from_version != to_version:
        record_applied(sessions, actor, from_version, to_version, len(changed))
    return len(changed)


def read_rule_changes(sessions: sessionmaker[Session]) -> dict[str, RuleChangeRecord]:
    """The last preview and the last change applied, by kind (either may be missing)."""
    with sessions() as db:
        return {
            row.kind: RuleChangeRecord(
                row.kind, row.at, row.actor, row.from_version, row.to_version, row.summary
            )
            for row in db.scalars(select(RuleChange))
        }
