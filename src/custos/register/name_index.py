"""Finding people by name while names stay encrypted: a keyed blind index of the words of each name.

A name is normalised (case folded, accents and diacritics taken off, so "Åsa Müller" and "asa muller" are the
same), split into words at spaces, hyphens, apostrophes and other punctuation, and words of one letter are
dropped. Each word is stored as HMAC-SHA256 under a key derived from the register's index key with a purpose
label of its own (`PURPOSE`), so a name token can never be compared with an email's or phone's blind index.

Only whole words match: a search for "anna lind" finds the people whose name has both the word "anna" and the
word "lind", in any order, and not "Annika Lindqvist" (a keyed hash has no prefixes). What this reveals to
someone holding the database but not the key is in docs/people-search.md.

Every writer of a name calls `set_tokens` (one person) or `replace_tokens` (a batch); a key rotation rewrites
them all under the new key (`register.rekey`), and a search tries every key in the key file, so it still finds
people while a rotation is half done. `reindex` builds the index for a register written before it existed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import lru_cache

from sqlalchemy import ColumnElement, and_, delete, func, insert, select
from sqlalchemy.orm import Session

from custos.audit.actions import Action
from custos.crypto import Key, KeyRing
from custos.register.models import Person, PersonNameToken
from custos.work import Work

PURPOSE = b"custos person.name token v1"
NAME_FIELD = "person.name"  # the field the name is encrypted under (register.people.NAME)
MIN_LENGTH = 2
BATCH = 1000

# Letters that are not a base letter plus a combining mark, so NFKD leaves them whole.
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ð": "d", "þ": "th", "đ": "d", "ł": "l", "ı": "i"})
_WORD = re.compile(r"[^\W_]+")


def normalise_name(name: str) -> str:
    """Case folded, without accents or diacritics: `normalise_name("Åsa Müller-Öberg")` is "asa muller-oberg"."""
    if name.isascii():  # nothing to fold but case, and ASCII's case fold is its lower case
        return name.lower()
    folded = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(c for c in folded if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.translate(_FOLD))


def words(name: str) -> list[str]:
    """The words a name is found by, each once, in order: hyphens, apostrophes and spaces separate them."""
    found: list[str] = []
    for word in _WORD.findall(normalise_name(name)):
        if len(word) >= MIN_LENGTH and word not in found:
            found.append(word)
    return found


@lru_cache(maxsize=16)
def _name_key(index_key: bytes) -> bytes:
    # A key of its own for names, derived from the installation's index key and this purpose label only.
    return hmac.new(index_key, PURPOSE, hashlib.sha256).digest()


@lru_cache(maxsize=16)
def _name_mac(index_key: bytes) -> hmac.HMAC:
    # Keyed once: each token copies the keyed state (the same digest as keying anew, faster).
    return hmac.new(_name_key(index_key), digestmod=hashlib.sha256)


def token(key: Key, word: str) -> bytes:
    mac = _name_mac(key.index).copy()
    mac.update(word.encode())
    return mac.digest()


def tokens(ring: KeyRing, name: str) -> set[bytes]:
    """The tokens stored for `name`: its words under the active key."""
    return {token(ring.active, word) for word in words(name)}


def query_tokens(ring: KeyRing, query: str) -> list[list[bytes]]:
    """For each word searched, its tokens under every key (a rotation half done still finds everyone)."""
    return [[token(key, word) for key in ring.keys] for word in words(query)]


def matching(ring: KeyRing, query: str) -> ColumnElement[bool] | None:
    """A clause on `Person.id`: people whose name has every word of `query`; None if it has no word to match."""
    wanted = query_tokens(ring, query)
    if not wanted:
        return None
    clauses = [
        Person.id.in_(select(PersonNameToken.person_id).where(PersonNameToken.token.in_(choices))) for choices in wanted
    ]
    return clauses[0] if len(clauses) == 1 else and_(*clauses)


def set_tokens(session: Session, ring: KeyRing, person_id: int, name: str) -> None:
    """Make the person's tokens those of `name` (in the caller's transaction)."""
    replace_tokens(session, ring, {person_id: name})


def replace_tokens(session: Session, ring: KeyRing, names: Mapping[int, str]) -> None:
    """Rewrite the tokens of a batch of people: person id -> their (new) name."""
    ids = list(names)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        session.execute(delete(PersonNameToken).where(PersonNameToken.person_id.in_(chunk)))
        add_tokens(session, ring, {pid: names[pid] for pid in chunk})


def add_tokens(session: Session, ring: KeyRing, names: Mapping[int, str]) -> None:
    """The tokens of people who have none yet (just inserted): person id -> name."""
    rows = [{"person_id": pid, "token": t} for pid, name in names.items() for t in sorted(tokens(ring, name))]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(PersonNameToken), rows[start : start + BATCH])


def reindex(work: Work, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild every person's tokens from their encrypted name (the first time, or to repair); returns how many
    people were indexed, audited as `register.reindex`. In id batches, so memory stays flat whatever the
    register's size; one unit, so a rebuild that fails leaves the index as it was."""
    session, ring = work.session, work.keys
    total = int(session.scalar(select(func.count()).select_from(Person)) or 0)
    done = last = 0
    while rows := session.execute(
        select(Person.id, Person.name_enc).where(Person.id > last).order_by(Person.id).limit(BATCH)
    ).all():
        replace_tokens(session, ring, {pid: ring.decrypt(blob, NAME_FIELD) for pid, blob in rows})
        done += len(rows)
        last = rows[-1][0]
        if progress is not None:
            progress(done, total)
    work.audit(Action.REGISTER_REINDEX, details={"people": done})
    return done
