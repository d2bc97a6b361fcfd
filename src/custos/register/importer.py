"""CSV import of customer contacts and prospects.

Two passes over the file, never holding it in memory: the first checks every row and reports each bad one
with its line number; the second writes, in batches, inside one transaction, so a file is imported whole
or not at all. People are matched by the blind index of their email (or phone), and a relationship by its
natural key, so importing the same file again changes nothing.

The first pass (`register.import_check`) also seals each good row — encrypts it, computes its blind indexes and
name tokens — in worker processes for a large file; the second writes new rows in bulk (`register.bulk`: COPY on
PostgreSQL, one prepared statement per batch on SQLite) and reads only what it must compare with.

Runtime tier (`import_file(runtime, actor, ...)`): the write pass is one unit of work, and the `person.import`
event with the import's counts is written in it, after the last batch, so the rows and the record of who
brought them in commit together or not at all (Art. 5(2), 30). A refused file is audited as rejected in a
unit of its own, since nothing of it was written.
"""

from __future__ import annotations

import gc
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Table, select, text, update
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit.actions import Action
from custos.clock import today
from custos.db.base import Base
from custos.errors import CustosError, InvalidInput, Problem
from custos.policy.retention import ROLE_OF_ANCHOR
from custos.register import bulk, sealed
from custos.register.csv_rows import DEFAULT_CATEGORY, ContactRow, ImportKind
from custos.register.import_check import SealedRow, check_file, spooled
from custos.register.lawful import Dates, never_due, resolve_activity, with_defaults
from custos.register.models import Identity, Organisation, OrganisationRole, Person, PersonNameToken, Relationship
from custos.work import Work

if TYPE_CHECKING:
    from custos.runtime import Runtime

BATCH = 1000  # rows written at a time; a later row for the same person in one batch replaces the earlier one
# (phase, done, total): "checking" counts bytes of the file, "importing" counts rows.
Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    rows: int = 0
    people_created: int = 0
    people_updated: int = 0
    relationships_created: int = 0
    relationships_updated: int = 0
    unchanged: int = 0
    organisations_created: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """What the `person.import` event records: counts, never rows."""
        return {
            "rows": self.rows,
            "people_created": self.people_created,
            "people_updated": self.people_updated,
            "relationships_created": self.relationships_created,
            "relationships_updated": self.relationships_updated,
            "unchanged": self.unchanged,
            "organisations_created": self.organisations_created,
            "rejected": self.rejected,
        }


def import_file(
    runtime: Runtime,
    actor: Actor,
    path: Path,
    kind: ImportKind,
    *,
    subject_category: str | None = None,
    activity: str | None = None,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    progress: Progress | None = None,
    target: str | None = None,
    details: dict[str, object] | None = None,
    before_commit: Callable[[Work, ImportReport], None] | None = None,
    on_reject: Callable[[Work, CustosError], None] | None = None,
) -> ImportReport:
    """Import the file as `actor`, audited as `person.import` (`target` and `details` say where it came from).

    `before_commit` runs in the write pass's unit after the event (an upload's end state commits with the rows);
    `on_reject` runs in the unit that audits a refusal, before the refusal is raised again.
    """
    category = subject_category or DEFAULT_CATEGORY[kind]
    about: dict[str, object] = {"kind": kind, **(details or {})}
    try:
        activity_id, basis = resolve_activity(runtime.policy, category, activity, "import")
        report = ImportReport()
        # The checked and sealed rows wait in an anonymous temporary file (unlinked at once, gone on close or
        # crash), so the expensive checks run once and memory stays flat whatever the file's size.
        with _gc_frozen(), tempfile.TemporaryFile() as spool:
            rejects = rejects_path if skip_invalid else None
            region = runtime.policy.jurisdiction.phone_region
            good = check_file(path, kind, runtime.keys, region, report, rejects, spool, progress)
            if report.problems and not skip_invalid:
                raise InvalidInput(
                    f"{path.name}: {len(report.problems)} bad row(s); nothing was imported "
                    "(fix them, or use --skip-invalid to import the good rows)",
                    report.problems,
                )
            spool.seek(0)
            done = 0
            # One unit for every batch: the final counts event commits with the last batch (see the docstring).
            with runtime.work(actor) as work:
                writer = _Writer(work, kind, category, activity_id, basis, report, source=path.name)
                for batch in spooled(spool, BATCH):
                    writer.write(work.session, batch)
                    done += len(batch)
                    if progress is not None:
                        progress("importing", done, good)
                work.audit(Action.PERSON_IMPORT, target=target, details={**about, **report.counts()})
                if before_commit is not None:
                    before_commit(work, report)
    except CustosError as exc:
        # Nothing of the file was written (the write pass rolled back, or never began): the refusal alone.
        with runtime.work(actor) as work:
            work.audit(
                Action.PERSON_IMPORT,
                outcome="rejected",
                target=target,
                details={**about, "problems": len(exc.problems)},
            )
            if on_reject is not None:
                on_reject(work, exc)
        raise
    return report


