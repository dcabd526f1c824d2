"""Amending an intake after a coordinator asked for more information.

The link in the patient's message opens only the steps the coordinator named, prefilled from
the stored intake. Answers are kept in a draft as they validate; "Send" writes them into the
case, which goes back to screening (needs_info -> screening) and re-enters the pipeline.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from intake.i18n import choose_language
from intake.patient.document import amended, document_to_raw
from intake.patient.steps import STEP_BY_SLUG, raw_pairs
from intake.patient.views import SWITCH_PREFIX, _change_rows, bp, patient_message
from intake.patient.views import _render as render_step
from intake.services import services
from workflows.cases import casework, drafts
from workflows.models import Case
from workflows.screening import InvalidIntake, validate_intake
from workflows.screening.validation import FieldError

AMEND_KEY = "amend"


@bp.get("/intake/amend")
def amend_start() -> ResponseReturnValue:
    token = request.args.get("t", "")
    found = casework.case_for_info_token(services().sessions, token) if token else None
    if found is None:
        return render_template("patient/resume_invalid.html"), 404
    case_id, steps, _ = found
    with services().sessions() as db:
        case = db.get(Case, case_id)
        language = case.language if case is not None else "en"
    draft, _draft_token = drafts.create_draft(
        services().sessions, services().draft_lifetime, language=language
    )
    session.clear()
    session[AMEND_KEY] = {"token": token, "draft_id": draft.id, "case_id": case_id}
    choose_language(language)  # the language the patient used for the intake
    return redirect(url_for(".amend_step", slug=steps[0]))


def _context() -> tuple[dict[str, Any], list[str], dict[str, Any], str, drafts.DraftView]:
    state = session.get(AMEND_KEY)
    if not isinstance(state, dict):
        abort(404)
    found = casework.case_for_info_token(services().sessions, state["token"])
    draft = drafts.find_draft(services().sessions, draft_id=state["draft_id"])
    if found is None or draft is None:
        abort(404)
    _, steps, document = found
    # The coordinator's reason stays internal: it may name clinical details.
    return state, steps, document, "", draft


def _render(
    slug: str, form: FlaskForm, steps: list[str], reason: str, status: int = 200
) -> ResponseReturnValue:
    page = render_step(
        STEP_BY_SLUG[slug],
        form,
        None,  # no draft of the intake flow: no progress list, resume link or notices
        False,
        amend_steps=steps,
        amend_titles=[str(STEP_BY_SLUG[s].title).lower() for s in steps],
        amend_reason=reason,
        form_action=url_for(".amend_step", slug=slug),
    )
    return page, status


@bp.route("/intake/amend/<slug>", methods=["GET", "POST"])
def amend_step(slug: str) -> ResponseReturnValue:
    state, steps, document, reason, draft = _context()
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
        return _render(slug, step.form_class(formdata=MultiDict(typed), meta=meta), steps, reason)
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
        return _render(slug, step.form_class(formdata=MultiDict(pairs), meta=meta), steps, reason)
    form = step.form_class(formdata=request.form, meta=meta)
    if not form.validate():
        drafts.save_pending(services().sessions, draft.id, slug, raw_pairs(request.form))
        return _render(slug, form, steps, reason, 422)
    saved = {"raw": raw_pairs(request.form), "data": step.clean(form)}
    drafts.save_answers(services().sessions, draft.id, slug, saved, services().draft_lifetime)
    index = steps.index(slug)
    if index + 1 < len(steps):
        return redirect(url_for(".amend_step", slug=steps[index + 1]))
    return redirect(url_for(".amend_send"))


@bp.route("/intake/amend/send", methods=["GET", "POST"])
def amend_send() -> ResponseReturnValue:
    state, steps, document, reason, draft = _context()
    missing = [slug for slug in steps if slug not in draft.answers]
    if missing:
        return redirect(url_for(".amend_step", slug=missing[0]))
    updated = amended(document, {slug: draft.answers[slug]["data"] for slug in steps})
    errors: list[Any] = []
    if request.method == "POST":
        form = FlaskForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            validate_intake(updated)
        except InvalidIntake as invalid:
            errors = [FieldError(e.field, patient_message(e)) for e in invalid.errors]
        else:
            ldn = services()
            case_id = casework.patient_amend(ldn.sessions, state["token"], updated)
            drafts.mark_submitted(ldn.sessions, draft.id, case_id)
            ldn.enqueue(case_id)
            session.pop(AMEND_KEY, None)
            return render_template("patient/amend_done.html")
    titles = [str(STEP_BY_SLUG[s].title) for s in steps]
    return render_template(
        "patient/amend_send.html", titles=titles, errors=errors, form=FlaskForm()
    ), (422 if errors else 200)
