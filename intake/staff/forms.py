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
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

# types-WTForms 3.2 predates SelectChoice (WTForms 3.3): its stubs do not know it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import EqualTo, InputRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from workflows.cases.casework import AMENDABLE_STEPS


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
