"""Staff forms: every action that changes a case needs a reason."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from workflows.casework import AMENDABLE_STEPS


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
