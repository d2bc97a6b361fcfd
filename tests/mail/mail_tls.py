"""Names the mail tests share: a TLS SMTP server that asks for AUTH, and its test credentials."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "custos", "s3cret-for-tests"


@dataclass
class TlsServer:
    port: int
    client_context: ssl.SSLContext
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(cast(EmailMessage, message_from_bytes(envelope.content, policy=email_policy.default)))
        return "250 OK"

    def authenticate(self, server: object, session: Any, envelope: object, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
        if ok:
            self.logins.append(USER)
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


TlsServerFactory = Callable[[str], TlsServer]
