"""The words an amendment's changes are shown in: the intake's own labels (the questions and
choices the patient answered, from intake/patient/choices.py), in the request's language.

Staff pages are English; the patient's update page is in the patient's language. Both call
``change_vocabulary()`` inside a request, which turns the lazy labels into that language.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from intake.patient import choices
from workflows.cases.change_labels import Vocabulary

__all__ = ["change_vocabulary"]

_SECTIONS: dict[str, Any] = {
    "patient": _l("About you"),
    "diagnoses": _l("Your diagnoses"),
    "medications": _l("Your medications"),
    "history": _l("Medical history"),
    "goals": _l("Your goals"),
    "goal_notes": _l("Your goals"),
    "ketosis": _l("Ketosis plan"),
}
_FIELDS: dict[str, Any] = {
    "patient.first_name": _l("First name"),
    "patient.last_name": _l("Last name"),
    "patient.date_of_birth": _l("Date of birth"),
    "patient.email": _l("Email address"),
    "patient.phone": _l("Phone number"),
    "patient.state_of_residence": _l("State where you live"),
    "medications.name": _l("Name"),
    "medications.dose": _l("Dose"),
    "diagnoses.name": _l("Name"),
    "diagnoses.icd10": _l("ICD-10 code"),
    "goals.severity": _l("How much does it affect you?"),
    "goal_notes": _l("In your own words, what would you like to change? (optional)"),
    "history.liver_disease": _l("Have you been told you have liver disease?"),
    "history.diabetes": _l("Do you have diabetes?"),
    "history.planned_surgery_date": _l("Date of any planned surgery (optional)"),
    "history.notes": _l("Anything else the care team should know? (optional)"),
    "ketosis.interested": _l("Would you like the care team to consider a ketosis plan with LDN?"),
    **{f"history.{name}": question for name, question, _hint in choices.HISTORY_QUESTIONS},
}
_CHOICES: dict[str, list[tuple[str, Any]]] = {
    "medications.status": choices.STATUS_CHOICES,
    "history.liver_disease": choices.LIVER_CHOICES,
    "history.diabetes": choices.DIABETES_CHOICES,
    "patient.state_of_residence": [*choices.US_STATES, choices.OTHER_STATE],
    "goals.goal": choices.GOALS,
}


def change_vocabulary() -> Vocabulary:
    """The vocabulary in the current request's language."""
    return Vocabulary(
        sections={key: str(label) for key, label in _SECTIONS.items()},
        fields={key: str(label) for key, label in _FIELDS.items()},
        choices={
            key: {code: str(label) for code, label in options} for key, options in _CHOICES.items()
        },
        yes=_("Yes"),
        no=_("No"),
        empty=_("(none)"),
        # Kept as a format: gettext must not fill it in (the date comes later).
        stopped_on=str(_l("stopped %(date)s")),
        severity=str(_l("%(severity)s out of 10")),
    )
