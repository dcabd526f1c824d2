"""The patient intake: seven steps, each saved as a draft the moment it validates.

Every POST is answered with a redirect (302: browsers follow it with a GET), errors included,
so Back and Forward never post a form again ("Confirm Form Resubmission"): what was typed
waits in the draft, and the page after the redirect shows it with its errors.

Views are thin: parse with WTForms, call one service, render or redirect. The session cookie
holds only the draft id and its resume token (signed; nothing typed goes into it or a URL),
and the language the patient chose.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from intake.external_links import external_url
from intake.i18n import choose_language, current_language, translated
from intake.patient import choices, device
from intake.patient.document import build_document
from intake.patient.forms import DATE_PARTS, BrowserCheckForm
from intake.patient.steps import (
    STEP_BY_SLUG,
    STEPS,
    Step,
    as_formdata,
    first_incomplete,
    raw_pairs,
)
from intake.patient.summary import summarise
from intake.redirect_targets import local_path
from intake.security import (
    RESUME_LIMIT,
    draft_create_limit,
    limiter,
    may_mail_resume_link,
)
from intake.services import services
from workflows.cases import device_check, drafts, waitlist
from workflows.cases.submission import check_intake, status_of_submitted, submit_intake
from workflows.platform.i18n import LANGUAGES
from workflows.platform.orm import utcnow
from workflows.platform.tokens import new_token
from workflows.screening import InvalidIntake
from workflows.screening.adults import adult_age, is_under_age
from workflows.screening.validation import FieldError, schema_messages

bp = Blueprint("patient", __name__)

DRAFT_KEY = "draft_id"
TOKEN_KEY = "resume_token"
# A resume link opened in a browser new to its intake, waiting for the date of birth (the
# check page's address carries no token), and the wrong answers left after the last one.
LINK_KEY = "link_token"
LINK_KIND_KEY = "link_kind"  # which link (device_check.LinkKind): the resume or the amend one
TRIES_KEY = "check_tries_left"
# Intakes sent from this browser before the one it holds now ([draft id, browser token]), so
# that starting another (for a family member) keeps the way back to each one's status.
SENT_KEY = "sent_before"
SENT_KEPT = 5
_ROW_FIELD = re.compile(r"^rows-(\d+)-(.+)$")
SWITCH_PREFIX = "language-"
# The step where the patient answers each part of the intake document.
_STEP_OF_FIELD = {
    "patient": "about",
    "diagnoses": "diagnoses",
    "medications": "medications",
    "history": "history",
    "goals": "goals",
    "goal_notes": "goals",
    "ketosis": "ketosis",
}


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("patient/index.html", draft=_current_draft(), sent_before=_sent_before())


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    return render_template("patient/privacy.html", draft_days=services().settings.draft_days)


def _not_creating_a_draft() -> bool:
    """Only a step-1 post from a browser without a draft starts one (and, once step 1
    validates, emails a link)."""
    return request.view_args != {"slug": "about"} or isinstance(session.get(DRAFT_KEY), int)


@bp.route("/intake/<slug>", methods=["GET", "POST"])
@limiter.limit(
    draft_create_limit,
    methods=["POST"],
    exempt_when=_not_creating_a_draft,
    # counted when this post made a draft (step 1 saved, or kept to fix, or its language
    # switched with answers typed), once per browser: later posts carry the draft's id
    deduct_when=lambda response: bool(g.get("draft_created")),
)
def step(slug: str) -> ResponseReturnValue:
    step = STEP_BY_SLUG.get(slug) or abort(404)
    draft = _current_draft()
    if draft is not None and draft.case_id is not None:
        return redirect(url_for(".status"))
    if draft is None and step.slug != "about":
        return redirect(url_for(".step", slug="about"))
    answers = draft.answers if draft else {}
    furthest = first_incomplete(answers)
    if step.number > furthest.number:
        return redirect(url_for(".step", slug=furthest.slug))
    if step.number > 1 and waitlist.must_choose(answers):
        return redirect(url_for(".waitlist_choice"))
    returning = request.values.get("return_to") == "review" and "ketosis" in answers

    if request.method == "GET":
        typed = (draft.pending.get(slug) if draft else None) or answers.get(slug, {}).get("raw")
        form = _form(step, as_formdata(typed) if typed else None, answers)
        document_errors = None
        if draft is not None and draft.shows_errors(slug):
            document_errors = _refused_again(step, form, draft)
        return _render(step, form, draft, returning, document_errors, **row_landing(form))

    action = request.form.get("action", "next")
    again = url_for(".step", slug=slug, return_to="review" if returning else None)
    if action.startswith(SWITCH_PREFIX):
        return _switch_on_step(step, draft, again, action)
    if action == "back":
        if draft is not None:
            drafts.save_pending(services().sessions, draft.id, slug, raw_pairs(request.form))
        previous = STEPS[max(step.number - 2, 0)]
        return redirect(url_for(".step", slug=previous.slug))
    if action == "add" or action.startswith("remove-"):
        typed = raw_pairs(request.form)
        pairs = _change_rows(typed, action)
        if draft is not None:
            drafts.save_pending(services().sessions, draft.id, slug, pairs)
        return redirect(again + land_on_row(typed, pairs, action))

    form = _form(step, request.form, answers)
    if not form.validate():
        # Nothing typed is lost: the input waits in the draft until it validates, and the page
        # after the redirect shows it with its errors. Step 1's first post has no draft yet:
        # it makes one (no link is emailed before step 1 validates), so nothing typed goes
        # into the cookie or a URL.
        draft = draft or _start_draft()
        drafts.save_pending(
            services().sessions, draft.id, slug, raw_pairs(request.form), refused=True
        )
        return redirect(again)
    if step.slug == "review":
        return _submit(draft, step, form)
    if step.slug == "about" and is_under_age(form.date_of_birth.data, services().today()):
        # Not saved, and not an error: the practice cannot see a child. What was typed waits
        # in the draft as step 1's input (a new draft if need be, as for a refused step 1; no
        # link is emailed), so a mistyped year is corrected there without typing again.
        draft = draft or _start_draft()
        drafts.save_pending(services().sessions, draft.id, slug, raw_pairs(request.form))
        # From the review page's "Change", the corrected date goes back to the review page.
        return redirect(url_for(".adults_only", return_to="review" if returning else None))
    return _save(step, form, draft, returning)


@bp.get("/intake/adults-only")
def adults_only() -> ResponseReturnValue:
    """A page of its own after step 1 sent a child's date of birth: nothing is wrong with the
    answer, but the practice cannot see a child. The date is read from step 1's input waiting
    in the draft (nothing typed rides in the page or its address)."""
    draft = _current_draft()
    if draft is not None and draft.case_id is not None:
        return redirect(url_for(".status"))
    born = _childs_date_waiting(draft)
    if draft is None or born is None:
        return redirect(url_for(".step", slug="about"))
    returning = request.args.get("return_to") == "review" and "ketosis" in draft.answers
    return render_template(
        "patient/adults_only.html",
        born=format_date(born, format="long"),
        adult_age=adult_age(),
        has_saved_answers=bool(draft.answers),
        return_to="review" if returning else None,
    )


@bp.post("/intake/adults-only/delete")
def delete_typed() -> ResponseReturnValue:
    """The adults-only page's "Delete what I typed", offered while no step is saved: the
    draft holds only what was typed at step 1, and goes now rather than when it expires."""
    draft = _current_draft()
    if draft is None or _childs_date_waiting(draft) is None:
        return redirect(url_for(".step", slug="about"))
    if not drafts.delete_unsaved_draft(services().sessions, draft.id):
        return redirect(url_for(".adults_only"))  # answers were saved: this page keeps them
    # Only this intake is forgotten: the language and the intakes sent before stay.
    session.pop(DRAFT_KEY, None)
    session.pop(TOKEN_KEY, None)
    return redirect(url_for(".typed_deleted"))


@bp.get("/intake/adults-only/deleted")
def typed_deleted() -> ResponseReturnValue:
    return render_template("patient/typed_deleted.html")


def _childs_date_waiting(draft: drafts.DraftView | None) -> date | None:
    """The date of birth in step 1's input waiting in the draft, when that input is valid and
    the date a child's: what the adults-only page shows (no other mark records that state)."""
    typed = draft.pending.get("about") if draft else None
    if draft is None or not typed or draft.shows_errors("about"):
        return None
    form = _form(STEP_BY_SLUG["about"], as_formdata(typed), draft.answers)
    if not revalidate(form):
        return None
    born = form.date_of_birth.data
    return born if is_under_age(born, services().today()) else None


