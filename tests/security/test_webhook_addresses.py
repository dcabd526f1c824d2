"""Webhooks call public addresses only: not the loopback, private ranges, link-local (the cloud
metadata address 169.254.169.254) or names that resolve there, neither at registration nor at
connect time, and a refused delivery makes no connection, so error classes map no internal
ports (issue 16, item 6). Development may call this machine's loopback."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import build_app, wait_until
from tests.staff.helpers import csrf, login, make_staff
from tests.webhooks.receiver import RECEIVER_NAME, Receiver, make_certificate
from workflows.messaging import webhook_admin, webhooks
from workflows.messaging.address_policy import Resolver, may_dial
from workflows.messaging.models import WebhookDelivery, WebhookEndpoint
from workflows.staff.models import StaffUser

PAGE = "/staff/admin/webhooks"
PUBLIC = "93.184.216.34"
INSIDE = "inside the network; webhooks may only call public addresses"


# --- the policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        (PUBLIC, True),
        ("2606:2800:220:1::", True),
        ("8.8.8.8", True),
        ("::ffff:93.184.216.34", True),  # IPv4-mapped form of a public address
        ("64:ff9b::5db8:d822", True),  # NAT64 (DNS64) form of a public address
        ("127.0.0.1", False),
        ("127.1.2.3", False),
        ("::1", False),
        ("10.0.0.5", False),
        ("172.16.0.1", False),
        ("172.31.255.254", False),
        ("192.168.1.20", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("169.254.169.254", False),
        ("169.254.0.1", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("0.0.0.0", False),
        ("0.1.2.3", False),
        ("::", False),
        ("224.0.0.1", False),
        ("239.255.255.250", False),
        ("ff02::1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("192.0.0.8", False),
        ("192.0.2.10", False),
        ("198.51.100.7", False),
        ("203.0.113.9", False),
        ("198.18.0.1", False),
        ("2001:db8::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("::ffff:10.0.0.5", False),
        ("::ffff:0.0.0.0", False),
        ("::127.0.0.1", False),  # IPv4-compatible (deprecated)
        ("::169.254.169.254", False),
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("2002:a9fe:a9fe::", False),  # 6to4 of 169.254.169.254
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("localhost", False),  # a name is never an address to dial
        ("not an address", False),
    ],
)
def test_only_public_addresses_may_be_dialled(address: str, allowed: bool) -> None:
    assert may_dial(address) is allowed


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        (PUBLIC, True),
        ("10.0.0.5", False),
        ("169.254.169.254", False),
        ("::ffff:169.254.169.254", False),
        ("0.0.0.0", False),
        ("2002:7f00:1::", False),  # only the loopback itself, not a gateway's view of it
    ],
)
def test_development_may_dial_its_own_loopback_and_nothing_else_inside(
    address: str, allowed: bool
) -> None:
    assert may_dial(address, allow_loopback=True) is allowed


# --- registration ----------------------------------------------------------------------------


def resolving(table: dict[str, list[str]]) -> Resolver:
    """A resolver that answers from ``table`` (names of .test and .example never resolve)."""

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "unknown name")
        return table[host]

    return resolve


@pytest.fixture
def served(tmp_path: Path, redis_url: str, database_url: str) -> Any:
    """An app that serves other machines (not development): HOST=0.0.0.0 with its PUBLIC_URL."""
    app = build_app(
        tmp_path, redis_url, database_url, HOST="0.0.0.0", PUBLIC_URL="http://intake.lan:5000"
    )
    assert not app.extensions["ldn"].settings.is_development
    return app


def admin_client(app: Any) -> Any:
    make_staff(app)
    client = app.test_client()
    login(client, "admin@test")
    return client


def post_endpoint(client: Any, url: str) -> Any:
    return client.post(
        PAGE,
        data={
            "url": url,
            "description": "CRM",
            "events": ["case.routed"],
            "csrf_token": csrf(client, PAGE),
        },
    )


def endpoint_urls(app: Any) -> list[str]:
    with app.extensions["ldn"].sessions() as db:
        return list(db.scalars(select(WebhookEndpoint.url)))


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://10.0.0.5/hooks", "10.0.0.5 is an address"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254 is an address"),
        ("https://127.0.0.1:8443/hooks", "127.0.0.1 is an address"),
        ("https://[::1]/hooks", "::1 is an address"),
        ("https://[::ffff:169.254.169.254]/hooks", "::ffff:169.254.169.254 is an address"),
        ("https://[fd00::5]/hooks", "fd00::5 is an address"),
        ("https://0.0.0.0/hooks", "0.0.0.0 is an address"),
        ("https://localhost/hooks", "localhost resolves to"),
        ("https://2130706433/hooks", "2130706433 resolves to 127.0.0.1"),  # 127.0.0.1 as a number
    ],
)
def test_an_address_inside_the_network_is_refused_at_registration_with_the_reason(
    served: Any, url: str, says: str
) -> None:
    admin = admin_client(served)
    response = post_endpoint(admin, url)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert says in page and INSIDE in page
    assert f'value="{url}"' in page  # what was typed stays in the field
    assert endpoint_urls(served) == []


def test_development_registers_its_own_loopback_but_not_the_rest_of_the_network(
    app: Any,
) -> None:
    assert app.extensions["ldn"].settings.is_development
    admin = admin_client(app)
    assert post_endpoint(admin, "https://10.0.0.5/hooks").status_code == 400
    assert post_endpoint(admin, "https://169.254.169.254/hooks").status_code == 400
    assert post_endpoint(admin, "https://127.0.0.1:8443/hooks").status_code == 302
    assert endpoint_urls(app) == ["https://127.0.0.1:8443/hooks"]


@pytest.mark.parametrize(
    ("addresses", "refused"),
    [
        (["169.254.169.254"], "169.254.169.254"),
        ([PUBLIC, "10.0.0.5"], "10.0.0.5"),  # any address inside refuses the name
        (["2606:2800:220:1::", "fe80::1"], "fe80::1"),
    ],
)
def test_a_name_that_resolves_inside_the_network_is_refused_at_registration(
    served: Any, addresses: list[str], refused: str
) -> None:
    make_staff(served)
    resolve = resolving({"crm.partner.example": addresses})
    with served.extensions["ldn"].sessions.begin() as db:
        admin = db.scalars(select(StaffUser).where(StaffUser.email == "admin@test")).one()
        with pytest.raises(webhooks.AddressNotAllowed) as raised:
            webhooks.register_endpoint(
                db, admin, "https://crm.partner.example/hooks", "", ["case.routed"],
                resolve=resolve,
            )  # fmt: skip
    assert str(raised.value) == (f"crm.partner.example resolves to {refused}, an address {INSIDE}.")
    assert endpoint_urls(served) == []


def test_a_name_that_resolves_to_public_addresses_is_registered(served: Any) -> None:
    make_staff(served)
    resolve = resolving({"crm.partner.example": [PUBLIC, "2606:2800:220:1::"]})
    with served.extensions["ldn"].sessions.begin() as db:
        admin = db.scalars(select(StaffUser).where(StaffUser.email == "admin@test")).one()
        webhooks.register_endpoint(
            db, admin, "https://crm.partner.example/hooks", "", ["case.routed"], resolve=resolve
        )
    assert endpoint_urls(served) == ["https://crm.partner.example/hooks"]


# --- connect time ----------------------------------------------------------------------------


class CountingListener:
    """A TCP port on 127.0.0.1 that never answers: it counts the connections made to it. A
    connection the client completed waits in the accept queue, so counting needs no thread and
    no waiting."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.setblocking(False)
        self.port = self.socket.getsockname()[1]
        self.connections = 0

    def connections_made(self) -> int:
        while True:
            try:
                connection, _ = self.socket.accept()
            except BlockingIOError:
                return self.connections
            connection.close()
            self.connections += 1


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    counting = CountingListener()
    yield counting
    counting.socket.close()


