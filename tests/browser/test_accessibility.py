"""Every page a patient or a staff member sees passes axe-core at WCAG 2.1 AA, and tells a
screen reader the name of each control, which are required and which are in error.

One server and one set of staff and cases serve the whole module; each test opens a fresh
browser context and brings it to its page (a patient's draft or a staff sign-in comes from the
Flask test client, through the session cookie).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from tests.browser.a11y import (
    assert_no_axe_violations,
    axe_violations,
    landmark_problems,
    required_controls,
    ungrouped_choices,
    unlinked_errors,
    unnamed_controls,
)
from tests.browser.conftest import open_care_team_link, screenshot, serving, share_session
from tests.browser.test_step_one_in_browser import WORDS, fill_step_1, type_birth_date
from tests.conftest import build_app, empty_redis_url, migrated_database, valid_intake
from tests.staff.helpers import login, routed_case
from tests.web.intake_client import ABOUT, YES_NO_QUESTIONS, complete_until, post_step
from tests.web.patient_cases import PATIENT_AT_STAGE, routed, staff_of
from workflows.cases import casework, pipeline
from workflows.cases.models import Case
from workflows.messaging.mail import DatabaseOutbox, newest_messages
from workflows.platform.orm import utcnow

STEPS = ["about", "diagnoses", "medications", "history", "goals", "ketosis", "review"]
HISTORY_QUESTIONS = [*YES_NO_QUESTIONS, "liver_disease", "diabetes"]
# What each step must expose as required (ids; radio groups by name).
REQUIRED = {
    "about": {
        "first_name",
        "last_name",
        *(f"date_of_birth-{part}" for part in ("month", "day", "year")),
        "email",
        "state_of_residence",
    },
    "diagnoses": set(),
    "medications": set(),
    "history": set(HISTORY_QUESTIONS),
    "goals": set(),
    "ketosis": {"interested"},
    "review": {"consent_accurate", "consent_review", "consent_contact", "signature"},
}


@dataclass
class Site:
    """The app served for this module, with staff accounts and routed cases in it."""

    app: Any
    base: str
    browser: Any
    opioid_case: str
    eligible_case: str
    staff_ids: dict[str, int]
    staff_clients: dict[str, Any] = field(default_factory=dict)

    def new_page(self) -> Any:
        context = self.browser.new_context(viewport={"width": 1100, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    def patient_past(self, page: Any, last_step: str | None) -> None:
        """A patient whose draft holds valid answers up to and including ``last_step``."""
        if last_step is None:
            return
        client = self.app.test_client()
        complete_until(client, last_step)
        share_session(page.context, client, self.base)

    def amend_link(self) -> str:
        """A new case on which a coordinator asked the patient to update their medications;
        the link the patient was sent (one per call: sending the answers uses it up)."""
        sessions = self.app.extensions["ldn"].sessions
        case = routed_case(self.app, valid_intake())
        tokens: list[str] = []
        casework.request_info(
            sessions,
            self.staff_ids["coordinator"],
            case.id,
            None,
            ["medications"],
            "Please list the supplements you take too.",
            DatabaseOutbox(),
            lambda token: tokens.append(token) or f"{self.base}/intake/amend?t={token}",
            message="Which supplements do you take?",
        )
        return f"{self.base}/intake/amend?t={tokens[0]}"

    def answered_case(self) -> str:
        """A Percocet case whose patient answered the coordinator's question and stopped it:
        the case page shows the question, the answer and the change in words."""
        sessions = self.app.extensions["ldn"].sessions
        intake = {**valid_intake(), "medications": [{"name": "Percocet", "status": "current"}]}
        case = routed_case(self.app, intake)
        tokens: list[str] = []
        casework.request_info(
            sessions,
            self.staff_ids["coordinator"],
            case.id,
            None,
            ["medications"],
            "OPIOID_CURRENT: stop date",
            DatabaseOutbox(),
            lambda token: tokens.append(token) or token,
            message="When did you last take Percocet?",
        )
        stopped = {
            **intake,
            "medications": [{"name": "Percocet", "status": "stopped", "stopped_on": "2026-10-20"}],
        }
        casework.patient_amend(sessions, tokens[0], stopped, None, "On 20 October.")
        pipeline.process(sessions, case.id, DatabaseOutbox())
        return case.public_id

    def staff(self, page: Any, email: str) -> None:
        """Signed in as this staff member (one sign-in per module and account)."""
        if email not in self.staff_clients:
            client = self.app.test_client()
            assert login(client, email).status_code == 302, f"{email} could not sign in"
            self.staff_clients[email] = client
        share_session(page.context, self.staff_clients[email], self.base)


@pytest.fixture(scope="module")
def site(
    browser: Any,
    redis_server: Any,
    postgres_admin_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("a11y")
    with migrated_database(folder, postgres_admin_url) as database_url:
        app = build_app(folder, empty_redis_url(redis_server), database_url)
        staff_ids = staff_of(app)  # make_staff's accounts, shared with the status pages' cases
        opioid = {
            **valid_intake(),
            # A medication nobody can identify too: the case page shows its form.
            "medications": [
                {"name": "Norco 10/325", "status": "current"},
                {"name": "white pill from urgent care", "status": "current"},
            ],
            "diagnoses": [{"name": "Crohn's disease", "icd10": "K50.90"}],
        }
        opioid_case = routed_case(app, opioid).public_id
        eligible_case = routed_case(app, valid_intake()).public_id
        # One case past its service target, so the queue shows its highlighted row.
        with app.extensions["ldn"].sessions() as db:
            db.execute(
                update(Case)
                .where(Case.public_id == opioid_case)
                .values(routed_at=utcnow() - timedelta(hours=30))
            )
            db.commit()
        with serving(app) as base:
            yield Site(app, base, browser, opioid_case, eligible_case, staff_ids)


# --- how to reach each page --------------------------------------------------------------------


def step_page(slug: str) -> Callable[[Site, Any], None]:
    def open_step(site: Site, page: Any) -> None:
        index = STEPS.index(slug)
        site.patient_past(page, STEPS[index - 1] if index else None)
        page.goto(f"{site.base}/intake/{slug}")
        assert page.get_by_text(f"Step {index + 1} of 7").is_visible()

    return open_step


# Input that each step refuses, so the step shows its error summary.
INVALID_INPUT: dict[str, Callable[[Any], None]] = {
    "about": lambda page: page.get_by_label("Email address").fill("not-an-email"),
    "diagnoses": lambda page: page.get_by_label("ICD-10 code (optional)").fill("not a code"),
    "medications": lambda page: (
        page.get_by_label("Medication or supplement").fill("oxycodone"),
        page.get_by_label("Do you take it now?").select_option("stopped"),
    ),
    "history": lambda page: page.get_by_label("Yes").first.check(),
    "goals": lambda page: None,
    "ketosis": lambda page: None,
    "review": lambda page: page.get_by_label("Type your full name as your signature").fill("X"),
}


def step_with_errors(slug: str) -> Callable[[Site, Any], None]:
    def open_step_with_errors(site: Site, page: Any) -> None:
        step_page(slug)(site, page)
        INVALID_INPUT[slug](page)
        page.locator("button[value=next]:visible").click()
        expect(page.locator(".error-summary")).to_be_visible()

    return open_step_with_errors


def about_with_a_two_digit_year(site: Site, page: Any) -> None:
    """Step 1 with the date of birth's year typed as 85: only the year box is in error."""
    step_page("about")(site, page)
    for part, typed in (("month", "4"), ("day", "2"), ("year", "85")):
        page.locator(f"#date_of_birth-{part}").fill(typed)
    page.locator("button[value=next]:visible").click()
    expect(page.locator("#date_of_birth-error")).to_be_visible()


