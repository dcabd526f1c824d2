"""Staff forms: every action that changes a case needs a reason; sign-in takes a password,
then a code for accounts with two-factor sign-in."""

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
from wtforms.validators import InputRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from workflows.cases.casework import AMENDABLE_STEPS, MESSAGE_MAX


class LoginForm(FlaskForm):
    email = EmailField("Email", [InputRequired("Enter your email address.")])
    password = PasswordField("Password", [InputRequired("Enter your password.")])


class ReasonForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(
        "Reason", [InputRequired("Give a reason: it goes into the case history."), Length(max=2000)]
    )


class AssignForm(ReasonForm):
    physician = SelectField(
        "Physician", [InputRequired("Choose a physician.")], coerce=int, choices=[]
    )


class RerouteForm(ReasonForm):
    queue = SelectField(
        "Move to queue",
        choices=[
            SelectChoice("physician", "Physician"),
            SelectChoice("coordinator", "Coordinator"),
            SelectChoice("waitlist", "Waitlist"),
        ],
    )


class RequestInfoForm(ReasonForm):
    # The patient reads this as written, on their update page (never in the email).
    message = TextAreaField(
        "Message to the patient",
        [
            InputRequired("Write the message to the patient: what the care team needs to know."),
            Length(max=MESSAGE_MAX),
        ],
    )
    reason = TextAreaField(
        "Internal reason (staff only)",
        [InputRequired("Give a reason: it goes into the case history."), Length(max=2000)],
    )
    steps = SelectMultipleField(
        "Steps the patient may change",
        [InputRequired("Choose at least one step.")],
        choices=[
            SelectChoice(step, step.replace("_", " ").capitalize()) for step in AMENDABLE_STEPS
        ],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )


class NoteForm(FlaskForm):
    note = TextAreaField("Note", [InputRequired("Write the note."), Length(max=2000)])


class AcceptForm(FlaskForm):
    version = HiddenField()


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


class IdentifyForm(FlaskForm):
    """What a coordinator records an unidentified (or misread) medication to be. The
    ingredient choices are the rule data's, set by the view; the service checks that at least
    one ingredient is given, chosen or typed."""

    version = HiddenField()
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


class MergeForm(FlaskForm):
    """Close one of two cases of a possible-duplicate mark as a duplicate of the other. The
    page shows a form per mark (prefix "merge<mark id>"); the choices name both cases."""

    version = HiddenField()
    other_version = HiddenField()
    close = RadioField(
        "Which case to close",
        [InputRequired("Choose which case to close.")],
        choices=[SelectChoice("this", "This case"), SelectChoice("other", "The other case")],
    )
    reason = TextAreaField(
        "Reason", [InputRequired("Give a reason: it goes into both histories."), Length(max=2000)]
    )


class DismissDuplicateForm(FlaskForm):
    """Not the same patient, or not a duplicate request: the mark is dismissed."""

    version = HiddenField()
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
