"""The people list: filtered, paged, each person with their categories, organisations and next due date.

Filters: subject category, organisation (its id, or words of its name: organisation names are not personal
data and are kept in clear text), source, due date (on or before a day, past due, no due date), under a legal
hold, and a search that may be a name (whole words, through the blind index `register.name_index`), an email
address or phone number (exact, through the identities' blind index) or part of an organisation's name. The
register is never decrypted to filter it: only the names of the people on the page are decrypted.

Pages are in a stable order, newest first (by id, descending), with a keyset cursor (`after`: the last id of
the previous page), so a page costs the same wherever it is in a million people.

The due date is the next day something of the person falls due under the policy (Art. 5(1)(e)): the earliest
due date of their relationships, judged by the retention engine as the sweep would (`retention.verdict`), with
what happens then (erased, or trimmed of that relationship) and why. A due filter first narrows the people with
the retention plan's SQL prefilter per activity and anchor (`retention.candidates`, indexed since migration
0009), which never leaves out anyone due; each page then checks its candidates exactly.

Reading a list shows names, so it is a read of every person on it: `read_people` writes `person.list` events
naming them by ref through the register's one writer of them (`register.listed.record_list`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, exists, func, intersect, select, union, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList

from custos.audit.actions import Action
from custos.clock import today
from custos.errors import InvalidInput, Problem
from custos.register import name_index
from custos.register.identities import IdentityError, normalise
from custos.register.listed import record_list
from custos.register.models import Identity, Organisation, Person, PersonNameToken, Relationship
from custos.retention.candidates import candidate_clause
from custos.retention.loader import active_hold_filter, load_people
from custos.retention.models import LegalHold
from custos.retention.plan import NO_RELATIONSHIP
from custos.retention.rules import CompiledPolicy
from custos.retention.verdict import PersonFacts, judge_relationships
from custos.work import Work

PAGE_SIZE = 50
# A relationship filter matching fewer rows than this is read as a set of ids (IN); more, and the page walks
# the people newest first and checks each (EXISTS), which finds a page of a common filter at once.
PROBE = 20_000
CHUNK = 100  # candidates judged at a time under a due filter
SCAN_LIMIT = 5_000  # candidates looked at for one page under a due filter; the page may then be short
FAR = date(9000, 1, 1)  # "ever": a relationship the prefilter would never reach by then has no due date
SOURCES = 100

Due = Literal["", "before", "past", "none"]
DUES: tuple[Due, ...] = ("", "before", "past", "none")
MatchedBy = Literal["", "name", "email", "phone"]
_PHONE = re.compile(r"\+?[\d\s().-]{6,}")


@dataclass(frozen=True)
class PeopleFilter:
    category: str = ""
    organisation: str = ""  # an organisation's id, or words of its name
    source: str = ""
    due: Due = ""
    due_before: date | None = None  # with due == "before": due on or before this day
    held: bool = False
    search: str = ""

    def used(self) -> list[str]:
        """The names of the filters in use, for the audit log (never their values: a search may be a name)."""
        values = {
            "category": self.category,
            "organisation": self.organisation,
            "source": self.source,
            "due": self.due,
            "held": self.held,
            "search": self.search,
        }
        return [name for name, value in values.items() if value]


@dataclass(frozen=True)
class NextDue:
    """When something of the person next falls due, what happens then, and under which rule."""

    on: date | None
    action: str  # erase | trim | keep (a hold keeps it) | "" (no due date)
    category: str  # the subject category of the relationship that falls due (its id)
    rule: str  # the rule in words
    held: bool


@dataclass(frozen=True)
class ListedPerson:
    ref: str
    name: str
    categories: tuple[str, ...]  # the policy's titles
    organisations: tuple[str, ...]
    due: NextDue


@dataclass(frozen=True)
class PeoplePage:
    rows: list[ListedPerson]
    after: int | None  # the cursor this page started after
    next_after: int | None  # the cursor of the next page; None on the last one
    matched_by: MatchedBy = ""
    looked_at: int = 0  # candidates judged (a due filter), to say a short page is not the end
    problems: list[Problem] = field(default_factory=list)


def check(work: Work, where: PeopleFilter) -> None:
    """Raise InvalidInput naming each filter that cannot be used."""
    problems: list[Problem] = []
    known = {c.id for c in work.policy.subject_categories}
    if where.category and where.category not in known:
        problems.append(Problem("category", f"{where.category!r} is not a subject category of the policy"))
    if where.due not in DUES:
        problems.append(Problem("due", f"{where.due!r} is not one of: before, past, none"))
    if where.due == "before" and where.due_before is None:
        problems.append(Problem("due_before", "give the day", hint="YYYY-MM-DD"))
    if problems:
        raise InvalidInput("the filter is not valid", problems)


def list_people(work: Work, where: PeopleFilter, *, after: int | None = None, limit: int = PAGE_SIZE) -> PeoplePage:
    """One page of the people `where` selects, newest first, after the cursor `after` (not audited: see
    `read_people`)."""
    check(work, where)
    session, on = work.session, today(work.clock)
    rules = CompiledPolicy.of(work.policy)
    clauses, matched_by = _clauses(work, rules, where, on)
    exact = _exact(where, on)
    ids: list[int] = []
    known: dict[int, NextDue] = {}
    cursor, looked_at, next_after = after, 0, None
    chunk = CHUNK if exact is not None else limit + 1
    while True:
        query = select(Person.id).where(*clauses).order_by(Person.id.desc()).limit(chunk)
        if cursor is not None:
            query = query.where(Person.id < cursor)
        found = list(session.scalars(query))
        if not found:
            break
        if exact is None:
            ids = found[:limit]
            next_after = ids[-1] if len(found) > limit else None
            break
        due = _next_due(session, rules, found, on)
        known.update(due)
        for pid in found:
            looked_at += 1
            if pid in due and exact(due[pid]):
                ids.append(pid)
            cursor = pid
            if len(ids) == limit:
                break
        if len(ids) == limit:
            next_after = ids[-1]
            break
        if len(found) < chunk:
            break
        if looked_at >= SCAN_LIMIT:
            next_after = cursor  # a short page: the next one goes on from the last person looked at
            break
    return PeoplePage(_rows(work, rules, ids, on, known), after, next_after, matched_by, looked_at)


def read_people(work: Work, where: PeopleFilter, *, via: str, after: int | None = None) -> PeoplePage:
    """A page of the list as someone reads it (`via`: the admin, the API): each person on it audited by ref
    with the names of the filters used (never their values: a search may be a name) and what the search matched."""
    page = list_people(work, where, after=after)
    details: dict[str, object] = {"filters": where.used(), "via": via}
    if page.matched_by:
        details["matched_by"] = page.matched_by
    record_list(work, [r.ref for r in page.rows], details=details)
    return page


def export_people(work: Work, where: PeopleFilter, *, limit: int) -> list[ListedPerson]:
    """Everyone `where` selects, for a CSV export, audited as `register.export` with how many people it holds;
    a list longer than `limit` is refused (a CSV of the whole register is a backup, not an export)."""
    rows: list[ListedPerson] = []
    for row in iter_people(work, where):
        if len(rows) == limit:
            raise InvalidInput(
                f"the list has more than {limit} people: narrow the filter to export it",
                [Problem("category", "narrow the list", hint="a category, an organisation or a due date")],
            )
        rows.append(row)
    work.audit(Action.REGISTER_EXPORT, details={"people": len(rows), "filters": where.used()})
    return rows


def iter_people(work: Work, where: PeopleFilter, *, page: int = 1000) -> Iterator[ListedPerson]:
    """Everyone `where` selects, page by page (a CSV export)."""
    after: int | None = None
    while True:
        found = list_people(work, where, after=after, limit=page)
        yield from found.rows
        if found.next_after is None:
            return
        after = found.next_after


def sources(work: Work) -> list[str]:
    """Where people came from (`relationship.source`), for the filter's suggestions; at most `SOURCES`."""
    query = (
        select(Relationship.source)
        .where(Relationship.source.is_not(None))
        .group_by(Relationship.source)
        .order_by(Relationship.source)
        .limit(SOURCES)
    )
    return [s for s in work.session.scalars(query) if s]