def _save(
    step: Step, form: Any, draft: drafts.DraftView | None, returning: bool
) -> ResponseReturnValue:
    ldn = services()
    # A new draft: this browser's token, and the emailed link's own token, which no page shows
    # (workflows.cases.drafts: only the mailbox's owner can take the draft over).
    token = new_token() if draft is None else None
    # A draft made when step 1 was refused gets its emailed link once step 1 validates.
    first_about = step.slug == "about" and "about" not in (draft.answers if draft else {})
    email_token = new_token() if first_about else None
    saved: dict[str, Any] = {"raw": raw_pairs(request.form), "data": step.clean(form)}
    resume = None
    if step.slug == "about" and email_token is not None:
        address = saved["data"]["email"]
        if may_mail_resume_link(address):
            link = external_url(".resume", t=email_token)
            resume = drafts.ResumeLink(ldn.outbox, address, link, ldn.settings.draft_days)
    saved_draft = drafts.save_step(
        ldn.sessions,
        draft.id if draft else None,
        step.slug,
        saved,
        ldn.draft_lifetime,
        current_language(),
        token=token,
        resume=resume,
        email_token=email_token,
    )
    if token is not None:
        session[DRAFT_KEY] = saved_draft.id
        session[TOKEN_KEY] = token
        device.remember(saved_draft.id)  # the browser that made the draft is never asked
        g.draft_created = True
    if step.slug == "about" and waitlist.must_choose(saved_draft.answers):
        return redirect(url_for(".waitlist_choice"))
    next_step = "review" if returning else STEPS[step.number].slug
    return redirect(url_for(".step", slug=next_step))


