"""Assembling the canonical intake document (screening-contract §2) from saved step answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from intake.patient import choices

__all__ = ["build_document"]


def build_document(answers: dict[str, Any], signed_at: datetime) -> dict[str, Any]:
    about = answers["about"]["data"]
    goals = answers["goals"]["data"]
    history = dict(answers["history"]["data"])
    return {
        "patient": {
            "first_name": about["first_name"],
            "last_name": about["last_name"],
            "date_of_birth": about["date_of_birth"],
            "email": about["email"],
            "phone": about.get("phone"),
            "state_of_residence": about["state_of_residence"],
        },
        "diagnoses": answers["diagnoses"]["data"]["diagnoses"],
        "medications": answers["medications"]["data"]["medications"],
        "history": history,
        "goals": goals["goals"],
        "goal_notes": goals.get("goal_notes") or "",
        "ketosis": {"interested": answers["ketosis"]["data"]["interested"]},
        "consent": {
            "signed_name": answers["review"]["data"]["signed_name"],
            "signed_at": signed_at.isoformat(timespec="seconds") + "Z",
            "statements": [text for _, text in choices.CONSENT_STATEMENTS],
        },
    }
