"""The register's sealed fields: the one place a person's name and title and an identity's value are encrypted,
changed and read back.

Each value is bound to its field name (AES-GCM associated data), so a blob copied into another column does not
decrypt; an identity carries the keyed blind index it is found by, rewritten whenever its value changes, and a
person's name its search tokens (`name_index`), so a correction is found by its new words and not its old ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from custos.crypto import KeyRing
from custos.db.sealed import Lookup, seal
from custos.register import name_index
from custos.register.models import Identity, Person

NAME = "person.name"
TITLE = "person.title"
IDENTITY = "identity.value"


def person_columns(keys: KeyRing, name: str, title: str | None) -> dict[str, Any]:
    """`name_enc` and `title_enc` of a person, for a bulk insert or update."""
    return {"name_enc": keys.encrypt(name, NAME), "title_enc": keys.encrypt(title, TITLE) if title else None}


def identity_columns(keys: KeyRing, kind: str, value: str) -> dict[str, Any]:
    """`kind`, `value_enc` and `lookup` of an identity, for a bulk insert; `value` already normalised."""
    return {"kind": kind, "value_enc": keys.encrypt(value, IDENTITY), "lookup": keys.blind_index(kind, value)}


def new_person(keys: KeyRing, *, ref: str, name: str, title: str | None, now: datetime) -> Person:
    """A person not yet added to the session; their name tokens are written once they have an id (`index_name`)."""
    return Person(ref=ref, **person_columns(keys, name, title), created_at=now, updated_at=now)


def new_identity(keys: KeyRing, kind: str, value: str) -> Identity:
    return Identity(**identity_columns(keys, kind, value))


def name_tokens(keys: KeyRing, name: str) -> list[bytes]:
    """The search tokens `index_name` writes for a new person named `name`, for a bulk writer inserting them."""
    return sorted(name_index.tokens(keys, name))


def index_name(session: Session, keys: KeyRing, names: dict[int, str]) -> None:
    """The search tokens of newly written people, {person id: name}."""
    name_index.add_tokens(session, keys, names)


def rename(session: Session, keys: KeyRing, person: Person, name: str) -> None:
    person.name_enc = keys.encrypt(name, NAME)
    name_index.set_tokens(session, keys, person.id, name)  # the old name's words no longer find them


def renamed(session: Session, keys: KeyRing, names: dict[int, str]) -> None:
    """Rewrite the search tokens of people whose names a bulk update changed, {person id: new name}."""
    name_index.replace_tokens(session, keys, names)


def set_title(keys: KeyRing, person: Person, title: str | None) -> None:
    person.title_enc = keys.encrypt(title, TITLE) if title else None


def set_value(keys: KeyRing, identity: Identity, value: str) -> None:
    """A corrected identity value, with the blind index it is found by; `value` already normalised."""
    identity.value_enc = keys.encrypt(value, IDENTITY)
    identity.lookup = keys.blind_index(identity.kind, value)


def name_of(keys: KeyRing, name_enc: bytes) -> str:
    return keys.decrypt(name_enc, NAME)


def title_of(keys: KeyRing, title_enc: bytes | None) -> str | None:
    return keys.decrypt(title_enc, TITLE) if title_enc else None


def value_of(keys: KeyRing, value_enc: bytes) -> str:
    return keys.decrypt(value_enc, IDENTITY)


def _retoken(session: Session, keys: KeyRing, batch: dict[int, dict[str, str]]) -> None:
    # The name tokens are keyed from the index key that rotation retires: rewritten under the new one.
    name_index.replace_tokens(session, keys, {pid: plain["name_enc"] for pid, plain in batch.items()})


seal(Person, {"name_enc": NAME, "title_enc": TITLE}, after_batch=_retoken)
seal(Identity, {"value_enc": IDENTITY}, lookups=(Lookup("lookup", "value_enc", kind_column="kind"),))


def values_of(keys: KeyRing, person: Person, kind: str) -> list[str]:
    """The person's identity values of one kind, in the order they were added."""
    return [value_of(keys, i.value_enc) for i in person.identities if i.kind == kind]


def replace_identity(keys: KeyRing, person: Person, kind: str, old: str, new: str, *, holder: Identity | None) -> None:
    """`new` takes the place of the person's identity `old` (or is added when they have no such one).

    `holder` is the identity already holding `new`, when it is this person's: then `old` simply goes, so the
    person is not left with the same value twice."""
    mine = next((i for i in person.identities if i.kind == kind and old and value_of(keys, i.value_enc) == old), None)
    if holder is not None:
        if mine is not None and mine is not holder:
            person.identities.remove(mine)
    elif mine is not None:
        set_value(keys, mine, new)
    else:
        person.identities.append(new_identity(keys, kind, new))
