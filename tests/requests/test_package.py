"""The access and portability packages: a ZIP opened and read back, file by file."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from custos.policy import Policy
from custos.policy.loader import load_policy
from custos.requests.art15 import art15_information
from custos.requests.package import (
    SUMMARY_ROWS,
    SubjectData,
    build_access_package,
    build_portability_package,
)

POLICY = Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml"
AT = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Table:
    """Shaped like the systems engine's TableExport, but not it: the package only needs the attributes."""

    table: str
    categories: dict[str, str]
    rows: list[dict[str, Any]]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(POLICY)


def _anna() -> SubjectData:
    return SubjectData(
        ref="DSR-2026-0001",
        person={"ref": "P-1", "name": "Anna <Andersson>", "title": "CTO", "emails": ["anna@example.se"]},
        relationships=[{"activity": "customer-contacts", "subject_category": "customer_contact", "source": "Fair"}],
        identities=[{"kind": "email", "value": "anna@example.se"}],
        consents=[{"category": "analytics", "choice": "accepted", "at": AT}],
        systems={
            "shop": [
                Table(
                    "orders",
                    {"email": "contact.email"},
                    [
                        {"id": 7, "email": "anna@example.se", "total": 12.5, "note": 'says "hi",\nthanks'},
                        {"id": 9, "email": "anna@example.se", "total": None, "note": None, "day": date(2026, 1, 2)},
                    ],
                ),
                Table("customers", {"email": "contact.email", "name": "contact.name"}, [{"email": "anna@example.se"}]),
            ],
            "crm": [Table("contacts", {"mail": "contact.email"}, [{"mail": "anna@example.se", "blob": b"\x00\x01"}])],
        },
        generated_at=AT,
    )


