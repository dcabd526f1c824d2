"""Every saved answer in plain words, step by step, for the review page (in the request's
language; what the patient typed is shown as typed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from intake.patient import choices

__all__ = ["Section", "summarise"]


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    items: list[tuple[str, str]]


def _yes_no(value: Any) -> str:
    return _("Yes") if value else _("No")


def summarise(answers: dict[str, Any]) -> list[Section]:
    def data(slug: str) -> dict[str, Any]:
        return answers.get(slug, {}).get("data", {})

    about = data("about")
    sections = [
        Section(
            "about",
            _("About you"),
            [
                (_("Name"), f"{about.get('first_name', '')} {about.get('last_name', '')}".strip()),
                (_("Date of birth"), about.get("date_of_birth", "")),
                (_("Email address"), about.get("email", "")),
                (_("Phone number"), about.get("phone") or _("Not given")),
                (
                    _("State where you live"),
                    str(choices.STATE_NAMES.get(about.get("state_of_residence", ""), "")),
                ),
            ],
        ),
        Section(
            "diagnoses",
            _("Your diagnoses"),
            [
                (_("Diagnosis"), d["name"] + (f" ({d['icd10']})" if d.get("icd10") else ""))
                for d in data("diagnoses").get("diagnoses", [])
            ]
            or [(_("Diagnoses"), _("None given"))],
        ),
        Section(
            "medications",
            _("Your medications"),
            [
                (
                    _("Medication"),
                    m["name"]
                    + (f", {m['dose']}" if m.get("dose") else "")
                    + (
                        " (" + _("stopped %(date)s", date=m["stopped_on"]) + ")"
                        if m["status"] == "stopped"
                        else " (" + _("taking now") + ")"
                    ),
                )
                for m in data("medications").get("medications", [])
            ]
            or [(_("Medications"), _("None given"))],
        ),
    ]
    history = data("history")
    liver = str(dict(choices.LIVER_CHOICES).get(history.get("liver_disease", ""), ""))
    diabetes = str(dict(choices.DIABETES_CHOICES).get(history.get("diabetes", ""), ""))
    sections.append(
        Section(
            "history",
            _("Medical history"),
            [
                (str(label), _yes_no(history.get(name)))
                for name, label, _hint in choices.HISTORY_QUESTIONS
            ]
            + [
                (_("Liver disease"), liver),
                (_("Diabetes"), diabetes),
                (_("Planned surgery"), history.get("planned_surgery_date") or _("None planned")),
                (_("Anything else"), history.get("notes") or _("Nothing added")),
            ],
        )
    )
    goals = data("goals")
    labels = dict(choices.GOALS)
    sections.append(
        Section(
            "goals",
            _("Your goals"),
            [
                (str(labels[g["goal"]]), _("%(severity)s out of 10", severity=g["severity"]))
                for g in goals.get("goals", [])
            ]
            + ([(_("In your own words"), goals["goal_notes"])] if goals.get("goal_notes") else []),
        )
    )
    ketosis = data("ketosis")
    sections.append(
        Section(
            "ketosis",
            _("Ketosis plan"),
            [
                (
                    _("Ketosis plan considered"),
                    _("Yes") if ketosis.get("interested") else _("No, LDN only"),
                )
            ],
        )
    )
    return sections
