"""A case's life: the states it may move between, and the one function that moves it.

The pipeline (received -> screening -> routed, or screening_failed), every staff action and
the patient's amendment all call `transition()`, so no code path can put a case in a state the
table below does not allow.
"""

from __future__ import annotations

from workflows.cases.models import OPEN_STATUSES, Case, CaseStatus

__all__ = [
    "TRANSITIONS",
    "OPEN_STATES",
    "TransitionNotAllowed",
    "transition",
    "COORDINATOR_ACTIONS",
    "possible_actions",
]

S = CaseStatus
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.RECEIVED: frozenset({S.SCREENING, S.SCREENING_FAILED, S.WITHDRAWN}),
    S.SCREENING: frozenset({S.ROUTED, S.SCREENING_FAILED, S.WITHDRAWN}),
    S.SCREENING_FAILED: frozenset({S.RECEIVED, S.ROUTED, S.DECLINED, S.WAITLISTED, S.WITHDRAWN}),
    # -> screening: a coordinator recorded what a medication is, and the case is screened again.
    S.ROUTED: frozenset(
        {
            S.ROUTED,
            S.ASSIGNED,
            S.ACCEPTED,
            S.NEEDS_INFO,
            S.DECLINED,
            S.WAITLISTED,
            S.WITHDRAWN,
            S.SCREENING,
        }
    ),
    S.NEEDS_INFO: frozenset({S.SCREENING, S.ROUTED, S.DECLINED, S.WITHDRAWN}),
    S.ASSIGNED: frozenset(
        {S.ACCEPTED, S.ROUTED, S.ASSIGNED, S.NEEDS_INFO, S.WITHDRAWN, S.SCREENING}
    ),
    S.WAITLISTED: frozenset({S.ROUTED, S.DECLINED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.WITHDRAWN}),
    S.DECLINED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
# The states in which a case waits for a person: the queues and the re-screen read these
# (defined with the table, whose partial indexes hold only these).
OPEN_STATES = OPEN_STATUSES


# A coordinator's action of the case page and the state it moves the case to: the page offers
# only the actions the table allows from the case's state (a closed case offers none of them).
COORDINATOR_ACTIONS: dict[str, CaseStatus] = {
    "retry": S.RECEIVED,
    "assign": S.ASSIGNED,
    "request-info": S.NEEDS_INFO,
    "reroute": S.ROUTED,
    "waitlist": S.WAITLISTED,
    "decline": S.DECLINED,
}


def possible_actions(status: str) -> list[str]:
    """The coordinator actions a case in ``status`` can take, in the page's order."""
    allowed = TRANSITIONS[CaseStatus(status)]
    return [action for action, to in COORDINATOR_ACTIONS.items() if to in allowed]


class TransitionNotAllowed(Exception):
    def __init__(self, case_id: int, from_state: str, to_state: str) -> None:
        super().__init__(f"case {case_id} cannot go from {from_state} to {to_state}")
        self.case_id, self.from_state, self.to_state = case_id, from_state, to_state


def transition(case: Case, to: CaseStatus) -> None:
    """Move the case to `to`, or raise TransitionNotAllowed if the table forbids it. The caller
    changes the fields that go with the move (queue, assignee, times) and records the event."""
    if to not in TRANSITIONS[CaseStatus(case.status)]:
        raise TransitionNotAllowed(case.id, case.status, to.value)
    case.status = to