def goals_named_errors(site: Site, page: Any) -> None:
    """Three goals without a severity: three errors, each naming its goal (issue 18, item 4)."""
    step_page("goals")(site, page)
    for goal in ("Sleep", "Pain", "Mood"):
        page.get_by_label(goal, exact=True).check()
    page.locator("button[value=next]:visible").click()
    expect(page.get_by_role("link", name="Sleep: choose how much it affects you")).to_be_visible()


def medications_named_errors(site: Site, page: Any) -> None:
    """Two stopped medications without a date, and a row without a name (item 4)."""
    step_page("medications")(site, page)
    page.locator("#rows-0-status").select_option("stopped")
    page.locator("button[value=add]").click()
    page.locator("#rows-1-dose").fill("10 mg")
    page.locator("button[value=next]:visible").click()
    expect(page.get_by_role("link", name="Medication 2: enter the medication name")).to_be_visible()


def notes_counted(site: Site, page: Any) -> None:
    """Notes typed in: the live count under the box, and its polite announcement (item 9)."""
    site.patient_past(page, "history")
    page.goto(f"{site.base}/intake/history")
    page.locator("#notes").press_sequentially("Hello")
    expect(page.locator("#notes ~ [aria-live=polite]")).to_have_text(
        "You have 3,995 characters remaining"
    )


