"""Mail to patients through a real SMTP server (aiosmtpd on 127.0.0.1, in a thread): the real
web app, Celery worker, database and Redis send it; a server that is down delays it and loses
nothing."""

from __future__ import annotations

import email
import email.policy
import logging
import smtplib
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from tests.conftest import build_app, wait_until
from tests.servers import free_port
from tests.web.intake_client import ABOUT, post_step
from workflows.messaging import delivery
from workflows.messaging.mail import Message, SmtpOutbox, signed
from workflows.messaging.models import OutboxMessage
from workflows.messaging.smtp import SmtpServer, SmtpUrlError, send_email

SENDER = "Clínica LDN <no-reply@clinic.example>"


class Inbox:
    """An aiosmtpd handler that keeps each message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"

    def with_subject(self, start: str) -> email.message.EmailMessage | None:
        return next((m for m in self.messages if m["Subject"].startswith(start)), None)


@contextmanager
def smtp_server(port: int, inbox: Inbox, **options: Any) -> Iterator[Controller]:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


class Capture(logging.Handler):
    """Every log record of the service, rendered with its extra fields."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("mail.log"):  # aiosmtpd: the server's logs, not ours
            self.records.append(record)

    def text(self) -> str:
        return "\n".join(f"{r.name} {r.getMessage()} {r.__dict__}" for r in self.records)


@pytest.fixture
def logs() -> Iterator[Capture]:
    capture = Capture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    yield capture
    root.removeHandler(capture)
    root.setLevel(previous)


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def app(tmp_path: Path, redis_url: str, database_url: str, smtp_port: int) -> Any:
    """The test app, sending mail to 127.0.0.1:smtp_port; a failed attempt waits 1 s."""
    return build_app(
        tmp_path,
        redis_url,
        database_url,
        SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
        MAIL_FROM=SENDER,
        MAIL_RETRY_SECONDS=1,
    )


def text(message: email.message.EmailMessage) -> str:
    """The body as written (SMTP carries lines ending in CRLF)."""
    return message.get_content().replace("\r\n", "\n")


def outbox_rows(app: Any) -> list[OutboxMessage]:
    with app.extensions["ldn"].sessions() as db:
        rows = list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.expunge_all()
        return rows


def test_the_resume_link_and_the_confirmation_reach_the_smtp_server(
    app: Any, client: Any, worker: Any, smtp_port: int, logs: Capture, base_intake: dict[str, Any]
) -> None:
    inbox = Inbox()
    with smtp_server(smtp_port, inbox):
        post_step(client, "about", ABOUT)  # the web request writes the resume link
        submitted = client.post("/api/v1/intakes", json=base_intake).get_json()
        wait_until(lambda: len(inbox.messages) == 2 and all(r.sent_at for r in outbox_rows(app)))

    resume = inbox.with_subject("Your LDN intake: link to continue")
    received = inbox.with_subject(f"We received your intake ({submitted['id']})")
    assert resume is not None and received is not None
    assert resume["To"] == ABOUT["email"] and received["To"] == base_intake["patient"]["email"]
    assert resume["From"] == SENDER == received["From"]  # the accent survives the header
    assert sorted(inbox.recipients) == sorted([[ABOUT["email"]], [base_intake["patient"]["email"]]])
    rows = outbox_rows(app)
    assert [text(resume), text(received)] == [row.body for row in rows]  # the link and all
    assert submitted["id"] in text(received) and "http://" in text(resume)
    assert [(r.kind, r.transport, r.sent_at is not None) for r in rows] == [
        ("resume_link", "smtp", True),
        ("received", "smtp", True),
    ]
    assert "mail.sent" in logs.text()
    for personal in [ABOUT["email"], ABOUT["first_name"], base_intake["patient"]["email"]]:
        assert personal not in logs.text()


