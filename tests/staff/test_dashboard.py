"""The dashboard's figures are counted by the database, kept in Redis, and dated on the page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event

from tests.staff.helpers import login, make_staff, routed_case
from workflows.cases.figures import (
    DashboardFigures,
    FiguresCache,
    compute_figures,
    current_figures,
    refresh_figures,
)
from workflows.platform.orm import utcnow


def _cache(app: Any) -> FiguresCache:
    return FiguresCache.for_url(app.extensions["ldn"].redis_url)


def test_the_figures_count_every_case_by_day_decision_state_and_wait(
    app: Any, base_intake: dict[str, Any]
) -> None:
    for _ in range(3):
        routed_case(app, base_intake)
    now = utcnow()
    with app.extensions["ldn"].sessions() as db:
        figures = compute_figures(db, now)
    assert figures.total == 3
    assert figures.per_day[-1] == (now.date(), 3) and len(figures.per_day) == 14
    assert figures.by_decision == [("eligible", 3)]
    assert figures.by_state == [("TX", 3)]
    assert dict(figures.open_by_wait)["< 1 h"] == 3
    assert figures.median_to_routed is not None and figures.median_to_accepted is None


def test_the_cached_figures_match_a_fresh_count(app: Any, base_intake: dict[str, Any]) -> None:
    routed_case(app, base_intake)
    sessions, now = app.extensions["ldn"].sessions, utcnow()
    refresh_figures(sessions, _cache(app), now)
    with sessions() as db:
        fresh = compute_figures(db, now)
    assert _cache(app).load() == fresh
    assert current_figures(sessions, _cache(app), now + timedelta(seconds=30)) == fresh


def test_the_page_computes_the_figures_when_none_are_kept(
    app: Any, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    routed_case(app, base_intake)
    client = app.test_client()
    login(client, "coord@test")
    assert _cache(app).load() is None
    page = client.get("/staff/dashboard").get_data(as_text=True)
    kept = _cache(app).load()
    assert kept is not None and kept.total == 1
    assert f"Figures as of {kept.computed_at:%H:%M} UTC" in page


def test_the_page_shows_the_kept_figures_and_their_age(app: Any) -> None:
    make_staff(app)
    kept = DashboardFigures(
        computed_at=datetime(2026, 3, 4, 12, 3),
        total=1234,
        median_to_routed=90.0,
        median_to_accepted=5400.0,
        per_day=[],
        by_decision=[("eligible", 1234)],
        by_state=[("TX", 1234)],
        open_by_wait=[("< 1 h", 7)],
    )
    _cache(app).store(kept)
    client = app.test_client()
    login(client, "coord@test")
    page = client.get("/staff/dashboard").get_data(as_text=True)
    assert "Figures as of 12:03 UTC, 2026-03-04" in page
    assert "1234" in page and "2 min" in page and "1.5 h" in page


def test_the_figures_cost_the_same_statements_at_1_and_at_4_cases(
    app: Any, base_intake: dict[str, Any]
) -> None:
    sessions = app.extensions["ldn"].sessions

    def statements() -> int:
        seen: list[str] = []

        def note(*arguments: Any) -> None:
            seen.append(arguments[2])

        engine = sessions.kw["bind"]
        event.listen(engine, "before_cursor_execute", note)
        try:
            with sessions() as db:
                compute_figures(db, utcnow())
        finally:
            event.remove(engine, "before_cursor_execute", note)
        return len(seen)

    routed_case(app, base_intake)
    one = statements()
    for _ in range(3):
        routed_case(app, base_intake)
    assert statements() == one
