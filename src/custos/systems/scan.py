"""`custos systems scan`: reflect a customer database and propose a dataset mapping for a person to confirm.

Identity and personal-data columns are recognised from their names (English and Swedish) and from a bounded
sample of their values (email addresses, phone numbers, Swedish personal identity numbers with a valid Luhn
check digit, personal names). References come from the foreign keys. Every proposal carries its reason, and
the YAML written says it is a proposal; nothing here is trusted until a person has read it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from sqlalchemy import Date, DateTime, Engine, Numeric, String, inspect, select
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeEngine

from custos.errors import SystemFailed
from custos.systems.connect import mask_url, scrub

DEFAULT_SAMPLE = 200
# Share of sampled non-empty values that must look like the kind before a column is proposed for it.
SHARE = 0.8

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
PERSONNUMMER = re.compile(r"^(?:19|20)?(\d{6})[-+]?(\d{4})$")
PERSON_NAME = re.compile(r"^[A-ZÅÄÖÆØÉÜ][a-zåäöæøéèüß'’-]+(?: [A-ZÅÄÖÆØÉÜ][a-zåäöæøéèüß'’-]+){1,3}$")
PHONE_CHARS = re.compile(r"^\+?[\d\s().-]{7,20}$")

# (category, identity kind, words in the column name) — first match wins.
NAME_RULES: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("contact.email", "email", ("email", "e_post", "epost", "mail", "e_mail", "mejl")),
    ("contact.phone", "phone", ("phone", "telefon", "tel", "mobile", "mobil", "cell", "mobilnummer", "telefonnummer")),
    ("person.national_id", None, ("personnummer", "pnr", "ssn", "national_id", "personal_number", "samordningsnummer")),
    ("person.birth_date", None, ("birth", "birthday", "born", "dob", "fodelsedag", "fodelsedatum", "birthdate")),
    ("contact.address", None, ("address", "adress", "street", "gata", "gatuadress", "postcode", "zip", "zipcode",
                               "postnummer", "postal_code", "city", "ort", "postort")),
    ("contact.name", None, ("name", "namn", "fornamn", "efternamn", "surname", "firstname", "lastname", "fullname")),
]  # fmt: skip
NOT_A_PERSON = ("product", "company", "file", "host", "table", "domain", "brand", "org", "organisation", "item")
AMOUNT_WORDS = ("amount", "total", "price", "sum", "belopp", "summa", "vat", "moms", "cost", "pris")
BOOKKEEPING_WORDS = ("invoice", "faktura", "receipt", "kvitto", "payment", "betalning", "verifikation", "ledger")


@dataclass
class ColumnProposal:
    name: str
    category: str = "none"
    identity: str | None = None
    reason: str | None = None
    nullable: bool = True
    is_text: bool = False


@dataclass
class TableProposal:
    name: str
    key: list[str]
    columns: list[ColumnProposal]
    references: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    erase: dict[str, Any] | str | None = None
    erase_reason: str | None = None
    date_column: str | None = None
    has_amounts: bool = False

    @property
    def personal(self) -> list[ColumnProposal]:
        return [col for col in self.columns if col.category != "none"]

    @property
    def identity(self) -> list[ColumnProposal]:
        return [col for col in self.columns if col.identity]


@dataclass
class ScanResult:
    system: str
    schema: str | None
    tables: list[TableProposal]
    left_out: list[tuple[str, str]]


def scan_system(
    engine: Engine,
    *,
    system: str,
    schema: str | None = None,
    sample: int = DEFAULT_SAMPLE,
    on_table: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    phone_region: str | None = None,
) -> ScanResult:
    """Reflect every table, sample its text columns and propose identity, categories, references and rules.

    `phone_region` (the policy's jurisdiction) reads sampled numbers written without a country code."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        inspector = inspect(engine)
        names = sorted(inspector.get_table_names(schema=schema))
        if on_start is not None:
            on_start(len(names))
        proposals: dict[str, TableProposal] = {}
        foreign: dict[str, list[dict[str, Any]]] = {}
        for name in names:
            columns = inspector.get_columns(name, schema=schema)
            key = list(inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or [])
            foreign[name] = [dict(fk) for fk in inspector.get_foreign_keys(name, schema=schema)]
            proposals[name] = _propose_table(engine, name, schema, columns, key, sample, phone_region)
            if on_table is not None:
                on_table(name)
    except SQLAlchemyError as exc:
        reason = scrub(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0], url)
        raise SystemFailed(f"scanning {mask_url(url)} failed: {reason}", system=system) from None
    return _assemble(system, schema, proposals, foreign)