def _submit(draft: drafts.DraftView | None, step: Step, form: Any) -> ResponseReturnValue:
    ldn = services()
    assert draft is not None
    document = _review_document(draft, step, form)
    try:
        submit_intake(
            ldn.sessions,
            document,
            ldn.today(),
            ldn.enqueue,
            language=current_language(),
            draft_id=draft.id,
        )
    except InvalidIntake:
        # The steps validate what they can; what only the whole document shows (a date
        # that contradicts another) comes back here, each error linked to its step: the
        # review page after the redirect checks the document again to show them.
        drafts.save_pending(
            ldn.sessions, draft.id, step.slug, raw_pairs(request.form), refused=True
        )
        return redirect(url_for(".step", slug=step.slug))
    return redirect(url_for(".done"))


def _review_document(draft: drafts.DraftView, step: Step, form: Any) -> dict[str, Any]:
    """The intake document the review page sends: every step's answers and the signature."""
    answers = {**draft.answers, "review": {"raw": [], "data": step.clean(form)}}
    return build_document(answers, utcnow())


def _refused_again(step: Step, form: Any, draft: drafts.DraftView) -> list[Any] | None:
    """Validate a refused step's waiting input again, so the page shows the errors its post
    got (the form's own, and on the review page the whole document's)."""
    if revalidate(form) and step.slug == "review":
        try:
            check_intake(_review_document(draft, step, form), services().today())
        except InvalidIntake as invalid:
            return list(invalid.errors)
    return None


@bp.get("/intake/done")
def done() -> ResponseReturnValue:
    draft = _current_draft()
    if draft is None or draft.case_id is None:
        return redirect(url_for(".index"))
    return render_template(
        "patient/done.html",
        reference=draft.case_public_id,
        status=status_of_submitted(services().sessions, draft.case_id, current_language()),
        out_of_state=waitlist.lives_out_of_state(draft.answers),
        resume_link=_resume_link(),
    )


