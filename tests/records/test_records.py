"""The Art. 30 records: every field for each example policy (Swedish and Irish) in every format, counts from the
register, and a policy missing a field refused with the field's name (and its line, from `custos policy check`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from custos.actor import Actor
from custos.cli.main import build_cli
from custos.clock import FixedClock
from custos.errors import PolicyInvalid
from custos.policy import load_policy
from custos.policy.check import check_policy
from custos.records import service
from custos.records.content import controller_record
from custos.register import organisations, people
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RoleSpan
from custos.runtime import Runtime
from custos.settings import Settings
from example_policies import EXAMPLES, example_runtime

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "elastx" / "policy.yaml"
ACTOR = Actor(kind="cli", id=None, label="cli:test")

# What each example policy's records name: the organisation, its contact, its data protection person, a
# recipient (its tax authority) and a retention period of its own law.
SAYS = {
    "elastx": ("Elastx", "privacy@elastx.com", "Designated Data Protection (DP) person", "Skatteverket", "10 years"),
    "corrib": (
        "Corrib Analytics Ltd",
        "dataprotection@corrib.example",
        "Data Protection Lead",
        "Revenue Commissioners",
        "6 years",
    ),
}


def controller_fields(name: str) -> dict[str, tuple[tuple[str, str], str]]:
    """(section, field) of the CSV for each Art. 30(1) point, and the phrase the HTML shows it under."""
    organisation, contact, person, recipient, period = SAYS[name]
    return {
        "a: controller": (("controller", "name"), organisation),
        "a: contact": (("controller", "contact"), contact),
        "a: data protection": (("data_protection", "contact"), person),
        "b: purposes": (("activity", "purpose"), "Purpose"),
        "c: subjects": (("activity", "subjects"), "Categories of data subjects"),
        "c: data": (("activity", "data"), "Categories of personal data"),
        "d: recipients": (("activity", "recipients"), recipient),
        "e: transfers": (("activity", "transfers"), "Transfers to third countries"),
        "f: erasure": (("activity", "retention"), period),
        "g: security": (("security_measures", "description"), "Security measures"),
    }


def processor_fields(name: str) -> dict[str, tuple[tuple[str, str], str]]:
    return {
        "a: processor": (("processor", "name"), SAYS[name][0]),
        "a: customers": (("customer", "name"), "Kund AB"),
        "b: processing": (("service", "processing"), "hosting"),
        "c: transfers": (("service", "transfers"), "Transfers to third countries"),
        "d: security": (("security_measures", "description"), "Security measures"),
    }


@pytest.fixture(params=list(EXAMPLES))
def example_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def any_runtime(example_name: str, database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Runtime]:
    """An installation running each example policy in turn."""
    with example_runtime(example_name, database_url, tmp_path, clock) as runtime:
        yield runtime


def _seed(runtime: Runtime) -> None:
    with runtime.work(ACTOR) as work:
        org = organisations.add_organisation(
            work, OrganisationCreate(name="Kund AB", roles=[RoleSpan(role="customer")])
        )
        for i in range(3):
            people.add_person(
                work,
                PersonCreate(
                    name=f"Kontakt {i}",
                    emails=[f"k{i}@kund.se"],
                    relationships=[RelationshipCreate(subject_category="customer_contact", organisation_id=org.id)],
                ),
            )
        people.add_person(
            work,
            PersonCreate(
                name="Pia", emails=["pia@x.se"], relationships=[RelationshipCreate(subject_category="prospect")]
            ),
        )


def _export(runtime: Runtime, kind: str, fmt: str, show: bool = True) -> str:
    with runtime.work(ACTOR) as work:
        return service.export(work, kind, fmt, show_contacts=show)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["controller", "processor"])
def test_every_art30_field_is_in_every_format(any_runtime: Runtime, example_name: str, kind: str) -> None:
    runtime = any_runtime
    _seed(runtime)
    expected = controller_fields(example_name) if kind == "controller" else processor_fields(example_name)
    table = list(csv.DictReader(io.StringIO(_export(runtime, kind, "csv"))))
    present = {(row["section"], row["field"]) for row in table if row["value"].strip()}
    html = _export(runtime, kind, "html")
    data = json.loads(_export(runtime, kind, "json"))
    for point, (key, phrase) in expected.items():
        assert key in present, f"{point} missing from the CSV"
        assert phrase in html, f"{point} missing from the HTML"
    assert data["party"]["protection_contact"] == SAYS[example_name][1]
    assert "@media print" in html
    if kind == "controller":
        assert len(data["activities"]) == len(runtime.policy.activities)
        assert all(a["purpose"] and a["retention"] and a["subjects"] and a["data"] for a in data["activities"])
        assert all(row["value"] for row in table if row["field"] in ("recipients", "transfers"))  # "none", never blank
    else:
        assert data["services"][0]["processing"]
        assert data["customers"][0]["name"] == "Kund AB"
        assert data["customers"][0]["contacts"] == 3


def test_the_register_counts_people_per_subject_category(any_runtime: Runtime) -> None:
    runtime = any_runtime
    _seed(runtime)
    with runtime.work(ACTOR) as work:
        record = controller_record(work)
    contacts = next(a for a in record.activities if a.id == "customer-contacts")
    assert contacts.subjects[0].count == 3
    assert contacts.people == 3
    prospects = next(a for a in record.activities if a.id == "prospects")
    assert prospects.people == 1


def test_customer_contacts_are_named_only_for_readers_of_the_register(any_runtime: Runtime) -> None:
    runtime = any_runtime
    _seed(runtime)
    shown = json.loads(_export(runtime, "processor", "json", show=True))
    hidden = json.loads(_export(runtime, "processor", "json", show=False))
    assert "<k0@kund.se>" in shown["customers"][0]["contact"]
    assert hidden["customers"][0]["contact"] is None
    assert "k0@kund.se" not in _export(runtime, "processor", "html", show=False)


def _without(tmp_path: Path, line_start: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if not line.startswith(line_start)]
    assert len(kept) == len(text.splitlines()) - 1, line_start
    path = tmp_path / "policy.yaml"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_the_example_policy_passes_the_check(name: str) -> None:
    report = check_policy(EXAMPLES[name], FixedClock(date(2026, 11, 29)))
    assert report.errors == []


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("  contact: privacy@elastx.com", "data_protection.contact"),
        ("    processing: [hosting", "processor[0].processing"),
    ],
)
def test_a_missing_field_is_a_named_error_not_a_blank(runtime: Runtime, tmp_path: Path, line: str, field: str) -> None:
    path = _without(tmp_path, line)
    report = check_policy(path, runtime.clock)
    assert [p.location for p in report.errors] == [field]
    assert report.errors[0].line is not None
    assert "Art. 30" in report.errors[0].message
    with runtime.work(ACTOR) as work, pytest.raises(PolicyInvalid) as refused:
        controller_record(replace(work, policy=load_policy(path)))
    assert [p.location for p in refused.value.problems] == [field]


def test_an_activity_without_recipients_is_named(runtime: Runtime, tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "    recipients:\n      - name: Piwik PRO\n        kind: processor\n"
        "        description: {en: Web analytics service provider., sv: Leverantör av webbanalystjänsten.}\n",
        "",
    )
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    report = check_policy(path, runtime.clock)
    assert [p.location for p in report.errors] == ["activities[7].recipients"]
    assert "web-analytics" in report.errors[0].message


def test_cli_export_writes_each_format(runtime: Runtime, settings: Settings, tmp_path: Path) -> None:
    _seed(runtime)
    env = {
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(settings.policy_path),
    }
    for fmt in ("html", "csv", "json"):
        out = tmp_path / f"record.{fmt}"
        result = CliRunner().invoke(build_cli(), ["records", "export", "--format", fmt, "-o", str(out)], env=env)
        assert result.exit_code == 0, result.output
        assert "Elastx" in out.read_text(encoding="utf-8")
    result = CliRunner().invoke(build_cli(), ["records", "export", "--format", "json", "--kind", "processor"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["kind"] == "processor"


def test_api_and_admin_pages_need_records_read(runtime: Runtime, login_as: Any) -> None:
    _seed(runtime)
    auditor = login_as("auditor")
    page = auditor.get("/admin/records?kind=processor")
    assert page.status_code == 200
    assert "Kund AB" in page.text
    assert "k0@kund.se" not in page.text
    printable = auditor.get("/admin/records/print")
    assert printable.status_code == 200
    assert "@media print" in printable.text
    api = auditor.get("/api/v1/records/controller", params={"format": "csv"})
    assert api.status_code == 200
    assert api.headers["content-type"].startswith("text/csv")
    dpo = login_as("dpo")
    assert "k0@kund.se" in dpo.get("/api/v1/records/processor").text
    assert login_as("support_agent").get("/api/v1/records/controller").status_code == 403
