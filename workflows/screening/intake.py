"""The intake document of screening-contract.md §2 as typed, immutable values.

`Intake.from_document` trusts that the document passed the JSON Schema; it still parses every
date, so an impossible date ("2026-02-30") raises ValueError and the caller falls back to the
precise validator for a field-by-field message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = ["Intake", "Patient", "Diagnosis", "Medication", "History", "Goal"]


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class Patient:
    date_of_birth: date
    state_of_residence: str | None


@dataclass(frozen=True, slots=True)
class Diagnosis:
    name: str
    icd10: str | None


@dataclass(frozen=True, slots=True)
class Medication:
    name: str  # exactly as typed: it becomes a flag's evidence
    is_current: bool
    stopped_on: date | None


@dataclass(frozen=True, slots=True)
class History:
    pregnant: bool
    breastfeeding: bool
    liver_disease: str
    organ_transplant: bool
    planned_surgery_date: date | None
    diabetes: str
    eating_disorder: bool
    pancreatitis: bool
    kidney_stones: bool
    gallbladder_disease: bool
    inborn_metabolic_disorder: bool
    naltrexone_allergy: bool

    def value(self, field: str) -> Any:
        return getattr(self, field)


@dataclass(frozen=True, slots=True)
class Goal:
    goal: str
    severity: int


@dataclass(frozen=True, slots=True)
class Intake:
    submitted_at: date
    patient: Patient
    diagnoses: tuple[Diagnosis, ...]
    medications: tuple[Medication, ...]
    history: History
    goals: tuple[Goal, ...]
    wants_ketosis: bool

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Intake:
        patient = document["patient"]
        history = document["history"]
        return cls(
            submitted_at=date.fromisoformat(document["submitted_at"]),
            patient=Patient(
                date_of_birth=date.fromisoformat(patient["date_of_birth"]),
                state_of_residence=patient["state_of_residence"],
            ),
            diagnoses=tuple(
                Diagnosis(item["name"], item.get("icd10")) for item in document["diagnoses"]
            ),
            medications=tuple(
                Medication(
                    name=item["name"],
                    is_current=item.get("status", "current") == "current",
                    stopped_on=_date(item.get("stopped_on")),
                )
                for item in document["medications"]
            ),
            history=History(
                pregnant=history["pregnant"],
                breastfeeding=history["breastfeeding"],
                liver_disease=history["liver_disease"],
                organ_transplant=history["organ_transplant"],
                planned_surgery_date=_date(history.get("planned_surgery_date")),
                diabetes=history["diabetes"],
                eating_disorder=history["eating_disorder"],
                pancreatitis=history["pancreatitis"],
                kidney_stones=history["kidney_stones"],
                gallbladder_disease=history["gallbladder_disease"],
                inborn_metabolic_disorder=history["inborn_metabolic_disorder"],
                naltrexone_allergy=history["naltrexone_allergy"],
            ),
            goals=tuple(Goal(item["goal"], item["severity"]) for item in document.get("goals", ())),
            wants_ketosis=bool(document.get("ketosis", {}).get("interested", False)),
        )