def test_a_message_in_any_script_arrives_intact_in_utf_8(
    app: Any, worker: Any, smtp_port: int
) -> None:
    body = "Hola, José: su información está guardada. ¿Continúa mañana? Ça va. 日本語 ✓\n"
    inbox = Inbox()
    with smtp_server(smtp_port, inbox):
        outbox = app.extensions["ldn"].outbox
        assert isinstance(outbox, SmtpOutbox)
        with app.extensions["ldn"].sessions.begin() as db:
            outbox.send(db, Message("test", "josé.pérez@example.org", "Información ✓", body))
        wait_until(lambda: inbox.messages)

    [message] = inbox.messages
    assert message["Subject"] == "Información ✓" and message["To"] == "josé.pérez@example.org"
    # as written, then the practice's signature (workflows.messaging.mail.signed)
    assert text(message) == signed(Message("test", "", "", body), outbox.practice).body
    assert message.get_content_charset() == "utf-8"


def test_nothing_is_sent_for_a_change_that_rolls_back(
    app: Any, worker: Any, smtp_port: int
) -> None:
    inbox = Inbox()
    with smtp_server(smtp_port, inbox):
        outbox = app.extensions["ldn"].outbox
        with pytest.raises(RuntimeError), app.extensions["ldn"].sessions.begin() as db:
            outbox.send(db, Message("test", "a@example.org", "never", "never\n"))
            raise RuntimeError("the change fails after the message was written")
        with app.extensions["ldn"].sessions.begin() as db:
            outbox.send(db, Message("test", "b@example.org", "sent", "sent\n"))
        wait_until(lambda: inbox.messages)
    assert [m["Subject"] for m in inbox.messages] == ["sent"]
    assert [r.subject for r in outbox_rows(app)] == ["sent"]


def test_with_the_smtp_server_down_the_message_waits_and_goes_out_when_it_returns(
    app: Any, worker: Any, smtp_port: int, logs: Capture, base_intake: dict[str, Any]
) -> None:
    # Nothing listens on smtp_port yet.
    submitted = app.test_client().post("/api/v1/intakes", json=base_intake).get_json()

    def failed_once() -> OutboxMessage | None:
        rows = outbox_rows(app)
        return rows[0] if rows and rows[0].attempts else None

    row = wait_until(failed_once)
    assert row.sent_at is None and row.transport == "smtp" and row.given_up_at is None
    assert (row.attempts, row.last_error) == (1, "ConnectionRefusedError")
    [warning] = [r for r in logs.records if r.getMessage() == "mail.delivery_failed"]
    assert warning.levelno == logging.WARNING
    assert (warning.message_id, warning.kind, warning.attempt) == (row.id, "received", 1)
    page = app.test_client().get("/dev/outbox").get_data(as_text=True)
    assert "Not sent yet: 1 failed attempt (last: ConnectionRefusedError)" in page
    # The case itself went on: routed and notified, whatever the mail server does.
    status = app.test_client().get(
        f"/api/v1/intakes/{submitted['id']}",
        headers={"Authorization": f"Bearer {submitted['access_token']}"},
    )
    assert status.get_json()["status"] == "routed"

    sweep = worker.tasks["workflows.deliver_waiting_mail"]
    inbox = Inbox()
    with smtp_server(smtp_port, inbox):
        # Beat's sweep, as beat runs it every 30 s: it hands the message to the worker once
        # the backoff (1 s here) has passed.
        wait_until(lambda: sweep.apply().get() >= 1, timeout=10, interval=0.2)
        wait_until(lambda: outbox_rows(app)[0].sent_at)
    [message] = inbox.messages
    assert message["Subject"] == f"We received your intake ({submitted['id']})"
    assert sweep.apply().get() == 0  # nothing left to send
    assert base_intake["patient"]["email"] not in logs.text()


