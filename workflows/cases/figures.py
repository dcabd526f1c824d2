"""The coordinators' dashboard figures, counted by the database and kept in Redis.

``compute_figures`` asks the database for aggregates only (COUNT, GROUP BY, a median): no case
is loaded. At a million cases those aggregates still take 0.5-0.9 s, too slow for a page, so
beat's ``workflows.refresh_dashboard_figures`` computes them every minute into Redis and the
page reads that copy, showing when it was computed. We chose a cache over daily roll-ups: the
figures mix all-time counts, the last 14 days and the open cases' waiting times (which change
with the clock, not only with new rows), so a roll-up table would still need a live query for
most of them plus a migration and a job to keep it right; a one-minute-old copy is as useful
to a coordinator. The copy expires after a few minutes, so when beat stops the page computes
the figures itself (slowly, but never stale by more than that).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

import redis
from sqlalchemy import ColumnElement, Float, case, cast, func, select
from sqlalchemy.orm import Session, sessionmaker

from workflows.cases.models import IS_OPEN, Case
from workflows.platform.redis_clients import redis_client

__all__ = [
    "AGE_BUCKETS",
    "DashboardFigures",
    "FiguresCache",
    "compute_figures",
    "current_figures",
    "refresh_figures",
    "NOT_SCREENED",
]

# (label, upper limit in hours): how long open cases have waited since routed (or created).
AGE_BUCKETS: list[tuple[str, int | None]] = [
    ("< 1 h", 1),
    ("1-4 h", 4),
    ("4-24 h", 24),
    ("1-3 d", 72),
    ("> 3 d", None),
]
NOT_SCREENED = "not screened yet"
DAYS = 14


@dataclass(frozen=True)
class DashboardFigures:
    computed_at: datetime
    total: int
    # Medians in seconds; None when no case has got that far yet.
    median_to_routed: float | None
    median_to_accepted: float | None
    per_day: list[tuple[date, int]]
    by_decision: list[tuple[str, int]]
    by_state: list[tuple[str, int]]
    open_by_wait: list[tuple[str, int]]

    def to_json(self) -> str:
        fields = asdict(self)
        fields["computed_at"] = self.computed_at.isoformat()
        fields["per_day"] = [[day.isoformat(), count] for day, count in self.per_day]
        return json.dumps(fields)

    @classmethod
    def from_json(cls, text: str | bytes) -> DashboardFigures:
        fields = json.loads(text)
        return cls(
            computed_at=datetime.fromisoformat(fields["computed_at"]),
            total=fields["total"],
            median_to_routed=fields["median_to_routed"],
            median_to_accepted=fields["median_to_accepted"],
            per_day=[(date.fromisoformat(day), count) for day, count in fields["per_day"]],
            by_decision=[(label, count) for label, count in fields["by_decision"]],
            by_state=[(label, count) for label, count in fields["by_state"]],
            open_by_wait=[(label, count) for label, count in fields["open_by_wait"]],
        )


def compute_figures(db: Session, now: datetime, days: int = DAYS) -> DashboardFigures:
    """Every figure of the dashboard, each one statement of aggregates."""
    start = (now - timedelta(days=days - 1)).date()
    per_day = dict.fromkeys((start + timedelta(days=i) for i in range(days)), 0)
    day = func.date(Case.created_at)
    for value, count in db.execute(
        select(day, func.count())
        .where(Case.created_at >= datetime.combine(start, datetime.min.time()))
        .group_by(day)
    ):
        # SQLite answers date() with text, PostgreSQL with a date.
        per_day[date.fromisoformat(str(value)[:10])] = count
    by_decision = db.execute(select(Case.decision, func.count()).group_by(Case.decision)).all()
    by_state = db.execute(
        select(Case.patient_state, func.count()).group_by(Case.patient_state)
    ).all()
    return DashboardFigures(
        computed_at=now,
        total=db.scalar(select(func.count()).select_from(Case)) or 0,
        median_to_routed=_median_seconds(db, Case.routed_at),
        median_to_accepted=_median_seconds(db, Case.accepted_at),
        per_day=list(per_day.items()),
        by_decision=_labelled(by_decision, NOT_SCREENED),
        by_state=_labelled(by_state, "unknown"),
        open_by_wait=_open_by_wait(db, now),
    )


def _labelled(rows: Any, missing: str) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for label, count in rows:
        counts[label or missing] = counts.get(label or missing, 0) + count
    return sorted(counts.items())


def _seconds_between(db: Session, later: Any) -> ColumnElement[Any]:
    if db.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - Case.created_at)
    return (func.julianday(later) - func.julianday(Case.created_at)) * 86400.0


def _median_seconds(db: Session, later: Any) -> float | None:
    """The median of (later - created_at) over the cases that have `later`: PostgreSQL's
    percentile_cont, or on SQLite the one or two middle values by ORDER BY ... OFFSET (the
    same definition as statistics.median)."""
    seconds = _seconds_between(db, later)
    if db.get_bind().dialect.name == "postgresql":
        median = db.scalar(
            select(func.percentile_cont(0.5).within_group(seconds)).where(later.is_not(None))
        )
        return float(median) if median is not None else None
    count = db.scalar(select(func.count()).where(later.is_not(None))) or 0
    if not count:
        return None
    middle = db.scalars(
        select(cast(seconds, Float))
        .where(later.is_not(None))
        .order_by(seconds)
        .offset((count - 1) // 2)
        .limit(2 if count % 2 == 0 else 1)
    ).all()
    return sum(middle) / len(middle)


def _open_by_wait(db: Session, now: datetime) -> list[tuple[str, int]]:
    since = func.coalesce(Case.routed_at, Case.created_at)
    bucket = case(
        *[
            (since > now - timedelta(hours=limit), label)
            for label, limit in AGE_BUCKETS
            if limit is not None
        ],
        else_=AGE_BUCKETS[-1][0],
    )
    counts: dict[str, int] = dict(
        db.execute(select(bucket, func.count()).where(IS_OPEN).group_by(bucket)).all()
    )
    return [(label, counts.get(label, 0)) for label, _ in AGE_BUCKETS]


class FiguresCache:
    """The last computed figures, in Redis under one key, expiring if nobody refreshes them."""

    KEY = "ldn:dashboard:figures"
    # Beat refreshes every minute; after five without a refresh the page computes them itself.
    LIFETIME = timedelta(minutes=5)

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @classmethod
    def for_url(cls, url: str) -> FiguresCache:
        return cls(redis_client(url))

    def load(self) -> DashboardFigures | None:
        stored = self._redis.get(self.KEY)
        return DashboardFigures.from_json(stored) if stored else None

    def store(self, figures: DashboardFigures) -> None:
        self._redis.set(self.KEY, figures.to_json(), ex=int(self.LIFETIME.total_seconds()))


def refresh_figures(
    sessions: sessionmaker[Session], figures_cache: FiguresCache, now: datetime
) -> DashboardFigures:
    """Compute the figures now and keep them for the page (beat, every minute)."""
    with sessions() as db:
        figures = compute_figures(db, now)
    figures_cache.store(figures)
    return figures


def current_figures(
    sessions: sessionmaker[Session], figures_cache: FiguresCache, now: datetime
) -> DashboardFigures:
    """The kept figures, or figures computed now when there are none (beat not running)."""
    return figures_cache.load() or refresh_figures(sessions, figures_cache, now)
