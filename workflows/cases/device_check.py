"""The second check of a resume link opened in a browser not used for its intake before.

The link alone opens every answer, on any device, to whoever holds it (a forwarded email, a
shared computer's history). So a browser that has not held the draft before is asked for the
patient's date of birth first, compared with the one saved at step 1. Wrong answers are
counted on the draft, in the database: after MAX_WRONG_ANSWERS the link is locked for
LOCKED_FOR, whichever browser or address the guesses come from, and the patient is told to
contact the practice. A right answer clears the count.

The care team's "needs info" link (/intake/amend) opens the same answers, so it gets the same
check (LinkKind.AMEND): it names a case, and the case's first draft (the one the patient filled
the intake in) holds the count and the lock, so a guess through either link counts against
both. Every draft of a submitted case defers to that first one, so a browser that passed the
check once is not asked again by the case's later links (the status link after an amendment
names the amendment's draft). A case sent through the API has no draft: the first time its
amend link is opened, an empty draft is made for the case to hold the count and the lock (it
holds no answers, and no link names it), so that link is checked like any other.

Which browsers have held a draft is the web layer's to know (a signed cookie); this module
knows only links, drafts and dates, and never logs a date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflows.cases.models import Case, CaseEvent, CaseStatus, Draft
from workflows.platform.i18n import known_language
from workflows.platform.orm import utcnow
from workflows.platform.tokens import hash_token, new_token

__all__ = [
    "MAX_WRONG_ANSWERS",
    "LinkKind",
    "LOCKED_FOR",
    "Outcome",
    "Answered",
    "LinkedDraft",
    "after_answer",
    "linked_draft",
    "check_date_of_birth",
]

log = logging.getLogger("workflows.cases.device_check")

# Five tries: enough for a patient who mistypes (and the form refuses a date that cannot be a
# date of birth before it counts), far too few to guess one of ~36,000 dates in a century.
MAX_WRONG_ANSWERS = 5
LOCKED_FOR = timedelta(hours=24)


class LinkKind(StrEnum):
    """The two links that open a patient's answers: the resume (and status) link, which names a
    draft, and the care team's "needs info" link, which names a case."""

    RESUME = "resume"
    AMEND = "amend"


class Outcome(StrEnum):
    PASSED = "passed"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class Answered:
    """What one answer did: its outcome, the wrong answers left before the lock, and until
    when the link is locked (when it is)."""

    outcome: Outcome
    tries_left: int
    locked_until: datetime | None = None


def after_answer(
    is_right: bool, failures: int, locked_until: datetime | None, now: datetime
) -> tuple[Answered, int, datetime | None]:
    """The rule, on plain values: (what the answer did, the new count, the new lock).

    A locked link refuses every answer, the right one too, until the lock ends; then the count
    starts again from nothing."""
    if locked_until is not None and now < locked_until:
        return Answered(Outcome.LOCKED, 0, locked_until), failures, locked_until
    if locked_until is not None:
        failures, locked_until = 0, None
    if is_right:
        return Answered(Outcome.PASSED, MAX_WRONG_ANSWERS), 0, None
    failures += 1
    if failures >= MAX_WRONG_ANSWERS:
        until = now + LOCKED_FOR
        return Answered(Outcome.LOCKED, 0, until), failures, until
    return Answered(Outcome.WRONG, MAX_WRONG_ANSWERS - failures), failures, None


@dataclass(frozen=True)
class LinkedDraft:
    """The draft a live link names, as much as the check page needs: nothing the patient
    typed."""

    id: int
    language: str
    locked_until: datetime | None


def _first_draft_of_case(db: Session, case_id: int, *, for_update: bool) -> Draft | None:
    query = select(Draft).where(Draft.case_id == case_id).order_by(Draft.id).limit(1)
    return db.scalars(query.with_for_update() if for_update else query).first()


