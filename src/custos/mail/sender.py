"""`Mailer`: send one message. `SmtpMailer` talks to an SMTP server; `FileOutbox` writes `.eml` files.

One connection per message keeps a failure to one recipient from hiding the others' outcome; letters are
few and each is sent once, so the cost does not matter. `mailer_for` picks SMTP when a server is configured
and the outbox otherwise, so the embedded installation runs without a mail server and still shows every
letter it would have sent.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from custos.errors import ConfigurationError, InvalidInput

if TYPE_CHECKING:
    from custos.policy import Policy
    from custos.settings import Settings

TlsMode = Literal["none", "starttls", "ssl"]

log = logging.getLogger("custos.mail")

# Set by the sender itself; a caller's extra header must not replace them.
_OWN_HEADERS = frozenset(
    {"from", "to", "subject", "date", "message-id", "content-language", "content-type", "mime-version"}
)
_LOOPBACK = ("localhost", "127.0.0.1", "::1")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")


@dataclass(frozen=True)
class Message:
    """One letter to one address. `headers` are extra headers as (name, value) pairs, e.g. List-Unsubscribe
    (RFC 2369) and List-Unsubscribe-Post (RFC 8058) on mailings; `html` an optional HTML alternative."""

    to: str
    subject: str
    body: str
    language: str = "en"
    headers: tuple[tuple[str, str], ...] = ()
    html: str | None = None

    def __post_init__(self) -> None:
        for name, value in self.headers:
            if not _HEADER_NAME.match(name):
                raise InvalidInput(f"mail header name {name!r} is not a valid header name")
            if name.lower() in _OWN_HEADERS:
                raise InvalidInput(f"mail header {name} is set by the sender and cannot be given as an extra header")
            # A line break in a value would let it start a header of its own (header injection).
            if "\r" in value or "\n" in value:
                raise InvalidInput(f"mail header {name} contains a line break")
        for what, value in (("recipient", self.to), ("subject", self.subject)):
            if "\r" in value or "\n" in value:
                raise InvalidInput(f"the {what} of a mail contains a line break")

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class MailError(Exception):
    """The server refused or could not be reached; the message says why without the address."""


class Mailer(Protocol):
    def send(self, message: Message) -> None: ...


def to_email(message: Message, sender: str) -> EmailMessage:
    """The message as it goes on the wire: plain text first, then the HTML alternative if there is one."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    for name, value in message.headers:
        email[name] = value
    email.set_content(message.body)
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    # After the body: making the message multipart moves the Content-* headers set before it into the first part.
    email["Content-Language"] = message.language
    return email


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    timeout: float = 30.0
    tls: TlsMode = "none"
    user: str = ""
    password: str = field(default="", repr=False)
    # None: the system's trusted certificates; tests pass a context that trusts their own certificate.
    tls_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def send(self, message: Message) -> None:
        email = to_email(message, self.sender)
        try:
            with self._connect() as smtp:
                if self.tls == "starttls":
                    smtp.ehlo()
                    if not smtp.has_extn("starttls"):
                        # Sending anyway would put the letter, and perhaps the password, on the wire in clear.
                        raise MailError("the server does not offer STARTTLS (smtp_tls = starttls)")
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if self.user:
                    self._login(smtp)
                smtp.send_message(email)
        except smtplib.SMTPException as exc:
            code = getattr(exc, "smtp_code", None)
            raise MailError(type(exc).__name__ + (f" {code}" if code is not None else "")) from exc
        except (OSError, ssl.SSLError) as exc:
            raise MailError(type(exc).__name__) from exc

    def _login(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.login(self.user, self.password)
        except smtplib.SMTPException as exc:
            raise MailError(f"the SMTP server refused the login of smtp_user ({type(exc).__name__})") from exc

    def _connect(self) -> smtplib.SMTP:
        if self.tls == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _context(self) -> ssl.SSLContext:
        return self.tls_context or ssl.create_default_context()


@dataclass(frozen=True)
class FileOutbox:
    """Writes each message as `<UTC time>-<random id>.eml` into `directory`, created when first needed.

    The file is written under a temporary name and renamed into place, so a reader never sees half a letter.
    """

    directory: Path
    sender: str

    def send(self, message: Message) -> None:
        email = to_email(message, self.sender)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:12]}.eml"
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "wb") as file:
                file.write(email.as_bytes())
            os.replace(temporary, self.directory / name)
        except OSError as exc:
            raise MailError(f"{type(exc).__name__} writing to the outbox {self.directory}") from exc
        # The file name only: the address and the text are personal data and stay out of the log.
        log.info("mail written to %s (no smtp_host is set)", self.directory / name)

    def messages(self) -> list[Path]:
        """The letters written so far, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("*.eml"))


def mailer_for(settings: Settings, sender: Policy | str) -> Mailer:
    """SMTP when `smtp_host` is set; otherwise the file outbox of the embedded installation.

    `sender` is the policy (its privacy contact sends) or a default sender address; `mail_from` wins over both.
    In production an unset `smtp_host` is refused rather than letting letters pile up unseen in a directory.
    """
    default = sender if isinstance(sender, str) else str(sender.organisation.contacts.privacy)
    address = settings.mail_from or default
    if settings.smtp_host:
        if settings.smtp_user and not settings.smtp_password:
            raise ConfigurationError("smtp_user is set but no password: set CUSTOS_SMTP_PASSWORD")
        if settings.smtp_user and settings.smtp_tls == "none" and settings.smtp_host not in _LOOPBACK:
            # AUTH without TLS would send the password readable to anyone on the way (Art. 32).
            raise ConfigurationError(
                "smtp_user is set but smtp_tls is none: "
                f"set smtp_tls to starttls or ssl to log in to {settings.smtp_host}"
            )
        return SmtpMailer(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=address,
            tls=_tls(settings.smtp_tls),
            user=settings.smtp_user,
            password=settings.smtp_password,
        )
    if settings.mode == "production":
        raise ConfigurationError("no SMTP server is configured; set smtp_host (see docs/settings.md)")
    return FileOutbox(directory=settings.outbox_dir, sender=address)


def _tls(value: str) -> TlsMode:
    if value == "starttls":
        return "starttls"
    if value == "ssl":
        return "ssl"
    return "none"
