"""The suppression list: an objection to direct marketing stops every mailing at once (Art. 21(2)–(3)).

There is no balancing of interests for direct marketing, so nothing can lift an entry here except the subject's
new, freely given wish (which is a new consent, not an edit of this list). Entries are matched through the same
keyed HMAC as the register's blind index, so selections exclude by joining identities' look-up values, and an
address imported again later is still excluded.
"""

from __future__ import annotations

from sqlalchemy import select

from custos.audit.actions import Action
from custos.db.sealed import Lookup, seal
from custos.errors import InvalidInput, Problem
from custos.register.identities import IdentityError, IdentityKind, normalise
from custos.register.models import Identity, Person
from custos.register.objections_models import Suppression
from custos.work import Work

# Associated data of the encrypted address (see custos.crypto): only key rotation reads it back.
VALUE = "suppression.value"
# Matched by the same blind index as the identities, so it moves to the new key with them, or an objector
# imported again would no longer be recognised (Art. 21(3)).
seal(Suppression, {"value_enc": VALUE}, lookups=(Lookup("lookup", "value_enc", kind_column="kind"),))


def _given(email: str | None, phone: str | None, phone_region: str) -> list[tuple[IdentityKind, str]]:
    problems: list[Problem] = []
    found: list[tuple[IdentityKind, str]] = []
    for kind, raw in (("email", email), ("phone", phone)):
        if raw is None or not raw.strip():
            continue
        try:
            found.append((kind, normalise(kind, raw, phone_region)))  # type: ignore[arg-type]
        except IdentityError as exc:
            problems.append(Problem(kind, str(exc)))
    if problems:
        raise InvalidInput("the address to suppress is not valid", problems)
    return found


def suppress(
    work: Work,
    *,
    email: str | None = None,
    phone: str | None = None,
    source: str,
    reference: str | None = None,
) -> None:
    """Add the email and/or phone to the suppression list; adding one already there changes nothing but the log."""
    session, keys = work.session, work.keys
    found = _given(email, phone, work.policy.jurisdiction.phone_region)
    if not found:
        raise InvalidInput("say what to suppress", [Problem("email", "give an email address or a phone number")])
    for kind, value in found:
        lookups = keys.blind_indexes(kind, value)
        existing = session.scalar(
            select(Suppression.id).where(Suppression.kind == kind, Suppression.lookup.in_(lookups))
        )
        person_ref = session.scalar(
            select(Person.ref).join(Identity).where(Identity.kind == kind, Identity.lookup.in_(lookups)).limit(1)
        )
        new = existing is None
        if existing is None:
            entry = Suppression(
                kind=kind,
                lookup=keys.blind_index(kind, value),
                value_enc=keys.encrypt(value, VALUE),
                source=source[:80],
                reference=reference,
                created_at=work.clock.now(),
            )
            session.add(entry)
            session.flush()
            existing = entry.id
        work.audit(
            Action.SUPPRESSION_ADD,
            subject=person_ref,
            target=f"suppression:{existing}",
            reference=reference,
            details={"kind": kind, "source": source[:80], "new": new},
        )


def is_suppressed(work: Work, *, email: str | None = None, phone: str | None = None) -> bool:
    """Whether any of the given addresses objected to direct marketing."""
    for kind, value in _given(email, phone, work.policy.jurisdiction.phone_region):
        lookups = work.keys.blind_indexes(kind, value)
        if work.session.scalar(select(Suppression.id).where(Suppression.kind == kind, Suppression.lookup.in_(lookups))):
            return True
    return False


def person_suppressed(work: Work, person_id: int) -> bool:
    """Whether one of the person's identities is on the suppression list (matched by blind index, no decryption)."""
    match = (
        select(Identity.id)
        .join(Suppression, (Suppression.kind == Identity.kind) & (Suppression.lookup == Identity.lookup))
        .where(Identity.person_id == person_id)
        .limit(1)
    )
    return work.session.scalar(match) is not None
