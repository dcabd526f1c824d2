"""Whether a date of birth is an adult's: the web asks at step 1, before the whole intake.

The age comes from the screening rule itself (schemas/rules/flags.yaml, the `age_under`
trigger of UNDER_18), so the page and the screening never disagree about who is a minor; the
rule still screens every submitted intake, the API's included. Its own module, as
``states.py`` is, so the web does not load the rule set and the matching engine for it.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import yaml

__all__ = ["FLAGS_PATH", "adult_age", "age_on", "is_under_age"]

FLAGS_PATH = Path(__file__).resolve().parents[2] / "schemas" / "rules" / "flags.yaml"


@cache
def adult_age() -> int:
    """The `years` of the UNDER_18 flag's `age_under` trigger (the worker validates the file
    against its schema at start-up, and a test)."""
    document = yaml.safe_load(FLAGS_PATH.read_text(encoding="utf-8"))
    for flag in document["flags"]:
        for trigger in flag["triggers"]:
            if flag["code"] == "UNDER_18" and trigger["type"] == "age_under":
                return int(trigger["years"])
    raise ValueError(f"{FLAGS_PATH}: UNDER_18 has no age_under trigger")


def age_on(born: date, day: date) -> int:
    """Whole years on ``day``, as workflows.screening.rules.age_on counts them (a 29 February
    birthday falls on 1 March in other years)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def is_under_age(born: date, today: date) -> bool:
    """True for someone the practice cannot see: younger than the adult age today."""
    return age_on(born, today) < adult_age()