def notes_over_limit(site: Site, page: Any) -> None:
    """5,000 characters pasted into the notes: the count says how many too many."""
    notes_counted(site, page)
    page.locator("#notes").fill("")
    page.locator("#notes").focus()
    page.keyboard.insert_text("The rash comes and goes. " * 200)
    expect(page.locator(".character-count-status")).to_have_text(
        "You have 1,000 characters too many"
    )


def notes_too_long(site: Site, page: Any) -> None:
    """The same notes sent: the error, with the text kept and the count still shown."""
    notes_over_limit(site, page)
    page.locator("button[value=next]:visible").click()
    expect(page.locator("#notes-error")).to_be_visible()


def medication_row_added(site: Site, page: Any) -> None:
    """Issue 18, item 7: "Add another medication" lands in the new row's first field."""
    step_page("medications")(site, page)
    page.locator("#rows-0-name").fill("Norco 10/325")
    page.locator("button[value=add]").click()
    page.wait_for_url("**/intake/medications#rows-1-name")
    expect(page.locator("#rows-1-name")).to_be_focused()


def medication_row_removed(site: Site, page: Any) -> None:
    """...and removing one lands on the row that took its place, with a status message."""
    medication_row_added(site, page)
    page.keyboard.type("aspirin")
    page.locator("button[value=remove-0]").click()
    page.wait_for_url("**/intake/medications#rows-0-name")
    # the script writes it again once the page is ready: wait for it
    expect(page.get_by_role("status").filter(has_text="Medication 1 removed.")).to_be_visible()


def diagnosis_last_row_removed(site: Site, page: Any) -> None:
    """The last row removed: the page lands on the add button."""
    step_page("diagnoses")(site, page)
    page.locator("button[value=add]").click()
    page.wait_for_url("**/intake/diagnoses#rows-1-name")
    page.locator("button[value=remove-1]").click()
    page.wait_for_url("**/intake/diagnoses#add-row")
    # the script writes it again once the page is ready: wait for it
    expect(page.get_by_role("status").filter(has_text="Diagnosis 2 removed.")).to_be_visible()


def confirmation(site: Site, page: Any) -> None:
    site.patient_past(page, "review")
    page.goto(f"{site.base}/intake/done")
    assert page.get_by_role("heading", name="Thank you, we received your intake").is_visible()


def patient_status(site: Site, page: Any) -> None:
    site.patient_past(page, "review")
    page.goto(f"{site.base}/intake/status")
    assert page.locator(".status-pill").is_visible()


def status_at(stage: str, language: str = "en") -> Callable[[Site, Any], None]:
    """The status page of a patient whose case is at this plain stage, in ``language``."""

    def open_status(site: Site, page: Any) -> None:
        client = PATIENT_AT_STAGE[stage](site.app, language)
        share_session(page.context, client, site.base)
        page.goto(f"{site.base}/language/{language}?next=/intake/status")
        assert page.locator(f".status-pill[data-stage={stage}]").is_visible()

    return open_status


# Every plain stage but "received" (the "status" page above), and the longest Spanish ones.
STATUS_PAGES = {
    **{
        f"status-{stage.replace('_', '-')}": status_at(stage)
        for stage in PATIENT_AT_STAGE
        if stage != "received"
    },
    "status-es-waiting-for-answer": status_at("waiting_for_answer", "es"),
    "status-es-not-able-to-continue": status_at("not_able_to_continue", "es"),
}


def amend_step(site: Site, page: Any) -> None:
    open_care_team_link(page, site.amend_link())
    page.wait_for_url("**/intake/amend/medications")
    assert page.get_by_text("Updating your intake: part 1 of 1").is_visible()
    assert page.get_by_text("Which supplements do you take?").is_visible()  # the question


def amend_send_changed(site: Site, page: Any) -> None:
    """The last page with a change listed in words, and the answer box typed in."""
    amend_step(site, page)
    page.get_by_label("Medication or supplement").fill("Vitamin D")
    page.get_by_label("Dose (optional)").fill("1000 IU")
    page.locator("button[value=next]:visible").click()
    page.wait_for_url("**/intake/amend/send")
    assert page.locator("ul.changes li").count() == 1
    page.get_by_label("Your answer to the question").fill("Vitamin D, 1000 IU a day.")


def amend_send_with_errors(site: Site, page: Any) -> None:
    """Nothing changed and nothing written: the patient is told, beside the answer box."""
    amend_send(site, page)
    page.get_by_role("button", name="Send my updated answers").click()
    expect(page.locator(".error-summary")).to_be_visible()


def amend_step_with_errors(site: Site, page: Any) -> None:
    amend_step(site, page)
    page.get_by_label("Dose (optional)").fill("10 mg at night")  # a dose with no name
    page.locator("button[value=next]:visible").click()
    expect(page.locator(".error-summary")).to_be_visible()


