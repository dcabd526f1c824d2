"""Amending an intake after a coordinator asked the patient a question.

The link in the patient's message opens only the steps the coordinator named, prefilled from
the stored intake, with the care team's question above them as staff wrote it (the email
itself only says that a question is waiting). Answers are kept in a draft as they validate;
the last page shows what changed and takes the patient's answer to the question; "Send" writes
both into the case, which goes back to screening (needs_info -> screening) and re-enters the
pipeline.
"""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from intake.change_words import change_vocabulary
from intake.i18n import choose_language
from intake.patient import device
from intake.patient.document import amended, document_to_raw
from intake.patient.forms import AnswerForm
from intake.patient.steps import STEP_BY_SLUG, as_formdata, raw_pairs
from intake.patient.views import (
    SWITCH_PREFIX,
    _change_rows,
    ask_date_of_birth,
    bp,
    form_errors,
    land_on_row,
    patient_message,
    revalidate,
    row_landing,
    used_here,
)
from intake.patient.views import _render as render_step
from intake.security import RESUME_LIMIT, limiter
from intake.services import services
from workflows.cases import casework, device_check, drafts
from workflows.cases.amendments import intake_changes
from workflows.cases.change_labels import label_changes
from workflows.platform.orm import utcnow
from workflows.screening import InvalidIntake, validate_intake
from workflows.screening.validation import FieldError

AMEND_KEY = "amend"
NOTHING_TO_SEND = _l(
    "You have not changed any answer and not written an answer to the question. Write your "
    "answer here, or go back to a step and change what needs changing."
)


@bp.get("/intake/amend")
@limiter.limit(RESUME_LIMIT)  # the same guesses per address as the resume link's
def amend_start() -> ResponseReturnValue:
    token = request.args.get("t", "")
    found = casework.case_for_info_token(services().sessions, token) if token else None
    if found is None:
        return render_template("patient/resume_invalid.html"), 404
    # The link opens the patient's answers too: a browser new to the intake answers the date of
    # birth first, as for the resume link (issue 18, item 11), the same count and lock.
    link = device_check.LinkKind.AMEND
    linked = device_check.linked_draft(services().sessions, token, utcnow(), link)
    if linked is not None and not used_here(linked.id):
        return ask_date_of_birth(token, link, found.language)
    draft, _draft_token = drafts.create_draft(
        services().sessions, services().draft_lifetime, language=found.language
    )
    session.clear()
    session[AMEND_KEY] = {"token": token, "draft_id": draft.id, "case_id": found.case_id}
    device.remember(draft.id)  # the draft becomes the case's when sent: its browser may open it
    choose_language(found.language)  # the language the patient used for the intake
    return redirect(url_for(".amend_step", slug=found.steps[0]))


def _context() -> tuple[dict[str, Any], list[str], dict[str, Any], str, drafts.DraftView]:
    state = session.get(AMEND_KEY)
    if not isinstance(state, dict):
        abort(404)
    found = casework.case_for_info_token(services().sessions, state["token"])
    draft = drafts.find_draft(services().sessions, draft_id=state["draft_id"])
    if found is None or draft is None:
        abort(404)
    # The coordinator's internal reason stays internal; the message was written for the patient.
    return state, found.steps, found.intake, found.message, draft


# The key in the draft's `pending` for the answer typed on the send page, refused.
SEND = "send"


def _render(slug: str, form: FlaskForm, steps: list[str], message: str) -> ResponseReturnValue:
    return render_step(
        STEP_BY_SLUG[slug],
        form,
        None,  # no draft of the intake flow: no progress list, resume link or notices
        False,
        amend_steps=steps,
        amend_titles=[str(STEP_BY_SLUG[s].title).lower() for s in steps],
        amend_message=message,
        form_action=url_for(".amend_step", slug=slug),
        **row_landing(form),
    )


