"""The canonical intake document (screening-contract §2) and the step answers, both ways:
saved answers build the document, and a stored document gives back what each step shows
(for a patient amending an intake that staff asked them to complete)."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from intake.patient import choices

__all__ = ["build_document", "apply_step", "document_to_raw"]


def apply_step(document: dict[str, Any], slug: str, data: dict[str, Any]) -> None:
    """Write one step's clean answers into the document (in place)."""
    if slug == "about":
        document["patient"] = {**document.get("patient", {}), **data}
    elif slug == "diagnoses":
        document["diagnoses"] = data["diagnoses"]
    elif slug == "medications":
        document["medications"] = data["medications"]
    elif slug == "history":
        document["history"] = dict(data)
    elif slug == "goals":
        document["goals"] = data["goals"]
        document["goal_notes"] = data.get("goal_notes") or ""
    elif slug == "ketosis":
        document["ketosis"] = {"interested": data["interested"]}


def build_document(answers: dict[str, Any], signed_at: datetime) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for slug in ("about", "diagnoses", "medications", "history", "goals", "ketosis"):
        apply_step(document, slug, answers[slug]["data"])
    document["consent"] = {
        "signed_name": answers["review"]["data"]["signed_name"],
        "signed_at": signed_at.isoformat(timespec="seconds") + "Z",
        # The statements as the patient read them, in the language of the page they signed.
        "statements": [str(text) for _, text in choices.CONSENT_STATEMENTS],
    }
    return document


def amended(document: dict[str, Any], steps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    result = copy.deepcopy(document)
    for slug, data in steps.items():
        apply_step(result, slug, data)
    return result


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def document_to_raw(document: dict[str, Any], slug: str) -> list[list[str]]:
    """What the step's form shows for a stored document, as [name, value] pairs."""
    if slug == "about":
        patient = document.get("patient", {})
        pairs = [[key, str(patient.get(key) or "")] for key in ("first_name", "last_name")]
        # The date of birth in its three boxes (forms.MemorableDateField), as a patient types it.
        born = str(patient.get("date_of_birth") or "").split("-")
        if len(born) == 3:
            year, month, day = born
            pairs += [
                ["date_of_birth-month", month.lstrip("0")],
                ["date_of_birth-day", day.lstrip("0")],
                ["date_of_birth-year", year],
            ]
        return pairs + [
            [key, str(patient.get(key) or "")] for key in ("email", "phone", "state_of_residence")
        ]
    if slug == "diagnoses":
        rows = document.get("diagnoses") or [{}]
        return [
            pair
            for i, d in enumerate(rows)
            for pair in (
                [f"rows-{i}-name", d.get("name", "")],
                [f"rows-{i}-icd10", d.get("icd10") or ""],
            )
        ]
    if slug == "medications":
        rows = document.get("medications") or [{}]
        pairs = []
        for i, med in enumerate(rows):
            pairs += [
                [f"rows-{i}-name", med.get("name", "")],
                [f"rows-{i}-dose", med.get("dose") or ""],
                [f"rows-{i}-status", med.get("status", "current")],
                [f"rows-{i}-stopped_on", med.get("stopped_on") or ""],
            ]
        return pairs
    if slug == "history":
        history = document.get("history", {})
        pairs = [[name, _yes_no(history.get(name))] for name, _, _ in choices.HISTORY_QUESTIONS]
        pairs += [
            ["liver_disease", history.get("liver_disease", "")],
            ["diabetes", history.get("diabetes", "")],
        ]
        pairs += [
            ["planned_surgery_date", history.get("planned_surgery_date") or ""],
            ["notes", history.get("notes") or ""],
        ]
        return pairs
    if slug == "goals":
        pairs = []
        for goal in document.get("goals") or []:
            pairs += [
                [f"goal_{goal['goal']}", "y"],
                [f"severity_{goal['goal']}", str(goal["severity"])],
            ]
        return pairs + [["goal_notes", document.get("goal_notes") or ""]]
    if slug == "ketosis":
        return [["interested", _yes_no((document.get("ketosis") or {}).get("interested"))]]
    raise KeyError(slug)