def _check_holder(db: Session, case_id: int, language: str) -> Draft:
    """An empty draft for a case sent through the API, to hold its link check: no answers, and
    a token nobody is given, so no link opens it; it never expires (it is the case's)."""
    holder = Draft(
        token_hash=hash_token(new_token()),
        answers={},
        pending={},
        expires_at=utcnow(),
        language=known_language(language),
        case_id=case_id,
    )
    db.add(holder)
    db.flush()
    return holder


def _draft_of_link(
    db: Session, token: str, kind: LinkKind, *, for_update: bool = False
) -> Draft | None:
    """The draft that holds the check of a live link: for a case's links, the case's first
    (made now for a case that has none)."""
    digest = hash_token(token)
    if kind is LinkKind.AMEND:
        found = db.execute(
            select(Case.id, Case.language).where(
                Case.info_token_hash == digest, Case.status == CaseStatus.NEEDS_INFO
            )
        ).first()
        if found is None:
            return None
        first = _first_draft_of_case(db, found.id, for_update=for_update)
        return first if first is not None else _check_holder(db, found.id, found.language)
    query = select(Draft).where((Draft.token_hash == digest) | (Draft.email_token_hash == digest))
    draft = db.scalars(query.with_for_update() if for_update else query).first()
    if draft is None or (draft.case_id is None and draft.expires_at < utcnow()):
        return None
    if draft.case_id is not None:
        return _first_draft_of_case(db, draft.case_id, for_update=for_update)
    return draft


def _date_of_birth(db: Session, draft: Draft) -> str | None:
    """The date to compare with: the case's, once there is one (the patient may have changed
    it in an amendment since), else the one saved at step 1."""
    if draft.case_id is not None:
        intake = db.scalars(select(Case.intake).where(Case.id == draft.case_id)).one()
        born = (intake or {}).get("patient", {}).get("date_of_birth")
        return born if isinstance(born, str) else None
    born = draft.answers.get("about", {}).get("data", {}).get("date_of_birth")
    return born if isinstance(born, str) else None


def linked_draft(
    sessions: sessionmaker[Session],
    token: str,
    now: datetime,
    kind: LinkKind = LinkKind.RESUME,
) -> LinkedDraft | None:
    """The live draft that holds a link's check (drafts.open_link takes a resume link's draft
    over, once the browser may); None for a dead link. Changes nothing, except to make the
    check's holder for a case sent through the API (_check_holder)."""
    with sessions.begin() as db:
        draft = _draft_of_link(db, token, kind)
        if draft is None:
            return None
        locked = draft.check_locked_until
        return LinkedDraft(
            draft.id, known_language(draft.language), locked if locked and now < locked else None
        )


def check_date_of_birth(
    sessions: sessionmaker[Session],
    token: str,
    typed: date,
    now: datetime,
    kind: LinkKind = LinkKind.RESUME,
) -> Answered | None:
    """Compare a date of birth typed in a new browser with the intake's, counting a wrong one;
    None when the link names no live draft. The draft's row is locked meanwhile, so answers
    sent at once from several places are all counted."""
    with sessions.begin() as db:
        draft = _draft_of_link(db, token, kind, for_update=True)
        if draft is None:
            return None
        saved = _date_of_birth(db, draft)
        was_locked = draft.check_locked_until is not None and now < draft.check_locked_until
        answered, draft.check_failures, draft.check_locked_until = after_answer(
            saved == typed.isoformat(), draft.check_failures, draft.check_locked_until, now
        )
        log.info(
            "draft.link_check",
            extra={
                "draft_id": draft.id,
                "case_id": draft.case_id,
                "outcome": answered.outcome.value,
                "count": draft.check_failures,
            },
        )
        if draft.case_id is not None and answered.outcome is not Outcome.PASSED and not was_locked:
            # Staff see on the case that someone without the date of birth tried its link
            # (each wrong answer, and the lock; not every refusal while it is locked).
            db.add(
                CaseEvent(
                    case_id=draft.case_id,
                    actor="patient link",
                    action=f"link_check_{answered.outcome.value}",
                    detail={"wrong_answers": draft.check_failures},
                )
            )
        return answered