@bp.route("/intake/waitlist", methods=["GET", "POST"])
def waitlist_choice() -> ResponseReturnValue:
    """Said once, between step 1 and step 2: we are not licensed in their state. They join the
    waitlist (and go on with the intake) or stop here (and the draft is deleted)."""
    draft = _current_draft()
    if draft is None:
        return redirect(url_for(".index"))
    if draft.case_id is not None:
        return redirect(url_for(".status"))
    if not waitlist.lives_out_of_state(draft.answers):
        return redirect(url_for(".step", slug=first_incomplete(draft.answers).slug))
    choice = request.form.get("choice") if request.method == "POST" else None
    if choice == "join":
        joined = drafts.join_waitlist(services().sessions, draft.id)
        return redirect(url_for(".step", slug=first_incomplete(joined.answers).slug))
    if choice == "stop":
        drafts.delete_draft(services().sessions, draft.id)
        language = current_language()
        session.clear()
        choose_language(language)
        return redirect(url_for(".stopped"))
    about = draft.answers["about"]["data"]
    return render_template(
        "patient/waitlist.html",
        state=choices.STATE_NAMES.get(about["state_of_residence"], about["state_of_residence"]),
        is_on_waitlist=waitlist.is_on_waitlist(draft.answers),
    )


@bp.get("/intake/stopped")
def stopped() -> ResponseReturnValue:
    return render_template("patient/stopped.html")


@bp.get("/intake/status")
def status() -> ResponseReturnValue:
    draft = _current_draft()
    if draft is None:
        return redirect(url_for(".index"))
    if draft.case_id is None:
        return redirect(url_for(".step", slug=first_incomplete(draft.answers).slug))
    patient_status = status_of_submitted(services().sessions, draft.case_id, current_language())
    if patient_status is None:
        return redirect(url_for(".index"))
    return render_template("patient/status.html", status=patient_status, resume_link=_resume_link())


@bp.get("/intake/resume")
@limiter.limit(RESUME_LIMIT)
def resume() -> ResponseReturnValue:
    # The token rides in the query string, which the access log leaves out (see Procfile).
    token = request.args.get("t", "")
    linked = device_check.linked_draft(services().sessions, token, utcnow()) if token else None
    if linked is None:
        return render_template("patient/resume_invalid.html"), 404
    if not used_here(linked.id):
        # A browser new to this intake answers the date of birth first (issue 18, item 11).
        return ask_date_of_birth(token, device_check.LinkKind.RESUME, linked.language)
    return _open_link(token)


def ask_date_of_birth(
    token: str, kind: device_check.LinkKind, language: str
) -> ResponseReturnValue:
    """Send a browser new to an intake to the check page, which holds the link meanwhile (its
    own address carries no token)."""
    session[LINK_KEY] = token
    session[LINK_KIND_KEY] = kind.value
    choose_language(language)
    return redirect(url_for(".check_browser"))


@bp.route("/intake/check", methods=["GET", "POST"])
# The answers are the guesses (also counted on the draft, which locks after five): showing the
# page again, or reloading it, is not one.
@limiter.limit(RESUME_LIMIT, methods=["POST"])
def check_browser() -> ResponseReturnValue:
    ldn = services()
    token = session.get(LINK_KEY)
    if not isinstance(token, str):
        return render_template("patient/resume_invalid.html"), 404
    kind = device_check.LinkKind(session.get(LINK_KIND_KEY, device_check.LinkKind.RESUME))
    linked = device_check.linked_draft(ldn.sessions, token, utcnow(), kind)
    if linked is None:
        return render_template("patient/resume_invalid.html"), 404
    if linked.locked_until is not None:
        return render_template("patient/check_browser.html", form=None, errors=[]), 403
    form = BrowserCheckForm(meta={"today": ldn.today()})
    if request.method == "POST" and form.validate():
        answered = device_check.check_date_of_birth(
            ldn.sessions, token, form.date_of_birth.data, utcnow(), kind
        )
        if answered is None:
            return render_template("patient/resume_invalid.html"), 404
        if answered.outcome is device_check.Outcome.PASSED:
            device.remember(linked.id)
            if kind is device_check.LinkKind.AMEND:
                # The link again, now from a browser that may: the amend flow as it starts.
                return redirect(url_for(".amend_start", t=token))
            return _open_link(token)
        # A wrong date is not shown again (it is a secret, like a password): the page after
        # the redirect says how many tries are left, or that the link is locked.
        session[TRIES_KEY] = answered.tries_left
        return redirect(url_for(".check_browser"))
    tries_left = session.pop(TRIES_KEY, None) if request.method == "GET" else None
    if isinstance(tries_left, int):
        form.date_of_birth.wrong_parts = DATE_PARTS
        form.date_of_birth.errors = [
            ngettext(
                "This date of birth does not match the intake. Check it and try again: you can "
                "try %(num)d more time.",
                "This date of birth does not match the intake. Check it and try again: you can "
                "try %(num)d more times.",
                tries_left,
            )
        ]
    errors = form_errors(form)
    return render_template("patient/check_browser.html", form=form, errors=errors), (
        422 if errors else 200
    )