@bp.route("/intake/amend/<slug>", methods=["GET", "POST"])
def amend_step(slug: str) -> ResponseReturnValue:
    state, steps, document, message, draft = _context()
    if slug not in steps:
        abort(404)
    step = STEP_BY_SLUG[slug]
    meta = {"today": services().today(), "full_name": ""}
    if request.method == "GET":
        typed = (
            draft.pending.get(slug)
            or draft.answers.get(slug, {}).get("raw")
            or document_to_raw(document, slug)
        )
        form = step.form_class(formdata=as_formdata(typed), meta=meta)
        if draft.shows_errors(slug):
            revalidate(form)  # the errors of the post that was refused, shown again
        return _render(slug, form, steps, message)
    action = request.form.get("action", "next")
    again = url_for(".amend_step", slug=slug)
    if action.startswith(SWITCH_PREFIX):
        # The switch keeps what was typed on this step, as in the intake itself.
        language = choose_language(action.removeprefix(SWITCH_PREFIX))
        drafts.set_language(services().sessions, draft.id, language)
        drafts.save_pending(services().sessions, draft.id, slug, raw_pairs(request.form))
        return redirect(again)
    if action == "add" or action.startswith("remove-"):
        typed = raw_pairs(request.form)
        pairs = _change_rows(typed, action)
        drafts.save_pending(services().sessions, draft.id, slug, pairs)
        return redirect(again + land_on_row(typed, pairs, action))
    form = step.form_class(formdata=request.form, meta=meta)
    if not form.validate():
        typed = raw_pairs(request.form)
        drafts.save_pending(services().sessions, draft.id, slug, typed, refused=True)
        return redirect(again)
    saved = {"raw": raw_pairs(request.form), "data": step.clean(form)}
    drafts.save_answers(services().sessions, draft.id, slug, saved, services().draft_lifetime)
    index = steps.index(slug)
    if index + 1 < len(steps):
        return redirect(url_for(".amend_step", slug=steps[index + 1]))
    return redirect(url_for(".amend_send"))


@bp.route("/intake/amend/send", methods=["GET", "POST"])
def amend_send() -> ResponseReturnValue:
    state, steps, document, message, draft = _context()
    missing = [slug for slug in steps if slug not in draft.answers]
    if missing:
        return redirect(url_for(".amend_step", slug=missing[0]))
    updated = amended(document, {slug: draft.answers[slug]["data"] for slug in steps})
    # What the patient changed, in their words and language, so they see what they send.
    changes = intake_changes(document, updated)
    changed = label_changes(changes, document, updated, change_vocabulary())
    if request.method == "POST":
        form = AnswerForm(formdata=request.form)
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                abort(400)
            return _refused_send(draft.id)
        try:
            validate_intake(updated)
            ldn = services()
            case_id = casework.patient_amend(
                ldn.sessions, state["token"], updated, draft.id, form.answer.data or ""
            )
        except (InvalidIntake, casework.NothingToSend):
            return _refused_send(draft.id)
        ldn.enqueue(case_id)
        session.pop(AMEND_KEY, None)
        flash("amend_sent", "notice")
        return redirect(url_for(".amend_done"))
    typed = draft.pending.get(SEND)
    form = AnswerForm(formdata=as_formdata(typed) if typed else None)
    errors: list[Any] = []
    if draft.shows_errors(SEND) and revalidate(form):
        # The post was refused for the whole update: check it again, as casework does.
        try:
            validate_intake(updated)
        except InvalidIntake as invalid:
            errors = [FieldError(e.field, patient_message(e)) for e in invalid.errors]
        if not errors and not changes and not (form.answer.data or "").strip():
            form.answer.errors = [NOTHING_TO_SEND]
    titles = [str(STEP_BY_SLUG[s].title) for s in steps]
    field_errors = form_errors(form)
    return render_template(
        "patient/amend_send.html",
        titles=titles,
        steps=steps,
        message=message,
        changed=changed,
        errors=errors,
        field_errors=field_errors,
        form=form,
    )


def _refused_send(draft_id: int) -> ResponseReturnValue:
    """The send page refused the post: the answer waits in the draft, and the page after the
    redirect shows it with the errors (a page answering a POST would be posted again by the
    browser's Forward)."""
    typed = raw_pairs(request.form)
    drafts.save_pending(services().sessions, draft_id, SEND, typed, refused=True)
    return redirect(url_for(".amend_send"))


@bp.get("/intake/amend/done")
def amend_done() -> ResponseReturnValue:
    # Only right after sending: a later visit (a bookmark, Back) has nothing to thank for.
    if "amend_sent" not in get_flashed_messages(category_filter=["notice"]):
        return redirect(url_for(".index"))
    return render_template("patient/amend_done.html")
