"""Erase one person now, from their page: the same erasure an erasure request makes (Art. 17(1)).

Nothing here erases by itself. What the law keeps is `retention.keep.kept_on` on the day — a category's legal
minimum (Art. 17(3)(b)), a legal-obligation activity still running — and a legal hold (Art. 17(3)(e)) stops
the erasure altogether, as it stops a sweep. The connected systems go first (`systems.runs.erase_in_system`,
each told what to keep; a manual system gets its owner's task), because they are searched by the identities
the register holds; then the register, with the sweep's deletion and tombstone (`retention.erase.
erase_on_request`, which checks the hold again in its own transaction and writes `person.erase`). A system that
fails leaves the register as it was; erasing again carries on, since each system's erasure is done once per
cause and returns its outcome again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from custos.actor import Actor
from custos.audit.actions import Action
from custos.casework.dossier import holds_on
from custos.clock import today
from custos.errors import Conflict, NotFound, SystemFailed
from custos.register import people
from custos.register.models import Person
from custos.register.schemas import PersonPublic
from custos.retention.erase import RequestErasure, erase_on_request
from custos.retention.keep import kept_on
from custos.retention.loader import load_people
from custos.retention.rules import CompiledPolicy
from custos.retention.schemas import HoldPublic
from custos.runtime import Runtime
from custos.systems.kept import KeepPlan
from custos.systems.keys import SubjectKeys
from custos.systems.runs import erase_in_system
from custos.work import Work

REFERENCE = "erase-now"


@dataclass(frozen=True)
class ErasePreview:
    """What erasing now would remove and what it would leave, for the confirmation page."""

    person: PersonPublic
    holds: list[HoldPublic]  # any active one stops the erasure
    kept: list[dict[str, Any]]  # `KeepPlan.summary()`: per category, the laws and until when
    systems: list[tuple[str, str]]  # (id, name) of the connected systems told to erase

    @property
    def held(self) -> bool:
        return bool(self.holds)


def keep_plan(work: Work, ref: str) -> tuple[KeepPlan, bool]:
    """What the law keeps of the person today, and whether a hold keeps them."""
    person_id = work.session.scalar(select(Person.id).where(Person.ref == ref))
    if person_id is None:
        raise NotFound(f"no person {ref} in the register")
    on = today(work.clock)
    facts = load_people(work.session, [person_id], on).get(person_id)
    held = facts is not None and (
        facts.person_held or any(r.organisation_id in facts.held_organisations for r in facts.relationships)
    )
    return kept_on(CompiledPolicy.of(work.policy), facts, on), held


def preview_erasure(work: Work, ref: str) -> ErasePreview:
    """The confirmation page's read of the person, audited as `person.read` (via the erase form)."""
    person = people.get_person(work, ref)
    plan, _ = keep_plan(work, ref)
    systems = [(s.id, s.name) for s in work.policy.systems]
    preview = ErasePreview(person, holds_on(work, ref), plan.summary(), systems)
    work.audit(Action.PERSON_READ, subject=ref, details={"via": "erase"})
    return preview


def erase_now(runtime: Runtime, actor: Actor, ref: str) -> RequestErasure:
    """Runtime tier: the systems erase between the unit that checks and the unit that erases the register."""
    with runtime.work(actor) as work:
        plan, held = keep_plan(work, ref)
        if held:
            raise Conflict("a legal hold keeps this person: release it first (GDPR Art. 17(3)(e))")
        person = people.get_person(work, ref)
    keys = SubjectKeys(tuple(person.emails), tuple(person.phones))
    cause = f"{REFERENCE}:{ref}"
    for system in runtime.policy.systems:
        outcome = erase_in_system(runtime, system.id, keys, subject_ref=ref, cause=cause, keep=plan)
        if outcome.status == "failed":
            raise SystemFailed(
                f"{system.name} could not erase the person ({outcome.error}); the register is unchanged: try again",
                system=system.id,
            )
    with runtime.work(actor) as work:
        done = erase_on_request(work, CompiledPolicy.of(work.policy), ref, reference=cause, keep=plan)
    if done.held:
        raise Conflict("a legal hold placed meanwhile keeps this person: nothing more was erased")
    return done
