"""Staff pages: sign-in (its second factor is in two_factor.py), the coordinator queue, the case page and its actions, the physician
view, the audit log and the dashboard. Views are thin: casework.py holds the rules."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, cast

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

from intake.change_words import change_vocabulary
from intake.external_links import external_url
from intake.redirect_targets import local_path
from intake.security import LOGIN_LIMIT, limiter
from intake.services import services
from intake.staff.auth import end_this_session, role_required
from intake.staff.dashboard import dashboard_page
from intake.staff.forms import (
    CASE_ACTIONS,
    ActionForm,
    AssignForm,
    IdentifyForm,
    LoginForm,
    SearchForm,
    case_action_form,
    duplicate_forms,
)
from intake.staff.signin import landing_page, locked_message, start_sign_in
from workflows.cases import casework, duplicates, labels, medications, queries, search, staff_lists
from workflows.cases.amendments import info_rounds
from workflows.cases.case_page import assignable_physicians, case_id_for_staff, view_case
from workflows.cases.change_labels import labelled_amendments
from workflows.cases.figures import FiguresCache, current_figures
from workflows.platform.i18n import LANGUAGE_NAMES, known_language
from workflows.platform.orm import utcnow
from workflows.platform.redis_clients import redis_client
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


@bp.route("/queue", methods=["GET", "POST"])
@role_required(*COORDINATORS)
def queue() -> ResponseReturnValue:
    """The queue (GET, with its filters in the URL), or the results of a search (POST: the
    term is personal data and stays out of the URL; the results are rendered in the answer)."""
    filters = _filters()
    now = utcnow()
    ldn = services()
    form = SearchForm()
    found: search.SearchResult | None = None
    page: queries.Page | None = None
    try:
        if request.method == "POST" and _searched(form):
            found, staffing = staff_lists.search_as_coordinator(
                ldn.sessions, current_user.id, form.term.data or "", ldn.settings.page_size
            )
        else:
            cursor, backwards = _page_position()
            page, staffing = staff_lists.view_coordinator_queue(
                ldn.sessions,
                current_user.id,
                filters,
                ldn.settings.page_size,
                cursor,
                backwards,
                now,
            )
    except queries.InvalidCursor:
        abort(400)
    except StaffNotFound:
        abort(403)
    return render_template(
        "staff/queue.html",
        rows=[_row(row, now, staffing) for row in _listed(found, page)],
        page=page,
        found=found,
        search_form=form,
        page_args=filters.as_args(),
        filters=filters,
        # The review codes too: a person must look at each (MEDICATION_UNIDENTIFIED).
        flag_codes=list(dict.fromkeys([*(c.value for c in FlagCode), *REVIEW_CODES])),
        now=now,
        show_assign=True,
    ), (422 if form.errors else 200)


@bp.route("/physician", methods=["GET", "POST"])
@role_required("physician")
def physician() -> ResponseReturnValue:
    """The physician's list, or a search of the cases they may see (POST, as the queue's)."""
    now = utcnow()
    ldn = services()
    form = SearchForm()
    found: search.SearchResult | None = None
    page: queries.Page | None = None
    try:
        if request.method == "POST" and _searched(form):
            found = staff_lists.search_as_physician(
                ldn.sessions, current_user.id, form.term.data or "", ldn.settings.page_size
            )
        else:
            cursor, backwards = _page_position()
            page = staff_lists.view_physician_list(
                ldn.sessions, current_user.id, ldn.settings.page_size, cursor, backwards
            )
    except queries.InvalidCursor:
        abort(400)
    except StaffNotFound:
        abort(403)
    return render_template(
        "staff/physician.html",
        rows=[_row(row, now) for row in _listed(found, page)],
        page=page,
        found=found,
        search_form=form,
        page_args={},
        states=current_user.states,
        show_assign=False,
    ), (422 if form.errors else 200)


def _listed(found: search.SearchResult | None, page: queries.Page | None) -> list[queries.QueueRow]:
    return found.rows if found is not None else page.rows if page is not None else []


def _searched(form: SearchForm) -> bool:
    """Whether the posted search can run; if not, the error is on the form's field (the list
    is shown under it, the term kept in the box)."""
    if not form.validate_on_submit():
        if not form.errors:
            abort(400)  # no CSRF token, say: not a search from our page
        return False
    try:
        search.parse_search(form.term.data or "")
    except search.InvalidSearch as invalid:
        form.term.errors = [*form.term.errors, str(invalid)]
        return False
    return True


@bp.get("/cases/<public_id>")
@role_required(*ANY_STAFF)
def case_page(public_id: str) -> ResponseReturnValue:
    return _render_case(public_id)


@dataclass(frozen=True)
class Refusal:
    """A form that did not save, to show again open with its errors and what was typed in it:
    ``key`` is its action (or ``med<index>``, an identification), ``status`` the page's."""

    key: str
    form: ActionForm
    status: int


