"""The demo's personal data breaches: one closed a month and a half ago, assessed as no risk and documented
without a notice (Art. 33(5)), and one opened this morning whose 72 hours are running (Art. 33(1)).

Both go through the incidents service on a clock at each moment, as the DPO would record them in the admin UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from custos.actor import Actor
from custos.incidents import service
from custos.incidents.schemas import DecisionCreate, IncidentCreate, IncidentUpdate
from custos.policy import Policy
from custos.runtime import Runtime

from .timeline import Timeline


@dataclass
class BreachesPlayed:
    ids: dict[str, int] = field(default_factory=dict)


def schedule(timeline: Timeline, actor: Actor, now: datetime) -> BreachesPlayed:
    played = BreachesPlayed()
    policy = timeline.runtime.policy
    closed_aware = (now - timedelta(days=47)).replace(hour=8, minute=40, second=0, microsecond=0)

    def open_closed_one(runtime: Runtime) -> None:
        data = IncidentCreate(
            summary="A mailing list export was sent to the wrong recipient at a partner.",
            aware_at=closed_aware,
            occurred_at=closed_aware - timedelta(hours=2),
            reported_by="Sales operations",
            kinds=["confidentiality"],
            systems=_systems(policy, "mailer"),
            data_categories=_categories(policy, ("contact.name", "contact.email")),
            subject_categories=_subjects(policy, "customer_contact"),
            approx_subjects=38,
            approx_records=38,
        )
        with runtime.work(actor) as work:
            played.ids["closed"] = service.open_incident(work, data).id

    def assess_closed_one(runtime: Runtime) -> None:
        data = IncidentUpdate(
            note="The recipient confirmed in writing that the file was deleted unopened.",
            risk="none",
            risk_reasoning="Work email addresses and names only; deleted unopened by a known business partner.",
            measures_taken="Deletion confirmed by the recipient; exports now go only to named colleagues.",
        )
        with runtime.work(actor) as work:
            service.update_incident(work, played.ids["closed"], data)

    def decide_closed_one(runtime: Runtime) -> None:
        reasoning = "Unlikely to result in a risk to the people concerned (Art. 33(1)): see the risk assessment."
        with runtime.work(actor) as work:
            service.decide(work, played.ids["closed"], DecisionCreate(decision="not_notify", reasoning=reasoning))

    def close_closed_one(runtime: Runtime) -> None:
        data = IncidentUpdate(state="closed", note="Documented; no notice to the authority needed.")
        with runtime.work(actor) as work:
            service.update_incident(work, played.ids["closed"], data)

    open_aware = now - timedelta(hours=20)

    def open_running_one(runtime: Runtime) -> None:
        data = IncidentCreate(
            summary="A laptop with a synchronised copy of the CRM contact list was stolen from a car.",
            aware_at=open_aware,
            reported_by="IT support",
            kinds=["confidentiality", "availability"],
            systems=_systems(policy, "crm"),
            data_categories=_categories(policy, ("contact.name", "contact.role", "contact.email", "contact.phone")),
            subject_categories=_subjects(policy, "customer_contact", "prospect"),
            approx_subjects=120,
            approx_records=120,
        )
        with runtime.work(actor) as work:
            played.ids["open"] = service.open_incident(work, data).id

    def note_running_one(runtime: Runtime) -> None:
        data = IncidentUpdate(
            note="The disk was encrypted; checking whether the screen was locked when it was taken.",
            measures_taken="The laptop's accounts were disabled and its CRM session revoked.",
        )
        with runtime.work(actor) as work:
            service.update_incident(work, played.ids["open"], data)

    timeline.at(closed_aware + timedelta(minutes=35), "breach recorded", open_closed_one)
    timeline.at(closed_aware + timedelta(hours=6), "breach assessed", assess_closed_one)
    timeline.at(closed_aware + timedelta(days=1, hours=1), "breach decided", decide_closed_one)
    timeline.at(closed_aware + timedelta(days=3), "breach closed", close_closed_one)
    timeline.at(open_aware + timedelta(minutes=50), "breach recorded", open_running_one)
    timeline.at(now - timedelta(hours=6), "breach timeline entry", note_running_one)
    return played


def _systems(policy: Policy, *wanted: str) -> list[str]:
    known = {s.id for s in policy.systems}
    return [s for s in wanted if s in known]


def _categories(policy: Policy, wanted: tuple[str, ...]) -> list[str]:
    known = {c.id for c in policy.data_categories}
    return [c for c in wanted if c in known]


def _subjects(policy: Policy, *wanted: str) -> list[str]:
    known = {c.id for c in policy.subject_categories}
    return [c for c in wanted if c in known]
