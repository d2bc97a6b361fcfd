"""`Mailer`: send one plain-text message. `SmtpMailer` talks to the configured SMTP server with `smtplib`.

One connection per message keeps a failure to one recipient from hiding the others' outcome; breach letters
are few and sent once, so the cost does not matter.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from custos.errors import ConfigurationError
from custos.settings import Settings


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str
    language: str = "en"


class MailError(Exception):
    """The server refused or could not be reached; the message says why without the address."""


class Mailer(Protocol):
    def send(self, message: Message) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    timeout: float = 30.0

    def send(self, message: Message) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        email["Content-Language"] = message.language
        email.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(email)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(type(exc).__name__ + (f" {exc.smtp_code}" if hasattr(exc, "smtp_code") else "")) from exc


def mailer_for(settings: Settings, default_sender: str) -> SmtpMailer:
    """The configured sender; refuses when no SMTP server is set rather than dropping letters silently."""
    if not settings.smtp_host:
        raise ConfigurationError("no SMTP server is configured; set smtp_host (see docs/settings.md)")
    return SmtpMailer(host=settings.smtp_host, port=settings.smtp_port, sender=settings.mail_from or default_sender)
