"""Signed webhooks: admins register HTTPS endpoints that hear about case events.

Plain functions, no Flask or Celery. ``record_event`` runs inside the caller's transaction and
adds one ``WebhookDelivery`` per subscribed endpoint (an outbox: a delivery exists if and only
if the state change committed). ``deliver`` sends one delivery, signed with HMAC-SHA256 over
``"{timestamp}.{body}"``, and records the outcome: delivered on 2xx, otherwise failed with the
status code or the error's class name, retried with exponential backoff until three days after
the event, then abandoned. Payloads carry ids and codes only, never personal data.

Endpoints may only be public addresses (address_policy.py): checked for every address the name
resolves to at registration, and again for the address each delivery dials (the connection is
made to that checked address, so a name re-pointed inside the network in between is refused).
Development (Settings.is_development) may call this machine's loopback as well.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import random
import secrets
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import SplitResult, urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from workflows.messaging.address_policy import Resolver, first_refused, resolve_host
from workflows.messaging.models import WebhookDelivery, WebhookEndpoint
from workflows.platform.after_commit import call_after_commit
from workflows.platform.database import rows_changed
from workflows.platform.orm import utcnow
from workflows.screening.codes import codes_of
from workflows.staff import audit
from workflows.staff.models import StaffUser

__all__ = [
    "EVENT_TYPES",
    "TEST_EVENT",
    "RETRY_WINDOW",
    "DeliveryStatus",
    "InvalidWebhookUrl",
    "AddressNotAllowed",
    "InvalidEventTypes",
    "EndpointNotFound",
    "Sender",
    "HttpsSender",
    "validate_url",
    "check_destination",
    "register_endpoint",
    "deactivate_endpoint",
    "rotate_secret",
    "record_event",
    "record_test_event",
    "payload_for",
    "sign",
    "signature_header",
    "verify_signature",
    "deliver",
    "due_deliveries",
    "retry_delay",
    "deliveries_page",
    "endpoints_page",
]

EVENT_TYPES = ("case.routed", "case.accepted", "case.declined")
TEST_EVENT = "test.ping"
# Retries stop three days after the event: a receiver down longer than that has to catch up
# from its own side (the admin page lists what was abandoned).
RETRY_WINDOW = timedelta(days=3)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
# A claimed delivery is not due again for this long: a second worker (or beat) does not send
# it while the first is sending, and a worker that died mid-send lets it go after the lease.
CLAIM_LEASE = timedelta(seconds=90)
SIGNATURE_HEADER = "LDN-Signature"
DEFAULT_TOLERANCE = 300
LOOPBACK_NAMES = {"localhost"}


class DeliveryStatus:
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # will be retried at next_attempt_at
    ABANDONED = "abandoned"  # retry window passed, or the endpoint was deactivated

    ALL = (PENDING, DELIVERED, FAILED, ABANDONED)
    DUE = (PENDING, FAILED)


class InvalidWebhookUrl(ValueError):
    """The address cannot take deliveries; the message says why, for the admin."""


class AddressNotAllowed(InvalidWebhookUrl):
    """The host is, or resolves to, an address inside the network (address_policy.may_dial).
    A delivery refused for it records this class name and makes no connection at all."""

    def __init__(self, host: str, address: str) -> None:
        self.host, self.address = host, address
        where = (
            f"{address} is an address"
            if host.strip("[]") == address
            else f"{host} resolves to {address}, an address"
        )
        super().__init__(f"{where} inside the network; webhooks may only call public addresses.")


class InvalidEventTypes(ValueError):
    pass


class EndpointNotFound(LookupError):
    pass


# --- endpoints -------------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_url(url: str, allow_local_http: bool = False) -> str:
    """The address, trimmed, if deliveries may go there; InvalidWebhookUrl otherwise."""
    url = (url or "").strip()
    if not url:
        raise InvalidWebhookUrl("Enter the endpoint's address (https://...).")
    if len(url) > 500:
        raise InvalidWebhookUrl("The address is too long (500 characters at most).")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise InvalidWebhookUrl("The address must start with https://.")
    if not parts.hostname:
        raise InvalidWebhookUrl("The address has no host name (https://host.example/path).")
    if parts.username or parts.password:
        raise InvalidWebhookUrl(
            "Leave user names and passwords out of the address: deliveries are signed instead."
        )
    if parts.fragment:
        raise InvalidWebhookUrl("Leave the #fragment out of the address.")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        raise InvalidWebhookUrl("The port in the address is not a valid number.") from None
    if parts.scheme == "http" and not (allow_local_http and _is_loopback(parts.hostname)):
        raise InvalidWebhookUrl(
            "The address must use https://: deliveries travel over the internet."
            + (
                " Plain http:// is allowed only to 127.0.0.1 or localhost."
                if allow_local_http
                else ""
            )
        )
    return url


def _default_port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def check_destination(
    url: str, allow_loopback: bool = False, resolve: Resolver = resolve_host
) -> None:
    """AddressNotAllowed if the URL's host is, or resolves to, any address a delivery may not
    dial. A name that does not resolve (yet) passes: every delivery checks again anyway."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        addresses = resolve(host, _default_port(parts))
    except (OSError, UnicodeError):
        return
    refused = first_refused(addresses, allow_loopback)
    if refused is not None:
        raise AddressNotAllowed(host, refused)


