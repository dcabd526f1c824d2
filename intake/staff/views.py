"""Staff pages: sign-in (its second factor is in two_factor.py), the coordinator queue, the case page and its actions, the physician
view, the audit log and the dashboard. Views are thin: casework.py holds the rules."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from intake.api.redis_client import redis_client
from intake.external_links import external_url
from intake.redirect_targets import local_path
from intake.security import LOGIN_LIMIT, limiter
from intake.services import services
from intake.staff.auth import end_this_session, role_required
from intake.staff.dashboard import dashboard_page
from intake.staff.forms import (
    AcceptForm,
    AssignForm,
    IdentifyForm,
    LoginForm,
    NoteForm,
    ReasonForm,
    RequestInfoForm,
    RerouteForm,
)
from intake.staff.signin import landing_page, locked_message, start_sign_in
from workflows.cases import casework, medications, queries, staff_lists
from workflows.cases.case_page import assignable_physicians, case_id_for_staff, view_case
from workflows.cases.figures import FiguresCache, current_figures
from workflows.platform.i18n import known_language
from workflows.platform.orm import utcnow
from workflows.screening import FlagCode
from workflows.staff.accounts import (
    InvalidLogin,
    StaffNotFound,
    TooManyFailedLogins,
    authenticate,
    staff_account,
)
from workflows.staff.audit_queries import AuditSearch, read_audit_log

bp = Blueprint("staff", __name__, url_prefix="/staff")
COORDINATORS = ("coordinator", "admin")
ANY_STAFF = ("coordinator", "admin", "physician")
REVIEW_CODES = ("MEDICATION_UNIDENTIFIED",)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            staff_id = authenticate(
                services().sessions, form.email.data or "", form.password.data or ""
            )
        except TooManyFailedLogins as locked:
            error = locked_message(locked.resets_in)
        except InvalidLogin:
            error = "The email or password is not right."
        else:
            target = local_path(request.args.get("next"), within="/staff/")
            user = staff_account(services().sessions, staff_id)
            return start_sign_in(user, target)
    return render_template("staff/login.html", form=form, error=error), (401 if error else 200)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Ends this browser's session on the server too (other browsers of the account stay)."""
    end_this_session()
    return redirect(url_for(".login"))


@bp.get("/")
def home() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(landing_page(current_user.role))
    return redirect(url_for(".queue"))


def _filters() -> queries.QueueFilters:
    args = request.args
    older = args.get("older_than_hours", "")
    return queries.QueueFilters(
        queue=args.get("queue") or None,
        status=args.get("status") or None,
        decision=args.get("decision") or None,
        flag=args.get("flag") or None,
        patient_state=args.get("patient_state") or None,
        older_than_hours=float(older) if older.replace(".", "", 1).isdigit() else None,
    )


def _page_position() -> tuple[str | None, bool]:
    """The page asked for: (cursor, backwards) from ?after= (next) or ?before= (previous)."""
    if request.args.get("before"):
        return request.args["before"], True
    return request.args.get("after") or None, False


@bp.get("/queue")
@role_required(*COORDINATORS)
def queue() -> ResponseReturnValue:
    filters = _filters()
    cursor, backwards = _page_position()
    now = utcnow()
    ldn = services()
    try:
        page = staff_lists.view_coordinator_queue(
            ldn.sessions, current_user.id, filters, ldn.settings.page_size, cursor, backwards, now
        )
    except queries.InvalidCursor:
        abort(400)
    except StaffNotFound:
        abort(403)
    return render_template(
        "staff/queue.html",
        rows=[_row(row, now) for row in page.rows],
        page=page,
        page_args=filters.as_args(),
        filters=filters,
        # The review codes too: a person must look at each (MEDICATION_UNIDENTIFIED).
        flag_codes=list(dict.fromkeys([*(c.value for c in FlagCode), *REVIEW_CODES])),
        now=now,
    )


@bp.get("/physician")
@role_required("physician")
def physician() -> ResponseReturnValue:
    cursor, backwards = _page_position()
    now = utcnow()
    ldn = services()
    try:
        page = staff_lists.view_physician_list(
            ldn.sessions, current_user.id, ldn.settings.page_size, cursor, backwards
        )
    except queries.InvalidCursor:
        abort(400)
    except StaffNotFound:
        abort(403)
    return render_template(
        "staff/physician.html",
        rows=[_row(row, now) for row in page.rows],
        page=page,
        page_args={},
        states=current_user.states,
    )