def _holders(session: Session, kind: str, lookups: list[bytes]) -> list[tuple[bytes, int]]:
    """(lookup, person id) of the identities of `kind` among `lookups`: one probe of the unique index each."""
    if session.get_bind().dialect.name != "postgresql":
        query = select(Identity.lookup, Identity.person_id).where(Identity.kind == kind, Identity.lookup.in_(lookups))
        return [(lookup, pid) for lookup, pid in session.execute(query)]
    # Not `kind = … AND lookup = ANY(…)`: inside the import's transaction the planner has no statistics of the
    # rows it added, guesses few identities of the kind, and reads all of them on the index's first column, so
    # each batch read every email imported before it (measured: 15 µs a row at 50k rows, 40 at 200k).
    # An equality on the whole unique key is one index probe, whatever the planner believes.
    probes = text(
        "SELECT v, (SELECT person_id FROM identity WHERE kind = :kind AND lookup = v) AS pid "
        "FROM unnest(CAST(:lookups AS bytea[])) AS wanted(v)"
    )
    return [(bytes(v), int(pid)) for v, pid in session.execute(probes, {"kind": kind, "lookups": lookups}) if pid]


@contextmanager
def _gc_frozen() -> Iterator[None]:
    """Keep the cyclic garbage collector to the import's own objects: its full collections would otherwise walk
    every object the process holds (the ORM's, phone metadata) again and again, a fifth of a large import's time."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _table(model: type[Base]) -> Table:
    """The Core table of a model: bulk inserts skip the ORM's per-row bookkeeping."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


_RELATIONSHIP_COLUMNS = (
    "person_id",
    "subject_category",
    "activity",
    "organisation_id",
    "legal_basis",
    "started_on",
    "ended_on",
    "last_interaction_on",
    "collected_on",
    "source",
    "created_at",
    "updated_at",
)

# Organisations remembered across batches. Bounded, so memory does not grow with the number of organisations
# in the file; a forgotten one costs a batched look-up, never a duplicate. Must exceed two batches' worth.
ORG_CACHE = 10 * BATCH

K = TypeVar("K")
V = TypeVar("V")


