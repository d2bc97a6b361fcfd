"""The access package's README as the person reads it: the register with labels (not field keys) and the
policy's titles, systems by their names, no owner's internal note, no empty `_categories.json`, in the
person's language."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from custos.policy import Policy
from custos.policy.loader import load_policy
from custos.requests.art15 import art15_information
from custos.requests.package import ExportedTable, SubjectData, build_access_package, policy_names

POLICY = Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(POLICY)


def _subject(policy: Policy) -> SubjectData:
    activity = policy.activities[0]
    return SubjectData(
        ref="DSR-2026-0002",
        person={"ref": "P-2", "name": "Anna Lind", "title": "CTO", "emails": ["anna@example.se", "a@example.se"]},
        relationships=[
            {
                "id": 41,
                "activity": activity.id,
                "subject_category": activity.subjects[0],
                "legal_basis": "legitimate_interest",
                "organisation_id": 3,
                "source": "Cloud fair",
            }
        ],
        systems={
            "crm": [ExportedTable("contacts", {"mail": "contact.email"}, [{"mail": "anna@example.se"}])],
            "mailer": [],
        },
        manual={"mailer": {"done_at": "2026-11-20T10:00:00+00:00", "fields": ["contact.email"], "records": 1,
                           "note": "Internal: checked the old list on the shared drive too"}},
    )  # fmt: skip


def _package(policy: Policy, lang: str) -> tuple[zipfile.ZipFile, str]:
    subject = _subject(policy)
    info = art15_information(policy, lang, relationships=list(subject.relationships))
    out = io.BytesIO()
    build_access_package(out, subject=subject, art15=info, lang=lang, names=policy_names(policy, lang))
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    return archive, archive.read("README.html").decode("utf-8")


def test_the_register_section_reads_in_labels_and_titles(policy: Policy) -> None:
    _, readme = _package(policy, "en")
    activity = policy.activities[0]
    category = policy.subject_category(activity.subjects[0])
    assert "<th>Email addresses</th><td>anna@example.se, a@example.se</td>" in readme
    assert "<th>Role or title</th>" in readme
    assert "<th>emails</th>" not in readme
    assert "Why we hold your data" in readme
    assert f"<td>{activity.name}</td>" in readme
    assert f"<td>{category.name}</td>" in readme
    assert "Our legitimate interest (Art. 6(1)(f))" in readme
    assert "<th>Where we got your data</th>" in readme
    assert ">41<" not in readme  # internal numbers stay in the files
    assert "organisation_id" not in readme.split("<h2>", 3)[2]


def test_systems_by_name_the_owners_note_only_in_the_full_report_and_no_empty_files(policy: Policy) -> None:
    archive, readme = _package(policy, "en")
    names = {s.id: s.name for s in policy.systems}
    for system in ("crm", "mailer"):
        if system in names:
            assert f"<h3>{names[system]}</h3>" in readme
    assert "Internal: checked" not in readme
    report = json.loads(archive.read("systems/mailer/_owner_report.json"))
    # The full report stays the person's copy (Art. 15(3)); only the README's summary leaves the note out.
    assert report["note"] == "Internal: checked the old list on the shared drive too"
    assert report["records"] == 1
    assert "systems/mailer/_categories.json" not in archive.namelist()  # nothing to say: no file
    assert json.loads(archive.read("systems/crm/_categories.json")) == {"contacts": {"mail": "contact.email"}}


def test_the_readme_is_in_the_persons_language(policy: Policy) -> None:
    _, readme = _package(policy, "sv")
    assert "<html lang='sv'>" in readme
    assert "<th>E-postadresser</th>" in readme
    assert "Varför vi har dina uppgifter" in readme
    assert "Vårt berättigade intresse (art. 6.1 f)" in readme
