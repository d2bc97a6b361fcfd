"""The demo's data subject requests: a few open at different days left, a few answered, each taken in and moved
on through the requests service as staff, the subject and the owners of the manual systems would.

Open: an access request received 25 days ago whose systems have answered (waiting for staff to send it, a few
days left), an employee's erasure from two weeks ago waiting for its Art. 17(3) assessment when the policy asks
for one, a customer contact's erasure from four days ago waiting in the owners' task queue, and an
objection from yesterday waiting for the subject to confirm their address. Answered: an access
request and a prospect's erasure from two and three months ago, and an objection to mailings (honoured at once).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.register.models import Person, Relationship
from custos.register.people import get_person
from custos.requests import actions, answers, intake
from custos.requests.driver import drive_open
from custos.requests.schemas import RequestCreate
from custos.retention.plan import iter_plan
from custos.retention.rules import CompiledPolicy
from custos.runtime import Runtime
from custos.systems import tasks as system_tasks
from custos.systems.ownership import needs_owner

from .timeline import Step, Timeline

DAY = timedelta(days=1)
# The address of someone the register does not know (reserved for documentation, RFC 2606).
_STRANGER = "visitor.{n}@example.com"


@dataclass
class RequestsPlayed:
    refs: dict[str, str] = field(default_factory=dict)  # story → request ref
    confirmed_tasks: int = 0


def schedule(timeline: Timeline, actor: Actor, seed: int, now: datetime) -> RequestsPlayed:
    """Put the request stories on the timeline, relative to `now` (the real present)."""
    rng = random.Random(f"requests-{seed}")
    played = RequestsPlayed()
    chosen: set[str] = set()

    def person(runtime: Runtime, category: str) -> str:
        return _someone(runtime, actor, rng, category, now, chosen)

    def at(days_ago: float, hour: int) -> datetime:
        day = (now - timedelta(days=days_ago)).replace(hour=hour, minute=rng.randrange(60), second=0, microsecond=0)
        return min(day, now - timedelta(minutes=5))

    def staff_entry(story: str, kind: str, category: str, details: str | None = None) -> None:
        def step(runtime: Runtime) -> None:
            email = person(runtime, category)
            language = runtime.policy.jurisdiction.languages[0]
            data = RequestCreate(kind=kind, email=email, details=details, language=language)
            played.refs[story] = intake.submit(runtime, actor, data, channel="staff").ref

        timeline.at(at(_AGO[story], 9), f"request received: {kind}", step)

    def verify(story: str, days_after: float) -> None:
        def step(runtime: Runtime) -> None:
            note = "The subject wrote from the address the register holds; answered from the same thread."
            actions.verify_manually(runtime, played.refs[story], actor, note)

        timeline.at(at(_AGO[story] - days_after, 11), "identity confirmed", step)

    def owners_confirm(days_ago: float) -> None:
        def step(runtime: Runtime) -> None:
            played.confirmed_tasks += confirm_open_tasks(runtime, actor)
            drive_open(runtime)  # what the requests-drive job does after a confirmed manual task

        timeline.at(at(days_ago, 14), "system owners confirm their tasks", step)

    def complete(story: str, days_ago: float, note: str) -> None:
        def step(runtime: Runtime) -> None:
            answers.complete(runtime, played.refs[story], actor, note=note)

        timeline.at(at(days_ago, 15), "request answered", step)

    # Answered ones, oldest first.
    staff_entry("access-answered", "access", "customer_contact")
    verify("access-answered", 1)
    owners_confirm(_AGO["access-answered"] - 3)
    complete("access-answered", _AGO["access-answered"] - 6, "Copy and Art. 15 information sent by download link.")
    staff_entry("erasure-answered", "erasure", "prospect")
    verify("erasure-answered", 1)
    owners_confirm(_AGO["erasure-answered"] - 2)
    complete("erasure-answered", _AGO["erasure-answered"] - 4, "Erased from the CRM and the register.")
    staff_entry("objection-marketing", "objection_marketing", "customer_contact")
    owners_confirm(_AGO["objection-marketing"] - 2)
    # Open ones: one due in a few days, one mid-way, one just in.
    staff_entry("access-open", "access", "customer_contact")
    verify("access-open", 1)
    owners_confirm(_AGO["access-open"] - 3)
    staff_entry("erasure-open", "erasure", "employee")
    verify("erasure-open", 1)
    # Its systems' owners have it in their queue, opened three days ago (well within `system_task_days`).
    staff_entry("erasure-in-systems", "erasure", "customer_contact")
    verify("erasure-in-systems", 1)
    timeline.at(at(_AGO["objection-open"], 8), "request received: objection", _objection_from_the_web(played, rng))
    return played


# How many days ago each story's request arrived.
_AGO: dict[str, float] = {
    "access-answered": 80,
    "erasure-answered": 44,
    "objection-marketing": 33,
    "access-open": 25,
    "erasure-open": 14,
    "erasure-in-systems": 4,
    "objection-open": 1,
}


def _objection_from_the_web(played: RequestsPlayed, rng: random.Random) -> Step:
    def step(runtime: Runtime) -> None:
        # Sent from the public form: the identity link goes to the address given, and the clock waits for it.
        data = RequestCreate(
            kind="objection_other",
            email=_STRANGER.format(n=rng.randrange(100, 1000)),
            details="I do not want my details used for customer-care analyses.",
            language=runtime.policy.jurisdiction.languages[-1],
        )
        subject = Actor(kind="subject", id=None, label="subject:web")
        played.refs["objection-open"] = intake.submit(runtime, subject, data, channel="web").ref

    return step


def confirm_open_tasks(runtime: Runtime, actor: Actor) -> int:
    """The owners of the manual systems look at each open task and confirm it, as in Systems → tasks."""
    manual = [s.id for s in runtime.policy.systems if needs_owner(s)]
    with runtime.work(actor) as work:
        open_tasks = system_tasks.list_tasks(work, manual, state="open", limit=10_000)
    for task in sorted(open_tasks, key=lambda t: t.id):
        # One unit per task, as each confirmation in Systems → tasks is a request of its own.
        with runtime.work(actor) as work:
            detail = system_tasks.task_detail(work, task.system, task.id)
            system_tasks.confirm_task(
                work,
                task.system,
                task.id,
                fields=list(detail.task.categories) or ["contact.email"],
                records=1,
                note=None,
            )
    return len(open_tasks)


def _someone(runtime: Runtime, actor: Actor, rng: random.Random, category: str, now: datetime, chosen: set[str]) -> str:
    """The email of a person of the category whom retention will keep until today (so their request is not
    overtaken by a sweep in the demo), not chosen before."""
    with runtime.work(actor) as work:
        session = work.session
        # A policy without the category (no employees, say) has the story told with a customer contact.
        refs = _refs_of(session, category) or _refs_of(session, "customer_contact") or _refs_of(session, None)
        rules = CompiledPolicy.of(runtime.policy)
        due = {p.ref for p in iter_plan(session, rules, now.date() + timedelta(days=1))}
        candidates = [ref for ref in refs if ref not in due and ref not in chosen]
        if not candidates:
            candidates = [ref for ref in refs if ref not in chosen] or refs
        if not candidates:  # a tiny demo the first sweep emptied: someone the register does not know asks
            return _STRANGER.format(n=rng.randrange(100, 1000))
        ref = rng.choice(candidates)
        chosen.add(ref)
        return get_person(work, ref).emails[0]


def _refs_of(session: Session, category: str | None) -> list[str]:
    query = select(Person.ref).order_by(Person.id)
    if category is not None:
        holding = select(Relationship.person_id).where(Relationship.subject_category == category)
        query = query.where(Person.id.in_(holding))
    return list(session.scalars(query))
