"""The possible-duplicate actions of the case page: merge the two cases, or dismiss the mark.
Views are thin: workflows/cases/duplicates.py holds the rules and audits each change."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from intake.services import services
from intake.staff.auth import role_required
from intake.staff.forms import DismissDuplicateForm, MergeForm
from intake.staff.views import (
    _REFUSALS,
    COORDINATORS,
    Refusal,
    _refuse,
    _render_case,
    _version,
    _visible_case_id,
    bp,
)
from workflows.cases import casework, duplicates

__all__ = ["duplicate_action"]


@bp.post("/cases/<public_id>/duplicates/<int:mark_id>/<action>")
@role_required(*COORDINATORS)
def duplicate_action(public_id: str, mark_id: int, action: str) -> ResponseReturnValue:
    """Merge or dismiss. A refusal shows the case page again with the form open, its errors
    beside its fields and in the summary, and what was typed (422, 409 or 403), as every
    action of the case page does."""
    if action not in ("merge", "dismiss"):
        abort(404)
    case_id = _visible_case_id(public_id)
    sessions = services().sessions
    form: MergeForm | DismissDuplicateForm = (
        MergeForm(prefix=f"merge{mark_id}")
        if action == "merge"
        else DismissDuplicateForm(prefix=f"dismiss{mark_id}")
    )
    status = 422
    if form.validate_on_submit():
        try:
            if isinstance(form, MergeForm):
                duplicates.merge(
                    sessions,
                    current_user.id,
                    case_id,
                    mark_id,
                    form.close.data or "",
                    _version(form),
                    _other_version(form),
                    form.reason.data or "",
                )
                done = "Merged: one case is closed as a duplicate of the other."
            else:
                duplicates.dismiss(
                    sessions,
                    current_user.id,
                    case_id,
                    _version(form),
                    mark_id,
                    form.reason.data or "",
                )
                done = "The possible-duplicate mark was dismissed."
        except duplicates.MarkNotFound:
            abort(404)
        except casework.TransitionNotAllowed as refused:
            form.form_errors.append(
                f"Not saved: a case that is {refused.from_state.replace('_', ' ')} cannot be "
                "closed as a duplicate."
            )
            status = 409
        except (*_REFUSALS, ValueError) as refused:
            status = _refuse(form, refused) if isinstance(refused, _REFUSALS) else 422
            if not isinstance(refused, _REFUSALS):
                form.form_errors.append(f"Not saved: {refused}.")
        else:
            flash(done, "success")
            return redirect(url_for(".case_page", public_id=public_id) + "#duplicates-title")
    return _render_case(public_id, Refusal(f"{action}{mark_id}", form, status))


def _other_version(form: MergeForm) -> int | None:
    value = form.other_version.data
    return int(value) if value and str(value).isdigit() else None
