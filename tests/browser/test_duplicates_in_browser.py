"""Possible duplicates in a real browser: the same patient submits twice, the worker marks both
cases, a coordinator merges them; another pair is dismissed. On a desktop and a 390 px phone."""

from __future__ import annotations

import copy
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot, sign_in_staff
from tests.conftest import wait_until
from tests.staff.helpers import make_staff
from workflows.cases.models import Case, CaseDuplicate
from workflows.staff.models import AuditEntry

PHONE = {"width": 390, "height": 844}


TOKENS: dict[str, str] = {}


def submitted(client: Any, app: Any, document: dict[str, Any]) -> str:
    answer = client.post("/api/v1/intakes", json=document).get_json()
    reference, TOKENS[answer["id"]] = answer["id"], answer["access_token"]
    wait_until(lambda: status_of(app, reference) == "routed")
    return reference


def status_of(app: Any, public_id: str) -> str:
    with app.extensions["ldn"].sessions() as db:
        return db.scalars(select(Case.status).where(Case.public_id == public_id)).one()


def mark_states(app: Any) -> list[str]:
    with app.extensions["ldn"].sessions() as db:
        return list(db.scalars(select(CaseDuplicate.state).order_by(CaseDuplicate.id)))


def widest_in_duplicates(page: Any) -> float:
    """How far right the duplicates section and what is in it reach (px). The page as a whole
    is not measured: its conditions table is a few pixels too wide at 390 px already."""
    return page.evaluate(
        "Math.max(...[...document.querySelectorAll('.duplicates, .duplicates *')]"
        ".map(e => e.getBoundingClientRect().right))"
    )


def patient(base: dict[str, Any], first: str, last: str, email: str) -> dict[str, Any]:
    document = copy.deepcopy(base)
    document["patient"].update(first_name=first, last_name=last, email=email)
    return document


def test_a_duplicate_is_marked_on_both_cases_merged_and_another_dismissed(
    browser: Any, live_server: str, app: Any, client: Any, base_intake: dict[str, Any]
) -> None:
    make_staff(app)
    first = submitted(client, app, patient(base_intake, "Rosa", "Hernández", "Rosa@Example.org"))
    second = submitted(client, app, patient(base_intake, "Rosa", "Hernandez", "rosa@example.org"))
    # Another patient twice, by name and date of birth (two addresses).
    sam = submitted(client, app, patient(base_intake, "Sam", "Lee", "sam@example.org"))
    samantha = submitted(client, app, patient(base_intake, "SAM ", "lee", "s.lee@example.net"))
    wait_until(lambda: len(mark_states(app)) == 2)

    coordinator = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in_staff(coordinator, live_server, app, "coord@test")
    coordinator.goto(f"{live_server}/staff/queue")
    for reference in (first, second, sam, samantha):
        row = coordinator.locator("tr", has=coordinator.get_by_role("link", name=reference))
        expect(row.get_by_text("possible duplicate")).to_be_visible()
    screenshot(coordinator, "40-duplicates-queue")

    coordinator.get_by_role("link", name=second).click()
    mark = coordinator.locator(".duplicate-mark")
    expect(mark).to_contain_text(f"Possible duplicate of {first} (same email)")
    coordinator.get_by_text("Merge the two cases").click()
    screenshot(coordinator, "41-duplicates-case-marked")
    coordinator.set_viewport_size(PHONE)
    screenshot(coordinator, "41b-duplicates-case-marked-390px")
    assert widest_in_duplicates(coordinator) <= PHONE["width"]
    coordinator.set_viewport_size({"width": 1200, "height": 900})

    # The first case's page shows the same mark the other way round.
    coordinator.goto(f"{live_server}/staff/cases/{first}")
    expect(coordinator.locator(".duplicate-mark")).to_contain_text(
        f"Possible duplicate of {second} (same email)"
    )

    # Merge from the newer case's page: it is closed, the first one stays open.
    coordinator.goto(f"{live_server}/staff/cases/{second}")
    coordinator.get_by_text("Merge the two cases").click()
    coordinator.get_by_label(f"Close this case ({second}), keep {first} open").check()
    coordinator.locator(".duplicate-mark").get_by_label("Reason").first.fill(
        "Sent twice the same morning."
    )
    coordinator.get_by_role("button", name="Merge", exact=True).click()
    expect(coordinator.get_by_text("Merged: one case is closed")).to_be_visible()
    expect(coordinator.get_by_text(f"Closed as a duplicate of {first}")).to_be_visible()
    expect(coordinator.locator(".status-pill")).to_have_text("withdrawn")
    screenshot(coordinator, "42-duplicates-case-merged")
    coordinator.goto(f"{live_server}/staff/cases/{first}")
    expect(coordinator.get_by_text(f"{second} was merged into this case")).to_be_visible()
    expect(coordinator.locator(".duplicate-mark")).to_have_count(0)
    screenshot(coordinator, "43-duplicates-kept-case")
    assert status_of(app, first) == "routed" and status_of(app, second) == "withdrawn"
    # The patient asking about the closed case is told it is withdrawn (the wording is the
    # patient statuses' own), not an error.
    answer = client.get(
        f"/api/v1/intakes/{second}", headers={"Authorization": f"Bearer {TOKENS[second]}"}
    )
    assert answer.status_code == 200 and answer.get_json()["status"] == "withdrawn"

    # The other pair is two people: the mark is dismissed, with a reason, on a phone.
    phone = browser.new_context(viewport=PHONE).new_page()
    sign_in_staff(phone, live_server, app, "coord@test")
    phone.goto(f"{live_server}/staff/cases/{samantha}")
    expect(phone.locator(".duplicate-mark")).to_contain_text(
        f"Possible duplicate of {sam} (same name and date of birth)"
    )
    phone.locator("summary", has_text="Dismiss the mark").click()
    phone.get_by_role("button", name="Dismiss the mark").click()  # no reason yet
    # The page comes back with the form open, the error in the summary and beside the box.
    expect(phone.locator(".error-summary")).to_contain_text("Give a reason")
    expect(phone.locator(".error-summary")).to_be_focused()
    phone.locator(".duplicate-mark").get_by_label("Reason").last.fill(
        "Two people: father and daughter, same name."
    )
    phone.get_by_role("button", name="Dismiss the mark").click()
    expect(phone.get_by_text("The possible-duplicate mark was dismissed.")).to_be_visible()
    expect(phone.locator(".duplicate-mark")).to_have_count(0)
    expect(phone.locator(".history strong", has_text="duplicate dismissed")).to_be_visible()
    screenshot(phone, "44-duplicates-dismissed-390px")
    assert widest_in_duplicates(phone) <= PHONE["width"]
    assert mark_states(app) == ["merged", "dismissed"]

    coordinator.goto(f"{live_server}/staff/queue")
    expect(coordinator.get_by_text("possible duplicate")).to_have_count(0)
    with app.extensions["ldn"].sessions() as db:
        audited = set(db.scalars(select(AuditEntry.action)))
    assert {"merged", "duplicate_merged", "duplicate_dismissed"} <= audited
