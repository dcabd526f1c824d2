"""Two-factor pages: the code after the password (or a recovery code), enrolment (forced for
physicians and admins at sign-in, voluntary for coordinators from the account page), the
account page and new recovery codes, and the admins' list of accounts with its reset. The rules live in workflows/staff/two_factor.py.

The secret appears only on the enrolment page, and only while the enrolment is unconfirmed;
recovery codes appear only in the answer to the form that created them.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup

from intake.security import TWO_FACTOR_LIMIT, limiter
from intake.services import services
from intake.staff.auth import (
    SESSION_ID,
    end_this_session,
    idle_too_long,
    role_required,
    session_ended_message,
)
from intake.staff.forms import (
    CodeForm,
    EnrolFromSessionForm,
    PasswordChangeForm,
    RecoveryCodeForm,
    ResetForm,
)
from intake.staff.signin import (
    forget_pending,
    locked_message,
    pending_sign_in,
    principal_for,
    sign_in,
)
from intake.staff.views import ANY_STAFF, bp
from workflows.staff.accounts import (
    InvalidLogin,
    TooManyFailedLogins,
    WeakPassword,
    change_password,
    confirm_password,
    staff_email,
)
from workflows.staff.two_factor import (
    AlreadyEnrolled,
    NoEnrolmentStarted,
    NotEnrolled,
    TotpSecretUnreadable,
    WrongCode,
    confirm_enrolment,
    must_enrol,
    regenerate_recovery_codes,
    reset_two_factor,
    sign_in_with_code,
    sign_in_with_recovery_code,
    staff_two_factor_overview,
    start_enrolment,
    two_factor_status,
)

__all__ = ["qr_svg"]

# All the two-factor forms share one count per address: guessing on one does not reset another.
_code_limit = limiter.shared_limit(TWO_FACTOR_LIMIT, scope="staff-two-factor", methods=["POST"])
WRONG_CODE = (
    "That code is not right, or it was used already. Wait for the next code in your app and "
    "try again."
)
# The stored secret does not open (SECRET_KEY changed): no code can be right until a reset.
SECRET_UNREADABLE = (
    "Two-factor secret cannot be read: reset two-factor for this account. Ask an admin to "
    "reset it; until then one of your recovery codes still signs you in."
)


def qr_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code: no script, no style attribute (the CSP)."""
    import segno  # only while enrolling: not worth its memory in every web process

    svg = segno.make(uri, error="m").svg_inline(
        scale=5, title="QR code for your authenticator app", svgclass="qr-code"
    )
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 - segno's own SVG


def _start_over(message: str, category: str = "info") -> ResponseReturnValue:
    forget_pending()
    flash(message, category)
    return redirect(url_for(".login"))


# --- the second step of a sign-in -------------------------------------------------------------


@bp.route("/login/code", methods=["GET", "POST"])
@_code_limit
def two_factor_code() -> ResponseReturnValue:
    return _second_step(use_recovery_code=False)


@bp.route("/login/recovery", methods=["GET", "POST"])
@_code_limit
def two_factor_recovery() -> ResponseReturnValue:
    return _second_step(use_recovery_code=True)


def _second_step(use_recovery_code: bool) -> ResponseReturnValue:
    pending = pending_sign_in()
    if pending is None or pending.must_enrol:
        return _start_over("Please sign in again.")
    form = RecoveryCodeForm() if use_recovery_code else CodeForm()
    error = None
    if form.validate_on_submit():
        sessions, box = services().sessions, services().totp_secrets
        try:
            if use_recovery_code:
                left = sign_in_with_recovery_code(sessions, pending.staff_id, form.code.data or "")
            else:
                sign_in_with_code(sessions, box, pending.staff_id, form.code.data or "")
        except TooManyFailedLogins as locked:
            return _start_over(locked_message(locked.resets_in), "error")
        except NotEnrolled:
            return _start_over("Two-factor sign-in was reset for this account: sign in again.")
        except TotpSecretUnreadable:
            error = SECRET_UNREADABLE
        except WrongCode:
            error = (
                "That recovery code is not right, or it was used already."
                if use_recovery_code
                else WRONG_CODE
            )
        else:
            target = sign_in(principal_for(pending.staff_id), pending.next_page or None)
            if use_recovery_code:
                flash(
                    f"You signed in with a recovery code; {left} left. "
                    + ("Make new ones on your account page." if left <= 3 else ""),
                    "info",
                )
            return redirect(target)
    return render_template(
        "staff/two_factor_code.html",
        form=form,
        error=error,
        use_recovery_code=use_recovery_code,
    ), (401 if error else 200)


