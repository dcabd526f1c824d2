"""A patient whose every detail is distinctive: tests that look for personal data where it must
never be (logs, broker messages, webhook payloads) search for these strings."""

from __future__ import annotations

__all__ = ["CANARY_PATIENT", "CANARY_MEDICATION"]

CANARY_PATIENT = {
    "first_name": "Quintessa",
    "last_name": "Marblethorpe",
    "date_of_birth": "1971-03-17",
    "email": "quintessa.marblethorpe@example.org",
    "phone": "555-0199",
    "state_of_residence": "TX",
}
CANARY_MEDICATION = "Zorbulax 40 mg"  # an invented name: it must not surface anywhere either
