"""The admins' webhook page as use cases: each opens its own transaction, finds the admin
acting (for the audit entry) and applies the rule of webhooks.py, which audits the change.

The page's views held these transactions themselves; behind one call each, a view only reads
its form and renders. A test event is sent once its transaction commits (record_test_event).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from workflows.messaging import webhooks
from workflows.messaging.models import WebhookDelivery, WebhookEndpoint
from workflows.staff.accounts import acting_staff

__all__ = [
    "WebhooksPage",
    "read_webhooks_page",
    "register",
    "deactivate",
    "rotate_secret",
    "send_test_event",
]


@dataclass(frozen=True)
class WebhooksPage:
    endpoints: list[WebhookEndpoint]  # detached: their columns are loaded, nothing more
    deliveries: list[tuple[WebhookDelivery, str | None]]  # with their case's reference


def read_webhooks_page(sessions: sessionmaker[Session], status: str | None) -> WebhooksPage:
    """Every endpoint, and the newest deliveries (of one status, if given)."""
    with sessions() as db:
        return WebhooksPage(webhooks.endpoints_page(db), webhooks.deliveries_page(db, status))


def register(
    sessions: sessionmaker[Session],
    admin_id: int,
    url: str,
    description: str,
    event_types: Iterable[str],
    allow_local_http: bool,
    allow_loopback: bool = False,
) -> tuple[int, str]:
    """A new endpoint: its id and its secret, to show the admin once. Raises
    InvalidWebhookUrl (AddressNotAllowed for an address inside the network),
    InvalidEventTypes or StaffNotFound (nothing is saved). ``allow_loopback``: development
    only (Settings.is_development)."""
    with sessions.begin() as db:
        endpoint = webhooks.register_endpoint(
            db,
            acting_staff(db, admin_id),
            url,
            description,
            event_types,
            allow_local_http,
            allow_loopback,
        )
        return endpoint.id, endpoint.secret


def deactivate(sessions: sessionmaker[Session], admin_id: int, endpoint_id: int) -> int:
    """How many waiting deliveries were abandoned. Raises EndpointNotFound or StaffNotFound."""
    with sessions.begin() as db:
        return webhooks.deactivate_endpoint(db, acting_staff(db, admin_id), endpoint_id)


def rotate_secret(sessions: sessionmaker[Session], admin_id: int, endpoint_id: int) -> str:
    """The endpoint's new secret. Raises EndpointNotFound or StaffNotFound."""
    with sessions.begin() as db:
        return webhooks.rotate_secret(db, acting_staff(db, admin_id), endpoint_id)


def send_test_event(
    sessions: sessionmaker[Session],
    admin_id: int,
    endpoint_id: int,
    send_soon: Callable[[int], None],
) -> None:
    """Record a test event for one endpoint; ``send_soon`` asks a worker to send it after the
    commit. Raises EndpointNotFound or StaffNotFound."""
    with sessions.begin() as db:
        webhooks.record_test_event(db, acting_staff(db, admin_id), endpoint_id, send_soon=send_soon)
