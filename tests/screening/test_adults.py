"""The adult age the web checks at step 1 is the screening rule's own (flags.yaml UNDER_18)."""

from __future__ import annotations

from datetime import date

from workflows.screening import default_rules
from workflows.screening.adults import adult_age, is_under_age
from workflows.screening.rules import age_on


def test_the_adult_age_is_the_under_18_rules_age() -> None:
    [flag] = [flag for flag in default_rules().flags if flag.code == "UNDER_18"]
    [trigger] = flag.triggers
    assert adult_age() == trigger["years"] == 18


def test_a_leap_day_baby_turns_18_on_1_march() -> None:
    born = date(2008, 2, 29)
    assert is_under_age(born, date(2026, 2, 28))
    assert not is_under_age(born, date(2026, 3, 1))
    assert age_on(born, date(2026, 2, 28)) == 17
