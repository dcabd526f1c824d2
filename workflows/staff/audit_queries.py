"""The admins' search of the audit log, done by the database, a page at a time.

Newest first with keyset pagination (``before`` is the id of the last row shown): a page costs
the same on the millionth entry as on the first, where an OFFSET would count every row before
it. Each row carries its case's reference through a join, so only the page's cases are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflows.cases.models import Case
from workflows.staff.models import AuditEntry

__all__ = ["AuditSearch", "AuditRow", "AuditPage", "search_audit_log", "read_audit_log"]


@dataclass(frozen=True)
class AuditSearch:
    actor: str | None = None  # part of "role:email"
    action: str | None = None
    case_reference: str | None = None  # a case's public id, as staff see it
    before: int | None = None  # the id of the last entry of the previous page


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    case_reference: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    # Where the next (older) page starts; None on the last page.
    next_before: int | None


def search_audit_log(db: Session, search: AuditSearch, page_size: int) -> AuditPage:
    query = (
        select(AuditEntry, Case.public_id)
        .outerjoin(Case, Case.id == AuditEntry.case_id)
        .order_by(AuditEntry.id.desc())
    )
    if search.actor:
        query = query.where(AuditEntry.actor.contains(search.actor, autoescape=True))
    if search.action:
        query = query.where(AuditEntry.action == search.action)
    if search.case_reference:
        # By the case's unique public id, so the audit rows are found by their case_id index.
        case_id = db.scalar(
            select(Case.id).where(Case.public_id == search.case_reference.strip().upper())
        )
        query = query.where(AuditEntry.case_id == (case_id if case_id is not None else -1))
    if search.before is not None:
        query = query.where(AuditEntry.id < search.before)
    # One row more than the page tells whether an older page exists.
    found = db.execute(query.limit(page_size + 1)).all()
    rows = [
        AuditRow(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            case_reference=reference,
            detail=entry.detail,
        )
        for entry, reference in found[:page_size]
    ]
    return AuditPage(rows, rows[-1].id if len(found) > page_size else None)


def read_audit_log(
    sessions: sessionmaker[Session], search: AuditSearch, page_size: int
) -> AuditPage:
    """The admins' audit page: one search, in a session of its own."""
    with sessions() as db:
        return search_audit_log(db, search, page_size)
