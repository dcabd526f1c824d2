"""Intake drafts: saved step by step, found again by an unguessable resume token.

A draft lives 30 days from its last change. It has two tokens, stored as hashes only:
- the browser's token, kept in the session cookie of the browser that holds the draft and in
  the link its pages show; a session whose token is not the draft's current one has no access;
- the emailed token, in the link sent to the address typed at step 1 and never shown on a page.
Opening the emailed link gives that browser a new browser token, which ends every earlier
browser's access: whoever typed someone else's address at step 1 loses the draft as soon as
the owner of that mailbox opens the link (they cannot open it themselves: they never see it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflows.cases import waitlist
from workflows.cases.models import Draft
from workflows.messaging.mail import Outbox, messages
from workflows.platform.i18n import known_language
from workflows.platform.orm import utcnow
from workflows.platform.tokens import hash_token, new_token

__all__ = [
    "DraftView",
    "REFUSED",
    "ResumeLink",
    "create_draft",
    "save_step",
    "find_draft",
    "OpenedLink",
    "open_link",
    "browser_draft",
    "save_answers",
    "save_pending",
    "attach_case",
    "renew_email_link",
    "set_language",
    "store_unchecked",
    "join_waitlist",
    "delete_draft",
    "delete_unsaved_draft",
]


@dataclass(frozen=True)
class DraftView:
    id: int
    answers: dict[str, Any]
    pending: dict[str, Any]
    case_public_id: str | None
    case_id: int | None
    language: str = "en"

    def shows_errors(self, step: str) -> bool:
        """Whether the input waiting for ``step`` was refused: its page shows the errors."""
        return step in self.pending.get(REFUSED, [])


# The key in `pending` listing the steps whose waiting input did not validate. A patient's
# post is answered with a redirect (so the browser's Forward never posts it again), and the
# page that follows validates the waiting input again to show its errors: they live in the
# draft, not in the cookie. No step is called this.
REFUSED = "refused"
# A draft no step of which has validated yet (step 1 refused, a child's date of birth): only
# the browser that typed it can open it (no link was emailed), so it lives a day, not the
# usual 30, while the patient keeps trying; the first saved step gives it the full lifetime.
UNSAVED_LIFETIME = timedelta(days=1)


def _without(pending: dict[str, Any], step: str) -> dict[str, Any]:
    """`pending` once ``step`` is saved: neither its input nor its refusal waits."""
    kept = {key: value for key, value in pending.items() if key not in (step, REFUSED)}
    refused = [slug for slug in pending.get(REFUSED, []) if slug != step]
    return {**kept, REFUSED: refused} if refused else kept


def _view(draft: Draft) -> DraftView:
    return DraftView(
        draft.id,
        dict(draft.answers),
        dict(draft.pending),
        draft.case.public_id if draft.case else None,
        draft.case_id,
        known_language(draft.language),
    )


def create_draft(
    sessions: sessionmaker[Session], lifetime: timedelta, language: str = "en"
) -> tuple[DraftView, str]:
    token = new_token()
    with sessions.begin() as db:
        draft = Draft(
            token_hash=hash_token(token),
            expires_at=utcnow() + lifetime,
            language=known_language(language),
        )
        db.add(draft)
        db.flush()
        return _view(draft), token


def _live(draft: Draft) -> bool:
    """A draft that exists and has not expired (a submitted one never expires)."""
    return draft.case_id is not None or draft.expires_at >= utcnow()


def find_draft(sessions: sessionmaker[Session], *, draft_id: int) -> DraftView | None:
    """A live draft by id; expired ones are gone. (A resume token opens one: open_link.)"""
    with sessions() as db:
        draft = db.get(Draft, draft_id)
        return _view(draft) if draft is not None and _live(draft) else None


@dataclass(frozen=True)
class OpenedLink:
    draft: DraftView
    browser_token: str  # what the browser that opened the link keeps in its session
    from_email: bool  # the emailed link: every earlier browser lost access


def open_link(sessions: sessionmaker[Session], token: str) -> OpenedLink | None:
    """The draft a resume link names, and the token the browser opening it keeps from now on.

    A browser's own link (from its pages) opens the draft as it is. The emailed link replaces
    the browser token, so every browser that held the draft before must open that link again."""
    digest = hash_token(token)
    with sessions.begin() as db:
        draft = db.scalars(
            select(Draft).where((Draft.token_hash == digest) | (Draft.email_token_hash == digest))
        ).first()
        if draft is None or not _live(draft):
            return None
        if draft.token_hash == digest:
            return OpenedLink(_view(draft), token, from_email=False)
        browser_token = new_token()
        draft.token_hash = hash_token(browser_token)
        return OpenedLink(_view(draft), browser_token, from_email=True)


def browser_draft(
    sessions: sessionmaker[Session], draft_id: int, browser_token: str | None
) -> tuple[DraftView | None, bool]:
    """The draft a session names, if its token is still the draft's: (draft, False); (None,
    True) when the draft's emailed link was opened since, in this browser or another; (None,
    False) when the draft is gone."""
    with sessions() as db:
        draft = db.get(Draft, draft_id)
        if draft is None or not _live(draft):
            return None, False
        if browser_token is None or draft.token_hash != hash_token(browser_token):
            return None, True
        return _view(draft), False


def save_answers(
    sessions: sessionmaker[Session],
    draft_id: int,
    step: str,
    answers: dict[str, Any],
    lifetime: timedelta,
) -> DraftView:
    """Keep a step's validated answers; what was pending for that step is now saved."""
    with sessions.begin() as db:
        draft = db.get(Draft, draft_id)
        if draft is None:
            raise LookupError("draft is gone")
        draft.answers = {**draft.answers, step: answers}
        draft.pending = _without(draft.pending, step)
        draft.updated_at = utcnow()
        draft.expires_at = draft.updated_at + lifetime
        return _view(draft)


