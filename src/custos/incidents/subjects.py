"""Telling the affected people (Art. 34): select them from the register, write to each, record every send.

Art. 34(1): when a breach is likely to result in a high risk, the subjects are told without undue delay.
Art. 34(3): not when the data was unintelligible to others (encrypted), the risk is no longer likely, or it
would involve disproportionate effort (then a public communication instead) — recorded by
`service.record_subject_exception`, and letters are then refused. Each person's letter is one row (by ref,
never the address) and one audit event, committed as each letter goes; a person already written to is not
written to again, so a run interrupted by a mail failure or a crash can simply be repeated.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from custos.actor import Actor
from custos.audit.actions import Action
from custos.errors import Conflict, InvalidInput, Problem
from custos.incidents import letters, scope, timeline
from custos.incidents.models import IncidentLetter
from custos.incidents.schemas import LetterPublic
from custos.incidents.service import load
from custos.mail import Mailer
from custos.mail.sender import MailError
from custos.register.people import IDENTITY, NAME
from custos.runtime import Runtime
from custos.work import Work


@dataclass(frozen=True)
class LetterPlan:
    """What "send the letters" would do now: people in scope, those already written to, those left."""

    people: int
    already: int

    @property
    def left(self) -> int:
        return max(self.people - self.already, 0)


def letter_plan(work: Work, incident_id: int) -> LetterPlan:
    """Counts only, so showing the plan reads no one's data; InvalidInput when the incident names no scope."""
    counted = scope.count(work, load(work, incident_id))
    already = work.session.scalar(
        select(func.count()).where(IncidentLetter.incident_id == incident_id, IncidentLetter.state == "sent")
    )
    return LetterPlan(counted.subjects, int(already or 0))


def send_letters(runtime: Runtime, actor: Actor, incident_id: int, mailer: Mailer, language: str) -> dict[str, int]:
    """Write to every affected person not yet written to; returns the count of letters by outcome.

    Each letter's row and audit event commit in a unit of their own right after that letter is sent, so a crash
    or a failed commit can at worst send again the one letter in flight, never the whole batch.
    """
    with runtime.work(actor) as work:
        incident = load(work, incident_id)
        if incident.risk != "high":
            raise InvalidInput(
                "letters to the subjects are for a high risk (Art. 34(1))",
                [Problem("risk", f"the risk is {incident.risk or 'not assessed'}")],
            )
        if incident.subject_exception is not None:
            raise Conflict(f"an Art. 34(3) exception is recorded instead of letters: {incident.subject_exception}")
        sent = set(
            work.session.scalars(
                select(IncidentLetter.person_ref).where(
                    IncidentLetter.incident_id == incident.id, IncidentLetter.state == "sent"
                )
            )
        )
        keys = work.keys
        addressed = [
            (
                person.ref,
                keys.decrypt(person.name_enc, NAME),
                next((keys.decrypt(i.value_enc, IDENTITY) for i in person.identities if i.kind == "email"), None),
            )
            for person in scope.people(work, incident)
        ]
    outcome: Counter[str] = Counter()
    for ref, name, email in addressed:
        if ref in sent:
            outcome["already_sent"] += 1
            continue
        state, error = "sent", None
        if email is None:
            state = "no_address"
        else:
            with runtime.work(actor) as work:
                message = letters.compose(load(work, incident_id), work.policy, name, email, language)
            try:
                mailer.send(message)
            except MailError as exc:
                state, error = "failed", str(exc)[:200]
        with runtime.work(actor) as work:
            row = work.session.scalar(
                select(IncidentLetter).where(
                    IncidentLetter.incident_id == incident_id, IncidentLetter.person_ref == ref
                )
            ) or IncidentLetter(incident_id=incident_id, person_ref=ref)
            row.language, row.state, row.error, row.at = language, state, error, work.clock.now()
            work.session.add(row)
            work.audit(
                Action.INCIDENT_LETTER,
                subject=ref,
                target=f"incident:{incident_id}",
                outcome="ok" if state == "sent" else state,
                details={"language": language},
            )
        outcome[state] += 1
    counts = dict(sorted(outcome.items()))
    with runtime.work(actor) as work:
        timeline.append(work, load(work, incident_id), "letters", changes=counts, details=counts)
    return counts


def list_letters(work: Work, incident_id: int) -> list[LetterPublic]:
    load(work, incident_id)  # a missing incident is an error, not an empty list
    rows = work.session.scalars(
        select(IncidentLetter).where(IncidentLetter.incident_id == incident_id).order_by(IncidentLetter.id)
    )
    return [
        LetterPublic(person_ref=r.person_ref, language=r.language, state=r.state, error=r.error, at=r.at) for r in rows
    ]