@bp.get("/cases/<public_id>")
@role_required(*ANY_STAFF)
def case_page(public_id: str) -> ResponseReturnValue:
    return _render_case(public_id)


def _render_case(
    public_id: str, refused: tuple[int, IdentifyForm] | None = None
) -> ResponseReturnValue:
    """The case page; ``refused`` is an identification form that did not save, shown again
    open, with its errors and everything typed in it."""
    page = view_case(services().sessions, current_user.id, public_id)
    if page is None:
        abort(404)  # a physician never learns of a case outside their licences
    case = page.case
    # formdata=None: after a refused identification (a POST) the other forms start empty
    # instead of reading that request's fields.
    assign_form = AssignForm(prefix="assign", formdata=None)
    assign_form.physician.choices = [
        (
            p.id,
            f"{p.name} ({p.open_cases_label} open of {p.capacity})"
            + (" - suggested" if i == 0 else ""),
        )
        for i, p in enumerate(page.physicians)
    ]
    flags = casework.flag_codes(case)
    readings = page.readings
    may_identify = current_user.role in COORDINATORS and case.status in (
        s.value for s in medications.IDENTIFIABLE_STATES
    )
    families = medications.ingredient_families() if may_identify else []
    identify_forms = {}
    for reading in readings if may_identify else []:
        form = IdentifyForm(prefix=f"med{reading.index}", formdata=None)
        if refused is not None and refused[0] == reading.index:
            form = refused[1]
        form.ingredients.choices = [(i, i) for f in families for i in f.ingredients]
        identify_forms[reading.index] = form
    unidentified = "MEDICATION_UNIDENTIFIED" in flags
    # Asking the patient about a medication nobody could identify: the medications step.
    info_form = RequestInfoForm(
        prefix="info", formdata=None, data={"steps": ["medications"]} if unidentified else None
    )
    return render_template(
        "staff/case.html",
        case=case,
        result=case.screening_result or {},
        events=page.events,
        audit_entries=page.audit_entries,
        more_audit_entries=page.more_audit_entries,
        assignee=page.assignee,
        flags=flags,
        late=casework.is_late(case, utcnow()),
        readings=readings,
        family_labels=medications.family_labels() if readings else {},
        families=families,
        identify_forms=identify_forms,
        refused_index=refused[0] if refused else None,
        # A refusal with no form on the page to show it (a physician's request, say).
        refused_errors=[
            message
            for errors in refused[1].errors.values()
            for message in (errors if isinstance(errors, list) else [errors])
        ]
        if refused and refused[0] not in identify_forms
        else [],
        info_open=unidentified,
        forms={
            "assign": assign_form,
            "reason": ReasonForm(prefix="act", formdata=None),
            "reroute": RerouteForm(prefix="reroute", formdata=None),
            "info": info_form,
            "note": NoteForm(prefix="note", formdata=None),
            "accept": AcceptForm(prefix="accept", formdata=None),
        },
        may_accept=page.may_physician_accept,
    ), (422 if refused else 200)


@bp.post("/cases/<public_id>/medications/<int:index>/identify")
@role_required(*ANY_STAFF)
def identify_medication(public_id: str, index: int) -> ResponseReturnValue:
    """Record what a medication is; a refusal shows the form again with what was typed."""
    ldn = services()
    case_id = _visible_case_id(public_id)
    form = IdentifyForm(prefix=f"med{index}")
    if form.validate_on_submit():
        try:
            medications.identify_medication(
                ldn.sessions,
                current_user.id,
                case_id,
                _version(form),
                index,
                form.ingredients.data or [],
                form.other.data or "",
                form.reason.data or "",
                ldn.enqueue,
            )
        except medications.InvalidIdentification as invalid:
            if invalid.field in form:
                form[invalid.field].errors = [*form[invalid.field].errors, _sentence(str(invalid))]
            else:
                form.form_errors.append(f"Not saved: {invalid}.")
        except casework.CaseAlreadyHandled as handled:
            form.form_errors.append(
                f"Not saved: {handled.by} changed this case first "
                f"({handled.action.replace('_', ' ')}). Check the case below, then save again."
            )
        except casework.TransitionNotAllowed as refused:
            form.form_errors.append(
                f"Not saved: a case that is {refused.from_state.replace('_', ' ')} is not "
                "screened again."
            )
        except casework.NotPermitted as refused:
            form.form_errors.append(f"Not saved: {refused}.")
        else:
            flash("Identification recorded. The case is being screened again with it.", "success")
            return redirect(url_for(".case_page", public_id=public_id) + "#medications-title")
    return _render_case(public_id, (index, form))


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