def amend_send(site: Site, page: Any) -> None:
    amend_step(site, page)
    page.locator("button[value=next]:visible").click()
    page.wait_for_url("**/intake/amend/send")


def amend_done(site: Site, page: Any) -> None:
    amend_send_changed(site, page)
    page.get_by_role("button", name="Send my updated answers").click()
    expect(page.get_by_text("your answers are updated")).to_be_visible()


def adults_only(language: str) -> Callable[[Site, Any], None]:
    """Step 1 sent with a child's date of birth: the page of its own (issue 18, item 2)."""

    def open_adults_only(site: Site, page: Any) -> None:
        page.goto(f"{site.base}/language/{language}?next=/intake/about")
        fill_step_1(page, WORDS[language], "2012-04-02", "TX")
        expect(page.get_by_role("heading", name=WORDS[language]["adults"])).to_be_visible()

    return open_adults_only


def adults_only_deleted(site: Site, page: Any) -> None:
    """The adults-only page's "Delete what I typed", done (issue 18, item 2)."""
    adults_only("en")(site, page)
    page.get_by_role("button", name=WORDS["en"]["delete"]).click()
    expect(page.get_by_role("heading", name=WORDS["en"]["typed_deleted"])).to_be_visible()


def adults_only_with_saved_answers(site: Site, page: Any) -> None:
    """Step 1 saved as an adult's, then sent again with a child's date: no delete offered."""
    client = site.app.test_client()
    post_step(client, "about", ABOUT)
    share_session(page.context, client, site.base)
    page.goto(f"{site.base}/intake/about")
    type_birth_date(page, WORDS["en"], "2012-04-02")
    page.get_by_role("button", name=WORDS["en"]["save"]).click()
    expect(page.get_by_role("heading", name=WORDS["en"]["adults"])).to_be_visible()
    expect(page.get_by_role("button", name=WORDS["en"]["delete"])).to_have_count(0)


def waitlist_choice(site: Site, page: Any) -> None:
    """Step 1 saved with a state we are not licensed in: the choice (issue 18, item 3)."""
    client = site.app.test_client()
    post_step(client, "about", {**ABOUT, "state_of_residence": "KS"})
    share_session(page.context, client, site.base)
    page.goto(f"{site.base}/intake/waitlist")
    assert page.get_by_role("button", name="Join the waitlist and continue").is_visible()


def waitlist_step(site: Site, page: Any) -> None:
    """A later step of a patient on the waitlist: its one short line."""
    waitlist_choice(site, page)
    page.get_by_role("button", name="Join the waitlist and continue").click()
    expect(page.get_by_text("You are on our waitlist")).to_be_visible()


def stopped(site: Site, page: Any) -> None:
    waitlist_choice(site, page)
    page.get_by_role("button", name="Stop and delete my answers").click()
    expect(page.get_by_role("heading", name="Your answers are deleted")).to_be_visible()


def start(site: Site, page: Any) -> None:
    page.goto(f"{site.base}/")


def resume_invalid(site: Site, page: Any) -> None:
    response = page.goto(f"{site.base}/intake/resume?t=not-a-real-token")
    assert response.status == 404


def resume_check(wrong_answers: int) -> Callable[[Site, Any], None]:
    """The emailed link opened in a browser new to the intake: the date of birth asked first,
    after ``wrong_answers`` wrong ones (five lock the link)."""

    def opened(site: Site, page: Any) -> None:
        client = site.app.test_client()
        complete_until(client, "about")
        [newest, *_] = [
            m
            for m in newest_messages(site.app.extensions["ldn"].sessions)
            if m.kind == "resume_link"
        ]
        token = re.search(r"/intake/resume\?t=(\S+)", newest.body).group(1)
        page.goto(f"{site.base}/intake/resume?t={token}")
        for _ in range(wrong_answers):
            for part, typed in (("month", "1"), ("day", "1"), ("year", "1990")):
                page.locator(f"#date_of_birth-{part}").fill(typed)
            page.get_by_role("button", name="Continue").click()
            page.wait_for_load_state()
        heading = "This link is locked for now" if wrong_answers >= 5 else "Confirm your date"
        assert page.get_by_role("heading", name=heading).is_visible()

    return opened