def endpoint_and_delivery(app: Any, url: str) -> tuple[int, int]:
    """An endpoint stored as it is (as one registered before addresses were checked, or whose
    name pointed elsewhere then), with a test delivery waiting for it."""
    ids = make_staff(app)
    sessions = app.extensions["ldn"].sessions
    with sessions.begin() as db:
        endpoint = WebhookEndpoint(
            url=url,
            secret=webhooks.new_secret(),
            event_types={"events": ["case.routed"]},
            created_by_id=ids["admin"],
        )
        db.add(endpoint)
        db.flush()
        admin = db.get(StaffUser, ids["admin"])
        assert admin is not None
        delivery = webhooks.record_test_event(db, admin, endpoint.id)
        return endpoint.id, delivery.id


def outcome(app: Any, delivery_id: int) -> tuple[str, str | None, int | None]:
    with app.extensions["ldn"].sessions() as db:
        row = db.get(WebhookDelivery, delivery_id)
        assert row is not None
        return row.status, row.last_error, row.last_status_code


def test_a_name_re_pointed_inside_after_registration_is_refused_at_connect_time(
    served: Any, listener: CountingListener
) -> None:
    make_staff(served)
    url = f"https://crm.partner.example:{listener.port}/hooks"
    with served.extensions["ldn"].sessions.begin() as db:
        admin = db.scalars(select(StaffUser).where(StaffUser.email == "admin@test")).one()
        endpoint = webhooks.register_endpoint(
            db,
            admin,
            url,
            "",
            ["case.routed"],
            resolve=resolving({"crm.partner.example": [PUBLIC]}),
        )
        delivery_id = webhooks.record_test_event(db, admin, endpoint.id).id
    # DNS rebinding: by the time of the delivery the name answers with the loopback.
    sender = webhooks.HttpsSender(
        timeout=2, resolve=resolving({"crm.partner.example": ["127.0.0.1"]})
    )
    assert webhooks.deliver(served.extensions["ldn"].sessions, delivery_id, sender) == "failed"
    assert outcome(served, delivery_id) == ("failed", "AddressNotAllowed", None)
    assert listener.connections_made() == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "[::ffff:127.0.0.1]", "localhost"])
