"""The audit log: who viewed or changed which case, and when. Rows are only ever added."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from workflows.staff.models import AuditEntry, StaffUser

__all__ = ["record", "AuditLogIsAppendOnly"]


class AuditLogIsAppendOnly(RuntimeError):
    pass


def record(
    db: Session, actor: StaffUser | None, action: str, case_id: int | None = None, **detail: Any
) -> None:
    db.add(
        AuditEntry(
            actor_id=actor.id if actor else None,
            actor=f"{actor.role}:{actor.email}" if actor else "system",
            action=action,
            case_id=case_id,
            detail=detail,
        )
    )


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(*_: Any) -> None:
    raise AuditLogIsAppendOnly("audit entries cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(*_: Any) -> None:
    raise AuditLogIsAppendOnly("audit entries cannot be deleted")
