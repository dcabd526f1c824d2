"""Sending one email through the SMTP server named by SMTP_URL.

    smtp://host:25                        plain SMTP (a relay on the same network)
    smtp://user:password@host:587?starttls  upgrade to TLS with STARTTLS, then log in
    smtps://user:password@host:465        TLS from the first byte (implicit TLS)

User and password are percent-decoded (a password with `@` or `/` is written `%40`, `%2F`).
TLS verifies the server's certificate against the system's trust store (or SSL_CERT_FILE).
The password travels only inside TLS unless the URL asks for plain smtp:// with a user, which
only a relay on a private network should accept.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["SmtpServer", "SmtpUrlError", "send_email", "TIMEOUT_SECONDS"]

# A server that does not answer in this time is treated as down; the message waits for the
# next attempt (workflows/messaging/delivery.py), and the task stays well inside its time limit.
TIMEOUT_SECONDS = 10.0


class SmtpUrlError(ValueError):
    """SMTP_URL cannot be used: the message says what is wrong (never the password)."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise SmtpUrlError(
                f"SMTP_URL must start with smtp:// or smtps://, not {parts.scheme!r}://"
            )
        if not parts.hostname:
            raise SmtpUrlError("SMTP_URL names no host: write smtp://host:port")
        options = parse_qs(parts.query, keep_blank_values=True)
        unknown = set(options) - {"starttls"}
        if unknown:
            raise SmtpUrlError(
                f"SMTP_URL has unknown options {sorted(unknown)}: the only one is ?starttls"
            )
        implicit_tls = parts.scheme == "smtps"
        if implicit_tls and "starttls" in options:
            raise SmtpUrlError("SMTP_URL: smtps:// is TLS already; drop ?starttls")
        try:
            port = parts.port
        except ValueError as error:
            raise SmtpUrlError("SMTP_URL has a port that is not a number") from error
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit_tls else 25),
            implicit_tls=implicit_tls,
            starttls="starttls" in options,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password or "") if parts.username else None,
        )


def build_email(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = to
    email["Subject"] = subject
    email.set_content(body, charset="utf-8")  # accents and any script, as the patient wrote
    return email


def send_email(server: SmtpServer, sender: str, to: str, subject: str, body: str) -> None:
    """Send one message; raises smtplib.SMTPException or OSError when it could not."""
    email = build_email(sender, to, subject, body)
    context = ssl.create_default_context()
    if server.implicit_tls:
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            server.host, server.port, timeout=TIMEOUT_SECONDS, context=context
        )
    else:
        connection = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
    with connection as smtp:
        if server.starttls:
            smtp.starttls(context=context)
        if server.username:
            smtp.login(server.username, server.password or "")
        smtp.send_message(email)
