"""Names the breach tests share (fixtures are in conftest.py)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from email import message_from_bytes
from email.message import Message
from typing import Any

from custos.actor import Actor
from custos.incidents.schemas import IncidentPublic

OFFICER = Actor(kind="staff", id=1, label="staff:1")

OpenIncident = Callable[..., IncidentPublic]
AddOrg = Callable[[str], int]
AddPerson = Callable[..., str]


class Inbox:
    """What a real SMTP server on localhost (aiosmtpd) received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    @property
    def recipients(self) -> list[str]:
        return sorted(str(m["To"]) for m in self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
