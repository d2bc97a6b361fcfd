"""The access package (Art. 15(1), 15(3)) and the portability package (Art. 20), written as a ZIP.

Art. 15(3) asks for a copy "in a commonly used electronic form": every table is given as JSON and as CSV, with
the kind of data in each column beside it, and a README.html that any browser opens without a network (no
scripts, no external style sheets or images) summarises the data and carries the Art. 15 information.

The ZIP is streamed: each file is written into the archive as it is produced and never held whole as one
string, and the archive goes through a hashing sink, so its sha256 is known without reading it back. File
order and timestamps are fixed, so the same data gives the same bytes.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol

from custos.requests.art15 import Art15Info, render_art15_html
from custos.requests.wording import request_texts
from custos.texts import Texts

REGISTER_PART = "register"
# Rows shown per table in README.html; the JSON and CSV files always hold every row.
SUMMARY_ROWS = 200
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a ZIP entry can carry
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45;"
    "color:#1a1a1a}table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}th,td{border:1px solid "
    "#bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}thead th{background:#eee}.cat{font-weight:normal;"
    "color:#555;font-size:.8rem}dt{font-weight:bold;margin-top:.5rem}code{background:#f3f3f3;padding:0 .2rem}"
)


class TableLike(Protocol):
    """What a connected system exports for one table (`custos.systems.export.TableExport` fits)."""

    @property
    def table(self) -> str: ...

    @property
    def categories(self) -> Mapping[str, str]: ...

    @property
    def rows(self) -> Sequence[Mapping[str, Any]]: ...


@dataclass(frozen=True)
class ExportedTable:
    table: str
    categories: Mapping[str, str]
    rows: Sequence[Mapping[str, Any]]


@dataclass
class SubjectData:
    """Everything held about one person: the register part as plain dicts, and per system its tables."""

    ref: str
    person: Mapping[str, Any] | None = None
    relationships: Sequence[Mapping[str, Any]] = ()
    identities: Sequence[Mapping[str, Any]] = ()
    consents: Sequence[Mapping[str, Any]] = ()
    systems: Mapping[str, Sequence[TableLike]] = field(default_factory=dict)
    generated_at: datetime | None = None
    # Systems searched by hand: what each owner reported (fields, records, when, their note).
    manual: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_parts(
        cls, ref: str, parts: Mapping[str, Mapping[str, Any]], generated_at: datetime | None = None
    ) -> SubjectData:
        """From staged parts: `{"register": {"person": {... "relationships": [...]}}, "<system>": {"tables":
        [{"table", "categories", "rows"}, ...]}}`; the register part may also carry identities and consents."""
        register = parts.get(REGISTER_PART) or {}
        person = dict(register.get("person") or {}) or None
        relationships = list(person.pop("relationships", [])) if person else []
        systems = {
            system: [
                ExportedTable(str(t["table"]), dict(t.get("categories") or {}), list(t.get("rows") or []))
                for t in part.get("tables") or []
            ]
            for system, part in sorted(parts.items())
            if system != REGISTER_PART
        }
        return cls(
            ref=ref,
            person=person,
            relationships=relationships,
            identities=list(register.get("identities") or []),
            consents=list(register.get("consents") or []),
            systems=systems,
            generated_at=generated_at,
            manual={
                system: dict(part["manual"])
                for system, part in sorted(parts.items())
                if system != REGISTER_PART and part.get("manual")
            },
        )


@dataclass(frozen=True)
class PackedFile:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class PackageInfo:
    """What was written: the archive's size and sha256, and each file in it, in archive order."""

    size: int
    sha256: str
    files: tuple[PackedFile, ...]
    rows: int
    path: Path | None = None

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.files]


def build_access_package(
    target: Path | BinaryIO,
    *,
    subject: SubjectData,
    art15: Art15Info,
    lang: str = "en",
    names: Mapping[str, str] | None = None,
) -> PackageInfo:
    """The copy of the data (Art. 15(3)) with the Art. 15(1) information, as a ZIP at `target`.

    `names` gives the README the policy's titles for ids (systems, activities, subject categories), as
    `policy_names` makes them; without it the ids are shown."""
    words = request_texts(lang)
    with _archive(target, subject.generated_at) as writer:
        writer.text("README.html", _readme(words, subject, art15, names or {}))
        writer.json("art15.json", art15.to_dict())
        _register_files(writer, subject)
        _system_files(writer, subject)
    return writer.info(target)