# --- enrolment ------------------------------------------------------------------------------


@bp.route("/two-factor/enrol", methods=["GET", "POST"])
@_code_limit
def two_factor_enrol() -> ResponseReturnValue:
    """Forced (a pending sign-in of a physician or admin, right after the password) or
    voluntary (a signed-in coordinator, who types the password again here)."""
    done_page: str | None
    form: CodeForm
    if current_user.is_authenticated:
        if idle_too_long():
            end_this_session()
            return _start_over("You were signed out after 15 minutes without activity.")
        if current_user.needs_enrolment:
            # A physician or admin whose second factor was removed under this session: the
            # new one is set up after the password, at sign-in, not from an open session.
            end_this_session()
            return _start_over(
                "Two-factor sign-in was reset for your account: sign in with your password "
                "to set it up again."
            )
        staff_id, role, done_page = current_user.id, current_user.role, url_for(".account")
        pending = None
        form = EnrolFromSessionForm()
    else:
        pending = pending_sign_in()
        if pending is None or not pending.must_enrol:
            return _start_over(session_ended_message() or "Please sign in to see this page.")
        staff_id, role, done_page = pending.staff_id, "", pending.next_page or None
        form = CodeForm()
    sessions, box = services().sessions, services().totp_secrets
    error = None
    try:
        if form.validate_on_submit():
            try:
                if isinstance(form, EnrolFromSessionForm):
                    confirm_password(sessions, staff_id, form.password.data or "")
                codes = confirm_enrolment(sessions, box, staff_id, form.code.data or "")
            except TooManyFailedLogins as locked:
                end_this_session()
                return _start_over(locked_message(locked.resets_in), "error")
            except InvalidLogin:
                error = "Your password is not right: nothing was set up. Type it again."
                form.password.errors = [error]
            except (WrongCode, NoEnrolmentStarted):
                error = WRONG_CODE
            else:
                if pending is not None:
                    principal = principal_for(staff_id)
                    done_page = sign_in(principal, done_page)
                return _show_recovery_codes(codes, done_page or url_for(".account"), first=True)
        elif form.errors:  # a field left empty or malformed: say so at the top too
            error = " ".join(message for errors in form.errors.values() for message in errors)
        enrolment = start_enrolment(sessions, box, staff_id)
    except AlreadyEnrolled:
        if pending is not None:
            return _start_over("Two-factor sign-in is already on for this account: sign in.")
        flash("Two-factor sign-in is already on for your account.", "info")
        return redirect(url_for(".account"))
    return render_template(
        "staff/two_factor_enrol.html",
        form=form,
        error=error,
        enrolment=enrolment,
        qr=qr_svg(enrolment.uri),
        required=pending is not None or must_enrol(role),
    ), (400 if error else 200)


def _show_recovery_codes(codes: list[str], next_page: str, first: bool) -> ResponseReturnValue:
    # Rendered in the answer to the POST that made them, never stored for a later page: a
    # reload cannot show them again (the app-wide Cache-Control: no-store covers the rest).
    return render_template(
        "staff/recovery_codes.html", codes=codes, next_page=next_page, first=first
    )


# --- the account page -----------------------------------------------------------------------


@bp.get("/account")
@role_required(*ANY_STAFF)
def account() -> ResponseReturnValue:
    return _account_page(PasswordChangeForm(prefix="password"))