def _offered_actions(case: Any, may_accept: bool) -> list[str]:
    """The action forms the case page shows this staff member, in page order."""
    if current_user.role == "physician":
        deciding = may_accept and case.status in ("routed", "assigned")
        return [*(["accept", "physician-decline"] if deciding else []), "note"]
    # Only what the case's state allows: a withdrawn, declined or accepted case offers a note.
    return [*casework.possible_actions(case.status), "note"]


def _render_case(public_id: str, refused: Refusal | None = None) -> ResponseReturnValue:
    """The case page; after a refusal, the refused form is open with its errors beside its
    fields and in the summary at the top, and keeps everything typed in it."""
    page = view_case(services().sessions, current_user.id, public_id)
    if page is None:
        if refused is not None:  # the case left this physician's sight meanwhile
            messages = [message for _, message in refused.form.error_links()]
            flash(
                " ".join(m if m.startswith("Not saved") else f"Not saved: {m}" for m in messages),
                "error",
            )
            return redirect(landing_page(current_user.role))
        abort(404)  # a physician never learns of a case outside their licences
    case = page.case
    flags = casework.flag_codes(case)
    readings = page.readings
    offered = _offered_actions(case, page.may_physician_accept)
    # formdata=None: after a refused action (a POST) the other forms start empty instead of
    # reading that request's fields.
    forms = {action: case_action_form(action) for action in offered}
    unidentified = "MEDICATION_UNIDENTIFIED" in flags
    if "request-info" in forms and unidentified:
        # Asking the patient about a medication nobody could identify: the medications step.
        forms["request-info"].steps.data = ["medications"]
    may_identify = current_user.role in COORDINATORS and case.status in (
        s.value for s in medications.IDENTIFIABLE_STATES
    )
    families = medications.ingredient_families() if may_identify else []
    for reading in readings if may_identify else []:
        form = IdentifyForm(prefix=f"med{reading.index}", formdata=None)
        form.ingredients.choices = [(i, i) for f in families for i in f.ingredients]
        forms[f"med{reading.index}"] = form
    if refused is not None and refused.key in forms:
        if isinstance(refused.form, IdentifyForm):
            refused.form.ingredients.choices = forms[refused.key].ingredients.choices
        forms[refused.key] = refused.form
    if "assign" in forms:
        forms["assign"].physician.choices = [
            (
                p.id,
                f"{p.name} ({p.open_cases_label} open of {p.capacity})"
                + (" - suggested" if i == 0 else ""),
            )
            for i, p in enumerate(page.physicians)
        ]
    marks_forms = duplicate_forms(case.public_id, page.duplicate_marks)
    for mark_id, (merge, dismiss) in list(marks_forms.items()):
        # A refused merge or dismissal comes back as typed, in its own place on the page.
        if refused is not None and refused.key == f"merge{mark_id}":
            marks_forms[mark_id] = (cast(Any, refused.form), dismiss)
        elif refused is not None and refused.key == f"dismiss{mark_id}":
            marks_forms[mark_id] = (merge, cast(Any, refused.form))
    errors = refused.form.error_links() if refused else []
    open_form = None
    if refused is not None and (
        refused.key in forms or refused.key.removeprefix("merge").removeprefix("dismiss").isdigit()
    ):
        open_form = refused.key
    shown = open_form is not None
    if "request-info" in forms:
        # Staff may write the question in the patient's language: the patient reads it as
        # written (set after a refused form took its place: it is the same field).
        forms["request-info"].message.description = (
            "The patient reads this as written, on the page the emailed link opens (the email "
            "only says that a question is waiting). The patient's language is "
            f"{LANGUAGE_NAMES.get(case.language, case.language)}: you may write in it."
        )
    return render_template(
        "staff/case.html",
        case=case,
        info_rounds=info_rounds(page.events),
        change_lines=labelled_amendments(case.intake, page.events, change_vocabulary()),
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
        forms=forms,
        offered=offered,
        open_form=open_form,
        # The summary links to each error beside its field; a refusal with no form on the page
        # to show it (a coordinator's action on a case that moved on, say) is listed alone.
        error_links=errors if shown else [],
        stray_errors=[] if shown else [{"message": message} for _, message in errors],
        info_open=unidentified,
        duplicate_marks=page.duplicate_marks,
        duplicate_forms=marks_forms,
        duplicate_basis_words=duplicates.BASIS_WORDS,
        # Assign is offered only when a physician licensed in the case's state has room.
        may_assign=any(p.has_room for p in page.physicians),
        state_shown=case.patient_state
        if case.patient_state not in (None, "OTHER")
        else (case.state_typed or "the patient's state"),
    ), (refused.status if refused else 200)