def _event_types(chosen: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(chosen))
    unknown = [event for event in chosen if event not in EVENT_TYPES]
    if unknown:
        raise InvalidEventTypes(f"Unknown event type: {', '.join(unknown)}.")
    if not chosen:
        raise InvalidEventTypes("Choose at least one event.")
    return [event for event in EVENT_TYPES if event in chosen]


def new_secret() -> str:
    """32 random bytes, hex; the prefix tells a leaked string for what it is."""
    return "whsec_" + secrets.token_hex(32)


def register_endpoint(
    db: Session,
    admin: StaffUser,
    url: str,
    description: str,
    event_types: Iterable[str],
    allow_local_http: bool = False,
    allow_loopback: bool = False,
    resolve: Resolver = resolve_host,
) -> WebhookEndpoint:
    """A new active endpoint with a fresh secret (show it to the admin once). Raises
    InvalidWebhookUrl (AddressNotAllowed for an address inside the network) or
    InvalidEventTypes."""
    url = validate_url(url, allow_local_http)
    check_destination(url, allow_loopback, resolve)
    endpoint = WebhookEndpoint(
        url=url,
        description=" ".join((description or "").split())[:200],
        secret=new_secret(),
        event_types={"events": _event_types(event_types)},
        is_active=True,
        created_by_id=admin.id,
    )
    db.add(endpoint)
    db.flush()
    audit.record(
        db,
        admin,
        "webhook_registered",
        endpoint_id=endpoint.id,
        url=endpoint.url,
        events=endpoint.event_types["events"],
    )
    return endpoint


def _endpoint(db: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise EndpointNotFound(endpoint_id)
    return endpoint


def deactivate_endpoint(db: Session, admin: StaffUser, endpoint_id: int) -> int:
    """No new deliveries, and none of its waiting ones is sent: returns how many were waiting."""
    endpoint = _endpoint(db, endpoint_id)
    endpoint.is_active = False
    waiting = rows_changed(
        db,
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status.in_(DeliveryStatus.DUE),
        )
        .values(
            status=DeliveryStatus.ABANDONED, next_attempt_at=None, last_error="EndpointDeactivated"
        ),
    )
    audit.record(db, admin, "webhook_deactivated", endpoint_id=endpoint.id, abandoned=waiting)
    return waiting


def rotate_secret(db: Session, admin: StaffUser, endpoint_id: int) -> str:
    """A new secret for the endpoint, used from the next attempt on (show it once)."""
    endpoint = _endpoint(db, endpoint_id)
    endpoint.secret = new_secret()
    audit.record(db, admin, "webhook_secret_rotated", endpoint_id=endpoint.id)
    return endpoint.secret


# --- events ----------------------------------------------------------------------------------


class WebhookSubject(Protocol):
    """What an event says about its case: ids, states and the screening result's codes. A
    case of workflows.cases is one; messaging needs no more, and so does not import cases."""

    id: int
    public_id: str
    status: str
    decision: str | None
    queue: str | None
    screening_result: dict[str, Any] | None
    rule_set_version: str | None


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def payload_for(
    case: WebhookSubject, event_type: str, event_id: str, occurred_at: datetime
) -> dict:
    """Ids and codes only: never the patient's name, contact details, dates, medications or
    anything typed. A receiver that needs more asks the staff API with its own credentials."""
    return {
        "id": event_id,
        "type": event_type,
        "occurred_at": _iso(occurred_at),
        "case": {
            "id": case.public_id,
            "status": case.status,
            "decision": case.decision,
            "queue": case.queue,
            "flags": codes_of(case.screening_result),
            "rule_set_version": case.rule_set_version,
        },
    }


def _new_event_id() -> str:
    return "evt_" + secrets.token_hex(16)