def _open(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def test_the_access_package_holds_everything_in_a_fixed_order(policy: Policy) -> None:
    info = art15_information(policy, "en", relationships=_anna().relationships)
    out = io.BytesIO()
    result = build_access_package(out, subject=_anna(), art15=info, lang="en")
    data = out.getvalue()
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == len(data)
    assert result.rows == 1 + 1 + 1 + 1 + 2 + 1  # relationships, identities, consents, crm, orders, customers
    archive = _open(data)
    assert (
        archive.namelist()
        == result.names
        == [
            "README.html",
            "art15.json",
            "register/person.json",
            "register/relationships.json",
            "register/relationships.csv",
            "register/identities.json",
            "register/identities.csv",
            "register/consents.json",
            "register/consents.csv",
            "systems/crm/_categories.json",
            "systems/crm/contacts.json",
            "systems/crm/contacts.csv",
            "systems/shop/_categories.json",
            "systems/shop/customers.json",
            "systems/shop/customers.csv",
            "systems/shop/orders.json",
            "systems/shop/orders.csv",
        ]
    )
    for packed in result.files:
        content = archive.read(packed.name)
        assert (len(content), hashlib.sha256(content).hexdigest()) == (packed.size, packed.sha256)
    assert json.loads(archive.read("art15.json")) == json.loads(json.dumps(info.to_dict()))
    assert json.loads(archive.read("register/person.json"))["name"] == "Anna <Andersson>"
    consents = json.loads(archive.read("register/consents.json"))
    assert consents == [{"category": "analytics", "choice": "accepted", "at": "2026-11-29T10:00:00+00:00"}]
    assert json.loads(archive.read("systems/shop/_categories.json")) == {
        "customers": {"email": "contact.email", "name": "contact.name"},
        "orders": {"email": "contact.email"},
    }
    orders = json.loads(archive.read("systems/shop/orders.json"))
    assert [row["id"] for row in orders] == [7, 9]
    assert orders[1]["day"] == "2026-01-02"
    assert json.loads(archive.read("systems/crm/contacts.json")) == [{"mail": "anna@example.se", "blob": "AAE="}]


def test_csv_files_open_in_a_spreadsheet(policy: Policy) -> None:
    out = io.BytesIO()
    build_access_package(out, subject=_anna(), art15=art15_information(policy, "en"), lang="en")
    text = _open(out.getvalue()).read("systems/shop/orders.csv").decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # Mapped columns first, then the others in order of appearance; empty cells for missing values.
    assert rows == [
        ["email", "id", "total", "note", "day"],
        ["anna@example.se", "7", "12.5", 'says "hi",\nthanks', ""],
        ["anna@example.se", "9", "", "", "2026-01-02"],
    ]


def test_the_summary_is_self_contained_and_escaped(policy: Policy) -> None:
    out = io.BytesIO()
    info = art15_information(policy, "sv", relationships=_anna().relationships)
    build_access_package(out, subject=_anna(), art15=info, lang="sv")
    html = _open(out.getvalue()).read("README.html").decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<html lang='sv'>" in html
    assert "Dina personuppgifter hos Elastx" in html
    assert "Anna &lt;Andersson&gt;" in html
    assert "Anna <Andersson>" not in html
    assert "contact.email" in html  # the kind of data of each mapped column
    assert "Sammanställt 2026-11-29 som svar på begäran DSR-2026-0001." in html
    assert "Information om behandlingen av dina personuppgifter" in html  # the Art. 15 part
    assert "IMY (Integritetsskyddsmyndigheten)" in html
    for external in ("<script", "<link", "src=", "@import", "url("):
        assert external not in html


def test_the_same_data_gives_the_same_bytes_and_a_file_target_is_complete(policy: Policy, tmp_path: Path) -> None:
    info = art15_information(policy, "en")
    first = build_access_package(tmp_path / "a" / "one.zip", subject=_anna(), art15=info, lang="en")
    second = build_access_package(tmp_path / "a" / "two.zip", subject=_anna(), art15=info, lang="en")
    assert first.sha256 == second.sha256
    assert first.path == tmp_path / "a" / "one.zip"
    assert hashlib.sha256((tmp_path / "a" / "one.zip").read_bytes()).hexdigest() == first.sha256
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["one.zip", "two.zip"]  # no .part left
    stamp = zipfile.ZipFile(tmp_path / "a" / "one.zip").getinfo("README.html").date_time
    assert stamp == (2026, 11, 29, 10, 0, 0)


def test_staged_parts_and_a_person_not_in_the_register(policy: Policy) -> None:
    parts = {
        "register": {"system": "register", "person": None},
        "../etc": {"system": "../etc", "tables": [{"table": "../../passwd", "categories": {}, "rows": [{"a": 1}]}]},
        "empty": {"system": "empty", "tables": []},
    }
    subject = SubjectData.from_parts("DSR-9", parts)
    out = io.BytesIO()
    build_access_package(out, subject=subject, art15=art15_information(policy, "en"), lang="en")
    archive = _open(out.getvalue())
    names = archive.namelist()
    assert all(not part.startswith(".") for name in names for part in name.split("/"))
    assert "systems/_etc/_.._passwd.json" in names
    assert json.loads(archive.read("register/person.json")) is None
    assert "We hold no data about you here." in archive.read("README.html").decode()


def test_from_parts_reads_the_register_and_system_parts() -> None:
    parts = {
        "register": {"person": {"ref": "P-1", "name": "Bo", "relationships": [{"activity": "prospects"}]}},
        "crm": {"system": "crm", "tables": [{"table": "people", "categories": {"mail": "contact.email"}, "rows": []}]},
    }
    subject = SubjectData.from_parts("DSR-3", parts)
    assert subject.person == {"ref": "P-1", "name": "Bo"}
    assert list(subject.relationships) == [{"activity": "prospects"}]
    (table,) = subject.systems["crm"]
    assert (table.table, dict(table.categories), list(table.rows)) == ("people", {"mail": "contact.email"}, [])


def test_a_long_table_is_summarised_but_complete_in_its_files(policy: Policy) -> None:
    rows = [{"n": i, "email": "anna@example.se"} for i in range(SUMMARY_ROWS + 50)]
    subject = SubjectData(ref="DSR-4", systems={"logs": [Table("visits", {"email": "contact.email"}, rows)]})
    out = io.BytesIO()
    build_access_package(out, subject=subject, art15=art15_information(policy, "en"), lang="en")
    archive = _open(out.getvalue())
    assert len(json.loads(archive.read("systems/logs/visits.json"))) == SUMMARY_ROWS + 50
    assert archive.read("systems/logs/visits.csv").decode().count("\r\n") == SUMMARY_ROWS + 51
    assert "50 more rows are in the JSON and CSV files." in archive.read("README.html").decode()


def test_the_portability_package_holds_the_data_alone(policy: Policy) -> None:
    out = io.BytesIO()
    result = build_portability_package(out, subject=_anna(), lang="en", art15=art15_information(policy, "en"))
    archive = _open(out.getvalue())
    assert result.sha256 == hashlib.sha256(out.getvalue()).hexdigest()
    assert "art15.json" not in archive.namelist()
    assert "register/person.json" in archive.namelist()
    assert "systems/shop/orders.csv" in archive.namelist()
    html = archive.read("README.html").decode()
    assert "The personal data you gave Elastx" in html
    assert "GDPR Art. 20" in html
    plain = io.BytesIO()
    build_portability_package(plain, subject=_anna(), lang="sv")
    assert "De personuppgifter du har lämnat till oss" in _open(plain.getvalue()).read("README.html").decode()
