"""Rectification (Art. 16): the changes staff approve, checked once at approval, applied to the register last.

What may change: the register's `name` and `title`, and an `email` or `phone`. A new email replaces the address
the request came from (or `old_email`, when staff name another); a new phone replaces `old_phone`, else the
request's phone, else the person's only phone, else it is added. Identities are found and written through the
blind index; a new address that already belongs to another person is a Conflict (one address, one person).
The same changes go to the connected systems (`custos.systems.rectify`) before the register, because the
systems are searched by the old identities.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from custos.audit.actions import Action
from custos.crypto import KeyRing
from custos.errors import Conflict, InvalidInput, Problem
from custos.register import sealed
from custos.register.identities import IdentityError, normalise
from custos.register.models import Identity, Person
from custos.register.suppression import is_suppressed, suppress
from custos.requests import cases
from custos.requests.models import SubjectRequest
from custos.systems.rectify import Rectification
from custos.work import Work

RECTIFIABLE = ("name", "title", "email", "phone")
_OLD = ("old_email", "old_phone")


def resolve(
    session: Session, keys: KeyRing, req: SubjectRequest, changes: dict[str, Any] | None, *, phone_region: str
) -> Rectification:
    """The approved changes, normalised, with the value each identity replaces; raises InvalidInput for a change
    that cannot be made and Conflict for an address another person in the register has. A phone number without
    a country code is read in `phone_region` (the policy's jurisdiction)."""
    wanted = {k: str(v).strip() for k, v in (changes or {}).items() if v not in (None, "") and str(v).strip()}
    unknown = sorted(set(wanted) - set(RECTIFIABLE) - set(_OLD))
    if unknown or not set(wanted) & set(RECTIFIABLE):
        raise InvalidInput(
            "say what to change in the register",
            [Problem("changes", f"give new values for: {', '.join(RECTIFIABLE)}")],
        )
    problems: list[Problem] = []

    def norm(kind: str, field: str) -> str:
        try:
            return normalise(kind, wanted[field], phone_region)  # type: ignore[arg-type]
        except IdentityError as exc:
            problems.append(Problem(field, str(exc)))
            return ""

    person = _person(session, req.person_ref)
    email = phone = None
    if "email" in wanted:
        new = norm("email", "email")
        old = norm("email", "old_email") if "old_email" in wanted else cases.contact_email(keys, req).lower()
        email = (old, new)
    if "phone" in wanted:
        new = norm("phone", "phone")
        if "old_phone" in wanted:
            old = norm("phone", "old_phone")
        elif req.phone_enc:
            old = keys.decrypt(req.phone_enc, cases.PHONE)
        else:
            held = sealed.values_of(keys, person, "phone") if person else []
            if len(held) > 1:
                problems.append(Problem("old_phone", "the person has several phone numbers: say which one to replace"))
            old = held[0] if len(held) == 1 else ""
        phone = (old, new)
    if problems:
        raise InvalidInput("the corrected contact details are not valid", problems)
    result = Rectification(email=email, phone=phone, fields={k: wanted[k] for k in ("name", "title") if k in wanted})
    if person is not None:
        for kind, pair in (("email", result.email), ("phone", result.phone)):
            if pair is not None:
                _clash(session, keys, person, kind, pair[1])
    return result


def apply(work: Work, req: SubjectRequest, changes: Rectification) -> list[str]:
    """Write the changes into the register person (in the caller's unit); the fields changed."""
    session = work.session
    person = _person(session, req.person_ref)
    if person is None:
        return []
    done: list[str] = []
    if "name" in changes.fields:
        sealed.rename(session, work.keys, person, changes.fields["name"])
        done.append("name")
    if "title" in changes.fields:
        sealed.set_title(work.keys, person, changes.fields["title"])
        done.append("title")
    for kind, pair in (("email", changes.email), ("phone", changes.phone)):
        if pair is None:
            continue
        old, new = pair
        if old and is_suppressed(work, **{kind: old}):
            # An objection to marketing belongs to the person, not to one address: it follows the new one, so
            # the corrected address is not mailed (Art. 21(3)).
            suppress(work, **{kind: new}, source="rectification", reference=f"request:{req.ref}")
        other = _clash(session, work.keys, person, kind, new)  # checked again: the register may have changed since
        sealed.replace_identity(work.keys, person, kind, old, new, holder=other)
        done.append(kind)
    person.updated_at = work.clock.now()
    session.flush()
    work.audit(
        Action.REGISTER_RECTIFY,
        subject=person.ref,
        target=f"person:{person.ref}",
        reference=f"request:{req.ref}",
        details={"fields": done},
    )
    return done


def _person(session: Session, ref: str | None) -> Person | None:
    if ref is None:
        return None
    return session.scalar(select(Person).where(Person.ref == ref).options(selectinload(Person.identities)))


def _clash(session: Session, keys: KeyRing, person: Person, kind: str, value: str) -> Identity | None:
    """The identity holding `value` when it is this person's; Conflict when it is another person's."""
    found = session.scalar(
        select(Identity).where(Identity.kind == kind, Identity.lookup.in_(keys.blind_indexes(kind, value))).limit(1)
    )
    if found is not None and found.person_id != person.id:
        raise Conflict(
            f"the new {kind} already belongs to another person in the register; "
            "merge or correct that person first, then approve again"
        )
    return found
