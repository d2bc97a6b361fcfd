"""The promises over random histories: a hypothesis state machine adds organisations, people, relationships,
role ends, holds and sweeps at random dates, and after every step checks the invariants of
docs/invariants.md against the register and against a model of it kept here.

The model is deliberately plain: it knows each relationship's dated facts and computes the due day with the
policy's pure rule (`custos.policy.retention.due_date`), not with the sweep's SQL prefilter, batch loader or
verdict, which are what is under test. `make test` runs a bounded number of examples; `make soak` (or
CUSTOS_SOAK_EXAMPLES=N) runs many more.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import create_engine, func, select, text

from custos.actor import Actor
from custos.casework import holds as placing
from custos.clock import FixedClock
from custos.errors import InvalidInput
from custos.invariants import InvariantContext, examine
from custos.policy.retention import RetentionFacts, due_date
from custos.register import organisations, people
from custos.register.models import Person, Relationship
from custos.register.schemas import OrganisationCreate, PersonCreate, RelationshipCreate, RelationshipUpdate, RoleSpan
from custos.requests import actions, assessment, cases
from custos.requests.driver import drive_request
from custos.requests.schemas import RequestCreate
from custos.retention import holds
from custos.retention.schemas import HoldCreate
from custos.retention.sweep import run_sweep
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings, load_settings
from custos.setup import initialise
from custos.systems.models import SystemTask
from custos.systems.tasks import confirm_task
from custos.work import Work
from example_install import own_every_system

EXAMPLE_POLICY = Path(__file__).resolve().parents[2] / "examples" / "elastx" / "policy.yaml"
EXAMPLES = int(os.environ.get("CUSTOS_SOAK_EXAMPLES", "8"))
STEPS = int(os.environ.get("CUSTOS_SOAK_STEPS", "30"))
PHASES = tuple(Phase) if os.environ.get("CUSTOS_SOAK_SHRINK") else tuple(p for p in Phase if p is not Phase.shrink)
START = date(2015, 1, 1)
SWEEPER = Actor.system("retention-sweep")
STAFF = Actor(kind="staff", id=None, label="staff:stateful")
ROLE_OF = {"customer_contact": "customer"}

# Invariants that the model below cannot break by design are still asserted, so that a regression in the
# services (a write path that lets a relationship-less person through) is caught here as well.
LIVE_INVARIANTS = ("person-has-basis", "relationship-can-fall-due", "legal-retention-never-erased")


@dataclass
class OrgModel:
    id: int
    customer_from: date
    customer_until: date | None = None

    def is_customer(self, on: date) -> bool:
        return self.customer_from <= on and (self.customer_until is None or self.customer_until >= on)


@dataclass
class RelModel:
    id: int
    category: str
    activity: str
    organisation: OrgModel | None
    collected: date
    started: date | None = None
    ended: date | None = None
    last_interaction: date | None = None


@dataclass
class PersonModel:
    ref: str
    email: str
    relationships: list[RelModel]


@dataclass
class HoldModel:
    id: int
    ref: str
    starts: date
    ends: date | None
    released: bool = False

    def active(self, on: date) -> bool:
        return not self.released and self.starts <= on and (self.ends is None or self.ends >= on)


@dataclass
class World:
    """Everything the model knows, beside the register it mirrors."""

    people: dict[str, PersonModel] = field(default_factory=dict)
    holds: list[HoldModel] = field(default_factory=list)
    requests: dict[str, str] = field(default_factory=dict)  # erasure request ref → person ref

    def held(self, ref: str, on: date) -> bool:
        return any(h.ref == ref and h.active(on) for h in self.holds)


def model_due(runtime: Runtime, rel: RelModel, on: date) -> date | None:
    """The day the policy's rule makes this relationship due, from the model's facts as they stand on `on`."""
    rule = runtime.policy.activity(rel.activity).retention
    org = rel.organisation
    facts = RetentionFacts(
        collected=rel.collected,
        relationship_started=rel.started,
        relationship_ended=rel.ended,
        last_interaction=rel.last_interaction,
        customer_until=org.customer_until if org is not None and not org.is_customer(on) else None,
        is_customer=org is not None and org.is_customer(on),
        # The register's ASSUMPTION (retention.facts): the books of a relationship close with the calendar year
        # in which it ended.
        financial_year_ended=date(rel.ended.year, 12, 31) if rel.ended is not None else None,
    )
    return due_date(rule, facts)


class RegisterHistory(RuleBasedStateMachine):
    orgs = Bundle("orgs")
    refs = Bundle("refs")

    def __init__(self, open_fresh: Callable[[FixedClock], Runtime]) -> None:
        super().__init__()
        self.clock = FixedClock(datetime(START.year, START.month, START.day, 9, tzinfo=UTC))
        self.runtime = open_fresh(self.clock)
        self.world = World()
        self.emails = iter(range(1, 1_000_000))

    def teardown(self) -> None:
        self.runtime.close()

    @property
    def today(self) -> date:
        return self.clock.now().date()

    # -- the history ----------------------------------------------------------------------------------

    @initialize(target=orgs)
    def first_customer(self) -> OrgModel:
        return self._org(self.today - timedelta(days=400))

    @rule(target=orgs, since=st.integers(min_value=0, max_value=3000))
    def add_customer(self, since: int) -> OrgModel:
        return self._org(self.today - timedelta(days=since))

    def _org(self, since: date) -> OrgModel:
        with self.runtime.work(STAFF) as work:
            created = organisations.add_organisation(
                work,
                OrganisationCreate(
                    name=f"Org {uuid.uuid4().hex[:8]} AB", roles=[RoleSpan(role="customer", started_on=since)]
                ),
            )
        return OrgModel(created.id, since)

    @rule(org=orgs)
    def organisation_stops_being_a_customer(self, org: OrgModel) -> None:
        if org.customer_until is not None or org.customer_from > self.today:
            return
        with self.runtime.work(STAFF) as work:
            organisations.set_role(work, org.id, RoleSpan(role="customer", ended_on=self.today))
        org.customer_until = self.today

    @rule(target=refs, met_days_ago=st.integers(min_value=0, max_value=4500))
    def meet_a_prospect(self, met_days_ago: int) -> str:
        met = self.today - timedelta(days=met_days_ago)
        return self._person(RelationshipCreate(subject_category="prospect", last_interaction_on=met))

    @rule(target=refs, org=orgs)
    def add_customer_contact(self, org: OrgModel) -> str:
        if not org.is_customer(self.today):
            return self._person(RelationshipCreate(subject_category="prospect", last_interaction_on=self.today))
        return self._person(
            RelationshipCreate(subject_category="customer_contact", organisation_id=org.id, started_on=self.today),
            org=org,
        )

    @rule(target=refs, started_days_ago=st.integers(min_value=0, max_value=4000))
    def hire_an_employee(self, started_days_ago: int) -> str:
        """Paid, taxed and booked: the issue's employee, whose accounting records the law keeps."""
        started = self.today - timedelta(days=started_days_ago)
        return self._person(
            *(
                RelationshipCreate(subject_category="employee", activity=activity, started_on=started)
                for activity in ("employment", "taxes-and-fees", "bookkeeping")
            )
        )

    def _person(self, *rels: RelationshipCreate, org: OrgModel | None = None) -> str:
        number = next(self.emails)
        data = PersonCreate(name=f"Person {number}", emails=[f"p{number}@example.se"], relationships=list(rels))
        with self.runtime.work(STAFF) as work:
            created = people.add_person(work, data)
        models = [
            RelModel(
                stored.id,
                stored.subject_category,
                stored.activity,
                org,
                stored.collected_on or self.today,
                stored.started_on,
                stored.ended_on,
                stored.last_interaction_on,
            )
            for stored in created.relationships
        ]
        self.world.people[created.ref] = PersonModel(created.ref, data.emails[0], models)
        return created.ref

    @rule(ref=refs)
    def relationship_ends(self, ref: str) -> None:
        person = self.world.people.get(ref)
        open_ = [r for r in person.relationships if r.ended is None and r.category != "prospect"] if person else []
        if person is None or not open_:
            return
        for rel in open_:  # an employment ends for its pay, its taxes and its books alike
            with self.runtime.work(STAFF) as work:
                people.update_relationship(work, ref, rel.id, RelationshipUpdate(ended_on=self.today))
            rel.ended = self.today

    @rule(ref=refs)
    def prospect_met_again(self, ref: str) -> None:
        person = self.world.people.get(ref)
        prospects = [r for r in person.relationships if r.category == "prospect"] if person else []
        if person is None or not prospects:
            return
        with self.runtime.work(STAFF) as work:
            people.update_relationship(work, ref, prospects[0].id, RelationshipUpdate(last_interaction_on=self.today))
        prospects[0].last_interaction = self.today

    @rule(ref=refs, days=st.one_of(st.none(), st.integers(min_value=0, max_value=2000)))
    def place_a_hold(self, ref: str, days: int | None) -> None:
        if ref not in self.world.people:
            return
        ends = self.today + timedelta(days=days) if days is not None else None
        with self.runtime.work(STAFF) as work:
            hold = placing.add_hold(work, HoldCreate(person_ref=ref, reason="Claim under review", ends_on=ends))
        self.world.holds.append(HoldModel(hold.id, ref, self.today, ends))

    @rule(data=st.data())
    def release_a_hold(self, data: st.DataObject) -> None:
        active = [h for h in self.world.holds if h.active(self.today)]
        if not active:
            return
        hold = data.draw(st.sampled_from(active))
        with self.runtime.work(STAFF) as work:
            holds.release_hold(work, hold.id)
        hold.released = True

    @rule(ref=refs)
    def ask_for_erasure(self, ref: str) -> None:
        """Art. 17: staff take the request in (the address is on file), then it is driven as far as it goes."""
        person = self.world.people.get(ref)
        if person is None or ref in self.world.requests.values():
            return
        with self.runtime.db.transaction() as session:
            req, _ = cases.create(
                Work(session, self.runtime.clock, self.runtime.keys, self.runtime.policy, STAFF),
                RequestCreate(kind="erasure", email=person.email),
                channel="staff",
            )
            request_ref = req.ref
        self.world.requests[request_ref] = ref
        actions.verify_manually(self.runtime, request_ref, STAFF, "Asked from the address on file")
        if self._state(request_ref) == "assessing":
            # Nothing irreversible before a person has assessed the Art. 17(3) exceptions.
            with self.runtime.db.transaction() as session:
                opened = session.scalar(
                    select(func.count()).select_from(SystemTask).where(SystemTask.subject_ref == ref)
                )
            assert opened == 0, f"{request_ref} opened erase tasks before its assessment"
        self._settle(request_ref)

    @rule(data=st.data())
    def assess(self, data: st.DataObject) -> None:
        """The DPO decides per category; trying to erase what the law keeps is refused, then the proposal stands."""
        waiting = [r for r in self.world.requests if self._state(r) == "assessing"]
        if not waiting:
            return
        request_ref = data.draw(st.sampled_from(waiting))
        with self.runtime.db.transaction() as session:
            req = cases.load(session, request_ref)
            review = assessment.items(Work(session, self.clock, self.runtime.keys, self.runtime.policy, STAFF), req)
        proposals = [assessment.proposal(item) for item in review]
        chosen = [
            assessment.Decision(item.category, "erase") if data.draw(st.booleans()) else proposed
            for item, proposed in zip(review, proposals, strict=True)
        ]
        try:
            actions.assess(self.runtime, request_ref, STAFF, chosen)
        except InvalidInput:
            kept_by_law = {item.category for item in review if item.legal is not None}
            assert any(d.decision == "erase" and d.category in kept_by_law for d in chosen), "refused a lawful choice"
            actions.assess(self.runtime, request_ref, STAFF, proposals)
        self._settle(request_ref)

    @rule()
    def owners_confirm_their_tasks(self) -> None:
        with self.runtime.db.transaction() as session:
            tasks = list(session.execute(select(SystemTask.system_id, SystemTask.id).where(SystemTask.state == "open")))
        for system_id, task_id in tasks:
            with self.runtime.work(STAFF) as work:
                confirm_task(
                    work,
                    system_id,
                    task_id,
                    fields=["contact"],
                    records=1,
                    note=None,
                )
        for request_ref in list(self.world.requests):
            drive_request(self.runtime, request_ref)
            self._settle(request_ref)

    def _state(self, request_ref: str) -> str:
        with self.runtime.db.transaction() as session:
            return cases.load(session, request_ref).state

    def _settle(self, request_ref: str) -> None:
        """The register loses a person only through a request that got past its assessment, never while a hold
        keeps them; once the request is completed, only a hold (or, for an employee, the law) keeps them."""
        ref = self.world.requests[request_ref]
        person = self.world.people.get(ref)
        if person is None:
            return
        state = self._state(request_ref)
        with self.runtime.db.transaction() as session:
            stored = set(session.scalars(select(Relationship.id).join(Person).where(Person.ref == ref)))
        held = self.world.held(ref, self.today)
        if held:
            assert stored, f"{request_ref} erased {ref} although a legal hold keeps them"
        if not stored:
            assert state in ("in_progress", "completed"), f"{ref} erased while {request_ref} was {state}"
        elif state == "completed" and not held and not any(r.category == "employee" for r in person.relationships):
            raise AssertionError(f"{request_ref} completed but the register still holds {ref}")
        person.relationships = [r for r in person.relationships if r.id in stored]
        if not person.relationships:
            del self.world.people[ref]

    @rule(days=st.integers(min_value=1, max_value=2500))
    def time_passes(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))

    @rule(offset=st.sampled_from([-1, 0, 1]))
    def until_someone_falls_due(self, offset: int) -> None:
        """Jump to the day before, of or after the next due day the model knows: where off-by-ones live."""
        ahead = sorted(due for _, _, due in self._dues(self.today) if due + timedelta(days=offset) > self.today)
        if ahead:
            self.clock.set(datetime.combine(ahead[0] + timedelta(days=offset), self.clock.now().timetz()))

    @rule()
    def daily_sweep(self) -> None:
        on = self.today
        expected_gone = {
            rel.id for person, rel, due in self._dues(on) if due <= on and not self.world.held(person.ref, on)
        }
        run_sweep(self.runtime, SWEEPER, trigger="job")
        with self.runtime.db.transaction() as session:
            stored = set(session.scalars(select(Relationship.id)))
        modelled = {rel.id for person in self.world.people.values() for rel in person.relationships}
        # Nobody is kept past their due day unless held …
        assert not (expected_gone & stored), f"kept past due on {on}: relationships {sorted(expected_gone & stored)}"
        # … and nobody is erased before it.
        early = (modelled - expected_gone) - stored
        assert not early, f"erased before due on {on}: relationships {sorted(early)}"
        for ref in list(self.world.people):
            person = self.world.people[ref]
            person.relationships = [r for r in person.relationships if r.id in stored]
            if not person.relationships:
                del self.world.people[ref]

    def _dues(self, on: date) -> Iterator[tuple[PersonModel, RelModel, date]]:
        for person in self.world.people.values():
            for rel in person.relationships:
                due = model_due(self.runtime, rel, on)
                if due is not None:
                    yield person, rel, due

    # -- after every step -----------------------------------------------------------------------------

    @invariant()
    def every_promise_holds_on_live_data(self) -> None:
        ctx = InvariantContext(policy=self.runtime.policy, on=self.today, now=self.clock.now())
        with self.runtime.work(STAFF) as work:
            result = examine(work, ctx, only=LIVE_INVARIANTS)
        assert result.healthy, [(o.invariant.id, o.findings, o.error) for o in result.broken]

    @invariant()
    def the_register_is_what_the_model_says(self) -> None:
        with self.runtime.db.transaction() as session:
            stored = set(session.scalars(select(Relationship.id)))
        modelled = {rel.id for person in self.world.people.values() for rel in person.relationships}
        assert stored == modelled


