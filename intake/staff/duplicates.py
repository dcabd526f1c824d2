"""The possible-duplicate actions of the case page: merge the two cases, or dismiss the mark.
Views are thin: workflows/cases/duplicates.py holds the rules and audits each change."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from intake.services import services
from intake.staff.auth import role_required
from intake.staff.forms import DismissDuplicateForm, MergeForm
from intake.staff.views import COORDINATORS, _form_error, _version, _visible_case_id, bp
from workflows.cases import casework, duplicates

__all__ = ["duplicate_action"]


@bp.post("/cases/<public_id>/duplicates/<int:mark_id>/<action>")
@role_required(*COORDINATORS)
def duplicate_action(public_id: str, mark_id: int, action: str) -> ResponseReturnValue:
    case_id = _visible_case_id(public_id)
    sessions = services().sessions
    back = redirect(url_for(".case_page", public_id=public_id) + "#duplicates-title")
    try:
        if action == "merge":
            form = MergeForm(prefix=f"merge{mark_id}")
            if not form.validate_on_submit():
                _form_error(form)
                return back
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
        elif action == "dismiss":
            dismiss = DismissDuplicateForm(prefix=f"dismiss{mark_id}")
            if not dismiss.validate_on_submit():
                _form_error(dismiss)
                return back
            duplicates.dismiss(
                sessions,
                current_user.id,
                case_id,
                _version(dismiss),
                mark_id,
                dismiss.reason.data or "",
            )
            done = "The possible-duplicate mark was dismissed."
        else:
            abort(404)
    except duplicates.MarkNotFound:
        abort(404)
    except casework.CaseAlreadyHandled as handled:
        flash(
            f"Not saved: {handled.by} changed one of these cases first "
            f"({handled.action.replace('_', ' ')}"
            + (f", {handled.at:%Y-%m-%d %H:%M} UTC" if handled.at else "")
            + "). Check the cases, then try again.",
            "error",
        )
        return back
    except casework.TransitionNotAllowed as refused:
        flash(
            f"Not saved: a case that is {refused.from_state.replace('_', ' ')} cannot be "
            "closed as a duplicate.",
            "error",
        )
        return back
    except (casework.NotPermitted, ValueError) as refused:
        flash(f"Not saved: {refused}.", "error")
        return back
    flash(done, "success")
    return back


def _other_version(form: MergeForm) -> int | None:
    value = form.other_version.data
    return int(value) if value and str(value).isdigit() else None
