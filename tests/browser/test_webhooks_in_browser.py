"""An admin registers a webhook in a real browser, sends a test event, and reads the outcome
of every delivery; screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot, sign_in_staff
from tests.conftest import wait_until
from tests.staff.helpers import make_staff
from tests.webhooks.receiver import Receiver, app_trusting, make_certificate
from workflows.messaging.models import WebhookDelivery


@pytest.fixture(name="certificate", scope="module")
def receiver_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(name="app")
def app_trusting_the_receiver(
    tmp_path: Path, redis_url: str, database_url: str, certificate: tuple[Path, Path]
) -> Any:
    return app_trusting(certificate[0], tmp_path, redis_url, database_url)


@pytest.fixture(name="receiver")
def https_receiver(certificate: tuple[Path, Path]) -> Iterator[Receiver]:
    server = Receiver(*certificate).start()
    yield server
    server.stop()


def outcomes(app: Any) -> list[str]:
    with app.extensions["ldn"].sessions() as db:
        return list(db.scalars(select(WebhookDelivery.status).order_by(WebhookDelivery.id)))


def test_an_admin_registers_a_webhook_tests_it_and_sees_each_delivery_outcome(
    page: Any, live_server: str, app: Any, client: Any, receiver: Receiver, base_intake: Any
) -> None:
    make_staff(app)
    sign_in_staff(page, live_server, app, "admin@test")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("Endpoint address (https://)").fill(receiver.url())
    page.get_by_label("Description").fill("Practice CRM")
    page.get_by_label("case.accepted").uncheck()
    page.get_by_role("button", name="Register endpoint").click()
    expect(page.get_by_text("Copy it into the receiver now")).to_be_visible()
    secret = page.locator("[data-secret]").inner_text()
    screenshot(page, "40-admin-webhook-registered")
    page.reload()  # registers nothing twice, and the secret is gone
    expect(page.locator("[data-secret]")).to_have_count(0)
    expect(page.get_by_text("Practice CRM")).to_have_count(1)

    page.get_by_role("button", name="Send a test event").click()
    expect(page.get_by_text("Test event sent")).to_be_visible()
    (ping,) = wait_until(receiver.received)
    assert ping.is_signed_by(secret)

    receiver.answer_with(500)
    client.post("/api/v1/intakes", json=base_intake)  # routed by the worker: the receiver fails
    wait_until(lambda: outcomes(app) == ["delivered", "failed"])
    page.goto(f"{live_server}/staff/admin/webhooks")
    deliveries = page.locator("#deliveries")
    expect(deliveries.get_by_text("case.routed")).to_be_visible()
    expect(deliveries.get_by_text("failed", exact=True)).to_be_visible()
    expect(deliveries.get_by_text("500", exact=True)).to_be_visible()
    expect(deliveries.get_by_text("delivered", exact=True)).to_be_visible()
    assert secret not in page.content()
    screenshot(page, "41-admin-webhook-deliveries")

    page.get_by_label("Outcome").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(deliveries.get_by_text("test.ping")).to_have_count(0)
    expect(deliveries.get_by_text("case.routed")).to_be_visible()