def _propose_table(
    engine: Engine,
    name: str,
    schema: str | None,
    columns: Sequence[Any],
    key: list[str],
    sample: int,
    phone_region: str | None,
) -> TableProposal:
    proposals = [_by_name(col["name"], col["type"], bool(col.get("nullable", True))) for col in columns]
    text_columns = [p.name for p in proposals if p.is_text]
    if text_columns and sample > 0:
        target = sql_table(name, *(sql_column(c) for c in text_columns), schema=schema)
        with engine.connect() as connection:
            rows = connection.execute(select(*target.c).limit(sample)).all()
        for index, col_name in enumerate(text_columns):
            values = [str(row[index]).strip() for row in rows if row[index] is not None and str(row[index]).strip()]
            proposal = next(p for p in proposals if p.name == col_name)
            _by_values(proposal, values, phone_region)
    table = TableProposal(name, key or [columns[0]["name"]], proposals)
    if not key:
        table.notes.append("no primary key: `key` names the first column; name the column(s) that identify a row")
    for col in columns:
        words = _words(col["name"])
        if isinstance(col["type"], Numeric) and any(w in words for w in AMOUNT_WORDS):
            table.has_amounts = True
        if isinstance(col["type"], (Date, DateTime)) and table.date_column is None:
            table.date_column = col["name"]
    return table


def _words(name: str) -> list[str]:
    lowered = name.lower().replace("ö", "o").replace("ä", "a").replace("å", "a")
    parts = [part for part in re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", lowered)) if part]
    return [*parts, "_".join(parts), "".join(parts)]


def _by_name(name: str, type_: TypeEngine[Any], nullable: bool) -> ColumnProposal:
    proposal = ColumnProposal(name, nullable=nullable, is_text=isinstance(type_, String))
    words = _words(name)
    for category, identity, needles in NAME_RULES:
        if any(needle in words for needle in needles):
            if category == "contact.name" and any(word in words for word in NOT_A_PERSON):
                continue
            proposal.category = category
            proposal.identity = identity if proposal.is_text else None
            proposal.reason = f"the column name {name!r}"
            return proposal
    return proposal


def _by_values(proposal: ColumnProposal, values: list[str], phone_region: str | None) -> None:
    if not values:
        return
    for category, identity, test in (
        ("contact.email", "email", _is_email),
        ("person.national_id", None, _is_personnummer),
        ("contact.phone", "phone", lambda value: _is_phone(value, phone_region)),
        ("contact.name", None, lambda value: PERSON_NAME.fullmatch(value) is not None),
    ):
        hits = sum(1 for value in values if test(value))
        if hits >= SHARE * len(values):
            seen = f"{hits} of {len(values)} sampled values look like {category.split('.')[1].replace('_', ' ')}s"
            if proposal.category == "none":
                proposal.category, proposal.identity = category, identity
                proposal.reason = seen
            elif proposal.category == category:
                proposal.reason = f"{proposal.reason}; {seen}"
            return


def _is_email(value: str) -> bool:
    return EMAIL.fullmatch(value) is not None


def _is_personnummer(value: str) -> bool:
    match = PERSONNUMMER.fullmatch(value)
    if match is None:
        return False
    digits = match.group(1) + match.group(2)
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return total % 10 == 0


def _is_phone(value: str, region: str | None) -> bool:
    if PHONE_CHARS.fullmatch(value) is None:
        return False
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(value, region)))
    except phonenumbers.NumberParseException:
        return False


def _assemble(
    system: str, schema: str | None, proposals: dict[str, TableProposal], foreign: dict[str, list[dict[str, Any]]]
) -> ScanResult:
    roots = {name for name, table in proposals.items() if table.identity}
    children: dict[str, list[tuple[str, str, str, str]]] = {}  # parent → (child, column, parent column, child)
    for name, keys in foreign.items():
        for fk in keys:
            if len(fk["constrained_columns"]) == 1 and (fk.get("referred_schema") in (None, schema)):
                parent = fk["referred_table"]
                children.setdefault(parent, []).append(
                    (name, fk["constrained_columns"][0], fk["referred_columns"][0], name)
                )
    included = set(roots)
    queue = list(roots)
    while queue:
        parent = queue.pop()
        for child, _col, _pcol, _ in children.get(parent, []):
            if child not in included:
                included.add(child)
                queue.append(child)
    included |= {name for name, table in proposals.items() if table.personal}
    # References between included tables, child → parent, skipping any that would close a circle.
    edges: dict[str, set[str]] = {name: set() for name in included}
    for parent, links in sorted(children.items()):
        for child, col, parent_col, _ in links:
            if parent not in included or child not in included:
                continue
            table = proposals[child]
            if parent == child:
                table.notes.append(f"{col} → {parent}.{parent_col} points into the same table; left out")
            elif _reaches(edges, parent, child):
                table.notes.append(f"{col} → {parent}.{parent_col} would close a circle of references; left out")
            else:
                edges[child].add(parent)
                table.references[col] = f"{parent}.{parent_col}"
    for name in included:
        _propose_erasure(proposals[name], name in roots or bool(proposals[name].references))
    ordered = [proposals[name] for name in _parents_first(included, edges)]
    left_out = [
        (name, "no personal data found, no identity column, and no reference to a person's rows")
        for name in sorted(set(proposals) - included)
    ]
    return ScanResult(system, schema, ordered, left_out)


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(edges.get(node, ()))
    return False


