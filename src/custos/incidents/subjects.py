"""Telling the affected people (Art. 34): select them from the register, write to each, record every send.

Art. 34(1): when a breach is likely to result in a high risk, the subjects are told without undue delay.
Art. 34(3): not when the data was unintelligible to others (encrypted), the risk is no longer likely, or it
would involve disproportionate effort (then a public communication instead) — recorded by
`service.record_subject_exception`, and letters are then refused. Each person's letter is one row (by ref,
never the address) and one audit event; a person already written to is not written to again, so a run
interrupted by a mail failure can simply be repeated.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos import audit
from custos.actor import Actor
from custos.errors import Conflict, InvalidInput, Problem
from custos.incidents import letters, scope, timeline
from custos.incidents.models import IncidentLetter
from custos.incidents.schemas import LetterPublic
from custos.incidents.service import load
from custos.mail import Mailer
from custos.mail.sender import MailError
from custos.register.context import RegisterContext
from custos.register.people import IDENTITY, NAME


def send_letters(
    session: Session, ctx: RegisterContext, actor: Actor, incident_id: int, mailer: Mailer, language: str
) -> dict[str, int]:
    """Write to every affected person not yet written to; returns the count of letters by outcome."""
    incident = load(session, incident_id)
    if incident.risk != "high":
        raise InvalidInput(
            "letters to the subjects are for a high risk (Art. 34(1))",
            [Problem("risk", f"the risk is {incident.risk or 'not assessed'}")],
        )
    if incident.subject_exception is not None:
        raise Conflict(f"an Art. 34(3) exception is recorded instead of letters: {incident.subject_exception}")
    done = {
        row.person_ref: row
        for row in session.scalars(select(IncidentLetter).where(IncidentLetter.incident_id == incident.id))
    }
    outcome: Counter[str] = Counter()
    for person in scope.people(session, incident, ctx.policy):
        previous = done.get(person.ref)
        if previous is not None and previous.state == "sent":
            outcome["already_sent"] += 1
            continue
        emails = [ctx.keys.decrypt(i.value_enc, IDENTITY) for i in person.identities if i.kind == "email"]
        state, error = "sent", None
        if not emails:
            state = "no_address"
        else:
            message = letters.compose(
                incident, ctx.policy, ctx.keys.decrypt(person.name_enc, NAME), emails[0], language
            )
            try:
                mailer.send(message)
            except MailError as exc:
                state, error = "failed", str(exc)[:200]
        row = previous or IncidentLetter(incident_id=incident.id, person_ref=person.ref)
        row.language, row.state, row.error, row.at = language, state, error, ctx.clock.now()
        session.add(row)
        audit.record(
            session,
            ctx.clock,
            actor,
            "incident.letter",
            subject=person.ref,
            target=f"incident:{incident.id}",
            outcome="ok" if state == "sent" else state,
            details={"language": language},
        )
        outcome[state] += 1
    counts = dict(sorted(outcome.items()))
    timeline.append(session, ctx.clock, actor, incident, "letters", changes=counts, details=counts)
    session.flush()
    return counts


def list_letters(session: Session, incident_id: int) -> list[LetterPublic]:
    load(session, incident_id)  # a missing incident is an error, not an empty list
    rows = session.scalars(
        select(IncidentLetter).where(IncidentLetter.incident_id == incident_id).order_by(IncidentLetter.id)
    )
    return [
        LetterPublic(person_ref=r.person_ref, language=r.language, state=r.state, error=r.error, at=r.at) for r in rows
    ]