@dataclass(frozen=True)
class ResumeLink:
    """The message with the resume link, sent once per draft when the address is known."""

    outbox: Outbox
    to: str
    link: str
    days: int


def save_step(
    sessions: sessionmaker[Session],
    draft_id: int | None,
    step: str,
    answers: dict[str, Any],
    lifetime: timedelta,
    language: str,
    token: str | None = None,
    resume: ResumeLink | None = None,
    email_token: str | None = None,
) -> DraftView:
    """A step's validated answers, in one transaction: the draft is created if there is none
    yet (with the browser's `token` and the `email_token` of its emailed link, both made by
    the caller so the links can name them), the language follows the patient's choice, and the
    resume link goes out once."""
    with sessions.begin() as db:
        draft = db.get(Draft, draft_id) if draft_id is not None else None
        if draft is None:
            if token is None:
                raise LookupError("draft is gone")
            draft = Draft(
                token_hash=hash_token(token),
                email_token_hash=hash_token(email_token or new_token()),
                answers={},
                pending={},
            )
            db.add(draft)
        elif email_token is not None and draft.email_token_hash is None:
            # A draft made by step 1's first post, refused: its emailed link is made now.
            draft.email_token_hash = hash_token(email_token)
        draft.language = known_language(language)
        if step == "about":
            answers = waitlist.keep_choice(draft.answers.get("about"), answers)
        draft.answers = {**draft.answers, step: answers}
        draft.pending = _without(draft.pending, step)
        draft.updated_at = utcnow()
        draft.expires_at = draft.updated_at + lifetime
        if resume is not None and resume.to and not draft.resume_link_sent:
            resume.outbox.send(
                db, messages.resume_link(resume.to, resume.link, resume.days, draft.language)
            )
            draft.resume_link_sent = True
        db.flush()
        return _view(draft)


def join_waitlist(sessions: sessionmaker[Session], draft_id: int) -> DraftView:
    """The out-of-state patient chose to complete the intake for the waitlist."""
    with sessions.begin() as db:
        draft = db.get(Draft, draft_id)
        if draft is None or draft.case_id is not None:
            raise LookupError("no draft in progress")
        about = draft.answers.get("about")
        if about is not None and waitlist.lives_out_of_state(draft.answers):
            draft.answers = {**draft.answers, "about": {**about, waitlist.CHOICE_KEY: True}}
            draft.updated_at = utcnow()
        return _view(draft)