def build_portability_package(
    target: Path | BinaryIO,
    *,
    subject: SubjectData,
    lang: str = "en",
    art15: Art15Info | None = None,
    organisation: str | None = None,
    names: Mapping[str, str] | None = None,
) -> PackageInfo:
    """Art. 20: the data the subject provided, in JSON and CSV only. The caller passes only that data (the
    relationships whose basis is consent or contract and what the subject gave under them). `art15` only
    lends the organisation's name: Art. 20 asks for the data alone, so the Art. 15 information is left out."""
    words = request_texts(lang)
    name = organisation or (art15.organisation if art15 is not None else "")
    with _archive(target, subject.generated_at) as writer:
        writer.text("README.html", _portability_readme(words, subject, name, names or {}))
        _register_files(writer, subject)
        _system_files(writer, subject)
    return writer.info(target)


# -- the archive -------------------------------------------------------------------------------------------


class _HashingSink:
    """A forward-only stream: zipfile then writes each entry once (with a data descriptor), so hashing what
    passes through gives the archive's sha256 without reading it back."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        self._out.write(data)
        return len(data)

    def flush(self) -> None:
        self._out.flush()


class _Writer:
    def __init__(self, archive: zipfile.ZipFile, sink: _HashingSink, stamp: tuple[int, int, int, int, int, int]):
        self._archive = archive
        self._sink = sink
        self._stamp = stamp
        self._files: list[PackedFile] = []
        self._names: set[str] = set()
        self.rows = 0

    @contextmanager
    def entry(self, name: str) -> Iterator[IO[str]]:
        if name in self._names:
            raise ValueError(f"{name} is already in the package")
        self._names.add(name)
        info = zipfile.ZipInfo(name, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with self._archive.open(info, "w") as raw:
            counted = _Counting(raw)
            text = io.TextIOWrapper(io.BufferedWriter(counted, 64 * 1024), encoding="utf-8", newline="")
            yield text
            text.flush()
            # Detached, not closed: closing would close the archive entry before zipfile finishes it.
            text.detach().detach()
        self._files.append(PackedFile(name, counted.size, counted.digest.hexdigest()))

    def text(self, name: str, content: str) -> None:
        with self.entry(name) as out:
            out.write(content)

    def json(self, name: str, value: Any) -> None:
        with self.entry(name) as out:
            json.dump(value, out, ensure_ascii=False, indent=2, default=_jsonable)
            out.write("\n")

    def json_rows(self, name: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """A JSON array written a row at a time."""
        with self.entry(name) as out:
            out.write("[")
            for index, row in enumerate(rows):
                out.write(",\n  " if index else "\n  ")
                out.write(json.dumps(row, ensure_ascii=False, default=_jsonable))
            out.write("\n]\n")

    def csv_rows(self, name: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
        with self.entry(name) as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(row.get(column)) for column in columns])

    def info(self, target: Path | BinaryIO) -> PackageInfo:
        return PackageInfo(
            size=self._sink.size,
            sha256=self._sink.digest.hexdigest(),
            files=tuple(self._files),
            rows=self.rows,
            path=target if isinstance(target, Path) else None,
        )


class _Counting(io.RawIOBase):
    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.digest.update(chunk)
        self.size += len(chunk)
        self._out.write(chunk)
        return len(chunk)


@contextmanager
def _archive(target: Path | BinaryIO, generated_at: datetime | None) -> Iterator[_Writer]:
    stamp = _EPOCH
    if generated_at is not None and generated_at.year >= 1980:
        stamp = (
            generated_at.year,
            generated_at.month,
            generated_at.day,
            generated_at.hour,
            generated_at.minute,
            generated_at.second,
        )
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        with partial.open("wb") as out, _zip(out, stamp) as writer:
            yield writer
        # Renamed into place only when complete: a crash never leaves a half package under the real name.
        partial.replace(target)
    else:
        with _zip(target, stamp) as writer:
            yield writer


@contextmanager
def _zip(out: IO[bytes], stamp: tuple[int, int, int, int, int, int]) -> Iterator[_Writer]:
    sink = _HashingSink(out)
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
        writer = _Writer(archive, sink, stamp)
        yield writer
    sink.flush()


# -- contents ----------------------------------------------------------------------------------------------


def _register_files(writer: _Writer, subject: SubjectData) -> None:
    writer.json(f"{REGISTER_PART}/person.json", subject.person)
    for name, rows in (
        ("relationships", subject.relationships),
        ("identities", subject.identities),
        ("consents", subject.consents),
    ):
        if rows:
            writer.json_rows(f"{REGISTER_PART}/{name}.json", rows)
            writer.csv_rows(f"{REGISTER_PART}/{name}.csv", _columns(rows, {}), rows)
            writer.rows += len(rows)


def _system_files(writer: _Writer, subject: SubjectData) -> None:
    for system in sorted(subject.systems):
        folder = f"systems/{_safe(system)}"
        tables = sorted(subject.systems[system], key=lambda t: t.table)
        categories = {t.table: dict(t.categories) for t in tables if t.categories}
        if categories:  # an empty file says nothing to the person reading the package
            writer.json(f"{folder}/_categories.json", categories)
        if system in subject.manual:
            # The whole report, the owner's note included: it is about the person's data, so under Art. 15(3) the
            # copy is theirs (the task form tells the owner so); the README, a summary, leaves the note out.
            writer.json(f"{folder}/_owner_report.json", dict(subject.manual[system]))
        for table in tables:
            columns = _columns(table.rows, table.categories)
            writer.json_rows(f"{folder}/{_safe(table.table)}.json", table.rows)
            writer.csv_rows(f"{folder}/{_safe(table.table)}.csv", columns, table.rows)
            writer.rows += len(table.rows)


def policy_names(policy: Any, lang: str = "en") -> dict[str, str]:
    """The policy's titles for the ids a package names: systems, processing activities, subject categories."""

    def said(text: Any) -> str:
        return str(text.in_(lang)) if hasattr(text, "in_") else str(text)

    found: dict[str, str] = {}
    for group in (policy.subject_categories, policy.activities, policy.systems):
        found |= {item.id: said(item.name) for item in group}
    return found