def _parents_first(included: set[str], edges: dict[str, set[str]]) -> list[str]:
    placed: list[str] = []
    remaining = sorted(included)
    while remaining:
        ready = next((name for name in remaining if edges[name] <= set(placed)), remaining[0])
        placed.append(ready)
        remaining.remove(ready)
    return placed


def _propose_erasure(table: TableProposal, findable: bool) -> None:
    if not findable:
        table.notes.append("personal data, but no identity column or reference: a person cannot be found here")
        return
    if not table.has_amounts:
        table.erase = "delete"
        table.erase_reason = "rows of a person with nothing kept for bookkeeping"
        return
    clear: dict[str, Any] = {}
    notes: list[str] = []
    for col in table.columns:
        if col.category == "none" and col.name not in table.references:
            continue
        if col.nullable:
            clear[col.name] = None
        elif col.is_text:
            clear[col.name] = "erased"
        else:
            notes.append(f"{col.name} cannot be set to NULL and is not text: decide how to clear it")
    if not clear:
        table.erase = "keep"
        table.erase_reason = "amounts kept for bookkeeping, and no personal columns found to clear"
        return
    table.notes += notes
    anonymise = {"anonymise": clear}
    bookkeeping = any(word in table.name.lower() for word in BOOKKEEPING_WORDS)
    if bookkeeping and table.date_column:
        table.erase = {"keep": "P7Y", "from": table.date_column, "round": "end_of_year",
                       "law": "Bokföringslagen (1999:1078) 7 kap. 2 §", "then": anonymise}  # fmt: skip
        table.erase_reason = "amounts and a date in a bookkeeping table: kept seven years, then anonymised"
    else:
        table.erase = anonymise
        table.erase_reason = "amounts or dates kept for bookkeeping; the person's columns cleared"


def render_yaml(result: ScanResult, source: str) -> str:
    """The proposal as a mapping file; `# proposed:` comments give each guess its reason."""
    out = [
        f"# Dataset mapping proposed by `custos systems scan` of {source}.",
        "# Every line marked `# proposed:` is a guess from column names and sampled values: confirm or correct it,",
        "# then remove the comment. Data categories must be ids of the policy's `data_categories`;",
        "# `custos systems check` compares this file with the live schema and the policy.",
        f"system: {_q(result.system)}",
    ]
    if result.schema:
        out.append(f"schema: {_q(result.schema)}")
    out.append("tables:")
    for table in result.tables:
        out.append(f"  {_q(table.name)}:")
        out += [f"    # note: {note}" for note in table.notes]
        out.append(
            "    key: " + (_q(table.key[0]) if len(table.key) == 1 else "[" + ", ".join(map(_q, table.key)) + "]")
        )
        if table.identity:
            out.append("    identity:")
            out += [f"      {_q(c.name)}: {c.identity}  # proposed: {c.reason}" for c in table.identity]
        if table.references:
            out.append("    references:")
            out += [f"      {_q(col)}: {_q(target)}  # foreign key" for col, target in table.references.items()]
        out.append("    columns:")
        for col in table.columns:
            comment = f"  # proposed: {col.reason}" if col.reason else ""
            out.append(f"      {_q(col.name)}: {col.category}{comment}")
        if table.erase is not None:
            out.append(f"    # proposed: {table.erase_reason}")
            out += _rule_lines(table.erase, "    erase")
    for name, reason in result.left_out:
        out.append(f"# left out: {name} — {reason}")
    return "\n".join(out) + "\n"


def _rule_lines(rule: dict[str, Any] | str, prefix: str) -> list[str]:
    if isinstance(rule, str):
        return [f"{prefix}: {rule}"]
    indent = " " * (len(prefix) - len(prefix.lstrip()) + 2)
    lines = [f"{prefix}:"]
    for key, value in rule.items():
        if isinstance(value, dict) and key == "anonymise":
            lines.append(f"{indent}anonymise:")
            lines += [f"{indent}  {_q(col)}: {'null' if v is None else _q(v)}" for col, v in value.items()]
        elif isinstance(value, (dict, str)) and key == "then":
            lines += _rule_lines(value, f"{indent}then")
        else:
            lines.append(f"{indent}{key}: {_q(str(value))}")
    return lines


def _q(text: str) -> str:
    """Plain when YAML reads it back as the same string, double-quoted (JSON is valid YAML) otherwise."""
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", text) is not None
    reserved = text.lower() in ("null", "true", "false", "yes", "no", "on", "off", "y", "n", "none", "~")
    return text if plain and not reserved else json.dumps(text, ensure_ascii=False)
