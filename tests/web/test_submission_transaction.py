"""A draft becomes a case in one transaction: the case, its first event and the draft's link
to it are committed together, and the pipeline is enqueued only after that commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event

from tests.conftest import TODAY
from workflows.cases import drafts
from workflows.cases.models import Case
from workflows.cases.submission import submit_intake


def test_a_draft_becomes_a_case_in_one_commit(app: Any, base_intake: dict[str, Any]) -> None:
    sessions = app.extensions["ldn"].sessions
    draft, _ = drafts.create_draft(sessions, timedelta(days=30))
    commits: list[str] = []
    enqueued: list[int] = []
    engine = sessions.kw["bind"]

    def note_commit(_connection: Any) -> None:
        commits.append("commit")

    def enqueue(case_id: int) -> None:
        enqueued.append(len(commits))  # how many commits the pipeline would find done

    event.listen(engine, "commit", note_commit)
    try:
        submitted = submit_intake(sessions, base_intake, TODAY, enqueue, draft_id=draft.id)
    finally:
        event.remove(engine, "commit", note_commit)
    assert commits == ["commit"] and enqueued == [1]
    found = drafts.find_draft(sessions, draft_id=draft.id)
    assert found is not None and found.case_id == submitted.id
    with sessions() as db:
        assert db.get(Case, submitted.id).public_id == found.case_public_id