@bp.post("/cases/<public_id>/<action>")
@role_required(*ANY_STAFF)
def case_action(public_id: str, action: str) -> ResponseReturnValue:
    case_id = _visible_case_id(public_id)
    staff_id = current_user.id
    back = redirect(url_for(".case_page", public_id=public_id))
    try:
        done = _act(action, staff_id, case_id, public_id)
    except casework.CaseAlreadyHandled as handled:
        flash(
            f"Not saved: {handled.by} changed this case first ({handled.action.replace('_', ' ')}"
            + (f", {handled.at:%Y-%m-%d %H:%M} UTC" if handled.at else "")
            + ").",
            "error",
        )
        return back
    except casework.TransitionNotAllowed as refused:
        flash(
            f"Not saved: a case that is {refused.from_state.replace('_', ' ')} cannot be moved to {refused.to_state.replace('_', ' ')}.",
            "error",
        )
        return back
    except (casework.NotPermitted, ValueError) as refused:
        flash(f"Not saved: {refused}.", "error")
        return back
    if done is None:
        return back
    flash(done, "success")
    if current_user.role == "physician" and action == "physician-decline":
        return redirect(url_for(".physician"))
    return back


def _act(action: str, staff_id: int, case_id: int, public_id: str) -> str | None:
    ldn = services()
    sessions = ldn.sessions
    if action == "accept":
        form = AcceptForm(prefix="accept")
        if not form.validate_on_submit():
            abort(400)
        casework.accept(sessions, staff_id, case_id, _version(form), ldn.send_webhook)
        return "You accepted this case."
    if action == "note":
        form = NoteForm(prefix="note")
        if not form.validate_on_submit():
            _form_error(form)
            return None
        casework.add_note(sessions, staff_id, case_id, form.note.data or "")
        return "Note added."
    if action == "assign":
        form = AssignForm(prefix="assign")
        form.physician.choices = [(p.id, p.name) for p in assignable_physicians(sessions, case_id)]
        if not form.validate_on_submit():
            _form_error(form)
            return None
        casework.assign(
            sessions, staff_id, case_id, _version(form), form.physician.data, form.reason.data or ""
        )
        return "Case assigned."
    if action == "reroute":
        form = RerouteForm(prefix="reroute")
        if not form.validate_on_submit():
            _form_error(form)
            return None
        casework.reroute(
            sessions, staff_id, case_id, _version(form), form.queue.data, form.reason.data or ""
        )
        return f"Case moved to the {form.queue.data} queue."
    if action == "request-info":
        form = RequestInfoForm(prefix="info")
        if not form.validate_on_submit():
            _form_error(form)
            return None
        casework.request_info(
            sessions,
            staff_id,
            case_id,
            _version(form),
            form.steps.data or [],
            form.reason.data or "",
            ldn.outbox,
            lambda token: external_url("patient.amend_start", t=token),
        )
        return "The patient was asked for more information."
    if action == "retry":
        form = ReasonForm(prefix="act")
        if not form.validate_on_submit():
            _form_error(form)
            return None
        casework.retry_screening(
            sessions, staff_id, case_id, _version(form), form.reason.data or ""
        )
        ldn.enqueue(case_id)  # after the commit, so the worker finds the case received
        return "The case was sent through screening again."
    simple: dict[str, tuple[Callable[..., object], str]] = {
        "decline": (partial(casework.decline, send_webhook=ldn.send_webhook), "Case declined."),
        "waitlist": (casework.waitlist, "Case moved to the waitlist."),
        "physician-decline": (casework.physician_decline, "Case returned to the coordinators."),
    }
    if action not in simple:
        abort(404)
    form = ReasonForm(prefix="act")
    if not form.validate_on_submit():
        _form_error(form)
        return None
    function, message = simple[action]
    function(sessions, staff_id, case_id, _version(form), form.reason.data or "")
    return message


def _form_error(form: Any) -> None:
    messages = [message for errors in form.errors.values() for message in errors]
    flash("Not saved: " + " ".join(messages), "error")


