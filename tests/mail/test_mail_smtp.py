"""Mail over a real SMTP server (aiosmtpd): plain, STARTTLS and implicit TLS, with AUTH; extra headers, HTML."""

from __future__ import annotations

from dataclasses import replace

import pytest
from mail_tls import PASSWORD, USER, TlsServerFactory

from custos.errors import ConfigurationError, InvalidInput
from custos.mail import FileOutbox, MailError, Message, SmtpMailer, mailer_for
from custos.settings import Settings, load_settings

LETTER = Message(
    to="anna@example.se",
    subject="Your request",
    body="Hello Anna,\nwe have your request.\n",
    language="sv",
    headers=(
        ("List-Unsubscribe", "<https://custos.example/u/abc>, <mailto:unsubscribe@elastx.com>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    ),
    html="<p>Hello Anna,<br>we have your request.</p>",
)


def test_plain_smtp_delivers_text_html_and_extra_headers(smtp_server) -> None:  # type: ignore[no-untyped-def]
    SmtpMailer(host="127.0.0.1", port=smtp_server.port, sender="privacy@elastx.com").send(LETTER)
    (got,) = smtp_server.messages
    assert (got["From"], got["To"], got["Subject"]) == ("privacy@elastx.com", "anna@example.se", "Your request")
    assert got["Content-Language"] == "sv"
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(got["List-Unsubscribe"]).strip().startswith("<https://custos.example/u/abc>")
    assert got.get_content_type() == "multipart/alternative"
    assert got.get_body(("plain",)).get_content().replace("\r\n", "\n") == LETTER.body
    assert "we have your request" in got.get_body(("html",)).get_content()


def test_starttls_then_auth(tls_smtp: TlsServerFactory) -> None:
    server = tls_smtp("starttls")
    mailer = SmtpMailer(
        host="127.0.0.1",
        port=server.port,
        sender="privacy@elastx.com",
        tls="starttls",
        user=USER,
        password=PASSWORD,
        tls_context=server.client_context,
    )
    mailer.send(LETTER)
    assert [m["To"] for m in server.messages] == ["anna@example.se"]
    assert server.logins == [USER]


def test_implicit_tls_then_auth(tls_smtp: TlsServerFactory) -> None:
    server = tls_smtp("ssl")
    mailer = SmtpMailer(
        host="127.0.0.1",
        port=server.port,
        sender="privacy@elastx.com",
        tls="ssl",
        user=USER,
        password=PASSWORD,
        tls_context=server.client_context,
    )
    mailer.send(LETTER)
    assert [m["Subject"] for m in server.messages] == ["Your request"]


def test_a_wrong_password_is_a_mail_error_without_the_password(tls_smtp: TlsServerFactory) -> None:
    server = tls_smtp("starttls")
    mailer = SmtpMailer(
        host="127.0.0.1",
        port=server.port,
        sender="privacy@elastx.com",
        tls="starttls",
        user=USER,
        password="wrong-guess",
        tls_context=server.client_context,
    )
    with pytest.raises(MailError, match="refused the login of smtp_user") as caught:
        mailer.send(LETTER)
    assert "wrong-guess" not in str(caught.value)
    assert "wrong-guess" not in repr(mailer)
    assert server.messages == []


def test_an_untrusted_certificate_is_refused(tls_smtp: TlsServerFactory) -> None:
    server = tls_smtp("starttls")
    mailer = SmtpMailer(host="127.0.0.1", port=server.port, sender="privacy@elastx.com", tls="starttls")
    with pytest.raises(MailError, match="SSLCertVerificationError"):
        mailer.send(LETTER)
    assert server.messages == []


def test_starttls_is_not_skipped_when_the_server_lacks_it(smtp_server) -> None:  # type: ignore[no-untyped-def]
    mailer = SmtpMailer(host="127.0.0.1", port=smtp_server.port, sender="privacy@elastx.com", tls="starttls")
    with pytest.raises(MailError, match="does not offer STARTTLS"):
        mailer.send(LETTER)
    assert smtp_server.messages == []


def test_a_header_cannot_smuggle_another_header() -> None:
    with pytest.raises(InvalidInput, match="line break"):
        Message(to="a@example.se", subject="Hi", body=".", headers=(("X-Note", "a\r\nBcc: b@example.se"),))
    with pytest.raises(InvalidInput, match="set by the sender"):
        Message(to="a@example.se", subject="Hi", body=".", headers=(("To", "b@example.se"),))
    with pytest.raises(InvalidInput, match="line break"):
        Message(to="a@example.se", subject="Hi\nBcc: b@example.se", body=".")


def test_mailer_for_uses_smtp_with_the_configured_tls_and_credentials(settings: Settings) -> None:
    configured = replace(
        settings, smtp_host="mail.example", smtp_port=587, smtp_tls="starttls", smtp_user=USER, smtp_password=PASSWORD
    )
    mailer = mailer_for(configured, "privacy@elastx.com")
    assert isinstance(mailer, SmtpMailer)
    assert (mailer.host, mailer.port, mailer.tls, mailer.user, mailer.sender) == (
        "mail.example",
        587,
        "starttls",
        USER,
        "privacy@elastx.com",
    )
    with pytest.raises(ConfigurationError, match="CUSTOS_SMTP_PASSWORD"):
        mailer_for(replace(configured, smtp_password=""), "privacy@elastx.com")
    with pytest.raises(ConfigurationError, match=r"set smtp_tls to starttls or ssl to log in to mail\.example"):
        mailer_for(replace(configured, smtp_tls="none"), "privacy@elastx.com")
    local = mailer_for(replace(configured, smtp_host="127.0.0.1", smtp_tls="none"), "privacy@elastx.com")
    assert isinstance(local, SmtpMailer)  # a relay on this machine: nothing crosses a network


def test_mailer_for_takes_the_sender_from_the_policy_unless_mail_from_is_set(settings: Settings, runtime) -> None:  # type: ignore[no-untyped-def]
    outbox = mailer_for(settings, runtime.policy)
    assert isinstance(outbox, FileOutbox)
    assert outbox.sender == "privacy@elastx.com"
    assert outbox.directory == settings.outbox_dir
    assert mailer_for(replace(settings, mail_from="noreply@elastx.com"), runtime.policy).sender == "noreply@elastx.com"  # type: ignore[attr-defined]


def test_production_without_a_mail_server_refuses_rather_than_filling_a_folder(settings: Settings) -> None:
    with pytest.raises(ConfigurationError, match="no SMTP server is configured"):
        mailer_for(replace(settings, mode="production"), "privacy@elastx.com")


def test_tls_and_credential_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(
        {"CUSTOS_SMTP_TLS": "STARTTLS", "CUSTOS_SMTP_USER": USER, "CUSTOS_SMTP_PASSWORD": PASSWORD}
    )
    assert (settings.smtp_tls, settings.smtp_user, settings.smtp_password) == ("starttls", USER, PASSWORD)
    assert PASSWORD not in repr(settings)
    assert load_settings({}).smtp_tls == "none"
    with pytest.raises(ConfigurationError, match="smtp_tls must be one of none, starttls, ssl"):
        load_settings({"CUSTOS_SMTP_TLS": "tls1.3"})
    file = tmp_path / "custos.toml"
    file.write_text(f'smtp_user = "{USER}"\nsmtp_password = "{PASSWORD}"\n')
    with pytest.raises(ConfigurationError, match=r"smtp_password \(set CUSTOS_SMTP_PASSWORD\) may only come from"):
        load_settings({}, file)
