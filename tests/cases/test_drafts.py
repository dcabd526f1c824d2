"""Deleting what a patient typed before any step was saved (issue 18, item 2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from workflows.cases import drafts

LIFETIME = timedelta(days=30)


def test_a_draft_holding_only_typed_input_is_deleted_at_once(app: Any) -> None:
    sessions = app.extensions["ldn"].sessions
    draft, _token = drafts.create_draft(sessions, LIFETIME)
    drafts.save_pending(sessions, draft.id, "about", [["first_name", "Dolores"]])
    assert drafts.delete_unsaved_draft(sessions, draft.id)
    assert drafts.find_draft(sessions, draft_id=draft.id) is None
    assert not drafts.delete_unsaved_draft(sessions, draft.id)  # already gone


def test_a_draft_with_a_saved_step_is_not_deleted_by_deleting_what_was_typed(app: Any) -> None:
    sessions = app.extensions["ldn"].sessions
    draft, _token = drafts.create_draft(sessions, LIFETIME)
    drafts.save_answers(sessions, draft.id, "about", {"raw": [], "data": {}}, LIFETIME)
    drafts.save_pending(sessions, draft.id, "about", [["date_of_birth-year", "2015"]])
    assert not drafts.delete_unsaved_draft(sessions, draft.id)
    kept = drafts.find_draft(sessions, draft_id=draft.id)
    assert kept is not None and "about" in kept.answers
