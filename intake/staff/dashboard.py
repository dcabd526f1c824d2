"""Coordinator dashboard figures, drawn as server-rendered SVG bar charts (no chart library,
no CDN): cases received per day, by decision and by state, time to routed and to accepted, and
how long open cases have waited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.cases.casework import OPEN_STATES, waiting_since
from workflows.models import Case

__all__ = ["Chart", "dashboard_figures"]

AGE_BUCKETS = [("< 1 h", 1), ("1-4 h", 4), ("4-24 h", 24), ("1-3 d", 72), ("> 3 d", None)]


@dataclass(frozen=True)
class Chart:
    title: str
    items: list[tuple[str, int]]

    def svg(self) -> Markup:
        width, bar_height, gap, label_width = 560, 22, 8, 150
        height = max(1, len(self.items)) * (bar_height + gap) + gap
        top = max([value for _, value in self.items] or [1]) or 1
        summary = ", ".join(f"{label}: {value}" for label, value in self.items) or "no data"
        parts = [
            f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(self.title)}: {escape(summary)}" xmlns="http://www.w3.org/2000/svg">',
            f"<title>{escape(self.title)}</title>",
        ]
        for index, (label, value) in enumerate(self.items):
            y = gap + index * (bar_height + gap)
            length = int((width - label_width - 50) * value / top)
            parts.append(
                f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" class="chart-label">{escape(label)}</text>'
            )
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{max(length, 1)}" height="{bar_height}" rx="3" class="chart-bar"/>'
            )
            parts.append(
                f'<text x="{label_width + length + 6}" y="{y + 16}" class="chart-value">{value}</text>'
            )
        parts.append("</svg>")
        return Markup("".join(parts))


def _hours(values: list[timedelta]) -> str:
    if not values:
        return "no cases yet"
    hours = median(v.total_seconds() for v in values) / 3600
    return f"{hours:.1f} h" if hours >= 1 else f"{hours * 60:.0f} min"


def dashboard_figures(db: Session, now: datetime, days: int = 14) -> dict[str, Any]:
    cases = db.scalars(select(Case)).all()
    start = (now - timedelta(days=days - 1)).date()
    per_day = {start + timedelta(days=i): 0 for i in range(days)}
    by_decision: dict[str, int] = {}
    by_state: dict[str, int] = {}
    to_routed, to_accepted = [], []
    ages = dict.fromkeys([label for label, _ in AGE_BUCKETS], 0)
    for case in cases:
        day = case.created_at.date()
        if day in per_day:
            per_day[day] += 1
        by_decision[case.decision or "not screened yet"] = (
            by_decision.get(case.decision or "not screened yet", 0) + 1
        )
        by_state[case.patient_state or "unknown"] = (
            by_state.get(case.patient_state or "unknown", 0) + 1
        )
        if case.routed_at:
            to_routed.append(case.routed_at - case.created_at)
        if case.accepted_at:
            to_accepted.append(case.accepted_at - case.created_at)
        if case.status in {s.value for s in OPEN_STATES}:
            waited = (now - waiting_since(case)).total_seconds() / 3600
            for label, limit in AGE_BUCKETS:
                if limit is None or waited < limit:
                    ages[label] += 1
                    break
    return {
        "total": len(cases),
        "median_to_routed": _hours(to_routed),
        "median_to_accepted": _hours(to_accepted),
        "charts": [
            Chart(
                f"Cases received per day, last {days} days",
                [(d.strftime("%b %d"), n) for d, n in per_day.items()],
            ),
            Chart("Cases by decision", sorted(by_decision.items())),
            Chart("Cases by state", sorted(by_state.items())),
            Chart("Open cases by time waiting", list(ages.items())),
        ],
    }
