"""The seven intake steps, in order, and how each turns a validated form into saved answers.

Saved answers keep two shapes: `raw`, the form input as typed (to show the page again
exactly), and `data`, clean JSON values that `document.build_document` assembles into the
canonical intake document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from intake.patient import choices, forms

__all__ = ["Step", "STEPS", "STEP_BY_SLUG", "raw_pairs", "as_formdata", "first_incomplete"]


@dataclass(frozen=True)
class Step:
    slug: str
    title: Any  # lazy: shown in the request's language
    form_class: type[FlaskForm]
    clean: Callable[[Any], dict[str, Any]]

    @property
    def number(self) -> int:
        return STEPS.index(self) + 1

    @property
    def template(self) -> str:
        return f"patient/step_{self.slug}.html"


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _clean_about(form: forms.AboutForm) -> dict[str, Any]:
    born = form.date_of_birth.data
    assert born is not None  # only a validated form is cleaned, and the date is required
    return {
        "first_name": _text(form.first_name.data),
        "last_name": _text(form.last_name.data),
        "date_of_birth": born.isoformat(),
        "email": _text(form.email.data),
        "phone": _text(form.phone.data) or None,
        "state_of_residence": form.state_of_residence.data,
    }


def _clean_diagnoses(form: forms.DiagnosesForm) -> dict[str, Any]:
    rows = []
    for row in form.rows.data:
        if _text(row["name"]):
            entry = {"name": _text(row["name"])}
            if _text(row["icd10"]):
                entry["icd10"] = _text(row["icd10"]).upper()
            rows.append(entry)
    return {"diagnoses": rows}


def _clean_medications(form: forms.MedicationsForm) -> dict[str, Any]:
    rows = []
    for row in form.rows.data:
        if not _text(row["name"]):
            continue
        entry: dict[str, Any] = {"name": _text(row["name"]), "status": row["status"]}
        if _text(row["dose"]):
            entry["dose"] = _text(row["dose"])
        if row["status"] == "stopped":
            entry["stopped_on"] = row["stopped_on"].isoformat()
        rows.append(entry)
    return {"medications": rows}


def _clean_history(form: forms.HistoryForm) -> dict[str, Any]:
    answers: dict[str, Any] = {
        name: form[name].data == "yes" for name, _, _ in choices.HISTORY_QUESTIONS
    }
    answers["liver_disease"] = form.liver_disease.data
    answers["diabetes"] = form.diabetes.data
    surgery = form.planned_surgery_date.data
    answers["planned_surgery_date"] = surgery.isoformat() if surgery else None
    answers["notes"] = (form.notes.data or "").strip()
    return answers


def _clean_goals(form: forms.GoalsForm) -> dict[str, Any]:
    goals = [
        {"goal": code, "severity": int(form[f"severity_{code}"].data)}
        for code, _ in choices.GOALS
        if form[f"goal_{code}"].data
    ]
    return {"goals": goals, "goal_notes": (form.goal_notes.data or "").strip()}


def _clean_ketosis(form: forms.KetosisForm) -> dict[str, Any]:
    return {"interested": form.interested.data == "yes"}


def _clean_review(form: forms.ReviewForm) -> dict[str, Any]:
    return {"signed_name": _text(form.signature.data)}


STEPS: list[Step] = [
    Step("about", _l("About you"), forms.AboutForm, _clean_about),
    Step("diagnoses", _l("Your diagnoses"), forms.DiagnosesForm, _clean_diagnoses),
    Step("medications", _l("Your medications"), forms.MedicationsForm, _clean_medications),
    Step("history", _l("Medical history"), forms.HistoryForm, _clean_history),
    Step("goals", _l("Your goals"), forms.GoalsForm, _clean_goals),
    Step("ketosis", _l("Ketosis plan"), forms.KetosisForm, _clean_ketosis),
    Step("review", _l("Review and consent"), forms.ReviewForm, _clean_review),
]
STEP_BY_SLUG = {step.slug: step for step in STEPS}

# Form fields that are controls, not answers: never stored.
_NOT_ANSWERS = {"csrf_token", "action", "return_to"}


def raw_pairs(formdata: MultiDict[str, str]) -> list[list[str]]:
    """The typed input of a step as [name, value] pairs (JSON-safe, order kept)."""
    return [
        [key, value.replace("\x00", "")]
        for key, value in formdata.items(multi=True)
        if key not in _NOT_ANSWERS
    ]


def as_formdata(pairs: Iterable[Sequence[str]]) -> MultiDict[str, str]:
    """[name, value] pairs (from raw_pairs, or read back from the draft's JSON) as the form
    input a step's form reads."""
    return MultiDict((name, value) for name, value in pairs)


def first_incomplete(answers: dict[str, Any]) -> Step:
    """The first step without saved answers (review when everything before it is done)."""
    for step in STEPS[:-1]:
        if step.slug not in answers:
            return step
    return STEPS[-1]
