"""Outgoing mail: SMTP (optionally STARTTLS/SSL and AUTH) or a file outbox, behind one `Mailer` interface."""

from custos.mail.sender import FileOutbox, Mailer, MailError, Message, SmtpMailer, mailer_for, to_email

__all__ = ["FileOutbox", "MailError", "Mailer", "Message", "SmtpMailer", "mailer_for", "to_email"]