def _columns(rows: Sequence[Mapping[str, Any]], categories: Mapping[str, str]) -> list[str]:
    """The mapped columns first (in mapping order), then any other the rows have, in order of appearance."""
    columns = dict.fromkeys(categories)
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def _safe(name: str) -> str:
    """A file name that stays inside its folder whatever a system calls its tables."""
    cleaned = _SAFE.sub("_", name).lstrip(".")
    return cleaned or "_"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=_jsonable)
    return str(_jsonable(value))


# -- README.html -------------------------------------------------------------------------------------------


def _page(lang: str, title: str, body: list[str]) -> str:
    return (
        f"<!DOCTYPE html>\n<html lang='{escape(lang)}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><main><h1>{escape(title)}</h1>{''.join(body)}</main></body></html>\n"
    )


def _readme(words: Texts, subject: SubjectData, art15: Art15Info, names: Mapping[str, str]) -> str:
    t = words.text
    title = t("package.title").format(organisation=art15.organisation)
    body = [_generated(words, subject), f"<h2>{escape(t('package.contents'))}</h2>"]
    body.append(f"<p>{escape(t('package.contents_text'))}</p>")
    body.extend(_data_sections(words, subject, names))
    body.append(render_art15_html(art15, heading_level=2))
    return _page(words.lang, title, body)


def _portability_readme(words: Texts, subject: SubjectData, organisation: str, names: Mapping[str, str]) -> str:
    t = words.text
    if organisation:
        title = t("package.portability_title").format(organisation=organisation)
    else:
        title = t("package.portability_title_plain")
    body = [_generated(words, subject), f"<p>{escape(t('package.portability_text'))}</p>"]
    body.extend(_data_sections(words, subject, names))
    return _page(words.lang, title, body)


def _generated(words: Texts, subject: SubjectData) -> str:
    day = subject.generated_at.date().isoformat() if subject.generated_at else ""
    return f"<p>{escape(words.text('package.generated').format(date=day, ref=subject.ref))}</p>"


