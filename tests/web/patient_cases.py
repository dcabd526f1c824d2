"""A patient's intake brought to each state the way it gets there: submitted through the
pages, screened and routed by the pipeline (in-process), then moved by the staff's actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update

from tests.staff.helpers import make_staff
from tests.web.intake_client import ABOUT, complete_until
from workflows.cases import casework, pipeline
from workflows.cases.models import Case, CaseStatus
from workflows.messaging.mail import DatabaseOutbox

SPANISH = "es-MX,es;q=0.9"
OUT_OF_STATE_ABOUT = {**ABOUT, "state_of_residence": "KS"}
# A medication with no hard stop, so an out-of-state patient's only hard stop is their state.
SYNTHROID = {"rows-0-name": "Synthroid 75 mcg", "rows-0-dose": "1 tab", "rows-0-status": "current"}


def submitted(app: Any, language: str = "en", **steps: Any) -> tuple[Any, int]:
    """A patient's client (in ``language``) whose intake was just submitted, and its case id.
    ``steps``: complete_until's `about` and `medications`."""
    client = app.test_client()
    if language == "es":
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH
    complete_until(client, "review", **steps)
    with app.extensions["ldn"].sessions() as db:
        case_id = db.scalars(select(Case.id).order_by(Case.id.desc())).first()
    return client, case_id


def routed(app: Any, language: str = "en", **steps: Any) -> tuple[Any, int]:
    """As `submitted`, then screened and routed (Norco by default: the coordinator queue)."""
    client, case_id = submitted(app, language, **steps)
    pipeline.process(app.extensions["ldn"].sessions, case_id, DatabaseOutbox())
    return client, case_id


def case_row(app: Any, case_id: int) -> Case:
    with app.extensions["ldn"].sessions() as db:
        case = db.get(Case, case_id)
        db.expunge(case)
        return case


def staff_of(app: Any) -> dict[str, int]:
    """The staff accounts of tests.staff.helpers, made once per app."""
    if "test_staff" not in app.extensions:
        app.extensions["test_staff"] = make_staff(app)
    staff: dict[str, int] = app.extensions["test_staff"]
    return staff


def ask_for_information(app: Any, case_id: int) -> None:
    """A coordinator asks the patient to update their medications."""
    casework.request_info(
        app.extensions["ldn"].sessions,
        staff_of(app)["coordinator"],
        case_id,
        None,
        ["medications"],
        "Checking the opioid's dates",
        DatabaseOutbox(),
        lambda token: f"http://localhost/intake/amend?t={token}",
        message="When did you last take it?",
    )


def decline(app: Any, case_id: int) -> None:
    casework.decline(
        app.extensions["ldn"].sessions, staff_of(app)["coordinator"], case_id, None, "Opioid"
    )


def waitlist(app: Any, case_id: int) -> None:
    casework.waitlist(
        app.extensions["ldn"].sessions, staff_of(app)["coordinator"], case_id, None, "Full"
    )


def accept(app: Any, case_id: int) -> None:
    """Assigned to the Texas physician by a coordinator, then accepted by her."""
    sessions, staff = app.extensions["ldn"].sessions, staff_of(app)
    casework.assign(sessions, staff["coordinator"], case_id, None, staff["dr_tx"], "Reviewed")
    casework.accept(sessions, staff["dr_tx"], case_id, None)


# --- a patient whose case is at each plain stage (workflows.cases.patient_status) ------------
# Each takes the app and the patient's language and returns the patient's test client, whose
# session cookie a browser may share (tests.browser.conftest.share_session).


def received(app: Any, language: str) -> Any:
    return submitted(app, language)[0]


def screening_failed(app: Any, language: str) -> Any:
    """What the pipeline leaves after its last failed attempt (the staff retry it)."""
    client, case_id = submitted(app, language)
    with app.extensions["ldn"].sessions.begin() as db:
        db.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(status=CaseStatus.SCREENING_FAILED, last_error="OperationalError")
        )
    return client


def with_care_team(app: Any, language: str) -> Any:
    return routed(app, language)[0]


def waiting_for_answer(app: Any, language: str) -> Any:
    client, case_id = routed(app, language)
    ask_for_information(app, case_id)
    return client


def out_of_state(app: Any, language: str) -> Any:
    """Routed to the waitlist: Kansas is the only hard stop."""
    return routed(app, language, about=OUT_OF_STATE_ABOUT, medications=SYNTHROID)[0]


def accepted(app: Any, language: str) -> Any:
    client, case_id = routed(app, language)
    accept(app, case_id)
    return client


def declined(app: Any, language: str) -> Any:
    client, case_id = routed(app, language)
    decline(app, case_id)
    return client


PATIENT_AT_STAGE: dict[str, Callable[[Any, str], Any]] = {
    "received": received,
    "being_checked": screening_failed,
    "with_care_team": with_care_team,
    "waiting_for_answer": waiting_for_answer,
    "on_waitlist": out_of_state,
    "accepted": accepted,
    "not_able_to_continue": declined,
}
