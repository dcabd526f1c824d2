"""Messages to patients, through one small interface.

The default outbox writes each message to the database (shown at /dev/outbox in
development); with SMTP_URL set a worker also sends it by SMTP once the transaction that wrote
it commits, and again with backoff while the server is away (workflows/messaging/delivery.py). Bodies
say only what the patient needs to act (links, the case reference): no health data, nothing
the patient did not type.
Each message is written in the patient's language (the draft's or the case's), from the same
gettext catalogue as the web pages (workflows.platform.i18n).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflows.messaging.delivery import SMTP_TRANSPORT
from workflows.messaging.models import OutboxMessage
from workflows.messaging.smtp import SmtpServer
from workflows.platform.after_commit import call_after_commit
from workflows.platform.i18n import translations
from workflows.platform.settings import Practice, Settings

__all__ = [
    "Message",
    "Outbox",
    "DatabaseOutbox",
    "SmtpOutbox",
    "outbox_for",
    "newest_messages",
    "messages",
    "signed",
]


@dataclass(frozen=True)
class Message:
    kind: str
    to: str
    subject: str
    body: str
    case_id: int | None = None
    language: str = "en"  # of the body, for the practice's signature (signed)


def signed(message: Message, practice: Practice) -> Message:
    """The message with the practice's contact details and privacy notice at its end, in the
    message's language: every message to a patient says who wrote and how to reach a person."""
    gettext = translations(message.language).gettext
    signature = gettext(
        "\n--\n%(name)s\nPhone: %(phone)s\nEmail: %(email)s\n"
        "How we use your information: %(privacy_url)s\n"
        "Please do not send health details by email: call us, or use your private link.\n"
    ) % {
        "name": practice.name,
        "phone": practice.phone,
        "email": practice.email,
        "privacy_url": practice.privacy_url,
    }
    return replace(message, body=message.body + signature)


class Outbox(Protocol):
    def send(self, db: Session, message: Message) -> OutboxMessage: ...


class DatabaseOutbox:
    """Signs every message with the practice's details (PRACTICE_*), then stores it."""

    transport = "database"

    def __init__(self, practice: Practice | None = None) -> None:
        self.practice = practice or Practice()

    def send(self, db: Session, message: Message) -> OutboxMessage:
        message = signed(message, self.practice)
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
    """Records the message like DatabaseOutbox, marked for SMTP; once the caller's
    transaction commits, `deliver_soon(message_id)` asks a worker to send it
    (workflows/messaging/delivery.py). Nothing is sent for a transaction that rolls back, and a server
    that is down never undoes the change that wrote the message."""

    transport = SMTP_TRANSPORT

    def __init__(
        self, deliver_soon: Callable[[int], None], practice: Practice | None = None
    ) -> None:
        super().__init__(practice)
        self._deliver_soon = deliver_soon

    def send(self, db: Session, message: Message) -> OutboxMessage:
        row = super().send(db, message)
        call_after_commit(db, self._deliver_soon, row.id)
        return row


def outbox_for(settings: Settings, deliver_soon: Callable[[int], None] | None = None) -> Outbox:
    """The database outbox; with SMTP_URL set, also delivered by SMTP through `deliver_soon`
    (a refused SMTP_URL stops start-up with a message that says why)."""
    if settings.smtp_url:
        SmtpServer.from_url(settings.smtp_url)
        return SmtpOutbox(deliver_soon or (lambda message_id: None), settings.practice)
    return DatabaseOutbox(settings.practice)


def newest_messages(sessions: sessionmaker[Session], limit: int = 100) -> list[OutboxMessage]:
    """The newest messages of the outbox, newest first (the development page /dev/outbox)."""
    with sessions() as db:
        return list(
            db.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit))
        )


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
            language=language,
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
            language,
        )

    @staticmethod
    def needs_info(
        to: str, reference: str, link: str, case_id: int, language: str = "en"
    ) -> Message:
        gettext = translations(language).gettext
        return Message(
            "needs_info",
            to,
            gettext("Our care team has a question about your intake (%(reference)s)")
            % {"reference": reference},
            gettext(
                "Hello,\n\nOur care team has a question about your intake (%(reference)s) and "
                "needs your answer to continue. Please open this link to read the question, "
                "answer it and update your answers if needed:\n\n%(link)s\n"
            )
            % {"reference": reference, "link": link},
            case_id,
            language,
        )

    @staticmethod
    def news(
        kind: str, to: str, reference: str, link: str | None, case_id: int, language: str = "en"
    ) -> Message:
        """A person decided about the case (``kind``: accepted, declined). The email says only
        that there is news, the same words whatever the decision: what was decided, and why,
        is health information, read behind the private link or from a person on the phone."""
        gettext = translations(language).gettext
        if link:
            where = gettext(
                "To read it, open your private link:\n\n%(link)s\n\nKeep it private: anyone "
                "with it can see your answers. It replaces the link in our earlier emails.\n"
            ) % {"link": link}
        else:
            where = gettext("To hear it, please call or email us (below).\n")
        return Message(
            kind,
            to,
            gettext("News about your intake (%(reference)s)") % {"reference": reference},
            gettext("Hello,\n\nThere is news about your intake (%(reference)s).")
            % {"reference": reference}
            + " "
            + where,
            case_id,
            language,
        )
