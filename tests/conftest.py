"""Shared test fixtures: paths to the project and to the shared acceptance cases."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# The acceptance cases live beside the repository (../shared/cases), as CI lays them out.
SHARED_CASES = Path(os.environ.get("LDN_SHARED_CASES", REPO_ROOT.parent / "shared" / "cases"))


def shared_case_files() -> list[Path]:
    files = sorted(SHARED_CASES.glob("*.json"))
    if not files:
        raise RuntimeError(
            f"No acceptance cases found in {SHARED_CASES}: clone the repository beside shared/ "
            "or set LDN_SHARED_CASES to the folder of *.json cases."
        )
    return files


def load_case(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def base_intake() -> dict[str, Any]:
    """A complete, valid, eligible intake that each test bends to its purpose."""
    return {
        "submitted_at": "2026-11-01",
        "patient": {
            "first_name": "Test",
            "last_name": "Patient",
            "date_of_birth": "1980-04-02",
            "email": "test.patient@example.org",
            "phone": "555-0100",
            "state_of_residence": "TX",
        },
        "diagnoses": [{"name": "fibromyalgia"}],
        "medications": [],
        "history": {
            "pregnant": False,
            "breastfeeding": False,
            "liver_disease": "none",
            "organ_transplant": False,
            "planned_surgery_date": None,
            "diabetes": "none",
            "eating_disorder": False,
            "pancreatitis": False,
            "kidney_stones": False,
            "gallbladder_disease": False,
            "inborn_metabolic_disorder": False,
            "naltrexone_allergy": False,
            "notes": "",
        },
        "goals": [{"goal": "fatigue", "severity": 5}],
        "ketosis": {"interested": False},
    }