def used_here(draft_id: int) -> bool:
    """Whether this browser has been used for the draft: its cookie names it, or its session
    holds the draft now (a browser from before the cookie existed)."""
    if device.used_for(draft_id):
        return True
    token = session.get(TOKEN_KEY)
    return (
        session.get(DRAFT_KEY) == draft_id
        and isinstance(token, str)
        and drafts.browser_draft(services().sessions, draft_id, token)[0] is not None
    )


def _open_link(token: str) -> ResponseReturnValue:
    opened = drafts.open_link(services().sessions, token)
    if opened is None:
        return render_template("patient/resume_invalid.html"), 404
    draft = opened.draft
    session.clear()
    session[DRAFT_KEY] = draft.id
    session[TOKEN_KEY] = opened.browser_token
    choose_language(draft.language)  # the language they last used, on any device
    device.remember(draft.id)
    if draft.case_id is not None:
        return redirect(url_for(".status"))
    flash("resumed", "notice")
    return redirect(url_for(".step", slug=first_incomplete(draft.answers).slug))


@bp.get("/language/<code>")
def language(code: str) -> ResponseReturnValue:
    """The switch on pages without answers to keep (start, status, done): a plain link."""
    if code not in LANGUAGES:
        abort(404)
    choose_language(code)
    draft = _current_draft()
    if draft is not None:
        drafts.set_language(services().sessions, draft.id, code)
    return redirect(local_path(request.args.get("next")) or url_for(".index"))


@bp.post("/intake/start-another")
def start_another() -> ResponseReturnValue:
    """A new intake in this browser (for a family member) after one was sent: the sent one is
    remembered (SENT_KEY) so the start page still leads to its status. A draft not yet sent
    stays where it is: the patient goes back to it."""
    draft = _current_draft()
    if draft is not None and draft.case_id is not None:
        sent = [entry for entry in session.get(SENT_KEY, []) if entry[0] != draft.id]
        session[SENT_KEY] = [*sent, [draft.id, session.get(TOKEN_KEY)]][-SENT_KEPT:]
        session.pop(DRAFT_KEY, None)
        session.pop(TOKEN_KEY, None)
    return redirect(url_for(".step", slug="about"))


@bp.get("/intake/status/<int:number>")
def status_sent_before(number: int) -> ResponseReturnValue:
    """The status of an intake sent from this browser before the one it holds now."""
    sent = session.get(SENT_KEY, [])
    if not 0 <= number < len(sent):
        return redirect(url_for(".index"))
    draft_id, token = sent[number]
    draft, _taken = drafts.browser_draft(services().sessions, draft_id, token)
    if draft is None or draft.case_id is None:
        return redirect(url_for(".index"))
    patient_status = status_of_submitted(services().sessions, draft.case_id, current_language())
    if patient_status is None:
        return redirect(url_for(".index"))
    return render_template(
        "patient/status.html", status=patient_status, resume_link=_resume_link(token)
    )


def session_expired(error: Any) -> ResponseReturnValue:
    """A form came without a valid CSRF token: the session it belonged to ended (the browser
    was closed or left a long while) or was replaced. Say so, and the way back: this browser's
    intake if it still holds one, else the start page and the emailed link. Still a 400."""
    if request.path.startswith("/staff"):  # staff sign in again: their pages say so
        return render_template("error.html", error=error), 400
    draft = _current_draft()
    return render_template(
        "patient/session_expired.html",
        draft=draft,
        resume_link=_resume_link() if draft else None,
        draft_days=services().settings.draft_days,
    ), 400


