"""What the staff lists call a case's rule-data keys: a condition's label, a flag's kind, and the
decision as a badge whose words say what its colour shows (never the colour alone).

Read from the rule data (schemas/rules/conditions.yaml and flags.yaml) once per process, without
loading the whole rule set: the web worker shows labels, it does not screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import yaml

__all__ = [
    "Badge",
    "condition_label",
    "decision_badge",
    "flag_badge",
    "age_in_years",
]

RULES_DIR = Path(__file__).resolve().parents[2] / "schemas" / "rules"


@dataclass(frozen=True)
class Badge:
    kind: str  # "stop", "review", "caution", "keto", "eligible", "none": the CSS modifier
    text: str  # the words the badge shows


# The screening contract's decisions (shared/domain/screening-contract.md): ineligible means a
# hard stop fired, needs_review a question only a person can settle, cautions an LDN caution.
_DECISIONS = {
    "ineligible": Badge("stop", "Hard stop"),
    "needs_review": Badge("review", "Review"),
    "eligible_with_cautions": Badge("caution", "Caution"),
    "eligible": Badge("eligible", "Eligible"),
}
_FLAG_KINDS = {
    "hard_stop": Badge("stop", "Hard stop"),
    "review": Badge("review", "Review"),
    "caution": Badge("caution", "Caution"),
    "keto_stop": Badge("keto", "Ketosis stop"),
    "keto_caution": Badge("keto", "Ketosis caution"),
}


@cache
def _condition_labels() -> Mapping[str, str]:
    document = yaml.safe_load((RULES_DIR / "conditions.yaml").read_text(encoding="utf-8"))
    return {entry["key"]: entry["label"] for entry in document["conditions"]}


@cache
def _flag_kinds() -> Mapping[str, str]:
    document = yaml.safe_load((RULES_DIR / "flags.yaml").read_text(encoding="utf-8"))
    return {entry["code"]: entry["kind"] for entry in document["flags"]}


def condition_label(key: str | None) -> str | None:
    """The condition's label ("Crohn's disease"); the key itself if the rule data no longer
    has it (a case screened under an older rule set), None for no condition."""
    if not key:
        return None
    return _condition_labels().get(key, key.replace("_", " "))


def decision_badge(decision: str | None) -> Badge:
    return _DECISIONS.get(decision or "", Badge("none", "Not screened"))


def flag_badge(code: str) -> Badge:
    """A flag's kind as a badge; a code the rule data does not list (MEDICATION_UNIDENTIFIED
    is raised by the engine) is one for a person to review."""
    return _FLAG_KINDS.get(_flag_kinds().get(code, "review"), Badge("review", "Review"))


def age_in_years(born: date | None, today: date) -> int | None:
    """The patient's age today (not at submission): what a coordinator on the phone needs."""
    # As workflows.screening.rules.age_on counts it; not imported from there, since that module
    # loads the matching libraries the web worker must not carry (tests/test_architecture.py).
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
