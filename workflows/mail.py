"""Messages to patients, through one small interface.

The default outbox writes each message to the database (shown at /dev/outbox in
development); with SMTP_URL set it also sends it by SMTP. Bodies say only what the patient
needs to act (links, the case reference): no health data, nothing the patient did not type.
Each message is written in the patient's language (the draft's or the case's), from the same
gettext catalogue as the web pages (workflows.i18n).
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy.orm import Session

from workflows.i18n import translations
from workflows.models import OutboxMessage, utcnow
from workflows.settings import Settings

__all__ = ["Message", "Outbox", "DatabaseOutbox", "SmtpOutbox", "outbox_for", "messages"]


@dataclass(frozen=True)
class Message:
    kind: str
    to: str
    subject: str
    body: str
    case_id: int | None = None


class Outbox(Protocol):
    def send(self, db: Session, message: Message) -> OutboxMessage: ...


class DatabaseOutbox:
    transport = "database"

    def send(self, db: Session, message: Message) -> OutboxMessage:
        row = OutboxMessage(
            kind=message.kind,
            to_address=message.to,
            subject=message.subject,
            body=message.body,
            case_id=message.case_id,
            transport=self.transport,
        )
        db.add(row)
        db.flush()
        return row


class SmtpOutbox(DatabaseOutbox):
    transport = "smtp"

    def __init__(self, smtp_url: str, sender: str) -> None:
        self._url = urlsplit(smtp_url)
        self._sender = sender

    def send(self, db: Session, message: Message) -> OutboxMessage:
        row = super().send(db, message)
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        smtp_class = smtplib.SMTP_SSL if self._url.scheme == "smtps" else smtplib.SMTP
        with smtp_class(
            self._url.hostname or "127.0.0.1", self._url.port or 25, timeout=20
        ) as smtp:
            if self._url.username:
                smtp.login(unquote(self._url.username), unquote(self._url.password or ""))
            smtp.send_message(email)
        row.sent_at = utcnow()
        return row


def outbox_for(settings: Settings) -> Outbox:
    if settings.smtp_url:
        return SmtpOutbox(settings.smtp_url, settings.mail_from)
    return DatabaseOutbox()


class messages:  # noqa: N801 - a namespace of message builders
    @staticmethod
    def resume_link(to: str, link: str, expires_days: int, language: str = "en") -> Message:
        gettext = translations(language).gettext
        return Message(
            "resume_link",
            to,
            gettext("Your LDN intake: link to continue"),
            gettext(
                "Hello,\n\nYou started an intake with our practice. To continue where you left "
                "off, open this link:\n\n%(link)s\n\nThe link works for %(days)s days. Keep it "
                "private: anyone with it can see your answers.\n"
            )
            % {"link": link, "days": expires_days},
        )

    @staticmethod
    def received(to: str, reference: str, case_id: int, language: str = "en") -> Message:
        gettext = translations(language).gettext
        return Message(
            "received",
            to,
            gettext("We received your intake (%(reference)s)") % {"reference": reference},
            gettext(
                "Hello,\n\nThank you. We received your intake; its reference is %(reference)s. "
                "A member of our care team will review it and contact you about next steps. You "
                "can check its status at any time with the link you used to continue your intake. "
                "We will never ask for your health details by email.\n"
            )
            % {"reference": reference},
            case_id,
        )

    @staticmethod
    def needs_info(
        to: str, reference: str, link: str, case_id: int, language: str = "en"
    ) -> Message:
        gettext = translations(language).gettext
        return Message(
            "needs_info",
            to,
            gettext("More information needed for your intake (%(reference)s)")
            % {"reference": reference},
            gettext(
                "Hello,\n\nOur care team needs a little more information to continue with your "
                "intake (%(reference)s). Please open this link to update your answers:\n\n"
                "%(link)s\n"
            )
            % {"reference": reference, "link": link},
            case_id,
        )
