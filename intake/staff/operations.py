"""The admins' operations page, /staff/admin/operations: what is waiting, stuck or failing.
Views are thin: workflows/cases/operations.py computes the figures (and audits the view),
casework.retry_screening sends a failed case through screening again (audited)."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length

from intake.services import services
from intake.staff.auth import role_required
from intake.staff.views import bp
from workflows.cases import casework, operations, rule_preview
from workflows.platform.redis_clients import redis_client
from workflows.platform.worker_heartbeat import HEARTBEAT_SECONDS, WorkerSeen, workers_seen
from workflows.staff.accounts import StaffNotFound

__all__ = ["RetryForm"]

# A worker beats every 15 s; one missed beat is a busy Redis, four are a worker gone.
SEEN_WITHIN_SECONDS = 4 * HEARTBEAT_SECONDS


class RetryForm(FlaskForm):
    version = HiddenField()
    reason = StringField(
        "Reason", [InputRequired("Say why the case is sent again."), Length(max=500)]
    )


def _workers() -> list[WorkerSeen] | None:
    """The workers seen lately (their heartbeats in Redis, no ping to wait for), or None when
    Redis does not answer."""
    try:
        return workers_seen(redis_client(services().redis_url), SEEN_WITHIN_SECONDS)
    except Exception:  # noqa: BLE001 - a broker that is down means: no worker known
        return None


@bp.get("/admin/operations")
@role_required("admin")
def operations_page() -> ResponseReturnValue:
    # Imported here: the rule data is loaded (once per process) when an admin first opens this
    # page, not by every web process at start.
    from workflows.screening import default_rules

    ldn = services()
    try:
        figures = operations.view_operations(
            ldn.sessions,
            current_user.id,
            default_rules().version,
            timedelta(seconds=ldn.settings.stuck_after_seconds),
            timedelta(seconds=ldn.settings.received_stuck_after_seconds),
        )
    except StaffNotFound:
        abort(403)
    return render_template(
        "staff/operations.html",
        figures=figures,
        workers=_workers(),
        seen_within_seconds=int(SEEN_WITHIN_SECONDS),
        retry_form=RetryForm(formdata=None),
        # Without SMTP_URL the database outbox keeps mail and never sends it: no backlog.
        smtp=bool(ldn.settings.smtp_url),
        rule_changes=rule_preview.read_rule_changes(ldn.sessions),
    )


@bp.post("/admin/operations/cases/<int:case_id>/retry")
@role_required("admin")
def operations_retry(case_id: int) -> ResponseReturnValue:
    form = RetryForm()
    if not form.validate_on_submit():
        flash("Say why the case is sent through screening again.", "error")
        return redirect(url_for(".operations_page"))
    ldn = services()
    raw_version = str(form.version.data or "")
    version = int(raw_version) if raw_version.isdigit() else None
    try:
        casework.retry_screening(
            ldn.sessions, current_user.id, case_id, version, form.reason.data or ""
        )
    except casework.CaseNotFound:
        abort(404)
    except (casework.CaseAlreadyHandled, casework.TransitionNotAllowed, casework.NotPermitted):
        flash(
            "That case has changed since the page was shown (or may not be sent again): it "
            "was not sent again.",
            "error",
        )
        return redirect(url_for(".operations_page"))
    ldn.enqueue(case_id)  # after the commit, so the worker finds the case received
    flash("The case was sent through screening again.", "success")
    return redirect(url_for(".operations_page"))