@bp.post("/intake/start-over")
def start_over() -> ResponseReturnValue:
    session.clear()
    return redirect(url_for(".step", slug="about"))


# --- helpers ---------------------------------------------------------------------------------


def _switch_on_step(
    step: Step, draft: drafts.DraftView | None, again: str, action: str
) -> ResponseReturnValue:
    """The language switch inside a step's form: what was typed comes along, unvalidated."""
    language = choose_language(action.removeprefix(SWITCH_PREFIX))
    typed = raw_pairs(request.form)
    if draft is None:
        if not any(value.strip() for _name, value in typed):
            return redirect(again)  # nothing typed yet: no draft to keep it in
        # Step 1, typed but not yet sent: a draft keeps it (not the cookie), no link emailed.
        draft = _start_draft()
    drafts.set_language(services().sessions, draft.id, language)
    drafts.save_pending(services().sessions, draft.id, step.slug, typed)
    return redirect(again)


def _start_draft() -> drafts.DraftView:
    """A draft for what step 1's first post typed, before it validates: this browser holds it
    (its id and token in the cookie), and counts one against draft_create_limit."""
    ldn = services()
    lifetime = min(ldn.draft_lifetime, drafts.UNSAVED_LIFETIME)  # until step 1 validates
    draft, token = drafts.create_draft(ldn.sessions, lifetime, current_language())
    session[DRAFT_KEY] = draft.id
    session[TOKEN_KEY] = token
    device.remember(draft.id)  # the browser that made the draft is never asked
    g.draft_created = True
    return draft


def revalidate(form: Any) -> bool:
    """Validate input read back from the draft; its CSRF token was checked when it was posted
    (and is not kept), so that field's error is not the patient's."""
    form.validate()
    form.csrf_token.errors = []
    return not form_errors(form)


def _row_indexes(pairs: list[list[str]]) -> set[int]:
    return {int(match.group(1)) for key, _value in pairs if (match := _ROW_FIELD.match(key))}


def land_on_row(typed: list[list[str]], changed: list[list[str]], action: str) -> str:
    """Where the page after adding or removing a row lands: a fragment naming the field to
    focus (a browser focuses a focusable fragment target, with or without JavaScript), and
    notes for that one page (ids and a number only, which the cookie may hold)."""
    count = len(_row_indexes(changed))
    if action == "add":
        target = f"rows-{count - 1}-name"
    else:
        number = action.removeprefix("remove-")
        if len(_row_indexes(typed)) == count or not number.isdigit():
            return ""  # nothing was removed (a tampered post)
        index = int(number)
        # The row that took its place, or the add button when the last row went.
        target = f"rows-{index}-name" if index < count else "add-row"
        flash(str(index + 1), "row_removed")
    flash(target, "focus")
    return f"#{target}"


def row_landing(form: Any) -> dict[str, Any]:
    """The page after a row was added or removed: `autofocus` on the field to land on, and
    which row was removed (for the status message)."""
    focus = [str(note) for note in get_flashed_messages(category_filter=["focus"])]
    removed = [str(note) for note in get_flashed_messages(category_filter=["row_removed"])]
    if focus:
        for field in _fields(form):
            if field.id == focus[0]:
                field.render_kw = {**(field.render_kw or {}), "autofocus": True}
    return {
        "focus_id": focus[0] if focus else None,
        "removed_row": int(removed[0]) if removed and removed[0].isdigit() else None,
    }


def _fields(form: Any) -> list[Any]:
    """Every field of the form, the rows' fields in their place, in page order."""
    found: list[Any] = []
    for field in form:
        if field.type == "FieldList":
            for entry in field:
                found.extend(_fields(entry.form))
        elif field.type == "FormField":
            found.extend(_fields(field.form))
        else:
            found.append(field)
    return found


def patient_message(error: Any) -> str:
    """A document error (intake schema) in the patient's language, naming the step to fix.

    English shows the validator's own message. Other languages show the schema's
    `x-messages` text, translated, when the error carries one; otherwise a plain pointer to
    the step, since the composed English message has no translation.
    """
    if current_language() == "en":
        return error.message
    root = error.field.split(".", 1)[0].split("[", 1)[0]
    title = STEP_BY_SLUG[_STEP_OF_FIELD.get(root, "review")].title
    for english in schema_messages():
        if english in error.message:
            return _("%(step)s: %(message)s", step=title, message=translated(english))
    return _("%(step)s: please check this answer.", step=title)


