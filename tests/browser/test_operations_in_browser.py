"""An admin opens the operations page in a real browser, sees a failed case and sends it
through screening again; screenshot in test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select, update

from tests.browser.conftest import screenshot, sign_in_staff
from tests.conftest import wait_until
from tests.staff.helpers import make_staff, routed_case
from workflows.cases.models import Case

PAGE_WIDTH = "document.scrollingElement.scrollWidth"


def test_an_admin_sees_a_failed_case_on_the_operations_page_and_retries_it(
    page: Any, browser: Any, live_server: str, app: Any, base_intake: Any
) -> None:
    make_staff(app)
    routed_case(app, base_intake)
    failed = routed_case(app, base_intake)
    sessions = app.extensions["ldn"].sessions
    with sessions.begin() as db:
        db.execute(
            update(Case)
            .where(Case.id == failed.id)
            .values(status="screening_failed", last_error="ScreeningTimeout")
        )
    sign_in_staff(page, live_server, app, "admin@test")
    page.get_by_role("link", name="Operations").click()
    expect(page.get_by_role("heading", name="Operations", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=failed.public_id)).to_be_visible()
    expect(page.get_by_text("ScreeningTimeout").first).to_be_visible()
    expect(page.get_by_text("Workers seen in the last 60 seconds")).to_be_visible()
    screenshot(page, "60-admin-operations")

    # On a 390 px phone the page never scrolls sideways: the admin's menu wraps (it made the
    # page 707 px wide), the failed cases become cards with their retry form.
    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.set_default_timeout(15_000)
    sign_in_staff(phone, live_server, app, "admin@test")
    phone.goto(f"{live_server}/staff/admin/operations")
    expect(phone.get_by_role("button", name=f"Retry case {failed.public_id}")).to_be_visible()
    assert phone.evaluate(PAGE_WIDTH) <= 390
    screenshot(phone, "60-admin-operations-390px")
    phone.context.close()

    page.get_by_label(f"Reason for case {failed.public_id}").fill("worker restarted")
    page.get_by_role("button", name=f"Retry case {failed.public_id}").click()
    expect(page.get_by_text("The case was sent through screening again.")).to_be_visible()

    def status() -> str:
        with sessions() as db:
            return db.scalars(select(Case.status).where(Case.id == failed.id)).one()

    # The test worker screens it again: it leaves the failed state.
    wait_until(lambda: status() == "routed")
    screenshot(page, "61-admin-operations-retried")