@bp.post("/cases/<public_id>/medications/<int:index>/identify")
@role_required(*ANY_STAFF)
def identify_medication(public_id: str, index: int) -> ResponseReturnValue:
    """Record what a medication is; a refusal shows the form again with what was typed."""
    ldn = services()
    case_id = _visible_case_id(public_id)
    form = IdentifyForm(prefix=f"med{index}")
    status = 422
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
            _show_beside(form, invalid.field, str(invalid))
        except casework.TransitionNotAllowed as refused:
            form.form_errors.append(
                f"Not saved: a case that is {refused.from_state.replace('_', ' ')} is not "
                "screened again."
            )
            status = 409
        except _REFUSALS as refused:
            status = _refuse(form, refused)
        else:
            flash("Identification recorded. The case is being screened again with it.", "success")
            return redirect(url_for(".case_page", public_id=public_id) + "#medications-title")
    return _render_case(public_id, Refusal(f"med{index}", form, status))


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _show_beside(form: ActionForm, field: str, message: str) -> None:
    """A service's refusal of one field, beside that field (or above the form)."""
    if field in form:
        form[field].errors = [*form[field].errors, _sentence(message)]
    else:
        form.form_errors.append(f"Not saved: {_sentence(message)}")


_REFUSALS = (casework.CaseAlreadyHandled, casework.TransitionNotAllowed, casework.NotPermitted)


def _refuse(form: ActionForm, refused: Exception) -> int:
    """Say beside the form why the case could not take it; the page's status."""
    if isinstance(refused, casework.CaseAlreadyHandled):
        when = f", {refused.at:%Y-%m-%d %H:%M} UTC" if refused.at else ""
        form.form_errors.append(
            f"Not saved: {refused.by} changed this case first "
            f"({refused.action.replace('_', ' ')}{when}). The page now shows the case as it is: "
            "check it, then send again. What you typed is kept."
        )
        return 409
    if isinstance(refused, casework.TransitionNotAllowed):
        form.form_errors.append(
            f"Not saved: a case that is {refused.from_state.replace('_', ' ')} cannot be moved "
            f"to {refused.to_state.replace('_', ' ')}."
        )
        return 409
    form.form_errors.append(f"Not saved: {refused}.")
    return 403


@bp.post("/cases/<public_id>/<action>")
@role_required(*ANY_STAFF)
def case_action(public_id: str, action: str) -> ResponseReturnValue:
    """One action on a case. A refusal (a missing reason, a case someone else changed first)
    shows the page again with the form open, its errors and what was typed; 422, 409 or 403."""
    if action not in CASE_ACTIONS:
        abort(404)
    case_id = _visible_case_id(public_id)
    form = case_action_form(action, submitted=True)
    if isinstance(form, AssignForm):
        physicians = assignable_physicians(services().sessions, case_id)
        form.physician.choices = [(p.id, p.name) for p in physicians]
    status = 422
    if form.validate_on_submit():
        try:
            done = _act(action, form, case_id)
        except casework.InvalidAction as invalid:
            _show_beside(form, invalid.field, str(invalid))
        except _REFUSALS as refused:
            status = _refuse(form, refused)
        else:
            flash(done, "success")
            if action == "physician-decline":  # the case is no longer theirs to see
                return redirect(url_for(".physician"))
            return redirect(url_for(".case_page", public_id=public_id))
    return _render_case(public_id, Refusal(action, form, status))