# Register fields the README leaves to the JSON and CSV files: internal numbers that mean nothing to a reader.
_INTERNAL = frozenset({"id", "organisation_id", "person_id"})
# Register fields whose value is an id of the policy, shown by its title.
_TITLED = frozenset({"subject_category", "activity"})


def _label(words: Texts, key: str) -> str:
    return words.optional(f"package.labels.{key}") or key.replace("_", " ").capitalize()


def _value(words: Texts, key: str, value: Any, names: Mapping[str, str]) -> str:
    if key in _TITLED and isinstance(value, str):
        return names.get(value, value)
    if key == "legal_basis" and isinstance(value, str):
        return words.optional(f"package.bases.{value}") or value
    if isinstance(value, list):
        return ", ".join(_cell(item) for item in value)
    return _cell(value)


def _register_table(words: Texts, rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> str:
    columns = [c for c in _columns(rows, {}) if c not in _INTERNAL]
    head = "".join(f"<th>{escape(_label(words, c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_value(words, c, row.get(c), names))}</td>" for c in columns) + "</tr>"
        for row in rows[:SUMMARY_ROWS]
    )
    extra = len(rows) - SUMMARY_ROWS
    more = f"<p>{escape(words.text('package.more_rows').format(n=extra))}</p>" if extra > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _data_sections(words: Texts, subject: SubjectData, names: Mapping[str, str]) -> list[str]:
    t = words.text
    parts = [f"<h2>{escape(t('package.register'))}</h2>"]
    if subject.person:
        rows = "".join(
            f"<tr><th>{escape(_label(words, str(key)))}</th>"
            f"<td>{escape(_value(words, str(key), value, names))}</td></tr>"
            for key, value in subject.person.items()
            if key not in _INTERNAL
        )
        parts.append(f"<table><tbody>{rows}</tbody></table>")
    else:
        parts.append(f"<p>{escape(t('package.no_data'))}</p>")
    for heading, rows_of in (
        ("relationships", subject.relationships),
        ("identities", subject.identities),
        ("consents", subject.consents),
    ):
        if rows_of:
            parts.append(f"<h3>{escape(t(f'package.sections.{heading}'))}</h3>")
            parts.append(_register_table(words, rows_of, names))
    parts.append(f"<h2>{escape(t('package.systems'))}</h2>")
    if not any(subject.systems.values()) and not subject.manual:
        parts.append(f"<p>{escape(t('package.no_systems'))}</p>")
    for system in sorted(subject.systems):
        parts.append(f"<h3>{escape(t('package.system_heading').format(system=names.get(system, system)))}</h3>")
        report = subject.manual.get(system)
        if report:
            said = t("package.manual_report").format(
                date=str(report.get("done_at") or "")[:10],
                fields=", ".join(report.get("fields") or []) or "-",
                records=report.get("records") if report.get("records") is not None else "-",
            )
            parts.append(f'<p class="owner-report">{escape(said)}</p>')
        for table in sorted(subject.systems[system], key=lambda item: item.table):
            count = len(table.rows)
            forms = {"one": t("package.rows.one"), "other": t("package.rows.other")}
            said = forms["one"] if count == 1 else forms["other"].format(n=count)
            parts.append(f"<p>{escape(t('package.table').format(table=table.table, rows=said))} — ")
            parts.append(f"<code>systems/{escape(_safe(system))}/{escape(_safe(table.table))}.csv</code></p>")
            if table.rows:
                columns = _columns(table.rows, table.categories)
                parts.append(_html_table(words, columns, table.categories, table.rows))
    return parts


def _html_table(
    words: Texts, columns: Sequence[str], categories: Mapping[str, str], rows: Sequence[Mapping[str, Any]]
) -> str:
    head = "".join(
        f"<th>{escape(column)}"
        + (f"<br><span class='cat'>{escape(categories[column])}</span>" if column in categories else "")
        + "</th>"
        for column in columns
    )
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(row.get(column)))}</td>" for column in columns) + "</tr>"
        for row in rows[:SUMMARY_ROWS]
    )
    extra = len(rows) - SUMMARY_ROWS
    more = f"<p>{escape(words.text('package.more_rows').format(n=extra))}</p>" if extra > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"
