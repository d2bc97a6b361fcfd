"""The file outbox of the embedded installation: each message one readable .eml file in ./var/outbox/."""

from __future__ import annotations

from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import cast

from custos.mail import FileOutbox, Message, mailer_for
from custos.settings import load_settings


def _read(path: Path) -> EmailMessage:
    return cast(EmailMessage, message_from_bytes(path.read_bytes(), policy=email_policy.default))


def test_each_message_becomes_one_eml_file(tmp_path: Path) -> None:
    outbox = FileOutbox(directory=tmp_path / "var" / "outbox", sender="privacy@elastx.com")
    assert outbox.messages() == []
    outbox.send(Message(to="anna@example.se", subject="Bekräftelse", body="Hej Anna,\nåäö\n", language="sv"))
    outbox.send(
        Message(
            to="bo@example.se",
            subject="Receipt",
            body="Hello Bo\n",
            headers=(("List-Unsubscribe", "<mailto:u@elastx.com>"),),
            html="<p>Hello Bo</p>",
        )
    )
    files = outbox.messages()
    assert len(files) == 2
    assert all(path.suffix == ".eml" for path in files)
    assert not list(outbox.directory.glob(".*.tmp"))  # no half-written files left behind
    letters = sorted((_read(path) for path in files), key=lambda m: str(m["To"]))
    first, second = letters
    assert (first["From"], first["To"], first["Subject"]) == ("privacy@elastx.com", "anna@example.se", "Bekräftelse")
    assert first.get_body(("plain",)).get_content() == "Hej Anna,\nåäö\n"
    assert second["List-Unsubscribe"] == "<mailto:u@elastx.com>"
    assert second.get_body(("html",)).get_content().strip() == "<p>Hello Bo</p>"


def test_the_embedded_default_sends_to_the_outbox(tmp_path: Path) -> None:
    settings = load_settings({"CUSTOS_OUTBOX_DIR": str(tmp_path / "outbox")})
    assert settings.smtp_host == ""
    assert load_settings({}).outbox_dir == Path("var/outbox")
    mailer = mailer_for(settings, "privacy@elastx.com")
    mailer.send(Message(to="anna@example.se", subject="Hi", body="Hello\n"))
    (path,) = sorted((tmp_path / "outbox").glob("*.eml"))
    assert _read(path)["To"] == "anna@example.se"