def _act(action: str, form: Any, case_id: int) -> str:
    """Run a validated action; returns what to tell the staff member."""
    ldn = services()
    sessions, staff_id, version = ldn.sessions, current_user.id, _version(form)
    if action == "accept":
        casework.accept(
            sessions,
            staff_id,
            case_id,
            version,
            ldn.send_webhook,
            note=form.note.data or "",
            notice=_patient_notice(),
        )
        return "You accepted this case."
    if action == "note":
        casework.add_note(sessions, staff_id, case_id, form.note.data or "")
        return "Note added."
    if action == "assign":
        casework.assign(
            sessions, staff_id, case_id, version, form.physician.data, form.reason.data or ""
        )
        return "Case assigned."
    if action == "reroute":
        casework.reroute(
            sessions, staff_id, case_id, version, form.queue.data, form.reason.data or ""
        )
        return f"Case moved to the {form.queue.data} queue."
    if action == "request-info":
        casework.request_info(
            sessions,
            staff_id,
            case_id,
            version,
            form.steps.data or [],
            form.reason.data or "",
            ldn.outbox,
            lambda token: external_url("patient.amend_start", t=token),
            message=form.message.data or "",
        )
        return "The patient was asked for more information."
    if action == "retry":
        casework.retry_screening(sessions, staff_id, case_id, version, form.reason.data or "")
        ldn.enqueue(case_id)  # after the commit, so the worker finds the case received
        return "The case was sent through screening again."
    simple: dict[str, tuple[Callable[..., object], str]] = {
        "decline": (
            partial(casework.decline, send_webhook=ldn.send_webhook, notice=_patient_notice()),
            "Case declined.",
        ),
        "waitlist": (casework.waitlist, "Case moved to the waitlist."),
        "physician-decline": (casework.physician_decline, "Case returned to the coordinators."),
    }
    function, message = simple[action]
    function(sessions, staff_id, case_id, version, form.reason.data or "")
    return message


def _patient_notice() -> casework.PatientNotice:
    """The patient hears of a decision by a message whose link opens their status page."""
    return casework.PatientNotice(
        services().outbox, lambda token: external_url("patient.resume", t=token)
    )


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


def _row(
    row: queries.QueueRow, now: Any, staffing: queries.Staffing | None = None
) -> dict[str, Any]:
    is_licensed = row.patient_state not in (None, "OTHER")
    return {
        "public_id": row.public_id,
        "status": row.status,
        "queue": row.queue,
        "decision": labels.decision_badge(row.decision),
        "priority": row.priority,
        "patient_state": row.patient_state,
        "flags": [(code, labels.flag_badge(code)) for code in row.flags],
        "possible_duplicate": bool(row.possible_duplicate),
        # Where the patient lives as they typed it, when it is no state we are licensed in.
        "state_typed": None if is_licensed else (row.state_typed or "state not given"),
        "waiting": age_text(now - row.waiting_since),
        "late": row.is_late(now),
        "assignee_id": row.assignee_id,
        "language": known_language(row.language),
        "name": row.patient_name,
        "age": labels.age_in_years(row.birth_date, now.date()),
        "condition": labels.condition_label(row.main_condition),
        "assign": _assign_offer(row, staffing) if staffing is not None else None,
    }


def _assign_offer(row: queries.QueueRow, staffing: queries.Staffing) -> tuple[bool, str] | None:
    """(offered, words) for a case waiting to be assigned: Assign where a physician licensed
    in its state has room, else why not; None for a case that is not waiting for one."""
    if row.status not in ("routed", "waitlisted"):
        return None
    if staffing.may_assign(row.patient_state):
        return True, "Assign"
    if row.patient_state in staffing.licensed:
        return False, f"Every physician licensed in {row.patient_state} is full"
    where = row.state_typed if row.patient_state in (None, "OTHER") else row.patient_state
    return False, f"No physician licensed in {where or 'the patient state'}"
