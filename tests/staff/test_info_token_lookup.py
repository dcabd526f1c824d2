"""The link of a request for more information is looked up by its token's hash: one statement,
an equality on an indexed column, one row, whatever the number of cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, update

from tests.staff.helpers import routed_case
from workflows.cases.casework import case_for_info_token
from workflows.cases.models import Case, CaseStatus
from workflows.platform.tokens import hash_token


def _asked_for_more(app: Any, case_id: int, token: str) -> None:
    with app.extensions["ldn"].sessions.begin() as db:
        db.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(
                status=CaseStatus.NEEDS_INFO,
                info_token_hash=hash_token(token),
                info_steps={"steps": ["medications"]},
                language="es",
            )
        )


def test_the_link_finds_its_case_with_one_indexed_equality(
    app: Any, base_intake: dict[str, Any]
) -> None:
    case = routed_case(app, base_intake)
    routed_case(app, base_intake)
    _asked_for_more(app, case.id, "the-patients-token")
    sessions = app.extensions["ldn"].sessions
    statements: list[str] = []

    def note(*arguments: Any) -> None:
        statements.append(arguments[2])

    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", note)
    try:
        found = case_for_info_token(sessions, "the-patients-token")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert found is not None
    assert (found.case_id, found.steps, found.language) == (case.id, ["medications"], "es")
    assert found.intake["patient"]["state_of_residence"] == "TX"
    assert len(statements) == 1
    assert "intake_case.info_token_hash = " in statements[0] and "LIMIT" in statements[0]


def test_a_wrong_or_spent_token_finds_nothing(app: Any, base_intake: dict[str, Any]) -> None:
    case = routed_case(app, base_intake)
    sessions = app.extensions["ldn"].sessions
    _asked_for_more(app, case.id, "the-patients-token")
    assert case_for_info_token(sessions, "another-token") is None
    with sessions.begin() as db:
        db.execute(update(Case).where(Case.id == case.id).values(status=CaseStatus.ROUTED))
    assert case_for_info_token(sessions, "the-patients-token") is None
