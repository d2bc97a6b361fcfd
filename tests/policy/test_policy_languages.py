"""`custos policy check` warns, naming the place, about a text the notice shows that is written in one language
only while the policy publishes in several; an error it is not (the notice still shows the text as written)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from custos.cli.policy import app
from custos.clock import FixedClock
from custos.policy import check_policy

ROOT = Path(__file__).resolve().parents[2]
ELASTX = ROOT / "examples" / "elastx" / "policy.yaml"
CORRIB = ROOT / "examples" / "corrib" / "policy.yaml"
ON = FixedClock(date(2025, 1, 1))
KEPT = "versions[1]"  # the example's one deliberate warning: the 2023-10-03 text was not archived

PURPOSE = """    purpose:
      en: >-
        To be able to get in contact with the customer's designated contacts and to offer as good and efficient
        service as possible; occasionally mailings, selections and simpler customer care analyses.
      sv: >-
        För att kunna komma i kontakt med kundens utsedda kontaktpersoner och erbjuda så god och effektiv
        service som möjligt; ibland utskick, urval och enklare kundvårdsanalyser.
"""


def _variant(tmp_path: Path, source: Path, *replacements: tuple[str, str]) -> Path:
    text = source.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, f"the example no longer contains {old!r}"
        text = text.replace(old, new, 1)
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _language_warnings(path: Path) -> list[tuple[str, int | None, str]]:
    report = check_policy(path, ON)
    assert report.errors == []
    return [(w.location, w.line, w.message) for w in report.warnings if "missing" in w.message]


@pytest.mark.parametrize("example", [ELASTX, CORRIB])
def test_the_examples_have_every_text_in_every_language_they_publish(example: Path) -> None:
    report = check_policy(example, ON)
    assert report.errors == []
    assert [w.location for w in report.warnings if w.location != KEPT] == []


def test_a_purpose_in_english_only_is_warned_with_its_place(tmp_path: Path) -> None:
    english_only = "    purpose: To keep in touch with the customer's contacts.\n"
    path = _variant(tmp_path, ELASTX, (PURPOSE, english_only))
    [(location, line, message)] = _language_warnings(path)
    assert location == "activities[0].purpose"
    assert message.startswith("activities.customer-contacts.purpose: sv missing")
    assert "Swedish notice" in message
    assert line == path.read_text(encoding="utf-8").splitlines().index(english_only.rstrip("\n")) + 1
    report = check_policy(path, ON)
    assert report.ok  # a warning, not an error


def test_every_text_written_once_is_named(tmp_path: Path) -> None:
    path = _variant(
        tmp_path,
        ELASTX,
        ("    name: {en: Prospects, sv: Presumtiva kunder}\n", "    name: Prospects\n"),  # the subject category
        ("    description: {en: Email address, sv: E-postadress}\n", "    description: Email address\n"),
        (
            "  supported_by: {en: Chief Technology Officer (CTO), sv: Teknikchef (CTO)}\n",
            "  supported_by: {en: Chief Technology Officer (CTO), sv: Chief Technology Officer (CTO)}\n",
        ),
    )
    named = sorted(message.split(":")[0] for _, _, message in _language_warnings(path))
    # The data protection role is given per language, if the same in both: a choice, not a gap.
    assert named == [
        "data_categories.contact.email.description",
        "subject_categories.prospect.name",
    ]


def test_a_policy_published_in_english_only_needs_no_swedish(tmp_path: Path) -> None:
    path = _variant(tmp_path, CORRIB)
    assert _language_warnings(path) == []


def test_the_cli_prints_the_warning_and_exits_zero(tmp_path: Path) -> None:
    path = _variant(tmp_path, ELASTX, (PURPOSE, "    purpose: To keep in touch with the customer's contacts.\n"))
    result = CliRunner().invoke(app, ["check", str(path), "--at", "2025-01-01"])
    assert result.exit_code == 0, result.output
    assert "activities.customer-contacts.purpose: sv missing" in result.output
    assert "with 2 warnings" in result.output
