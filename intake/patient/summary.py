"""Every saved answer in plain words, step by step, for the review page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intake.patient import choices

__all__ = ["Section", "summarise"]


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    items: list[tuple[str, str]]


def _yes_no(value: Any) -> str:
    return "Yes" if value else "No"


def summarise(answers: dict[str, Any]) -> list[Section]:
    def data(slug: str) -> dict[str, Any]:
        return answers.get(slug, {}).get("data", {})

    about = data("about")
    sections = [
        Section(
            "about",
            "About you",
            [
                ("Name", f"{about.get('first_name', '')} {about.get('last_name', '')}".strip()),
                ("Date of birth", about.get("date_of_birth", "")),
                ("Email address", about.get("email", "")),
                ("Phone number", about.get("phone") or "Not given"),
                (
                    "State where you live",
                    choices.STATE_NAMES.get(about.get("state_of_residence", ""), ""),
                ),
            ],
        ),
        Section(
            "diagnoses",
            "Your diagnoses",
            [
                ("Diagnosis", d["name"] + (f" ({d['icd10']})" if d.get("icd10") else ""))
                for d in data("diagnoses").get("diagnoses", [])
            ]
            or [("Diagnoses", "None given")],
        ),
        Section(
            "medications",
            "Your medications",
            [
                (
                    "Medication",
                    m["name"]
                    + (f", {m['dose']}" if m.get("dose") else "")
                    + (
                        f" (stopped {m['stopped_on']})"
                        if m["status"] == "stopped"
                        else " (taking now)"
                    ),
                )
                for m in data("medications").get("medications", [])
            ]
            or [("Medications", "None given")],
        ),
    ]
    history = data("history")
    liver = dict(choices.LIVER_CHOICES).get(history.get("liver_disease", ""), "")
    diabetes = dict(choices.DIABETES_CHOICES).get(history.get("diabetes", ""), "")
    sections.append(
        Section(
            "history",
            "Medical history",
            [(label, _yes_no(history.get(name))) for name, label, _ in choices.HISTORY_QUESTIONS]
            + [
                ("Liver disease", liver),
                ("Diabetes", diabetes),
                ("Planned surgery", history.get("planned_surgery_date") or "None planned"),
                ("Anything else", history.get("notes") or "Nothing added"),
            ],
        )
    )
    goals = data("goals")
    labels = dict(choices.GOALS)
    sections.append(
        Section(
            "goals",
            "Your goals",
            [(labels[g["goal"]], f"{g['severity']} out of 10") for g in goals.get("goals", [])]
            + ([("In your own words", goals["goal_notes"])] if goals.get("goal_notes") else []),
        )
    )
    ketosis = data("ketosis")
    sections.append(
        Section(
            "ketosis",
            "Ketosis plan",
            [("Ketosis plan considered", "Yes" if ketosis.get("interested") else "No, LDN only")],
        )
    )
    return sections