def amend_check(site: Site, page: Any) -> None:
    """The care team's link of an intake filled in through the pages, opened in a browser new
    to it: the date of birth first, as for the resume link."""
    _client, case_id = routed(site.app)
    tokens: list[str] = []
    casework.request_info(
        site.app.extensions["ldn"].sessions,
        site.staff_ids["coordinator"],
        case_id,
        None,
        ["medications"],
        "Please list the supplements you take too.",
        DatabaseOutbox(),
        lambda token: tokens.append(token) or token,
        message="Which supplements do you take?",
    )
    page.goto(f"{site.base}/intake/amend?t={tokens[0]}")
    assert page.get_by_role("heading", name="Confirm your date of birth").is_visible()


def privacy(language: str) -> Callable[[Site, Any], None]:
    def open_privacy(site: Site, page: Any) -> None:
        page.goto(f"{site.base}/language/{language}?next=/privacy")
        assert page.locator("html").get_attribute("lang") == language

    return open_privacy


def session_expired(language: str, with_draft: bool = False) -> Callable[[Site, Any], None]:
    """A step's form sent after its session ended (issue 18, item 6): without a draft, or
    with this browser's draft (a form older than the session it is sent in)."""

    def open_expired(site: Site, page: Any) -> None:
        site.patient_past(page, "about" if with_draft else None)
        step = "diagnoses" if with_draft else "about"
        page.goto(f"{site.base}/language/{language}?next=/intake/{step}")
        if with_draft:
            page.locator("input[name=csrf_token]").evaluate("input => { input.value = 'x'; }")
        else:
            page.context.clear_cookies()  # the language chosen goes too: the browser's remains
            page.context.set_extra_http_headers({"Accept-Language": language})
        page.locator("button[value=next]:visible").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator(".lead").is_visible()

    return open_expired


def start_after_submitting(site: Site, page: Any) -> None:
    """The start page of a browser that sent one intake and began another (issue 18, item
    12): the earlier one's status link and the offer of another."""
    client = site.app.test_client()
    complete_until(client, "review")
    share_session(page.context, client, site.base)
    page.goto(f"{site.base}/")
    page.get_by_role("button", name="Start another intake").click()
    page.wait_for_url("**/intake/about")
    page.goto(f"{site.base}/")
    assert page.locator("ul.sent-before").is_visible()


def submitted_start(site: Site, page: Any) -> None:
    site.patient_past(page, "review")
    page.goto(f"{site.base}/")
    assert page.get_by_role("button", name="Start another intake").is_visible()


def staff_login(site: Site, page: Any) -> None:
    page.goto(f"{site.base}/staff/login")


def staff_login_error(site: Site, page: Any) -> None:
    page.goto(f"{site.base}/staff/login")
    page.get_by_label("Email").fill("coord@test")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()


def queue(site: Site, page: Any) -> None:
    site.staff(page, "coord@test")
    page.goto(f"{site.base}/staff/queue")
    assert page.locator("tr.late").count() == 1


def coordinator_case(site: Site, page: Any) -> None:
    site.staff(page, "coord@test")
    page.goto(f"{site.base}/staff/cases/{site.opioid_case}")
    closed = page.locator("details:not([open]) > summary")
    while closed.count():
        closed.first.click()  # every action form open, so each is checked


def coordinator_case_identify_errors(site: Site, page: Any) -> None:
    """The identification form sent empty: its errors, with every other form open too."""
    coordinator_case(site, page)
    page.locator("#identify-1").get_by_role("button", name="Record and screen again").click()
    page.wait_for_load_state()
    assert page.locator("#identify-1 .field-error").count() == 2
    coordinator_case_details_open(page)


def coordinator_case_details_open(page: Any) -> None:
    # Opened without a click, which would take the focus from the error summary.
    page.locator("details").evaluate_all(
        "all => all.forEach((details) => { details.open = true; })"
    )


def coordinator_case_action_errors(site: Site, page: Any) -> None:
    """A coordinator's request for information sent with nothing in it: the form open with its
    errors beside the steps, the message and the reason, the summary at the top; every other
    form open too."""
    site.staff(page, "coord@test")
    page.goto(f"{site.base}/staff/cases/{site.opioid_case}")
    page.locator("#info-action").evaluate("details => { details.open = true; }")
    page.locator("#info-steps input:checked").uncheck()  # the medications step is pre-ticked
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_load_state()
    assert page.locator("#info-action .field-error").count() == 3
    coordinator_case_details_open(page)


def physician_case_decline_errors(site: Site, page: Any) -> None:
    """A physician's decline sent without its reason."""
    physician_case(site, page)
    page.get_by_role("button", name="Decline and return to coordinators").click()
    page.wait_for_load_state()
    assert page.locator("#physician-decline-reason-error").is_visible()


