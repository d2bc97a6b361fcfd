"""The records as JSON, CSV (one line per field, for a spreadsheet) or a printable HTML page for the authority."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from functools import cache
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from custos.records.content import ActivityRecord, ControllerRecord, Party, ProcessorRecord

Format = Literal["html", "csv", "json"]
Record = ControllerRecord | ProcessorRecord

# The article each field answers, shown beside it so the authority can check completeness at a glance.
ARTICLES = {
    "controller": "Art. 30(1)(a)",
    "processor": "Art. 30(2)(a)",
    "protection": "Art. 30(1)(a), 37(7)",
    "purpose": "Art. 30(1)(b)",
    "subjects": "Art. 30(1)(c)",
    "data": "Art. 30(1)(c)",
    "recipients": "Art. 30(1)(d)",
    "transfers": "Art. 30(1)(e)",
    "retention": "Art. 30(1)(f)",
    "security": "Art. 30(1)(g)",
    "customers": "Art. 30(2)(a)",
    "processing": "Art. 30(2)(b)",
    "service_transfers": "Art. 30(2)(c)",
    "service_security": "Art. 30(2)(d)",
}


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__}")


def to_json(record: Record) -> str:
    return json.dumps(dataclasses.asdict(record), default=_plain, ensure_ascii=False, indent=2)


def _party_rows(party: Party, section: str) -> Iterator[tuple[str, str, str, str]]:
    yield section, "", "name", party.name
    if party.org_number:
        yield section, "", "org_number", party.org_number
    yield section, "", "country", party.country
    yield section, "", "contact", party.contact
    yield section, "", "supervisory_authority", party.supervisory_authority
    yield "data_protection", "", "person", party.protection_person
    yield "data_protection", "", "contact", party.protection_contact
    yield "data_protection", "", "formal_dpo", "yes" if party.formal_dpo else "no"


def _none(values: list[str]) -> str:
    # An empty list was written in the policy on purpose (`recipients: []`), so it is said, not left blank.
    return "; ".join(values) if values else "none"


def _activity_rows(a: ActivityRecord) -> Iterator[tuple[str, str, str, str]]:
    here = "activity"
    yield here, a.id, "name", a.name
    yield here, a.id, "purpose", a.purpose
    yield here, a.id, "legal_basis", a.legal_basis + (f" ({a.law})" if a.law else "")
    yield here, a.id, "subjects", "; ".join(f"{s.name} ({s.count} in the register)" for s in a.subjects)
    yield here, a.id, "data", "; ".join(d.name for d in a.data)
    yield here, a.id, "recipients", _none(a.recipients)
    yield here, a.id, "transfers", _none(a.transfers)
    yield here, a.id, "retention", a.retention
    yield here, a.id, "systems", _none([s.name for s in a.systems])
    if a.source:
        yield here, a.id, "source", a.source
    yield here, a.id, "people", str(a.people)


def rows(record: Record) -> Iterator[tuple[str, str, str, str]]:
    """(section, item, field, value) for every field of the record."""
    if isinstance(record, ControllerRecord):
        yield from _party_rows(record.party, "controller")
        for activity in record.activities:
            yield from _activity_rows(activity)
    else:
        yield from _party_rows(record.party, "processor")
        for service in record.services:
            yield "service", service.id, "service", service.service
            yield "service", service.id, "description", service.description
            yield "service", service.id, "processing", _none(service.processing)
            yield "service", service.id, "transfers", _none(service.transfers)
        for index, customer in enumerate(record.customers, start=1):
            yield "customer", str(index), "name", customer.name
            if customer.org_number:
                yield "customer", str(index), "org_number", customer.org_number
            yield "customer", str(index), "contacts", str(customer.contacts)
            if customer.contact:
                yield "customer", str(index), "contact", customer.contact
    for index, measure in enumerate(record.security_measures, start=1):
        yield "security_measures", str(index), "description", measure
    yield "record", "", "policy_version", record.policy_version.isoformat()
    yield "record", "", "generated_at", record.generated_at.isoformat()


def to_csv(record: Record) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["record", "section", "item", "field", "value"])
    for section, item, name, value in rows(record):
        writer.writerow([record.kind, section, item, name, value])
    return out.getvalue()


@cache
def _environment() -> Environment:
    # Built on first use, never at import; autoescape because every value is free text from the policy file.
    return Environment(
        loader=PackageLoader("custos.records", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def body_html(record: Record) -> str:
    """The record itself, without a page around it: the admin page and the printable page both embed it."""
    return _environment().get_template("record_body.html.j2").render(record=record, art=ARTICLES)


def to_html(record: Record) -> str:
    """A standalone page with print styles: print it to PDF or paper for the authority (Art. 30(4))."""
    return _environment().get_template("record.html.j2").render(record=record, body=body_html(record))


def render(record: Record, fmt: Format) -> str:
    if fmt == "json":
        return to_json(record)
    if fmt == "csv":
        return to_csv(record)
    return to_html(record)
