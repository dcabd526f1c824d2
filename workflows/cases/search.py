"""The staff search: find a case by its reference, the patient's email, date of birth or name.

One box takes every kind; what was typed says which (a reference starts "LDN-", an email holds
"@", a date is digits and separators, anything else is a name). Each kind reads one index of
the case's patient columns (workflows.cases.patient_fields), a bounded number of rows in that
index's order, so a search costs about the same at a thousand cases as at a million:

- reference: exact, any case (the public id is unique);
- email: exact on ``email_key`` (ix_intake_case_email_key);
- date of birth: exact on ``birth_date`` (ix_intake_case_birth_date);
- name: a folded prefix of the whole name ("rosa hern") on ``name_key``
  (ix_intake_case_name_birth) or of the last name ("hernan") on ``surname_key``
  (ix_intake_case_surname_key), accents and case ignored.

A coordinator searches every case, open or closed (a patient who calls about a closed case is
found too); a physician only the cases they may see (casework.may_physician_see), in SQL.
The term is personal data: it never leaves this module but as a key in a bound parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, literal_column, or_, select, text
from sqlalchemy.orm import Session

from workflows.cases.models import IN_PHYSICIAN_QUEUE, Case, CaseStatus
from workflows.cases.patient_fields import email_key, person_key
from workflows.cases.queries import ROW_COLUMNS, QueueRow, rows_with_flags
from workflows.staff.models import StaffUser

__all__ = [
    "SEARCH_KINDS",
    "CaseSearch",
    "InvalidSearch",
    "SearchResult",
    "parse_search",
    "search_cases",
]

SEARCH_KINDS = ("reference", "email", "birth_date", "name")
_REFERENCE = re.compile(r"ldn-[a-z0-9]{4}-[a-z0-9]{4}", re.IGNORECASE)
_DATE_LIKE = re.compile(r"[0-9][0-9 ./-]*")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
_SHORTEST_NAME = 2  # one letter would match a twenty-sixth of every case


class InvalidSearch(ValueError):
    """A term that cannot be searched for; the message says how to type it."""


@dataclass(frozen=True)
class CaseSearch:
    kind: str  # one of SEARCH_KINDS
    key: str | date  # the reference (upper case), email key, date, or folded name prefix


@dataclass(frozen=True)
class SearchResult:
    kind: str
    rows: list[QueueRow]
    more: bool  # more cases match than were read: the term should be longer


def parse_search(term: str) -> CaseSearch:
    """What ``term`` asks for; InvalidSearch when it is empty, a name too short to narrow the
    list, or a date that is not one (the message says which formats work)."""
    typed = " ".join(term.split())
    if not typed:
        raise InvalidSearch(
            "Type a case reference, a name, an email address or a date of birth to search."
        )
    if _REFERENCE.fullmatch(typed):
        return CaseSearch("reference", typed.upper())
    if "@" in typed:
        return CaseSearch("email", email_key(typed) or "")
    if _DATE_LIKE.fullmatch(typed):
        return CaseSearch("birth_date", _date_of_birth(typed))
    name = person_key(typed)
    if len(name.replace(" ", "")) < _SHORTEST_NAME:
        raise InvalidSearch("Type at least two letters of the name to search by name.")
    return CaseSearch("name", name)


def _date_of_birth(typed: str) -> date:
    for form in _DATE_FORMATS:
        try:
            return datetime.strptime(typed.replace(" ", ""), form).date()
        except ValueError:
            continue
    raise InvalidSearch(
        "That is not a date of birth we can search for: type it as YYYY-MM-DD or MM/DD/YYYY "
        "(for example 1971-03-17 or 03/17/1971)."
    )


def search_cases(
    db: Session, search: CaseSearch, limit: int, physician: StaffUser | None = None
) -> SearchResult:
    """Up to ``limit`` cases matching ``search`` (a physician's: only those they may see).
    Exact kinds come newest first; names in the order of the name, then date of birth."""
    scope = _visible_to(physician) if physician is not None else None
    if search.kind == "name":
        assert isinstance(search.key, str)
        # A physician's two sets of cases each have name indexes of their own (migration
        # 0014): searching them apart reads a page of each, never the matches they may not see.
        scopes = _visible_parts(physician) if physician is not None else [None]
        found = _in_name_order(
            [row for part in scopes for row in _by_name_prefix(db, search.key, limit + 1, part)]
        )[: limit + 1]
    else:
        column = {
            "reference": Case.public_id,
            "email": Case.email_key,
            "birth_date": Case.birth_date,
        }[search.kind]
        query = select(*ROW_COLUMNS).where(column == search.key)
        if scope is not None:
            query = query.where(scope)
        found = list(db.execute(query.order_by(Case.id.desc()).limit(limit + 1)))
    return SearchResult(search.kind, rows_with_flags(db, found[:limit]), len(found) > limit)


def _by_name_prefix(
    db: Session, prefix: str, limit: int, scope: ColumnElement[bool] | None
) -> list[Any]:
    """The whole-name matches and the last-name matches, each read in its index's order up to
    ``limit`` (two bounded statements, where one OR would read every match to sort them)."""
    found: dict[int, Any] = {}
    for column, then in ((Case.name_key, [Case.birth_date]), (Case.surname_key, [])):
        query = select(*ROW_COLUMNS, Case.name_key).where(_starts_with(db, column, prefix))
        if scope is not None:
            query = query.where(scope)
        ordering = [_index_order(db, column.key), *then, Case.id]
        for row in db.execute(query.order_by(*ordering).limit(limit)):
            found.setdefault(row.id, row)
    return _in_name_order(list(found.values()))[:limit]


def _in_name_order(rows: list[Any]) -> list[Any]:
    unique = {row.id: row for row in rows}
    return sorted(
        unique.values(), key=lambda row: (row.name_key or "", row.birth_date or date.min, row.id)
    )


def _starts_with(db: Session, column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` begins with ``prefix``, as a range an index reads: on PostgreSQL with the
    pattern operators of the text_pattern_ops indexes (byte order, whatever the collation; a
    LIKE with a bound parameter would lose the index in a prepared statement's generic plan),
    elsewhere with plain comparisons (SQLite compares bytes already). The keys are folded to
    [a-z0-9 ], so the first string after every key with the prefix is the prefix with its last
    character moved one up."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    if db.get_bind().dialect.name == "postgresql":
        return and_(column.op("~>=~")(prefix), column.op("~<~")(upper))
    return and_(column >= prefix, column < upper)


def _index_order(db: Session, name: str) -> Any:
    """An ORDER BY term for a name key in its index's order (text_pattern_ops on PostgreSQL)."""
    if db.get_bind().dialect.name == "postgresql":
        return text(f"intake_case.{name} USING ~<~")
    return literal_column(f"intake_case.{name}")


def _visible_parts(physician: StaffUser) -> list[ColumnElement[bool]]:
    """_visible_to as its two parts: the physician queue's routed cases (written as the
    partial indexes' own condition) and the physician's own, each in their states."""
    states = Case.patient_state.in_(physician.states)
    return [
        and_(IN_PHYSICIAN_QUEUE, states),
        and_(
            Case.assignee_id == physician.id,
            Case.status.in_([CaseStatus.ASSIGNED.value, CaseStatus.ACCEPTED.value]),
            states,
        ),
    ]


def _visible_to(physician: StaffUser) -> ColumnElement[bool]:
    """casework.may_physician_see in SQL: their own assigned or accepted cases, and the
    physician queue's routed cases, only in the states they are licensed in."""
    return and_(
        Case.patient_state.in_(physician.states),
        or_(
            and_(
                Case.status.in_([CaseStatus.ASSIGNED.value, CaseStatus.ACCEPTED.value]),
                Case.assignee_id == physician.id,
            ),
            and_(Case.status == CaseStatus.ROUTED.value, Case.queue == "physician"),
        ),
    )