def webhooks_errors(site: Site, page: Any) -> None:
    """The admin's webhook registration sent with no address and no event."""
    site.staff(page, "admin@test")
    page.goto(f"{site.base}/staff/admin/webhooks")
    for box in page.locator("#wh-events input[type=checkbox]").all():
        box.uncheck()
    page.get_by_role("button", name="Register endpoint").click()
    page.wait_for_load_state()
    assert page.locator(".field-error").count() == 2


DUPLICATE_SURNAMES = ["Dupont", "Durand", "Duval", "Dumas"]


def duplicate_pair(site: Site) -> tuple[str, str]:
    """Two new cases of one patient (same email, a name and an address no other case has): the
    pipeline marks them possible duplicates of each other. Newest, earlier."""
    surname = DUPLICATE_SURNAMES.pop()  # a patient of its own for each page
    document = valid_intake()
    document["patient"].update(
        first_name="Dora", last_name=surname, email=f"dora.{surname.lower()}@example.org"
    )
    earlier = routed_case(site.app, document).public_id
    return routed_case(site.app, document).public_id, earlier


def coordinator_case_possible_duplicate(site: Site, page: Any) -> None:
    """A case marked a possible duplicate, with its merge and dismiss forms open."""
    newest, earlier = duplicate_pair(site)
    site.staff(page, "coord@test")
    page.goto(f"{site.base}/staff/cases/{newest}")
    assert page.locator(".duplicate-mark").get_by_role("link", name=earlier).is_visible()
    coordinator_case_details_open(page)


def coordinator_case_merged(site: Site, page: Any) -> None:
    """The case a merge kept open: it names the case closed into it (the closed one's notice
    is the same sentence the other way round)."""
    newest, earlier = duplicate_pair(site)
    site.staff(page, "coord@test")
    page.goto(f"{site.base}/staff/cases/{newest}")
    page.locator("summary", has_text="Merge the two cases").click()
    page.get_by_label(f"Close this case ({newest}), keep {earlier} open").check()
    page.locator(".duplicate-mark").get_by_label("Reason").first.fill("Sent twice.")
    page.get_by_role("button", name="Merge", exact=True).click()
    page.goto(f"{site.base}/staff/cases/{earlier}")
    assert page.get_by_text(f"{newest} was merged into this case").is_visible()


def coordinator_case_answered(site: Site, page: Any) -> None:
    site.staff(page, "coord@test")
    page.goto(f"{site.base}/staff/cases/{site.answered_case()}")
    assert page.locator(".question-card").get_by_text("On 20 October.").is_visible()


def dashboard(site: Site, page: Any) -> None:
    site.staff(page, "coord@test")
    page.goto(f"{site.base}/staff/dashboard")


def physician_list(site: Site, page: Any) -> None:
    site.staff(page, "tx@test")
    page.goto(f"{site.base}/staff/physician")
    assert page.get_by_role("link", name=site.eligible_case).is_visible()


def queue_search(term: str, shows: str) -> Callable[[Site, Any], None]:
    """The queue after a search for ``term``: its results, no result, or the term's error."""

    def searched(site: Site, page: Any) -> None:
        queue(site, page)
        page.get_by_label("Search by reference, name, email or date of birth").fill(term)
        page.get_by_role("button", name="Search").click()
        page.wait_for_load_state()
        assert page.get_by_text(shows).first.is_visible()

    return searched


def physician_search(site: Site, page: Any) -> None:
    physician_list(site, page)
    page.get_by_label("Search by reference, name, email or date of birth").fill("patient")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name=site.eligible_case).is_visible()


def physician_case(site: Site, page: Any) -> None:
    site.staff(page, "tx@test")
    page.goto(f"{site.base}/staff/cases/{site.eligible_case}")
    assert page.get_by_role("button", name="Accept this case").is_visible()


def admin_webhooks(site: Site, page: Any) -> None:
    site.staff(page, "admin@test")
    page.goto(f"{site.base}/staff/admin/webhooks")


def admin_webhook_address_refused(site: Site, page: Any) -> None:
    """An endpoint inside the network, refused with its reason (issue 16, item 6)."""
    admin_webhooks(site, page)
    page.get_by_label("Endpoint address (https://)").fill("https://169.254.169.254/latest")
    page.get_by_role("button", name="Register endpoint").click()
    page.wait_for_load_state()
    assert page.locator("#wh-url-error").is_visible()


def admin_operations(site: Site, page: Any) -> None:
    site.staff(page, "admin@test")
    page.goto(f"{site.base}/staff/admin/operations")
    assert page.get_by_role("heading", name="Operations", level=1).is_visible()