def test_the_smtp_server_may_require_a_login(smtp_port: int) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        assert isinstance(auth, LoginPassword)
        logins.append((auth.login, auth.password))
        return AuthResult(success=auth.password == b"p@ss/word")

    inbox = Inbox()
    url = f"smtp://mailer:p%40ss%2Fword@127.0.0.1:{smtp_port}"
    # Plain-text AUTH on 127.0.0.1 only: a real server would offer it inside TLS (?starttls).
    with smtp_server(smtp_port, inbox, authenticator=authenticator, auth_require_tls=False):
        send_email(SmtpServer.from_url(url), SENDER, "a@example.org", "Hello", "Hello\n")
        # A refused login is an SMTP error like any other: the message waits and is retried.
        with pytest.raises(smtplib.SMTPException):
            send_email(
                SmtpServer.from_url(url.replace("p%40ss", "wrong")), SENDER, "a@b.org", "x", "x"
            )
    assert logins[:2] == [(b"mailer", b"p@ss/word"), (b"mailer", b"wrong/word")]
    assert [m["Subject"] for m in inbox.messages] == ["Hello"]


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("smtp://mail.example", SmtpServer("mail.example", 25)),
        (
            "smtp://u:p%40w@mail.example:587?starttls",
            SmtpServer("mail.example", 587, starttls=True, username="u", password="p@w"),
        ),
        ("smtps://mail.example", SmtpServer("mail.example", 465, implicit_tls=True)),
    ],
)
def test_smtp_url_forms(url: str, server: SmtpServer) -> None:
    assert SmtpServer.from_url(url) == server


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://mail.example", "must start with smtp:// or smtps://"),
        ("smtp://", "names no host"),
        ("smtp://mail.example?tls=1", "unknown options ['tls']"),
        ("smtps://mail.example?starttls", "drop ?starttls"),
        ("smtp://mail.example:port", "port that is not a number"),
    ],
)
def test_a_bad_smtp_url_stops_start_up_with_a_clear_message(url: str, says: str) -> None:
    with pytest.raises(SmtpUrlError, match=says.replace("[", r"\[").replace("?", r"\?")):
        SmtpServer.from_url(url)


def test_the_app_and_the_worker_refuse_to_start_with_a_bad_smtp_url(
    tmp_path: Path, redis_url: str, database_url: str
) -> None:
    from workflows.platform.celery_app import make_celery
    from workflows.platform.settings import Settings

    bad = "smtp://user:hunter2@mail.example:twenty-five"
    with pytest.raises(SmtpUrlError, match="port that is not a number") as refused:
        build_app(tmp_path, redis_url, database_url, SMTP_URL=bad)
    assert "hunter2" not in str(refused.value)
    with pytest.raises(SmtpUrlError):
        make_celery(Settings.from_env({}, instance_path=tmp_path, smtp_url=bad))


def test_the_backoff_doubles_up_to_an_hour() -> None:
    first = timedelta(seconds=30)
    waits = [delivery.backoff(n, first).total_seconds() for n in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


@pytest.fixture
def tls_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1 (openssl), trusted by this process the way an
    operator trusts a private CA: SSL_CERT_FILE. Returns the server's TLS context."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def test_starttls_upgrades_the_connection_before_the_login(
    smtp_port: int, tls_certificate: ssl.SSLContext
) -> None:
    inbox = Inbox()
    seen_tls: list[bool] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        seen_tls.append(session.ssl is not None)
        return AuthResult(success=auth.password == b"secret")

    with smtp_server(
        smtp_port,
        inbox,
        tls_context=tls_certificate,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    ):
        url = f"smtp://mailer:secret@127.0.0.1:{smtp_port}?starttls"
        send_email(SmtpServer.from_url(url), SENDER, "a@example.org", "Über TLS", "Grüße\n")
        with pytest.raises(smtplib.SMTPException):  # without ?starttls the server refuses
            send_email(
                SmtpServer.from_url(url.removesuffix("?starttls")), SENDER, "a@b.org", "x", "x"
            )
    assert seen_tls == [True]
    [message] = inbox.messages
    assert message["Subject"] == "Über TLS" and text(message) == "Grüße\n"


def test_smtps_speaks_tls_from_the_first_byte(
    smtp_port: int, tls_certificate: ssl.SSLContext
) -> None:
    inbox = Inbox()
    with smtp_server(smtp_port, inbox, ssl_context=tls_certificate):
        url = f"smtps://127.0.0.1:{smtp_port}"
        send_email(SmtpServer.from_url(url), SENDER, "a@example.org", "Implicit", "TLS\n")
    assert [m["Subject"] for m in inbox.messages] == ["Implicit"]