@pytest.fixture
def open_fresh(
    backend: str, template_database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[FixedClock], Runtime]]:
    """A new initialised installation per hypothesis example (a file copy on SQLite, a cloned database on
    PostgreSQL); everything made is removed at the end of the test."""
    made: list[str] = []
    admin = request.getfixturevalue("postgres_server") if backend == "postgres" else None

    def fresh(clock: FixedClock) -> Runtime:
        name = f"custos_s_{uuid.uuid4().hex[:12]}"
        if admin is None:
            path = tmp_path / f"{name}.db"
            shutil.copyfile(template_database, path)
            url = f"sqlite:///{path}"
        else:
            engine = create_engine(admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
            engine.dispose()
            made.append(name)
            url = _on_database(admin, name)
        settings_ = _settings(url, tmp_path)
        initialise(settings_, clock)
        runtime = open_runtime(settings_, clock)
        own_every_system(runtime)
        return runtime

    yield fresh
    if admin is not None and made:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for name in made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _on_database(admin: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def _settings(url: str, tmp_path: Path) -> Settings:
    return load_settings(
        {},
        None,
        overrides={"database_url": url, "key_file": str(tmp_path / "custos.key"), "policy_path": str(EXAMPLE_POLICY)},
    )


def test_every_promise_holds_over_random_histories(open_fresh: Callable[[FixedClock], Runtime]) -> None:
    run_state_machine_as_test(
        lambda: RegisterHistory(open_fresh),
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            # Shrinking a long history takes minutes; `make soak` (CUSTOS_SOAK_SHRINK=1) shrinks what it finds.
            phases=PHASES,
        ),
    )
