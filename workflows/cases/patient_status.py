"""What a patient is told about their intake: a short title and a plain explanation.

One function maps a case's state (and the little else that changes the truth for the patient:
the queue, whether we are licensed in their state) to one of seven stages a patient
understands. The staff's words (routed, queue, screening failed, decision codes) never reach
the patient, and each stage says the same in English and in Spanish.

What is deliberately not used: the screening's decision. A screening verdict is not a
physician's decision, and a patient learns only what a person has decided (accepted, not able
to continue), never what the software guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workflows.cases.models import CaseStatus
from workflows.platform.i18n import translations

__all__ = ["PatientStage", "PlainStatus", "plain_status", "OUT_OF_STATE", "WAITLIST_QUEUE"]

# The case's patient_state when the patient lives where no physician of ours is licensed
# (workflows.cases.pipeline.licensed_state_of).
OUT_OF_STATE = "OTHER"
WAITLIST_QUEUE = "waitlist"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "extract, do not translate"
    """Marks a message for the catalogue; `plain_status` translates it."""
    return message


class PatientStage(StrEnum):
    """Where the intake is, in the patient's terms (the status page marks the pill with it)."""

    RECEIVED = "received"
    BEING_CHECKED = "being_checked"
    WITH_CARE_TEAM = "with_care_team"
    WAITING_FOR_ANSWER = "waiting_for_answer"
    ACCEPTED = "accepted"
    ON_WAITLIST = "on_waitlist"
    NOT_ABLE_TO_CONTINUE = "not_able_to_continue"


TITLES: dict[PatientStage, str] = {
    PatientStage.RECEIVED: N_("Received"),
    PatientStage.BEING_CHECKED: N_("Being checked"),
    PatientStage.WITH_CARE_TEAM: N_("With the care team"),
    PatientStage.WAITING_FOR_ANSWER: N_("Waiting for your answer"),
    PatientStage.ACCEPTED: N_("Accepted"),
    PatientStage.ON_WAITLIST: N_("On the waitlist"),
    PatientStage.NOT_ABLE_TO_CONTINUE: N_("Not able to continue"),
}

RECEIVED = N_("We have received your intake and will check your answers shortly.")
# Also what a patient reads while screening failed: the fault is ours to fix, and nothing the
# patient could do would help, so they are not alarmed or asked to act.
BEING_CHECKED = N_("We are checking your answers. You do not need to do anything now.")
WITH_CARE_TEAM = N_(
    "Our care team is reviewing your intake and will contact you about next steps. You do "
    "not need to do anything now."
)
WAITING_FOR_ANSWER = N_(
    "Our care team needs more information from you. Please open the link in the email we "
    "sent you and answer there. We will continue with your intake once you have answered."
)
ACCEPTED = N_("A physician has accepted your intake and will contact you about next steps.")
# Never "a physician licensed in your state decides": for this patient there is none yet.
WAITLIST_OUT_OF_STATE = N_(
    "We are not yet licensed in your state, so your intake is on our waitlist. We will "
    "contact you if that changes."
)
WAITLIST = N_(
    "Your intake is on our waitlist. We will contact you when our care team can continue with it."
)
# Who to contact: the service has no setting for the practice's address or phone yet, so the
# patient is pointed to the practice and given the reference that finds their intake.
DECLINED = N_(
    "The practice is not able to continue with your intake. Our care team will contact you "
    "to explain. If you have questions, contact the practice and give your reference "
    "%(reference)s."
)
WITHDRAWN = N_(
    "This intake has been closed and will not go further. If you did not expect this or have "
    "questions, contact the practice and give your reference %(reference)s."
)

S = CaseStatus
# Every case state, in the patient's terms; routed, waitlisted and the out-of-state patient
# are settled in `plain_status` before this table is read.
_STAGE_AND_EXPLANATION: dict[CaseStatus, tuple[PatientStage, str]] = {
    S.RECEIVED: (PatientStage.RECEIVED, RECEIVED),
    S.SCREENING: (PatientStage.BEING_CHECKED, BEING_CHECKED),
    S.SCREENING_FAILED: (PatientStage.BEING_CHECKED, BEING_CHECKED),
    S.ROUTED: (PatientStage.WITH_CARE_TEAM, WITH_CARE_TEAM),
    S.ASSIGNED: (PatientStage.WITH_CARE_TEAM, WITH_CARE_TEAM),
    S.NEEDS_INFO: (PatientStage.WAITING_FOR_ANSWER, WAITING_FOR_ANSWER),
    S.ACCEPTED: (PatientStage.ACCEPTED, ACCEPTED),
    S.WAITLISTED: (PatientStage.ON_WAITLIST, WAITLIST),
    S.DECLINED: (PatientStage.NOT_ABLE_TO_CONTINUE, DECLINED),
    S.WITHDRAWN: (PatientStage.NOT_ABLE_TO_CONTINUE, WITHDRAWN),
}


@dataclass(frozen=True)
class PlainStatus:
    """A patient's status in their language: `title` for the pill, `explanation` below it."""

    stage: PatientStage
    title: str
    explanation: str


def plain_status(
    status: str,
    *,
    queue: str | None,
    patient_state: str | None,
    reference: str,
    language: str = "en",
) -> PlainStatus:
    """The status a patient reads for a case in ``status`` (a CaseStatus value), in
    ``language``. ``queue`` and ``patient_state`` are the case's; ``reference`` its public id,
    which the explanation of a closed intake quotes. Raises ValueError for an unknown status:
    a state nobody wrote words for must fail a test, not reach a patient as a code."""
    case_status = CaseStatus(status)
    stage, explanation = _STAGE_AND_EXPLANATION[case_status]
    waiting = case_status in (S.ROUTED, S.WAITLISTED)
    if waiting and patient_state == OUT_OF_STATE:
        # Whatever queue holds it, no physician of ours may treat this patient yet: the true
        # thing to say is that we are not licensed where they live.
        stage, explanation = PatientStage.ON_WAITLIST, WAITLIST_OUT_OF_STATE
    elif waiting and queue == WAITLIST_QUEUE:
        stage, explanation = PatientStage.ON_WAITLIST, WAITLIST
    gettext = translations(language).gettext
    return PlainStatus(
        stage, gettext(TITLES[stage]), gettext(explanation) % {"reference": reference}
    )