# ---------------------------------------------------------------- the filters as SQL


def _clauses(
    work: Work, rules: CompiledPolicy, where: PeopleFilter, on: date
) -> tuple[list[ColumnElement[bool]], MatchedBy]:
    session = work.session
    clauses: list[ColumnElement[bool]] = []
    if where.category:
        clauses.append(_having(session, [Relationship.subject_category == where.category]))
    if where.organisation:
        clauses.append(_having(session, [_organisation(where.organisation)]))
    if where.source:
        clauses.append(_having(session, [Relationship.source == where.source]))
    if where.held:
        clauses.append(Person.id.in_(_held(on)))
    if where.due == "past":
        clauses.append(_may_be_due(session, rules, on - timedelta(days=1)))
    elif where.due == "before" and where.due_before is not None:
        clauses.append(_may_be_due(session, rules, where.due_before))
    elif where.due == "none":
        ever = candidate_clause(rules, FAR)
        if ever is not None:
            # Without a relationship a person is due at once (nothing explains why they are held).
            clauses.append(exists().where(Relationship.person_id == Person.id))
            clauses.append(~exists().where(Relationship.person_id == Person.id, ever))
    matched_by: MatchedBy = ""
    if where.search:
        found, matched_by = _search(work, where.search)
        clauses.append(Person.id.in_(found))
    return clauses, matched_by