def staff_account(site: Site, page: Any) -> None:
    site.staff(page, "coord@test")
    page.goto(f"{site.base}/staff/account")
    assert page.get_by_role("button", name="Change password").is_visible()


def staff_account_password_errors(site: Site, page: Any) -> None:
    """The password form sent empty: nothing is checked against the account (no failed
    sign-in is counted), only the form's own errors."""
    staff_account(site, page)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()


def staff_enrol_with_password(site: Site, page: Any) -> None:
    """A signed-in coordinator setting up two-factor sign-in: the password is asked too."""
    site.staff(page, "coord@test")
    page.goto(f"{site.base}/staff/two-factor/enrol")
    assert page.get_by_label("Your password").is_visible()


PAGES: dict[str, Callable[[Site, Any], None]] = {
    "start": start,
    **{f"step-{slug}": step_page(slug) for slug in STEPS},
    **{f"step-{slug}-errors": step_with_errors(slug) for slug in STEPS},
    "step-about-date-of-birth-year-error": about_with_a_two_digit_year,
    "adults-only": adults_only("en"),
    "adults-only-es": adults_only("es"),
    "adults-only-saved-answers": adults_only_with_saved_answers,
    "adults-only-deleted": adults_only_deleted,
    "waitlist-choice": waitlist_choice,
    "waitlist-step": waitlist_step,
    "stopped": stopped,
    "step-goals-named-errors": goals_named_errors,
    "step-medications-named-errors": medications_named_errors,
    "step-history-notes-counted": notes_counted,
    "step-history-notes-over-limit": notes_over_limit,
    "step-history-notes-too-long": notes_too_long,
    "step-medications-row-added": medication_row_added,
    "step-medications-row-removed": medication_row_removed,
    "step-diagnoses-last-row-removed": diagnosis_last_row_removed,
    "confirmation": confirmation,
    "status": patient_status,
    **STATUS_PAGES,
    "resume-invalid": resume_invalid,
    "resume-check": resume_check(0),
    "resume-check-error": resume_check(1),
    "resume-check-locked": resume_check(5),
    "privacy": privacy("en"),
    "privacy-es": privacy("es"),
    "session-expired": session_expired("en"),
    "session-expired-es": session_expired("es"),
    "session-expired-with-draft": session_expired("en", with_draft=True),
    "start-submitted": submitted_start,
    "start-after-submitting": start_after_submitting,
    "amend-check": amend_check,
    "amend-step": amend_step,
    "amend-step-errors": amend_step_with_errors,
    "amend-send": amend_send,
    "amend-send-changed": amend_send_changed,
    "amend-send-errors": amend_send_with_errors,
    "amend-done": amend_done,
    "staff-login": staff_login,
    "staff-login-error": staff_login_error,
    "staff-queue": queue,
    "staff-queue-search": queue_search("test pat", "cases found."),
    "staff-queue-search-none": queue_search("nobody", "No case matches this search."),
    "staff-queue-search-error": queue_search("31/12/1980", "YYYY-MM-DD or MM/DD/YYYY"),
    "staff-case": coordinator_case,
    "staff-case-identify-errors": coordinator_case_identify_errors,
    "staff-case-possible-duplicate": coordinator_case_possible_duplicate,
    "staff-case-merged": coordinator_case_merged,
    "staff-case-answered": coordinator_case_answered,
    "staff-case-action-errors": coordinator_case_action_errors,
    "staff-dashboard": dashboard,
    "staff-webhooks-errors": webhooks_errors,
    "physician-cases": physician_list,
    "physician-search": physician_search,
    "physician-case": physician_case,
    "physician-case-decline-errors": physician_case_decline_errors,
    "staff-admin-webhooks": admin_webhooks,
    "staff-admin-webhooks-address-refused": admin_webhook_address_refused,
    "staff-admin-operations": admin_operations,
    "staff-account": staff_account,
    "staff-account-password-errors": staff_account_password_errors,
    "staff-enrol-with-password": staff_enrol_with_password,
}


