"""Who a case is about, in columns the staff lists can show, search and match on.

The intake document holds the patient's details as typed; the lists would have to read and
parse every intake to show a name or find "rosa hernandez". These plain functions derive the
columns the case keeps beside its intake (set whenever the intake is stored: submission and
amendment) and the keys searches and duplicate matching compare: folded (no case, accents or
punctuation), spaces collapsed, so "Rosa  Hernández" and "rosa hernandez" are one key.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from workflows.screening.normalise import fold

__all__ = [
    "person_key",
    "email_key",
    "birth_date_of",
    "main_condition_of",
    "set_patient_fields",
    "NAME_KEY_LENGTH",
]

NAME_KEY_LENGTH = 200
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def person_key(*parts: str | None) -> str:
    """Names folded to comparable words: ("Rosa", "Hernández-Díaz") -> "rosa hernandez diaz"."""
    words = _NOT_WORD.sub(" ", fold(" ".join(part or "" for part in parts))).split()
    return " ".join(words)[:NAME_KEY_LENGTH]


def email_key(address: str | None) -> str | None:
    """An address as mail systems compare it in practice: trimmed, lower case; None if empty."""
    key = (address or "").strip().lower()
    return key[:320] or None


def birth_date_of(text: Any) -> date | None:
    """The intake's date of birth (validated ISO text) as a date; None when absent or not one."""
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def main_condition_of(result: dict[str, Any] | None) -> str | None:
    """The first condition the screening matched (its rule-data key, e.g. "crohn_disease"):
    what the staff lists show as the patient's main condition."""
    for condition in (result or {}).get("conditions") or []:
        matched = condition.get("matched") if isinstance(condition, dict) else None
        if matched:
            return str(matched)[:64]
    return None


def set_patient_fields(case: Any, document: dict[str, Any]) -> None:
    """Copy who the patient is from the intake to the case's own columns (see the module)."""
    patient = document.get("patient") or {}
    first, last = patient.get("first_name") or "", patient.get("last_name") or ""
    case.patient_name = " ".join(f"{first} {last}".split())[:NAME_KEY_LENGTH] or None
    case.name_key = person_key(first, last) or None
    case.surname_key = person_key(last) or None
    case.email_key = email_key(patient.get("email"))
    case.birth_date = birth_date_of(patient.get("date_of_birth"))
    typed_state = " ".join(str(patient.get("state_of_residence") or "").split())
    case.state_typed = typed_state[:100] or None
