"""Staff forms: every action that changes a case needs a reason (accepting takes an optional
note); sign-in takes a password, then a code for accounts with two-factor sign-in."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

# types-WTForms 3.2 predates SelectChoice (WTForms 3.3): its stubs do not know it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import EqualTo, InputRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from workflows.cases.casework import AMENDABLE_STEPS, MESSAGE_MAX


class LoginForm(FlaskForm):
    email = EmailField("Email", [InputRequired("Enter your email address.")])
    password = PasswordField("Password", [InputRequired("Enter your password.")])


class SummarisedForm(FlaskForm):
    """A staff form that, refused, shows each error beside its field and in the page's error
    summary (macros.html). A page may hold a dozen forms, several posting the same names
    (decline, waitlist, retry and a physician's decline all post ``act-reason``), so each
    form's ids start with its own ``html_id``: a label, an error and the summary's link find
    the one field meant."""

    def __init__(self, *args: Any, html_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.html_id = html_id or self._prefix.rstrip("-") or "form"
        for field in self:
            field.id = f"{self.html_id}-{field.short_name}"
            field.label.field_id = field.id

    def error_links(self) -> list[tuple[str, str]]:
        """(id, message) for the error summary, in page order: a problem with the whole form
        (someone changed the case first) links to its notice beside the form, ``-problem``."""
        links = [(f"{self.html_id}-problem", message) for message in self.form_errors]
        for field in self:
            # A group of checkboxes is reached at its first box, as GOV.UK's summary does.
            target = f"{field.id}-0" if field.type == "SelectMultipleField" else field.id
            links.extend((target, message) for message in field.errors)
        return links


class ActionForm(SummarisedForm):
    """A form of the case page: it carries the version of the case the page showed."""

    version = HiddenField()


def reason_field(label: str, required: str, description: str = "") -> TextAreaField:
    """A reason for the case history, named for its action so that a screen reader's list of
    fields tells one from another."""
    return TextAreaField(
        label,
        [InputRequired(required), Length(max=2000, message=TOO_LONG)],
        description=description,
    )


TOO_LONG = "Keep it to 2,000 characters or fewer."


class ReasonForm(ActionForm):
    reason = reason_field("Reason", "Give a reason: it goes into the case history.")


class AssignForm(ActionForm):
    physician = SelectField(
        "Physician", [InputRequired("Choose a physician.")], coerce=int, choices=[]
    )
    reason = reason_field(
        "Reason for assigning", "Give a reason for assigning: it goes into the case history."
    )


class RerouteForm(ActionForm):
    queue = SelectField(
        "Move to queue",
        choices=[
            SelectChoice("physician", "Physician"),
            SelectChoice("coordinator", "Coordinator"),
            SelectChoice("waitlist", "Waitlist"),
        ],
    )
    reason = reason_field(
        "Why move it", "Give a reason for moving the case: it goes into the case history."
    )


class RequestInfoForm(ActionForm):
    # The steps first, as the page shows them: the error summary follows the fields' order.
    steps = SelectMultipleField(
        "Steps the patient may change",
        [InputRequired("Choose at least one step.")],
        choices=[
            SelectChoice(step, step.replace("_", " ").capitalize()) for step in AMENDABLE_STEPS
        ],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    # The patient reads this as written, on their update page (never in the email).
    message = TextAreaField(
        "Message to the patient",
        [
            InputRequired("Write the message to the patient: what the care team needs to know."),
            Length(max=MESSAGE_MAX, message=f"Keep it to {MESSAGE_MAX:,} characters or fewer."),
        ],
    )
    reason = reason_field(
        "Internal reason (staff only)", "Give a reason: it goes into the case history."
    )


class WaitlistForm(ActionForm):
    reason = reason_field(
        "Why the waitlist",
        "Give a reason for the waitlist: it goes into the case history.",
    )


class DeclineForm(ActionForm):
    reason = reason_field(
        "Why decline",
        "Give a reason for declining: it goes into the case history.",
        description="The patient is not told this reason; it stays in the case history.",
    )


class RetryForm(ActionForm):
    reason = reason_field("Why retry", "Give a reason for retrying: it goes into the case history.")


class PhysicianDeclineForm(ActionForm):
    reason = reason_field(
        "Why you decline this case",
        "Give a reason for declining: the coordinators read it in the case history.",
        description="Required. The coordinators read it when the case returns to them.",
    )


class NoteForm(ActionForm):
    note = TextAreaField(
        "Note", [InputRequired("Write the note."), Length(max=2000, message=TOO_LONG)]
    )


class AcceptForm(ActionForm):
    note = TextAreaField(
        "Note for the case history (optional)",
        [Optional(), Length(max=2000, message=TOO_LONG)],
        description="Such as the plan you will discuss with the patient.",
    )


# Each action of the case page: its form, the prefix of the names it posts (kept as the
# tests, scripts and other pages know them) and the start of its ids on the page.
CASE_ACTIONS: dict[str, tuple[type[ActionForm], str, str]] = {
    "retry": (RetryForm, "act", "retry"),
    "assign": (AssignForm, "assign", "assign"),
    "request-info": (RequestInfoForm, "info", "info"),
    "reroute": (RerouteForm, "reroute", "reroute"),
    "waitlist": (WaitlistForm, "act", "waitlist"),
    "decline": (DeclineForm, "act", "decline"),
    "accept": (AcceptForm, "accept", "accept"),
    "physician-decline": (PhysicianDeclineForm, "act", "physician-decline"),
    "note": (NoteForm, "note", "note"),
}


def case_action_form(action: str, submitted: bool = False) -> ActionForm:
    """The form of one action: read from the request when ``submitted``, else empty."""
    form_class, prefix, html_id = CASE_ACTIONS[action]
    if submitted:
        return form_class(prefix=prefix, html_id=html_id)
    return form_class(prefix=prefix, html_id=html_id, formdata=None)


class CodeForm(FlaskForm):
    """A 6-digit code from the authenticator app."""

    code = StringField(
        "Code from your authenticator app",
        [
            InputRequired("Enter the 6-digit code from your authenticator app."),
            Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message="The code is 6 digits, such as 492 039."),
        ],
        description="Open the app and type the 6 digits it shows for Riverbend Integrative Health.",
    )


class EnrolFromSessionForm(CodeForm):
    """Setting up an authenticator from a signed-in browser (not straight after the password):
    the password again, so that a session alone, left open or stolen, cannot put a new
    authenticator on the account."""

    password = PasswordField(
        "Your password",
        [InputRequired("Enter your password: setting up two-factor sign-in needs it.")],
        description="The password you sign in with. A signed-in browser alone cannot set up "
        "an authenticator.",
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", [InputRequired("Enter your current password.")])
    new = PasswordField(
        "New password",
        [
            InputRequired("Enter a new password."),
            Length(min=12, message="Use at least 12 characters for the new password."),
        ],
        description="At least 12 characters; a few unrelated words are easy to remember.",
    )
    repeat = PasswordField(
        "New password again",
        [
            InputRequired("Type the new password again."),
            EqualTo("new", message="The two new passwords are not the same: type them again."),
        ],
    )


class RecoveryCodeForm(FlaskForm):
    code = StringField(
        "Recovery code",
        [
            InputRequired("Enter one of your recovery codes."),
            Length(max=40, message="A recovery code has 16 letters and digits."),
        ],
        description="One of the codes you saved when you set up two-factor sign-in, such as "
        "ABCD-EFGH-JKMN-PQRS. Each works once.",
    )


class ResetForm(FlaskForm):
    """An admin's reset of another account's two-factor sign-in: the CSRF token is the form."""


class IdentifyForm(ActionForm):
    """What a coordinator records an unidentified (or misread) medication to be. The
    ingredient choices are the rule data's, set by the view; the service checks that at least
    one ingredient is given, chosen or typed."""

    ingredients = SelectMultipleField(
        "Ingredients in the practice's rule data",
        choices=[],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=False,  # the service names an unknown ingredient itself
    )
    other = StringField(
        "Other ingredients",
        [Length(max=500)],
        description="Separated by commas, such as lisinopril, hydrochlorothiazide. A name the "
        "rule data knows (a brand, or a synonym such as pethidine) counts as its ingredients.",
    )
    reason = TextAreaField(
        "Reason",
        [InputRequired("Give a reason: it goes into the case history."), Length(max=2000)],
        description="How you know, such as: the pharmacy label, a call with the patient.",
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """Every error at once: an empty form is told about the ingredients and the reason."""
        valid = super().validate(extra_validators)
        if not self.ingredients.data and not re.sub(r"[\s,;]", "", self.other.data or ""):
            self.ingredients.errors = [
                *self.ingredients.errors,
                "Choose at least one ingredient, or type the ingredient's name.",
            ]
            return False
        return valid


class MergeForm(ActionForm):
    """Close one of two cases of a possible-duplicate mark as a duplicate of the other. The
    page shows a form per mark (prefix "merge<mark id>"); the choices name both cases."""

    other_version = HiddenField()
    close = RadioField(
        "Which case to close",
        [InputRequired("Choose which case to close.")],
        choices=[SelectChoice("this", "This case"), SelectChoice("other", "The other case")],
    )
    reason = TextAreaField(
        "Reason", [InputRequired("Give a reason: it goes into both histories."), Length(max=2000)]
    )


class DismissDuplicateForm(ActionForm):
    """Not the same patient, or not a duplicate request: the mark is dismissed."""

    reason = TextAreaField(
        "Reason", [InputRequired("Give a reason: it goes into both histories."), Length(max=2000)]
    )


def duplicate_forms(
    public_id: str, marks: list[Any]
) -> dict[int, tuple[MergeForm, DismissDuplicateForm]]:
    """The merge and dismiss forms of each open mark on a case page (empty: formdata=None),
    the merge choices naming both cases."""
    forms = {}
    for mark in marks:
        merge = MergeForm(prefix=f"merge{mark.id}", formdata=None)
        merge.close.choices = [
            SelectChoice(
                "this", f"Close this case ({public_id}), keep {mark.other_public_id} open"
            ),
            SelectChoice("other", f"Close {mark.other_public_id}, keep this case open"),
        ]
        forms[mark.id] = (merge, DismissDuplicateForm(prefix=f"dismiss{mark.id}", formdata=None))
    return forms


class SearchForm(FlaskForm):
    """The lists' search box. Posted, never in the URL: the term is a name, an email or a date
    of birth, and URLs end up in browser history, proxy logs and the Referer header."""

    term = StringField(
        "Search by reference, name, email or date of birth",
        [Length(max=200, message="Type at most 200 characters.")],
        description="LDN-7KQ2-M9XD, a name or its start (hern, rosa hern), an email address, "
        "or a date of birth (1971-03-17 or 03/17/1971).",
    )
