"""Outgoing mail: a small SMTP sender behind an interface that tests and jobs can replace."""

from custos.mail.sender import Mailer, Message, SmtpMailer, mailer_for

__all__ = ["Mailer", "Message", "SmtpMailer", "mailer_for"]