def _account_page(
    password_form: PasswordChangeForm, password_error: str | None = None
) -> ResponseReturnValue:
    status = two_factor_status(services().sessions, current_user.id)
    return render_template(
        "staff/account.html",
        status=status,
        form=CodeForm(prefix="regenerate"),
        password_form=password_form,
        password_error=password_error,
        required=must_enrol(current_user.role),
    ), (400 if password_error else 200)


@bp.post("/account/password")
@role_required(*ANY_STAFF)
@_code_limit
def change_own_password() -> ResponseReturnValue:
    """A new password, for the current one: every other browser signed in to the account is
    signed out; this one stays."""
    form = PasswordChangeForm(prefix="password")
    if not form.validate_on_submit():
        return _account_page(form, "Your password was not changed: correct what is marked.")
    try:
        change_password(
            services().sessions,
            current_user.id,
            form.current.data or "",
            form.new.data or "",
            keep_session=session.get(SESSION_ID),
        )
    except TooManyFailedLogins as locked:
        end_this_session()
        flash(locked_message(locked.resets_in), "error")
        return redirect(url_for(".login"))
    except InvalidLogin:
        form.current.errors = ["Your current password is not right."]
        return _account_page(form, "Your password was not changed: correct what is marked.")
    except WeakPassword:
        form.new.errors = ["Use at least 12 characters for the new password."]
        return _account_page(form, "Your password was not changed: correct what is marked.")
    flash("Your password was changed. Every other browser signed in was signed out.", "info")
    return redirect(url_for(".account"))


@bp.post("/account/recovery-codes")
@role_required(*ANY_STAFF)
@_code_limit
def new_recovery_codes() -> ResponseReturnValue:
    form = CodeForm(prefix="regenerate")
    if not form.validate_on_submit():
        flash(
            "No new codes: " + " ".join(m for errors in form.errors.values() for m in errors),
            "error",
        )
        return redirect(url_for(".account"))
    try:
        codes = regenerate_recovery_codes(
            services().sessions, services().totp_secrets, current_user.id, form.code.data or ""
        )
    except TooManyFailedLogins as locked:
        end_this_session()
        flash(locked_message(locked.resets_in), "error")
        return redirect(url_for(".login"))
    except WrongCode:
        flash(f"No new codes: {WRONG_CODE}", "error")
        return redirect(url_for(".account"))
    except TotpSecretUnreadable:
        flash(f"No new codes: {SECRET_UNREADABLE}", "error")
        return redirect(url_for(".account"))
    except NotEnrolled:
        flash("Two-factor sign-in is not on for your account.", "error")
        return redirect(url_for(".account"))
    return _show_recovery_codes(codes, url_for(".account"), first=False)


# --- admins: every account's second factor, and a reset for a lost phone --------------------


@bp.get("/admin/staff")
@role_required("admin")
def staff_accounts() -> ResponseReturnValue:
    accounts = staff_two_factor_overview(services().sessions)
    return render_template("staff/staff_accounts.html", accounts=accounts, form=ResetForm())


@bp.post("/admin/staff/<int:staff_id>/reset-2fa")
@role_required("admin")
def reset_staff_two_factor(staff_id: int) -> ResponseReturnValue:
    form = ResetForm()
    if not form.validate_on_submit():
        abort(400)
    sessions = services().sessions
    email = staff_email(sessions, staff_id)
    if email is None:
        abort(404)
    reset = reset_two_factor(sessions, email, by="admin", actor_id=current_user.id)
    if not reset.was_enabled:
        flash(f"{email} had no two-factor sign-in to reset.", "info")
    elif reset.enrols_at_next_sign_in:
        flash(f"Two-factor sign-in reset for {email}: they set it up at their next sign-in.")
    else:
        flash(f"Two-factor sign-in reset for {email}: they sign in with a password only.")
    return redirect(url_for(".staff_accounts"))
