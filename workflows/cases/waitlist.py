"""The waitlist choice of a patient who lives where the practice is not licensed yet.

Asked once, between step 1 and step 2: join the waitlist (complete the intake, which we keep
until a physician licensed in their state joins) or stop (the draft is deleted). The choice
lives in the draft's saved step-1 answers, beside `raw` and `data`, so it needs no column of
its own and goes when step 1 says a licensed state. Plain functions of the answers; the
draft's storage is workflows.cases.drafts.
"""

from __future__ import annotations

from typing import Any

from workflows.screening.normalise import state_key
from workflows.screening.states import licensed_states

__all__ = [
    "CHOICE_KEY",
    "is_licensed",
    "lives_out_of_state",
    "is_on_waitlist",
    "must_choose",
    "keep_choice",
]

CHOICE_KEY = "waitlist"


def is_licensed(state: str | None) -> bool:
    return state_key(state or "") in licensed_states()


def lives_out_of_state(answers: dict[str, Any]) -> bool:
    """Step 1 is saved and names a state where no physician of ours is licensed."""
    state = answers.get("about", {}).get("data", {}).get("state_of_residence")
    return bool(state) and not is_licensed(state)


def is_on_waitlist(answers: dict[str, Any]) -> bool:
    return lives_out_of_state(answers) and answers["about"].get(CHOICE_KEY) is True


def must_choose(answers: dict[str, Any]) -> bool:
    """Out of state and not yet on the waitlist: the later steps wait for the choice."""
    return lives_out_of_state(answers) and not is_on_waitlist(answers)


def keep_choice(previous: dict[str, Any] | None, about: dict[str, Any]) -> dict[str, Any]:
    """Step 1 saved again: a patient on the waitlist stays on it while the state they give is
    still one we are not licensed in (a typo fixed, another unlicensed state); a licensed state
    ends it."""
    chose = previous is not None and previous.get(CHOICE_KEY) is True
    if chose and lives_out_of_state({"about": about}):
        return {**about, CHOICE_KEY: True}
    return {key: value for key, value in about.items() if key != CHOICE_KEY}