def _version(form: Any) -> int | None:
    value = form.version.data
    return int(value) if value and str(value).isdigit() else None


@bp.get("/admin/audit")
@role_required("admin")
def audit_log() -> ResponseReturnValue:
    args = request.args
    before = args.get("before", "")
    search = AuditSearch(
        actor=args.get("actor") or None,
        action=args.get("action") or None,
        case_reference=args.get("case") or None,
        before=int(before) if before.isdigit() else None,
    )
    page = read_audit_log(services().sessions, search, services().settings.page_size)
    # The page links keep the search.
    kept: dict[str, Any] = {key: value for key, value in args.items() if key != "before"}
    return render_template(
        "staff/audit.html",
        rows=page.rows,
        args=args,
        older=url_for(".audit_log", **kept, before=page.next_before) if page.next_before else None,
        newest=url_for(".audit_log", **kept) if search.before is not None else None,
    )


@bp.get("/admin/unidentified-medications")
@role_required("admin")
def unidentified_medications() -> ResponseReturnValue:
    """The medication names screenings could not identify, for whoever keeps the rule data."""
    order = _names_order()
    page = request.args.get("page", "1")
    page_number = int(page) if page.isdigit() and int(page) > 0 else 1
    per_page = services().settings.page_size
    try:
        names, total = staff_lists.view_unidentified_names(
            services().sessions, current_user.id, order, per_page, page_number
        )
    except StaffNotFound:
        abort(403)
    return render_template(
        "staff/unidentified_medications.html",
        names=names,
        total=total,
        order=order,
        page=page_number,
        pages=max(1, -(-total // per_page)),
    )


@bp.get("/admin/unidentified-medications.csv")
@role_required("admin")
def unidentified_medications_csv() -> ResponseReturnValue:
    order = _names_order()
    sessions = services().sessions
    try:
        staff_lists.record_unidentified_names_export(sessions, current_user.id, order)
    except StaffNotFound:
        abort(403)

    def rows() -> Iterator[str]:
        yield csv_line(
            ["name", "as typed", "cases", "first seen", "last seen", "recorded as", "cases (ids)"]
        )
        offset = 0
        while True:  # a page at a time: the export never holds the whole table
            names = staff_lists.unidentified_names_for_export(sessions, order, 500, offset)
            for name in names:
                yield csv_line(
                    [
                        name.name_key,
                        name.typed,
                        str(name.cases),
                        name.first_seen.isoformat(timespec="seconds"),
                        name.last_seen.isoformat(timespec="seconds"),
                        " | ".join(" + ".join(reading) for reading in name.recorded_as),
                        " ".join(name.case_ids),
                    ]
                )
            if len(names) < 500:
                return
            offset += 500

    return Response(
        rows(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": "attachment; filename=unidentified-medications.csv",
            "Cache-Control": "no-store",
        },
    )


def _names_order() -> str:
    order = request.args.get("order", "recent")
    return order if order in medications.ORDERS else "recent"


def csv_line(cells: list[str]) -> str:
    """One CSV line whose cells a spreadsheet will not run: a cell that begins with = + - @
    (or a tab or carriage return) is a formula to Excel and LibreOffice, so it gets a quote."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(
        ["'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell for cell in cells]
    )
    return buffer.getvalue()


@bp.get("/dashboard")
@role_required(*COORDINATORS)
def dashboard() -> ResponseReturnValue:
    ldn = services()
    figures = current_figures(ldn.sessions, FiguresCache(redis_client(ldn.redis_url)), utcnow())
    return render_template("staff/dashboard.html", figures=dashboard_page(figures))


# --- helpers ---------------------------------------------------------------------------------


def _visible_case_id(public_id: str) -> int:
    case_id = case_id_for_staff(services().sessions, current_user.id, public_id)
    if case_id is None:
        abort(404)  # a physician never learns of a case outside their licences
    return case_id


def age_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def _row(row: queries.QueueRow, now: Any) -> dict[str, Any]:
    return {
        "public_id": row.public_id,
        "status": row.status,
        "queue": row.queue,
        "decision": row.decision,
        "priority": row.priority,
        "patient_state": row.patient_state,
        "flags": row.flags,
        "age": age_text(now - row.waiting_since),
        "late": row.is_late(now),
        "assignee_id": row.assignee_id,
        "language": known_language(row.language),
    }