def _current_draft() -> drafts.DraftView | None:
    draft_id = session.get(DRAFT_KEY)
    if not isinstance(draft_id, int):
        return None
    draft, taken_over = drafts.browser_draft(services().sessions, draft_id, session.get(TOKEN_KEY))
    if draft is None:
        session.pop(DRAFT_KEY, None)
        session.pop(TOKEN_KEY, None)
        if taken_over:
            flash("opened_elsewhere", "notice")
    return draft


def _form(step: Step, formdata: Any, answers: dict[str, Any]) -> Any:
    about = answers.get("about", {}).get("data", {})
    full_name = f"{about.get('first_name', '')} {about.get('last_name', '')}".strip()
    return step.form_class(
        formdata=formdata, meta={"today": services().today(), "full_name": full_name}
    )


def _change_rows(pairs: list[list[str]], action: str) -> list[list[str]]:
    """Add an empty row, or remove row N, renumbering the rest: works without JavaScript."""
    rows: dict[int, list[tuple[str, str]]] = {}
    others = []
    for key, value in pairs:
        match = _ROW_FIELD.match(key)
        if match:
            rows.setdefault(int(match.group(1)), []).append((match.group(2), value))
        else:
            others.append([key, value])
    ordered = [rows[index] for index in sorted(rows)]
    if action == "add":
        ordered.append([("name", "")])
    else:
        # "remove-N" from our own buttons; anything else (a tampered post) removes nothing.
        number = action.removeprefix("remove-")
        index = int(number) if number.isdigit() else -1
        if 0 <= index < len(ordered):
            del ordered[index]
    if not ordered:
        ordered = [[("name", "")]]
    renumbered = [
        [f"rows-{i}-{field}", value] for i, row in enumerate(ordered) for field, value in row
    ]
    return others + renumbered


def _sent_before() -> list[tuple[int, str]]:
    """(number, reference) of each intake sent from this browser before the current one."""
    found = []
    for number, (draft_id, token) in enumerate(session.get(SENT_KEY, [])):
        draft, _taken = drafts.browser_draft(services().sessions, draft_id, token)
        if draft is not None and draft.case_public_id is not None:
            found.append((number, draft.case_public_id))
    return found


def _resume_link(token: str | None = None) -> str | None:
    token = token or session.get(TOKEN_KEY)
    return external_url(".resume", t=token) if token else None


def form_errors(form: Any) -> list[tuple[str, str]]:
    """(field id, message) for every error in the form, nested rows included, in page order."""
    found: list[tuple[str, str]] = []
    for field in _fields(form):
        # "Answer yes or no." or "Tick this box" say which question only beside it; in the
        # summary, whose links a screen reader lists on their own, they name it.
        named = field.type == "RadioField" or (
            field.type == "BooleanField" and field.flags.required
        )
        question = f"{field.label.text} " if named else ""
        # A date in three boxes: the link lands on the first box in error.
        target = getattr(field, "first_wrong_id", field.id)
        found.extend((target, question + translated(message)) for message in field.errors)
    return found


def _render(
    step: Step,
    form: Any,
    draft: drafts.DraftView | None,
    returning: bool,
    document_errors: list[Any] | None = None,
    **extra: Any,
) -> str:
    """A step page; `extra` adds context (the amend flow's steps and form action)."""
    answers = draft.answers if draft else {}
    return render_template(
        step.template,
        step=step,
        steps=STEPS,
        form=form,
        errors=form_errors(form),
        document_errors=[
            FieldError(error.field, patient_message(error)) for error in document_errors or []
        ],
        completed={slug for slug in answers},
        returning=returning,
        # Not before step 1 validates: until then no link was emailed, as the aside says.
        resume_link=_resume_link() if "about" in answers else None,
        is_on_waitlist=waitlist.is_on_waitlist(answers),
        summary=summarise(answers) if step.slug == "review" else None,
        choices=choices,
        **extra,
    )
