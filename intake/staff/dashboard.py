"""Coordinator dashboard figures (counted in workflows/cases/figures.py), drawn as server-rendered SVG bar charts (no chart library,
no CDN): cases received per day, by decision and by state, time to routed and to accepted, and
how long open cases have waited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from workflows.cases.figures import DashboardFigures

__all__ = ["Chart", "dashboard_page"]


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


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "no cases yet"
    hours = seconds / 3600
    return f"{hours:.1f} h" if hours >= 1 else f"{hours * 60:.0f} min"


def dashboard_page(figures: DashboardFigures) -> dict[str, Any]:
    """What the dashboard template shows of the figures (workflows/cases/figures.py)."""
    return {
        "computed_at": figures.computed_at,
        "total": figures.total,
        "median_to_routed": _duration(figures.median_to_routed),
        "median_to_accepted": _duration(figures.median_to_accepted),
        "charts": [
            Chart(
                f"Cases received per day, last {len(figures.per_day)} days",
                [(day.strftime("%b %d"), count) for day, count in figures.per_day],
            ),
            Chart("Cases by decision", figures.by_decision),
            Chart("Cases by state", figures.by_state),
            Chart("Open cases by time waiting", figures.open_by_wait),
        ],
    }
