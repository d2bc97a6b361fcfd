"""A real SMTP server's catch (aiosmtpd) for tests that send mail; the `smtp_server` fixture is in conftest.py."""

from __future__ import annotations

import socket
from dataclasses import dataclass, replace
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any, cast

from custos.settings import Settings


@dataclass
class CaughtMail:
    """What a real SMTP server on localhost (aiosmtpd) received; `settings_for` points Custos at it."""

    port: int
    messages: list[EmailMessage]

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(cast(EmailMessage, message_from_bytes(envelope.content, policy=email_policy.default)))
        return "250 OK"

    def settings_for(self, settings: Settings) -> Settings:
        return replace(settings, smtp_host="127.0.0.1", smtp_port=self.port, smtp_tls="none")

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if str(m["To"]) == address]

    @property
    def recipients(self) -> list[str]:
        return sorted(str(m["To"]) for m in self.messages)


def free_port() -> int:
    """A localhost port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