def record_event(
    db: Session,
    case: WebhookSubject,
    event_type: str,
    now: datetime | None = None,
    send_soon: Callable[[int], None] | None = None,
) -> list[WebhookDelivery]:
    """One delivery per active endpoint subscribed to ``event_type``, in the caller's
    transaction; due at once. Once that transaction commits, ``send_soon(delivery_id)`` asks a
    worker to send each; without it (or with the broker down) beat sends them when due."""
    if event_type not in EVENT_TYPES:
        raise InvalidEventTypes(f"Unknown event type: {event_type}.")
    now = now or utcnow()
    endpoints = db.scalars(select(WebhookEndpoint).where(WebhookEndpoint.is_active.is_(True))).all()
    deliveries = []
    for endpoint in endpoints:
        if event_type not in (endpoint.event_types or {}).get("events", []):
            continue
        event_id = _new_event_id()
        delivery = WebhookDelivery(
            event_id=event_id,
            endpoint_id=endpoint.id,
            event_type=event_type,
            case_id=case.id,
            payload=payload_for(case, event_type, event_id, now),
            status=DeliveryStatus.PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
        db.add(delivery)
        deliveries.append(delivery)
    db.flush()
    if send_soon is not None:
        for delivery in deliveries:
            call_after_commit(db, send_soon, delivery.id)
    return deliveries


def record_test_event(
    db: Session,
    admin: StaffUser,
    endpoint_id: int,
    now: datetime | None = None,
    send_soon: Callable[[int], None] | None = None,
) -> WebhookDelivery:
    """A signed ping to one endpoint, so an admin can check the receiver without a case; sent
    like record_event's deliveries once the transaction commits."""
    endpoint = _endpoint(db, endpoint_id)
    if not endpoint.is_active:
        raise EndpointNotFound(endpoint_id)
    now = now or utcnow()
    event_id = _new_event_id()
    delivery = WebhookDelivery(
        event_id=event_id,
        endpoint_id=endpoint.id,
        event_type=TEST_EVENT,
        case_id=None,
        payload={"id": event_id, "type": TEST_EVENT, "occurred_at": _iso(now)},
        status=DeliveryStatus.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    db.add(delivery)
    db.flush()
    if send_soon is not None:
        call_after_commit(db, send_soon, delivery.id)
    audit.record(db, admin, "webhook_test_sent", endpoint_id=endpoint.id, event_id=event_id)
    return delivery


# --- signatures ------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """hex HMAC-SHA256 of "{timestamp}.{body}" under the endpoint's secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """For receivers: is ``header`` (LDN-Signature) a signature of ``body`` under ``secret``,
    made within ``tolerance`` seconds of now? The timestamp is signed too, so a captured
    delivery cannot be replayed later."""
    fields: dict[str, list[str]] = {}
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


# --- delivery --------------------------------------------------------------------------------


class Sender(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST and return the status code; raise OSError or HTTPException when it fails
        (InvalidWebhookUrl for an address this sender may not reach)."""
        ...


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP (development's loopback) to the address ``dial`` chose and checked."""

    def __init__(
        self, host: str, port: int, timeout: float, dial: Callable[[str, int], socket.socket]
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self._dial = dial

    def connect(self) -> None:
        self.sock = self._dial(self.host, self.port)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the address ``dial`` chose and checked, verified (and SNI sent) for the host
    name of the URL: the name's certificate, the checked address's socket."""

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float,
        context: ssl.SSLContext,
        dial: Callable[[str, int], socket.socket],
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._tls = context
        self._dial = dial

    def connect(self) -> None:
        self.sock = self._tls.wrap_socket(
            self._dial(self.host, self.port), server_hostname=self.host
        )


@dataclass(frozen=True)
class HttpsSender:
    """POSTs with TLS verified against the system's CAs plus ``ca_bundle``; never follows a
    redirect (a 3xx is a failure) and reads no more of the answer than its status.

    Each POST resolves the host with ``resolve``, refuses (AddressNotAllowed, before any
    connection) if any address is not public (``allow_loopback``: this machine's too, for
    development), then connects to the checked address itself: a second lookup, which a name
    re-pointed in between could answer differently, never happens."""

    ca_bundle: str | None = None
    timeout: float = 10.0
    allow_local_http: bool = False
    allow_loopback: bool = False
    resolve: Resolver = resolve_host

    def _dial(self, host: str, port: int) -> socket.socket:
        addresses = self.resolve(host, port)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "the name resolves to no address")
        refused = first_refused(addresses, self.allow_loopback)
        if refused is not None:
            raise AddressNotAllowed(host, refused)
        failure: OSError | None = None
        for address in addresses:
            try:
                return socket.create_connection((address, port), timeout=self.timeout)
            except OSError as error:
                failure = error
        assert failure is not None
        raise failure

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        validate_url(url, self.allow_local_http)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host, port = parts.hostname or "", _default_port(parts)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            context = ssl.create_default_context()
            if self.ca_bundle:
                context.load_verify_locations(cafile=self.ca_bundle)
            connection = _PinnedHTTPSConnection(host, port, self.timeout, context, self._dial)
        else:
            connection = _PinnedHTTPConnection(host, port, self.timeout, self._dial)
        try:
            connection.request("POST", path, body=body, headers=dict(headers))
            return connection.getresponse().status
        finally:
            connection.close()


def retry_delay(attempts: int, jitter: Callable[[], float] = random.random) -> timedelta:
    """30 s, 1 min, 2 min, ... doubling per failed attempt, at most 6 h, plus up to 20 %
    jitter so receivers coming back up are not hit by every sender at once."""
    base = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)
    return base * (1 + 0.2 * jitter())


def _claim(db: Session, delivery_id: int, now: datetime) -> bool:
    claimed = rows_changed(
        db,
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status.in_(DeliveryStatus.DUE),
            or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= now),
        )
        .values(next_attempt_at=now + CLAIM_LEASE),
    )
    return claimed == 1


def _give_up(delivery: WebhookDelivery, error: str) -> str:
    delivery.status = DeliveryStatus.ABANDONED
    delivery.next_attempt_at = None
    delivery.last_error = error
    return delivery.status


def deliver(
    sessions: sessionmaker[Session],
    delivery_id: int,
    sender: Sender,
    now: Callable[[], datetime] = utcnow,
    jitter: Callable[[], float] = random.random,
) -> str | None:
    """Send one delivery if it is due, and record how it went. Returns its new status, or
    None when there was nothing to do (delivered, abandoned, not due yet, or being sent)."""
    with sessions.begin() as db:
        started = now()
        if not _claim(db, delivery_id, started):
            return None
        delivery = db.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        endpoint = delivery.endpoint
        if not endpoint.is_active:
            return _give_up(delivery, "EndpointDeactivated")
        if started > delivery.created_at + RETRY_WINDOW:
            return _give_up(delivery, "RetryWindowPassed")
        url, secret, event_id, event_type = (
            endpoint.url,
            endpoint.secret,
            delivery.event_id,
            delivery.event_type,
        )
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()

    # Outside any transaction: a slow receiver holds no database connection.
    timestamp = int(started.replace(tzinfo=UTC).timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ldn-intake-webhooks/1",
        SIGNATURE_HEADER: signature_header(secret, timestamp, body),
        "LDN-Event-Id": event_id,
        "LDN-Event-Type": event_type,
    }
    status_code: int | None = None
    error: str | None = None
    try:
        status_code = sender.post(url, body, headers)
    except (OSError, http.client.HTTPException, InvalidWebhookUrl) as failure:
        # The class name only: a message may quote the receiver's answer.
        error = type(failure).__name__

    with sessions.begin() as db:
        delivery = db.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        finished = now()
        delivery.attempts += 1
        delivery.last_status_code = status_code
        if status_code is not None and 200 <= status_code < 300:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = finished
            delivery.next_attempt_at = None
            delivery.last_error = None
            return delivery.status
        delivery.last_error = error or f"HTTP {status_code}"
        next_attempt = finished + retry_delay(delivery.attempts, jitter)
        if next_attempt > delivery.created_at + RETRY_WINDOW:
            return _give_up(delivery, delivery.last_error)
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = next_attempt
        return delivery.status


def due_deliveries(
    sessions: sessionmaker[Session], now: datetime | None = None, limit: int = 500
) -> list[int]:
    """Ids of deliveries waiting to be sent (pending or failed, next attempt now or earlier)."""
    with sessions() as db:
        query = (
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status.in_(DeliveryStatus.DUE),
                WebhookDelivery.next_attempt_at <= (now or utcnow()),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
            # A delivery being sent holds its row (its claim): pass over it, never wait.
            .with_for_update(skip_locked=True)
        )
        due = list(db.scalars(query))
        db.rollback()  # the sweep only reads: let go of the rows at once
        return due


def deliveries_page(
    db: Session, status: str | None = None, limit: int = 200
) -> list[tuple[WebhookDelivery, str | None]]:
    """The newest deliveries with their case reference, for the admin page."""
    query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
    if status:
        query = query.where(WebhookDelivery.status == status)
    # The payload names the case by its public id: no join to the cases' table.
    return [(delivery, _case_reference(delivery.payload)) for delivery in db.scalars(query)]


def _case_reference(payload: dict[str, Any]) -> str | None:
    case = payload.get("case") if isinstance(payload, dict) else None
    return case.get("id") if isinstance(case, dict) else None


def endpoints_page(db: Session) -> list[WebhookEndpoint]:
    return list(
        db.scalars(
            select(WebhookEndpoint).order_by(
                WebhookEndpoint.is_active.desc(), WebhookEndpoint.id.desc()
            )
        )
    )