def test_an_endpoint_stored_with_an_inside_address_gets_no_connection(
    served: Any, listener: CountingListener, host: str
) -> None:
    _, delivery_id = endpoint_and_delivery(served, f"https://{host}:{listener.port}/hooks")
    sender = webhooks.HttpsSender(timeout=2)  # as a production worker builds it
    assert webhooks.deliver(served.extensions["ldn"].sessions, delivery_id, sender) == "failed"
    assert outcome(served, delivery_id) == ("failed", "AddressNotAllowed", None)
    assert listener.connections_made() == 0


def test_open_and_closed_internal_ports_fail_alike(served: Any, listener: CountingListener) -> None:
    """Before, an open port failed with a TLS or timeout error and a closed one with
    ConnectionRefusedError: the deliveries' page mapped the network's ports."""
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    sessions = served.extensions["ldn"].sessions
    _, to_open = endpoint_and_delivery(served, f"https://127.0.0.1:{listener.port}/h")
    with sessions.begin() as db:
        admin = db.scalars(select(StaffUser).where(StaffUser.email == "admin@test")).one()
        endpoint = WebhookEndpoint(
            url=f"https://127.0.0.1:{closed_port}/h",
            secret=webhooks.new_secret(),
            event_types={"events": ["case.routed"]},
            created_by_id=admin.id,
        )
        db.add(endpoint)
        db.flush()
        to_closed = webhooks.record_test_event(db, admin, endpoint.id).id
    sender = webhooks.HttpsSender(timeout=2)
    for delivery_id in (to_open, to_closed):
        webhooks.deliver(sessions, delivery_id, sender)
    assert outcome(served, to_open) == outcome(served, to_closed)
    assert outcome(served, to_open) == ("failed", "AddressNotAllowed", None)
    assert listener.connections_made() == 0


def test_the_worker_refuses_the_loopback_outside_development(
    served: Any, listener: CountingListener
) -> None:
    from celery.contrib.testing.worker import start_worker

    import workflows.cases.tasks  # noqa: F401 - registers the tasks on the app

    endpoint_id, _ = endpoint_and_delivery(served, f"https://127.0.0.1:{listener.port}/hooks")
    ldn = served.extensions["ldn"]
    with ldn.sessions() as db:
        admin_id = db.scalars(select(StaffUser.id).where(StaffUser.email == "admin@test")).one()
    with start_worker(ldn.celery, pool="threads", concurrency=1, perform_ping_check=False):
        webhook_admin.send_test_event(ldn.sessions, admin_id, endpoint_id, ldn.send_webhook)
        sent = wait_until(
            lambda: [
                row
                for row in webhook_admin.read_webhooks_page(ldn.sessions, "failed").deliveries
                if row[0].last_error
            ]
        )
    assert {delivery.last_error for delivery, _ in sent} == {"AddressNotAllowed"}
    assert listener.connections_made() == 0


# --- the address dialled is the address checked, and TLS still verifies the name ------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def receiver(certificate: tuple[Path, Path]) -> Iterator[Receiver]:
    server = Receiver(*certificate).start()
    yield server
    server.stop()


def test_the_connection_goes_to_the_checked_address_with_tls_for_the_name(
    certificate: tuple[Path, Path], receiver: Receiver
) -> None:
    port = receiver.server.server_port
    looked_up: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"]

    sender = webhooks.HttpsSender(
        ca_bundle=str(certificate[0]), timeout=5, allow_loopback=True, resolve=resolve
    )
    assert sender.post(f"https://{RECEIVER_NAME}:{port}/hooks", b"{}", {}) == 200
    # One lookup, by our resolver: nothing resolved the name a second time to connect.
    assert looked_up == [RECEIVER_NAME]
    (received,) = receiver.received()
    assert received.headers["Host"] == f"{RECEIVER_NAME}:{port}"
    # The certificate is checked against the URL's name, not the address dialled.
    with pytest.raises(ssl.SSLCertVerificationError):
        sender.post(f"https://other.receiver.test:{port}/hooks", b"{}", {})
    assert len(receiver.received()) == 1