def delete_draft(sessions: sessionmaker[Session], draft_id: int) -> bool:
    """The patient chose to stop: everything they typed goes now, not in 30 days. A draft that
    became a case stays (the case is the practice's record). True when a draft was deleted."""
    with sessions.begin() as db:
        draft = db.get(Draft, draft_id)
        if draft is None or draft.case_id is not None:
            return False
        db.delete(draft)
        return True


def delete_unsaved_draft(sessions: sessionmaker[Session], draft_id: int) -> bool:
    """The patient asked to delete what they typed before any step was saved (a child's date
    of birth at step 1): the draft holds only that, so it all goes now. A draft with a saved
    step stays: deleting what was typed must not take saved answers with it. True when a draft
    was deleted."""
    with sessions.begin() as db:
        draft = db.get(Draft, draft_id)
        if draft is None or draft.case_id is not None or draft.answers:
            return False
        db.delete(draft)
        return True


def save_pending(
    sessions: sessionmaker[Session],
    draft_id: int,
    step: str,
    raw: list[list[str]],
    *,
    refused: bool = False,
) -> None:
    """Keep what was typed on a step that did not validate (``refused``: its page shows the
    errors) or was left unchecked (Back, a row added, the language switched), as the step's
    [name, value] pairs."""
    with sessions.begin() as db:
        draft = db.get(Draft, draft_id)
        if draft is not None:
            pending = _without(draft.pending, step)
            if refused:
                pending[REFUSED] = [*pending.get(REFUSED, []), step]
            draft.pending = {**pending, step: raw}
            draft.updated_at = utcnow()
            if not draft.answers and draft.case_id is None:
                draft.expires_at = max(draft.expires_at, draft.updated_at + UNSAVED_LIFETIME)


def send_resume_link_once(
    sessions: sessionmaker[Session], draft_id: int, outbox: Outbox, to: str, link: str, days: int
) -> bool:
    with sessions.begin() as db:
        draft = db.get(Draft, draft_id)
        if draft is None or draft.resume_link_sent or not to:
            return False
        outbox.send(db, messages.resume_link(to, link, days, known_language(draft.language)))
        draft.resume_link_sent = True
        return True


def set_language(sessions: sessionmaker[Session], draft_id: int, language: str) -> None:
    """The patient chose a language: later messages about this draft (and its case) use it."""
    with sessions.begin() as db:
        draft = db.get(Draft, draft_id)
        if draft is not None:
            draft.language = known_language(language)


def attach_case(db: Session, draft_id: int, case_id: int) -> None:
    """The draft became (or amended) this case. In the caller's transaction, the one that
    stores the case: a submitted case and its draft never disagree about it."""
    draft = db.get(Draft, draft_id)
    if draft is not None:
        draft.case_id = case_id
        draft.pending = {}
        draft.updated_at = utcnow()


def renew_email_link(db: Session, case_id: int) -> str | None:
    """A new token for the emailed link of the draft that became this case (the newest, when
    the patient also amended it), for a message that carries the status link; None for a case
    without a draft (sent through the API; once its amend link is opened, the draft made to
    hold the link check is the case's, and its status link opens the status after the same
    check). In the caller's transaction. The draft holds one emailed token, as a hash, so the
    earlier emailed link stops working: the newest message always holds the link that works,
    and the browser that holds the draft keeps it."""
    draft = db.scalars(
        select(Draft).where(Draft.case_id == case_id).order_by(Draft.updated_at.desc()).limit(1)
    ).first()
    if draft is None:
        return None
    token = new_token()
    draft.email_token_hash = hash_token(token)
    return token


def store_unchecked(sessions: sessionmaker[Session], body: Any) -> None:
    """Store a request body as a day-long draft, unvalidated and unscreened: the load
    benchmark's baseline (/bench/store), what a request costs before any of our rules run."""
    with sessions.begin() as db:
        db.add(
            Draft(
                token_hash=hash_token(new_token()),
                answers={"raw": body},
                expires_at=utcnow() + timedelta(days=1),
            )
        )