def _having(session: Session, conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    """People with a relationship meeting `conditions`: as a set of ids when few rows match, else checked per
    person as the page walks the register (a common filter fills a page from its first rows)."""
    probe = select(Relationship.id).where(*conditions).limit(PROBE).subquery()
    if int(session.scalar(select(func.count()).select_from(probe)) or 0) < PROBE:
        return Person.id.in_(select(Relationship.person_id).where(*conditions))
    return exists().where(Relationship.person_id == Person.id, *conditions)


def _organisation(text: str) -> ColumnElement[bool]:
    value = text.strip()
    if value.isdigit():
        return Relationship.organisation_id == int(value)
    named = select(Organisation.id).where(Organisation.name.icontains(value, autoescape=True))
    return Relationship.organisation_id.in_(named)


def _held(on: date) -> Select[Any]:
    """People a legal hold covers on `on`: held themselves, or related through a held organisation."""
    active = active_hold_filter(on)
    people = select(LegalHold.person_id).where(LegalHold.person_id.is_not(None), *active)
    orgs = select(LegalHold.organisation_id).where(LegalHold.organisation_id.is_not(None), *active)
    through = select(Relationship.person_id).where(Relationship.organisation_id.in_(orgs))
    return select(union(people, through).subquery().c[0])


def _may_be_due(session: Session, rules: CompiledPolicy, by: date) -> ColumnElement[bool]:
    """The retention prefilter as of `by`: people who may have something due by then (a superset), and the people
    with no relationship (due at once). Each activity's branch alone uses its (activity, anchor) index."""
    lonely = ~exists().where(Relationship.person_id == Person.id)
    clause = candidate_clause(rules, by)
    if clause is None:
        return lonely
    branches = _branches(clause)
    if _fewer_than(session, branches, PROBE):
        some = union_all(*(select(Relationship.person_id).where(b) for b in branches)).subquery()
        return Person.id.in_(select(some.c[0])) | lonely
    return exists().where(Relationship.person_id == Person.id, clause) | lonely


def _fewer_than(session: Session, branches: list[ColumnElement[bool]], limit: int) -> bool:
    """Whether the branches together match fewer than `limit` relationships (each counted up to what is left)."""
    seen = 0
    for branch in branches:
        probe = select(Relationship.id).where(branch).limit(limit - seen).subquery()
        seen += int(session.scalar(select(func.count()).select_from(probe)) or 0)
        if seen >= limit:
            return False
    return True


def _branches(clause: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """The prefilter's per-activity parts: each alone can use an (activity, anchor) index, their OR cannot."""
    if isinstance(clause, BooleanClauseList) and clause.operator is operators.or_:
        return list(clause.clauses)
    return [clause]


def _search(work: Work, text: str) -> tuple[Select[Any], MatchedBy]:
    """Who a search finds: an email or a phone exactly, else people with every word in their name and people
    of an organisation whose name contains the text."""
    value = text.strip()
    region = work.policy.jurisdiction.phone_region
    if "@" in value or _PHONE.fullmatch(value):
        kind: Literal["email", "phone"] = "email" if "@" in value else "phone"
        try:
            normalised = normalise(kind, value, region)
        except IdentityError as exc:
            raise InvalidInput(str(exc), [Problem("search", str(exc))]) from None
        lookups = work.keys.blind_indexes(kind, normalised)
        return select(Identity.person_id).where(Identity.kind == kind, Identity.lookup.in_(lookups)), kind
    organisations = select(Organisation.id).where(Organisation.name.icontains(value, autoescape=True))
    through = select(Relationship.person_id).where(Relationship.organisation_id.in_(organisations))
    wanted = name_index.query_tokens(work.keys, value)
    if not wanted:
        return through, ""
    named = [select(PersonNameToken.person_id).where(PersonNameToken.token.in_(choices)) for choices in wanted]
    # SQLite takes no parenthesised compound select: the intersection goes in a subquery of its own.
    by_name = named[0] if len(named) == 1 else select(intersect(*named).subquery().c[0])
    return select(union(by_name, through).subquery().c[0]), "name"


# ---------------------------------------------------------------- due dates, exactly


def _exact(where: PeopleFilter, on: date) -> Callable[[NextDue], bool] | None:
    """The exact test of a due filter on a person's next due date (the SQL prefilter only narrows)."""
    if where.due == "past":
        return lambda d: d.on is not None and d.on < on and not d.held
    if where.due == "before" and where.due_before is not None:
        by = where.due_before
        return lambda d: d.on is not None and d.on <= by
    if where.due == "none":
        return lambda d: d.on is None
    return None


def _next_due(session: Session, rules: CompiledPolicy, ids: list[int], on: date) -> dict[int, NextDue]:
    facts = load_people(session, ids, on)
    return {pid: next_due(rules, facts[pid], on) for pid in ids if pid in facts}


def next_due(rules: CompiledPolicy, person: PersonFacts, on: date) -> NextDue:
    """The earliest day a relationship of the person falls due, as of `on`, and what the sweep does then."""
    if not person.relationships:
        return NextDue(on, "keep" if person.person_held else "erase", "", NO_RELATIONSHIP, person.person_held)
    verdicts = judge_relationships(rules, person, on)
    held = any(v.held for v in verdicts)
    dated = [v for v in verdicts if v.due_on is not None]
    if not dated:
        return NextDue(None, "", "", "", held)
    first = min(dated, key=lambda v: (v.due_on or on, v.row.id))
    day = first.due_on
    assert day is not None
    # What the sweep does that day (verdict.judge_person): a hold keeps what it covers; the person goes when
    # every relationship is due by then, else loses only the due ones.
    falling = [v for v in verdicts if v.due_on is not None and v.due_on <= day]
    if all(v.held for v in falling):
        action = "keep"
    elif len(falling) == len(verdicts) and not any(v.held for v in falling):
        action = "erase"
    else:
        action = "trim"
    return NextDue(day, action, first.row.subject_category, first.rule, held)


# ---------------------------------------------------------------- what the page shows


def _rows(work: Work, rules: CompiledPolicy, ids: list[int], on: date, known: dict[int, NextDue]) -> list[ListedPerson]:
    if not ids:
        return []
    session = work.session
    titles = {c.id: c.name for c in work.policy.subject_categories}
    query = select(Person.id, Person.ref, Person.name_enc).where(Person.id.in_(ids))
    people = {pid: (ref, blob) for pid, ref, blob in session.execute(query)}
    categories: dict[int, list[str]] = {}
    organisations: dict[int, list[str]] = {}
    for pid, category, org in session.execute(
        select(Relationship.person_id, Relationship.subject_category, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Relationship.organisation_id)
        .where(Relationship.person_id.in_(ids))
        .order_by(Relationship.id)
    ):
        title = titles.get(category, category)
        if title not in categories.setdefault(pid, []):
            categories[pid].append(title)
        if org is not None and org not in organisations.setdefault(pid, []):
            organisations[pid].append(org)
    missing = [pid for pid in ids if pid not in known]
    due = {**known, **(_next_due(session, rules, missing, on) if missing else {})}
    return [
        ListedPerson(
            ref=people[pid][0],
            name=work.keys.decrypt(people[pid][1], name_index.NAME_FIELD),
            categories=tuple(categories.get(pid, [])),
            organisations=tuple(organisations.get(pid, [])),
            due=due[pid],
        )
        for pid in ids
        if pid in people and pid in due
    ]
