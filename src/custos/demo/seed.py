"""Filling an empty register with a synthetic one, through the same services real data goes through.

Customer contacts and prospects are written to CSV files and imported with the real importer (so a demo
exercises validation, encryption and idempotency exactly as a real import would); employees, supplier
and partner contacts are added one by one through the people service, as staff would add them. Runtime tier:
each import, and the staff side, is a unit of its own by the member seeding the demo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from custos.actor import Actor
from custos.clock import today
from custos.demo import generator
from custos.errors import Conflict, InvalidInput, Problem
from custos.policy import Policy
from custos.register.csv_rows import ImportKind
from custos.register.importer import ImportReport, import_file
from custos.register.importer import Progress as ImportProgress
from custos.register.lawful import resolve_activity
from custos.register.models import Organisation
from custos.register.organisations import add_organisation
from custos.register.people import add_person, count_people
from custos.register.schemas import OrganisationCreate, PersonCreate
from custos.runtime import Runtime
from custos.work import Work

# (what is happening, done, total) — one call per step change and then every thousand rows or so.
SeedProgress = Callable[[str, int, int], None]

# Shares of the register; what is left after contacts and prospects is split between the staff side.
_CONTACTS, _PROSPECTS = 0.6, 0.3
_STAFF_SIDE = (("employee", 0.4), ("supplier_contact", 0.3), ("partner_contact", 0.3))
_FALLBACK_DOMAIN = "example-organisation.se"


@dataclass
class SeedPlan:
    contacts: int
    prospects: int
    employees: int
    supplier_contacts: int
    partner_contacts: int


@dataclass
class SeedReport:
    plan: SeedPlan
    contacts: ImportReport = field(default_factory=ImportReport)
    prospects: ImportReport = field(default_factory=ImportReport)
    employees: int = 0
    supplier_contacts: int = 0
    partner_contacts: int = 0
    organisations_created: int = 0
    already_present: int = 0

    @property
    def people_added(self) -> int:
        return (
            self.contacts.people_created
            + self.prospects.people_created
            + self.employees
            + self.supplier_contacts
            + self.partner_contacts
        )


def plan_for(people: int, policy: Policy) -> SeedPlan:
    """How many of each kind; a staff-side category the policy does not have goes to customer contacts."""
    contacts, prospects = round(people * _CONTACTS), round(people * _PROSPECTS)
    rest = people - contacts - prospects
    known = {c.id for c in policy.subject_categories}
    counts: dict[str, int] = {}
    for i, (category, share) in enumerate(_STAFF_SIDE):
        counts[category] = rest - sum(counts.values()) if i == len(_STAFF_SIDE) - 1 else round(rest * share)
    for category, count in list(counts.items()):
        if category not in known:
            contacts += count
            counts[category] = 0
    return SeedPlan(
        contacts=contacts,
        prospects=prospects,
        employees=counts["employee"],
        supplier_contacts=counts["supplier_contact"],
        partner_contacts=counts["partner_contact"],
    )


def seed_register(
    runtime: Runtime,
    actor: Actor,
    people: int,
    seed: int,
    workdir: Path,
    progress: SeedProgress | None = None,
    *,
    force: bool = False,
) -> SeedReport:
    """Add `people` synthetic people; refuses a register that already has people unless `force`.

    Seeding again with the same seed (with `force`) adds nobody: the generator gives the same people on
    any day, the imports match them by email, and those added one by one are left as they are.
    """
    if people < 1:
        raise InvalidInput("say how many people to seed", [Problem("people", "must be at least 1")])
    with runtime.work(actor) as work:
        existing = count_people(work)
    if existing and not force:
        raise Conflict(
            f"the register already has {existing} people; demo data is only seeded into an empty register "
            "(force it, `--force` on the command line, to add the demo people anyway)"
        )
    report = SeedReport(plan=plan_for(people, runtime.policy))
    tell = progress or (lambda _step, _done, _total: None)
    kinds: tuple[tuple[ImportKind, int], ...] = (
        ("contacts", report.plan.contacts),
        ("prospects", report.plan.prospects),
    )
    try:
        for kind, count in kinds:
            _import(runtime, actor, kind, count, seed, workdir, report, tell)
        _seed_staff_side(runtime, actor, seed, report, tell)
    except IntegrityError:
        # Only possible with force: another seed hands out the same phone numbers (or organisation
        # numbers) to different people, and identities are unique. The transaction has been rolled back.
        raise Conflict(
            "the demo people clash with people already in the register (seeded before with another seed?); "
            "seed into an empty register, or with the seed used before"
        ) from None
    return report


def _import(
    runtime: Runtime,
    actor: Actor,
    kind: ImportKind,
    count: int,
    seed: int,
    workdir: Path,
    report: SeedReport,
    tell: SeedProgress,
) -> None:
    if count == 0:
        return
    day = today(runtime.clock)
    path = workdir / f"demo-{kind}-{seed}.csv"
    write = generator.write_contacts_csv if kind == "contacts" else generator.write_prospects_csv
    category = "customer_contact" if kind == "contacts" else "prospect"
    try:
        write(path, count, seed, today=day, progress=_scaled(tell, f"writing {kind}", count, count))
        result = import_file(
            runtime,
            actor,
            path,
            kind,
            subject_category=category,
            activity=_main_activity(runtime.policy, category),
            progress=_import_progress(tell, kind, count),
        )
    finally:
        path.unlink(missing_ok=True)  # synthetic, but it looks like personal data: do not leave it about
    if kind == "contacts":
        report.contacts = result
    else:
        report.prospects = result


def _seed_staff_side(runtime: Runtime, actor: Actor, seed: int, report: SeedReport, tell: SeedProgress) -> None:
    plan = report.plan
    total = plan.employees + plan.supplier_contacts + plan.partner_contacts
    if total == 0:
        return
    day = today(runtime.clock)
    done = 0
    # One unit: the staff side is added whole or not at all.
    with runtime.work(actor) as work:
        if plan.employees:
            activity = _main_activity(work.policy, "employee")
            domain = _own_domain(work.policy)
            for person in generator.employees(plan.employees, seed, today=day, domain=domain):
                report.employees += _add(work, _with(person, activity, None), report)
                done += 1
                _every(tell, "adding employees", done, total)
        for category, count, affiliations in (
            ("supplier_contact", plan.supplier_contacts, generator.supplier_contacts),
            ("partner_contact", plan.partner_contacts, generator.partner_contacts),
        ):
            if count == 0:
                continue
            activity = _main_activity(work.policy, category)
            added = 0
            for group in affiliations(count, seed, today=day):
                org_id = _organisation(work, group.organisation, report)
                for person in group.people:
                    added += _add(work, _with(person, activity, org_id), report)
                    done += 1
                    _every(tell, f"adding {category.replace('_', ' ')}s", done, total)
            if category == "supplier_contact":
                report.supplier_contacts = added
            else:
                report.partner_contacts = added
    tell("done", total, total)


def _scaled(tell: SeedProgress, step: str, total: int, units: int) -> Callable[[int], None]:
    """A progress callback counting `units` (rows, bytes) reported to `tell` as a share of `total`."""

    def report(done: int) -> None:
        tell(step, total * done // max(units, 1), total)

    return report


def _import_progress(tell: SeedProgress, kind: str, rows: int) -> ImportProgress:
    def report(phase: str, done: int, total: int) -> None:
        # The check pass counts bytes of the file; shown as rows, the unit the user asked for.
        tell(f"{phase} {kind}", rows * done // max(total, 1), rows)

    return report


def _every(tell: SeedProgress, step: str, done: int, total: int) -> None:
    if done % 100 == 0:
        tell(step, done, total)


def _add(work: Work, person: PersonCreate, report: SeedReport) -> int:
    try:
        add_person(work, person)
    except Conflict:
        # Seeded before with the same seed: the check runs before anything is written, so the
        # transaction is still clean and the person is simply already there.
        report.already_present += 1
        return 0
    return 1


def _organisation(work: Work, data: OrganisationCreate, report: SeedReport) -> int:
    session = work.session
    if data.org_number:
        found = session.scalar(select(Organisation.id).where(Organisation.org_number == data.org_number))
    else:
        found = session.scalar(
            select(Organisation.id).where(Organisation.name == data.name, Organisation.org_number.is_(None))
        )
    if found is not None:
        return found
    report.organisations_created += 1
    return add_organisation(work, data).id


def _with(person: PersonCreate, activity: str, organisation_id: int | None) -> PersonCreate:
    relationships = [
        r.model_copy(update={"activity": activity, "organisation_id": organisation_id}) for r in person.relationships
    ]
    return person.model_copy(update={"relationships": relationships})


def _main_activity(policy: Policy, category: str) -> str:
    """The first activity the policy lists for the category: its main purpose (employment, not taxes)."""
    for activity in policy.activities:
        if category in activity.subjects:
            return resolve_activity(policy, category, activity.id, "demo")[0]
    # resolve_activity explains what is missing (an unknown category, or no activity covering it).
    return resolve_activity(policy, category, None, "demo")[0]


def _own_domain(policy: Policy) -> str:
    """Employees get addresses at the organisation's own domain, read from its published contacts."""
    contacts = policy.organisation.contacts
    for address in (contacts.info, contacts.support, contacts.privacy):
        if address and "@" in str(address):
            return str(address).rsplit("@", 1)[1].lower()
    return _FALLBACK_DOMAIN