class _Recent(OrderedDict[K, V]):
    """A dict that forgets its least recently stored or touched entries beyond `size`."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def touch(self, key: K) -> None:
        self.move_to_end(key)

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


# An organisation is known by its number, or by its name when the file gives no number.
OrgKey = tuple[str | None, str | None]


def _org_key(row: ContactRow) -> OrgKey | None:
    if row.organisation is None and row.org_number is None:
        return None
    return (row.org_number, None if row.org_number else row.organisation)


class _Writer:
    """Writes batches of checked rows; organisation ids are cached because many contacts share one."""

    def __init__(
        self,
        work: Work,
        kind: ImportKind,
        category: str,
        activity: str,
        basis: str,
        report: ImportReport,
        *,
        source: str = "import",
    ) -> None:
        self.work, self.kind, self.category, self.activity, self.basis = work, kind, category, activity, basis
        self.report, self.source = report, source
        # Every relationship written can fall due under this rule (register.lawful, Art. 5(1)(e)).
        self.rule = work.policy.activity(activity).retention
        self.role = ROLE_OF_ANCHOR.get(self.rule.from_)
        self.orgs: _Recent[OrgKey, int] = _Recent(ORG_CACHE)
        # organisation id -> whether its latest customer period has an end; saves a query per contact row.
        self.customer_role_ended: _Recent[int, bool] = _Recent(ORG_CACHE)
        self.created_orgs: set[int] = set()  # the organisations the current batch created
        self.today = today(work.clock)
        self.now = work.clock.now()

    def write(self, session: Session, rows: list[SealedRow]) -> None:
        self.created_orgs = set()
        # A later row for the same address in the same batch updates the earlier one, as across batches.
        by_key: dict[tuple[str, str], SealedRow] = {}
        for row in rows:
            by_key[row.key] = row
        found: dict[bytes, int] = {}
        for kind in {k for k, _ in by_key}:
            # Filter on kind too: the unique index is (kind, lookup), and without it every batch scans the table.
            wanted = [idx for (k, _), row in by_key.items() if k == kind for idx in row.lookups]
            found.update(_holders(session, kind, wanted))
        person_of: dict[tuple[str, str], int] = {}
        for k, row in by_key.items():
            pid = next((found[i] for i in row.lookups if i in found), None)
            if pid is not None:
                person_of[k] = pid
        self._update_people(session, {person_of[k]: r for k, r in by_key.items() if k in person_of})
        known = set(person_of.values())
        new = [(k, r) for k, r in by_key.items() if k not in person_of]
        person_of.update(self._create_people(session, new))
        self._upsert_relationships(session, [(person_of[k], r.row) for k, r in by_key.items()], known)

    def _create_people(
        self, session: Session, new: list[tuple[tuple[str, str], SealedRow]]
    ) -> dict[tuple[str, str], int]:
        """Write new people with their identities and name tokens, sealed in the check pass; their ids."""
        if not new:
            return {}
        ids = bulk.next_ids(session, _table(Person), len(new))
        now = self.now
        bulk.insert_rows(
            session,
            _table(Person),
            ("id", "ref", "name_enc", "title_enc", "created_at", "updated_at"),
            [(pid, r.ref, r.name_enc, r.title_enc, now, now) for pid, (_, r) in zip(ids, new, strict=True)],
        )
        bulk.insert_rows(
            session,
            _table(Identity),
            ("person_id", "kind", "value_enc", "lookup"),
            [(pid, *identity) for pid, (_, r) in zip(ids, new, strict=True) for identity in r.identities],
        )
        bulk.insert_rows(
            session,
            _table(PersonNameToken),
            ("person_id", "token"),
            [(pid, t) for pid, (_, r) in zip(ids, new, strict=True) for t in r.tokens],
        )
        self.report.people_created += len(new)
        return {k: pid for pid, (k, _) in zip(ids, new, strict=True)}

    def _update_people(self, session: Session, existing: dict[int, SealedRow]) -> None:
        if not existing:
            return
        keys = self.work.keys
        rows = session.execute(
            select(Person.id, Person.name_enc, Person.title_enc).where(Person.id.in_(list(existing)))
        ).all()
        changes = []
        for pid, name_enc, title_enc in rows:
            sealed_row = existing[pid]
            row = sealed_row.row
            title = sealed.title_of(keys, title_enc)
            if sealed.name_of(keys, name_enc) != row.name or (row.title is not None and title != row.title):
                columns = {"name_enc": sealed_row.name_enc, "title_enc": sealed_row.title_enc}
                if not row.title:  # a file without titles leaves the register's title as it is
                    columns["title_enc"] = title_enc
                changes.append({"id": pid, **columns, "updated_at": self.now})
        if changes:
            session.execute(update(Person), changes)
            renamed = [pid for pid, name_enc, _ in rows if sealed.name_of(keys, name_enc) != existing[pid].row.name]
            sealed.renamed(session, keys, {pid: existing[pid].row.name for pid in renamed})
            self.report.people_updated += len(changes)

    def _resolve_organisations(self, session: Session, rows: list[ContactRow]) -> None:
        """Find or create every organisation the batch names, a few queries per batch rather than per row."""
        missing: dict[OrgKey, ContactRow] = {}
        for row in rows:
            if (key := _org_key(row)) is None:
                continue
            if key in self.orgs:
                self.orgs.touch(key)  # keep the batch's organisations from being evicted by its new ones
            else:
                missing.setdefault(key, row)
        if not missing:
            return
        self._find_organisations(session, set(missing))
        to_create = [key for key in missing if key not in self.orgs]
        if to_create:
            ids = bulk.next_ids(session, _table(Organisation), len(to_create))
            bulk.insert_rows(
                session,
                _table(Organisation),
                ("id", "name", "org_number", "created_at"),
                [
                    (org_id, missing[key].organisation or key[0], key[0], self.now)
                    for org_id, key in zip(ids, to_create, strict=True)
                ],
            )
            self.report.organisations_created += len(to_create)
            for org_id, key in zip(ids, to_create, strict=True):
                self.orgs[key] = org_id
                self.created_orgs.add(org_id)

    def _find_organisations(self, session: Session, keys: set[OrgKey]) -> None:
        numbers = [number for number, _ in keys if number]
        names = [name for number, name in keys if number is None and name]
        if numbers:
            for number, org_id in session.execute(
                select(Organisation.org_number, Organisation.id).where(
                    bulk.is_in(session, Organisation.org_number, numbers)
                )
            ):
                self.orgs[(number, None)] = org_id
        if names:
            for name, org_id in session.execute(
                select(Organisation.name, Organisation.id)
                .where(bulk.is_in(session, Organisation.name, names), Organisation.org_number.is_(None))
                .order_by(Organisation.id)
            ):
                if (None, name) not in self.orgs:  # the oldest of same-named organisations wins
                    self.orgs[(None, name)] = org_id

    def _settle_customer_roles(self, session: Session, rows: list[ContactRow]) -> None:
        """A contacts file says since when (and until when) each organisation is a customer."""
        firsts: dict[int, ContactRow] = {}
        ends: dict[int, date] = {}
        for row in rows:
            key = _org_key(row)
            if key is None:
                continue
            org_id = self.orgs[key]
            firsts.setdefault(org_id, row)
            if row.customer_until:
                ends.setdefault(org_id, row.customer_until)
        pending = [
            org_id
            for org_id in firsts
            if org_id not in self.customer_role_ended or (org_id in ends and not self.customer_role_ended[org_id])
        ]
        if not pending:
            return
        spans: dict[int, list[OrganisationRole]] = {}
        # An organisation this batch created has no roles yet: only the others are looked up.
        if older := [org_id for org_id in pending if org_id not in self.created_orgs]:
            for span in session.scalars(
                select(OrganisationRole).where(
                    bulk.is_in(session, OrganisationRole.organisation_id, older), OrganisationRole.role == "customer"
                )
            ):
                spans.setdefault(span.organisation_id, []).append(span)
        new_spans = []
        for org_id in pending:
            if org_id not in spans:
                new_spans.append((org_id, "customer", firsts[org_id].customer_since, ends.get(org_id)))
                self.customer_role_ended[org_id] = org_id in ends
                continue
            latest = max(spans[org_id], key=lambda s: s.started_on or self.today)
            if org_id in ends and latest.ended_on is None:
                latest.ended_on = ends[org_id]
            self.customer_role_ended[org_id] = latest.ended_on is not None
        bulk.insert_rows(
            session, _table(OrganisationRole), ("organisation_id", "role", "started_on", "ended_on"), new_spans
        )

    def _holding_role(self, session: Session, org_ids: Iterable[int | None]) -> set[int]:
        """The organisations among `org_ids` that hold or held the role the rule counts from (one query)."""
        wanted = sorted({o for o in org_ids if o is not None})
        if self.role is None or not wanted:
            return set()
        query = select(OrganisationRole.organisation_id).where(
            bulk.is_in(session, OrganisationRole.organisation_id, wanted), OrganisationRole.role == self.role
        )
        return set(session.scalars(query))

    def _upsert_relationships(self, session: Session, pairs: list[tuple[int, ContactRow]], known: set[int]) -> None:
        """`known`: the people among `pairs` who were in the register before this batch (the others have none)."""
        rows = [row for _, row in pairs]
        self._resolve_organisations(session, rows)
        if self.kind == "contacts":
            self._settle_customer_roles(session, rows)
        org_ids = {pid: self.orgs[key] if (key := _org_key(row)) else None for pid, row in pairs}
        existing: dict[tuple[int, int | None], Relationship] = {}
        if known:
            existing = {
                (rel.person_id, rel.organisation_id): rel
                for rel in session.scalars(
                    select(Relationship).where(
                        bulk.is_in(session, Relationship.person_id, sorted(known)),
                        Relationship.subject_category == self.category,
                        Relationship.activity == self.activity,
                    )
                )
            }
        held = self._holding_role(session, org_ids.values())
        problems: list[Problem] = []
        new: list[tuple[Any, ...]] = []
        for pid, row in pairs:
            values: dict[str, Any] = {
                "started_on": row.started_on or row.customer_since,
                "ended_on": row.ended_on,
                "last_interaction_on": row.last_interaction_on,
                "source": row.source,
            }
            rel = existing.get((pid, org_ids[pid]))
            collected = row.started_on if self.kind == "prospects" and row.started_on else self.today
            if rel is not None:
                collected = rel.collected_on
                for k in ("started_on", "ended_on", "last_interaction_on"):
                    values[k] = values[k] if values[k] is not None else getattr(rel, k)
            dates = with_defaults(
                self.rule,
                Dates(values["started_on"], values["ended_on"], values["last_interaction_on"], collected),
                self.today,
            )
            values.update(started_on=dates.started_on, last_interaction_on=dates.last_interaction_on)
            org = org_ids[pid]
            roles = frozenset([self.role]) if self.role is not None and org in held else frozenset()
            gap = never_due(self.activity, self.rule, dates, organisation_id=org, roles=roles)
            if gap is not None:
                problems.append(Problem(self.source, gap.message, line=row.line, hint=gap.hint))
                continue
            if rel is None:
                new.append(
                    (
                        pid,
                        self.category,
                        self.activity,
                        org,
                        self.basis,
                        values["started_on"],
                        values["ended_on"],
                        values["last_interaction_on"],
                        collected,
                        values["source"],
                        self.now,
                        self.now,
                    )
                )
                continue
            changed = {k: v for k, v in values.items() if v is not None and getattr(rel, k) != v}
            if changed:
                for k, v in changed.items():
                    setattr(rel, k, v)
                rel.updated_at = self.now
                self.report.relationships_updated += 1
            else:
                self.report.unchanged += 1
        if problems:
            # The write pass is one transaction: raising here imports nothing (whole file or nothing).
            raise InvalidInput(
                f"{self.source}: {len(problems)} row(s) would be kept forever under the {self.activity} rule; "
                "nothing was imported",
                problems,
            )
        if new:
            bulk.insert_rows(session, _table(Relationship), _RELATIONSHIP_COLUMNS, new)
            self.report.relationships_created += len(new)
        session.flush()