@pytest.fixture(scope="module")
def opened(site: Site, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The page named by the parameter, open in a fresh browser context; the tests only read
    it, so each page is opened once for all the tests that check it."""
    page = site.new_page()
    PAGES[request.param](site, page)
    page.wait_for_load_state()
    yield page
    page.context.close()


@pytest.mark.parametrize("opened", PAGES, indirect=True, scope="module")
def test_the_page_has_no_wcag_21_aa_violations(opened: Any, request: pytest.FixtureRequest) -> None:
    assert_no_axe_violations(opened, request.node.callspec.params["opened"])


@pytest.mark.parametrize("opened", PAGES, indirect=True, scope="module")
def test_a_screen_reader_names_every_control_groups_every_choice_and_finds_the_landmarks(
    opened: Any,
) -> None:
    count, unnamed = unnamed_controls(opened)
    assert count > 0, "the accessibility tree shows no controls at all"
    assert not unnamed, "controls a screen reader cannot name:\n" + "\n".join(unnamed)
    ungrouped = ungrouped_choices(opened)
    assert not ungrouped, "choices outside a fieldset with a legend:\n" + "\n".join(ungrouped)
    landmarks = landmark_problems(opened)
    assert not landmarks, "\n".join(landmarks)


PATIENT_PAGES = [name for name in PAGES if not name.startswith(("staff", "physician"))]


@pytest.mark.parametrize("opened", PATIENT_PAGES, indirect=True, scope="module")
def test_the_patient_page_reflows_to_320_px_without_scrolling_sideways(
    opened: Any, request: pytest.FixtureRequest
) -> None:
    """WCAG 1.4.10: at 320 CSS px (a 1280 px window zoomed to 400%) nothing needs a
    horizontal scroll bar."""
    name = request.node.callspec.params["opened"]
    opened.set_viewport_size({"width": 320, "height": 900})
    try:
        width = opened.evaluate("document.documentElement.scrollWidth")
        if name == "step-history-errors":
            screenshot(opened, "32-a11y-history-errors-320px")
    finally:
        opened.set_viewport_size({"width": 1100, "height": 900})
    assert width <= 320, f"{name} is {width} px wide at a 320 px viewport"


@pytest.mark.parametrize(
    "opened", [f"step-{slug}" for slug in STEPS], indirect=True, scope="module"
)
def test_each_step_exposes_which_answers_are_required(
    opened: Any, request: pytest.FixtureRequest
) -> None:
    slug = request.node.callspec.params["opened"].removeprefix("step-")
    assert required_controls(opened) == REQUIRED[slug]


@pytest.mark.parametrize(
    "opened",
    [f"step-{slug}-errors" for slug in STEPS]
    + ["step-about-date-of-birth-year-error", "resume-check-error"]
    + ["step-goals-named-errors", "step-medications-named-errors", "step-history-notes-too-long"]
    + ["amend-step-errors", "amend-send-errors", "staff-case-identify-errors"]
    + ["staff-case-action-errors", "physician-case-decline-errors", "staff-webhooks-errors"]
    + ["staff-admin-webhooks-address-refused", "staff-account-password-errors"],
    indirect=True,
    scope="module",
)
def test_each_error_is_announced_with_its_field_and_the_summary_takes_focus(opened: Any) -> None:
    assert opened.locator(".field-error").count() > 0
    assert not unlinked_errors(opened), "\n".join(unlinked_errors(opened))
    summary = opened.get_by_role("alert")
    assert summary.evaluate("node => node === document.activeElement")


@pytest.mark.parametrize(
    "opened",
    [
        "step-medications-row-added",
        "step-medications-row-removed",
        "step-diagnoses-last-row-removed",
    ],
    indirect=True,
    scope="module",
)
def test_a_row_added_or_removed_keeps_focus_where_the_page_landed(opened: Any) -> None:
    """Issue 18, item 7: the field (or button) the fragment names has focus; the error
    summary's script does not take it, and there is no summary to take it."""
    target = opened.url.split("#", 1)[1]
    expect(opened.locator(f"#{target}")).to_be_focused()
    assert opened.get_by_role("alert").count() == 0


def test_screenshots_of_checked_pages(site: Site) -> None:
    """Pages after the accessibility fixes, for a person to look at."""
    for name in (
        "step-history-errors",
        "staff-queue",
        "staff-case",
        "staff-case-action-errors",
        "confirmation",
        "staff-admin-webhooks-address-refused",
    ):
        page = site.new_page()
        PAGES[name](site, page)
        path = screenshot(page, f"30-a11y-{name}")
        assert path.stat().st_size > 0
        page.context.close()


def test_the_checks_catch_what_they_look_for(site: Site) -> None:
    """The helpers above fail on a page with known faults (a check that cannot fail proves
    nothing)."""
    page = site.new_page()
    page.set_content(
        '<html><body><p style="color:#bbb">faint</p><input id="nameless">'
        '<input type="radio" name="r"><input type="radio" name="r"><a href="/x"></a></body></html>'
    )
    found = {violation["id"] for violation in axe_violations(page)}
    assert {"color-contrast", "html-has-lang", "document-title", "label", "link-name"} <= found
    assert len(unnamed_controls(page)[1]) == 4  # the text box, both radios and the link
    assert len(ungrouped_choices(page)) == 2
    page.context.close()
