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

from flask import abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from intake.change_words import change_vocabulary
from intake.i18n import choose_language
from intake.patient.document import amended, document_to_raw
from intake.patient.forms import AnswerForm
from intake.patient.steps import STEP_BY_SLUG, as_formdata, raw_pairs
from intake.patient.views import SWITCH_PREFIX, _change_rows, bp, form_errors, patient_message
from intake.patient.views import _render as render_step
from intake.services import services
from workflows.cases import casework, drafts
from workflows.cases.amendments import intake_changes
from workflows.cases.change_labels import label_changes
from workflows.screening import InvalidIntake, validate_intake
from workflows.screening.validation import FieldError

AMEND_KEY = "amend"
NOTHING_TO_SEND = _l(
    "You have not changed any answer and not written an answer to the question. Write your "
    "answer here, or go back to a step and change what needs changing."
)


@bp.get("/intake/amend")
def amend_start() -> ResponseReturnValue:
    token = request.args.get("t", "")
    found = casework.case_for_info_token(services().sessions, token) if token else None
    if found is None:
        return render_template("patient/resume_invalid.html"), 404
    draft, _draft_token = drafts.create_draft(
        services().sessions, services().draft_lifetime, language=found.language
    )
    session.clear()
    session[AMEND_KEY] = {"token": token, "draft_id": draft.id, "case_id": found.case_id}
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


def _render(
    slug: str, form: FlaskForm, steps: list[str], message: str, status: int = 200
) -> ResponseReturnValue:
    page = render_step(
        STEP_BY_SLUG[slug],
        form,
        None,  # no draft of the intake flow: no progress list, resume link or notices
        False,
        amend_steps=steps,
        amend_titles=[str(STEP_BY_SLUG[s].title).lower() for s in steps],
        amend_message=message,
        form_action=url_for(".amend_step", slug=slug),
    )
    return page, status


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
        return _render(
            slug, step.form_class(formdata=as_formdata(typed), meta=meta), steps, message
        )
    action = request.form.get("action", "next")
    if action.startswith(SWITCH_PREFIX):
        # The switch keeps what was typed on this step, as in the intake itself.
        language = choose_language(action.removeprefix(SWITCH_PREFIX))
        drafts.set_language(services().sessions, draft.id, language)
        drafts.save_pending(services().sessions, draft.id, slug, raw_pairs(request.form))
        return redirect(url_for(".amend_step", slug=slug))
    if action == "add" or action.startswith("remove-"):
        pairs = _change_rows(raw_pairs(request.form), action)
        drafts.save_pending(services().sessions, draft.id, slug, pairs)
        return _render(
            slug, step.form_class(formdata=as_formdata(pairs), meta=meta), steps, message
        )
    form = step.form_class(formdata=request.form, meta=meta)
    if not form.validate():
        drafts.save_pending(services().sessions, draft.id, slug, raw_pairs(request.form))
        return _render(slug, form, steps, message, 422)
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
    changed = label_changes(
        intake_changes(document, updated), document, updated, change_vocabulary()
    )
    form = AnswerForm(formdata=request.form if request.method == "POST" else None)
    errors: list[Any] = []
    if request.method == "POST" and form.validate_on_submit():
        try:
            validate_intake(updated)
            ldn = services()
            case_id = casework.patient_amend(
                ldn.sessions, state["token"], updated, draft.id, form.answer.data or ""
            )
        except InvalidIntake as invalid:
            errors = [FieldError(e.field, patient_message(e)) for e in invalid.errors]
        except casework.NothingToSend:
            form.answer.errors = [NOTHING_TO_SEND]
        else:
            ldn.enqueue(case_id)
            session.pop(AMEND_KEY, None)
            return render_template("patient/amend_done.html")
    elif request.method == "POST" and form.csrf_token.errors:
        abort(400)
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
    ), (422 if errors or field_errors else 200)
