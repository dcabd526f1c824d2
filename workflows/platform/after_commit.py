"""Work that must wait for the caller's transaction: asking a worker to send a message or a
webhook delivery that the transaction wrote. Nothing is asked for a transaction that rolls
back, so a worker never looks for a row that does not exist."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

__all__ = ["call_after_commit"]

_PENDING = "ldn_after_commit"


def call_after_commit(db: Session, callback: Callable[[int], None], row_id: int) -> None:
    """`callback(row_id)` once `db` commits; forgotten if it rolls back."""
    if _PENDING not in db.info:
        db.info[_PENDING] = []

        @event.listens_for(db, "after_commit")
        def _committed(session: Session) -> None:
            pending, session.info[_PENDING] = session.info[_PENDING], []
            for callback, committed_id in pending:
                callback(committed_id)

        @event.listens_for(db, "after_rollback")
        def _rolled_back(session: Session) -> None:
            session.info[_PENDING] = []

    db.info[_PENDING].append((callback, row_id))
