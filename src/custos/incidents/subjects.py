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

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos import audit
from custos.actor import Actor
from custos.db import Database
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
    db: Database, ctx: RegisterContext, actor: Actor, incident_id: int, mailer: Mailer, language: str
) -> dict[str, int]:
    """Write to every affected person not yet written to; returns the count of letters by outcome.

    Each letter's row and audit event commit right after that letter is sent, so a crash or a failed commit
    can at worst send again the one letter in flight, never the whole batch.
    """
    with db.transaction() as session:
        incident = load(session, incident_id)
        if incident.risk != "high":
            raise InvalidInput(
                "letters to the subjects are for a high risk (Art. 34(1))",
                [Problem("risk", f"the risk is {incident.risk or 'not assessed'}")],
            )
        if incident.subject_exception is not None:
            raise Conflict(f"an Art. 34(3) exception is recorded instead of letters: {incident.subject_exception}")
        sent = set(
            session.scalars(
                select(IncidentLetter.person_ref).where(
                    IncidentLetter.incident_id == incident.id, IncidentLetter.state == "sent"
                )
            )
        )
        work = [
            (
                person.ref,
                ctx.keys.decrypt(person.name_enc, NAME),
                next((ctx.keys.decrypt(i.value_enc, IDENTITY) for i in person.identities if i.kind == "email"), None),
            )
            for person in scope.people(session, incident, ctx.policy)
        ]
    outcome: Counter[str] = Counter()
    for ref, name, email in work:
        if ref in sent:
            outcome["already_sent"] += 1
            continue
        state, error = "sent", None
        if email is None:
            state = "no_address"
        else:
            with db.transaction() as session:
                message = letters.compose(load(session, incident_id), ctx.policy, name, email, language)
            try:
                mailer.send(message)
            except MailError as exc:
                state, error = "failed", str(exc)[:200]
        with db.transaction() as session:
            row = session.scalar(
                select(IncidentLetter).where(
                    IncidentLetter.incident_id == incident_id, IncidentLetter.person_ref == ref
                )
            ) or IncidentLetter(incident_id=incident_id, person_ref=ref)
            row.language, row.state, row.error, row.at = language, state, error, ctx.clock.now()
            session.add(row)
            audit.record(
                session,
                ctx.clock,
                actor,
                "incident.letter",
                subject=ref,
                target=f"incident:{incident_id}",
                outcome="ok" if state == "sent" else state,
                details={"language": language},
            )
        outcome[state] += 1
    counts = dict(sorted(outcome.items()))
    with db.transaction() as session:
        timeline.append(
            session, ctx.clock, actor, load(session, incident_id), "letters", changes=counts, details=counts
        )
    return counts


def list_letters(session: Session, incident_id: int) -> list[LetterPublic]:
    load(session, incident_id)  # a missing incident is an error, not an empty list
    rows = session.scalars(
        select(IncidentLetter).where(IncidentLetter.incident_id == incident_id).order_by(IncidentLetter.id)
    )
    return [
        LetterPublic(person_ref=r.person_ref, language=r.language, state=r.state, error=r.error, at=r.at) for r in rows
    ]
